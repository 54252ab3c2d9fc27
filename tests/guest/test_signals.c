/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_signals.c: SIGINT, SIGTERM and SIGHUP sent to exo
 * mid-run stop every guest: one line on stderr naming the signal, --stats
 * still printed when asked, status 128 + n. Guests that spin, that sleep
 * in a forwarded nanosleep, that read a pipe nobody writes, and several
 * at once; each must end well within a second of the signal.
 */
#include "harness.h"

#include <fcntl.h>

/* Start exo with argv (after "build/exo"), wait until its stdout holds
 * ready (NULL: wait ready_ms), send sig, and collect. Returns how many
 * seconds it took to end after the signal. */
static double signal_run(struct exo_result *r, int sig, const char *ready, int ready_ms,
			 char *const argv[])
{
	int out[2], err[2], in[2];
	memset(r, 0, sizeof *r);
	cr_assert(pipe(out) == 0 && pipe(err) == 0 && pipe(in) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0); /* a stdin nobody writes, never closed: a read blocks */
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execv(EXO, argv);
		_exit(255);
	}
	close(in[0]);
	if (ready) {
		size_t len = 0;
		time_t deadline = time(NULL) + RUN_LIMIT_S;
		while (!strstr(r->out, ready) && time(NULL) < deadline) {
			struct pollfd p = { out[0], POLLIN, 0 };
			if (poll(&p, 1, 1000) <= 0)
				continue;
			ssize_t n = read(out[0], r->out + len, sizeof r->out - 1 - len);
			cr_assert(n > 0, "exo's stdout closed before \"%s\": %s", ready, r->out);
			len += (size_t)n;
			r->out[len] = '\0';
		}
		cr_assert(strstr(r->out, ready), "no \"%s\" from the guest", ready);
	}
	usleep((useconds_t)ready_ms * 1000);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	kill(pid, sig);
	char before[sizeof r->out];
	memcpy(before, r->out, sizeof before);
	collect(pid, out, err, r, "exo");
	clock_gettime(CLOCK_MONOTONIC, &b);
	close(in[1]);
	/* collect() filled r->out afresh: keep what came before the signal */
	char after[sizeof r->out];
	snprintf(after, sizeof after, "%s%s", before, r->out);
	memcpy(r->out, after, sizeof r->out);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

#define ARGV(...) ((char *const[]){ EXO, __VA_ARGS__, NULL })

Test(signals, sigint_stops_a_spinning_guest_with_130)
{
	struct exo_result r;
	double t = signal_run(&r, SIGINT, NULL, 500,
			      ARGV("run", IMAGES "revoke", "loop", "60000"));
	cr_assert_eq(r.status, 130, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "exo: interrupted by SIGINT: guest stopped");
	cr_assert(t < 1.5, "took %.3f s after the signal", t);
}

Test(signals, sigterm_stops_a_guest_and_stats_are_printed)
{
	struct exo_result r;
	signal_run(&r, SIGTERM, NULL, 500,
		   ARGV("run", "--stats", IMAGES "revoke", "loop", "60000"));
	cr_assert_eq(r.status, 143, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.err, "exo: stats: exits:"), "no --stats: %s", r.err);
	const char *last = strstr(r.err, "exo: interrupted by SIGTERM: guest stopped\n");
	cr_assert(last && !strchr(last, '\n')[1], "the line is not the last: %s", r.err);
}

Test(signals, sighup_stops_a_guest_asleep_in_a_forwarded_nanosleep)
{
	struct exo_result r;
	double t = signal_run(&r, SIGHUP, "ready\n", 100,
			      ARGV("run", "build/tests/posix/progs/sleeper", "sleep", "60"));
	cr_assert_eq(r.status, 129, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "exo: interrupted by SIGHUP: guest stopped");
	cr_assert(!strstr(r.out, "woke"), "%s", r.out);
	cr_assert(t < 1.5, "took %.3f s after the signal", t);
}

Test(signals, sigint_stops_a_guest_blocked_reading_its_stdin)
{
	struct exo_result r;
	double t = signal_run(&r, SIGINT, "ready\n", 100,
			      ARGV("run", "build/tests/posix/progs/sleeper", "read"));
	cr_assert_eq(r.status, 130, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "exo: interrupted by SIGINT: guest stopped");
	cr_assert(t < 1.5, "took %.3f s after the signal", t);
}

/* Several guests: one spinning, one held in a WAIT (a lookup of a guest
 * that never comes), one asleep; one that ended first keeps its status
 * and is not named. */
Test(signals, sigterm_stops_every_guest_and_names_them)
{
	struct exo_result r;
	double t = signal_run(&r, SIGTERM, "quick: revoke: loop: done", 300,
			      ARGV("run", "--guest", IMAGES "revoke", "loop", "60000",
				   "--guest", IMAGES "doorbell", "bell", "nobody",
				   "--guest", "build/tests/posix/progs/sleeper", "sleep", "60",
				   "--guest", "--name", "quick", IMAGES "revoke", "loop", "10"));
	cr_assert_eq(r.status, 143, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "exo: interrupted by SIGTERM: guests stopped: revoke, "
			      "doorbell, sleeper");
	cr_assert(t < 1.5, "took %.3f s after the signal", t);
}

/* Nothing left behind: no file in /tmp, no process, and max_map_count as
 * it was (exo raises it only beyond what it was and never lowers it). */
Test(signals, a_second_run_after_a_stop_runs_normally)
{
	struct exo_result r;
	signal_run(&r, SIGINT, NULL, 300, ARGV("run", IMAGES "revoke", "loop", "60000"));
	cr_assert_eq(r.status, 130, "status %d, stderr: %s", r.status, r.err);
	exo_run(&r, "run", IMAGES "revoke", "loop", "10", NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
}

/* exo waiting for gdb (--gdb) before any guest ran: the wait ends too. */
Test(signals, sigint_ends_a_wait_for_gdb)
{
	struct exo_result r;
	char port[16];
	snprintf(port, sizeof port, "%d", 20000 + getpid() % 20000);
	signal_run(&r, SIGINT, NULL, 300, ARGV("run", "--gdb", port, "build/apps/hello"));
	cr_assert_eq(r.status, 130, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.err, "exo: interrupted by SIGINT: no guest had started\n"), "%s", r.err);
}
