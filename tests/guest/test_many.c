/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_many.c: many guests under one `exo run`, sharing one
 * pool: output prefixed per guest, grants (read-only, read-write, revoked
 * while read), doorbells, every bad input of the calls between guests,
 * concurrent allocation, the exit-status rule, one guest crashing or one
 * image bad among good ones, and --stats per guest. Checked by what the
 * guests themselves observed and printed, and, after every run, that exo
 * found its pool clean (no "internal error", status not 127).
 */
#include "harness.h"

#define HELLO IMAGES "../../apps/hello"
#define PAIR IMAGES "pair"
#define SHARE IMAGES "share"
#define FORGED IMAGES "share_forged"
#define DOORBELL IMAGES "doorbell"
#define STRESS IMAGES "stress"
#define CRASH IMAGES "crash"

/* The pool invariant pass found nothing: every frame free, every grant
 * gone. */
static void assert_clean(const struct exo_result *r)
{
	cr_assert_neq(r->status, 127, "exo reported an internal error: %s", r->err);
	cr_assert(!strstr(r->err, "internal error"), "%s", r->err);
}

/* Every line of out is "NAME: ..." for one of names[] (NULL-ended). */
static void assert_prefixed(const char *out, const char *const names[])
{
	for (const char *l = out; *l; l = strchr(l, '\n') + 1) {
		cr_assert(strchr(l, '\n'), "output ends in a partial line: %s", l);
		int ok = 0;
		for (int i = 0; names[i] && !ok; i++) {
			size_t n = strlen(names[i]);
			ok = !strncmp(l, names[i], n) && l[n] == ':' && l[n + 1] == ' ';
		}
		cr_assert(ok, "a line without a guest's name: %.*s\nin:\n%s",
			  (int)(strchr(l, '\n') - l), l, out);
	}
}

/* The rest of the line that starts with prefix in s, or NULL. */
static const char *line(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *l = s; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
		if (!strncmp(l, prefix, n))
			return l + n;
	return NULL;
}

static const char *must_line(const struct exo_result *r, const char *prefix)
{
	const char *l = line(r->out, prefix);
	cr_assert(l, "no line \"%s...\" in:\n%s\nstderr:\n%s", prefix, r->out, r->err);
	return l;
}

static void assert_has(const char *s, const char *needle)
{
	cr_assert(strstr(s, needle), "missing \"%s\" in:\n%s", needle, s);
}

/* --- many guests, one pool --- */

Test(many, two_guests_share_one_pool_and_prefix_every_line)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "a", HELLO, "one", "--guest", "--name", "b", HELLO,
		"two", "words", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	assert_clean(&r);
	cr_assert_str_empty(r.err);
	assert_prefixed(r.out, (const char *const[]){ "a", "b", NULL });
	assert_has(r.out, "a: hello from an exo guest in ring 0\n");
	assert_has(r.out, "a: argv[1] = one\n");
	assert_has(r.out, "b: hello from an exo guest in ring 0\n");
	assert_has(r.out, "b: argv[1] = two\n");
	assert_has(r.out, "b: argv[2] = words\n"); /* the guests' lines interleave */
	unsigned long pa, pb;
	cr_assert_eq(sscanf(must_line(&r, "a: pool "), "%lu", &pa), 1);
	cr_assert_eq(sscanf(must_line(&r, "b: pool "), "%lu", &pb), 1);
	cr_assert_eq(pa, pb, "the two guests see different pools:\n%s", r.out);
}

