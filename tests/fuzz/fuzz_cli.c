/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_cli.c: libFuzzer harness for the `exo run` command
 * line: kvm_parse_run (hv/kvm/cli.c, linked with what tests/kvm/test_cli
 * links) and the hv/core parsers it uses, hv_parse_size and
 * hv_parse_ring (hv/core/parse.c).
 *
 * The input is split at NUL bytes into at most ARGS_MAX arguments (the
 * words after "run"). Each word also goes to hv_parse_size and
 * hv_parse_ring on its own. What must hold: kvm_parse_run returns 0 or
 * HV_STATUS_USAGE (its one-line message goes to stderr: run with
 * -close_fd_mask=3); on 0, --help, or one to EXO_GUESTS_MAX - 1 guests, each with an
 * IMAGE that is one of the arguments and is its argv[0], its argv inside
 * the argument vector, a --mem that is a positive multiple of the page
 * size no larger than the pool, a valid name (1..EXO_NAME_MAX printable
 * bytes, no space or '/') that no other guest has, and a ring hv knows.
 * hv_parse_size accepts only positive multiples of the page size and
 * gives a reason when it refuses; hv_parse_ring gives only EXO_RING_*.
 *
 * Seeds: tests/fuzz/corpus/cli/. Run: make fuzz (see the Makefile).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "fuzz_plat.h" /* fuzz_fail */

#define ARGS_MAX 64

__attribute__((noreturn)) static void fail(const char *what, const char *arg)
{
	fuzz_fail("fuzz_cli: %s%s%.64s", what, arg ? ": " : "", arg ? arg : "");
}

static int is_arg(char **argv, int argc, const char *p)
{
	for (int i = 0; i < argc; i++)
		if (argv[i] == p)
			return 1;
	return 0;
}

static void check_words(char **argv, int argc)
{
	for (int i = 0; i < argc; i++) {
		uint64_t bytes = 0;
		uint32_t ring = 0;
		const char *why = NULL;
		if (hv_parse_size(argv[i], &bytes, &why) == 0) {
			if (bytes == 0 || bytes % EXO_PAGE_SIZE)
				fail("hv_parse_size accepted a size that is no page multiple", argv[i]);
		} else if (!why || !*why) {
			fail("hv_parse_size refused without a reason", argv[i]);
		}
		if (hv_parse_ring(argv[i], &ring) == 0 && ring != EXO_RING_0 &&
		    ring != EXO_RING_3 && ring != EXO_RING_AUTO)
			fail("hv_parse_ring gave no EXO_RING_*", argv[i]);
	}
}

static void check_options(const struct kvm_options *o, char **argv, int argc)
{
	if (o->help)
		return; /* --help or -h: the usage is printed, nothing runs */
	if (o->nguests < 1 || o->nguests > (int)EXO_GUESTS_MAX - 1)
		fail("accepted with no guests or too many", NULL);
	for (int n = 0; n < o->nguests; n++) {
		const struct kvm_guest_opts *g = &o->guest[n];
		if (!g->image || !is_arg(argv, argc, g->image))
			fail("a guest's IMAGE is not one of the arguments", g->image);
		if (g->argc < 1 || g->argv < argv || g->argv + g->argc > argv + argc ||
		    g->argv[0] != g->image)
			fail("a guest's argv is not the arguments from its IMAGE on", g->image);
		if (g->mem_bytes == 0 || g->mem_bytes % EXO_PAGE_SIZE || g->mem_bytes > o->pool_bytes)
			fail("a guest's --mem is no page multiple or larger than the pool", g->image);
		if (g->ring != EXO_RING_0 && g->ring != EXO_RING_3 && g->ring != EXO_RING_AUTO)
			fail("a guest's ring is no EXO_RING_*", g->image);
		size_t len = strnlen(g->name, sizeof g->name);
		if (len == 0 || len > EXO_NAME_MAX)
			fail("a guest's name is empty or too long", g->image);
		for (size_t i = 0; i < len; i++)
			if (g->name[i] <= ' ' || g->name[i] >= 0x7f || g->name[i] == '/')
				fail("a guest's name has a character names cannot hold", g->name);
		for (int m = 0; m < n; m++)
			if (!strcmp(o->guest[m].name, g->name))
				fail("two guests have one name", g->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kvm_options o;
	char *copy = malloc(size + 1), *argv[ARGS_MAX + 1];
	int argc = 0;
	if (!copy)
		fail("out of memory", NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy; argc < ARGS_MAX && p < copy + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	check_words(argv, argc);
	int rc = kvm_parse_run(argc, argv, &o);
	if (rc == 0)
		check_options(&o, argv, argc);
	else if (rc != HV_STATUS_USAGE)
		fail("kvm_parse_run returned neither 0 nor HV_STATUS_USAGE", NULL);
	free(copy);
	return 0;
}
