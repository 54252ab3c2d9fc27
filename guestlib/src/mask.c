/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/mask.c: interrupts off, in software, in either ring.
 *
 * hv raises upcalls (revocation requests, slice ends, doorbells) as
 * external interrupts, which arrive whenever the guest runs with RFLAGS.IF
 * set: in application code, but also in the middle of a hypercall stub
 * (whose block is static) or of a library OS's bookkeeping. Ring 3 cannot
 * clear IF (IOPL is 0), so "interrupts off" is a count: exo_mask raises
 * exo_mask_depth, exo_unmask lowers it. An interrupt that arrives while it
 * is raised is not handled there: its vector goes into a pending set and
 * the interrupt returns at once. exo_unmask, when the count is back to 0,
 * runs the handlers of what is pending in the caller's context and ring.
 * Handlers run with the count raised, so they do not nest into each other.
 * Exceptions never come here: they are about the instruction that raised
 * them and cannot wait.
 */
#include "exo/exo.h"
#include "guestlib.h"

#define WORDS (EXO_VECTORS / 64)

volatile uint32_t exo_mask_depth;
volatile uint32_t exo_deferred_any;
static uint64_t deferred[WORDS];

/* An interrupt (vector 32-255), from exo_trap. */
void exo_interrupt(struct exo_trap_frame *f)
{
	if (exo_mask_depth) {
		__atomic_or_fetch(&deferred[f->vector / 64], 1ull << (f->vector % 64), __ATOMIC_RELAXED);
		exo_deferred_any = 1;
		return;
	}
	exo_mask_depth = 1;
	if (!exo_trap_handle(f))
		exo_trap_report(f, 0);
	exo_mask_depth = 0;
	if (exo_deferred_any)
		exo_run_deferred();
}

/* With the count at 0. An interrupt may defer another vector while a
 * handler runs here: the loop goes round until none is left. */
void exo_run_deferred(void)
{
	while (exo_deferred_any) {
		exo_mask_depth = 1;
		exo_deferred_any = 0;
		for (unsigned w = 0; w < WORDS; w++) {
			uint64_t bits = __atomic_exchange_n(&deferred[w], 0, __ATOMIC_SEQ_CST);
			for (; bits; bits &= bits - 1) {
				struct exo_trap_frame f = { .vector = w * 64 + (uint64_t)__builtin_ctzll(bits) };
				if (!exo_trap_handle(&f))
					exo_trap_report(&f, 0);
			}
		}
		exo_mask_depth = 0;
	}
}