Test(many, ten_guests_run_at_once_named_after_their_image)
{
	struct exo_result r;
	char *argv[32] = { EXO, "run" };
	int n = 2;
	for (int i = 0; i < 10; i++) {
		argv[n++] = "--guest";
		argv[n++] = HELLO;
	}
	argv[n] = NULL;
	run_argv(argv, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	assert_clean(&r);
	cr_assert_str_empty(r.err);
	const char *names[11] = { "hello" };
	char name[10][16];
	for (int i = 1; i < 10; i++) {
		snprintf(name[i], sizeof name[i], "hello-%d", i + 1);
		names[i] = name[i];
	}
	assert_prefixed(r.out, names);
	unsigned long pool0 = 0;
	for (int i = 0; i < 10; i++) {
		char want[64];
		snprintf(want, sizeof want, "%s: hello from an exo guest in ring 0\n", names[i]);
		assert_has(r.out, want);
		snprintf(want, sizeof want, "%s: pool ", names[i]);
		unsigned long pool;
		cr_assert_eq(sscanf(must_line(&r, want), "%lu", &pool), 1);
		cr_assert(i == 0 || pool == pool0, "%s sees a pool of %lu, hello %lu", names[i], pool,
			  pool0);
		pool0 = pool;
	}
}

Test(many, a_name_given_twice_is_a_usage_error_and_nothing_runs)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "x", HELLO, "--guest", "--name", "x", HELLO, NULL);
	cr_assert_eq(r.status, 125, "status %d, stderr: %s", r.status, r.err);
	cr_assert_str_empty(r.out);
	assert_one_line_error(&r, "x");
}

/* --- pair: the ping-pong both platforms run --- */

Test(many, pair_plays_ping_pong_through_a_shared_frame)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "pong", PAIR, "pong", "--guest", "--name", "ping",
		PAIR, "ping", "pong", "10", NULL);
	cr_assert_eq(r.status, 0, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	assert_clean(&r);
	cr_assert_str_empty(r.err);
	assert_prefixed(r.out, (const char *const[]){ "ping", "pong", NULL });
	assert_has(r.out, "ping: pair: ping: 10 round trips with pong\n");
	assert_has(r.out, "pong: pair: pong: answered 10 rings\n");
}

Test(many, pair_finds_a_peer_named_later_on_the_command_line)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "ping", PAIR, "ping", "pong", "3", "--guest",
		"--name", "pong", PAIR, "pong", NULL);
	cr_assert_eq(r.status, 0, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	assert_clean(&r);
	assert_has(r.out, "ping: pair: ping: 3 round trips with pong\n");
	assert_has(r.out, "pong: pair: pong: answered 3 rings\n");
}

Test(many, five_pairs_play_at_once)
{
	struct exo_result r;
	char *argv[64] = { EXO, "run" };
	char names[10][16];
	int n = 2;
	for (int i = 0; i < 5; i++) {
		snprintf(names[2 * i], 16, "pong%d", i);
		snprintf(names[2 * i + 1], 16, "ping%d", i);
		char *const g[] = { "--guest", "--name", names[2 * i], PAIR, "pong",
				    "--guest", "--name", names[2 * i + 1], PAIR, "ping", names[2 * i], "5" };
		for (size_t k = 0; k < sizeof g / sizeof g[0]; k++)
			argv[n++] = g[k];
	}
	argv[n] = NULL;
	run_argv(argv, &r);
	cr_assert_eq(r.status, 0, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	assert_clean(&r);
	for (int i = 0; i < 5; i++) {
		char want[96];
		snprintf(want, sizeof want, "ping%d: pair: ping: 5 round trips with pong%d\n", i, i);
		assert_has(r.out, want);
		snprintf(want, sizeof want, "pong%d: pair: pong: answered 5 rings\n", i);
		assert_has(r.out, want);
	}
}

/* --- grants --- */

Test(many, a_read_only_grant_refuses_the_grantees_write_and_the_data_survives)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "owner", SHARE, "ro", "user", "--guest", "--name",
		"user", SHARE, "ro-user", NULL);
	/* owner (first) exits 0; user is ended for the write: 121. */
	cr_assert_eq(r.status, 121, "status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
	assert_clean(&r);
	unsigned long f, f2, f3, w, w2, gpa;
	cr_assert_eq(sscanf(must_line(&r, "owner: share: ro: granted frame "),
			    "%lu to user (guest %*u) read-only, first word 0x%lx", &f, &w), 2);
	cr_assert_eq(sscanf(must_line(&r, "user: share: ro-user: frame "),
			    "%lu granted read-only by guest %*u, first word 0x%lx", &f2, &w2), 2);
	cr_assert_eq(f, f2);
	cr_assert_eq(w, w2, "the grantee read 0x%lx, the grantor wrote 0x%lx", w2, w);
	cr_assert_eq(sscanf(must_line(&r, "user: share: ro-user: writing frame "),
			    "%lu at GPA 0x%lx", &f3, &gpa), 2);
	cr_assert_eq(f3, f);
	cr_assert(!strstr(r.out, "went through"), "%s", r.out);
	assert_has(r.out, "owner: share: ro: user has ended\n");
	char want[160];
	snprintf(want, sizeof want, "owner: share: ro: frame %lu intact: 0x%lx ...", f, w);
	assert_has(r.out, want);
	snprintf(want, sizeof want,
		 "exo: user: guest wrote GPA 0x%lx (frame %lu), which owner granted it read-only, "
		 "at RIP 0x", gpa, f);
	assert_has(r.err, want);
	cr_assert(!strstr(r.err, "exo: owner: "), "the grantor was reported: %s", r.err);
}

