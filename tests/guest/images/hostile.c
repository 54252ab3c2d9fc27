/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/hostile: a hostile guest checked against a model of
 * the ABI.
 *
 * `hostile SEED CALLS [PEER]`: from a PRNG seeded with SEED, makes CALLS
 * random and forged hypercalls (every port of hv's span, blocks, vectors,
 * buffers and pending sets at forged GPAs, forged frame numbers, grants
 * and rings to itself, to unknown ids and to the guest named PEER,
 * forwarded calls with bad pointers) and checks each result against what
 * include/exo/abi.h says it must be, computed here from the guest's own
 * model of what it owns (a bitmap kept by this file, not read from hv).
 * Where the ABI leaves a choice to hv or to other guests (an allocation may
 * find the pool short, a frame not ours may be free or another's, the peer
 * may have ended) the model accepts each allowed answer. Calls that would
 * end the guest (a good EXIT, FAULT or EXIT_PROCESS block) or print (a
 * good CONSOLE or NOTICE) are always made with something wrong in them.
 * Every 128 calls and at the end the guest checks its view: the exo page's
 * count and ownership bitmap equal the model, and every frame it allocated
 * still holds what it wrote. It prints one line, "hostile: SEED calls N,
 * model mismatches M, ...", and a second naming the first mismatch if
 * there was one; exit status 0 when M is 0, else 1 (2 for bad arguments).
 */
#include "exo/exo.h"

#define POOL_MAX (1u << 18) /* frames the model can track */
#define EXTRA_MAX 48        /* frames allocated at once, at most */
#define VEC_MAX 12          /* entries written into a forged vector */
#define PG EXO_PAGE_SIZE

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}
static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* --- the model: what this guest owns, has granted, has seen --- */

static uint64_t own[POOL_MAX / 64];
static uint64_t nowned, pool, pool_bytes;
static uint64_t extra[EXTRA_MAX]; /* frames this guest allocated */
static uint8_t granted_peer[EXTRA_MAX]; /* extra[i] granted to the peer */
static unsigned nextra;
static uint64_t seed;
static uint32_t self_id, peer_id;
static int peer_gone;
static const struct exo_page *xp;

/* Blocks go in pages 0-1 (a block may straddle their boundary), vectors
 * and buffers in pages 2-3: hv's writes into one never land in another. */
static uint8_t scratch[4 * PG] __attribute__((aligned(PG)));
static uint64_t canary[PG / 8] __attribute__((aligned(PG)));
static char longpath[EXO_FWD_PATH_MAX + 64];
static uint64_t db_pending[EXO_GUESTS_MAX / 64] __attribute__((aligned(64)));

static unsigned long calls, mismatches, moved_in, moved_out, grants_made, forwarded;
static char first[256];

static int owned(uint64_t f)
{
	return f < pool && (own[f / 64] >> (f % 64)) & 1;
}
static void set_owned(uint64_t f, int on)
{
	if (on)
		own[f / 64] |= 1ull << (f % 64);
	else
		own[f / 64] &= ~(1ull << (f % 64));
}
static int extra_index(uint64_t f)
{
	for (unsigned i = 0; i < nextra; i++)
		if (extra[i] == f)
			return (int)i;
	return -1;
}

/* hv_check_gpa as abi.h states it: no wrap, inside the pool, every frame
 * the guest's own; a zero-length range is still a pointer into a frame. */
static int gpa_ok(uint64_t gpa, uint64_t len)
{
	uint64_t end;
	if (__builtin_add_overflow(gpa, len, &end))
		return 0;
	if (len == 0) {
		if (gpa >= pool_bytes)
			return 0;
		end = gpa + 1;
	}
	if (end > pool_bytes)
		return 0;
	for (uint64_t f = gpa / PG; f <= (end - 1) / PG; f++)
		if (!owned(f))
			return 0;
	return 1;
}

static void *at(uint64_t gpa)
{
	return (void *)(uintptr_t)(EXO_PHYSMAP_BASE + gpa);
}

static uint64_t pattern(uint64_t f)
{
	return (f + 1) * 0x9e3779b97f4a7c15ull ^ seed;
}

static void mismatch(const char *what, int64_t got, int64_t want)
{
	if (!mismatches++)
		exo_snprintf(first, sizeof first, "call %lu: %s: got %ld, model says %ld",
			     (unsigned long)calls, what, (long)got, (long)want);
}

/* What a call may return: success with exactly val (any value >= 0 when
 * val is -1), if ok; else one of the errors in errs (bit n: -n). */
#define E(x) (1u << (x))
struct want {
	int ok;
	int64_t val;
	uint32_t errs;
};
static struct want fail(uint32_t errs)
{
	return (struct want){ 0, 0, errs };
}
static struct want succeed(int64_t val, uint32_t errs)
{
	return (struct want){ 1, val, errs };
}
static int check(const char *what, int64_t rc, struct want w)
{
	int good = rc >= 0 ? w.ok && (w.val < 0 || rc == w.val)
			   : -rc < 32 && (w.errs & E(-rc));
	if (!good) {
		int64_t expect = w.ok ? w.val : 0;
		for (int e = 0; !w.ok && e < 32; e++)
			if (w.errs & E(e)) {
				expect = -e;
				break;
			}
		mismatch(what, rc, expect);
	}
	return good;
}

