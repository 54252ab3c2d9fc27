/* SPDX-License-Identifier: MIT */
/*
 * tests/metal/test_module.c: hv/metal's module command lines, on the host
 * (hv/metal/module.c is pure; sizes and rings go through hv/core's
 * parsers, linked in).
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "metal.h"

#define MIB (1ull << 20)

static struct metal_spec s;
static const char *why;

static int parse(const char *cmdline)
{
	why = NULL;
	return metal_module_parse(cmdline, 64 * MIB, &s, &why);
}

Test(module, a_plain_line_is_argv_with_the_defaults)
{
	cr_assert_eq(parse("hello on metal"), 0, "%s", why);
	cr_assert_str_eq(s.name, "hello");
	cr_assert_eq(s.named, 0);
	cr_assert_eq(s.argc, 3);
	cr_assert_str_eq(s.argv[0], "hello");
	cr_assert_str_eq(s.argv[2], "metal");
	cr_assert_eq(s.mem_bytes, 64 * MIB);
	cr_assert_eq(s.ring, EXO_RING_AUTO);
	cr_assert_eq(s.wait, 0);
}

Test(module, options_come_before_argv0_in_any_order)
{
	cr_assert_eq(parse("--wait --name vm-exhaust --mem 1G --ring 0 vm exhaust"), 0, "%s", why);
	cr_assert_str_eq(s.name, "vm-exhaust");
	cr_assert_eq(s.named, 1);
	cr_assert_eq(s.wait, 1);
	cr_assert_eq(s.mem_bytes, 1024 * MIB);
	cr_assert_eq(s.ring, EXO_RING_0);
	cr_assert_eq(s.argc, 2);
	cr_assert_str_eq(s.argv[0], "vm");
	cr_assert_str_eq(s.argv[1], "exhaust");
}

Test(module, sizes_are_read_as_on_kvm)
{
	cr_assert_eq(parse("--mem 64MiB x"), 0, "%s", why);
	cr_assert_eq(s.mem_bytes, 64 * MIB);
	cr_assert_eq(parse("--mem 64M x"), 0, "%s", why);
	cr_assert_eq(s.mem_bytes, 64 * MIB);
	cr_assert_eq(parse("--mem 8192 x"), 0, "%s", why);
	cr_assert_eq(s.mem_bytes, 8192);
	cr_assert_eq(parse("--mem 12345 x"), -1);
	cr_assert(why && strstr(why, "4 KiB"), "%s", why);
	cr_assert_eq(parse("--mem lots x"), -1);
	cr_assert(why && strstr(why, "malformed size"), "%s", why);
}

Test(module, rings_are_auto_0_or_3)
{
	cr_assert_eq(parse("--ring 3 x"), 0, "%s", why);
	cr_assert_eq(s.ring, EXO_RING_3);
	cr_assert_eq(parse("--ring auto x"), 0, "%s", why);
	cr_assert_eq(s.ring, EXO_RING_AUTO);
	cr_assert_eq(parse("--ring 2 x"), -1);
	cr_assert(why && strstr(why, "--ring takes auto, 0 or 3"), "%s", why);
}

Test(module, words_after_argv0_are_arguments_even_if_they_look_like_options)
{
	cr_assert_eq(parse("  compute   --mem 1M  --wait "), 0, "%s", why);
	cr_assert_eq(s.argc, 4);
	cr_assert_str_eq(s.argv[1], "--mem");
	cr_assert_str_eq(s.argv[3], "--wait");
	cr_assert_eq(s.wait, 0);
	cr_assert_eq(s.mem_bytes, 64 * MIB);
}

Test(module, bad_lines_say_why)
{
	cr_assert_eq(parse("--bogus x"), -1);
	cr_assert(why && strstr(why, "unknown option"), "%s", why);
	cr_assert_eq(parse("--mem"), -1);
	cr_assert(why && strstr(why, "needs a value"), "%s", why);
	cr_assert_eq(parse("--name only"), -1);
	cr_assert(why && strstr(why, "no guest named"), "%s", why);
	cr_assert_eq(parse(""), -1);
	cr_assert(why && strstr(why, "no guest named"), "%s", why);
}

Test(module, limits_are_refused_not_overrun)
{
	char line[METAL_CMDLINE_MAX + 8];
	memset(line, 'a', sizeof line - 1);
	line[sizeof line - 1] = 0;
	cr_assert_eq(parse(line), -1);
	cr_assert(why && strstr(why, "too long"), "%s", why);
	line[0] = 0;
	for (int i = 0; i <= METAL_ARGS_MAX; i++)
		strcat(line, "a ");
	cr_assert_eq(parse(line), -1);
	cr_assert(why && strstr(why, "too many arguments"), "%s", why);
	line[0] = 0;
	for (int i = 0; i < METAL_ARGS_MAX; i++)
		strcat(line, "a ");
	cr_assert_eq(parse(line), 0, "%s", why);
	cr_assert_eq(s.argc, METAL_ARGS_MAX);
}