Test(many, a_read_write_grant_shows_each_guest_the_others_writes)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "owner", SHARE, "rw", "user", "--guest", "--name",
		"user", SHARE, "rw-user", NULL);
	cr_assert_eq(r.status, 0, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	assert_clean(&r);
	cr_assert_str_empty(r.err);
	unsigned long f, f2, w0, seen0, w1, got1, w2, w3, got3;
	cr_assert_eq(sscanf(must_line(&r, "owner: share: rw: granted frame "),
			    "%lu to user (guest %*u) read-write, first word 0x%lx", &f, &w0), 2);
	cr_assert_eq(sscanf(must_line(&r, "user: share: rw-user: frame "),
			    "%lu granted read-write by guest %*u, first word 0x%lx", &f2, &seen0), 2);
	cr_assert(f == f2 && w0 == seen0, "owner wrote 0x%lx in %lu, user read 0x%lx in %lu", w0,
		  f, seen0, f2);
	cr_assert_eq(sscanf(must_line(&r, "user: share: rw-user: wrote 0x"), "%lx", &w1), 1);
	cr_assert_eq(w1, ~w0);
	cr_assert_eq(sscanf(must_line(&r, "owner: share: rw: saw user's write 0x"), "%lx", &got1), 1);
	cr_assert_eq(got1, w1);
	cr_assert_eq(sscanf(must_line(&r, "user: share: rw-user: saw the grantor's write 0x"),
			    "%lx, wrote 0x%lx", &w2, &w3), 2);
	cr_assert_eq(w3, ~w2);
	cr_assert_eq(sscanf(must_line(&r, "owner: share: rw: saw user's second write 0x"), "%lx",
			    &got3), 1);
	cr_assert_eq(got3, w3);
	char want[96];
	snprintf(want, sizeof want, "owner: share: rw: revoked and released frame %lu\n", f);
	assert_has(r.out, want);
}

Test(many, revoking_a_grant_while_the_grantee_reads_ends_only_the_grantee)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "owner", SHARE, "revoke", "reader", "--guest",
		"--name", "reader", SHARE, "reader", NULL);
	cr_assert_eq(r.status, 121, "status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
	assert_clean(&r);
	unsigned long f, f2, f3, gpa, w;
	cr_assert_eq(sscanf(must_line(&r, "owner: share: revoke: granted frame "),
			    "%lu to reader (guest %*u) read-only, first word 0x%lx", &f, &w), 2);
	cr_assert_eq(sscanf(must_line(&r, "reader: share: reader: reading frame "),
			    "%lu at GPA 0x%lx until it goes", &f2, &gpa), 2);
	cr_assert_eq(sscanf(must_line(&r, "owner: share: revoke: revoked frame "),
			    "%lu while reader read it", &f3), 1);
	cr_assert(f == f2 && f == f3, "frames %lu %lu %lu", f, f2, f3);
	cr_assert(!strstr(r.out, "FAIL"), "%s", r.out);
	assert_has(r.out, "owner: share: revoke: reader has ended\n");
	char want[160];
	snprintf(want, sizeof want, "owner: share: revoke: frame %lu intact: 0x%lx ...", f, w);
	assert_has(r.out, want);
	snprintf(want, sizeof want,
		 "exo: reader: guest read GPA 0x%lx (frame %lu), which it does not own, at RIP 0x",
		 gpa, f);
	assert_has(r.err, want);
	cr_assert(!strstr(r.err, "exo: owner: "), "the grantor was reported: %s", r.err);
}