/* --- forged addresses --- */

static uint64_t unowned_frame(void)
{
	uint64_t f;
	do
		f = below(pool);
	while (owned(f));
	return f;
}

/* A GPA for a range of len bytes, valid or not: in scratch (aligned or
 * not, across its pages), an unowned frame, past the pool, the exo page,
 * straddling the end of an owned frame into an unowned one, or (when
 * wide) wrapping the address space. The caller asks the model. */
static uint64_t pick_gpa(uint64_t len, unsigned region, int wide)
{
	uint64_t base = exo_gpa(scratch) + region * 2 * PG, room = 2 * PG;
	len = len > room ? room : len;
	switch (below(wide ? 10 : 9)) {
	case 0:
	case 1:
	case 2:
		return base + (below(room - len + 1) & ~7ull);
	case 3:
		return base + below(room - len + 1); /* unaligned */
	case 4:
		return unowned_frame() * PG + below(PG);
	case 5:
		return pool_bytes + below(16 * PG);
	case 6:
		return xp->exo_page_gpa + (below(2) ? 0 : xp->bitmap_gpa - xp->exo_page_gpa);
	case 7: { /* always crosses into the unowned frame */
		uint64_t f = nextra ? extra[below(nextra)] : exo_gpa(scratch) / PG + 3;
		while (owned(f + 1))
			f++;
		return len < 2 ? (f + 1) * PG : f * PG + PG - 1 - below(len - 1);
	}
	case 8:
		return base + PG - 8; /* across scratch's pages: owned */
	default:
		return UINT64_MAX - below(64);
	}
}

/* A GPA no byte of which the guest owns, for a forwarded call's pointer:
 * a path read there must fail at its first byte. */
static uint64_t pick_bad(void)
{
	switch (below(4)) {
	case 0:
		return pool_bytes + below(1ull << 40);
	case 1:
		return xp->exo_page_gpa;
	case 2:
		return UINT64_MAX - below(64);
	default:
		return unowned_frame() * PG + below(PG);
	}
}

/* A block GPA: the ABI carries 32 bits of it. */
static uint64_t block_gpa(uint64_t size)
{
	return (uint32_t)pick_gpa(size, 0, 0);
}

/* Put a block of size bytes at gpa if the guest owns it there. */
static void put(uint64_t gpa, const void *src, uint64_t size)
{
	if (gpa_ok(gpa, size))
		memcpy(at(gpa), src, size);
}

/* A frame number for a vector: ours (allocated or the image's), unowned,
 * past the pool, or a repeat of an earlier entry. */
static uint64_t pick_frame(const uint64_t *v, unsigned i, int image_ok)
{
	switch (below(8)) {
	case 0:
	case 1:
	case 2:
		if (nextra)
			return extra[below(nextra)];
		/* fall through */
	case 3:
		return unowned_frame();
	case 4:
		return i ? v[below(i)] : unowned_frame();
	case 5:
		return below(2) ? pool + below(1000) : UINT64_MAX - below(4);
	case 6:
		if (image_ok)
			return exo_gpa(scratch) / PG + below(4);
		/* fall through */
	default:
		return unowned_frame();
	}
}

/* A vector of n frames: half the time a clean one (distinct frames the
 * guest allocated when mine, else distinct frames not its own), with one
 * entry forged in half of those; otherwise each entry drawn by pick_frame. */
static void pick_vector(uint64_t *v, unsigned n, int mine, int image_ok)
{
	int clean = below(2) && (!mine || n <= nextra);
	for (unsigned i = 0; i < n; i++) {
		if (!clean) {
			v[i] = pick_frame(v, i, image_ok);
			continue;
		}
		int again;
		do {
			v[i] = mine ? extra[below(nextra)] : unowned_frame();
			again = 0;
			for (unsigned k = 0; k < i; k++)
				again |= v[k] == v[i];
		} while (again);
	}
	if (clean && n && below(2)) {
		unsigned i = (unsigned)below(n);
		v[i] = pick_frame(v, i, image_ok);
	}
}

static uint32_t pick_count(void)
{
	switch (below(10)) {
	case 0:
		return EXO_FRAMES_MAX + 1 + (uint32_t)below(1000);
	case 1:
		return UINT32_MAX - (uint32_t)below(4);
	case 2:
		return 0;
	default:
		return 1 + (uint32_t)below(VEC_MAX);
	}
}

/* --- the calls --- */

