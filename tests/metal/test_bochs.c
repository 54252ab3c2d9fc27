/*
 * tests/metal/test_bochs.c: what hv/metal did under Bochs.
 *
 * `make bochs` boots hv/metal with the guests in hv/metal/guests.list and
 * saves its console (build/metal/bochs.out) and Bochs's exit status. These
 * tests read both: every guest ran in turn, each ended the way the same
 * image ends on the kvm platform (same statuses, same reports), and the
 * ones that misbehaved did not stop the ones after them. A Linux program
 * (tests/metal/progs/compute, under posix-shim) must print exactly what
 * it prints natively.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char out[1 << 20];
static char section[64][1 << 17];
static int status[64];
static int nguests;

/* Split the console into one section per guest, in run order. */
static void load(void)
{
	FILE *f = fopen("build/metal/bochs.out", "r");
	cr_assert(f, "build/metal/bochs.out missing: run make bochs");
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = 0;
	fclose(f);
	nguests = 0;
	for (char *p = strstr(out, "metal: guest "); p; p = strstr(p + 1, "metal: guest ")) {
		char name[64];
		if (sscanf(p, "metal: guest %63s starting", name) != 1 || !strstr(p, " starting\n") ||
		    strchr(p, '\n') < strstr(p, " starting"))
			continue;
		char needle[96];
		snprintf(needle, sizeof needle, "\nmetal: guest %s exit status ", name);
		char *end = strstr(p, needle);
		cr_assert(end, "guest %s never ended:\n%s", name, p);
		cr_assert(nguests < 64);
		size_t len = (size_t)(end + 1 - p) < sizeof section[0] - 1 ? (size_t)(end + 1 - p) : sizeof section[0] - 1;
		memcpy(section[nguests], p, len);
		section[nguests][len] = 0;
		status[nguests] = atoi(end + strlen(needle));
		nguests++;
	}
}

TestSuite(metal, .init = load);

static void guest(int i, int want_status, const char *const expect[])
{
	cr_assert(i < nguests, "only %d guests ran:\n%s", nguests, out);
	cr_assert_eq(status[i], want_status, "guest %d status %d, not %d:\n%s", i + 1, status[i],
		     want_status, section[i]);
	for (; *expect; expect++)
		cr_assert(strstr(section[i], *expect), "guest %d lacks \"%s\":\n%s", i + 1, *expect,
			  section[i]);
}

static int bochs_status(const char *path)
{
	FILE *f = fopen(path, "r");
	int st = -1;
	cr_assert(f && fscanf(f, "%d", &st) == 1, "%s missing: run make bochs", path);
	fclose(f);
	return st;
}

Test(metal, bochs_ran_every_guest_and_exited_zero)
{
	int st = bochs_status("build/metal/bochs.status");
	cr_assert_eq(st, 0, "bochs exit status %d; see build/metal/bochs.log", st);
	cr_assert(strstr(out, "metal: VMX on (VMCS revision "), "%s", out);
	unsigned long khz = 0;
	const char *tsc = strstr(out, ", TSC ");
	cr_assert(tsc && sscanf(tsc, ", TSC %lu kHz", &khz) == 1 && khz > 0,
		  "no TSC rate measured:\n%s", out);
	cr_assert(strstr(out, "metal: all done\n"), "%s", out);
	cr_assert(!strstr(out, "frames leaked"), "%s", out);
	cr_assert_eq(nguests, 19, "%d guests ran:\n%s", nguests, out);
}

Test(metal, hello_runs_unchanged)
{
	guest(0, 0, (const char *const[]){ "hello from an exo guest in ring 0\n",
		"argv[0] = hello\nargv[1] = on\nargv[2] = metal\n", ", may own 16384\n", NULL });
}

Test(metal, frames_allocate_use_release_and_exhaust)
{
	guest(1, 0, (const char *const[]){ "ok: a reallocated frame reads zero\n",
		"ok: one frame over the cap: EXO_ENOMEM, nothing taken\n", "frames: 0 failures\n", NULL });
	cr_assert(!strstr(section[1], "FAIL"), "%s", section[1]);
}

