/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/test_gc.c: bdwgc (the Boehm-Demers-Weiser collector, Debian's
 * libgc 8.2.2, unmodified, built static with musl by tests/programs/build.sh)
 * running its own test program, gctest (tests/test.c), in incremental mode,
 * natively and under exo; and apps/gcbench on it.
 *
 * gctest switches to incremental mode itself and says how the collector
 * learns which pages were written: "Reading dirty bits from /proc"
 * (SOFT_VDB: soft-dirty bits, cleared through /proc/<pid>/clear_refs and
 * read from /proc/<pid>/pagemap) or "Emulating dirty bits with
 * mprotect/signals" (MPROTECT_VDB: the heap write-protected, a SIGSEGV per
 * first write to a page). bdwgc tries soft-dirty bits first unless
 * GC_USE_GETWRITEWATCH=0. Natively it depends on the host kernel (checked
 * here as bdwgc and apps/vmbench check it: write "4" to clear_refs, dirty a
 * page, read bit 55 of its pagemap entry); under exo posix-shim serves
 * /proc/self from the hardware dirty bits, so it must be the first.
 *
 * Each run must exit 0, say "Collector appears to work" and name the
 * expected mode; bdwgc's warnings ("GC Warning: ...", e.g. a /proc file
 * that would not open) must not appear. gctest's default size is kept:
 * about 1 s natively and 10 s under exo in mprotect mode on the
 * paravirtual development hosts (every write fault is a #PF round trip
 * through emulated ring 0 there).
 */
#include "posix.h"
#include "../../apps/softdirty.h"

#include <stdint.h>

#define GCTEST "build/programs/bin/gctest"
#define GCBENCH "build/programs/bin/gcbench"
#define SOFT "Reading dirty bits from /proc"
#define MPROT "Emulating dirty bits with mprotect/signals"

static void need(const char *p)
{
	if (access(p, X_OK) != 0)
		cr_skip_test("%s missing: tests/programs/build.sh build fetches and builds it "
			     "(needs the Debian archive)", p);
}

static void native(const char *dir, char *const argv[], struct exo_result *r)
{
	/* No chroot: bdwgc needs the real /proc. */
	struct run_opts o = { .cwd = dir };
	run_with(&o, argv, r);
}

static void check_gctest(const struct exo_result *r, const char *where, const char *mode)
{
	cr_assert(!r->timed_out, "%s: gctest ran past %d s:\n%s\n%s", where, RUN_LIMIT_S, r->out, r->err);
	cr_assert_eq(r->status, 0, "%s: gctest failed (status %d):\n%s\n%s", where, r->status, r->out, r->err);
	cr_assert(strstr(r->out, "Switched to incremental mode\n"), "%s: not incremental:\n%s\n%s", where,
		  r->out, r->err);
	cr_assert(strstr(r->out, mode), "%s: gctest does not say \"%s\":\n%s\n%s", where, mode, r->out,
		  r->err);
	cr_assert(strstr(r->out, "Collector appears to work\n"), "%s: no \"Collector appears to work\":\n%s\n%s",
		  where, r->out, r->err);
	cr_assert(!strstr(r->out, "GC Warning") && !strstr(r->err, "GC Warning"), "%s: bdwgc warned:\n%s\n%s",
		  where, r->out, r->err);
}

Test(gc, gctest_native_incremental, .timeout = 120)
{
	need(GCTEST);
	char dir[64];
	scratch_dir(dir);
	struct exo_result *r = malloc(sizeof *r);
	native(dir, (char *[]){ abs_path(GCTEST), NULL }, r);
	check_gctest(r, "native", host_soft_dirty() ? SOFT : MPROT);
	free(r);
	remove_tree(dir);
}

Test(gc, gctest_exo_hardware_dirty_bits, .timeout = 120)
{
	need(GCTEST);
	char dir[64];
	scratch_dir(dir);
	struct exo_result *r = malloc(sizeof *r);
	exo_in(dir, (char *[]){ "--", abs_path(GCTEST), NULL }, r);
	check_gctest(r, "exo", SOFT);
	free(r);
	remove_tree(dir);
}

Test(gc, gctest_exo_mprotect, .timeout = 120)
{
	need(GCTEST);
	char dir[64];
	scratch_dir(dir);
	struct exo_result *r = malloc(sizeof *r);
	exo_in(dir, (char *[]){ "--env", "GC_USE_GETWRITEWATCH=0", "--", abs_path(GCTEST), NULL }, r);
	check_gctest(r, "exo, GC_USE_GETWRITEWATCH=0", MPROT);
	free(r);
	remove_tree(dir);
}

/* apps/gcbench, cut to trees of depth 4..10, incremental: its check passes
 * and it reports the mode; under exo by default the dirty-bit one. */
static void check_gcbench(const struct exo_result *r, const char *where, const char *vdb)
{
	cr_assert_eq(r->status, 0, "%s: gcbench failed (status %d):\n%s\n%s", where, r->status, r->out, r->err);
	const char *line = strstr(r->out, "gcbench: ok wall_ms=");
	cr_assert(line, "%s: no result line:\n%s\n%s", where, r->out, r->err);
	cr_assert(strstr(line, " incremental=1 "), "%s: not incremental:\n%s", where, line);
	cr_assert(strstr(line, vdb), "%s: gcbench does not say %s:\n%s\n%s", where, vdb, r->out, r->err);
	unsigned long gcs = 0;
	const char *g = strstr(line, "gc_no=");
	cr_assert(g && sscanf(g, "gc_no=%lu", &gcs) == 1 && gcs > 0, "%s: no collections:\n%s", where, line);
}

Test(gc, gcbench_native_and_exo, .timeout = 120)
{
	need(GCBENCH);
	char dir[64];
	scratch_dir(dir);
	struct exo_result *r = malloc(sizeof *r);
	native(dir, (char *[]){ abs_path(GCBENCH), "-i", "-q", "-d", "10", NULL }, r);
	check_gcbench(r, "native", host_soft_dirty() ? " vdb=dirty-bits " : " vdb=mprotect ");
	exo_in(dir, (char *[]){ "--", abs_path(GCBENCH), "-i", "-q", "-d", "10", NULL }, r);
	check_gcbench(r, "exo", " vdb=dirty-bits ");
	exo_in(dir, (char *[]){ "--env", "GC_USE_GETWRITEWATCH=0", "--", abs_path(GCBENCH), "-i", "-q", "-d", "10", NULL },
	       r);
	check_gcbench(r, "exo, GC_USE_GETWRITEWATCH=0", " vdb=mprotect ");
	free(r);
	remove_tree(dir);
}