Test(many, a_grantor_that_crashes_takes_its_grants_with_it)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "owner", SHARE, "crash", "reader", "--guest",
		"--name", "reader", SHARE, "reader", NULL);
	cr_assert_eq(r.status, 120, "status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
	assert_clean(&r);
	unsigned long f, f2, gpa;
	cr_assert_eq(sscanf(must_line(&r, "owner: share: crash: ending with ud2 while reader reads "
				      "frame "), "%lu", &f), 1);
	cr_assert_eq(sscanf(must_line(&r, "reader: share: reader: reading frame "),
			    "%lu at GPA 0x%lx until it goes", &f2, &gpa), 2);
	cr_assert_eq(f, f2);
	cr_assert(!strstr(r.out, "FAIL"), "%s", r.out);
	assert_has(r.err, "exo: owner: guest fault: vector 6 (#UD invalid opcode)");
	char want[160];
	snprintf(want, sizeof want,
		 "exo: reader: guest read GPA 0x%lx (frame %lu), which it does not own, at RIP 0x",
		 gpa, f);
	assert_has(r.err, want);
}

/* --- doorbells --- */

Test(many, doorbells_coalesce_time_out_interrupt_and_turn_off)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "host", DOORBELL, "host", "--guest", "--name", "bell",
		DOORBELL, "bell", "host", NULL);
	cr_assert_eq(r.status, 0, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	assert_clean(&r);
	cr_assert_str_empty(r.err);
	unsigned b;
	cr_assert_eq(sscanf(must_line(&r, "host: doorbell: host: rung by guest "), "%u", &b), 1);
	char want[200];
	snprintf(want, sizeof want, "host: doorbell: host: 3 rings while busy: wait 1, handler ran "
		 "1 time(s) (guest %u), then wait 0\n", b);
	assert_has(r.out, want);
	assert_has(r.out, "host: doorbell: host: wait of 5 ms with no ring: 0 after >= 5 ms\n");
	snprintf(want, sizeof want, "host: doorbell: host: interrupt on vector 0x43 while spinning: "
		 "handler ran 1 time(s) (guest %u), and the spin went on\n", b);
	assert_has(r.out, want);
	assert_has(r.out, "host: doorbell: host: wait after the interrupt took the ring: 1, handler "
		   "ran 0 time(s)\n");
	assert_has(r.out, "host: doorbell: host: a ring with the doorbell off: EXO_ENOENT\n");
	assert_has(r.out, "bell: doorbell: bell: done\n");
}

Test(many, rings_from_several_guests_at_once_are_each_reported_once)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "host", DOORBELL, "many", "4",
		"--guest", DOORBELL, "bell", "host", "--guest", DOORBELL, "bell", "host",
		"--guest", DOORBELL, "bell", "host", "--guest", DOORBELL, "bell", "host", NULL);
	cr_assert_eq(r.status, 0, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	assert_clean(&r);
	assert_has(r.out, "host: doorbell: many: 4 rings reported, from 4 guests: ");
	const char *bells[] = { "doorbell", "doorbell-2", "doorbell-3", "doorbell-4" };
	for (int i = 0; i < 4; i++) {
		char want[64];
		snprintf(want, sizeof want, "%s: doorbell: bell: done\n", bells[i]);
		assert_has(r.out, want);
	}
}

/* --- bad input --- */

