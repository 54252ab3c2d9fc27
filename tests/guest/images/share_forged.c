/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/share_forged: every bad input to EXO_HC_GRANT,
 * EXO_HC_LOOKUP and EXO_HC_DOORBELL, made beside a running peer. Each call
 * must fail with the error the ABI names, and both guests go on.
 *
 *   share_forged forge PEER  make the bad calls; PEER runs `share_forged target`
 *   share_forged target      be granted a frame, try to pass it on and to use
 *                            it as hypercall memory, then wait to be rung again
 *
 * The two first shake hands (a read-only grant and a ring each way), so
 * the target's doorbell is set up before the calls that need one. Prints
 * "WHAT: CODE" (and ", bad_index N" where the call has one) per call for
 * the harness to compare, then "share_forged: still running, owning N
 * frames (as before: yes)"; exit status 0, or 1 if the protocol itself
 * failed.
 */
#include "exo/exo.h"

#define VECTOR 0x42
#define MS 1000000ull
#define TIMEOUT (10000 * MS)

static void show(const char *what, int64_t rc)
{
	exo_printf("%s: %s\n", what, rc < 0 ? exo_strerror(rc) : "accepted");
}

/* rc is the call's result: computed before bad is passed, which the call
 * sets (an argument list has no order of evaluation). */
static void show_bad(const char *what, int64_t rc, uint64_t bad)
{
	exo_printf("%s: %s, bad_index %lu\n", what, rc < 0 ? exo_strerror(rc) : "accepted",
		   (unsigned long)bad);
}

static int fail(const char *why, int64_t rc)
{
	exo_printf("share_forged: FAIL %s: %s\n", why, rc < 0 ? exo_strerror(rc) : "no");
	return 1;
}

static volatile uint32_t last_ringer;
static volatile uint64_t rings;

static void rung(uint32_t from)
{
	last_ringer = from;
	rings++;
}

/* The next ring's sender, or 0 after 10 s. */
static uint32_t wait_ring(void)
{
	uint64_t seen = rings;
	while (rings == seen)
		if (exo_doorbell_wait(TIMEOUT) <= 0)
			return 0;
	return last_ringer;
}

/* The first frame this guest neither owns nor was granted. */
static uint64_t unowned_frame(void)
{
	uint64_t f = 0;
	while (exo_owns(f) || exo_granted(f))
		f++;
	return f;
}

static int target(void)
{
	int64_t rc;
	uint64_t bad;
	if ((rc = exo_doorbell_setup(VECTOR, rung)) < 0)
		return fail("doorbell setup", rc);
	uint32_t x = wait_ring();
	if (!x)
		return fail("no ring in 10 s", 0);
	static uint64_t f;
	f = exo_granted_next(0, 0);
	exo_printf("share_forged: target: rung by guest %u; granted frame %lu %s, %lu in all\n", x,
		   (unsigned long)f, exo_granted_rw(f) ? "read-write" : "read-only",
		   (unsigned long)exo_page()->frames_granted);

	rc = exo_grant(x, &f, 1, EXO_GRANT_RO, &bad);
	show_bad("target: grant a frame granted to it", rc, bad);
	struct exo_hc_console c = { .buf_gpa = f << EXO_PAGE_SHIFT, .len = 8 };
	show("target: console buffer in a granted frame", exo_hypercall(EXO_HC_CONSOLE, &c));
	show("target: info block in a granted frame",
	     exo_hypercall_gpa(EXO_HC_INFO, f << EXO_PAGE_SHIFT));

	if ((rc = exo_doorbell_ring(x)) < 0)
		return fail("ring back", rc);
	if (!(x = wait_ring()))
		return fail("no second ring in 10 s", 0);
	f = exo_granted_next(0, 0);
	exo_printf("share_forged: target: rung again by guest %u; granted frame %lu, %lu in all\n",
		   x, (unsigned long)f, (unsigned long)exo_page()->frames_granted);
	rc = exo_doorbell_ring(x); /* the grantor may end now */
	return rc < 0 ? fail("second ring back", rc) : 0;
}

