/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/pair: two guests play ping-pong in a frame one of
 * them shares, woken by each other's doorbells. The kvm and metal tests
 * both run it.
 *
 *   pair pong                 answer rings until told it is done
 *   pair ping PEER [ROUNDS]   ROUNDS round trips (default 10) with PEER
 *
 * ping looks PEER up by name (it may not have started yet), allocates a
 * frame, writes a header {turn 0, rounds, done 0} into it and grants it
 * read-write to PEER. Round i: ping sets turn = 2i-1 and rings PEER; PEER
 * sets turn = 2i and rings back. At the end ping sets done = 1, rings, and
 * waits for PEER's acknowledgement before it revokes the grant (or PEER
 * could touch a revoked frame). pong finds the frame through its exo
 * page's grant bitmaps. Each prints one line at the end:
 *
 *   pair: ping: N round trips with PEER
 *   pair: pong: answered N rings           (N: the rounds; the done ring
 *                                           is acknowledged, not counted)
 *
 * and exits 0; on any failure a one-line reason "pair: ROLE: ..." and
 * status 1. Interrupts stay off: rings are taken in exo_doorbell_wait.
 */
#include "exo/exo.h"

#define VECTOR 0x40
#define MS 1000000ull
#define TIMEOUT (10000 * MS)

struct header {
	volatile uint64_t turn, rounds, done;
};

static const char *role;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	exo_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	exo_printf("pair: %s: %s\n", role, buf);
	return 1;
}

/* --- ping --- */

static uint32_t peer;
static volatile uint64_t peer_rings;

static void ping_rung(uint32_t from)
{
	if (from == peer)
		peer_rings++;
}

/* Wait for the next ring from the peer: one ring answers each of ours. */
static int ping_wait(const char *peer_name, const char *what)
{
	uint64_t seen = peer_rings;
	while (peer_rings == seen) {
		int64_t rc = exo_doorbell_wait(TIMEOUT);
		if (rc < 0)
			return fail("waiting for %s: %s", peer_name, exo_strerror(rc));
		if (rc == 0)
			return fail("no ring from %s in 10 s (%s)", peer_name, what);
	}
	return 0;
}

/* The first ring may come before the peer has set its doorbell up
 * (EXO_ENOENT): retry for 10 s. */
static int64_t ring_first(void)
{
	int64_t rc;
	for (uint64_t ms = 0; (rc = exo_doorbell_ring(peer)) == -EXO_ENOENT && ms < 10000; ms++)
		exo_doorbell_wait(MS);
	return rc;
}

static int parse_count(const char *s, uint64_t *n)
{
	*n = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || *n > 100000000)
			return -1;
		*n = *n * 10 + (uint64_t)(*s - '0');
	}
	return *n ? 0 : -1;
}

static int ping(const char *peer_name, uint64_t rounds)
{
	static uint64_t frame;
	uint64_t bad;
	int64_t rc;

	if ((rc = exo_doorbell_setup(VECTOR, ping_rung)) < 0)
		return fail("doorbell setup: %s", exo_strerror(rc));
	if ((rc = exo_lookup_wait(peer_name, TIMEOUT)) < 0)
		return fail("no guest named %s: %s", peer_name, exo_strerror(rc));
	peer = (uint32_t)rc;
	if ((rc = exo_frames_alloc(&frame, 1, EXO_FA_ANY, &bad)) != 1)
		return fail("frame alloc: %s", exo_strerror(rc));
	struct header *h = exo_frame_ptr(frame);
	h->turn = 0;
	h->rounds = rounds;
	h->done = 0;
	if ((rc = exo_grant(peer, &frame, 1, EXO_GRANT_RW, &bad)) < 0)
		return fail("grant frame %lu to %s: %s", (unsigned long)frame, peer_name,
			    exo_strerror(rc));

	for (uint64_t i = 1; i <= rounds; i++) {
		h->turn = 2 * i - 1;
		rc = i == 1 ? ring_first() : exo_doorbell_ring(peer);
		if (rc < 0)
			return fail("ring %s: %s", peer_name, exo_strerror(rc));
		do {
			if (ping_wait(peer_name, "round trip"))
				return 1;
		} while (h->turn != 2 * i);
	}
	h->done = 1;
	if ((rc = exo_doorbell_ring(peer)) < 0)
		return fail("ring %s: %s", peer_name, exo_strerror(rc));
	if (ping_wait(peer_name, "acknowledgement of done"))
		return 1;

	/* The peer may have ended since its acknowledgement: then its grants
	 * are gone with it (EXO_ENOENT), and the release below is all. */
	rc = exo_grant(peer, &frame, 1, EXO_GRANT_REVOKE, &bad);
	if (rc < 0 && rc != -EXO_ENOENT)
		return fail("revoke frame %lu from %s: %s", (unsigned long)frame, peer_name,
			    exo_strerror(rc));
	if ((rc = exo_frames_release(&frame, 1, &bad)) != 1)
		return fail("frame release: %s", exo_strerror(rc));
	exo_printf("pair: ping: %lu round trips with %s\n", (unsigned long)rounds, peer_name);
	return 0;
}

/* --- pong --- */

static uint64_t rung[EXO_GUESTS_MAX / 64]; /* who rang since the last look */

static void pong_rung(uint32_t from)
{
	rung[from / 64] |= 1ull << (from % 64);
}

static uint64_t answered;

/* Answer guest x's ring: 1 when told it is done, 0 to go on, -1 failed. */
static int answer(uint32_t x)
{
	uint64_t f = exo_granted_next(0, 1);
	if (f == EXO_FRAME_NONE)
		return fail("ring from guest %u, but no frame is granted read-write", x), -1;
	struct header *h = exo_frame_ptr(f);
	int done = h->done == 1;
	if (!done && !(h->turn & 1))
		return 0; /* not our turn: nothing to answer */
	if (!done)
		h->turn = h->turn + 1;
	/* After this ring the grantor may revoke f: not touched again. */
	int64_t rc = exo_doorbell_ring(x);
	if (rc < 0)
		return fail("ring guest %u back: %s", x, exo_strerror(rc)), -1;
	if (done)
		return 1;
	answered++;
	return 0;
}

static int pong(void)
{
	int64_t rc;
	if ((rc = exo_doorbell_setup(VECTOR, pong_rung)) < 0)
		return fail("doorbell setup: %s", exo_strerror(rc));
	for (;;) {
		rc = exo_doorbell_wait(TIMEOUT);
		if (rc < 0)
			return fail("wait: %s", exo_strerror(rc));
		if (rc == 0)
			return fail("no ring in 10 s (answered %lu)", (unsigned long)answered);
		for (uint32_t w = 0; w < EXO_GUESTS_MAX / 64; w++)
			for (; rung[w]; rung[w] &= rung[w] - 1) {
				int a = answer(w * 64 + (uint32_t)__builtin_ctzll(rung[w]));
				if (a < 0)
					return 1;
				if (a > 0) {
					exo_printf("pair: pong: answered %lu rings\n",
						   (unsigned long)answered);
					return 0;
				}
			}
	}
}

int main(int argc, char **argv)
{
	role = argc > 1 ? argv[1] : "?";
	if (argc == 2 && !strcmp(argv[1], "pong"))
		return pong();
	uint64_t rounds = 10;
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "ping")) {
		if (argc == 4 && parse_count(argv[3], &rounds) < 0)
			return fail("ROUNDS must be a positive number, not '%s'", argv[3]);
		return ping(argv[2], rounds);
	}
	role = "usage";
	return fail("pair pong | pair ping PEER [ROUNDS]");
}
