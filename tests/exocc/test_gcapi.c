/* SPDX-License-Identifier: MIT */
/*
 * tests/exocc/test_gcapi.c: libos/gc's exo calls, <exo/gc.h>.
 *
 * build/tests/exocc/gcapi (tests/exocc/gcapi.c, built with build/exo-cc)
 * prints a transcript of what every call did: fetch-and-clear rounds in
 * EXO_GC_DBITS and EXO_GC_WPROTECT, the list form with a short max and
 * over every range, read(2) into a range, the barrier under mprotect and
 * mmap, /proc/self/clear_refs, the errors. Here it is run on exo in each
 * ring the host can run it in and compared line by line with the one
 * below; natively every call must fail with ENOSYS.
 */
#include "harness.h"
#include "transcript.h"

#define GCAPI "build/tests/exocc/gcapi"

/* The DBITS rounds and the list form, in both modes: the first sections
 * of every transcript on exo (the list's rounds must read the same in
 * either mode). */
#define LIST_ROUNDS \
	"register: 0\n" \
	"list max 3: 3: 1 2 4\n" \
	"list max 3: 3: 8 16 32\n" \
	"list max 3: 1: 63\n" \
	"list max 3: 0:\n" \
	"list max 0: 0:\n" \
	"list max 1: 1: 9\n" \
	"then dirty: 2: 11 50\n" \
	"list max 64: 1: 12\n" \
	"list max 64: 0:\n" \
	"unregister: 0\n"
#define DBITS_AND_LIST \
	"exo: yes\n" \
	"== DBITS\n" \
	"register 64 pages: 0\n" \
	"fresh (7 8 written before): 0:\n" \
	"after writing 0 3 63: 3: 0 3 63\n" \
	"again: 0:\n" \
	"after writing 5 5 10, reading 20 7: 2: 5 10\n" \
	"after reading 21, writing 21 0 8 62: 4: 0 8 21 62\n" \
	"again: 0:\n" \
	"pages 0 5 21 8 20 30 read: 2 2 3 9 0 0\n" \
	"unregister: 0\n" \
	"writes after unregister: ok\n" \
	"dirty after unregister: -1 EINVAL\n" \
	"SIGSEGVs seen: 0\n" \
	"== LIST\n" \
	"-- DBITS\n" \
	LIST_ROUNDS \
	"-- WPROTECT\n" \
	LIST_ROUNDS

/* read(2) into a range: the same in either mode. */
#define READ_ROUNDS \
	"register: 0\n" \
	"after writing 3: 1: 3\n" \
	"read(2) into page 0: ok\n" \
	"read(2) into page 1: ok\n" \
	"read(2) into page 2: ok\n" \
	"read(2) into page 3: ok\n" \
	"after read(2) into 0 1 2 3: 4: 0 1 2 3\n" \
	"again: 0:\n" \
	"pages 0-3 hold: 5 6 7 8\n" \
	"unregister: 0\n"