static void call_console(unsigned nr)
{
	struct exo_hc_console a;
	uint64_t max = nr == EXO_HC_CONSOLE ? EXO_CONSOLE_MAX : EXO_NOTICE_MAX;
	uint64_t bg = block_gpa(sizeof a);
	switch (below(4)) {
	case 0:
		a.len = 0;
		break;
	case 1:
		a.len = max + 1 + below(1 << 20);
		break;
	case 2:
		a.len = UINT64_MAX - below(16);
		break;
	default:
		a.len = 1 + below(max);
	}
	a.buf_gpa = pick_gpa(a.len, 1, 1);
	/* Nothing may print: a buffer the model would accept is moved past the pool. */
	if (a.len <= max && gpa_ok(a.buf_gpa, a.len))
		a.buf_gpa = pool_bytes + below(PG);
	put(bg, &a, sizeof a);
	struct want w = !gpa_ok(bg, sizeof a) ? fail(E(EXO_EFAULT))
			: a.len > max	      ? fail(E(EXO_E2BIG))
					      : fail(E(EXO_EFAULT));
	check(nr == EXO_HC_CONSOLE ? "console" : "notice", exo_hypercall_gpa(nr, bg), w);
}

/* EXIT and FAULT end the guest when their block is good: only bad ones. */
static void call_ending(unsigned nr, uint64_t size)
{
	uint64_t bg;
	do
		bg = block_gpa(size);
	while (gpa_ok(bg, size));
	check(nr == EXO_HC_EXIT ? "exit with a bad block" : "fault with a bad block",
	      exo_hypercall_gpa(nr, bg), fail(E(EXO_EFAULT)));
}

static void call_exit_process(void)
{
	struct exo_hc_exit_process a;
	uint64_t bg = block_gpa(sizeof a);
	switch (below(3)) {
	case 0:
		a = (struct exo_hc_exit_process){ 256 + (uint32_t)below(1u << 30), 0 };
		break;
	case 1:
		a = (struct exo_hc_exit_process){ 0, EXO_SIGNAL_MAX + 1 + (uint32_t)below(1000) };
		break;
	default:
		a = (struct exo_hc_exit_process){ 1 + (uint32_t)below(255),
						  1 + (uint32_t)below(EXO_SIGNAL_MAX) };
	}
	put(bg, &a, sizeof a);
	check("exit_process with bad arguments", exo_hypercall_gpa(EXO_HC_EXIT_PROCESS, bg),
	      fail(gpa_ok(bg, sizeof a) ? E(EXO_EINVAL) : E(EXO_EFAULT)));
}

static void call_info(void)
{
	struct exo_hc_info a;
	uint64_t bg = block_gpa(sizeof a);
	int good = gpa_ok(bg, sizeof a);
	if (!check("info", exo_hypercall_gpa(EXO_HC_INFO, bg),
		   good ? succeed(0, 0) : fail(E(EXO_EFAULT))) || !good)
		return;
	memcpy(&a, at(bg), sizeof a);
	if (a.pool_frames != pool)
		mismatch("info: pool_frames", (int64_t)a.pool_frames, (int64_t)pool);
	if (a.frames_owned != nowned)
		mismatch("info: frames_owned", (int64_t)a.frames_owned, (int64_t)nowned);
	if (a.exo_page_gpa != pool_bytes)
		mismatch("info: exo_page_gpa", (int64_t)a.exo_page_gpa, (int64_t)pool_bytes);
}

static void got_frame(uint64_t f)
{
	uint64_t *w = exo_frame_ptr(f);
	if (w[0] || w[PG / 8 - 1])
		mismatch("a frame handed out does not read zero", (int64_t)f, 0);
	w[0] = pattern(f);
	w[PG / 8 - 1] = ~pattern(f);
	set_owned(f, 1);
	granted_peer[nextra] = 0;
	extra[nextra++] = f;
	nowned++;
	moved_in++;
}

static void lost_frame(uint64_t f)
{
	int i = extra_index(f);
	set_owned(f, 0);
	nowned--;
	moved_out++;
	extra[i] = extra[--nextra];
	granted_peer[i] = granted_peer[nextra];
}

/* A NAMED entry the model cannot judge: in the pool, not ours, not a
 * repeat (free, or another guest's: EBUSY may blame it). */
static int unknown_entry(const uint64_t *v, uint64_t i)
{
	for (uint64_t k = 0; k < i; k++)
		if (v[k] == v[i])
			return 0;
	return v[i] < pool && !owned(v[i]);
}