Test(many, every_bad_input_between_guests_is_refused_and_both_go_on)
{
	static const char *const expect[] = {
		"forger: grant a frame it does not own: EXO_EPERM, bad_index 1\n",
		"forger: revoke the frame that failed grant left: EXO_EPERM, bad_index 0\n",
		"forger: grant a frame beyond the pool: EXO_ERANGE, bad_index 1\n",
		"forger: grant a frame named twice: EXO_EPERM, bad_index 1\n",
		"forger: revoke a grant never made: EXO_EPERM, bad_index 0\n",
		"forger: grant to itself: EXO_EINVAL, bad_index 1\n",
		"forger: grant to an unknown guest: EXO_ENOENT, bad_index 1\n",
		"forger: grant to guest 0: EXO_ENOENT, bad_index 1\n",
		"forger: grant to guest 100000: EXO_ENOENT, bad_index 1\n",
		"forger: grant with op 3: EXO_EINVAL, bad_index 1\n",
		"forger: grant of 513 frames: EXO_E2BIG\n",
		"forger: grant with reserved set: EXO_EINVAL\n",
		"forger: grant vector at a foreign GPA: EXO_EFAULT\n",
		"forger: grant vector in the exo page: EXO_EFAULT\n",
		"forger: grant block at a foreign GPA: EXO_EFAULT\n",
		"forger: lookup of an unknown name: EXO_ENOENT\n",
		"forger: lookup of an empty name: EXO_EINVAL\n",
		"forger: lookup of a 33-byte name: EXO_E2BIG\n",
		"forger: lookup name at a foreign GPA: EXO_EFAULT\n",
		"forger: lookup block at a foreign GPA: EXO_EFAULT\n",
		"forger: lookup of its own name: its id\n",
		"forger: ring a guest that shares no frame: EXO_EPERM\n",
		"forger: ring itself: EXO_EINVAL\n",
		"forger: ring an unknown guest: EXO_ENOENT\n",
		"forger: ring guest 0: EXO_ENOENT\n",
		"forger: doorbell on vector 31: EXO_EINVAL\n",
		"forger: doorbell on vector 256: EXO_EINVAL\n",
		"forger: pending set not 8-byte aligned: EXO_EINVAL\n",
		"forger: pending set across two frames: EXO_EINVAL\n",
		"forger: pending set at a foreign GPA: EXO_EFAULT\n",
		"forger: pending set in the exo page: EXO_EFAULT\n",
		"forger: doorbell op 3: EXO_EINVAL\n",
		"forger: doorbell with reserved set: EXO_EINVAL\n",
		"forger: doorbell block at a foreign GPA: EXO_EFAULT\n",
		"forger: wait with no ring and timeout 0: 0\n",
		"forger: revoke a grant of a released frame: EXO_EPERM, bad_index 0\n",
		"forger: share_forged: still running, owning ",
		"target: target: grant a frame granted to it: EXO_EPERM, bad_index 0\n",
		"target: target: console buffer in a granted frame: EXO_EFAULT\n",
		"target: target: info block in a granted frame: EXO_EFAULT\n",
	};
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "forger", FORGED, "forge", "target", "--guest",
		"--name", "target", FORGED, "target", NULL);
	cr_assert_eq(r.status, 0, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	assert_clean(&r);
	cr_assert_str_empty(r.err);
	for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
		assert_has(r.out, expect[i]);
	assert_has(r.out, "(as before: yes)\n");

	/* The target saw the frames the forger named, and nothing else. */
	unsigned forger, x1, x2;
	unsigned long a, b, a2, b2, n1, n2;
	cr_assert_eq(sscanf(must_line(&r, "forger: share_forged: guest "),
			    "%u (forger) owns frames %lu and %lu", &forger, &a, &b), 3);
	cr_assert_eq(sscanf(must_line(&r, "target: share_forged: target: rung by guest "),
			    "%u; granted frame %lu read-only, %lu in all", &x1, &a2, &n1), 3);
	cr_assert_eq(sscanf(must_line(&r, "target: share_forged: target: rung again by guest "),
			    "%u; granted frame %lu, %lu in all", &x2, &b2, &n2), 3);
	cr_assert(x1 == forger && x2 == forger && a2 == a && b2 == b && n1 == 1 && n2 == 1,
		  "%s", r.out);
}

/* --- concurrent allocation --- */

