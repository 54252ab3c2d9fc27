/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/report.c: the one way the kvm platform reports its own errors,
 * and the clock it measures with.
 *
 * A report is formatted first and written as one line in one write, so
 * that with several vCPU threads it never lands inside another guest's
 * line (console.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kvm.h"

int kvm_fail(int status, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + 5, sizeof line - 6, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof line - 7)
		n = (int)sizeof line - 7;
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): a prefix; written by length */
	memcpy(line, "exo: ", 5);
	line[5 + n] = '\n';
	kvm_out_raw(2, line, (uint64_t)n + 6);
	return status;
}

uint64_t kvm_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
