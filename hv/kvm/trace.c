/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/trace.c: `exo run --trace[=FILE]`, one line per exit or
 * hypercall.
 *
 *   exo: trace: TIME NAME KIND [ARGS] = RESULT
 *
 * TIME is microseconds since exo's start; NAME the guest's; KIND a
 * hypercall's name (console, frame-alloc, forward, ...) with the
 * arguments that are cheap to decode from its block (read before the call
 * runs, so that what the guest asked is shown, not what hv wrote back),
 * or the exit's kind: io (a port hv does not provide), mmio (a GPA the
 * guest may not touch), halt, shutdown (triple fault), emulation,
 * failed, interrupted (KVM_RUN cut short by a kick, a timer or a signal).
 * RESULT is the hypercall's rax as a signed number, with "ended" when the
 * guest ended there; for a WAIT that blocked, what it returned once woken.
 * A forwarded batch shows each call as NAME=RET.
 *
 * Off, it costs the exit path one predictable branch on k->trace (run.c).
 * The file is opened by kvm_trace_open before the sandbox; the sandbox
 * allows write on it as on every other descriptor. Lines go out in one
 * write each; to stderr through console.c, so they never land inside a
 * guest's line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

static int trace_fd = -1; /* -1: stderr, through console.c */

int kvm_trace_open(const char *path)
{
	if (!path)
		return 0;
	trace_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (trace_fd < 0)
		return kvm_fail(HV_STATUS_USAGE, "--trace=%s: %s", path, strerror(errno));
	return 0;
}

void kvm_trace_close(void)
{
	if (trace_fd >= 0)
		close(trace_fd);
	trace_fd = -1;
}

static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

/* One line: "exo: trace: TIME NAME WHAT = RESULT". */
static void emit(const struct kvm_guest *k, const char *what, const char *result)
{
	char line[512];
	size_t len = 0;
	uint64_t us = (kvm_now_ns() - k->t0) / 1000u;
	put(line, sizeof line, &len, "exo: trace: %" PRIu64 " %s %s = %s\n", us, k->g.name, what,
	    result);
	line[len - 1] = '\n'; /* a line cut short still ends */
	if (trace_fd < 0) {
		kvm_out_raw(2, line, len);
	} else {
		ssize_t w = write(trace_fd, line, len);
		(void)w; /* a full disk loses trace lines, never the guest */
	}
}

/* The hypercall at this exit, or -1: the test exit.c's io() makes. */
static int hypercall_nr(const struct hv_exit *e)
{
	if (e->type != HV_XT_IO || e->in || e->string || e->size != 4 || e->port < EXO_HC_PORT ||
	    e->port >= EXO_HC_PORT + EXO_HC_PORT_SPAN)
		return -1;
	return (int)(e->port - EXO_HC_PORT);
}

static const char *const grant_ops[] = { "ro", "rw", "revoke" };
static const char *const db_ops[] = { "setup", "ring", "wait" };

/* A hypercall's name and arguments, from its block at gpa. */
static void describe_call(const struct kvm_guest *k, uint32_t nr, uint64_t gpa, char *buf,
			  size_t size, struct exo_fwd *fwd, uint32_t *nfwd, uint64_t *vec_gpa)
{
	const struct hv_guest *g = &k->g;
	size_t len = 0;
	union {
		struct exo_hc_console console;
		struct exo_hc_exit exit;
		struct exo_hc_frames frames;
		struct exo_hc_fault fault;
		struct exo_hc_forward forward;
		struct exo_hc_exit_process process;
		struct exo_hc_grant grant;
		struct exo_hc_lookup lookup;
		struct exo_hc_doorbell doorbell;
		struct exo_hc_upcall upcall;
	} a;
	put(buf, size, &len, "%s", hv_hypercall_name(nr));
	*nfwd = 0;
	size_t need = 0;
	switch (nr) {
	case EXO_HC_CONSOLE: case EXO_HC_NOTICE: need = sizeof a.console; break;
	case EXO_HC_EXIT: need = sizeof a.exit; break;
	case EXO_HC_FRAME_ALLOC: case EXO_HC_FRAME_RELEASE: need = sizeof a.frames; break;
	case EXO_HC_FAULT: need = sizeof a.fault; break;
	case EXO_HC_FORWARD: need = sizeof a.forward; break;
	case EXO_HC_EXIT_PROCESS: need = sizeof a.process; break;
	case EXO_HC_GRANT: need = sizeof a.grant; break;
	case EXO_HC_LOOKUP: need = sizeof a.lookup; break;
	case EXO_HC_DOORBELL: need = sizeof a.doorbell; break;
	case EXO_HC_UPCALL: need = sizeof a.upcall; break;
	default: return; /* info, yield: nothing in; unknown: its number is the port */
	}
	if (hv_copy_from_guest(g, &a, gpa, need) < 0) {
		put(buf, size, &len, " block=0x%" PRIx64 " (not the guest's)", gpa);
		return;
	}
	switch (nr) {
	case EXO_HC_CONSOLE: case EXO_HC_NOTICE:
		put(buf, size, &len, " len=%" PRIu64, a.console.len);
		break;
	case EXO_HC_EXIT:
		put(buf, size, &len, " status=%" PRIu64, a.exit.status);
		break;
	case EXO_HC_FRAME_ALLOC: case EXO_HC_FRAME_RELEASE:
		put(buf, size, &len, " n=%u flags=%u", a.frames.count, a.frames.flags);
		break;
	case EXO_HC_FAULT:
		put(buf, size, &len, " vector=%" PRIu64 " rip=0x%" PRIx64, a.fault.vector,
		    a.fault.regs.rip);
		break;
	case EXO_HC_FORWARD:
		put(buf, size, &len, " n=%u", a.forward.count);
		if (a.forward.count <= EXO_FWD_BATCH &&
		    hv_copy_from_guest(g, fwd, a.forward.vec_gpa,
				       a.forward.count * sizeof *fwd) == 0) {
			*nfwd = a.forward.count;
			*vec_gpa = a.forward.vec_gpa;
		}
		break;
	case EXO_HC_EXIT_PROCESS:
		put(buf, size, &len, " code=%u signal=%u", a.process.code, a.process.signal);
		break;
	case EXO_HC_GRANT:
		put(buf, size, &len, " op=%s n=%u to=%u", a.grant.op < 3 ? grant_ops[a.grant.op] : "?",
		    a.grant.count, a.grant.grantee);
		break;
	case EXO_HC_LOOKUP:
		put(buf, size, &len, " len=%u", a.lookup.len);
		break;
	case EXO_HC_DOORBELL:
		put(buf, size, &len, " op=%s", a.doorbell.op < 3 ? db_ops[a.doorbell.op] : "?");
		if (a.doorbell.op == EXO_DB_RING)
			put(buf, size, &len, " target=%u", a.doorbell.target);
		else if (a.doorbell.op == EXO_DB_WAIT)
			put(buf, size, &len, " timeout_ns=%" PRIu64, a.doorbell.timeout_ns);
		else
			put(buf, size, &len, " vector=%u", a.doorbell.vector);
		break;
	case EXO_HC_UPCALL:
		put(buf, size, &len, " revoke_vector=%u slice_vector=%u", a.upcall.revoke_vector,
		    a.upcall.slice_vector);
		break;
	default:
		break;
	}
}

