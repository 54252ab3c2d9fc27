/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_revoke.c: visible revocation, the abort protocol and CPU
 * slices, end to end: libos/vm answering by its policy (the clock, an
 * application's MRU chooser, its swap file), a guest that ignores a request
 * aborted and recovering, frames reading zero in their next owner, a
 * looping guest preempted while another works, ten guests under pressure,
 * and guests that misbehave in the middle of a request. Checked by what the
 * guests observed (tests/guest/images/revoke prints it), by hv's --stats,
 * and, after every run, by exo's pool invariant check (no "internal
 * error", status not 127).
 *
 * A guest above its fair share takes frames only while the pool has them,
 * so each run starts the pressing guest once the others are full: they
 * notify it (notify=NAME) and it waits for their doorbells (rings=K).
 * Sizes: a pool of 4 MiB (1024 frames) shared by two guests of --mem 4M
 * gives each a fair share of 512 frames; the holder fills about 770
 * (700 pages, its image and tables), the presser wants about 465, so hv
 * asks the holder for about 200.
 */
#include "harness.h"

#define REVOKE IMAGES "revoke"
#define HELLO IMAGES "../../apps/hello"

static void assert_clean(const struct exo_result *r)
{
	cr_assert_neq(r->status, 127, "exo reported an internal error: %s", r->err);
	cr_assert(!strstr(r->err, "internal error"), "%s", r->err);
}

static const char *find(const char *s, const char *prefix)
{
	const char *l = strstr(s, prefix);
	return l ? l + strlen(prefix) : NULL;
}

static const char *must(const struct exo_result *r, const char *s, const char *prefix)
{
	const char *l = find(s, prefix);
	cr_assert(l, "no \"%s\" in:\n%s\nstderr:\n%s", prefix, r->out, r->err);
	return l;
}

/* The figure after "key " in guest name's --stats line that starts with
 * "exo: stats: NAME: what: ". */
static unsigned long figure(const struct exo_result *r, const char *name, const char *what,
			  const char *key)
{
	char prefix[96];
	snprintf(prefix, sizeof prefix, "exo: stats: %s: %s: ", name, what);
	const char *l = must(r, r->err, prefix);
	const char *end = strchr(l, '\n');
	char k[64];
	snprintf(k, sizeof k, "%s ", key);
	const char *v = strstr(l, k);
	cr_assert(v && (!end || v < end), "no \"%s\" in the line %s%.*s", key, prefix,
		  end ? (int)(end - l) : 80, l);
	return strtoul(v + strlen(k), NULL, 10);
}

/* holder MODE... with notify=press, then press FRAMES rings=1. */
static void pressed(struct exo_result *r, const char *ring, const char *const holder[])
{
	char *argv[32] = { EXO, "run", "--stats", "--pool", "4M", "--ring", (char *)ring,
			   "--guest", "--name", "holder", "--mem", "4M", REVOKE };
	int n = 13;
	for (int i = 0; holder[i]; i++)
		argv[n++] = (char *)holder[i];
	char *const press[] = { "notify=press", "--guest", "--name", "press", "--mem", "4M",
				REVOKE, "press", "400", "rings=1" };
	for (size_t i = 0; i < sizeof press / sizeof press[0]; i++)
		argv[n++] = press[i];
	argv[n] = NULL;
	run_argv(argv, r);
	assert_clean(r);
	cr_assert(strstr(r->out, "press: revoke: press: got 400 frames\n"),
		  "the presser did not get its frames:\n%s\nstderr:\n%s", r->out, r->err);
}

/* What the holder gave: its own count, equal to what hv says it was given,
 * with nothing taken by abort. */
static unsigned long given(const struct exo_result *r, const char *line)
{
	unsigned long gave = strtoul(must(r, r->out, line), NULL, 10);
	cr_assert(gave > 0, "%s", r->out);
	cr_assert_eq(figure(r, "holder", "revocation", "given"), gave, "%s", r->err);
	cr_assert_eq(figure(r, "holder", "revocation", "taken by abort"), 0, "%s", r->err);
	cr_assert_eq(figure(r, "holder", "revocation", "asked"), gave, "%s", r->err);
	return gave;
}

static void clock_takes_cold_pages(const char *ring)
{
	struct exo_result r;
	pressed(&r, ring, (const char *const[]){ "coop", "700", NULL });
	cr_assert_eq(r.status, 0, "status %d\n%s\nstderr:\n%s", r.status, r.out, r.err);
	unsigned long lost, hot, rebuilt;
	cr_assert_eq(sscanf(must(&r, r.out, "holder: revoke: coop: clock: lost "),
			    "%lu pages, %lu of them hot", &lost, &hot), 2, "%s", r.out);
	/* Every fourth page was read since the last sweep: the clock passed
	 * over those and took others. */
	cr_assert(lost > 0 && hot == 0, "%s", r.out);
	unsigned long gave = given(&r, "holder: revoke: coop: gave ");
	cr_assert_eq(sscanf(must(&r, r.out, "holder: revoke: coop: gave "),
			    "%*u frames, rebuilt %lu pages, pattern ok", &rebuilt), 1, "%s", r.out);
	/* What was not a page came from its free list; each page it dropped
	 * was rebuilt by its handler at the next touch. */
	cr_assert(rebuilt == lost && lost <= gave, "%s", r.out);
	cr_assert(strstr(r.err, "exo: holder: vm: revocation: "), "%s", r.err);
}

Test(revoke, the_clock_gives_back_pages_not_used_since_its_last_sweep_ring_3)
{
	clock_takes_cold_pages("3");
}

Test(revoke, the_clock_gives_back_pages_not_used_since_its_last_sweep_ring_0)
{
	clock_takes_cold_pages("0");
}

Test(revoke, an_application_chooser_decides_mru_gives_the_most_recently_used)
{
	struct exo_result r;
	pressed(&r, "auto", (const char *const[]){ "coop", "700", "policy=mru", NULL });
	cr_assert_eq(r.status, 0, "status %d\n%s\nstderr:\n%s", r.status, r.out, r.err);
	unsigned long lost;
	cr_assert_eq(sscanf(must(&r, r.out, "holder: revoke: coop: mru: lost "), "%lu", &lost), 1);
	cr_assert(lost > 0, "%s", r.out);
	must(&r, r.out, "pages, the most recently used\n");
	given(&r, "holder: revoke: coop: gave ");
}

Test(revoke, pages_that_cannot_be_rebuilt_go_to_swap_and_come_back)
{
	struct exo_result r;
	pressed(&r, "auto", (const char *const[]){ "swap", "700", NULL });
	cr_assert_eq(r.status, 0, "status %d\n%s\nstderr:\n%s", r.status, r.out, r.err);
	unsigned long gave = given(&r, "holder: revoke: swap: gave "), in;
	cr_assert_eq(sscanf(must(&r, r.out, "holder: revoke: swap: gave "),
			    "%*u frames, paged in %lu, pattern ok", &in), 1, "%s", r.out);
	unsigned long dropped, out;
	cr_assert_eq(sscanf(must(&r, r.err, "exo: holder: vm: revocation: "),
			    "%*u requests, gave %*u frames (%*u from the free list, %lu pages "
			    "dropped, %lu swapped out)", &dropped, &out), 2, "%s", r.err);
	/* Only page 0 reads all zero: every other page given was written to
	 * swap, and read back when the holder checked it. (It may have
	 * evicted pages for its own need too, if the presser's frames were
	 * not free yet when it looked: those went to swap as well.) */
	cr_assert(dropped <= 1 && out >= gave - 1 && in >= gave - 1 && in <= out, "gave %lu, "
		  "paged in %lu:\n%s", gave, in, r.err);
}

Test(revoke, a_guest_that_ignores_a_request_is_aborted_told_exactly_and_recovers)
{
	struct exo_result r;
	pressed(&r, "auto", (const char *const[]){ "ignore", "700", NULL });
	cr_assert_eq(r.status, 0, "status %d\n%s\nstderr:\n%s", r.status, r.out, r.err);
	unsigned long lost, back;
	cr_assert_eq(sscanf(must(&r, r.out, "holder: revoke: ignore: lost "),
			    "%lu frames, repossession bitmap exact, abort seen, got %lu back", &lost,
			    &back), 2, "%s", r.out);
	cr_assert(lost > 0 && back == lost, "%s", r.out);
	cr_assert_eq(figure(&r, "holder", "revocation", "taken by abort"), lost, "%s", r.err);
	cr_assert_eq(figure(&r, "holder", "revocation", "given"), 0, "%s", r.err);
}

Test(revoke, a_looping_guest_is_preempted_while_another_finishes_its_work)
{
	struct exo_result r;
	exo_run(&r, "run", "--stats", "--guest", "--name", "loop", REVOKE, "loop", "3000", "--guest",
		"--name", "work", REVOKE, "work", "150", NULL);
	cr_assert_eq(r.status, 0, "status %d\n%s\nstderr:\n%s", r.status, r.out, r.err);
	assert_clean(&r);
	const char *w = must(&r, r.out, "work: revoke: work: done, ");
	const char *l = must(&r, r.out, "loop: revoke: loop: done\n");
	cr_assert(w < l, "the worker finished after the loop:\n%s", r.out);
	cr_assert(figure(&r, "loop", "slices", "preempted") > 0, "%s", r.err);
	unsigned long answered = strtoul(w, NULL, 10);
	unsigned long upcalls = figure(&r, "work", "slices", "upcalls");
	cr_assert(figure(&r, "work", "slices", "answered in time") <= answered, "%s\n%s", r.out, r.err);
	cr_assert(!upcalls || answered, "%lu upcalls, none answered:\n%s", upcalls, r.out);
}

/* 5 libos/vm guests fill a 16 MiB pool past their shares (520 pages
 * each), then 5 raw guests take theirs (300 frames each): hv asks the
 * fullest for about 900 frames in all. */
Test(revoke, ten_guests_under_pressure_all_finish_and_the_pool_is_clean)
{
	struct exo_result r;
	char *argv[128] = { EXO, "run", "--stats", "--pool", "16M", "--mem", "16M" };
	char names[10][16];
	int n = 7;
	for (int i = 0; i < 5; i++) {
		snprintf(names[i], 16, "coop%d", i);
		char *const g[] = { "--guest", "--name", names[i], REVOKE, "coop", "520", "unasked=ok",
				    "notify=press0", "notify=press1", "notify=press2", "notify=press3",
				    "notify=press4" };
		for (size_t k = 0; k < sizeof g / sizeof g[0]; k++)
			argv[n++] = g[k];
	}
	for (int i = 0; i < 5; i++) {
		snprintf(names[5 + i], 16, "press%d", i);
		char *const g[] = { "--guest", "--name", names[5 + i], REVOKE, "press", "300",
				    "rings=5" };
		for (size_t k = 0; k < sizeof g / sizeof g[0]; k++)
			argv[n++] = g[k];
	}
	argv[n] = NULL;
	run_argv(argv, &r);
	cr_assert_eq(r.status, 0, "status %d\n%s\nstderr:\n%s", r.status, r.out, r.err);
	assert_clean(&r);
	unsigned long total = 0;
	for (int i = 0; i < 5; i++) {
		char want[96];
		snprintf(want, sizeof want, "press%d: revoke: press: got 300 frames\n", i);
		must(&r, r.out, want);
		snprintf(want, sizeof want, "coop%d: revoke: coop: gave ", i);
		unsigned long gave = strtoul(must(&r, r.out, want), NULL, 10);
		cr_assert_eq(figure(&r, names[i], "revocation", "given"), gave, "%s", r.err);
		total += gave;
	}
	cr_assert(total > 0, "%s", r.out);
}

/* The badly behaved guest holds the frames; a presser and an innocent
 * bystander run beside it. */
static void misbehaving(struct exo_result *r, const char *how)
{
	exo_run(r, "run", "--pool", "4M", "--guest", "--name", "bad", "--mem", "4M", REVOKE,
		(char *)how, "700", "notify=press", "--guest", "--name", "press", "--mem", "4M", REVOKE,
		"press", "400", "rings=1", "--guest", "--name", "bystander", "--mem", "256K", HELLO, NULL);
	assert_clean(r);
	cr_assert(strstr(r->out, "press: revoke: press: got 400 frames\n"), "%s\nstderr:\n%s", r->out,
		  r->err);
	cr_assert(strstr(r->out, "bystander: hello from an exo guest"), "%s", r->out);
}

Test(revoke, releasing_a_frame_it_does_not_own_mid_request_is_refused_and_it_carries_on)
{
	struct exo_result r;
	misbehaving(&r, "badrelease");
	cr_assert_eq(r.status, 0, "status %d\n%s\nstderr:\n%s", r.status, r.out, r.err);
	unsigned long gave;
	cr_assert_eq(sscanf(must(&r, r.out, "bad: revoke: badrelease: EXO_EPERM for frame "),
			    "%*u, then gave %lu frames", &gave), 1, "%s", r.out);
	cr_assert(gave > 0, "%s", r.out);
}

Test(revoke, a_guest_that_triple_faults_mid_request_ends_alone)
{
	struct exo_result r;
	misbehaving(&r, "triple");
	cr_assert_eq(r.status, 122, "status %d\n%s\nstderr:\n%s", r.status, r.out, r.err);
	cr_assert(strstr(r.err, "exo: bad: guest triple-faulted"), "%s", r.err);
}

Test(revoke, bad_arguments_are_a_usage_message)
{
	struct exo_result r;
	exo_run(&r, "run", REVOKE, "coop", "0", NULL);
	cr_assert_eq(r.status, 2, "%s", r.out);
	cr_assert(strstr(r.out, "revoke: usage: "), "%s", r.out);
}