Test(metal, forged_arguments_are_refused)
{
	guest(2, 0, (const char *const[]){ "release frame beyond the pool: EXO_ERANGE\n",
		"release a frame not owned: EXO_EPERM\n", "console buffer at a foreign GPA: EXO_EFAULT\n",
		"console length 1 MiB: EXO_E2BIG\n", "info block at a foreign GPA: EXO_EFAULT\n",
		"exit block at a foreign GPA: EXO_EFAULT\n", "unknown call number 9: EXO_ENOSYS\n",
		"still running, owning ", NULL });
}

Test(metal, an_unowned_frame_is_an_ept_violation_reported_as_on_kvm)
{
	unsigned long frame, gpa, gpa2;
	guest(3, 121, (const char *const[]){ "which it does not own, at RIP ffffffff8", NULL });
	cr_assert_eq(sscanf(strstr(section[3], "reading frame"), "reading frame %lu at GPA 0x%lx",
			    &frame, &gpa), 2);
	cr_assert_eq(sscanf(strstr(section[3], "metal: guest read GPA"), "metal: guest read GPA %lx",
			    &gpa2), 1);
	cr_assert_eq(gpa, gpa2);
}

Test(metal, the_exo_page_is_read_only_in_ept)
{
	guest(4, 124, (const char *const[]){ "metal: guest wrote to its read-only exo page at GPA ", NULL });
}

Test(metal, an_unhandled_fault_is_reported_by_the_guest)
{
	guest(5, 120, (const char *const[]){ "vector 14 (#PF page fault), error code 0, RIP ", "CR2 5000\n", NULL });
}

Test(metal, a_handled_fault_needs_no_exit_and_resumes)
{
	guest(6, 0, (const char *const[]){ "handler saw vector 6 at ", "resumed after ud2\n", NULL });
}

Test(metal, triple_fault_ends_the_guest_alone)
{
	guest(7, 122, (const char *const[]){ "metal: guest triple-faulted at RIP ffffffff8", NULL });
}

Test(metal, bad_exit_status_hlt_and_foreign_ports_are_protocol_errors)
{
	guest(8, 124, (const char *const[]){ "guest exit status 200 is out of range 0-119", NULL });
	guest(9, 124, (const char *const[]){ "with nothing to wake it", NULL });
	guest(10, 124, (const char *const[]){ "guest used I/O port 80 (out), which hv does not provide", NULL });
}

Test(metal, libos_vm_passes_in_ring_0_and_ring_3)
{
	guest(11, 0, (const char *const[]){ "running in ring 0\n", "ok: DIRTY reports exactly the pages written\n",
		"ok: a write after PROT1 faults (no stale TLB entry)\n", "vm: 0 failures\n", NULL });
	guest(12, 0, (const char *const[]){ "running in ring 3\n", "ok: DIRTY reports exactly the pages written\n",
		"ok: the handler sees the error code: present, write (user in ring 3)\n", "vm: 0 failures\n", NULL });
	guest(13, 0, (const char *const[]){ "ok: only the page the call used was demand-zeroed: the handler "
		"ran on libos/vm's stack\n", "vm: 0 failures\n", NULL });
}

Test(metal, a_guest_wanting_more_frames_than_the_pool_has_ends_with_a_report)
{
	/* --mem 1G over a 256 MiB pool: demand-zero until hv has no frame left */
	guest(14, 120, (const char *const[]){ "touched 64000 pages\n",
		"vm: out of frames: hv gave no frame for the demand-zero page at 0x",
		"metal: guest fault: vector 14 (#PF page fault)", NULL });
}

/* Run a program natively with argv and the environment exo gives a
 * program; its stdout into buf (NUL-terminated), its exit status back. */
