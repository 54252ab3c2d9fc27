/* SPDX-License-Identifier: MIT */
/*
 * tests/kvm/test_console.c: hv/kvm/console.c, exo's stdout and stderr
 * shared by its guests, and the console descriptors of files.c that route
 * a program's writes there (through forward.c).
 *
 * With one guest, output passes byte for byte. With several, each line a
 * guest writes (by EXO_HC_CONSOLE, hv_plat_console, or by a forwarded
 * write to its inherited 1 or 2 or a dup of them) comes out whole as
 * "NAME: line", held until its newline or the guest's end; hv's notices
 * are "exo: NAME: TEXT". Each test points exo's 1 and 2 at files and
 * reads them back.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forward.h"
#include "kvm.h"

static struct kvm_guest a, b;
static FILE *out, *err;
static int saved_out, saved_err;

static void guest(struct kvm_guest *k, const char *name)
{
	memset(k, 0, sizeof *k);
	snprintf(k->g.name, sizeof k->g.name, "%s", name);
	k->g.plat = k;
	cr_assert_eq(kvm_files_open(&k->files, "/"), 0);
}

static void setup(void)
{
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	out = tmpfile();
	err = tmpfile();
	cr_assert(out && err && saved_out >= 0 && saved_err >= 0);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	guest(&a, "alpha");
	guest(&b, "b");
}

static void teardown(void)
{
	kvm_files_close(&a.files);
	kvm_files_close(&b.files);
	free(a.out.buf), free(a.err.buf), free(b.out.buf), free(b.err.buf);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	fclose(out);
	fclose(err);
	kvm_out_init(0);
}

TestSuite(console, .init = setup, .fini = teardown);

/* What went to the file behind f so far. */
static char *contents(FILE *f)
{
	static char buf[2][300000];
	static int which;
	char *b = buf[which ^= 1];
	ssize_t n = pread(fileno(f), b, sizeof buf[0] - 1, 0);
	b[n > 0 ? n : 0] = '\0';
	return b;
}

/* A program's write(fd, s) as hv/core forwards it. */
static int64_t fwd(struct kvm_guest *k, uint32_t nr, int64_t a0, int64_t a1, int64_t a2,
		   void *p1, uint64_t len1)
{
	struct hv_fwd c = { .nr = nr, .arg = { a0, a1, a2 }, .ptr = { NULL, p1 },
			    .len = { 0, len1 } };
	return hv_plat_forward(&k->g, &c);
}

static int64_t wr(struct kvm_guest *k, int fd, const char *s)
{
	return fwd(k, EXO_FWD_WRITE, fd, 0, (int64_t)strlen(s), (void *)s, strlen(s));
}

Test(console, one_guest_passes_bytes_straight_through)
{
	hv_plat_console(&a.g, "no newline", 10);
	cr_assert_eq(wr(&a, 1, " then more\npartial"), 18);
	cr_assert_eq(wr(&a, 2, "err"), 3);
	cr_assert_str_eq(contents(out), "no newline then more\npartial");
	cr_assert_str_eq(contents(err), "err");
	kvm_out_flush(&a);
	cr_assert_str_eq(contents(out), "no newline then more\npartial", "nothing was held");
}

Test(console, several_guests_print_whole_lines_with_their_names)
{
	kvm_out_init(1);
	hv_plat_console(&a.g, "one\ntw", 6);
	cr_assert_str_eq(contents(out), "alpha: one\n");
	hv_plat_console(&b.g, "x", 1);
	hv_plat_console(&a.g, "o\nthree\n", 8);
	hv_plat_console(&b.g, "y\n", 2);
	cr_assert_str_eq(contents(out), "alpha: one\nalpha: two\nalpha: three\nb: xy\n");
}

Test(console, what_is_held_is_printed_when_the_guest_ends)
{
	kvm_out_init(1);
	hv_plat_console(&a.g, "last words", 10);
	wr(&a, 2, "on stderr");
	cr_assert_str_empty(contents(out));
	kvm_out_flush(&a);
	cr_assert_str_eq(contents(out), "alpha: last words\n");
	cr_assert_str_eq(contents(err), "alpha: on stderr\n");
	kvm_out_flush(&a);
	cr_assert_str_eq(contents(out), "alpha: last words\n", "flushed once");
}

