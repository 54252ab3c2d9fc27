/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/harness.h: runs build/exo as a user would and captures what
 * came out.
 *
 * exo_run() forks build/exo with the given arguments (optionally under a
 * wrapper command such as unshare or setpriv), collects stdout and stderr
 * separately, and kills the run if it takes longer than a generous limit,
 * so a hang is a test failure and never a stuck suite. Paths are relative
 * to the repository root, where `make test` runs.
 */
#ifndef TESTS_GUEST_HARNESS_H
#define TESTS_GUEST_HARNESS_H

#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXO "build/exo"
#define IMAGES "build/tests/guest/"
#define RUN_LIMIT_S 60

struct exo_result {
	int status;   /* exit status, or 128 + signal */
	int timed_out;
	char out[65536], err[65536];
};

static void drain(int fd, char *buf, size_t *len, size_t cap, int *open)
{
	ssize_t n = read(fd, buf + *len, cap - 1 - *len);
	if (n <= 0) {
		*open = 0;
		return;
	}
	*len += (size_t)n;
	buf[*len] = '\0';
}

/* The parent's half of a run: read the child's stdout and stderr from the
 * pipes' read ends until both close, kill it past RUN_LIMIT_S, and record
 * how it ended (128 + n for a signal). A run that timed out fails. */
static inline void collect(pid_t pid, int out[2], int err[2], struct exo_result *r,
			   const char *what)
{
	close(out[1]);
	close(err[1]);
	size_t lo = 0, le = 0;
	int oo = 1, eo = 1;
	time_t deadline = time(NULL) + RUN_LIMIT_S;
	while ((oo || eo) && time(NULL) < deadline) {
		struct pollfd p[2] = { { oo ? out[0] : -1, POLLIN, 0 }, { eo ? err[0] : -1, POLLIN, 0 } };
		if (poll(p, 2, 1000) <= 0)
			continue;
		if (p[0].revents)
			drain(out[0], r->out, &lo, sizeof r->out, &oo);
		if (p[1].revents)
			drain(err[0], r->err, &le, sizeof r->err, &eo);
	}
	if (oo || eo) {
		r->timed_out = 1;
		kill(pid, SIGKILL);
	}
	int st;
	waitpid(pid, &st, 0);
	close(out[0]);
	close(err[0]);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	cr_assert(!r->timed_out, "%s did not finish within %d s; stderr: %s", what, RUN_LIMIT_S,
		  r->err);
}

/* Run argv (NULL-terminated; argv[0] is the program) and fill r. */
static inline void run_argv(char *const argv[], struct exo_result *r)
{
	int out[2], err[2];
	memset(r, 0, sizeof *r);
	cr_assert(pipe(out) == 0 && pipe(err) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execvp(argv[0], argv);
		fprintf(stderr, "harness: exec %s failed\n", argv[0]);
		_exit(255);
	}
	collect(pid, out, err, r, argv[0]);
}

/* exo_run(&r, "run", "--mem", "1M", IMAGES "hello", NULL) */
static inline void exo_run(struct exo_result *r, ...)
{
	char *argv[64] = { EXO };
	int n = 1;
	va_list ap;
	va_start(ap, r);
	while (n < 63 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	run_argv(argv, r);
}

/* 1 if root can run build/exo as user nobody (setpriv), which needs every
 * directory above the build to be searchable by others. */
static inline int nobody_can_run_exo(void)
{
	if (geteuid() != 0)
		return 0;
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", EXO,
			 "--help", NULL };
	struct exo_result *r = malloc(sizeof *r);
	run_argv(argv, r);
	int ok = r->status == 0;
	free(r);
	return ok;
}

/* stderr is exactly one line: exo's contract for errors. */
static inline void assert_one_line_error(const struct exo_result *r, const char *needle)
{
	cr_assert_str_not_empty(r->err);
	cr_assert(strncmp(r->err, "exo: ", 5) == 0, "stderr: %s", r->err);
	cr_assert(strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
		  "expected one line on stderr, got: %s", r->err);
	cr_assert(strstr(r->err, needle), "stderr lacks \"%s\": %s", needle, r->err);
}

#endif
