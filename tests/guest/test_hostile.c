/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_hostile.c: hostile guests (build/tests/guest/hostile)
 * under one exo, each checking hv's answers to its random and forged
 * hypercalls against its own model of the ABI: several seeds alone, two
 * that forge grants and rings at each other beside a well-behaved pair
 * playing ping-pong through a shared frame, and the exit-status rule when
 * one of them fails. After every run exo must have found its pool clean
 * (no "internal error", status not 127).
 */
#include "harness.h"

#define HOSTILE IMAGES "hostile"
#define PAIR IMAGES "pair"
#define CALLS "1500"

static void assert_clean(const struct exo_result *r)
{
	cr_assert_neq(r->status, 127, "exo reported an internal error: %s", r->err);
	cr_assert(!strstr(r->err, "internal error"), "%s", r->err);
}

/* prefix's summary line says seed, CALLS calls and no mismatch; returns
 * the peer id it names. */
static unsigned summary(const struct exo_result *r, const char *prefix, const char *seed)
{
	char want[128];
	snprintf(want, sizeof want, "%shostile: %s calls " CALLS ", model mismatches 0, ", prefix,
		 seed);
	const char *l = strstr(r->out, want);
	cr_assert(l, "no line \"%s...\" in:\n%s\nstderr:\n%s", want, r->out, r->err);
	const char *peer = strstr(l, "peer id ");
	unsigned id = 0;
	cr_assert(peer && sscanf(peer, "peer id %u", &id) == 1, "%s", l);
	return id;
}

static void one_seed(const char *seed)
{
	struct exo_result r;
	exo_run(&r, "run", HOSTILE, seed, CALLS, NULL);
	cr_assert_eq(r.status, 0, "seed %s: status %d\nstdout:\n%s\nstderr:\n%s", seed, r.status,
		     r.out, r.err);
	assert_clean(&r);
	cr_assert_str_empty(r.err);
	summary(&r, "", seed);
}

Test(hostile, seed_1_matches_the_model)
{
	one_seed("1");
}

Test(hostile, seed_2_matches_the_model)
{
	one_seed("2");
}

Test(hostile, seed_1234567_matches_the_model)
{
	one_seed("1234567");
}

Test(hostile, seed_18446744073709551615_matches_the_model)
{
	one_seed("18446744073709551615");
}

Test(hostile, two_hostile_guests_beside_a_good_pair_leave_it_intact)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "h1", HOSTILE, "11", CALLS, "h2", "--guest",
		"--name", "h2", HOSTILE, "12", CALLS, "h1", "--guest", "--name", "pong", PAIR,
		"pong", "--guest", "--name", "ping", PAIR, "ping", "pong", "50", NULL);
	cr_assert_eq(r.status, 0, "status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
	assert_clean(&r);
	cr_assert_str_empty(r.err);
	unsigned p1 = summary(&r, "h1: ", "11"), p2 = summary(&r, "h2: ", "12");
	/* Each found the other, so the forged grants and rings had a live target. */
	cr_assert(p1 && p2 && p1 != p2, "peer ids %u and %u", p1, p2);
	cr_assert(strstr(r.out, "ping: pair: ping: 50 round trips with pong\n"), "%s", r.out);
	cr_assert(strstr(r.out, "pong: pair: pong: answered 50 rings\n"), "%s", r.out);
}

Test(hostile, a_failing_guest_gives_exo_its_status_and_the_others_finish)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "h1", HOSTILE, "21", CALLS, "--guest", "--name",
		"bad", HOSTILE, "not-a-seed", "5", NULL);
	cr_assert_eq(r.status, 2, "status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
	assert_clean(&r);
	cr_assert(strstr(r.out, "bad: hostile: usage: hostile SEED CALLS [PEER]"), "%s", r.out);
	summary(&r, "h1: ", "21");
}