Test(console, empty_lines_and_a_write_of_many_lines)
{
	kvm_out_init(1);
	hv_plat_console(&a.g, "\n\na\nb\n", 6);
	cr_assert_str_eq(contents(out), "alpha: \nalpha: \nalpha: a\nalpha: b\n");
}

Test(console, a_line_longer_than_the_limit_is_cut)
{
	kvm_out_init(1);
	static char big[65536 + 10];
	memset(big, 'z', sizeof big);
	hv_plat_console(&a.g, big, sizeof big);
	hv_plat_console(&a.g, "\n", 1);
	char *o = contents(out);
	cr_assert_eq(strlen(o), 7 + 65536 + 1 + 7 + 10 + 1);
	cr_assert(!strncmp(o, "alpha: zzz", 10));
	cr_assert(!strncmp(o + 7 + 65536, "\nalpha: zzzzzzzzzz\n", 19));
}

Test(console, program_writes_to_1_and_2_are_prefixed_with_several)
{
	kvm_out_init(1);
	cr_assert_eq(wr(&a, 1, "to stdout\n"), 10);
	cr_assert_eq(wr(&b, 2, "to stderr\n"), 10);
	cr_assert_str_eq(contents(out), "alpha: to stdout\n");
	cr_assert_str_eq(contents(err), "b: to stderr\n");
}

Test(console, dups_of_1_and_2_are_console_too)
{
	kvm_out_init(1);
	int64_t d = fwd(&a, EXO_FWD_DUP, 1, 0, 0, NULL, 0);
	int64_t f = fwd(&a, EXO_FWD_FCNTL, 2, F_DUPFD, 10, NULL, 0);
	cr_assert_eq(fwd(&a, EXO_FWD_DUP3, 1, 20, 0, NULL, 0), 20);
	cr_assert_eq(d, 3);
	cr_assert_eq(f, 10);
	wr(&a, (int)d, "dup\n");
	wr(&a, (int)f, "fcntl\n");
	wr(&a, 20, "dup3\n");
	cr_assert_str_eq(contents(out), "alpha: dup\nalpha: dup3\n");
	cr_assert_str_eq(contents(err), "alpha: fcntl\n");
}

Test(console, a_descriptor_that_takes_1s_number_is_not_console)
{
	kvm_out_init(1);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	int h = fcntl(p[1], F_DUPFD_CLOEXEC, 3);
	close(p[1]);
	int64_t n = kvm_install(&a.files, h, 0, 0);
	cr_assert_geq(n, 3);
	cr_assert_eq(fwd(&a, EXO_FWD_DUP3, n, 1, 0, NULL, 0), 1);
	cr_assert_eq(wr(&a, 1, "raw"), 3);
	char buf[8] = { 0 };
	cr_assert_eq(read(p[0], buf, sizeof buf), 3);
	cr_assert_str_eq(buf, "raw", "straight into the pipe, no prefix");
	cr_assert_str_empty(contents(out));
	/* Closed and reopened by number: a file, not the console. */
	cr_assert_eq(fwd(&a, EXO_FWD_CLOSE, 2, 0, 0, NULL, 0), 0);
	cr_assert_eq(fwd(&a, EXO_FWD_DUP, 1, 0, 0, NULL, 0), 2);
	cr_assert_eq(wr(&a, 2, "too"), 3);
	cr_assert_eq(read(p[0], buf, sizeof buf), 3);
	close(p[0]);
}

Test(console, notices_name_the_guest_only_with_several)
{
	hv_plat_notice(&a.g, "one guest");
	hv_plat_notice(NULL, "hv itself");
	kvm_out_init(1);
	hv_plat_notice(&a.g, "several");
	hv_plat_notice(NULL, "hv again");
	cr_assert_str_eq(contents(err), "exo: one guest\nexo: hv itself\nexo: alpha: several\n"
			 "exo: hv again\n");
	cr_assert_str_empty(contents(out));
}