/* EXO_HC_FRAME_ALLOC and _RELEASE. */
static void call_frames(unsigned nr)
{
	int alloc = nr == EXO_HC_FRAME_ALLOC;
	struct exo_hc_frames a = { .count = pick_count() };
	uint64_t v[VEC_MAX];
	unsigned n = a.count <= VEC_MAX ? a.count : 0;
	static const uint32_t flags[] = { EXO_FA_ANY, EXO_FA_ANY, EXO_FA_NAMED, EXO_FA_NAMED,
					  EXO_FA_ANY | EXO_FA_NOWAIT, 0, 0, 3, 4, 0x80000000u };
	a.flags = alloc ? flags[below(10)] : below(8) ? 0 : 1 + (uint32_t)below(8);
	int any = alloc && !(a.flags & EXO_FA_NAMED);
	if (any && n > EXTRA_MAX - nextra)
		a.count = n = EXTRA_MAX - nextra;
	pick_vector(v, n, !alloc, 1);
	if (alloc && !any && n > EXTRA_MAX - nextra) /* room for what may come */
		v[0] = pool + 1;
	a.vec_gpa = pick_gpa((uint64_t)n * 8, 1, 1);
	uint64_t bg = block_gpa(sizeof a);
	int bok = gpa_ok(bg, sizeof a), vok = gpa_ok(a.vec_gpa, (uint64_t)a.count * 8);

	/* The first entry to blame, as abi.h orders the checks. For a NAMED
	 * frame not ours the model cannot say: free, or another guest's. */
	unsigned bad = n;
	int64_t code = 0;
	for (unsigned i = 0; i < n && !code; i++) {
		int twice = 0;
		for (unsigned k = 0; k < i; k++)
			twice |= v[k] == v[i];
		if (v[i] >= pool)
			code = -EXO_ERANGE;
		else if (twice)
			code = alloc ? -EXO_EINVAL : -EXO_EPERM;
		else if (alloc ? owned(v[i]) : !owned(v[i]))
			code = alloc ? -EXO_EBUSY : -EXO_EPERM;
		bad = code ? i : n;
	}
	/* A release the model accepts must not take the image's frames. */
	if (!alloc && !code && bok && vok && a.flags == 0)
		for (unsigned i = 0; i < n; i++)
			if (extra_index(v[i]) < 0) {
				v[0] = pool + 7;
				code = -EXO_ERANGE;
				bad = 0;
			}
	int flags_bad = alloc ? (a.flags & ~(EXO_FA_NAMED | EXO_FA_NOWAIT)) ||
					a.flags == (EXO_FA_NAMED | EXO_FA_NOWAIT)
			      : a.flags != 0;
	a.bad_index = 0xbad;
	put(bg, &a, sizeof a);
	if (vok && n)
		memcpy(at(a.vec_gpa), v, (uint64_t)n * 8);
	int64_t rc = exo_hypercall_gpa(nr, bg);
	const char *what = !alloc ? "release" : any ? "alloc any" : "alloc named";
	struct want w;
	if (!bok)
		w = fail(E(EXO_EFAULT));
	else if (a.count > EXO_FRAMES_MAX)
		w = fail(E(EXO_E2BIG));
	else if (flags_bad)
		w = fail(E(EXO_EINVAL));
	else if (!vok)
		w = fail(E(EXO_EFAULT));
	else if (any)
		w = succeed(a.count, E(EXO_ENOMEM) | E(EXO_EAGAIN));
	else if (!alloc)
		w = code ? fail(E((unsigned)-code)) : succeed(a.count, 0);
	else
		w = code ? fail(E((unsigned)-code) | E(EXO_EBUSY))
			 : succeed(a.count, E(EXO_EBUSY) | E(EXO_ENOMEM));
	if (!check(what, rc, w) || !bok || !vok || a.count > EXO_FRAMES_MAX || flags_bad)
		return;
	struct exo_hc_frames out;
	memcpy(&out, at(bg), sizeof out);
	/* bad_index: the entry the model blames; for a NAMED EBUSY it may be
	 * an earlier frame the model could not judge, never a later one. */
	uint64_t want_bad = rc == code ? bad : a.count;
	if (rc < 0 && out.bad_index != want_bad &&
	    !(rc == -EXO_EBUSY && out.bad_index < bad && unknown_entry(v, out.bad_index)))
		mismatch(what, (int64_t)out.bad_index, (int64_t)want_bad);
	if (rc < 0)
		return;
	if (any)
		memcpy(v, at(a.vec_gpa), (uint64_t)n * 8);
	for (unsigned i = 0; i < n; i++) {
		if (alloc && (v[i] >= pool || owned(v[i]))) {
			mismatch("alloc handed out a frame already ours or past the pool",
				 (int64_t)v[i], (int64_t)pool);
			return;
		}
		if (alloc)
			got_frame(v[i]);
		else
			lost_frame(v[i]);
	}
}

/* A forwarded call with something wrong in it, and the Linux errno (or
 * success, for getpid) hv/core's checks give it on either platform. */
