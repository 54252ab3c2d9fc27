/* SPDX-License-Identifier: MIT */
/*
 * apps/guests/pingpong.c: round trips between two guests, timed by one of
 * them with the TSC: what apps/guests/bench.sh compares with a Linux pipe
 * ping-pong (pipe_linux.c).
 *
 * ping looks PEER up, allocates two frames, a request frame R and a data
 * frame D, and grants R read-write to PEER for the whole run. A request is
 * {op, seq} written into R and a ring of PEER's doorbell; PEER answers by
 * writing ack = seq into R and ringing back. Interrupts stay off on both
 * sides: rings are taken in exo_doorbell_wait. ping times, ROUNDS times
 * each:
 *
 *   bare hypercall             EXO_DB_WAIT of 0 ns by exo_hypercall_gpa on
 *                              a block made once: one `out`, one exit to
 *                              hv and back, the floor under every row
 *   hypercall that does not block
 *                              exo_doorbell_wait(0): the same call through
 *                              guestlib, whose instructions ring 0 may
 *                              emulate
 *   doorbell round trip        request OP_RING, wait for the answer
 *   grant round trip           grant D read-write, request OP_GRANT (PEER
 *                              finds D granted and writes seq into it),
 *                              wait for the answer, check D, revoke D
 *   grant+revoke of one frame  grant D read-write, revoke it: no PEER
 *
 * after one untimed round trip (PEER may not have set its doorbell up
 * yet), then sends OP_DONE, waits for its answer (only then may R go: PEER
 * could still touch it) and prints, per row,
 *
 *   pingpong: ROW: median N ns, min N ns, max N ns (ROUNDS rounds)
 *
 * Guest ring 0 may be emulated by the host (HOST-FACTS.md: ~0.6 us an
 * instruction), so the loops between hypercalls are kept short, and the
 * two hypercall rows say how much of a call is the exit and hv and how
 * much the guest's own instructions.
 */
#include "exo/exo.h"

#include "pingpong.h"

#define VECTOR 0x40
#define MS 1000000ull
#define TIMEOUT (10000 * MS)

enum { OP_RING = 1, OP_GRANT, OP_DONE };

/* The request frame, R. */
struct request {
	volatile uint64_t op, seq, frame, ack;
};

static const char *role = "ping";

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	exo_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	exo_printf("pingpong: %s: %s\n", role, buf);
	return 1;
}

/* --- ping --- */

static uint32_t peer;
static const char *peer_name;
static struct request *req;
static uint64_t seq;
static uint64_t cycles[PINGPONG_ROUNDS_MAX];

/* Send a request and wait until PEER has answered it. The first ring may
 * find PEER's doorbell not set up yet (EXO_ENOENT): retried for 10 s. */
static int request(uint64_t op, int first)
{
	int64_t rc;
	req->op = op;
	req->seq = ++seq;
	rc = exo_doorbell_ring(peer);
	for (uint64_t ms = 0; first && rc == -EXO_ENOENT && ms < 10000; ms++) {
		exo_doorbell_wait(MS);
		rc = exo_doorbell_ring(peer);
	}
	if (rc < 0)
		return fail("ring %s: %s", peer_name, exo_strerror(rc));
	while (req->ack != seq) {
		rc = exo_doorbell_wait(TIMEOUT);
		if (rc < 0)
			return fail("waiting for %s: %s", peer_name, exo_strerror(rc));
		if (rc == 0)
			return fail("no answer from %s in 10 s (request %lu)", peer_name,
				    (unsigned long)seq);
	}
	return 0;
}

static int grant(uint64_t *frame, uint32_t op)
{
	uint64_t bad;
	int64_t rc = exo_grant(peer, frame, 1, op, &bad);
	if (rc < 0)
		return fail("%s frame %lu %s %s: %s", op == EXO_GRANT_REVOKE ? "revoke" : "grant",
			    (unsigned long)*frame, op == EXO_GRANT_REVOKE ? "from" : "to",
			    peer_name, exo_strerror(rc));
	return 0;
}

static void report(const char *row, uint64_t n)
{
	/* Insertion sort: n is small, and ring 0 may be emulated. */
	for (uint64_t i = 1; i < n; i++) {
		uint64_t v = cycles[i], j = i;
		for (; j > 0 && cycles[j - 1] > v; j--)
			cycles[j] = cycles[j - 1];
		cycles[j] = v;
	}
	uint64_t khz = exo_page()->tsc_khz;
	uint64_t med = n % 2 ? cycles[n / 2] : (cycles[n / 2 - 1] + cycles[n / 2]) / 2;
	exo_printf("pingpong: %s: median %lu ns, min %lu ns, max %lu ns (%lu rounds)\n", row,
		   (unsigned long)(med * 1000000 / khz), (unsigned long)(cycles[0] * 1000000 / khz),
		   (unsigned long)(cycles[n - 1] * 1000000 / khz), (unsigned long)n);
}

static int parse_rounds(const char *s, uint64_t *n)
{
	*n = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || *n > PINGPONG_ROUNDS_MAX)
			return fail("ROUNDS must be 1..%u, not '%s'", PINGPONG_ROUNDS_MAX, s);
		*n = *n * 10 + (uint64_t)(*p - '0');
	}
	if (*n == 0 || *n > PINGPONG_ROUNDS_MAX)
		return fail("ROUNDS must be 1..%u, not '%s'", PINGPONG_ROUNDS_MAX, s);
	return 0;
}

