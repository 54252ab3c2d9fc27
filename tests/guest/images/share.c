/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/share: protected sharing between two guests, a
 * grantor and a grantee, each run as a guest of one `exo run`.
 *
 *   share ro PEER       grant PEER a frame read-only; PEER's write to it
 *   share ro-user         is refused (PEER ends) and the data is intact
 *   share rw PEER       grant PEER a frame read-write; each sees the
 *   share rw-user         other's writes
 *   share revoke PEER   revoke the grant while PEER reads the frame in a
 *   share reader          loop: PEER ends, the grantor goes on
 *   share crash PEER    grant PEER a frame, then crash (#UD) while PEER
 *                         reads it: the grant ends with the grantor, and
 *                         PEER with its next read
 *
 * The grantor allocates a frame, writes a pattern into its first and last
 * words, grants it and rings the grantee; the grantee finds the frame in
 * its exo page's grant bitmaps and rings back. Every step prints one line
 * "share: MODE: ..." with what the guest observed (frame numbers, values),
 * which the harness compares between the two guests. Exit status 0; 1
 * with a line "share: MODE: FAIL ..." when something is not as it should
 * be.
 */
#include "exo/exo.h"

#define VECTOR 0x41
#define MS 1000000ull
#define TIMEOUT (10000 * MS)
#define LAST (EXO_PAGE_SIZE / 8 - 1)

static const char *mode;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	exo_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	exo_printf("share: %s: FAIL %s\n", mode, buf);
	return 1;
}

static uint64_t pattern(uint64_t word)
{
	return 0x5ea4ed0000000000ull | (uint64_t)exo_guest_id() << 16 | word;
}

/* Rings from whom, and how many: the doorbell's handler. */
static volatile uint32_t last_ringer;
static volatile uint64_t rings;

static void rung(uint32_t from)
{
	last_ringer = from;
	rings++;
}

/* Wait for the next ring (10 s at most); the ringer's id or 0. */
static uint32_t wait_ring(const char *what)
{
	uint64_t seen = rings;
	while (rings == seen) {
		int64_t rc = exo_doorbell_wait(TIMEOUT);
		if (rc <= 0) {
			fail("no ring in 10 s (%s): %s", what, rc < 0 ? exo_strerror(rc) : "timeout");
			return 0;
		}
	}
	return last_ringer;
}

static int setup(void)
{
	int64_t rc = exo_doorbell_setup(VECTOR, rung);
	return rc < 0 ? fail("doorbell setup: %s", exo_strerror(rc)) : 0;
}

/* --- the grantor --- */

static uint32_t peer;
static const char *peer_name;
static uint64_t frame;

/* Look the peer up, allocate and fill a frame, grant it with op and ring
 * the peer (whose doorbell may not be set up yet: retried for 10 s). */
static int grant_and_ring(uint32_t op)
{
	uint64_t bad;
	int64_t rc;
	if (setup())
		return 1;
	if ((rc = exo_lookup_wait(peer_name, TIMEOUT)) < 0)
		return fail("no guest named %s: %s", peer_name, exo_strerror(rc));
	peer = (uint32_t)rc;
	if ((rc = exo_frames_alloc(&frame, 1, EXO_FA_ANY, &bad)) != 1)
		return fail("frame alloc: %s", exo_strerror(rc));
	volatile uint64_t *w = exo_frame_ptr(frame);
	w[0] = pattern(0);
	w[LAST] = pattern(LAST);
	if ((rc = exo_grant(peer, &frame, 1, op, &bad)) != 1)
		return fail("grant: %s", exo_strerror(rc));
	exo_printf("share: %s: granted frame %lu to %s (guest %u) %s, first word 0x%lx\n", mode,
		   (unsigned long)frame, peer_name, peer, op == EXO_GRANT_RW ? "read-write" : "read-only",
		   (unsigned long)w[0]);
	for (uint64_t ms = 0; (rc = exo_doorbell_ring(peer)) == -EXO_ENOENT && ms < 10000; ms++)
		exo_doorbell_wait(MS);
	if (rc < 0)
		return fail("ring %s: %s", peer_name, exo_strerror(rc));
	uint32_t from = wait_ring("the grantee's answer");
	return from == peer ? 0 : from ? fail("rung by guest %u, not %s", from, peer_name) : 1;
}