#define UNRUN 0x5a5a5a5a /* a ret hv has not written */
static int64_t forge_fwd(struct exo_fwd *c)
{
	*c = (struct exo_fwd){ .ret = UNRUN };
	uint64_t len = 1 + below(256), bad = pick_bad();
	switch (below(10)) {
	case 0: {
		static const uint64_t nrs[] = { 57, 59, 62, 101, 1000, 0xffffffffull, 1ull << 40 };
		c->nr = nrs[below(7)];
		return -EXO_FWD_ENOSYS;
	}
	case 1:
		c->nr = EXO_FWD_GETPID;
		return 1; /* any pid */
	case 2:
		*c = (struct exo_fwd){ EXO_FWD_WRITE, { 1, bad, len }, UNRUN };
		return -EXO_FWD_EFAULT;
	case 3:
		*c = (struct exo_fwd){ EXO_FWD_READ, { below(300), bad, len }, UNRUN };
		return -EXO_FWD_EFAULT;
	case 4:
		*c = (struct exo_fwd){ below(2) ? EXO_FWD_WRITE : EXO_FWD_GETRANDOM,
				       { 1, exo_gpa(scratch), EXO_FWD_BUF_MAX + 1 + below(1u << 30) },
				       UNRUN };
		if (c->nr == EXO_FWD_GETRANDOM) {
			c->arg[1] = c->arg[2];
			c->arg[0] = exo_gpa(scratch);
		}
		return -EXO_FWD_E2BIG;
	case 5:
		*c = (struct exo_fwd){ EXO_FWD_CLOCK_GETTIME, { below(2), bad }, UNRUN };
		if (below(2)) {
			c->arg[0] = (uint64_t)-1 - below(100); /* another process's CPU clock */
			return -EXO_FWD_EINVAL;
		}
		return -EXO_FWD_EFAULT;
	case 6:
		*c = (struct exo_fwd){ EXO_FWD_IOCTL, { 1, 0x5402 + below(16), exo_gpa(scratch) }, UNRUN };
		return -EXO_FWD_ENOTTY;
	case 7:
		*c = (struct exo_fwd){ EXO_FWD_OPENAT, { (uint64_t)-100, bad, 0 }, UNRUN };
		if (below(2)) {
			c->arg[1] = exo_gpa(longpath);
			return -EXO_FWD_ENAMETOOLONG;
		}
		return -EXO_FWD_EFAULT;
	case 8:
		*c = (struct exo_fwd){ EXO_FWD_GETRANDOM, { bad, len, 0 }, UNRUN };
		return -EXO_FWD_EFAULT;
	default:
		*c = (struct exo_fwd){ EXO_FWD_NANOSLEEP, { bad, 0 }, UNRUN };
		return -EXO_FWD_EFAULT;
	}
}

static void call_forward(void)
{
	struct exo_hc_forward a = { .count = (uint32_t)below(5), .flags = (uint32_t)below(2) };
	struct exo_fwd v[4];
	int64_t want[4];
	if (!below(8))
		a.count = EXO_FWD_BATCH + 1 + (uint32_t)below(1000);
	if (!below(8))
		a.flags = 2 + (uint32_t)below(100);
	unsigned n = a.count <= 4 ? a.count : 0;
	for (unsigned i = 0; i < n; i++)
		want[i] = forge_fwd(&v[i]);
	a.vec_gpa = pick_gpa((uint64_t)n * sizeof v[0], 1, 1);
	a.done = 0xbad;
	uint64_t bg = block_gpa(sizeof a);
	int bok = gpa_ok(bg, sizeof a), vok = gpa_ok(a.vec_gpa, (uint64_t)a.count * sizeof v[0]);
	put(bg, &a, sizeof a);
	if (vok && n)
		memcpy(at(a.vec_gpa), v, n * sizeof v[0]);
	unsigned done = n;
	for (unsigned i = 0; i < n; i++)
		if (want[i] < 0 && (a.flags & EXO_FWD_F_STOP)) {
			done = i + 1;
			break;
		}
	int64_t rc = exo_hypercall_gpa(EXO_HC_FORWARD, bg);
	struct want w = !bok			     ? fail(E(EXO_EFAULT))
			: a.count > EXO_FWD_BATCH    ? fail(E(EXO_E2BIG))
			: a.flags & ~EXO_FWD_F_STOP ? fail(E(EXO_EINVAL))
			: !vok			     ? fail(E(EXO_EFAULT))
						     : succeed(done, 0);
	if (!check("forward", rc, w) || rc < 0)
		return;
	forwarded += done;
	struct exo_hc_forward out;
	memcpy(&out, at(bg), sizeof out);
	if (out.done != done)
		mismatch("forward: done", (int64_t)out.done, done);
	memcpy(v, at(a.vec_gpa), n * sizeof v[0]);
	for (unsigned i = 0; i < n; i++) {
		int64_t expect = i < done ? want[i] : UNRUN;
		int ok = expect == 1 && i < done ? v[i].ret > 0 : v[i].ret == expect;
		if (!ok)
			mismatch(i < done ? "forward: a forged call's ret"
					  : "forward: ret of a call after STOP",
				 v[i].ret, expect);
	}
}

static uint32_t pick_guest(void)
{
	switch (below(8)) {
	case 0:
		return self_id;
	case 1:
		return 0;
	case 2:
		return 100 + (uint32_t)below(EXO_GUESTS_MAX - 100);
	case 3:
		return EXO_GUESTS_MAX + (uint32_t)below(1u << 31);
	default:
		return peer_id ? peer_id : 200;
	}
}

