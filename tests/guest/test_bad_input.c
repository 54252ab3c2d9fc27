/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_bad_input.c: every bad command line, image and host
 * gets one clear line on stderr and its documented status, never a crash
 * or a hang.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"

/* A scratch file holding len bytes; its path goes to path. */
static void scratch(char path[64], const void *bytes, size_t len)
{
	strcpy(path, "/tmp/exo-test-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, bytes, len), (ssize_t)len);
	close(fd);
}

/* An ELF64 header with one program header after it. */
struct elf {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
	uint8_t code[16];
};

static struct elf elf(uint64_t vaddr)
{
	return (struct elf){
		.ident = { 0x7f, 'E', 'L', 'F', 2, 1, 1 },
		.type = 2, .machine = 62, .version = 1, .entry = vaddr + 120,
		.phoff = 64, .ehsize = 64, .phentsize = 56, .phnum = 1,
		.p_type = 1, .p_flags = 5, .p_vaddr = vaddr, .p_filesz = sizeof(struct elf),
		.p_memsz = sizeof(struct elf), .p_align = 4096,
	};
}

static void bad_image(const void *bytes, size_t len, const char *why)
{
	char path[64];
	struct exo_result r;
	scratch(path, bytes, len);
	exo_run(&r, "run", path, NULL);
	unlink(path);
	cr_assert_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	char want[160];
	snprintf(want, sizeof want, "%s: %s", path, why);
	assert_one_line_error(&r, want);
}

Test(bad_image, missing_file)
{
	struct exo_result r;
	exo_run(&r, "run", "build/no-such-image", NULL);
	cr_assert_eq(r.status, 126);
	assert_one_line_error(&r, "exo: build/no-such-image: no such file");
}

Test(bad_image, directory)
{
	struct exo_result r;
	exo_run(&r, "run", "build", NULL);
	cr_assert_eq(r.status, 126);
	assert_one_line_error(&r, "exo: build: is a directory");
}

Test(bad_image, unreadable_file)
{
	if (!nobody_can_run_exo())
		cr_skip_test("needs root, and build/exo reachable by user nobody");
	char path[64];
	scratch(path, "x", 1);
	cr_assert(chmod(path, 0) == 0);
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", EXO,
			 "run", path, NULL };
	struct exo_result r;
	run_argv(argv, &r);
	unlink(path);
	cr_assert_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	char want[96];
	snprintf(want, sizeof want, "%s: Permission denied", path);
	assert_one_line_error(&r, want);
}

Test(bad_image, text_file_is_not_elf)
{
	bad_image("#!/bin/sh\necho hi\n", 18, "not an ELF file");
}

Test(bad_image, empty_file_is_not_elf)
{
	bad_image("", 0, "not an ELF file");
}

Test(bad_image, truncated_header)
{
	struct elf e = elf(0xffffffff80100000ull);
	bad_image(&e, 40, "truncated ELF header");
}

Test(bad_image, elf32_is_not_64_bit)
{
	struct elf e = elf(0xffffffff80100000ull);
	e.ident[4] = 1;
	bad_image(&e, sizeof e, "not a 64-bit ELF file");
}

Test(bad_image, aarch64_is_not_x86_64)
{
	struct elf e = elf(0xffffffff80100000ull);
	e.machine = 183;
	bad_image(&e, sizeof e, "not an x86-64 executable");
}

Test(bad_image, dynamically_linked_host_program_is_refused_with_advice)
{
	struct exo_result r;
	exo_run(&r, "run", "/bin/true", NULL);
	cr_assert_eq(r.status, 126, "%s", r.err);
	assert_one_line_error(&r, "/bin/true: dynamically linked: exo runs static executables "
			      "(link it with -static, e.g. musl-gcc -static)");
}

Test(bad_image, program_with_an_interpreter_is_dynamically_linked)
{
	struct elf e = elf(0x400000);
	e.p_type = 3; /* PT_INTERP */
	bad_image(&e, sizeof e, "dynamically linked: exo runs static executables");
}

Test(bad_image, program_reaching_into_the_upper_half_is_refused)
{
	struct elf e = elf(0x7fffffffff80ull); /* its end crosses into the upper half */
	bad_image(&e, sizeof e, "segment outside the lower half (not a user-space program)");
}

