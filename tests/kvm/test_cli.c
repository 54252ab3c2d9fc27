/*
 * tests/kvm/test_cli.c: kvm_parse_size in hv/kvm/cli.c, the SIZE argument
 * of `exo run --mem` and `--pool`.
 *
 * Sizes are decimal bytes or K, M, G (powers of 1024, any case, an optional
 * "iB" or "B" after) and must be whole 4 KiB frames, non-zero and free of
 * overflow. Every refusal comes with a one-line reason and leaves the
 * output alone.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "kvm.h"

static void assert_size(const char *s, uint64_t want)
{
	uint64_t bytes = 0;
	const char *why = NULL;
	cr_assert_eq(kvm_parse_size(s, &bytes, &why), 0, "\"%s\" refused: %s", s, why ? why : "?");
	cr_assert_eq(bytes, want, "\"%s\": %llu, expected %llu", s,
		     (unsigned long long)bytes, (unsigned long long)want);
}

static void assert_refused(const char *s, const char *word)
{
	uint64_t bytes = 12345;
	const char *why = NULL;
	cr_assert_eq(kvm_parse_size(s, &bytes, &why), -1, "\"%s\" accepted as %llu", s,
		     (unsigned long long)bytes);
	cr_assert_not_null(why, "\"%s\": no reason", s);
	cr_assert_gt(strlen(why), 0);
	cr_assert_not_null(strstr(why, word), "\"%s\": reason \"%s\" lacks \"%s\"", s, why, word);
	cr_assert_eq(bytes, 12345, "\"%s\": output written on refusal", s);
}

Test(cli, size_in_bytes_is_accepted)
{
	assert_size("4096", 4096);
	assert_size("8192", 8192);
}

Test(cli, size_with_a_unit_is_accepted)
{
	assert_size("8K", 8192);
	assert_size("64M", 64ull << 20);
	assert_size("1G", 1ull << 30);
}

Test(cli, size_unit_is_case_insensitive)
{
	assert_size("1g", 1ull << 30);
	assert_size("8k", 8192);
	assert_size("64m", 64ull << 20);
}

Test(cli, size_unit_may_be_followed_by_ib_or_b)
{
	assert_size("64MiB", 64ull << 20);
	assert_size("64MB", 64ull << 20);
	assert_size("2gib", 2ull << 30);
	assert_size("4KiB", 4096);
}

Test(cli, empty_size_is_refused)
{
	assert_refused("", "malformed");
}

Test(cli, size_that_is_not_a_number_is_refused)
{
	assert_refused("abc", "malformed");
	assert_refused("M", "malformed");
	assert_refused(" 64M", "malformed");
}

Test(cli, size_with_an_unknown_unit_is_refused)
{
	assert_refused("12Q", "malformed");
	assert_refused("64MiBs", "malformed");
	assert_refused("64iB", "malformed");
	assert_refused("64M ", "malformed");
	assert_refused("1.5G", "malformed");
}

Test(cli, zero_size_is_refused)
{
	assert_refused("0", "zero");
	assert_refused("0G", "zero");
}

Test(cli, size_not_a_whole_number_of_frames_is_refused)
{
	assert_refused("4097", "4 KiB");
	assert_refused("4095", "4 KiB");
	assert_refused("1K", "4 KiB");
}

Test(cli, negative_size_is_refused)
{
	assert_refused("-1", "malformed");
	assert_refused("-4096", "malformed");
}

Test(cli, size_beyond_64_bits_is_refused)
{
	assert_refused("99999999999999999999", "malformed");
	assert_refused("18446744073709551616", "malformed");
}

Test(cli, size_overflowing_when_scaled_is_refused)
{
	assert_refused("18446744073709551615G", "too large");
	assert_refused("17179869184G", "too large"); /* 2^34 GiB = 2^64 bytes */
	assert_size("17179869183G", 17179869183ull << 30);
}
