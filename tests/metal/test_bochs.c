/* SPDX-License-Identifier: MIT */
/*
 * tests/metal/test_bochs.c: what hv/metal did under Bochs.
 *
 * `make bochs` boots hv/metal with the guests in hv/metal/guests.list and
 * saves its console (build/metal/bochs.out) and Bochs's exit status. These
 * tests read both. The guests run at once, so their output interleaves
 * line by line: each guest's lines are found by their prefix ("NAME: " for
 * its own output, "metal: NAME: " for hv's reports about it) and its end
 * by "metal: guest NAME exit status N", never by where they fall in the
 * whole. Each guest must end the way the same image ends on the kvm
 * platform (same statuses, same reports), the ones that misbehaved must
 * not disturb the others, two guests must share a frame and ring each
 * other's doorbells while both run, and a Linux program
 * (tests/metal/progs/compute, under posix-shim) must print exactly what it
 * prints natively. Then three groups of their own show revocation on
 * metal: a libos/vm guest above its fair share gives frames back by its
 * own policy, one that ignores the request loses frames to abort and
 * recovers, and a guest that never yields is preempted at each slice end
 * while one that answers its slice-end upcall finishes its work; hv's
 * counters for each ("metal: NAME: stats: ...") must say the same. Last,
 * two hostile guests check hv's answers to random and forged hypercalls
 * against their model of the ABI.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUESTS_MAX 64
#define LINES_MAX 40000

static char out[1 << 21];
static char *line[LINES_MAX]; /* out, split into lines (NUL-terminated) */
static int nlines;

/* One guest, put together from its lines. */
struct guest {
	char name[64];
	int started, ended; /* line numbers of "starting" and "exit status"; -1: none */
	int status;
	char *output;  /* its own lines, prefix removed, in order */
	char *reports; /* hv's lines about it, "metal: NAME: " removed */
	char *stats;   /* its "stats: ..." line from hv, "stats: " removed */
	int first, last; /* line numbers of its first and last own line */
};
static struct guest guests[GUESTS_MAX];
static int nguests;

static struct guest *find(const char *name)
{
	for (int i = 0; i < nguests; i++)
		if (!strcmp(guests[i].name, name))
			return &guests[i];
	return NULL;
}

static struct guest *add(const char *name, size_t len)
{
	char n[64];
	if (len >= sizeof n)
		return NULL;
	memcpy(n, name, len);
	n[len] = 0;
	struct guest *g = find(n);
	if (g || nguests == GUESTS_MAX)
		return g;
	g = &guests[nguests++];
	*g = (struct guest){ .started = -1, .ended = -1, .status = -1, .first = -1, .last = -1 };
	memcpy(g->name, n, len + 1);
	g->output = calloc(1, 1);
	g->reports = calloc(1, 1);
	g->stats = calloc(1, 1);
	return g;
}

static void append(char **to, const char *text)
{
	size_t a = strlen(*to), b = strlen(text);
	*to = realloc(*to, a + b + 2);
	memcpy(*to + a, text, b);
	(*to)[a + b] = '\n';
	(*to)[a + b + 1] = 0;
}

/* The guest a line "NAME: ..." is about (NAME up to the first ": "). */
static struct guest *owner(const char *l, const char **rest)
{
	const char *colon = strstr(l, ": ");
	if (!colon)
		return NULL;
	char n[64];
	size_t len = (size_t)(colon - l);
	if (len >= sizeof n)
		return NULL;
	memcpy(n, l, len);
	n[len] = 0;
	*rest = colon + 2;
	return find(n);
}