int pingpong_ping(const char *name, const char *rounds_arg)
{
	static uint64_t frames[2]; /* R, D: a vector hv reads, in the image */
	uint64_t rounds, bad, t;
	int64_t rc;

	peer_name = name;
	if (parse_rounds(rounds_arg, &rounds))
		return 1;
	if (!exo_page()->tsc_khz)
		return fail("the host does not say the TSC rate: nothing to time with");
	if ((rc = exo_doorbell_setup(VECTOR, NULL)) < 0)
		return fail("doorbell setup: %s", exo_strerror(rc));
	if ((rc = exo_lookup_wait(name, TIMEOUT)) < 0)
		return fail("no guest named %s: %s", name, exo_strerror(rc));
	peer = (uint32_t)rc;
	if ((rc = exo_frames_alloc(frames, 2, EXO_FA_ANY, &bad)) != 2)
		return fail("allocating two frames: %s", exo_strerror(rc));
	req = exo_frame_ptr(frames[0]);
	*req = (struct request){ 0 };
	if (grant(&frames[0], EXO_GRANT_RW) || request(OP_RING, 1))
		return 1;

	static struct exo_hc_doorbell poll = { .op = EXO_DB_WAIT, .timeout_ns = 0 };
	uint64_t poll_gpa = exo_gpa(&poll);
	for (uint64_t i = 0; i < rounds; i++) {
		t = exo_rdtsc();
		if ((rc = exo_hypercall_gpa(EXO_HC_DOORBELL, poll_gpa)) < 0)
			return fail("bare wait 0 ns: %s", exo_strerror(rc));
		cycles[i] = exo_rdtsc() - t;
	}
	report("bare hypercall (EXO_DB_WAIT, 0 ns, one out)", rounds);
	exo_doorbell_poll(); /* a ring the bare calls reported is not lost */

	for (uint64_t i = 0; i < rounds; i++) {
		t = exo_rdtsc();
		if ((rc = exo_doorbell_wait(0)) < 0)
			return fail("wait 0 ns: %s", exo_strerror(rc));
		cycles[i] = exo_rdtsc() - t;
	}
	report("hypercall that does not block (EXO_DB_WAIT, 0 ns)", rounds);

	for (uint64_t i = 0; i < rounds; i++) {
		t = exo_rdtsc();
		if (request(OP_RING, 0))
			return 1;
		cycles[i] = exo_rdtsc() - t;
	}
	report("doorbell round trip", rounds);

	volatile uint64_t *data = exo_frame_ptr(frames[1]);
	req->frame = frames[1];
	for (uint64_t i = 0; i < rounds; i++) {
		t = exo_rdtsc();
		if (grant(&frames[1], EXO_GRANT_RW) || request(OP_GRANT, 0))
			return 1;
		if (*data != seq)
			return fail("%s answered but frame %lu holds %lu, not %lu", name,
				    (unsigned long)frames[1], (unsigned long)*data,
				    (unsigned long)seq);
		if (grant(&frames[1], EXO_GRANT_REVOKE))
			return 1;
		cycles[i] = exo_rdtsc() - t;
	}
	report("grant round trip", rounds);

	for (uint64_t i = 0; i < rounds; i++) {
		t = exo_rdtsc();
		if (grant(&frames[1], EXO_GRANT_RW) || grant(&frames[1], EXO_GRANT_REVOKE))
			return 1;
		cycles[i] = exo_rdtsc() - t;
	}
	report("grant+revoke of one frame", rounds);

	if (request(OP_DONE, 0))
		return 1;
	/* PEER may have ended since its answer: its grants went with it. */
	rc = exo_grant(peer, &frames[0], 1, EXO_GRANT_REVOKE, &bad);
	if (rc < 0 && rc != -EXO_ENOENT)
		return fail("revoke frame %lu from %s: %s", (unsigned long)frames[0], name,
			    exo_strerror(rc));
	if ((rc = exo_frames_release(frames, 2, &bad)) != 2)
		return fail("releasing two frames: %s", exo_strerror(rc));
	return 0;
}

/* --- pong --- */

static volatile uint32_t ringer;

static void rung(uint32_t from)
{
	ringer = from;
}

int pingpong_pong(void)
{
	struct request *r = NULL;
	uint64_t last = 0, answered = 0;
	int64_t rc;

	role = "pong";
	if ((rc = exo_doorbell_setup(VECTOR, rung)) < 0)
		return fail("doorbell setup: %s", exo_strerror(rc));
	for (;;) {
		rc = exo_doorbell_wait(TIMEOUT);
		if (rc < 0)
			return fail("wait: %s", exo_strerror(rc));
		if (rc == 0)
			return fail("no request in 10 s (answered %lu)", (unsigned long)answered);
		if (!r) {
			/* The first ring: R is the one frame granted to us. */
			uint64_t f = exo_granted_next(0, 1);
			if (f == EXO_FRAME_NONE)
				return fail("guest %u rang, but no frame is granted read-write",
					    ringer);
			r = exo_frame_ptr(f);
		}
		if (r->seq == last)
			continue; /* a ring already answered */
		last = r->seq;
		uint64_t op = r->op;
		if (op == OP_GRANT) {
			if (!exo_granted_rw(r->frame))
				return fail("request %lu: frame %lu is not granted read-write",
					    (unsigned long)last, (unsigned long)r->frame);
			*(volatile uint64_t *)exo_frame_ptr(r->frame) = last;
		} else if (op != OP_RING && op != OP_DONE) {
			return fail("request %lu: unknown op %lu", (unsigned long)last,
				    (unsigned long)op);
		}
		r->ack = last;
		/* After this ring the grantor may revoke what it granted: neither
		 * frame is touched again before the next request. */
		if ((rc = exo_doorbell_ring(ringer)) < 0)
			return fail("ring guest %u back: %s", ringer, exo_strerror(rc));
		if (op == OP_DONE) {
			exo_printf("pingpong: pong: answered %lu requests\n", (unsigned long)answered);
			return 0;
		}
		answered++;
	}
}