/* The peer has ended once its name is free (10 s at most). */
static int wait_gone(void)
{
	for (uint64_t ms = 0; ms < 10000; ms++) {
		if (exo_lookup(peer_name) == -EXO_ENOENT)
			return 0;
		exo_doorbell_wait(MS);
	}
	return fail("%s still runs after 10 s", peer_name);
}

/* The frame still holds what this guest wrote; then give it back. */
static int intact_and_release(void)
{
	volatile uint64_t *w = exo_frame_ptr(frame);
	uint64_t bad;
	if (w[0] != pattern(0) || w[LAST] != pattern(LAST))
		return fail("frame %lu changed: 0x%lx ... 0x%lx", (unsigned long)frame,
			    (unsigned long)w[0], (unsigned long)w[LAST]);
	exo_printf("share: %s: frame %lu intact: 0x%lx ... 0x%lx\n", mode, (unsigned long)frame,
		   (unsigned long)w[0], (unsigned long)w[LAST]);
	int64_t rc = exo_frames_release(&frame, 1, &bad);
	return rc == 1 ? 0 : fail("release: %s", exo_strerror(rc));
}

static int ro(void)
{
	if (grant_and_ring(EXO_GRANT_RO) || wait_gone())
		return 1;
	exo_printf("share: ro: %s has ended\n", peer_name);
	return intact_and_release();
}

static int rw(void)
{
	uint64_t bad;
	if (grant_and_ring(EXO_GRANT_RW))
		return 1;
	volatile uint64_t *w = exo_frame_ptr(frame);
	if (w[1] != ~pattern(0))
		return fail("word 1 is 0x%lx, not the grantee's ~0x%lx", (unsigned long)w[1],
			    (unsigned long)pattern(0));
	exo_printf("share: rw: saw %s's write 0x%lx\n", peer_name, (unsigned long)w[1]);
	w[2] = pattern(2);
	int64_t rc = exo_doorbell_ring(peer);
	if (rc < 0)
		return fail("ring %s: %s", peer_name, exo_strerror(rc));
	if (wait_ring("the grantee's second answer") != peer)
		return 1;
	if (w[3] != ~pattern(2))
		return fail("word 3 is 0x%lx, not ~0x%lx", (unsigned long)w[3],
			    (unsigned long)pattern(2));
	exo_printf("share: rw: saw %s's second write 0x%lx\n", peer_name, (unsigned long)w[3]);
	rc = exo_grant(peer, &frame, 1, EXO_GRANT_REVOKE, &bad);
	if (rc < 0 && rc != -EXO_ENOENT) /* EXO_ENOENT: it ended, its grants with it */
		return fail("revoke: %s", exo_strerror(rc));
	rc = exo_frames_release(&frame, 1, &bad);
	if (rc != 1)
		return fail("release: %s", exo_strerror(rc));
	exo_printf("share: rw: revoked and released frame %lu\n", (unsigned long)frame);
	return 0;
}

static int revoke(void)
{
	uint64_t bad;
	if (grant_and_ring(EXO_GRANT_RO))
		return 1;
	/* The reader rang back just before its loop: let it read a while. */
	for (int i = 0; i < 20; i++)
		exo_doorbell_wait(MS);
	int64_t rc = exo_grant(peer, &frame, 1, EXO_GRANT_REVOKE, &bad);
	if (rc != 1)
		return fail("revoke while %s reads: %s", peer_name, exo_strerror(rc));
	exo_printf("share: revoke: revoked frame %lu while %s read it\n", (unsigned long)frame,
		   peer_name);
	if (wait_gone())
		return 1;
	exo_printf("share: revoke: %s has ended\n", peer_name);
	return intact_and_release();
}

static int crash(void)
{
	if (grant_and_ring(EXO_GRANT_RO))
		return 1;
	for (int i = 0; i < 20; i++)
		exo_doorbell_wait(MS);
	exo_printf("share: crash: ending with ud2 while %s reads frame %lu\n", peer_name,
		   (unsigned long)frame);
	__asm__ volatile("ud2");
	return fail("ud2 returned");
}

/* --- the grantee --- */

