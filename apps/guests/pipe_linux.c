/* SPDX-License-Identifier: MIT */
/*
 * apps/guests/pipe_linux.c: the Linux row the guests' round trips are
 * compared with: a ping-pong between two processes over two pipes.
 *
 *   guests-pipe [ROUNDS [BYTES]]     ROUNDS default 100 (1..1000000),
 *                                    BYTES default 1 (1..65536)
 *
 * The parent writes BYTES into one pipe; the child, forked before, reads
 * them all and writes them back into the other; the parent reads them all
 * back. Each round trip is timed in the parent with CLOCK_MONOTONIC, after
 * one untimed round trip, and it prints
 *
 *   pipe: pipe round trip, N bytes each way: median N ns, min N ns, max N ns (R rounds)
 *
 * the form apps/guests' pingpong prints. 1 byte is a doorbell's analogue
 * (a wake-up and a word of news); 4096 the grant round trip's (a page's
 * worth of data to the other side and back, copied where a grant maps).
 * A failure is one line "pipe: ..." on stderr and status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS_MAX 1000000L
#define BYTES_MAX 65536L

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pipe: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static long number(const char *s, const char *what, long max)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end || v < 1 || v > max)
		die("%s must be 1..%ld, not '%s'", what, max, s);
	return v;
}

/* Move exactly n bytes; 0, or -1 at EOF or on an error (errno). */
static int io_all(int fd, char *buf, long n, int writing)
{
	for (long done = 0; done < n;) {
		ssize_t r = writing ? write(fd, buf + done, (size_t)(n - done))
				    : read(fd, buf + done, (size_t)(n - done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EPIPE;
			return -1;
		}
		done += r;
	}
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc > 3)
		die("usage: guests-pipe [ROUNDS [BYTES]]");
	long rounds = argc > 1 ? number(argv[1], "ROUNDS", ROUNDS_MAX) : 100;
	long bytes = argc > 2 ? number(argv[2], "BYTES", BYTES_MAX) : 1;
	static char buf[BYTES_MAX];
	int64_t *t = malloc((size_t)rounds * sizeof *t);
	int there[2], back[2];
	if (!t)
		die("out of memory for %ld times", rounds);
	if (pipe(there) < 0 || pipe(back) < 0)
		die("pipe: %s", strerror(errno));
	pid_t child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (child == 0) {
		close(there[1]);
		close(back[0]);
		/* Echo until the parent closes its end. */
		while (io_all(there[0], buf, bytes, 0) == 0)
			if (io_all(back[1], buf, bytes, 1) < 0)
				_exit(1);
		_exit(0);
	}
	close(there[0]);
	close(back[1]);
	memset(buf, 'x', (size_t)bytes);
	for (long i = -1; i < rounds; i++) {
		int64_t t0 = now_ns();
		if (io_all(there[1], buf, bytes, 1) < 0 || io_all(back[0], buf, bytes, 0) < 0)
			die("round trip %ld: %s", i + 1, strerror(errno));
		if (i >= 0)
			t[i] = now_ns() - t0;
	}
	close(there[1]);
	int st;
	if (waitpid(child, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("the echoing child failed");
	qsort(t, (size_t)rounds, sizeof *t, cmp);
	int64_t med = rounds % 2 ? t[rounds / 2] : (t[rounds / 2 - 1] + t[rounds / 2]) / 2;
	printf("pipe: pipe round trip, %ld byte%s each way: median %lld ns, min %lld ns, max %lld ns (%ld rounds)\n",
	       bytes, bytes == 1 ? "" : "s", (long long)med, (long long)t[0], (long long)t[rounds - 1], rounds);
	return 0;
}