/* The whole transcript on exo (either ring). */
static const char exo_transcript[] =
	DBITS_AND_LIST
	"== WPROTECT\n"
	"register 64 pages: 0\n"
	"fresh (7 8 written before): 0:\n"
	"after writing 0 3 63: 3: 0 3 63\n"
	"again: 0:\n"
	"after writing 5 5 10, reading 20 7: 2: 5 10\n"
	"after reading 21, writing 21 0 8 62: 4: 0 8 21 62\n"
	"again: 0:\n"
	"pages 0 5 21 8 20 30 read: 2 2 3 9 0 0\n"
	"unregister: 0\n"
	"writes after unregister: ok\n"
	"dirty after unregister: -1 EINVAL\n"
	"SIGSEGVs seen: 0\n"
	"== read(2) into DBITS\n"
	READ_ROUNDS
	"== read(2) into WPROTECT\n"
	READ_ROUNDS
	"== ALL\n"
	"ids: 0 1 2 3\n"
	"ALL max 64: 8: 9 14 16 23 2 5 24 30\n"
	"ALL again: 0:\n"
	"ALL max 3: 3: 9 14 16\n"
	"ALL max 2: 2: 23 2\n"
	"ALL max 2: 2: 5 24\n"
	"ALL max 64: 1: 30\n"
	"ALL max 64: 0:\n"
	"one range (8-15): 1: 12\n"
	"ALL: 1: 3\n"
	"unregister: 0\n"
	"ALL with none registered: 0:\n"
	"== WPROTECT and mprotect\n"
	"register: 0\n"
	"mprotect 8-15 PROT_READ: 0\n"
	"write page 12 (PROT_READ): 1 SIGSEGV SEGV_ACCERR at page 12\n"
	"mprotect 8-15 RW: 0\n"
	"after writing 10, mprotect R/RW, writing 9: 2: 9 10\n"
	"mprotect 0-31 RW (no change): 0\n"
	"after writing 31 0: 2: 0 31\n"
	"mprotect 16-23 PROT_NONE: 0\n"
	"mprotect 16-23 RW: 0\n"
	"after PROT_NONE/RW, writing 17: 1: 17\n"
	"mmap MAP_FIXED over 4-5: ok\n"
	"page 4 reads 0\n"
	"after the new mapping, reading 4, writing 5: 1: 5\n"
	"after writing 4: 1: 4\n"
	"barrier SIGSEGVs: 1 (1 asked for)\n"
	"unregister: 0\n"
	"writes after unregister: 0 SIGSEGV\n"
	"mprotect 0-31 PROT_READ: 0\n"
	"register a read-only mapping: 0\n"
	"write page 3 (PROT_READ, registered): 1 SIGSEGV SEGV_ACCERR at page 3\n"
	"unregister: 0\n"
	"write page 3 (PROT_READ, unregistered): 1 SIGSEGV SEGV_ACCERR at page 3\n"
	"== clear_refs\n"
	"register 0-7 DBITS: 0\n"
	"register 8-15 WPROTECT: 0\n"
	"open /proc/self/clear_refs: 0\n"
	"write \"4\": 1\n"
	"DBITS after writing 1 2, clear: 0:\n"
	"WPROTECT after writing 9 14, clear: 0:\n"
	"DBITS after writing 3: 1: 3\n"
	"WPROTECT after writing 9 again: 1: 1\n"
	"write \"1\" (accessed bits): 1\n"
	"DBITS after writing 4, clear_refs 1: 1: 4\n"
	"== errors\n"
	"register misaligned: -1 EINVAL\n"
	"register 0 pages: -1 EINVAL\n"
	"register mode 2: -1 EINVAL\n"
	"register mode -1: -1 EINVAL\n"
	"register NULL: -1 ENOMEM\n"
	"register the upper half: -1 ENOMEM\n"
	"register npages SIZE_MAX: -1 ENOMEM\n"
	"register over a hole (6): -1 ENOMEM\n"
	"register the hole: -1 ENOMEM\n"
	"unregister 0 (none registered): -1 EINVAL\n"
	"unregister -1: -1 EINVAL\n"
	"unregister 64: -1 EINVAL\n"
	"dirty 5: -1 EINVAL\n"
	"dirty ALL: -1 EINVAL\n"
	"dirty_list -2: -1 EINVAL\n"
	"dirty_list 64: -1 EINVAL\n"
	"register 0-3: 0\n"
	"register 0-3 again: -1 EEXIST\n"
	"register 3-4: -1 EEXIST\n"
	"register 2: -1 EEXIST\n"
	"register 0-5 (covers it): -1 EEXIST\n"
	"register 4-5 (adjacent): 1\n"
	"dirty, bits NULL: -1 EFAULT\n"
	"dirty, bits read-only: -1 EFAULT\n"
	"dirty, bits unmapped: -1 EFAULT\n"
	"dirty, bits in the upper half: -1 EFAULT\n"
	"dirty_list, pages read-only: -1 EFAULT\n"
	"dirty_list ALL, pages NULL: -1 EFAULT\n"
	"dirty_list, 2 entries straddling the hole: -1 EFAULT\n"
	"dirty_list, max huge: -1 EFAULT\n"
	"dirty after those (page 1 written): 1: 1\n"
	"WPROTECT 4-5 after writing 5: 1: 1\n"
	"unregister 0-3: 0\n"
	"unregister it again: -1 EINVAL\n"
	"unregister 4-5: 0\n"
	"64 one-page ranges: 64 registered\n"
	"the 65th: -1 ENOSPC\n"
	"the 65th, WPROTECT: -1 ENOSPC\n"
	"unregister the 10th: 0\n"
	"the 65th now: 0\n"
	"left registered: 0\n"
	"WPROTECT 2^18+1 pages: -1 ENOSPC\n"
	"WPROTECT 2^18 pages: 0\n"
	"WPROTECT 1 more page: -1 ENOSPC\n"
	"DBITS 1 more page: 0\n"
	"list of 2^18 WPROTECT pages after writing the last, the first: 2: 0 262143\n"
	"unregister: 0\n"
	"SIGSEGVs in all: 3\n"
	"done\n"
	;

