/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/doorbell.c: the guest side of doorbells (EXO_HC_DOORBELL).
 *
 * guestlib owns the pending set hv sets bits in (a bit per guest id, in
 * the image: frames this guest owns for as long as it runs) and the
 * doorbell vector's IDT entry. exo_doorbell_poll takes the set, a word at
 * a time with an atomic exchange (hv may set other bits meanwhile), and
 * calls the guest's handler for each bit: from exo_doorbell_wait when
 * interrupts are off, from the interrupt when they are on. Either way a
 * ring is reported once. See exo.h for which to use when.
 */
#include "exo/exo.h"

#define WORDS (EXO_GUESTS_MAX / 64)

/* 32 bytes, aligned to their size: inside one frame, as hv requires. */
static uint64_t pending[WORDS] __attribute__((aligned(EXO_GUESTS_MAX / 8)));
static exo_doorbell_handler handler;

int exo_doorbell_poll(void)
{
	int n = 0;
	for (unsigned w = 0; w < WORDS; w++) {
		if (!__atomic_load_n(&pending[w], __ATOMIC_RELAXED))
			continue; /* the common case: no exchange (a locked op) */
		uint64_t bits = __atomic_exchange_n(&pending[w], 0, __ATOMIC_SEQ_CST);
		for (; bits; bits &= bits - 1, n++)
			if (handler)
				handler(w * 64 + (uint32_t)__builtin_ctzll(bits));
	}
	return n;
}

/* The vector's trap handler: an interrupt, taken and dismissed here (hv
 * raises it as an external interrupt with no APIC to acknowledge). */
static int doorbell_trap(struct exo_trap_frame *f)
{
	(void)f;
	exo_doorbell_poll();
	return 1;
}

static int64_t doorbell(const struct exo_hc_doorbell *args)
{
	static struct exo_hc_doorbell a;
	exo_mask();
	a = *args;
	int64_t rc = exo_hypercall(EXO_HC_DOORBELL, &a);
	exo_unmask();
	return rc;
}

int64_t exo_doorbell_setup(unsigned vector, exo_doorbell_handler h)
{
	struct exo_hc_doorbell a = { .op = EXO_DB_SETUP, .vector = vector,
				     .pending_gpa = exo_gpa(pending) };
	if (vector < EXO_DB_VECTOR_MIN || vector >= EXO_VECTORS)
		return doorbell(&a); /* off (0), or hv's EXO_EINVAL */
	/* The entry and the handler first: hv may raise the vector as soon
	 * as the call returns. */
	exo_trap_handler old = exo_trap_set(vector, doorbell_trap);
	exo_doorbell_handler old_h = handler;
	handler = h;
	int64_t rc = doorbell(&a);
	if (rc < 0) {
		exo_trap_set(vector, old);
		handler = old_h;
	}
	/* Turned off or moved, the old vector keeps its entry and handler: an
	 * interrupt hv raised before may still arrive, and is taken as usual
	 * (whatever it reports was rung before the change). */
	return rc;
}

int64_t exo_doorbell_ring(uint32_t id)
{
	return doorbell(&(struct exo_hc_doorbell){ .op = EXO_DB_RING, .target = id });
}

int64_t exo_doorbell_wait(uint64_t timeout_ns)
{
	int64_t rc = doorbell(&(struct exo_hc_doorbell){ .op = EXO_DB_WAIT,
							  .timeout_ns = timeout_ns });
	if (rc == 1)
		exo_doorbell_poll();
	return rc;
}