Test(bad_image, segment_beyond_the_end_of_the_file)
{
	struct elf e = elf(0xffffffff80100000ull);
	e.p_filesz = e.p_memsz = 1 << 20;
	bad_image(&e, sizeof e, "segment data beyond the end of the file");
}

Test(bad_image, file_larger_than_the_memory_cap)
{
	struct exo_result r;
	exo_run(&r, "run", "--mem", "16K", IMAGES "../../apps/hello", NULL);
	cr_assert_eq(r.status, 126, "%s", r.err);
	assert_one_line_error(&r, "is larger than the memory cap (--mem 16 KiB)");
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A 4 GiB sparse file that is no image: refused from its first bytes,
 * without reading (or allocating) the rest. */
Test(bad_image, huge_sparse_file_refused_at_once)
{
	char path[64];
	scratch(path, "", 0);
	cr_assert(truncate(path, 4ll << 30) == 0);
	struct exo_result r;
	double t0 = now_s();
	exo_run(&r, "run", "--pool", "8G", "--mem", "8G", path, NULL);
	double took = now_s() - t0;
	unlink(path);
	cr_assert_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	char want[160];
	snprintf(want, sizeof want, "%s: not an ELF file", path);
	assert_one_line_error(&r, want);
	cr_assert(took < 1.0, "took %.2f s to refuse a 4 GiB file that is no image", took);
}

/* A real image with 4 GiB of something after its segments (debug
 * information, say): exo reads the segments, not the tail, and runs it,
 * under a --mem the whole file would exceed. */
Test(good_image, tail_beyond_the_segments_is_not_read)
{
	char path[64], cmd[256];
	scratch(path, "", 0);
	snprintf(cmd, sizeof cmd, "cp %s %s", IMAGES "../../apps/hello", path);
	cr_assert(system(cmd) == 0);
	cr_assert(truncate(path, 4ll << 30) == 0);
	struct exo_result r;
	double t0 = now_s();
	exo_run(&r, "run", "--mem", "64M", path, "tail", NULL);
	double took = now_s() - t0;
	unlink(path);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.out, "tail"), "the guest did not run: %s", r.out);
	cr_assert(took < 5.0, "took %.2f s: the tail was read", took);
}

Test(bad_image, image_and_page_tables_over_the_memory_cap)
{
	struct stat st;
	cr_assert(stat(IMAGES "../../apps/hello", &st) == 0);
	/* Room for the file, not for its bss and page tables. */
	char mem[32];
	snprintf(mem, sizeof mem, "%lldK", (long long)(st.st_size / 4096 + 1) * 4);
	struct exo_result r;
	exo_run(&r, "run", "--mem", mem, IMAGES "../../apps/hello", NULL);
	cr_assert_eq(r.status, 126, "%s", r.err);
	assert_one_line_error(&r, "with its page tables; --mem allows");
}

