/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/stats.c: `exo run --stats`, per guest, when it ends.
 *
 * Times from exo's start to the guest's first instruction (single-stepped,
 * run.c) and to its end, its exits by kind, its hypercalls by name, its
 * frames, what revocation asked of it and what it gave or lost, and its
 * CPU slices (upcalls answered, preemptions), its console output (bytes,
 * and control bytes shown escaped on a terminal). Lines are "exo: stats:
 * TEXT", or "exo: stats: NAME: TEXT" with several guests, all of one
 * guest's written at once.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "kvm.h"

struct text {
	char buf[4096];
	size_t len;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof t->buf - t->len ? (size_t)n : sizeof t->buf - t->len - 1;
}

void kvm_print_stats(const struct kvm_guest *k, uint64_t t_end)
{
	const struct hv_stats *s = &k->g.stats;
	char who[EXO_NAME_MAX + 3] = "";
	struct text t = { .len = 0 };
	uint64_t exits = 0, calls = 0;
	if (kvm_out_several())
		snprintf(who, sizeof who, "%s: ", k->g.name);
	put(&t, "exo: stats: %s%.3f ms from start to guest exit", who,
	    (double)(t_end - k->t0) / 1e6);
	if (k->t_first)
		put(&t, ", first guest instruction at %.3f ms", (double)(k->t_first - k->t0) / 1e6);
	put(&t, "\nexo: stats: %sexits:", who);
	for (int n = 0; n < HV_EXIT_KINDS; n++) {
		if (n == HV_EXIT_DEBUG && k->t_first)
			continue; /* hv's own timing step, not the guest's doing */
		exits += s->exits[n];
		if (s->exits[n])
			put(&t, " %s=%" PRIu64, hv_exit_kind_name(n), s->exits[n]);
	}
	put(&t, " total=%" PRIu64 "\nexo: stats: %shypercalls:", exits, who);
	for (uint32_t n = 0; n <= EXO_HC_COUNT; n++) {
		calls += s->hypercalls[n];
		if (s->hypercalls[n])
			put(&t, " %s=%" PRIu64, hv_hypercall_name(n), s->hypercalls[n]);
	}
	put(&t, " total=%" PRIu64 "\n", calls);
	if (calls)
		put(&t, "exo: stats: %sexits per hypercall %.2f\n", who,
		    (double)s->exits[HV_EXIT_HYPERCALL] / (double)calls);
	put(&t, "exo: stats: %sframes owned at exit %" PRIu64 " of %" PRIu64
	    " allowed, pool %" PRIu64 "\n", who, k->g.owned, k->g.cap_frames,
	    k->pool->core.nframes);
	put(&t, "exo: stats: %srevocation: peak owned %" PRIu64 ", asked %" PRIu64 ", given %"
	    PRIu64 ", taken by abort %" PRIu64 ", requests met in time %" PRIu64
	    ", allocations waited %" PRIu64 "\n", who, s->peak_owned, s->revoke_asked,
	    s->revoke_given, s->revoke_aborted, s->revoke_in_time, s->waited);
	put(&t, "exo: stats: %sslices: used %" PRIu64 ", upcalls %" PRIu64
	    ", answered in time %" PRIu64 ", preempted %" PRIu64 "\n", who, s->slices,
	    s->slice_upcalls, s->slice_in_time, s->preempted);
	put(&t, "exo: stats: %sconsole: %" PRIu64 " bytes, %" PRIu64 " control bytes escaped\n",
	    who, k->console_bytes, k->console_escaped);
	if (k->no_msr_filter)
		put(&t, "exo: stats: %sthe host's KVM has no MSR filter (KVM_CAP_X86_MSR_FILTER): "
		    "the guest could write KVM's paravirtual MSRs\n", who);
	kvm_out_raw(2, t.buf, t.len);
}
