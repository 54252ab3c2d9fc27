/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/test_limits.c: exo under hostile input and hostile guests,
 * end to end: images that are not files, string I/O to the hypercall
 * port, console bytes meant to drive a terminal, guests that never stop,
 * and the host limits exo must stay inside.
 */
#include "harness.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <termios.h>

/* A FIFO at a fresh path; nothing ever opens its other end. */
static void fifo(char path[64])
{
	strcpy(path, "/tmp/exo-fifo-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	unlink(path);
	cr_assert(mkfifo(path, 0600) == 0);
}

/* Opening a FIFO blocks until a writer comes unless O_NONBLOCK: exo must
 * refuse it at once instead. */
Test(image, fifo_is_refused_not_waited_on)
{
	char path[64];
	struct exo_result r;
	fifo(path);
	exo_run(&r, "run", path, NULL);
	unlink(path);
	cr_assert_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	char want[96];
	snprintf(want, sizeof want, "%s: not a regular file", path);
	assert_one_line_error(&r, want);
}

/* The same for posix-shim's image, read when the image is a program. */
Test(image, shim_fifo_is_refused_not_waited_on)
{
	char path[64];
	struct exo_result r;
	fifo(path);
	setenv("EXO_SHIM", path, 1);
	exo_run(&r, "run", "build/tests/posix/progs/files", NULL);
	unlink(path);
	cr_assert_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	char want[96];
	snprintf(want, sizeof want, "%s: not a regular file", path);
	assert_one_line_error(&r, want);
}

/* KVM's exit for `outsl` looks like `outl`'s (count 1, the datum copied
 * out): a string instruction to a hypercall port must still be refused,
 * never run as a hypercall on a GPA read from guest memory. */
static void string_io(const char *mode)
{
	struct exo_result r;
	exo_run(&r, "run", IMAGES "cpuid", mode, NULL);
	cr_assert_eq(r.status, 124, "status %d, stdout: %s stderr: %s", r.status, r.out, r.err);
	cr_assert(!strstr(r.out, "was taken"), "%s", r.out);
	assert_one_line_error(&r, "guest used I/O port 0x500 (out), which hv does not provide");
}

Test(string_io, outs_to_a_hypercall_port_is_a_protocol_error)
{
	string_io("outs");
}

Test(string_io, rep_outs_to_a_hypercall_port_is_a_protocol_error)
{
	string_io("rep-outs");
}

/* Run exo with stdout on a pseudo-terminal in raw mode (so the line
 * discipline adds nothing), stderr on a pipe; what came to each. */
static void run_on_pty(char *out, size_t out_size, char *err, size_t err_size, char *const argv[])
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	cr_assert(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	cr_assert(s >= 0);
	struct termios t;
	cr_assert(tcgetattr(s, &t) == 0);
	cfmakeraw(&t);
	cr_assert(tcsetattr(s, TCSANOW, &t) == 0);
	int e[2];
	cr_assert(pipe(e) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(s, 1);
		dup2(e[1], 2);
		execv(argv[0], argv);
		_exit(255);
	}
	close(s);
	close(e[1]);
	int st;
	cr_assert(waitpid(pid, &st, 0) == pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
	/* The child is gone: everything it wrote is waiting in the pty. */
	size_t n = 0;
	struct pollfd p = { m, POLLIN, 0 };
	while (n < out_size - 1 && poll(&p, 1, 200) > 0) {
		ssize_t r = read(m, out + n, out_size - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	out[n] = '\0';
	ssize_t r = read(e[0], err, err_size - 1);
	err[r > 0 ? r : 0] = '\0';
	close(m);
	close(e[0]);
}

Test(console, control_bytes_are_shown_escaped_on_a_terminal)
{
	char out[4096], err[8192];
	char *argv[] = { EXO, "run", "--stats", IMAGES "cpuid", "escape", NULL };
	run_on_pty(out, sizeof out, err, sizeof err, argv);
	cr_assert_str_eq(out, "a\\x1b[31mb\\x07c\\x7f\td\r\n");
	cr_assert(strstr(err, "exo: stats: console: 14 bytes, 3 control bytes escaped"), "%s", err);
}

Test(console, bytes_pass_unchanged_to_a_pipe)
{
	struct exo_result r;
	exo_run(&r, "run", "--stats", IMAGES "cpuid", "escape", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "a\x1b[31mb\x07" "c\x7f\td\r\n");
	cr_assert(strstr(r.err, "exo: stats: console: 14 bytes, 0 control bytes escaped"), "%s",
		  r.err);
}

/* Wall seconds since an arbitrary start. */
static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

Test(limits, timeout_ends_a_guest_that_spins_with_142)
{
	struct exo_result r;
	double t = now_s();
	exo_run(&r, "run", "--timeout", "0.5", IMAGES "revoke", "loop", "20000", NULL);
	t = now_s() - t;
	cr_assert_eq(r.status, 142, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "exo: guest ended: it ran past --timeout 0.5 (seconds of wall time)");
	cr_assert(t >= 0.5 && t < 10, "took %.3f s", t);
}

/* Every guest ends at the timeout: one spinning, one held in a WAIT (a
 * lookup of a guest that never comes); one that finished first keeps its
 * own status, and exo's is the first guest's. */
Test(limits, timeout_ends_every_guest_waiting_or_not)
{
	struct exo_result r;
	exo_run(&r, "run", "--timeout", "1", "--guest", IMAGES "revoke", "loop", "20000",
		"--guest", IMAGES "doorbell", "bell", "nobody",
		"--guest", "--name", "quick", IMAGES "revoke", "loop", "10", NULL);
	cr_assert_eq(r.status, 142, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.err, "exo: revoke: guest ended: it ran past --timeout 1"), "%s", r.err);
	cr_assert(strstr(r.err, "exo: doorbell: guest ended: it ran past --timeout 1"), "%s",
		  r.err);
	cr_assert(!strstr(r.err, "quick: guest ended"), "%s", r.err);
	cr_assert(strstr(r.out, "quick: revoke: loop: done"), "%s", r.out);
}

/* --cpu-limit is each guest's own: the spinner ends with 152, the other
 * runs to its end. */
Test(limits, cpu_limit_ends_only_the_guest_over_it_with_152)
{
	struct exo_result r;
	exo_run(&r, "run", "--cpu-limit", "0.3", "--guest", IMAGES "revoke", "loop", "20000",
		"--guest", "--name", "short", IMAGES "revoke", "loop", "50", NULL);
	cr_assert_eq(r.status, 152, "status %d, stderr: %s", r.status, r.err);
	assert_one_line_error(&r, "exo: revoke: guest ended: it used its --cpu-limit of 0.3 seconds "
			      "of CPU time");
	cr_assert(strstr(r.out, "short: revoke: loop: done"), "%s", r.out);
}

Test(limits, a_guest_inside_its_limits_is_not_touched)
{
	struct exo_result r;
	exo_run(&r, "run", "--timeout", "30", "--cpu-limit", "30", IMAGES "revoke", "loop", "10",
		NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_assert_str_eq(r.err, "");
}

static void bad_limit(const char *opt, const char *value, const char *why)
{
	struct exo_result r;
	exo_run(&r, "run", opt, value, "build/apps/hello", NULL);
	cr_assert_eq(r.status, 125, "%s %s: status %d, stderr: %s", opt, value, r.status, r.err);
	char want[128];
	snprintf(want, sizeof want, "exo: %s %s: %s", opt, value, why);
	assert_one_line_error(&r, want);
}

Test(limits, bad_values_are_usage_errors)
{
	static const char *const bad[] = { "-1", "1x", "inf", "nan", "1e3", ".", "", " 1", "0x10" };
	const char *num = "SECONDS must be a decimal number such as 10 or 0.5";
	for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
		bad_limit("--timeout", bad[i], num);
		bad_limit("--cpu-limit", bad[i], num);
	}
	bad_limit("--timeout", "0", "must be more than 0");
	bad_limit("--cpu-limit", "0.000000000", "must be more than 0");
	bad_limit("--cpu-limit", "0.0000000001", "at most 9 digits after the point");
	bad_limit("--timeout", "1000000000.5", "more than 1000000000 seconds");
	bad_limit("--cpu-limit", "99999999999999999999999", "more than 1000000000 seconds");
	struct exo_result r;
	exo_run(&r, "run", "--guest", "--cpu-limit", "1", "build/apps/hello", NULL);
	cr_assert_eq(r.status, 125);
	assert_one_line_error(&r, "--cpu-limit is for the whole run");
}

/* No paravirtual leaves: a guest cannot learn it runs on KVM, let alone
 * turn on kvmclock and have the host write into its frames. */
Test(cpu, cpuid_has_no_kvm_signature)
{
	struct exo_result r;
	exo_run(&r, "run", IMAGES "cpuid", "signature", NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_assert(strstr(r.out, "leaf 0x40000000: "), "%s", r.out);
	cr_assert(!strstr(r.out, "KVMKVMKVM"), "%s", r.out);
}

/* KVM's paravirtual MSRs raise #GP (the guest's handler counts both
 * writes), unless the host has no MSR filter, which --stats then says. */
Test(cpu, kvm_pv_msrs_raise_gp)
{
	struct exo_result r;
	exo_run(&r, "run", "--stats", IMAGES "cpuid", "pv-msr", NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	if (strstr(r.err, "has no MSR filter"))
		cr_skip_test("the host's KVM has no MSR filter");
	cr_assert_str_eq(r.out, "gp 2\n");
}

/* Every other frame of a 1 GiB pool: about one host mapping per frame,
 * four times Linux's default vm.max_map_count; exo makes room (as root)
 * and the guest, its checks and the pool check at the end all pass. */
Test(maps, a_checkerboard_of_a_1g_pool_works, .timeout = 120)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to raise vm.max_map_count");
	struct exo_result r;
	exo_run(&r, "run", "--pool", "1G", "--mem", "1G", IMAGES "checker", NULL);
	cr_assert_eq(r.status, 0, "status %d, stdout: %s stderr: %s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "checker: kept "), "%s", r.out);
	cr_assert(strstr(r.out, "frames, pool 262144\n"), "%s", r.out);
}

/* Not root (here: root in a user namespace of its own, which cannot
 * raise the host's sysctl but can still open /dev/kvm), a checkerboard
 * of a pool larger than the host's limit on mappings allows: the guest's
 * allocations fail with EXO_ENOMEM at the budget, it carries on (it keeps
 * what it got), and so does exo. */
Test(maps, over_the_limit_a_bind_fails_cleanly_not_exo, .timeout = 120)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	struct exo_result r;
	char *argv[] = { "unshare", "-U", EXO, "run", "--pool", "1G", "--mem", "1G",
			 IMAGES "checker", NULL };
	run_argv(argv, &r);
	cr_assert_eq(r.status, 0, "status %d, stdout: %s stderr: %s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "checker: kept "), "%s", r.out);
}

static uint64_t max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	unsigned long long n = 0;
	cr_assert(f && fscanf(f, "%llu", &n) == 1);
	fclose(f);
	return n;
}

/* A run whose worst case is just over the limit: one guest owning the
 * whole pool of P frames needs 4096 + 16 + P mappings (maps.c). */
static void just_over(char size[32], uint64_t *limit)
{
	/* Above what the checkerboard test (maybe running beside this one)
	 * raises it to, 4112 + 262144. */
	*limit = max_map_count();
	uint64_t frames = (*limit > 266256 ? *limit : 266256) + 1 - 4112;
	snprintf(size, 32, "%lluK", (unsigned long long)frames * 4);
}

/* One test, not two: run in parallel, the raise could make room for the
 * refused run. */
Test(maps, root_raises_the_limit_and_anyone_else_is_told_how)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	char size[32];
	struct exo_result r;
	uint64_t before;
	just_over(size, &before);
	{
		/* Not root (a user namespace of its own): no raise; the run
		 * goes on within a budget of bound frames, and says so. */
		char *argv[] = { "unshare", "-U", EXO, "run", "--stats", "--pool", size, "--mem", size,
				 "build/apps/hello", NULL };
		run_argv(argv, &r);
		cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
		if (max_map_count() == before)
			cr_assert(strstr(r.err, "frames bound in all (sysctl -w vm.max_map_count="),
				  "%s", r.err);
	}
	before = max_map_count();
	exo_run(&r, "run", "--stats", "--pool", size, "--mem", size, "build/apps/hello", NULL);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	if (max_map_count() > before)
		cr_assert(strstr(r.err, "exo: stats: raised vm.max_map_count to "), "%s", r.err);
}
