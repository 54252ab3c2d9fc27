/* SPDX-License-Identifier: MIT */
/*
 * tests/metal/progs/compute.c: a compute-only Linux program for hv/metal.
 *
 * Plain C, built with musl-gcc -static: no file other than stdout. It
 * echoes its argv and environment size, counts primes with a sieve,
 * checksums a few MiB of malloc'd memory (brk/mmap and demand-zero page
 * faults under posix-shim), sorts with qsort and prints some floating
 * point. Every line is deterministic, so its output natively and under
 * hv/metal (tests/metal/test_bochs.c) must be the same. The work is kept
 * small: under Bochs it runs emulated. Natively, give it the environment
 * exo gives a program:
 *
 *   env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/ LANG=C compute ARGS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIEVE_N 100000
#define ARRAY_BYTES (4u << 20)
#define SORT_N 5000

static uint32_t rng = 12345;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void primes(void)
{
	char *composite = calloc(SIEVE_N + 1, 1);
	unsigned count = 0, last = 0;
	uint64_t sum = 0;
	for (unsigned i = 2; i <= SIEVE_N; i++) {
		if (composite[i])
			continue;
		count++, last = i, sum += i;
		for (unsigned j = i * 2; j <= SIEVE_N; j += i)
			composite[j] = 1;
	}
	free(composite);
	printf("primes below %u: %u, the last %u, their sum %llu\n", SIEVE_N, count, last,
	       (unsigned long long)sum);
}

/* FNV-1a over an array filled with a pattern, in 64-bit words. */
static void checksum(void)
{
	uint64_t *a = malloc(ARRAY_BYTES), h = 0xcbf29ce484222325ull;
	size_t n = ARRAY_BYTES / sizeof *a;
	if (!a) {
		printf("malloc of %u bytes failed\n", ARRAY_BYTES);
		exit(2);
	}
	for (size_t i = 0; i < n; i++)
		a[i] = i * 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i += 7)
		h = (h ^ a[i]) * 0x100000001b3ull;
	free(a);
	printf("checksum of %u KiB: %016llx\n", ARRAY_BYTES >> 10, (unsigned long long)h);
}

static void sort(void)
{
	uint32_t *v = malloc(SORT_N * sizeof *v);
	for (unsigned i = 0; i < SORT_N; i++)
		v[i] = next() % 1000000;
	qsort(v, SORT_N, sizeof *v, cmp_u32);
	int sorted = 1;
	for (unsigned i = 1; i < SORT_N; i++)
		sorted &= v[i - 1] <= v[i];
	printf("qsort of %u: %s, min %u, median %u, max %u\n", SORT_N, sorted ? "sorted" : "NOT SORTED",
	       v[0], v[SORT_N / 2], v[SORT_N - 1]);
	free(v);
}

static void floating(void)
{
	/* pi by the Leibniz series, e by its series, and a square root by
	 * Newton's method: only + - * /, so every libm gives the same bits. */
	double pi = 0, e = 1, term = 1, r = 2;
	for (int k = 0; k < 20000; k++)
		pi += (k & 1 ? -4.0 : 4.0) / (2 * k + 1);
	for (int k = 1; k < 20; k++)
		e += term /= k;
	for (int k = 0; k < 6; k++)
		r = (r + 2 / r) / 2;
	printf("pi %.6f e %.6f sqrt2 %.6f pi*e %.6f\n", pi, e, r, pi * e);
}

int main(int argc, char **argv)
{
	extern char **environ;
	int envc = 0;
	printf("compute: argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	for (char **e = environ; *e; e++)
		envc++;
	const char *path = getenv("PATH");
	printf("environment: %d variables, PATH=%s\n", envc, path ? path : "(unset)");
	primes();
	checksum();
	sort();
	floating();
	/* "status=N" among the arguments: end with exit status N (0-255),
	 * which a guestlib guest could not (it has 0-119). */
	int status = 0;
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "status=", 7))
			status = atoi(argv[i] + 7) & 255;
	printf("compute: done, exit status %d\n", status);
	return status;
}