static void load(void)
{
	FILE *f = fopen("build/metal/bochs.out", "r");
	cr_assert(f, "build/metal/bochs.out missing: run make bochs");
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = 0;
	fclose(f);
	static char copy[sizeof out];
	memcpy(copy, out, n + 1);
	nlines = 0;
	for (char *p = copy; *p && nlines < LINES_MAX;) {
		line[nlines++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
	/* First the names, from hv's lines that name a guest... */
	nguests = 0;
	for (int i = 0; i < nlines; i++) {
		const char *l = line[i], *end;
		struct guest *g;
		if (!strncmp(l, "metal: guest ", 13) && (end = strstr(l, " starting")) && !end[9] &&
		    (g = add(l + 13, (size_t)(end - (l + 13)))))
			g->started = i;
		if (!strncmp(l, "metal: guest ", 13) && (end = strstr(l, " exit status ")) &&
		    (g = add(l + 13, (size_t)(end - (l + 13))))) {
			g->ended = i;
			g->status = atoi(end + 13);
		}
	}
	/* ...then every line about each. */
	for (int i = 0; i < nlines; i++) {
		const char *rest;
		struct guest *g;
		if (!strncmp(line[i], "metal: ", 7) && (g = owner(line[i] + 7, &rest))) {
			if (!strncmp(rest, "stats: ", 7))
				append(&g->stats, rest + 7);
			else
				append(&g->reports, rest);
		} else if ((g = owner(line[i], &rest))) {
			append(&g->output, rest);
			if (g->first < 0)
				g->first = i;
			g->last = i;
		}
	}
}

TestSuite(metal, .init = load);

/* The guest named name ended with want_status, and each of expect is in
 * its own output or in hv's reports about it. */
static struct guest *guest(const char *name, int want_status, const char *const expect[])
{
	struct guest *g = find(name);
	cr_assert(g, "no guest %s ran:\n%s", name, out);
	cr_assert(g->ended >= 0, "guest %s never ended:\n%s%s", name, g->output, g->reports);
	cr_assert_eq(g->status, want_status, "guest %s status %d, not %d:\n%s%s", name, g->status,
		     want_status, g->output, g->reports);
	for (; *expect; expect++)
		cr_assert(strstr(g->output, *expect) || strstr(g->reports, *expect),
			  "guest %s lacks \"%s\":\n%s--- reports:\n%s", name, *expect, g->output,
			  g->reports);
	return g;
}

static int bochs_status(const char *path)
{
	FILE *f = fopen(path, "r");
	int st = -1;
	cr_assert(f && fscanf(f, "%d", &st) == 1, "%s missing: run make bochs", path);
	fclose(f);
	return st;
}

static int line_of(const char *text)
{
	for (int i = 0; i < nlines; i++)
		if (!strcmp(line[i], text))
			return i;
	return -1;
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
	cr_assert(!strstr(out, "internal error in hv"), "%s", out);
	int ended = 0;
	for (int i = 0; i < nguests; i++)
		ended += guests[i].ended >= 0;
	cr_assert_eq(ended, 31, "%d guests ended:\n%s", ended, out);
}

Test(metal, the_guests_run_at_once_in_preemption_timer_slices)
{
	int together = line_of("metal: 21 guests run at once");
	cr_assert(together >= 0, "%s", out);
	/* Every guest of the first group started before any ran, and all of
	 * them ended after: their runs overlap. */
	for (int i = 0; i < nguests; i++) {
		const struct guest *g = &guests[i];
		if (g->started < 0 || g->started > together) /* a later group's */
			continue;
		cr_assert(g->started < together && g->ended > together, "%s: started at line %d, "
			  "ended at %d, the group ran from %d", g->name, g->started, g->ended, together);
	}
	unsigned long turns, slices, ms, preempted, yields, waits, idle;
	const char *q = strstr(out, "metal: run queue: ");
	cr_assert(q && sscanf(q, "metal: run queue: %lu turns, %lu slices of %lu ms, %lu preempted, "
			      "%lu yields, %lu waits, %lu idle waits", &turns, &slices, &ms,
			      &preempted, &yields, &waits, &idle) == 7,
		  "no run queue summary:\n%s", out);
	cr_assert_eq(ms, 10, "metal's slice is not hv/core's HV_SLICE_NS");
	cr_assert(preempted > 0 && turns > preempted, "%lu turns, %lu preempted", turns, preempted);
	cr_assert(slices >= preempted, "%lu slices, %lu preempted", slices, preempted);
	cr_assert(waits > 0, "no guest ever waited for a doorbell");
	cr_assert(strstr(out, ", preemption timer at TSC/"), "%s", out);
}

Test(metal, output_lines_of_concurrent_guests_interleave_whole)
{
	/* compute's lines come out whole and in order although 20 other
	 * guests printed meanwhile: some other guest's line lies between its
	 * first and its last. */
	struct guest *g = guest("compute", 200, (const char *const[]){ NULL });
	int others = 0;
	for (int i = g->first; i <= g->last; i++)
		others += strncmp(line[i], "compute: ", 9) != 0;
	cr_assert(others > 0, "compute's output did not interleave with anyone's");
}

Test(metal, a_wait_line_starts_after_every_guest_before_it_ended)
{
	struct guest *x = guest("vm-exhaust", 120, (const char *const[]){ NULL });
	for (int i = 0; i < nguests; i++)
		if (&guests[i] != x && guests[i].started < x->started)
			cr_assert(guests[i].ended < x->started, "%s ended at line %d, vm-exhaust "
				  "started at %d", guests[i].name, guests[i].ended, x->started);
}

Test(metal, hello_runs_unchanged)
{
	guest("hello", 0, (const char *const[]){ "hello from an exo guest in ring 0\n",
		"argv[0] = hello\nargv[1] = on\nargv[2] = metal\n", ", may own 16384\n", NULL });
}

Test(metal, frames_allocate_use_release_and_exhaust)
{
	struct guest *g = guest("frames", 0, (const char *const[]){ "ok: a reallocated frame reads zero\n",
		"ok: one frame over the cap: EXO_ENOMEM, nothing taken\n", "frames: 0 failures\n", NULL });
	cr_assert(!strstr(g->output, "FAIL"), "%s", g->output);
}

Test(metal, forged_arguments_are_refused)
{
	guest("forged", 0, (const char *const[]){ "release frame beyond the pool: EXO_ERANGE\n",
		"release a frame not owned: EXO_EPERM\n", "console buffer at a foreign GPA: EXO_EFAULT\n",
		"console length 1 MiB: EXO_E2BIG\n", "info block at a foreign GPA: EXO_EFAULT\n",
		"exit block at a foreign GPA: EXO_EFAULT\n", "still running, owning ", NULL });
	/* A call number hv does not define (whichever the image picks). */
	unsigned nr;
	char status[32];
	const char *u = strstr(find("forged")->output, "unknown call number ");
	cr_assert(u && sscanf(u, "unknown call number %u: %31s", &nr, status) == 2,
		  "%s", find("forged")->output);
	cr_assert_str_eq(status, "EXO_ENOSYS", "call %u", nr);
}

Test(metal, an_unowned_frame_is_an_ept_violation_reported_as_on_kvm)
{
	unsigned long frame, gpa, gpa2;
	struct guest *g = guest("crash-read", 121,
				(const char *const[]){ "which it does not own, at RIP 0xffffffff8", NULL });
	const char *r = strstr(g->output, "reading frame"), *v = strstr(g->reports, "guest read GPA");
	cr_assert(r && v, "%s%s", g->output, g->reports);
	cr_assert_eq(sscanf(r, "reading frame %lu at GPA 0x%lx", &frame, &gpa), 2);
	cr_assert_eq(sscanf(v, "guest read GPA 0x%lx", &gpa2), 1);
	cr_assert_eq(gpa, gpa2);
}

Test(metal, the_exo_page_is_read_only_in_ept)
{
	guest("crash-exo", 124, (const char *const[]){ "guest wrote to its read-only exo page at GPA ", NULL });
}

Test(metal, an_unhandled_fault_is_reported_by_the_guest)
{
	guest("crash-pf", 120, (const char *const[]){ "guest fault: vector 14 (#PF page fault), error code "
		"0x0, RIP ", "CR2 0x5000\n", "  rflags ", NULL });
}

Test(metal, a_handled_fault_needs_no_exit_and_resumes)
{
	guest("crash-ud", 0, (const char *const[]){ "handler saw vector 6 at ", "resumed after ud2\n", NULL });
}

Test(metal, triple_fault_ends_the_guest_alone)
{
	guest("crash-triple", 122, (const char *const[]){ "guest triple-faulted at RIP 0xffffffff8", NULL });
}

Test(metal, bad_exit_status_hlt_and_foreign_ports_are_protocol_errors)
{
	guest("crash-exit", 124, (const char *const[]){ "guest exit status 200 is out of range 0-119", NULL });
	guest("crash-hlt", 124, (const char *const[]){ "with nothing to wake it", NULL });
	guest("crash-port", 124, (const char *const[]){ "guest used I/O port 0x80 (out), which hv does "
		"not provide", NULL });
}

Test(metal, libos_vm_passes_in_ring_0_and_ring_3_under_names_made_unique)
{
	/* Three modules named vm: the second and third get vm-2 and vm-3. */
	guest("vm", 0, (const char *const[]){ "running in ring 0\n", "ok: DIRTY reports exactly the pages written\n",
		"ok: a write after PROT1 faults (no stale TLB entry)\n", "vm: 0 failures\n", NULL });
	guest("vm-2", 0, (const char *const[]){ "running in ring 3\n", "ok: DIRTY reports exactly the pages written\n",
		"ok: the handler sees the error code: present, write (user in ring 3)\n", "vm: 0 failures\n", NULL });
	guest("vm-3", 0, (const char *const[]){ "ok: only the page the call used was demand-zeroed: the handler "
		"ran on libos/vm's stack\n", "vm: 0 failures\n", NULL });
}

Test(metal, a_guest_wanting_more_frames_than_the_pool_has_ends_with_a_report)
{
	/* --mem 1G over a 256 MiB pool: demand-zero until hv has no frame left */
	guest("vm-exhaust", 120, (const char *const[]){ "touched 64000 pages\n",
		"vm: out of frames: hv gave no frame for the demand-zero page at 0x",
		"guest fault: vector 14 (#PF page fault)", NULL });
}

Test(metal, two_guests_share_a_frame_and_ring_each_other_while_both_run)
{
	struct guest *ping = guest("ping-m", 0, (const char *const[]){
		"pair: ping: 5 round trips with pong-m\n", NULL });
	struct guest *pong = guest("pong-m", 0, (const char *const[]){ "pair: pong: answered 5 rings\n", NULL });
	/* Each started before the other ended: their runs overlap, and only
	 * then could 5 round trips (each waiting for the other) complete. */
	cr_assert(ping->started < pong->ended && pong->started < ping->ended,
		  "ping-m ran lines %d-%d, pong-m %d-%d", ping->started, ping->ended, pong->started,
		  pong->ended);
	cr_assert_str_eq(ping->reports, "");
	cr_assert_str_eq(pong->reports, "");
}

Test(metal, doorbells_arrive_by_wait_and_by_interrupt)
{
	guest("db-host", 0, (const char *const[]){
		"doorbell: host: 3 rings while busy: wait 1, handler ran 1 time(s)",
		"then wait 0\n", "doorbell: host: wait of 5 ms with no ring: 0 after >= 5 ms\n",
		"doorbell: host: interrupt on vector 0x43 while spinning: handler ran 1 time(s)",
		"doorbell: host: wait after the interrupt took the ring: 1, handler ran 0 time(s)\n",
		"doorbell: host: a ring with the doorbell off: EXO_ENOENT\n", NULL });
	guest("db-bell", 0, (const char *const[]){ "doorbell: bell: done\n", NULL });
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

/* Guest name ran compute with argv under posix-shim: its output is exactly
 * what the same binary prints natively, hv said nothing about it (no
 * notice from posix-shim about a call it or metal could not run), and
 * both end with the same status. */
static void same_as_native(const char *name, char *const argv[], int want_status)
{
	static char native[1 << 16];
	cr_assert_eq(run_native("build/tests/metal/progs/compute", argv, native, sizeof native),
		     want_status);
	struct guest *g = guest(name, want_status, (const char *const[]){ NULL });
	cr_assert_str_eq(g->output, native);
	cr_assert_str_eq(g->reports, "");
}

Test(metal, a_program_runs_under_posix_shim_and_prints_what_it_prints_natively)
{
	/* Its module says --mem 64MiB, a size metal once refused. */
	guest("compute", 200, (const char *const[]){
		"compute: argc 4\n"
		"argv[0] = compute\nargv[1] = on\nargv[2] = metal\nargv[3] = status=200\n"
		"environment: 3 variables, PATH=/usr/local/bin:/usr/bin:/bin\n"
		"primes below 100000: 9592, the last 99991, their sum 454396537\n"
		"checksum of 4096 KiB: e2486a3b2e18dc56\n"
		"qsort of 5000: sorted, min 99, median 502155, max 999692\n"
		"pi 3.141543 e 2.718282 sqrt2 1.414214 pi*e 8.539598\n"
		"compute: done, exit status 200\n", NULL });
	same_as_native("compute", (char *const[]){ "compute", "on", "metal", "status=200", NULL }, 200);
}

Test(metal, a_program_runs_with_its_code_in_ring_3_too)
{
	guest("compute-2", 0, (const char *const[]){ "argv[1] = in-ring-3\n", "compute: done, exit status 0\n", NULL });
	same_as_native("compute-2", (char *const[]){ "compute", "in-ring-3", NULL }, 0);
}

Test(metal, a_program_needs_a_posix_shim_module_before_it)
{
	cr_assert(strstr(out, "metal: module 19 (compute) is a program and no posix-shim module came "
			 "before it: not run\n"), "%s", out);
	cr_assert(!strstr(out, "before-the-shim"), "%s", out);
	cr_assert(strstr(out, "metal: module 20 is posix-shim ("), "%s", out);
	cr_assert(strstr(out, " bytes): it runs the program modules after it\n"), "%s", out);
}

Test(metal, a_module_that_is_not_a_guest_image_is_refused_and_the_rest_run)
{
	struct guest *g = guest("not-a-guest", 126, (const char *const[]){ "dynamically linked: exo runs "
		"static executables (link it with -static", NULL });
	cr_assert_lt(g->started, 0, "not-a-guest started");
	guest("after-the-others", 0, (const char *const[]){ "hello from an exo guest in ring 0\n", NULL });
}

Test(metal, a_module_with_a_taken_name_or_a_bad_option_is_not_run)
{
	cr_assert(strstr(out, "metal: module 25: --name pong-m is taken by another guest: not run\n"),
		  "%s", out);
	cr_assert(strstr(out, "metal: module 26: size must be a whole number of 4 KiB frames: not run\n"),
		  "%s", out);
	cr_assert(!strstr(out, "name-taken") && !strstr(out, "bad-size"), "%s", out);
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
	cr_assert(!strstr(novmx, " starting\n"), "%s", novmx);
}

/* hv's counters for a guest, from its "stats: " line. */
struct counters {
	unsigned long slices, upcalls, answered, preempted;
	unsigned long peak, asked, given, aborted, met, waited;
};

static struct counters counters(const struct guest *g)
{
	struct counters c;
	cr_assert_eq(sscanf(g->stats, "slices %lu, upcalls %lu answered %lu, preempted %lu; frames "
			    "peak %lu, asked %lu given %lu aborted %lu, requests met %lu, "
			    "allocations waited %lu", &c.slices, &c.upcalls, &c.answered,
			    &c.preempted, &c.peak, &c.asked, &c.given, &c.aborted, &c.met,
			    &c.waited), 10, "guest %s: no stats line from hv:\n%s%s", g->name,
		     g->output, g->reports);
	return c;
}

Test(metal, every_guest_that_ran_reports_its_counters)
{
	for (int i = 0; i < nguests; i++)
		if (guests[i].started >= 0)
			counters(&guests[i]);
}

Test(metal, each_revocation_group_runs_on_its_own)
{
	const char *group[][2] = { { "rv-coop", "rv-press" }, { "rv-ignore", "rv-press-2" },
				   { "rv-loop", "rv-work" } };
	int before = find("vm-exhaust") ? find("vm-exhaust")->ended : -1;
	cr_assert(before >= 0, "%s", out);
	for (int k = 0; k < 3; k++) {
		int last = -1;
		for (int j = 0; j < 2; j++) {
			struct guest *g = find(group[k][j]);
			cr_assert(g && g->started > before, "%s started at line %d, before the group "
				  "above ended (line %d)", group[k][j], g ? g->started : -1, before);
			last = g->ended > last ? g->ended : last;
		}
		before = last;
	}
}

Test(metal, a_guest_above_its_share_gives_frames_back_by_its_own_policy)
{
	struct guest *c = guest("rv-coop", 0, (const char *const[]){ "revoke: coop: gave ", NULL });
	unsigned long lost, hot, gave, rebuilt;
	const char *l = strstr(c->output, "revoke: coop: clock: lost ");
	cr_assert(l && sscanf(l, "revoke: coop: clock: lost %lu pages, %lu of them hot", &lost,
			      &hot) == 2, "%s", c->output);
	l = strstr(c->output, "revoke: coop: gave ");
	cr_assert(l && sscanf(l, "revoke: coop: gave %lu frames, rebuilt %lu pages, pattern ok",
			      &gave, &rebuilt) == 2, "%s", c->output);
	struct counters k = counters(c);
	/* hv asked, the guest gave all of it in time, nothing was taken. */
	cr_assert(k.asked > 0 && k.given == k.asked && k.met > 0 && k.aborted == 0,
		  "asked %lu, given %lu, met %lu, aborted %lu", k.asked, k.given, k.met, k.aborted);
	cr_assert_eq(gave, k.given, "the guest says it gave %lu, hv counted %lu", gave, k.given);
	/* Beyond its free list it dropped pages (cold ones: the clock), and
	 * rebuilt each on its next touch. */
	cr_assert(lost > 0 && rebuilt == lost && hot == 0, "lost %lu (%lu hot), rebuilt %lu", lost,
		  hot, rebuilt);
	cr_assert_str_eq(c->reports, "");
	struct guest *p = guest("rv-press", 0, (const char *const[]){
		"revoke: press: got 61590 frames\n", NULL });
	cr_assert(counters(p).waited > 0, "the presser never waited for revoked frames");
	cr_assert_eq(counters(p).asked, 0);
}

Test(metal, a_guest_that_ignores_revocation_is_aborted_and_recovers)
{
	struct guest *g = guest("rv-ignore", 0, (const char *const[]){ NULL });
	unsigned long lost, back;
	const char *l = strstr(g->output, "revoke: ignore: lost ");
	cr_assert(l && sscanf(l, "revoke: ignore: lost %lu frames, repossession bitmap exact, "
			      "abort seen, got %lu back", &lost, &back) == 2, "%s", g->output);
	struct counters k = counters(g);
	cr_assert(lost > 0 && back == lost, "lost %lu, got %lu back", lost, back);
	cr_assert(k.aborted == lost && k.asked == lost && k.given == 0 && k.met == 0,
		  "lost %lu; hv: asked %lu, given %lu, aborted %lu, met %lu", lost, k.asked,
		  k.given, k.aborted, k.met);
	cr_assert_str_eq(g->reports, "");
	struct guest *p = guest("rv-press-2", 0, (const char *const[]){
		"revoke: press: got 63460 frames\n", NULL });
	cr_assert(counters(p).waited > 0, "the presser never waited for revoked frames");
}

Test(metal, a_guest_that_never_yields_is_preempted_while_another_finishes_its_work)
{
	struct guest *loop = guest("rv-loop", 0, (const char *const[]){ "revoke: loop: done\n", NULL });
	struct guest *work = guest("rv-work", 0, (const char *const[]){ NULL });
	unsigned long n;
	const char *l = strstr(work->output, "revoke: work: done, ");
	cr_assert(l && sscanf(l, "revoke: work: done, %lu upcalls answered", &n) == 1, "%s",
		  work->output);
	struct counters lc = counters(loop), wc = counters(work);
	/* No vector: each slice end took the CPU from it. */
	cr_assert(lc.preempted > 0 && lc.preempted == lc.slices && lc.upcalls == 0,
		  "looper: %lu slices, %lu preempted, %lu upcalls", lc.slices, lc.preempted,
		  lc.upcalls);
	/* The worker heard every slice end it was there for and yielded in
	 * its grace: never preempted. */
	cr_assert(n > 0 && wc.answered == n && wc.upcalls - n <= 1 && wc.preempted == 0,
		  "worker answered %lu; hv: %lu upcalls, %lu answered, %lu preempted", n,
		  wc.upcalls, wc.answered, wc.preempted);
	/* And it finished while the looper still looped. */
	cr_assert(work->ended < loop->ended, "rv-work ended at line %d, rv-loop at %d", work->ended,
		  loop->ended);
}

/* The hostile group (hv/metal/guests.list's last): two guests making
 * random and forged hypercalls from their seeds, forging grants and rings
 * at each other, found every answer of hv/metal what their model of the
 * ABI says, and their own view (exo page, frames) intact. */
Test(metal, hostile_guests_find_every_answer_as_the_abi_model_says)
{
	const char *name[] = { "hostile-a", "hostile-b" }, *seed[] = { "41", "42" };
	int before = find("rv-work") ? find("rv-work")->ended : -1;
	for (int i = 0; i < 2; i++) {
		char want[96];
		snprintf(want, sizeof want, "hostile: %s calls 2000, model mismatches 0, ", seed[i]);
		struct guest *g = guest(name[i], 0, (const char *const[]){ want, NULL });
		cr_assert_str_eq(g->reports, "", "%s: %s", name[i], g->reports);
		cr_assert(g->started > before, "%s started at line %d, before rv-work ended (%d)",
			  name[i], g->started, before);
		unsigned peer = 0;
		const char *p = strstr(g->output, "peer id ");
		cr_assert(p && sscanf(p, "peer id %u", &peer) == 1 && peer > 0,
			  "%s did not find its peer:\n%s", name[i], g->output);
	}
}