static void usage(const char *needle, ...)
{
	char *argv[16] = { EXO };
	int n = 1;
	va_list ap;
	va_start(ap, needle);
	while ((argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	struct exo_result r;
	run_argv(argv, &r);
	cr_assert_eq(r.status, 125, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strncmp(r.err, "exo: ", 5) == 0 && strstr(r.err, needle), "stderr: %s", r.err);
	cr_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "not one line: %s", r.err);
	cr_assert_str_empty(r.out);
}

Test(usage, malformed_sizes_are_refused)
{
	usage("--mem abc: malformed size", "run", "--mem", "abc", IMAGES "forged", NULL);
	usage("--pool 12Q: malformed size", "run", "--pool", "12Q", IMAGES "forged", NULL);
	usage("--mem 0: size must be greater than zero", "run", "--mem", "0", IMAGES "forged", NULL);
	usage("whole number of 4 KiB frames", "run", "--mem", "4097", IMAGES "forged", NULL);
	usage("--mem: missing SIZE", "run", "--mem", NULL);
}

Test(usage, sizes_larger_than_the_machine_are_refused)
{
	usage("--pool 100000G: too large: this machine has ", "run", "--pool", "100000G",
	      IMAGES "forged", NULL);
	usage("--mem 100000G: too large: this machine has ", "run", "--mem", "100000G",
	      IMAGES "forged", NULL);
	usage("--mem 1024T: too large: this machine has ", "run", "--mem=1024T", IMAGES "forged",
	      NULL);
}

Test(usage, mem_larger_than_pool_is_refused)
{
	usage("--mem (8192 KiB) is too large: more than --pool 4M (4096 KiB): raise --pool", "run",
	      "--mem", "8M", "--pool", "4M", IMAGES "forged", NULL);
}

Test(usage, missing_image_unknown_option_and_command)
{
	usage("missing IMAGE", "run", NULL);
	usage("exo: --frob: unknown option (exo run --help lists them)", "run", "--frob",
	      IMAGES "forged", NULL);
	usage("exo: launch: unknown command (exo help)", "launch", NULL);
	usage("exo: --frobnicate: unknown option (exo --help", "--frobnicate", NULL);
	usage("--mem: missing SIZE, e.g. --mem 64M", "run", "--mem", NULL);
	usage("--ring 5: must be auto, 0 or 3", "run", "--ring", "5", IMAGES "forged", NULL);
	usage("--ring: missing auto, 0 or 3", "run", "--ring", NULL);
	usage("missing command", NULL);
}

/* -h, --help, help and run --help: the usage on stdout, status 0; the
 * version likewise, one line. */
Test(usage, help_and_version_go_to_stdout_with_status_0)
{
	static const char *const helps[][4] = { { "-h" }, { "--help" }, { "help" },
						{ "run", "--help" }, { "run", "-h" },
						{ "run", "--mem", "1M", "--help" } };
	for (unsigned i = 0; i < sizeof helps / sizeof helps[0]; i++) {
		char *argv[6] = { EXO };
		for (int j = 0; j < 4 && helps[i][j]; j++)
			argv[j + 1] = (char *)helps[i][j];
		struct exo_result r;
		run_argv(argv, &r);
		cr_assert_eq(r.status, 0, "%s: status %d", helps[i][0], r.status);
		cr_assert(!strncmp(r.out, "usage: exo run ", 15), "%s: %s", helps[i][0], r.out);
		cr_assert(strstr(r.out, "--trace[=FILE]") && strstr(r.out, "--opt=VALUE"), "%s", r.out);
		cr_assert_str_empty(r.err);
	}
	static const char *const versions[] = { "--version", "version" };
	for (unsigned i = 0; i < 2; i++) {
		char *argv[] = { EXO, (char *)versions[i], NULL };
		struct exo_result r;
		run_argv(argv, &r);
		cr_assert_eq(r.status, 0);
		cr_assert(!strncmp(r.out, "exo ", 4) && strstr(r.out, " (ABI ") &&
			  strchr(r.out, '\n') == r.out + strlen(r.out) - 1, "%s", r.out);
		cr_assert_str_empty(r.err);
	}
}

/* --opt=VALUE runs as --opt VALUE does; README's --mem 1g runs. */
Test(usage, values_after_an_equals_sign_run)
{
	struct exo_result r;
	exo_run(&r, "run", "--mem=1M", "--ring=0", "--timeout=30", IMAGES "../../apps/hello", "x",
		NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.out, "may own 256\n"), "%s", r.out);
	exo_run(&r, "run", "--mem", "1g", IMAGES "../../apps/hello", NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
}

Test(host, absent_dev_kvm_says_how_to_fix_it)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for a private mount namespace");
	char *argv[] = { "unshare", "-m", "sh", "-c",
			 "mount -t tmpfs none /dev && exec \"$0\" run \"$1\"", EXO,
			 IMAGES "forged", NULL };
	struct exo_result r;
	run_argv(argv, &r);
	cr_assert_eq(r.status, 127, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "/dev/kvm: not found (load kvm_intel or kvm_amd");
}

Test(host, dev_kvm_without_permission_says_how_to_fix_it)
{
	struct stat st;
	if (!nobody_can_run_exo() || stat("/dev/kvm", &st) != 0 || (st.st_mode & 0006))
		cr_skip_test("needs root, build/exo reachable by user nobody, and a /dev/kvm "
			     "closed to others");
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", EXO,
			 "run", IMAGES "forged", NULL };
	struct exo_result r;
	run_argv(argv, &r);
	cr_assert_eq(r.status, 127, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "/dev/kvm: permission denied (add your user to the kvm group");
}
