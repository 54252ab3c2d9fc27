/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/sleeper.c: a program that blocks in a host call, for
 * tests/guest/test_signals.c: "sleeper sleep SECONDS" prints "ready" and
 * sleeps (nanosleep, forwarded to the host); "sleeper read" prints
 * "ready" and reads stdin to its end. Either prints "woke" and exits 0
 * if the call returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sleeper sleep SECONDS | sleeper read\n");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	if (!strcmp(argv[1], "sleep") && argc > 2) {
		struct timespec t = { atoi(argv[2]), 0 };
		nanosleep(&t, NULL);
	} else {
		char buf[256];
		while (read(0, buf, sizeof buf) > 0)
			;
	}
	printf("woke\n");
	return 0;
}