/* Wait for the grantor's ring and find the frame: the lowest granted. */
static uint64_t granted_frame(uint32_t *grantor, int rw)
{
	if (setup() || !(*grantor = wait_ring("the grantor's ring")))
		return EXO_FRAME_NONE;
	const struct exo_page *p = exo_page();
	uint64_t f = exo_granted_next(0, 0);
	if (f == EXO_FRAME_NONE) {
		fail("rung by guest %u, but the exo page shows no grant", *grantor);
		return f;
	}
	if (exo_granted_rw(f) != rw || exo_owns(f) || p->frames_granted != 1) {
		fail("frame %lu: read-write %d, owned %d, frames_granted %lu", (unsigned long)f,
		     exo_granted_rw(f), exo_owns(f), (unsigned long)p->frames_granted);
		return EXO_FRAME_NONE;
	}
	volatile uint64_t *w = exo_frame_ptr(f);
	exo_printf("share: %s: frame %lu granted %s by guest %u, first word 0x%lx, last 0x%lx\n",
		   mode, (unsigned long)f, rw ? "read-write" : "read-only", *grantor,
		   (unsigned long)w[0], (unsigned long)w[LAST]);
	return f;
}

static int ring_back(uint32_t grantor)
{
	int64_t rc = exo_doorbell_ring(grantor);
	return rc < 0 ? fail("ring guest %u: %s", grantor, exo_strerror(rc)) : 0;
}

static int ro_user(void)
{
	uint32_t grantor;
	uint64_t f = granted_frame(&grantor, 0);
	if (f == EXO_FRAME_NONE || ring_back(grantor))
		return 1;
	exo_printf("share: ro-user: writing frame %lu at GPA 0x%lx\n", (unsigned long)f,
		   (unsigned long)(f << EXO_PAGE_SHIFT));
	*(volatile uint64_t *)exo_frame_ptr(f) = 0xbadbadbad;
	return fail("the write to read-only frame %lu went through", (unsigned long)f);
}

static int rw_user(void)
{
	uint32_t grantor;
	uint64_t f = granted_frame(&grantor, 1);
	if (f == EXO_FRAME_NONE)
		return 1;
	volatile uint64_t *w = exo_frame_ptr(f);
	w[1] = ~w[0];
	exo_printf("share: rw-user: wrote 0x%lx\n", (unsigned long)w[1]);
	if (ring_back(grantor) || wait_ring("the grantor's second ring") != grantor)
		return 1;
	w[3] = ~w[2];
	exo_printf("share: rw-user: saw the grantor's write 0x%lx, wrote 0x%lx\n",
		   (unsigned long)w[2], (unsigned long)w[3]);
	return ring_back(grantor); /* after this the frame may go: not touched */
}

/* TSC ticks in 10 s, or 0 if the host did not say the TSC's rate. */
static uint64_t ten_seconds(void)
{
	return exo_page()->tsc_khz * 10000;
}

static int reader(void)
{
	uint32_t grantor;
	uint64_t f = granted_frame(&grantor, 0);
	if (f == EXO_FRAME_NONE)
		return 1;
	volatile uint64_t *w = exo_frame_ptr(f);
	uint64_t v = w[0], limit = ten_seconds(), start = exo_rdtsc();
	exo_printf("share: reader: reading frame %lu at GPA 0x%lx until it goes\n",
		   (unsigned long)f, (unsigned long)(f << EXO_PAGE_SHIFT));
	if (ring_back(grantor))
		return 1;
	/* Revocation ends this guest at one of these reads. */
	for (uint64_t n = 1;; n++) {
		if (w[0] != v)
			return fail("frame %lu changed under the reader: 0x%lx", (unsigned long)f,
				    (unsigned long)w[0]);
		if (n % 4096 == 0 && (limit ? exo_rdtsc() - start > limit : n > (1u << 24)))
			return fail("still reading frame %lu after 10 s", (unsigned long)f);
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(void);
		int peer;
	} modes[] = {
		{ "ro", ro, 1 },         { "ro-user", ro_user, 0 },
		{ "rw", rw, 1 },         { "rw-user", rw_user, 0 },
		{ "revoke", revoke, 1 }, { "reader", reader, 0 },
		{ "crash", crash, 1 },
	};
	mode = argc > 1 ? argv[1] : "";
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(mode, modes[i].name) && argc == 2 + modes[i].peer) {
			peer_name = modes[i].peer ? argv[2] : 0;
			return modes[i].run();
		}
	exo_printf("share: usage: share ro|rw|revoke|crash PEER, or share ro-user|rw-user|reader\n");
	return 1;
}