/* `gcapi short`: the EXO_GC_DBITS rounds and the list form alone. */
static const char short_transcript[] =
	DBITS_AND_LIST
	"done\n"
	;

static const char native_transcript[] =
	"exo: no\n"
	"register DBITS: -1 ENOSYS\n"
	"register WPROTECT: -1 ENOSYS\n"
	"dirty: -1 ENOSYS\n"
	"dirty_list: -1 ENOSYS\n"
	"dirty_list ALL: -1 ENOSYS\n"
	"unregister: -1 ENOSYS\n"
	"write after: ok\n";


static void assert_exo_run(const struct exo_result *r, const char *want)
{
	cr_assert_eq(r->status, 0, "status %d\nstdout:\n%s\nstderr:\n%s", r->status, r->out, r->err);
	assert_transcript(r->out, want);
	cr_assert_str_empty(r->err, "exo said: %s", r->err);
}

Test(gcapi, transcript_on_exo_ring_3)
{
	struct exo_result r;
	exo_run(&r, "run", "--ring", "3", GCAPI, NULL);
	assert_exo_run(&r, exo_transcript);
}

Test(gcapi, transcript_on_exo_default_ring)
{
	struct exo_result r;
	exo_run(&r, "run", GCAPI, NULL);
	assert_exo_run(&r, exo_transcript);
}

/* Ring 0 may be emulated instruction by instruction: the short transcript.
 * A musl program uses SSE, which a host that emulates guest ring 0 cannot
 * run there (exit status 123): then there is nothing to check. */
Test(gcapi, short_transcript_on_exo_ring_0)
{
	struct exo_result r;
	exo_run(&r, "run", "--ring", "0", GCAPI, "short", NULL);
	if (r.status == 123 && strstr(r.err, "emulation failure"))
		cr_skip_test("this host emulates guest ring 0 and cannot run the program there");
	assert_exo_run(&r, short_transcript);
}

/* The transcripts themselves: short is a prefix of the whole, which
 * covers both modes and ends as a finished run does. */
Test(gcapi, transcripts_are_consistent)
{
	size_t n = strlen(short_transcript) - strlen("done\n");
	cr_assert(!strncmp(exo_transcript, short_transcript, n));
	cr_assert(strstr(exo_transcript, "== WPROTECT\n") == exo_transcript + n);
	cr_assert(strstr(exo_transcript, "\nSIGSEGVs in all: 3\ndone\n"));
}

Test(gcapi, native_run_fails_cleanly_with_enosys)
{
	struct exo_result r;
	char *argv[] = { GCAPI, NULL };
	run_argv(argv, &r);
	cr_assert_eq(r.status, 0, "status %d\n%s%s", r.status, r.out, r.err);
	assert_transcript(r.out, native_transcript);
}
