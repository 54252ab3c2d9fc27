/* SPDX-License-Identifier: MIT */
/*
 * apps/replace/peer.c: the handshake between the scanner and the presser.
 *
 * A guest above its fair share takes frames only while the pool has them,
 * so the presser must start pressing once the scanner's memory is full,
 * and the scanner must start its timed scans once the presser holds its
 * frames. Each side says so with a doorbell. A ring needs a frame shared
 * between the two, either way: the scanner grants the presser one page of
 * its image, read-only, and nothing ever reads it.
 */
#include "replace.h"

#define DOORBELL_VECTOR 0x40u

static uint8_t shared[EXO_PAGE_SIZE] __attribute__((aligned(EXO_PAGE_SIZE)));
static uint64_t shared_frame; /* a vector hv reads: in the image */
static volatile uint64_t rang[EXO_GUESTS_MAX / 64];

static void rung(uint32_t from)
{
	__atomic_or_fetch(&rang[from / 64], 1ull << (from % 64), __ATOMIC_RELAXED);
}

static uint64_t rang_count(void)
{
	uint64_t n = 0;
	for (unsigned w = 0; w < EXO_GUESTS_MAX / 64; w++)
		for (uint64_t b = rang[w]; b; b &= b - 1)
			n++;
	return n;
}

int peer_listen(void)
{
	int64_t rc = exo_doorbell_setup(DOORBELL_VECTOR, rung);
	return rc < 0 ? replace_fail("doorbell setup: %s", exo_strerror(rc)) : 0;
}

int peer_ring(const char *name, int share)
{
	int64_t id = exo_lookup_wait(name, 10000 * MS), rc;
	if (id < 0)
		return replace_fail("no guest named %s: %s", name, exo_strerror(id));
	if (share) {
		shared_frame = exo_gpa(shared) >> EXO_PAGE_SHIFT;
		if ((rc = exo_grant((uint32_t)id, &shared_frame, 1, EXO_GRANT_RO, 0)) < 0)
			return replace_fail("grant to %s: %s", name, exo_strerror(rc));
	}
	/* Its doorbell may not be set up yet (-EXO_ENOENT): 10 s of retries. */
	rc = exo_doorbell_ring((uint32_t)id);
	for (uint64_t ms = 0; rc == -EXO_ENOENT && ms < 10000; ms++) {
		exo_doorbell_wait(MS);
		rc = exo_doorbell_ring((uint32_t)id);
	}
	return rc < 0 ? replace_fail("ring %s: %s", name, exo_strerror(rc)) : 0;
}

int peer_await(uint64_t rings, uint64_t timeout_ms)
{
	uint64_t t0 = exo_rdtsc();
	while (rang_count() < rings) {
		if (replace_ns(exo_rdtsc() - t0) > timeout_ms * MS)
			return replace_fail("only %lu of %lu guests rang within %lu ms",
					    (unsigned long)rang_count(), (unsigned long)rings,
					    (unsigned long)timeout_ms);
		exo_doorbell_wait(MS);
	}
	return 0;
}

int peer_await_end(const char *name, uint64_t timeout_ms)
{
	uint64_t t0 = exo_rdtsc();
	while (exo_lookup(name) != -EXO_ENOENT) {
		if (replace_ns(exo_rdtsc() - t0) > timeout_ms * MS)
			return replace_fail("%s still runs after %lu ms", name,
					    (unsigned long)timeout_ms);
		exo_doorbell_wait(10 * MS);
	}
	return 0;
}