static int forger(const char *peer_name)
{
	const struct exo_page *p = exo_page();
	static uint64_t v[EXO_FRAMES_MAX + 1], frames[2];
	uint64_t bad;
	int64_t rc;
	uint32_t me = exo_guest_id();

	if ((rc = exo_doorbell_setup(VECTOR, rung)) < 0)
		return fail("doorbell setup", rc);
	if ((rc = exo_lookup_wait(peer_name, TIMEOUT)) < 0)
		return fail("lookup of the peer", rc);
	uint32_t peer = (uint32_t)rc;
	if ((rc = exo_frames_alloc(frames, 2, EXO_FA_ANY, &bad)) != 2)
		return fail("frame alloc", rc);
	uint64_t a = frames[0], b = frames[1], owned = p->frames_owned;
	exo_printf("share_forged: guest %u (%s) owns frames %lu and %lu; the peer is guest %u\n", me,
		   exo_name(), (unsigned long)a, (unsigned long)b, peer);

	/* The handshake: the target's doorbell is up once it answers. */
	if ((rc = exo_grant(peer, &a, 1, EXO_GRANT_RO, &bad)) != 1)
		return fail("grant for the handshake", rc);
	for (int ms = 0; (rc = exo_doorbell_ring(peer)) == -EXO_ENOENT && ms < 10000; ms++)
		exo_doorbell_wait(MS);
	if (rc < 0)
		return fail("ring for the handshake", rc);
	if (wait_ring() != peer)
		return fail("no answer to the handshake", 0);
	if ((rc = exo_grant(peer, &a, 1, EXO_GRANT_REVOKE, &bad)) != 1)
		return fail("revoke after the handshake", rc);

	uint64_t foreign = unowned_frame(), foreign_gpa = foreign << EXO_PAGE_SHIFT;

	/* Grants. */
	v[0] = a, v[1] = foreign;
	rc = exo_grant(peer, v, 2, EXO_GRANT_RO, &bad);
	show_bad("grant a frame it does not own", rc, bad);
	rc = exo_grant(peer, &a, 1, EXO_GRANT_REVOKE, &bad);
	show_bad("revoke the frame that failed grant left", rc, bad);
	v[1] = p->pool_frames;
	rc = exo_grant(peer, v, 2, EXO_GRANT_RO, &bad);
	show_bad("grant a frame beyond the pool", rc, bad);
	v[1] = a;
	rc = exo_grant(peer, v, 2, EXO_GRANT_RW, &bad);
	show_bad("grant a frame named twice", rc, bad);
	rc = exo_grant(peer, &b, 1, EXO_GRANT_REVOKE, &bad);
	show_bad("revoke a grant never made", rc, bad);
	rc = exo_grant(me, &a, 1, EXO_GRANT_RO, &bad);
	show_bad("grant to itself", rc, bad);
	rc = exo_grant(EXO_GUESTS_MAX - 1, &a, 1, EXO_GRANT_RO, &bad);
	show_bad("grant to an unknown guest", rc, bad);
	rc = exo_grant(0, &a, 1, EXO_GRANT_RO, &bad);
	show_bad("grant to guest 0", rc, bad);
	rc = exo_grant(100000, &a, 1, EXO_GRANT_RO, &bad);
	show_bad("grant to guest 100000", rc, bad);
	rc = exo_grant(peer, &a, 1, 3, &bad);
	show_bad("grant with op 3", rc, bad);
	show("grant of 513 frames", exo_grant(peer, v, EXO_FRAMES_MAX + 1, EXO_GRANT_RO, &bad));
	struct exo_hc_grant g = { .vec_gpa = exo_gpa(&a), .count = 1, .grantee = peer, .reserved = 1 };
	show("grant with reserved set", exo_hypercall(EXO_HC_GRANT, &g));
	g = (struct exo_hc_grant){ .vec_gpa = foreign_gpa, .count = 1, .grantee = peer };
	show("grant vector at a foreign GPA", exo_hypercall(EXO_HC_GRANT, &g));
	g.vec_gpa = p->exo_page_gpa;
	show("grant vector in the exo page", exo_hypercall(EXO_HC_GRANT, &g));
	show("grant block at a foreign GPA", exo_hypercall_gpa(EXO_HC_GRANT, foreign_gpa));

	/* Lookups. */
	show("lookup of an unknown name", exo_lookup("no-such-guest"));
	static char name[EXO_NAME_MAX + 1] = "abcdefghijklmnopqrstuvwxyz0123456";
	struct exo_hc_lookup l = { .name_gpa = exo_gpa(name), .len = 0 };
	show("lookup of an empty name", exo_hypercall(EXO_HC_LOOKUP, &l));
	l.len = EXO_NAME_MAX + 1;
	show("lookup of a 33-byte name", exo_hypercall(EXO_HC_LOOKUP, &l));
	l = (struct exo_hc_lookup){ .name_gpa = foreign_gpa, .len = 4 };
	show("lookup name at a foreign GPA", exo_hypercall(EXO_HC_LOOKUP, &l));
	show("lookup block at a foreign GPA", exo_hypercall_gpa(EXO_HC_LOOKUP, foreign_gpa));
	rc = exo_lookup(exo_name());
	exo_printf("lookup of its own name: %s\n", rc == me ? "its id" : exo_strerror(rc));

	/* Doorbells. */
	show("ring a guest that shares no frame", exo_doorbell_ring(peer));
	show("ring itself", exo_doorbell_ring(me));
	show("ring an unknown guest", exo_doorbell_ring(EXO_GUESTS_MAX - 1));
	show("ring guest 0", exo_doorbell_ring(0));
	struct exo_hc_doorbell d = { .op = EXO_DB_SETUP, .vector = 31,
				     .pending_gpa = a << EXO_PAGE_SHIFT };
	show("doorbell on vector 31", exo_hypercall(EXO_HC_DOORBELL, &d));
	d.vector = 256;
	show("doorbell on vector 256", exo_hypercall(EXO_HC_DOORBELL, &d));
	d.vector = VECTOR;
	d.pending_gpa = (a << EXO_PAGE_SHIFT) + 4;
	show("pending set not 8-byte aligned", exo_hypercall(EXO_HC_DOORBELL, &d));
	d.pending_gpa = (a << EXO_PAGE_SHIFT) + EXO_PAGE_SIZE - 8;
	show("pending set across two frames", exo_hypercall(EXO_HC_DOORBELL, &d));
	d.pending_gpa = foreign_gpa;
	show("pending set at a foreign GPA", exo_hypercall(EXO_HC_DOORBELL, &d));
	d.pending_gpa = p->exo_page_gpa;
	show("pending set in the exo page", exo_hypercall(EXO_HC_DOORBELL, &d));
	d = (struct exo_hc_doorbell){ .op = 3 };
	show("doorbell op 3", exo_hypercall(EXO_HC_DOORBELL, &d));
	d = (struct exo_hc_doorbell){ .op = EXO_DB_WAIT, .reserved = 1 };
	show("doorbell with reserved set", exo_hypercall(EXO_HC_DOORBELL, &d));
	show("doorbell block at a foreign GPA", exo_hypercall_gpa(EXO_HC_DOORBELL, foreign_gpa));
	exo_printf("wait with no ring and timeout 0: %ld\n", (long)exo_doorbell_wait(0));

	/* Releasing a granted frame revokes the grant: the revocation after
	 * it finds no frame of this guest's. */
	if ((rc = exo_grant(peer, &a, 1, EXO_GRANT_RW, &bad)) != 1)
		return fail("grant before release", rc);
	if ((rc = exo_frames_release(&a, 1, &bad)) != 1)
		return fail("release of a granted frame", rc);
	rc = exo_grant(peer, &a, 1, EXO_GRANT_REVOKE, &bad);
	show_bad("revoke a grant of a released frame", rc, bad);

	/* The peer goes on: granted b, rung, it says what it sees and
	 * answers; b stays granted until then. */
	if ((rc = exo_grant(peer, &b, 1, EXO_GRANT_RO, &bad)) != 1 ||
	    (rc = exo_doorbell_ring(peer)) < 0)
		return fail("grant and ring to end", rc);
	if (wait_ring() != peer)
		return fail("no answer to the last ring", 0);
	exo_printf("share_forged: still running, owning %lu frames (as before: %s)\n",
		   (unsigned long)p->frames_owned, p->frames_owned == owned - 1 ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "target"))
		return target();
	if (argc == 3 && !strcmp(argv[1], "forge"))
		return forger(argv[2]);
	exo_printf("share_forged: usage: share_forged forge PEER | share_forged target\n");
	return 1;
}