Test(many, six_guests_allocate_and_release_at_once_each_frame_exclusive)
{
	struct exo_result r;
	/* A pool just large enough: released frames are reused at once by
	 * the others, so a frame given twice or not zeroed would show. */
	exo_run(&r, "run", "--pool", "16M", "--mem", "2M", "--guest", STRESS, "--guest", STRESS,
		"--guest", STRESS, "--guest", STRESS, "--guest", STRESS, "--guest", STRESS, NULL);
	cr_assert_eq(r.status, 0, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	assert_clean(&r);
	cr_assert_str_empty(r.err);
	const char *names[] = { "stress", "stress-2", "stress-3", "stress-4", "stress-5", "stress-6" };
	for (int i = 0; i < 6; i++) {
		char want[96];
		snprintf(want, sizeof want, "%s: stress: %s: 200 rounds of 16 frames, 0 failures\n",
			 names[i], names[i]);
		assert_has(r.out, want);
	}
}

/* --- how a run of many ends --- */

Test(many, exit_status_is_the_first_failing_guests_on_the_command_line)
{
	struct exo_result r;
	/* pair with no arguments: status 1; crash ud: 120. */
	exo_run(&r, "run", "--guest", HELLO, "--guest", PAIR, "--guest", CRASH, "ud", NULL);
	cr_assert_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	assert_clean(&r);
	assert_has(r.out, "hello: hello from an exo guest in ring 0\n");
	assert_has(r.out, "pair: pair: usage: pair pong | pair ping PEER [ROUNDS]\n");
	assert_has(r.err, "exo: crash: guest fault: vector 6 (#UD invalid opcode)");

	exo_run(&r, "run", "--guest", CRASH, "ud", "--guest", PAIR, "--guest", HELLO, NULL);
	cr_assert_eq(r.status, 120, "status %d, stderr: %s", r.status, r.err);
	assert_clean(&r);
	assert_has(r.out, "hello: hello from an exo guest in ring 0\n");
	assert_has(r.out, "pair: pair: usage: ");
}

Test(many, a_crashing_guest_ends_alone_and_the_others_finish)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--name", "pong", PAIR, "pong", "--guest", CRASH, "pf",
		"--guest", "--name", "ping", PAIR, "ping", "pong", "5", "--guest", HELLO, NULL);
	cr_assert_eq(r.status, 120, "status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
	assert_clean(&r);
	assert_has(r.out, "ping: pair: ping: 5 round trips with pong\n");
	assert_has(r.out, "pong: pair: pong: answered 5 rings\n");
	assert_has(r.out, "hello: hello from an exo guest in ring 0\n");
	assert_has(r.out, "crash: touching 0x5000\n");
	assert_has(r.err, "exo: crash: guest fault: vector 14 (#PF page fault)");
	/* Every report is the crashed guest's. */
	for (const char *l = r.err; *l; l = strchr(l, '\n') + 1)
		cr_assert(!strncmp(l, "exo: crash: ", 12), "a report not about crash: %s", r.err);
}

Test(many, a_bad_image_among_good_ones_runs_nothing)
{
	struct exo_result r;
	exo_run(&r, "run", "--guest", HELLO, "--guest", "Makefile", "--guest", HELLO, NULL);
	cr_assert_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	cr_assert_str_empty(r.out);
	assert_one_line_error(&r, "Makefile");

	exo_run(&r, "run", "--guest", HELLO, "--guest", IMAGES "no-such-image", NULL);
	cr_assert_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	cr_assert_str_empty(r.out);
	assert_one_line_error(&r, "no-such-image");
}

Test(many, stats_are_reported_per_guest)
{
	struct exo_result r;
	exo_run(&r, "run", "--stats", "--guest", "--name", "a", HELLO, "--guest", "--name", "b",
		HELLO, "x", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	assert_clean(&r);
	/* hello: 3 printfs and exit; b has one more argument to print. */
	assert_has(r.err, "exo: stats: a: hypercalls: console=3 exit=1 total=4\n");
	assert_has(r.err, "exo: stats: b: hypercalls: console=4 exit=1 total=5\n");
	const char *a = line(r.err, "exo: stats: a: "), *b = line(r.err, "exo: stats: b: ");
	cr_assert(a && b && strstr(a, "first guest instruction at ") &&
		  strstr(b, "first guest instruction at "), "%s", r.err);
	for (const char *l = r.err; *l; l = strchr(l, '\n') + 1)
		cr_assert(!strncmp(l, "exo: stats: a: ", 15) || !strncmp(l, "exo: stats: b: ", 15),
			  "a stats line without its guest's name: %s", r.err);
}
