/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_trace.c: `exo run --trace[=FILE]`: one line per exit
 * or hypercall, "exo: trace: TIME NAME KIND [ARGS] = RESULT", whose
 * hypercalls are exactly those --stats counts, in the order the guest
 * made them.
 */
#include "harness.h"

#include <stdint.h>

/* The KIND of each trace line in text (a hypercall's name, or an exit's
 * kind), in order, for guest name; how many. */
static int kinds(const char *text, const char *name, char kind[][32], int max)
{
	int n = 0;
	for (const char *l = text; (l = strstr(l, "exo: trace: ")); l++) {
		char who[64], k[32];
		unsigned long long us;
		if (sscanf(l, "exo: trace: %llu %63s %31s", &us, who, k) != 3)
			cr_assert_fail("a malformed trace line: %.80s", l);
		if (strcmp(who, name) || !strcmp(k, "interrupted"))
			continue;
		cr_assert(n < max);
		snprintf(kind[n++], 32, "%s", k);
	}
	return n;
}

/* --stats' "hypercalls:" count for call (0 if absent). */
static unsigned stat_count(const char *err, const char *call)
{
	const char *h = strstr(err, "exo: stats: hypercalls:");
	cr_assert(h, "no hypercalls line: %s", err);
	char want[40];
	snprintf(want, sizeof want, " %s=", call);
	const char *end = strchr(h, '\n'), *p = strstr(h, want);
	return p && p < end ? (unsigned)strtoul(p + strlen(want), NULL, 10) : 0;
}

Test(trace, hello_lists_exactly_its_hypercalls_in_order)
{
	struct exo_result r;
	exo_run(&r, "run", "--trace", "--stats", "build/apps/hello", "world", NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	char k[64][32];
	int n = kinds(r.err, "hello", k, 64);
	/* four lines of console output, then its exit */
	static const char *const want[] = { "console", "console", "console", "console", "exit" };
	cr_assert_eq(n, 5, "%d traced calls: %s", n, r.err);
	for (int i = 0; i < n; i++)
		cr_assert_str_eq(k[i], want[i], "call %d: %s", i, r.err);
	cr_assert_eq(stat_count(r.err, "console"), 4);
	cr_assert_eq(stat_count(r.err, "exit"), 1);
	cr_assert(strstr(r.err, "hello console len=34 = 34\n"), "%s", r.err);
	cr_assert(strstr(r.err, "hello exit status=0 = 0 ended\n"), "%s", r.err);
}

/* A program under posix-shim: forwarded calls show their names and
 * results, and every hypercall --stats counts is traced. */
Test(trace, forwarded_calls_are_named_and_counts_match_stats)
{
	struct exo_result r;
	exo_run(&r, "run", "--trace", "--stats", "build/tests/posix/progs/sleeper", "sleep", "0",
		NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.err, "sleeper forward n=1 nanosleep=0 = 1\n"), "%s", r.err);
	cr_assert(strstr(r.err, "sleeper forward n=1 write=6 = 1\n"), "%s", r.err);
	cr_assert(strstr(r.err, "sleeper exit-process code=0 signal=0 = 0 ended\n"), "%s", r.err);
	char k[512][32];
	int n = kinds(r.err, "sleeper", k, 512);
	static const char *const calls[] = { "console", "exit", "frame-alloc", "frame-release",
					     "info", "fault", "forward", "exit-process", "notice",
					     "grant", "lookup", "doorbell", "upcall", "yield" };
	unsigned total = 0;
	for (unsigned c = 0; c < sizeof calls / sizeof calls[0]; c++) {
		unsigned seen = 0;
		for (int i = 0; i < n; i++)
			seen += !strcmp(k[i], calls[c]);
		cr_assert_eq(seen, stat_count(r.err, calls[c]), "%s: traced %u: %s", calls[c], seen,
			     r.err);
		total += seen;
	}
	cr_assert_eq(total, (unsigned)n, "traced lines that are no hypercall: %s", r.err);
}

/* --trace=FILE: the lines go there, not to stderr; several guests each
 * named; a WAIT's line carries what it returned. */
Test(trace, to_a_file_with_several_guests)
{
	char path[] = "/tmp/exo-trace-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	char opt[64];
	snprintf(opt, sizeof opt, "--trace=%s", path);
	struct exo_result r;
	exo_run(&r, "run", opt, "--guest", IMAGES "pair", "pong", "--guest", IMAGES "pair", "ping",
		"pair", "2", NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_assert(!strstr(r.err, "trace"), "%s", r.err);
	static char text[65536];
	ssize_t len = read(fd, text, sizeof text - 1);
	close(fd);
	unlink(path);
	cr_assert(len > 0);
	text[len] = '\0';
	cr_assert(strstr(text, " pair doorbell op=wait timeout_ns=10000000000 = 1\n"), "%s", text);
	cr_assert(strstr(text, " pair-2 grant op=rw n=1 to=1 = 1\n"), "%s", text);
	cr_assert(strstr(text, " pair-2 exit status=0 = 0 ended\n"), "%s", text);
}

/* Exits that are no hypercall: each kind named, with where. */
Test(trace, exits_that_end_a_guest_are_named)
{
	static const char *const modes[][2] = {
		{ "port", "crash io port=0x80 out rip=0x" },
		{ "read-unowned", "crash mmio gpa=0x" },
		{ "triple", "crash shutdown rip=0x" },
		{ "hlt", "crash halt rip=0x" },
		{ "pf", "crash fault vector=14 rip=0x" },
	};
	for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		struct exo_result r;
		exo_run(&r, "run", "--trace", IMAGES "crash", modes[i][0], NULL);
		cr_assert_neq(r.status, 0, "%s", modes[i][0]);
		const char *l = strstr(r.err, modes[i][1]);
		cr_assert(l, "%s: no \"%s\": %s", modes[i][0], modes[i][1], r.err);
		cr_assert(strstr(l, " ended\n"), "%s: %s", modes[i][0], r.err);
	}
}

Test(trace, a_file_that_cannot_be_made_is_a_usage_error)
{
	struct exo_result r;
	exo_run(&r, "run", "--trace=/nonexistent/dir/t", "build/apps/hello", NULL);
	cr_assert_eq(r.status, 125, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "--trace=/nonexistent/dir/t: No such file or directory");
	cr_assert_str_empty(r.out);
}
