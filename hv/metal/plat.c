/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/plat.c: the platform contract (hv_plat_* in hv/core/core.h)
 * on hv/metal, and how guests' output reaches the console.
 *
 * One CPU, interrupts off, and hv code runs only between a VM exit and
 * the next entry: nothing in hv/core ever runs concurrently with anything
 * else, so the pool lock is a no-op and "another guest's vCPU" is never in
 * guest mode while hv runs. Binding is the EPT (read-write for frames a
 * guest owns or is granted read-write, read-only otherwise), unbinding is
 * the EPT entry gone and INVEPT, injecting a vector or raising an
 * exception is an event vmexit.c delivers at the guest's next entry, the
 * clock is the TSC (tsc.c), and a deadline is a TSC value the run queue
 * watches and loads into the preemption timer; any exit may set any
 * guest's, since all of them are handled between one exit and the next
 * entry.
 *
 * With several guests each line a guest writes (its console, a program's
 * stdout and stderr) is printed whole, after "NAME: ", and hv's reports
 * about it read "metal: NAME: TEXT", so that concurrent guests' output
 * interleaves by line and every line says whose it is.
 */
#include "caps.h"
#include "metal.h"

static int several;

void metal_output_several(int on)
{
	several = on;
}

void metal_report(const char *name, const char *fmt, ...)
{
	char text[HV_REPORT_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	hv_vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (several && name)
		metal_printf("metal: %s: %s\n", name, text);
	else
		metal_printf("metal: %s\n", text);
}

/* No lock: hv/metal runs on one CPU with interrupts off, and hv/core
 * runs only while handling one guest's exit; nothing can interleave. */
void hv_plat_lock(struct hv_pool *pool)
{
	(void)pool;
}

void hv_plat_unlock(struct hv_pool *pool)
{
	(void)pool;
}

/* Frames are executable wherever they are mapped, as in a KVM memslot:
 * a grant differs from ownership only in writability. Every table is made
 * before any entry changes, so a failure leaves the EPT as it was. */
int hv_plat_bind(struct hv_guest *g, uint64_t first, uint64_t n, int writable)
{
	struct metal_vm *vm = g->plat;
	unsigned perms = writable ? EPT_R | EPT_W | EPT_X : EPT_R | EPT_X;
	for (uint64_t f = first; f < first + n; f++)
		if (metal_ept_reserve(&vm->ept, f * EXO_PAGE_SIZE) < 0)
			return -EXO_ENOMEM;
	int narrowed = 0;
	for (uint64_t f = first; f < first + n; f++) {
		narrowed |= !writable && metal_ept_unmap(&vm->ept, f * EXO_PAGE_SIZE);
		metal_ept_map(&vm->ept, f * EXO_PAGE_SIZE, metal_pool_base() + f * EXO_PAGE_SIZE,
			      perms);
	}
	/* Read-write to read-only: a cached writable translation must go. */
	if (narrowed)
		metal_ept_flush(&vm->ept);
	return 0;
}

void hv_plat_unbind(struct hv_guest *g, uint64_t first, uint64_t n)
{
	struct metal_vm *vm = g->plat;
	for (uint64_t f = first; f < first + n; f++)
		metal_ept_unmap(&vm->ept, f * EXO_PAGE_SIZE);
	metal_ept_flush(&vm->ept);
}

void hv_plat_scrub(struct hv_pool *pool, uint64_t first, uint64_t n)
{
	memset(pool->host + first * EXO_PAGE_SIZE, 0, n * EXO_PAGE_SIZE);
}

void hv_plat_inject(struct hv_guest *g, uint32_t vector)
{
	struct metal_vm *vm = g->plat;
	if (!vm->irq)
		vm->irq = vector;
	hv_plat_kick(g);
}

/* Nothing to do: hv runs only between one guest's exit and its next
 * entry, so no guest is in guest mode now, and the one whose exit this is
 * gets its vector at that entry, which comes next. Ending its turn here
 * would take the CPU from a guest just given a slice-end upcall and its
 * grace. */
void hv_plat_kick(struct hv_guest *g)
{
	(void)g;
}

/* At g's next entry, before any pending vector (vmexit.c). g may be any
 * guest: a victim's abort runs when its deadline passes, whoever runs. */
void hv_plat_exception(struct hv_guest *g, uint32_t vector)
{
	struct metal_vm *vm = g->plat;
	vm->exc_pending = 1;
	vm->exc_vector = vector;
}

void hv_plat_wake(struct hv_guest *g)
{
	metal_sched_wake(g->plat);
}

void hv_plat_deadline(struct hv_guest *g, uint64_t ns)
{
	metal_sched_deadline(g->plat, ns);
}

/* Whole lines after "NAME: "; a line longer than the buffer is cut. */
static void output(struct metal_vm *vm, const char *buf, uint64_t len)
{
	if (!several) {
		metal_write(buf, len);
		return;
	}
	for (uint64_t i = 0; i < len; i++) {
		vm->line[vm->line_len++] = buf[i];
		if (buf[i] == '\n' || vm->line_len == sizeof vm->line - 1)
			metal_output_flush(vm);
	}
}

void metal_output_flush(struct metal_vm *vm)
{
	if (!vm->line_len)
		return;
	if (vm->line[vm->line_len - 1] != '\n')
		vm->line[vm->line_len++] = '\n';
	metal_printf("%s: ", vm->g.name);
	metal_write(vm->line, vm->line_len);
	vm->line_len = 0;
}

void hv_plat_console(struct hv_guest *g, const char *buf, uint64_t len)
{
	output(g->plat, buf, len);
}

void hv_plat_notice(struct hv_guest *g, const char *text)
{
	metal_report(g ? g->name : 0, "%s", text);
}

/* getrandom's bytes from RDRAND (retried a few times, as Intel advises);
 * -ENOSYS on a CPU without it: metal has no other source to offer. */
static int64_t random_bytes(uint8_t *buf, uint64_t len)
{
	static int has_rdrand = -1;
	if (has_rdrand < 0) {
		uint32_t r[4];
		cpuid(1, 0, r);
		has_rdrand = (r[2] >> 30) & 1;
	}
	if (!has_rdrand)
		return -EXO_FWD_ENOSYS;
	for (uint64_t at = 0; at < len;) {
		uint64_t v;
		uint8_t ok = 0;
		/* cppcheck-suppress knownConditionTrueFalse ; the asm sets ok, unseen by it */
		for (int tries = 0; tries < 10 && !ok; tries++)
			__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
		if (!ok)
			return at ? (int64_t)at : -11; /* Linux's EAGAIN */
		for (int i = 0; i < 8 && at < len; i++, v >>= 8)
			buf[at++] = (uint8_t)v;
	}
	return (int64_t)len;
}

/* No host file system here: a program's writes to its stdout and stderr
 * are its console output (there is no separate stderr). The few calls that
 * ask about the host itself are answered as for the only process there
 * is: pid 1 (its own group), parent 0, uid and gid 0 (root), random bytes
 * from RDRAND. Every other call, the file ones, the clocks and sleeps
 * among them, is -ENOSYS. */
int64_t hv_plat_forward(struct hv_guest *g, const struct hv_fwd *c)
{
	switch (c->nr) {
	case EXO_FWD_WRITE:
		if (c->arg[0] != 1 && c->arg[0] != 2)
			break;
		output(g->plat, c->ptr[1], c->len[1]);
		return (int64_t)c->len[1];
	case EXO_FWD_GETPID:
	case EXO_FWD_GETPGRP:
		return 1;
	case EXO_FWD_GETPPID:
	case EXO_FWD_GETUID:
	case EXO_FWD_GETGID:
	case EXO_FWD_GETEUID:
	case EXO_FWD_GETEGID:
		return 0;
	case EXO_FWD_GETRANDOM:
		return random_bytes(c->ptr[0], c->len[0]);
	}
	return -EXO_FWD_ENOSYS;
}

void hv_plat_panic(const char *why)
{
	metal_printf("metal: internal error in hv: %s\n", why);
	metal_exit(0);
}
