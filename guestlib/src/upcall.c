/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/upcall.c: the guest side of revocation and CPU slices:
 * where hv's requests arrive (EXO_HC_UPCALL) and giving up the CPU
 * (EXO_HC_YIELD).
 *
 * What a request asks is in the exo page (revoke_frames, revoke_seq,
 * revoke_deadline_ns); what abort took is in its repossession bitmap
 * (page.c). Answering is a library OS's business (libos/vm does it by
 * its replacement policy); here are the two calls.
 */
#include "exo/exo.h"
#include "guestlib.h"

/* The vectors hv was last told, so that a library OS and its application
 * can each set one (EXO_UPCALL_KEEP). */
static uint32_t revoke_now, slice_now;

int64_t exo_upcall_setup(uint32_t revoke_vector, uint32_t slice_vector)
{
	static struct exo_hc_upcall a;
	uint32_t r = revoke_vector == EXO_UPCALL_KEEP ? revoke_now : revoke_vector;
	uint32_t s = slice_vector == EXO_UPCALL_KEEP ? slice_now : slice_vector;
	/* The stack before hv may raise them: a ring-0 application's red
	 * zone must survive an upcall. */
	exo_idt_upcall(r);
	exo_idt_upcall(s);
	exo_mask();
	a = (struct exo_hc_upcall){ .revoke_vector = r, .slice_vector = s };
	int64_t rc = exo_hypercall(EXO_HC_UPCALL, &a);
	if (rc == 0) {
		revoke_now = r;
		slice_now = s;
	}
	exo_unmask();
	return rc;
}

int64_t exo_yield(void)
{
	return exo_hypercall_gpa(EXO_HC_YIELD, 0); /* no block */
}
