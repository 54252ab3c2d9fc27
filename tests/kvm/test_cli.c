/* SPDX-License-Identifier: MIT */
/*
 * tests/kvm/test_cli.c: kvm_parse_run in hv/kvm/cli.c, the `exo run`
 * command line.
 *
 * The one-guest form (options, IMAGE, then everything is the guest's)
 * parses as it always has. The --guest form splits the line into guests
 * at each argument that is exactly "--guest"; options before the first
 * --guest are the run's (--pool, --stats) or every guest's defaults (--mem,
 * --ring, --root, --env), which a guest's own options override. Guests are
 * named by --name or by their image's basename, numbered when taken. The
 * pool defaults to the larger of the configured default and the sum of
 * the guests' --mem. SIZE arguments go through hv_parse_size (tested
 * here as a user meets it: through --mem and --pool). Every mistake is
 * HV_STATUS_USAGE and a message starting "exo: " that names it.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"
#include "config.h"

#define MIB (1ull << 20)

static struct kvm_options o;
static char err[8192];

/* kvm_parse_run over the NULL-terminated arguments after "run", in a
 * static vector (the options point into it); its stderr into err. */
static int parse_argv(char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	fflush(stderr);
	int saved = dup(2);
	FILE *tmp = tmpfile();
	cr_assert(saved >= 0 && tmp);
	dup2(fileno(tmp), 2);
	memset(&o, 0xa5, sizeof o); /* nothing may be left unset */
	int rc = kvm_parse_run(argc, argv, &o);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(err, 1, sizeof err - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	return rc;
}

static char *args[1024];

static int parse(const char *first, ...)
{
	va_list ap;
	int n = 0;
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		args[n++] = (char *)a;
	va_end(ap);
	args[n] = NULL;
	return parse_argv(args);
}

#define PARSE(...) parse(__VA_ARGS__, (const char *)NULL)

static void ok(int rc)
{
	cr_assert_eq(rc, 0, "refused (%d): %s", rc, err);
	cr_assert_str_empty(err, "a parse that succeeded printed: %s", err);
}

/* Refused with HV_STATUS_USAGE and a message that starts "exo: " and
 * holds needle. */
static void refused(int rc, const char *needle)
{
	cr_assert_eq(rc, HV_STATUS_USAGE, "status %d, stderr: %s", rc, err);
	cr_assert(!strncmp(err, "exo: ", 5), "stderr: %s", err);
	cr_assert(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
	cr_assert(strstr(err, needle), "stderr lacks \"%s\": %s", needle, err);
}

static void assert_env(const struct kvm_guest_opts *g, int n, ...)
{
	va_list ap;
	cr_assert_eq(g->envc, n, "%s: %d variables, expected %d", g->name, g->envc, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		cr_assert_str_eq(g->envp[i], va_arg(ap, const char *));
	va_end(ap);
}

/* --- the one-guest form --- */

Test(one_guest, options_then_image_then_its_arguments)
{
	ok(PARSE("--mem", "1M", "--ring", "3", "--root", "/tmp", "--env", "A=1", "--stats",
		 "dir/img", "a", "--mem", "--guest", "x"));
	cr_assert_eq(o.nguests, 1);
	cr_assert_eq(o.several, 0);
	cr_assert_eq(o.stats, 1);
	const struct kvm_guest_opts *g = &o.guest[0];
	cr_assert_str_eq(g->image, "dir/img");
	cr_assert_eq(g->argc, 5, "everything after IMAGE is the guest's, --guest too");
	cr_assert_eq(g->argv, args + 9);
	cr_assert_str_eq(g->argv[4], "x");
	cr_assert_eq(g->mem_bytes, MIB);
	cr_assert_eq(g->ring, EXO_RING_3);
	cr_assert_str_eq(g->root, "/tmp");
	assert_env(g, 1, "A=1");
	cr_assert_str_eq(g->name, "img");
}

Test(one_guest, defaults)
{
	ok(PARSE("img"));
	const struct kvm_guest_opts *g = &o.guest[0];
	cr_assert_eq(o.nguests, 1);
	cr_assert_eq(o.stats, 0);
	cr_assert_eq(o.pool_bytes, (uint64_t)CONFIG_POOL_DEFAULT_MIB * MIB);
	cr_assert_eq(g->mem_bytes, (uint64_t)CONFIG_GUEST_MEM_DEFAULT_MIB * MIB);
	cr_assert_eq(g->ring, EXO_RING_AUTO);
	cr_assert_str_eq(g->root, ".");
	cr_assert_eq(g->envc, 0);
	cr_assert_eq(g->argc, 1);
	cr_assert_null(g->name_given);
}

Test(one_guest, repeated_env_keeps_both_as_before)
{
	ok(PARSE("--env", "A=1", "--env", "A=2", "img"));
	assert_env(&o.guest[0], 2, "A=1", "A=2");
}

Test(one_guest, double_dash_ends_options)
{
	ok(PARSE("--", "-img", "x"));
	cr_assert_str_eq(o.guest[0].image, "-img");
	cr_assert_eq(o.guest[0].argc, 2);
	ok(PARSE("--", "--guest", "x"));
	cr_assert_eq(o.several, 0, "an IMAGE named --guest after --");
	cr_assert_str_eq(o.guest[0].image, "--guest");
}

Test(one_guest, missing_image_unknown_option_and_name)
{
	refused(PARSE("--stats"), "missing IMAGE");
	refused(parse(NULL), "missing IMAGE");
	refused(PARSE("--frob", "img"), "exo: --frob: unknown option (exo run --help lists them)");
	refused(PARSE("--name", "x", "img"), "--name names one guest: put it after --guest");
}

Test(one_guest, mem_larger_than_pool_is_refused_as_before)
{
	refused(PARSE("--mem", "8M", "--pool", "4M", "img"),
		"exo: --mem (8192 KiB) is too large: more than --pool 4M (4096 KiB): raise "
		"--pool");
}

Test(one_guest, mem_larger_than_the_default_pool_grows_it)
{
	ok(PARSE("--mem", "512M", "img"));
	cr_assert_eq(o.pool_bytes, 512 * MIB > (uint64_t)CONFIG_POOL_DEFAULT_MIB * MIB ?
		     512 * MIB : (uint64_t)CONFIG_POOL_DEFAULT_MIB * MIB);
}

/* --- SIZE: hv_parse_size, as --mem and --pool take it --- */

static uint64_t mem_of(const char *size)
{
	ok(PARSE("--pool", "4G", "--mem", size, "img"));
	return o.guest[0].mem_bytes;
}

Test(size, bytes_and_units)
{
	cr_assert_eq(mem_of("4096"), 4096);
	cr_assert_eq(mem_of("8192"), 8192);
	cr_assert_eq(mem_of("8K"), 8192);
	cr_assert_eq(mem_of("64M"), 64 * MIB);
	cr_assert_eq(mem_of("1G"), 1024 * MIB);
}

Test(size, units_any_case_with_ib_or_b)
{
	cr_assert_eq(mem_of("1g"), 1024 * MIB);
	cr_assert_eq(mem_of("64m"), 64 * MIB);
	cr_assert_eq(mem_of("64MiB"), 64 * MIB);
	cr_assert_eq(mem_of("64MB"), 64 * MIB);
	cr_assert_eq(mem_of("4KiB"), 4096);
	cr_assert_eq(mem_of("2gib"), 2048 * MIB);
}

Test(size, malformed_sizes_are_refused)
{
	const char *bad[] = { "", "abc", "M", " 64M", "12Q", "64MiBs", "64iB", "64M ", "1.5G",
			      "-1", "-4096" };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[64];
		snprintf(want, sizeof want, "--mem %s: malformed size", bad[i]);
		refused(PARSE("--mem", bad[i], "img"), want);
	}
	refused(PARSE("--pool", "12Q", "img"), "--pool 12Q: malformed size");
}

Test(size, zero_partial_frames_and_overflow_are_refused)
{
	refused(PARSE("--mem", "0", "img"), "--mem 0: size must be greater than zero");
	refused(PARSE("--mem", "0G", "img"), "greater than zero");
	refused(PARSE("--mem", "4097", "img"), "whole number of 4 KiB frames");
	refused(PARSE("--mem", "1K", "img"), "whole number of 4 KiB frames");
	refused(PARSE("--mem", "99999999999999999999", "img"), "too large");
	refused(PARSE("--mem", "17179869184G", "img"), "too large");
}

Test(size, larger_than_the_machine_is_refused)
{
	refused(PARSE("--pool", "100000G", "img"), "--pool 100000G: too large: this machine has ");
	refused(PARSE("--guest", "--mem", "100000G", "img"), "--mem 100000G: too large: this "
		"machine has ");
	refused(PARSE("--mem", "1024T", "img"), "--mem 1024T: too large: this machine has ");
}

Test(size, missing_sizes_rings_roots_and_envs)
{
	refused(PARSE("--mem"), "--mem: missing SIZE");
	refused(PARSE("--pool"), "--pool: missing SIZE");
	refused(PARSE("--ring"), "--ring: missing auto, 0 or 3");
	refused(PARSE("--ring", "5", "img"), "--ring 5: must be auto, 0 or 3");
	refused(PARSE("--root"), "--root: missing DIR");
	refused(PARSE("--env"), "--env: missing K=V");
	refused(PARSE("--env", "NOEQUALS", "img"), "--env NOEQUALS: must be NAME=VALUE");
	refused(PARSE("--env", "=1", "img"), "--env =1: must be NAME=VALUE");
}

/* --- the --guest form --- */

Test(guests, split_at_each_guest)
{
	ok(PARSE("--guest", "a/A", "1", "2", "--guest", "B", "--guest", "C", "x"));
	cr_assert_eq(o.several, 1);
	cr_assert_eq(o.nguests, 3);
	cr_assert_str_eq(o.guest[0].image, "a/A");
	cr_assert_eq(o.guest[0].argc, 3);
	cr_assert_eq(o.guest[0].argv, args + 1);
	cr_assert_str_eq(o.guest[1].image, "B");
	cr_assert_eq(o.guest[1].argc, 1);
	cr_assert_str_eq(o.guest[2].image, "C");
	cr_assert_eq(o.guest[2].argc, 2);
	cr_assert_str_eq(o.guest[2].argv[1], "x");
}

Test(guests, one_guest_with_guest_is_the_guest_form)
{
	ok(PARSE("--guest", "img", "a"));
	cr_assert_eq(o.several, 1);
	cr_assert_eq(o.nguests, 1);
	cr_assert_eq(o.guest[0].argc, 2);
}

Test(guests, arguments_after_image_are_the_guests_even_if_they_look_like_options)
{
	ok(PARSE("--guest", "A", "--mem", "1M", "--ring", "9", "--name", "x", "--pool",
		 "--guest", "B"));
	cr_assert_eq(o.nguests, 2);
	cr_assert_eq(o.guest[0].argc, 8);
	cr_assert_eq(o.guest[0].mem_bytes, (uint64_t)CONFIG_GUEST_MEM_DEFAULT_MIB * MIB);
	cr_assert_eq(o.guest[0].ring, EXO_RING_AUTO);
	cr_assert_str_eq(o.guest[0].name, "A");
}

Test(guests, defaults_apply_to_every_guest_and_its_own_options_override_them)
{
	ok(PARSE("--mem", "8M", "--ring", "0", "--root", "/r", "--env", "A=1", "--env", "B=2",
		 "--stats", "--pool", "1G",
		 "--guest", "--mem", "4M", "--ring", "3", "--root", "/s", "--env", "A=3",
		 "--env", "C=4", "X",
		 "--guest", "Y"));
	cr_assert_eq(o.stats, 1);
	cr_assert_eq(o.pool_bytes, 1024 * MIB);
	const struct kvm_guest_opts *x = &o.guest[0], *y = &o.guest[1];
	cr_assert_eq(x->mem_bytes, 4 * MIB);
	cr_assert_eq(x->ring, EXO_RING_3);
	cr_assert_str_eq(x->root, "/s");
	assert_env(x, 3, "A=3", "B=2", "C=4");
	cr_assert_eq(y->mem_bytes, 8 * MIB);
	cr_assert_eq(y->ring, EXO_RING_0);
	cr_assert_str_eq(y->root, "/r");
	assert_env(y, 2, "A=1", "B=2");
}

Test(guests, a_guests_repeated_env_keeps_the_last)
{
	ok(PARSE("--guest", "--env", "A=1", "--env", "A=2", "X"));
	assert_env(&o.guest[0], 1, "A=2");
}

Test(guests, env_limit_counts_defaults_and_own)
{
	static char kv[EXO_ARGC_MAX][16];
	char *v[2 * EXO_ARGC_MAX + 8];
	int n = 0;
	for (unsigned i = 0; i < EXO_ARGC_MAX; i++) {
		snprintf(kv[i], sizeof kv[i], "K%u=%u", i, i);
		v[n++] = "--env";
		v[n++] = kv[i];
	}
	int base = n;
	v[n++] = "--guest", v[n++] = "--env", v[n++] = "K0=new", v[n++] = "X", v[n] = NULL;
	ok(parse_argv(v));
	cr_assert_eq(o.guest[0].envc, (int)EXO_ARGC_MAX, "replacing a default adds nothing");
	cr_assert_str_eq(o.guest[0].envp[0], "K0=new");
	n = base;
	v[n++] = "--guest", v[n++] = "--env", v[n++] = "NEW=1", v[n++] = "X", v[n] = NULL;
	refused(parse_argv(v), "--env: more than 64 variables");
}

Test(guests, double_dash_ends_a_guests_options)
{
	ok(PARSE("--guest", "--mem", "1M", "--", "-img", "a", "--guest", "B"));
	cr_assert_str_eq(o.guest[0].image, "-img");
	cr_assert_eq(o.guest[0].mem_bytes, MIB);
	cr_assert_eq(o.guest[0].argc, 2);
	cr_assert_eq(o.nguests, 2);
}

Test(guests, pool_defaults_to_the_sum_of_mems_when_larger)
{
	ok(PARSE("--mem", "100M", "--guest", "A", "--guest", "B", "--guest", "--mem", "300M", "C"));
	uint64_t sum = 500 * MIB, def = (uint64_t)CONFIG_POOL_DEFAULT_MIB * MIB;
	cr_assert_eq(o.pool_bytes, sum > def ? sum : def);
	ok(PARSE("--mem", "4M", "--guest", "A", "--guest", "B"));
	cr_assert_eq(o.pool_bytes, def, "the configured default when the sum is smaller");
}

Test(guests, an_explicit_pool_may_be_shared_by_more_than_it_holds)
{
	ok(PARSE("--pool", "128M", "--mem", "64M", "--guest", "A", "--guest", "B", "--guest", "C"));
	cr_assert_eq(o.pool_bytes, 128 * MIB, "--mem is a cap, not a reservation");
}

Test(guests, a_guests_mem_above_the_pool_is_refused_by_name)
{
	refused(PARSE("--pool", "4M", "--mem", "1M", "--guest", "A", "--guest", "--name", "big",
		      "--mem", "8M", "B"),
		"guest big: --mem (8192 KiB) is too large: more than --pool 4M (4096 KiB): "
		"raise --pool");
	refused(PARSE("--pool", "4M", "--mem", "8M", "--guest", "--mem", "4M", "A", "--guest", "B"),
		"guest B: --mem (8192 KiB)");
}

Test(guests, guest_without_image_is_refused)
{
	refused(PARSE("--guest"), "--guest: missing IMAGE");
	refused(PARSE("--guest", "--mem", "1M"), "--guest: missing IMAGE");
	refused(PARSE("--guest", "--guest", "A"), "--guest: missing IMAGE");
	refused(PARSE("--guest", "A", "--guest"), "--guest: missing IMAGE");
	refused(PARSE("--stats", "--guest", "--"), "--guest: missing IMAGE");
}

Test(guests, run_options_after_guest_are_refused)
{
	refused(PARSE("--guest", "--pool", "1G", "A"), "--pool is for the whole run: put it before "
		"the first --guest");
	refused(PARSE("--guest", "A", "--guest", "--stats", "B"), "--stats is for the whole run");
}

Test(guests, unknown_or_incomplete_guest_options_are_refused)
{
	refused(PARSE("--guest", "--frob", "A"), "--frob: unknown guest option (exo run --help");
	refused(PARSE("--guest", "--name"), "--name: missing NAME");
	refused(PARSE("--guest", "--mem", "12Q", "A"), "--mem 12Q: malformed size");
	refused(PARSE("--guest", "--ring", "5", "A"), "--ring 5: must be auto, 0 or 3");
	refused(PARSE("--guest", "--env", "X", "A"), "--env X: must be NAME=VALUE");
	refused(PARSE("--guest", "--root"), "--root: missing DIR");
}

Test(guests, at_most_guests_max_minus_one)
{
	char *v[2 * EXO_GUESTS_MAX + 4];
	int n = 0;
	for (unsigned i = 0; i < EXO_GUESTS_MAX - 1; i++)
		v[n++] = "--guest", v[n++] = "d/hello";
	v[n] = NULL;
	ok(parse_argv(v));
	cr_assert_eq(o.nguests, (int)EXO_GUESTS_MAX - 1);
	cr_assert_str_eq(o.guest[0].name, "hello");
	cr_assert_str_eq(o.guest[1].name, "hello-2");
	cr_assert_str_eq(o.guest[EXO_GUESTS_MAX - 2].name, "hello-255");
	v[n++] = "--guest", v[n++] = "d/hello", v[n] = NULL;
	refused(parse_argv(v), "--guest: more than 255 guests");
}

/* --- names --- */

Test(names, default_is_the_basename_numbered_when_taken)
{
	ok(PARSE("--guest", "a/hello", "--guest", "b/hello", "--guest", "hello", "--guest",
		 "/x/y/pair", "ping"));
	cr_assert_str_eq(o.guest[0].name, "hello");
	cr_assert_str_eq(o.guest[1].name, "hello-2");
	cr_assert_str_eq(o.guest[2].name, "hello-3");
	cr_assert_str_eq(o.guest[3].name, "pair");
}

Test(names, explicit_names_are_kept_before_defaults_are_numbered)
{
	ok(PARSE("--guest", "a/hello", "--guest", "b/hello", "--guest", "--name", "hello-2", "c/x",
		 "--guest", "--name", "hello", "d/y"));
	cr_assert_str_eq(o.guest[0].name, "hello-3");
	cr_assert_str_eq(o.guest[1].name, "hello-4");
	cr_assert_str_eq(o.guest[2].name, "hello-2");
	cr_assert_str_eq(o.guest[3].name, "hello");
	cr_assert_str_eq(o.guest[2].name_given, "hello-2");
}

Test(names, default_made_a_valid_name)
{
	ok(PARSE("--guest", "dir/he llo\x01\x7f\xc3\xa9", "--guest", "dir/"));
	cr_assert_str_eq(o.guest[0].name, "he_llo____");
	cr_assert_str_eq(o.guest[1].name, "guest");
}

Test(names, long_default_is_cut_and_numbered_within_the_limit)
{
	const char *img = "d/abcdefghijklmnopqrstuvwxyz0123456789";
	ok(PARSE("--guest", img, "--guest", img));
	cr_assert_eq(strlen(o.guest[0].name), EXO_NAME_MAX);
	cr_assert_str_eq(o.guest[0].name, "abcdefghijklmnopqrstuvwxyz012345");
	cr_assert_str_eq(o.guest[1].name, "abcdefghijklmnopqrstuvwxyz0123-2");
}

Test(names, duplicate_explicit_name_is_refused)
{
	refused(PARSE("--guest", "--name", "x", "A", "--guest", "--name", "x", "B"),
		"--name x: two guests have that name");
}

Test(names, invalid_names_are_refused)
{
	const char *bad[] = { "", "a b", "a/b", "tab\t", "\x7f", "caf\xc3\xa9",
			      "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */ };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused(PARSE("--guest", "--name", bad[i], "A"), "a name is 1 to 32 printable "
			"characters without spaces or '/'");
	ok(PARSE("--guest", "--name", "abcdefghijklmnopqrstuvwxyz012345", "A"));
	ok(PARSE("--guest", "--name", "a-b_c.d:e@1", "A"));
}

/* --- getopt_long's conventions --- */

/* Every option that takes a value takes it after '=' too. */
Test(conventions, every_value_after_an_equals_sign)
{
	ok(PARSE("--mem=1M", "--pool=8M", "--ring=3", "--root=/tmp", "--env=A=1", "--timeout=2",
		 "--cpu-limit=0.5", "--gdb=1234", "img", "--mem=5"));
	const struct kvm_guest_opts *g = &o.guest[0];
	cr_assert_eq(g->mem_bytes, MIB);
	cr_assert_eq(o.pool_bytes, 8 * MIB);
	cr_assert_eq(g->ring, EXO_RING_3);
	cr_assert_str_eq(g->root, "/tmp");
	assert_env(g, 1, "A=1");
	cr_assert_eq(o.timeout_ns, 2000000000u);
	cr_assert_str_eq(o.timeout_text, "2");
	cr_assert_eq(o.cpu_limit_ns, 500000000u);
	cr_assert_eq(g->gdb_port, 1234u);
	cr_assert_eq(g->argc, 2, "--mem=5 after IMAGE is the guest's");
	ok(PARSE("--user=nobody", "--guest", "--name=n1", "--mem=2M", "--env=B=2", "A"));
	cr_assert_str_eq(o.user, "nobody");
	cr_assert_str_eq(o.guest[0].name, "n1");
	cr_assert_eq(o.guest[0].mem_bytes, 2 * MIB);
	assert_env(&o.guest[0], 1, "B=2");
}

Test(conventions, bad_values_after_an_equals_sign_are_named)
{
	refused(PARSE("--mem=12Q", "img"), "--mem 12Q: malformed size");
	refused(PARSE("--mem=", "img"), "--mem : malformed size");
	refused(PARSE("--ring=9", "img"), "--ring 9: must be auto, 0 or 3");
	refused(PARSE("--timeout=x", "img"), "--timeout x: SECONDS must be");
	refused(PARSE("--root=", "img"), "--root: missing DIR");
	refused(PARSE("--guest", "--name=", "A"), "--name : a name is");
	refused(PARSE("--memory=1M", "img"), "--memory=1M: unknown option");
	refused(PARSE("--statsx", "img"), "--statsx: unknown option");
}

/* Each missing value is named with what it should be, on one line. */
Test(conventions, missing_values_say_what_is_wanted)
{
	refused(PARSE("--mem"), "--mem: missing SIZE, e.g. --mem 64M");
	refused(PARSE("--timeout"), "--timeout: missing SECONDS, e.g. --timeout 10");
	refused(PARSE("--cpu-limit"), "--cpu-limit: missing SECONDS");
	refused(PARSE("--user"), "--user: missing NAME");
	refused(PARSE("--gdb"), "--gdb: missing PORT");
	refused(PARSE("--guest"), "--guest: missing IMAGE");
	refused(parse(NULL), "missing IMAGE: what to run");
}

/* --help and -h among the options: the usage, nothing run; after IMAGE
 * they are the guest's. */
Test(conventions, help_among_the_options)
{
	ok(PARSE("--help"));
	cr_assert_eq(o.help, 1);
	ok(PARSE("--mem", "1M", "-h", "--frob"));
	cr_assert_eq(o.help, 1);
	ok(PARSE("--guest", "--help"));
	cr_assert_eq(o.help, 1);
	ok(PARSE("img", "--help"));
	cr_assert_eq(o.help, 0);
	cr_assert_eq(o.guest[0].argc, 2);
}

/* --trace or --trace=FILE, never --trace FILE: IMAGE is never taken for
 * a FILE. */
Test(conventions, trace_takes_its_file_after_an_equals_sign_only)
{
	ok(PARSE("--trace", "img"));
	cr_assert_eq(o.tracing, 1);
	cr_assert_null(o.trace);
	cr_assert_str_eq(o.guest[0].image, "img");
	ok(PARSE("--trace=/tmp/t", "img"));
	cr_assert_str_eq(o.trace, "/tmp/t");
	ok(PARSE("img"));
	cr_assert_eq(o.tracing, 0);
	refused(PARSE("--trace=", "img"), "--trace=: missing FILE");
	refused(PARSE("--guest", "--trace", "A"), "--trace is for the whole run");
}