/* An exit that is no hypercall. */
static void describe_exit(const struct hv_exit *e, char *buf, size_t size)
{
	switch (e->type) {
	case HV_XT_IO:
		snprintf(buf, size, "io port=0x%x %s rip=0x%" PRIx64, e->port, e->in ? "in" : "out",
			 e->rip);
		return;
	case HV_XT_GPA:
		snprintf(buf, size, "mmio gpa=0x%" PRIx64 " %s rip=0x%" PRIx64, e->gpa,
			 e->write ? "write" : "read", e->rip);
		return;
	case HV_XT_HALT:
		snprintf(buf, size, "halt rip=0x%" PRIx64, e->rip);
		return;
	case HV_XT_SHUTDOWN:
		snprintf(buf, size, "shutdown rip=0x%" PRIx64, e->rip);
		return;
	case HV_XT_EMULATION:
		snprintf(buf, size, "emulation rip=0x%" PRIx64, e->rip);
		return;
	case HV_XT_FAILED:
		break;
	}
	snprintf(buf, size, "failed code=0x%" PRIx64 " rip=0x%" PRIx64, e->code, e->rip);
}

enum hv_next kvm_trace_exit(struct kvm_guest *k, const struct hv_exit *e, uint64_t *rax)
{
	struct exo_fwd fwd[EXO_FWD_BATCH];
	uint32_t nfwd = 0;
	uint64_t vec_gpa = 0;
	char *what = k->trace_what, result[64];
	int nr = hypercall_nr(e);
	if (nr >= 0)
		describe_call(k, (uint32_t)nr, e->value, what, sizeof k->trace_what, fwd, &nfwd,
			      &vec_gpa);
	else
		describe_exit(e, what, sizeof k->trace_what);
	enum hv_next next = hv_exit(&k->g, e, rax);
	if (nfwd) {
		/* Each call's ret, read back: the vector is still the guest's
		 * unless the batch gave its frame away. */
		size_t len = strlen(what);
		int64_t done = (int64_t)*rax;
		if (hv_copy_from_guest(&k->g, fwd, vec_gpa, nfwd * sizeof *fwd) < 0)
			done = 0;
		for (uint32_t i = 0; i < nfwd; i++) {
			const char *name = hv_fwd_name(fwd[i].nr);
			if (name)
				put(what, sizeof k->trace_what, &len, " %s", name);
			else
				put(what, sizeof k->trace_what, &len, " nr%" PRIu64, fwd[i].nr);
			if ((int64_t)i < done)
				put(what, sizeof k->trace_what, &len, "=%" PRId64, fwd[i].ret);
		}
	}
	if (next == HV_NEXT_BLOCKED)
		return next; /* its line when it wakes: kvm_trace_wake */
	if (nr >= 0)
		snprintf(result, sizeof result, "%" PRId64 "%s", (int64_t)*rax,
			 next == HV_NEXT_ENDED ? " ended" : "");
	else
		snprintf(result, sizeof result, "%s", next == HV_NEXT_ENDED ? "ended" : "resumed");
	emit(k, what, result);
	return next;
}

void kvm_trace_wake(struct kvm_guest *k, uint64_t rax)
{
	char result[64];
	snprintf(result, sizeof result, "%" PRId64 "%s", (int64_t)rax, k->limit ? " ended" : "");
	emit(k, k->trace_what, result);
}

void kvm_trace_interrupted(struct kvm_guest *k)
{
	emit(k, "interrupted", k->limit ? "ended" : "resumed");
}