static void call_grant(void)
{
	struct exo_hc_grant a = { .count = pick_count(), .op = (uint32_t)below(3) };
	if (!below(10))
		a.op = 3 + (uint32_t)below(1000);
	if (!below(12))
		a.reserved = 1 + (uint32_t)below(100);
	a.grantee = pick_guest();
	uint64_t v[VEC_MAX];
	unsigned n = a.count <= VEC_MAX ? a.count : 0;
	pick_vector(v, n, 1, 0);
	a.vec_gpa = pick_gpa((uint64_t)n * 8, 1, 1);
	a.bad_index = 0xbad;
	uint64_t bg = block_gpa(sizeof a);
	int bok = gpa_ok(bg, sizeof a), vok = gpa_ok(a.vec_gpa, (uint64_t)a.count * 8);
	put(bg, &a, sizeof a);
	if (vok && n)
		memcpy(at(a.vec_gpa), v, (uint64_t)n * 8);
	int to_peer = peer_id && a.grantee == peer_id;
	unsigned bad = n;
	int64_t code = 0;
	for (unsigned i = 0; i < n && !code; i++) { /* every frame first, */
		int twice = 0;
		for (unsigned k = 0; k < i; k++)
			twice |= v[k] == v[i];
		if (v[i] >= pool)
			code = -EXO_ERANGE;
		else if (twice || !owned(v[i]))
			code = -EXO_EPERM;
		bad = code ? i : n;
	}
	for (unsigned i = 0; i < n && !code && a.op == EXO_GRANT_REVOKE; i++) { /* then grants */
		int x = extra_index(v[i]);
		if (x < 0 || !granted_peer[x])
			code = -EXO_EPERM;
		bad = code ? i : n;
	}
	int64_t rc = exo_hypercall_gpa(EXO_HC_GRANT, bg);
	struct want w;
	if (!bok)
		w = fail(E(EXO_EFAULT));
	else if (a.count > EXO_FRAMES_MAX)
		w = fail(E(EXO_E2BIG));
	else if (a.reserved)
		w = fail(E(EXO_EINVAL));
	else if (!vok)
		w = fail(E(EXO_EFAULT));
	else if (a.op > EXO_GRANT_REVOKE || a.grantee == self_id)
		w = fail(E(EXO_EINVAL));
	else if (!to_peer || peer_gone)
		w = fail(E(EXO_ENOENT));
	else if (code)
		w = fail(E((unsigned)-code) | E(EXO_ENOENT));
	else
		w = succeed(a.count, E(EXO_ENOENT) | (a.op != EXO_GRANT_REVOKE ? E(EXO_ENOMEM) : 0));
	if (!check("grant", rc, w) || !bok || !vok || a.count > EXO_FRAMES_MAX || a.reserved)
		return;
	struct exo_hc_grant out;
	memcpy(&out, at(bg), sizeof out);
	uint64_t want_bad = rc == code ? bad : a.count;
	if (rc < 0 && out.bad_index != want_bad)
		mismatch("grant: bad_index", (int64_t)out.bad_index, (int64_t)want_bad);
	if (rc == -EXO_ENOENT && to_peer && !peer_gone) { /* it ended: its grants went too */
		peer_gone = 1;
		for (unsigned i = 0; i < nextra; i++)
			granted_peer[i] = 0;
	}
	if (rc < 0)
		return;
	grants_made++;
	for (unsigned i = 0; i < n; i++) {
		int x = extra_index(v[i]);
		if (x < 0) {
			mismatch("grant of a frame the guest never allocated accepted", (int64_t)v[i], 0);
			return;
		}
		granted_peer[x] = a.op != EXO_GRANT_REVOKE;
	}
}

static void call_lookup(void)
{
	struct exo_hc_lookup a = { .id = 0xbad };
	static const char nobody[] = "no/such/guest";
	const char *name = exo_name();
	int self = 0;
	switch (below(4)) {
	case 0:
		name = nobody;
		break;
	case 1:
		name = exo_page()->args; /* argv[0] */
		break;
	default:
		self = 1;
	}
	uint64_t len = strlen(name);
	switch (below(6)) {
	case 0:
		a.len = 0;
		break;
	case 1:
		a.len = EXO_NAME_MAX + 1 + (uint32_t)below(1u << 31);
		break;
	default:
		a.len = (uint32_t)len;
	}
	a.name_gpa = pick_gpa(a.len, 1, 1);
	uint64_t bg = block_gpa(sizeof a);
	int bok = gpa_ok(bg, sizeof a), nok = gpa_ok(a.name_gpa, a.len);
	if (nok && a.len <= len)
		memcpy(at(a.name_gpa), name, a.len);
	put(bg, &a, sizeof a);
	int slash = 0;
	for (const char *s = name; *s; s++)
		slash |= *s == '/';
	struct want w = !bok			 ? fail(E(EXO_EFAULT))
			: a.len == 0		 ? fail(E(EXO_EINVAL))
			: a.len > EXO_NAME_MAX	 ? fail(E(EXO_E2BIG))
			: !nok			 ? fail(E(EXO_EFAULT))
			: self && a.len == len	 ? succeed(0, 0)
			: slash || a.len != len	 ? fail(E(EXO_ENOENT))
						 : succeed(0, E(EXO_ENOENT));
	if (!check("lookup", exo_hypercall_gpa(EXO_HC_LOOKUP, bg), w) || !self || !bok || !nok ||
	    a.len != len)
		return;
	struct exo_hc_lookup out;
	memcpy(&out, at(bg), sizeof out);
	if (out.id != self_id)
		mismatch("lookup of its own name", out.id, self_id);
}