static int run_native(const char *path, char *const argv[], char *buf, size_t size)
{
	static char *const env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LANG=C", NULL };
	int p[2];
	cr_assert(pipe(p) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execve(path, argv, env);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	while (n < size - 1 && (r = read(p[0], buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(p[0]);
	int st;
	cr_assert(waitpid(pid, &st, 0) == pid);
	cr_assert(WIFEXITED(st), "%s did not exit normally", path);
	return WEXITSTATUS(st);
}

/* Guest i ran compute with argv under posix-shim: its section is exactly
 * what the same binary prints natively, nothing in between (no notice
 * from posix-shim about a call it or metal could not run), and both end
 * with the same status. */
static void same_as_native(int i, char *const argv[], int want_status)
{
	static char native[1 << 16], want[(1 << 16) + 64];
	cr_assert_eq(run_native("build/tests/metal/progs/compute", argv, native, sizeof native),
		     want_status);
	guest(i, want_status, (const char *const[]){ NULL });
	snprintf(want, sizeof want, "metal: guest compute starting\n%s", native);
	cr_assert_str_eq(section[i], want);
}

Test(metal, a_program_runs_under_posix_shim_and_prints_what_it_prints_natively)
{
	guest(15, 200, (const char *const[]){
		"metal: guest compute starting\n"
		"compute: argc 4\n"
		"argv[0] = compute\nargv[1] = on\nargv[2] = metal\nargv[3] = status=200\n"
		"environment: 3 variables, PATH=/usr/local/bin:/usr/bin:/bin\n"
		"primes below 100000: 9592, the last 99991, their sum 454396537\n"
		"checksum of 4096 KiB: e2486a3b2e18dc56\n"
		"qsort of 5000: sorted, min 99, median 502155, max 999692\n"
		"pi 3.141543 e 2.718282 sqrt2 1.414214 pi*e 8.539598\n"
		"compute: done, exit status 200\n", NULL });
	same_as_native(15, (char *const[]){ "compute", "on", "metal", "status=200", NULL }, 200);
}

Test(metal, a_program_runs_with_its_code_in_ring_3_too)
{
	guest(16, 0, (const char *const[]){ "argv[1] = in-ring-3\n", "compute: done, exit status 0\n", NULL });
	same_as_native(16, (char *const[]){ "compute", "in-ring-3", NULL }, 0);
}

Test(metal, a_program_needs_a_posix_shim_module_before_it)
{
	cr_assert(strstr(out, "metal: module 16 (compute) is a program and no posix-shim module came "
			 "before it: not run\n"), "%s", out);
	cr_assert(!strstr(out, "before-the-shim"), "%s", out);
	cr_assert(strstr(out, "metal: module 17 is posix-shim ("), "%s", out);
	cr_assert(strstr(out, " bytes): it runs the program modules after it\n"), "%s", out);
}

Test(metal, a_module_that_is_not_a_guest_image_is_refused_and_the_rest_run)
{
	guest(17, 126, (const char *const[]){ "metal: not-a-guest: dynamically linked: exo runs static "
		"executables (link it with -static", NULL });
	guest(18, 0, (const char *const[]){ "hello from an exo guest in ring 0\n", NULL });
}

Test(metal, a_cpu_without_vt_x_gets_a_clear_message_and_a_failing_status)
{
	static char novmx[1 << 16];
	FILE *f = fopen("build/metal/bochs-novmx.out", "r");
	cr_assert(f, "build/metal/bochs-novmx.out missing: run make bochs");
	novmx[fread(novmx, 1, sizeof novmx - 1, f)] = 0;
	fclose(f);
	cr_assert_eq(bochs_status("build/metal/bochs-novmx.status"), 1);
	cr_assert(strstr(novmx, "metal: this CPU has no VT-x (CPUID.1:ECX.VMX is 0)"), "%s", novmx);
	cr_assert(strstr(novmx, "metal: FAILED\n"), "%s", novmx);
	cr_assert(!strstr(novmx, "guest hello starting"), "%s", novmx);
}
