/*
 * hv/kvm/report.c: the one way the kvm platform reports an error (its own,
 * or a guest's notice) and the clock it measures with.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "kvm.h"

int kvm_fail(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("exo: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return status;
}

uint64_t kvm_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void hv_plat_notice(struct hv_guest *g, const char *text)
{
	(void)g;
	fprintf(stderr, "exo: %s\n", text);
}