/* A pending set: valid (guestlib-free static set, or inside a frame the
 * guest allocated, clear of the words it checks), unaligned, across a
 * frame, or not the guest's. Never in scratch, where a peer's ring could
 * set a bit in a vector being built. */
static uint64_t pick_pending(void)
{
	uint64_t f = nextra ? extra[below(nextra)] : 0;
	switch (below(7)) {
	case 0:
	case 1:
		return exo_gpa(db_pending);
	case 2:
		return exo_gpa(db_pending) + 1 + below(7);
	case 3:
		return nextra ? f * PG + 8 + below(500) * 8 : exo_gpa(db_pending);
	case 4:
		return nextra ? f * PG + PG - 8 * (1 + below(3)) : pool_bytes;
	default:
		return pick_bad();
	}
}

static void call_doorbell(void)
{
	struct exo_hc_doorbell a = { .op = (uint32_t)below(3) };
	if (!below(12))
		a.op = 3 + (uint32_t)below(1000);
	if (!below(12))
		a.reserved = 1;
	struct want w = fail(E(EXO_EINVAL));
	if (a.op == EXO_DB_SETUP) {
		switch (below(5)) {
		case 0:
			a.vector = 0;
			break;
		case 1:
			a.vector = 1 + (uint32_t)below(EXO_DB_VECTOR_MIN - 1);
			break;
		case 2:
			a.vector = 256 + (uint32_t)below(1u << 20);
			break;
		default:
			a.vector = EXO_DB_VECTOR_MIN + (uint32_t)below(256 - EXO_DB_VECTOR_MIN);
		}
		uint64_t g = a.pending_gpa = pick_pending();
		if (a.vector == 0)
			w = succeed(0, 0);
		else if (a.vector > 255 || a.vector < EXO_DB_VECTOR_MIN || g % 8 ||
			 g / PG != (g + 31) / PG)
			w = fail(E(EXO_EINVAL));
		else
			w = gpa_ok(g, 32) ? succeed(0, 0) : fail(E(EXO_EFAULT));
	} else if (a.op == EXO_DB_RING) {
		a.target = pick_guest();
		if (!below(4))
			a.target = 1 + (uint32_t)below(8); /* the well-behaved guests among them */
		int mine = 0;
		for (unsigned i = 0; i < nextra; i++)
			mine |= granted_peer[i];
		if (a.target == self_id)
			w = fail(E(EXO_EINVAL));
		else if (a.target != peer_id || !peer_id || peer_gone)
			w = fail(E(EXO_ENOENT) | (a.target >= 1 && a.target < 100 ? E(EXO_EPERM) : 0));
		else
			w = succeed(0, E(EXO_ENOENT) | (mine ? 0 : E(EXO_EPERM)));
	} else if (a.op == EXO_DB_WAIT) {
		a.timeout_ns = below(2) ? 0 : 1 + below(50000);
		w = succeed(-1, 0);
	}
	if (a.reserved)
		w = fail(E(EXO_EINVAL));
	uint64_t bg = block_gpa(sizeof a);
	if (!gpa_ok(bg, sizeof a))
		w = fail(E(EXO_EFAULT));
	put(bg, &a, sizeof a);
	int64_t rc = exo_hypercall_gpa(EXO_HC_DOORBELL, bg);
	if (check("doorbell", rc, w) && a.op == EXO_DB_WAIT && rc > 1)
		mismatch("doorbell wait returned more than 1", rc, 1);
}

static void call_upcall(void)
{
	struct exo_hc_upcall a;
	uint32_t *v[2] = { &a.revoke_vector, &a.slice_vector };
	int valid = 1;
	for (int i = 0; i < 2; i++) {
		switch (below(4)) {
		case 0:
			*v[i] = 0;
			break;
		case 1:
			*v[i] = 1 + (uint32_t)below(EXO_DB_VECTOR_MIN - 1);
			valid = 0;
			break;
		case 2:
			*v[i] = 256 + (uint32_t)below(1u << 30);
			valid = 0;
			break;
		default:
			*v[i] = EXO_DB_VECTOR_MIN + (uint32_t)below(256 - EXO_DB_VECTOR_MIN);
		}
	}
	uint64_t bg = block_gpa(sizeof a);
	put(bg, &a, sizeof a);
	check("upcall", exo_hypercall_gpa(EXO_HC_UPCALL, bg),
	      !gpa_ok(bg, sizeof a) ? fail(E(EXO_EFAULT))
	      : valid		     ? succeed(0, 0)
				     : fail(E(EXO_EINVAL)));
}

static void one_call(void)
{
	unsigned nr = (unsigned)below(EXO_HC_PORT_SPAN);
	switch (nr) {
	case EXO_HC_CONSOLE:
	case EXO_HC_NOTICE:
		call_console(nr);
		break;
	case EXO_HC_EXIT:
		call_ending(nr, sizeof(struct exo_hc_exit));
		break;
	case EXO_HC_FAULT:
		call_ending(nr, sizeof(struct exo_hc_fault));
		break;
	case EXO_HC_FRAME_ALLOC:
	case EXO_HC_FRAME_RELEASE:
		call_frames(nr);
		break;
	case EXO_HC_INFO:
		call_info();
		break;
	case EXO_HC_FORWARD:
		call_forward();
		break;
	case EXO_HC_EXIT_PROCESS:
		call_exit_process();
		break;
	case EXO_HC_GRANT:
		call_grant();
		break;
	case EXO_HC_LOOKUP:
		call_lookup();
		break;
	case EXO_HC_DOORBELL:
		call_doorbell();
		break;
	case EXO_HC_UPCALL:
		call_upcall();
		break;
	case EXO_HC_YIELD:
		check("yield", exo_hypercall_gpa(nr, below(2) ? 0 : rnd()), succeed(0, 0));
		break;
	default: /* in hv's span, no call behind it */
		check("unknown call number", exo_hypercall_gpa(nr, rnd()), fail(E(EXO_ENOSYS)));
	}
}

/* The guest's view against the model: the exo page's count and bitmap,
 * and what it wrote into its frames. */
static void verify_view(void)
{
	const uint64_t *bm = at(xp->bitmap_gpa);
	if (xp->frames_owned != nowned)
		mismatch("exo page frames_owned", (int64_t)xp->frames_owned, (int64_t)nowned);
	for (uint64_t i = 0; i < (pool + 63) / 64; i++)
		if (bm[i] != own[i]) {
			mismatch("exo page ownership bitmap, word", (int64_t)i, (int64_t)i);
			break;
		}
	for (unsigned i = 0; i < nextra; i++) {
		const uint64_t *w = exo_frame_ptr(extra[i]);
		if (w[0] != pattern(extra[i]) || w[PG / 8 - 1] != ~pattern(extra[i]))
			mismatch("an owned frame lost what the guest wrote", (int64_t)extra[i], 0);
	}
	for (unsigned i = 0; i < PG / 8; i++)
		if (canary[i] != pattern(i + pool)) {
			mismatch("the image's canary page changed, word", i, i);
			break;
		}
}

static int number(const char *s, uint64_t *v)
{
	*v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (*s < '0' || *s > '9' || *v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t ncalls;
	if (argc < 3 || argc > 4 || number(argv[1], &seed) < 0 || number(argv[2], &ncalls) < 0) {
		exo_printf("hostile: usage: hostile SEED CALLS [PEER] (SEED and CALLS decimal)\n");
		return 2;
	}
	xp = exo_page();
	pool = xp->pool_frames;
	pool_bytes = pool * PG;
	if (pool > POOL_MAX) {
		exo_printf("hostile: a pool of %lu frames is more than the model tracks (%u)\n",
			   (unsigned long)pool, POOL_MAX);
		return 2;
	}
	rng = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	if (!rng)
		rng = 1;
	self_id = exo_guest_id();
	memcpy(own, at(xp->bitmap_gpa), (pool + 63) / 64 * 8);
	for (uint64_t f = 0; f < pool; f++)
		nowned += owned(f);
	if (pool % 64)
		own[pool / 64] &= (1ull << (pool % 64)) - 1;
	for (unsigned i = 0; i < PG / 8; i++)
		canary[i] = pattern(i + pool);
	memset(longpath, 'A', sizeof longpath);
	if (argc == 4) {
		/* A peer that already ended is no peer: calls naming it are
		 * then forged ids like any other. */
		int64_t id = exo_lookup_wait(argv[3], 2000000000ull);
		peer_id = id > 0 ? (uint32_t)id : 0;
	}
	verify_view();
	for (calls = 0; calls < ncalls; calls++) {
		one_call();
		if (calls % 128 == 127)
			verify_view();
	}
	/* Give back what it allocated, with one good release, and look again. */
	struct exo_hc_frames *a = (struct exo_hc_frames *)scratch;
	uint64_t *vec = (uint64_t *)(scratch + 2 * PG);
	verify_view();
	memcpy(vec, extra, nextra * 8ull);
	*a = (struct exo_hc_frames){ .vec_gpa = exo_gpa(vec), .count = nextra };
	if (check("the last release", exo_hypercall(EXO_HC_FRAME_RELEASE, a), succeed(nextra, 0)))
		while (nextra)
			lost_frame(extra[0]);
	verify_view();
	exo_printf("hostile: %lu calls %lu, model mismatches %lu, frames in %lu out %lu, "
		   "grants %lu, forwarded %lu, peer id %u\n",
		   (unsigned long)seed, calls, mismatches, moved_in, moved_out, grants_made,
		   forwarded, peer_id);
	if (mismatches)
		exo_printf("hostile: first mismatch: %s\n", first);
	return mismatches ? 1 : 0;
}
