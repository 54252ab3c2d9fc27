/* SPDX-License-Identifier: MIT */
/*
 * tests/exocc/gcapi.c: a POSIX program that calls libos/gc through
 * <exo/gc.h>, built with build/exo-cc. It prints a transcript that
 * tests/exocc/test_gcapi.c checks line by line: under exo, each mode's
 * fetch-and-clear rounds (EXO_GC_DBITS, EXO_GC_WPROTECT), the list form
 * with a short max and over every range (EXO_GC_ALL), read(2) into a
 * range (the shim's write counts as the program's), the barrier's
 * invisibility to the program (no SIGSEGV it did not ask for), what
 * mprotect, mmap, read(2) and unregister do to a range, /proc/self/
 * clear_refs, and the errors; natively, that every call fails with ENOSYS.
 *
 * Pages are printed as their index in the mapping they belong to, never
 * as addresses, so the transcript is the same on every run.
 *
 *   gcapi           the whole transcript
 *   gcapi short     the DBITS and list sections alone (for ring 0, where
 *                   the host may emulate every instruction)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <exo/gc.h>
#include <exo/vm.h>

#include "prog.h"


static sigjmp_buf jump;
static volatile int catching, segvs, segv_code;
static volatile uintptr_t segv_addr;

/* Every SIGSEGV is counted; one the test asked for (catching) jumps back
 * to it, any other is a failure of the barrier and ends the program. */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	segvs++;
	segv_addr = (uintptr_t)si->si_addr;
	segv_code = si->si_code;
	if (catching)
		siglongjmp(jump, 1);
	static const char msg[] = "unexpected SIGSEGV\n";
	write(1, msg, sizeof msg - 1);
	_exit(3);
}


/* A bitmap fetch: "what: count: page page ...", pages of npages. */
static void show_bits(const char *what, long n, const uint64_t *bits, unsigned long npages)
{
	if (n < 0) {
		show(what, n);
		return;
	}
	printf("%s: %ld:", what, n);
	for (unsigned long i = 0; i < npages; i++)
		if (bits[i / 64] >> (i % 64) & 1)
			printf(" %lu", i);
	printf("\n");
}

/* A list fetch: "what: count: index index ...", as pages of base. */
static void show_list(const char *what, long n, void *const *pages, const char *base)
{
	if (n < 0) {
		show(what, n);
		return;
	}
	printf("%s: %ld:", what, n);
	for (long i = 0; i < n; i++) {
		intptr_t off = (const char *)pages[i] - base;
		if (off % (intptr_t)PAGE)
			printf(" misaligned");
		else
			printf(" %ld", (long)(off / (intptr_t)PAGE));
	}
	printf("\n");
}

static long fetch(int id, uint64_t *bits, unsigned long npages)
{
	memset(bits, 0xa5, (npages + 63) / 64 * 8); /* every bit must be written */
	return exo_gc_dirty(id, bits);
}


static void wr(char *p, unsigned long i, char v)
{
	((volatile char *)p)[i * PAGE + (i * 37) % PAGE] = v;
}

static char rd(const char *p, unsigned long i)
{
	return ((const volatile char *)p)[i * PAGE + (i * 37) % PAGE];
}

/* A write the program expects to fault (the page is PROT_READ): "faults
 * SEGV_ACCERR at page i" or "no fault". */
static void write_expecting_fault(const char *what, char *p, unsigned long i)
{
	int before = segvs;
	catching = 1;
	if (!sigsetjmp(jump, 1)) {
		wr(p, i, 1);
		catching = 0;
		printf("%s: no fault\n", what);
		return;
	}
	catching = 0;
	printf("%s: %d SIGSEGV %s at page %ld\n", what, segvs - before,
	       segv_code == SEGV_ACCERR ? "SEGV_ACCERR" : "not SEGV_ACCERR",
	       (long)(((char *)segv_addr - p) / (long)PAGE));
}

/* read(2) of one byte from a pipe into page i of p: the shim writes it. */
static void read_into(char *p, unsigned long i, char v)
{
	int fds[2];
	char *at = p + i * PAGE + 100;
	if (pipe(fds) || write(fds[1], &v, 1) != 1 || read(fds[0], at, 1) != 1) {
		printf("read_into: %s\n", strerror(errno));
		exit(1);
	}
	close(fds[0]);
	close(fds[1]);
	printf("read(2) into page %lu: %s\n", i, *at == v ? "ok" : "wrong byte");
}

static int native(void)
{
	uint64_t bits[1];
	void *pages[1];
	char *p = map(1, PROT_READ | PROT_WRITE);
	printf("exo: no\n");
	show("register DBITS", exo_gc_register(p, 1, EXO_GC_DBITS));
	show("register WPROTECT", exo_gc_register(p, 1, EXO_GC_WPROTECT));
	show("dirty", exo_gc_dirty(0, bits));
	show("dirty_list", exo_gc_dirty_list(0, pages, 1));
	show("dirty_list ALL", exo_gc_dirty_list(EXO_GC_ALL, pages, 1));
	show("unregister", exo_gc_unregister(0));
	p[0] = 1;
	printf("write after: ok\n");
	return 0;
}

/* The fetch-and-clear rounds every mode must pass alike. */
static void rounds(const char *mode_name, int mode)
{
	enum { N = 64 };
	uint64_t bits[N / 64];
	char *p = map(N, PROT_READ | PROT_WRITE);
	int before = segvs;
	printf("== %s\n", mode_name);
	wr(p, 7, 7); /* written before it is registered */
	wr(p, 8, 8);
	(void)rd(p, 9); /* read before */
	int id = exo_gc_register(p, N, mode);
	show("register 64 pages", id);
	show_bits("fresh (7 8 written before)", fetch(id, bits, N), bits, N);
	wr(p, 0, 1);
	wr(p, 3, 1);
	wr(p, 63, 1);
	show_bits("after writing 0 3 63", fetch(id, bits, N), bits, N);
	show_bits("again", fetch(id, bits, N), bits, N);
	wr(p, 5, 1);
	wr(p, 5, 2); /* twice: once */
	(void)rd(p, 20); /* never written: not reported */
	wr(p, 10, 1);
	(void)rd(p, 7); /* written before registering, read now */
	show_bits("after writing 5 5 10, reading 20 7", fetch(id, bits, N), bits, N);
	(void)rd(p, 21);
	wr(p, 21, 3); /* read first (populated), then written */
	wr(p, 0, 2); /* reported before, written again */
	wr(p, 8, 9);
	wr(p, 62, 1);
	show_bits("after reading 21, writing 21 0 8 62", fetch(id, bits, N), bits, N);
	show_bits("again", fetch(id, bits, N), bits, N);
	printf("pages 0 5 21 8 20 30 read: %d %d %d %d %d %d\n", rd(p, 0), rd(p, 5), rd(p, 21), rd(p, 8),
	       rd(p, 20), rd(p, 30));
	show("unregister", exo_gc_unregister(id));
	wr(p, 40, 1); /* no barrier any more: no fault */
	wr(p, 3, 1);
	printf("writes after unregister: ok\n");
	show("dirty after unregister", exo_gc_dirty(id, bits));
	printf("SIGSEGVs seen: %d\n", segvs - before);
	munmap(p, N * PAGE);
}

/* read(2) into a range: the shim writes on the program's behalf, and a
 * fetch reports the page as if the program had written it. */
static void read_into_range(const char *mode_name, int mode)
{
	enum { N = 8 };
	uint64_t bits[1];
	char *p = map(N, PROT_READ | PROT_WRITE);
	printf("== read(2) into %s\n", mode_name);
	wr(p, 1, 1); /* populated, writable */
	(void)rd(p, 2); /* populated by a read */
	int id = exo_gc_register(p, N, mode);
	show("register", id);
	wr(p, 3, 1);
	show_bits("after writing 3", fetch(id, bits, N), bits, N);
	read_into(p, 0, 5); /* never touched */
	read_into(p, 1, 6); /* written before registering */
	read_into(p, 2, 7); /* read before registering */
	read_into(p, 3, 8); /* written and reported */
	show_bits("after read(2) into 0 1 2 3", fetch(id, bits, N), bits, N);
	show_bits("again", fetch(id, bits, N), bits, N);
	printf("pages 0-3 hold: %d %d %d %d\n", p[100], p[PAGE + 100], p[2 * PAGE + 100], p[3 * PAGE + 100]);
	show("unregister", exo_gc_unregister(id));
	munmap(p, N * PAGE);
}

/* dirty_list with max below the count: max pages, ascending; the rest
 * on the next call. */
static void list(void)
{
	enum { N = 64 };
	void *pages[N];
	uint64_t bits[1];
	char *p = map(N, PROT_READ | PROT_WRITE);
	printf("== LIST\n");
	for (int m = 0; m <= 1; m++) {
		int id = exo_gc_register(p, N, m);
		printf("-- %s\n", m ? "WPROTECT" : "DBITS");
		show("register", id);
		static const int order[] = { 32, 2, 63, 16, 1, 8, 4 };
		for (int i = 0; i < 7; i++)
			wr(p, order[i], 1);
		show_list("list max 3", exo_gc_dirty_list(id, pages, 3), pages, p);
		show_list("list max 3", exo_gc_dirty_list(id, pages, 3), pages, p);
		show_list("list max 3", exo_gc_dirty_list(id, pages, 3), pages, p);
		show_list("list max 3", exo_gc_dirty_list(id, pages, 3), pages, p);
		wr(p, 9, 1);
		wr(p, 50, 1);
		wr(p, 11, 1);
		show_list("list max 0", exo_gc_dirty_list(id, pages, 0), pages, p);
		show_list("list max 1", exo_gc_dirty_list(id, pages, 1), pages, p);
		show_bits("then dirty", fetch(id, bits, N), bits, N);
		wr(p, 12, 1);
		show_list("list max 64", exo_gc_dirty_list(id, pages, N), pages, p);
		show_list("list max 64", exo_gc_dirty_list(id, pages, N), pages, p);
		show("unregister", exo_gc_unregister(id));
	}
	munmap(p, N * PAGE);
}

/* EXO_GC_ALL: the DBITS ranges' pages in address order, then the
 * WPROTECT ranges', whatever the ids' order. */
static void all(void)
{
	enum { N = 40, L = 64 };
	void *pages[L];
	char *p = map(N, PROT_READ | PROT_WRITE);
	printf("== ALL\n");
	/* pages 0-7 WPROTECT, 8-15 DBITS, 16-23 DBITS, 24-31 WPROTECT, 32-39
	 * not registered; registered out of address order */
	int d_hi = exo_gc_register(p + 16 * PAGE, 8, EXO_GC_DBITS);
	int w_hi = exo_gc_register(p + 24 * PAGE, 8, EXO_GC_WPROTECT);
	int w_lo = exo_gc_register(p, 8, EXO_GC_WPROTECT);
	int d_lo = exo_gc_register(p + 8 * PAGE, 8, EXO_GC_DBITS);
	printf("ids: %d %d %d %d\n", d_hi, w_hi, w_lo, d_lo);
	static const int w[] = { 30, 2, 23, 9, 35, 5, 16, 14, 24 };
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < sizeof w / sizeof w[0]; i++)
			wr(p, w[i], 1);
		if (!round) {
			show_list("ALL max 64", exo_gc_dirty_list(EXO_GC_ALL, pages, L), pages, p);
			show_list("ALL again", exo_gc_dirty_list(EXO_GC_ALL, pages, L), pages, p);
			continue;
		}
		show_list("ALL max 3", exo_gc_dirty_list(EXO_GC_ALL, pages, 3), pages, p);
		show_list("ALL max 2", exo_gc_dirty_list(EXO_GC_ALL, pages, 2), pages, p);
		show_list("ALL max 2", exo_gc_dirty_list(EXO_GC_ALL, pages, 2), pages, p);
		show_list("ALL max 64", exo_gc_dirty_list(EXO_GC_ALL, pages, L), pages, p);
		show_list("ALL max 64", exo_gc_dirty_list(EXO_GC_ALL, pages, L), pages, p);
	}
	wr(p, 3, 1);
	wr(p, 12, 1);
	show_list("one range (8-15)", exo_gc_dirty_list(d_lo, pages, L), pages, p);
	show_list("ALL", exo_gc_dirty_list(EXO_GC_ALL, pages, L), pages, p);
	show("unregister", exo_gc_unregister(d_hi) | exo_gc_unregister(w_hi) |
				   exo_gc_unregister(w_lo) | exo_gc_unregister(d_lo));
	show_list("ALL with none registered", exo_gc_dirty_list(EXO_GC_ALL, pages, L), pages, p);
	munmap(p, N * PAGE);
}

/* What the barrier does under mprotect and mmap: the program's own
 * protection still faults, a raise does not lose a later write. */
static void wprotect(void)
{
	enum { N = 32 };
	uint64_t bits[1];
	char *p = map(N, PROT_READ | PROT_WRITE);
	int before = segvs;
	printf("== WPROTECT and mprotect\n");
	for (unsigned long i = 0; i < N; i++)
		wr(p, i, 1); /* all populated and writable */
	int id = exo_gc_register(p, N, EXO_GC_WPROTECT);
	show("register", id);
	wr(p, 10, 2); /* dirty before the mprotect */
	show("mprotect 8-15 PROT_READ", mprotect(p + 8 * PAGE, 8 * PAGE, PROT_READ));
	write_expecting_fault("write page 12 (PROT_READ)", p, 12);
	show("mprotect 8-15 RW", mprotect(p + 8 * PAGE, 8 * PAGE, PROT_READ | PROT_WRITE));
	wr(p, 9, 2); /* after the raise */
	show_bits("after writing 10, mprotect R/RW, writing 9", fetch(id, bits, N), bits, N);
	show("mprotect 0-31 RW (no change)", mprotect(p, N * PAGE, PROT_READ | PROT_WRITE));
	wr(p, 31, 2);
	wr(p, 0, 2);
	show_bits("after writing 31 0", fetch(id, bits, N), bits, N);
	show("mprotect 16-23 PROT_NONE", mprotect(p + 16 * PAGE, 8 * PAGE, PROT_NONE));
	show("mprotect 16-23 RW", mprotect(p + 16 * PAGE, 8 * PAGE, PROT_READ | PROT_WRITE));
	wr(p, 17, 2);
	show_bits("after PROT_NONE/RW, writing 17", fetch(id, bits, N), bits, N);
	char *q = mmap(p + 4 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);
	printf("mmap MAP_FIXED over 4-5: %s\n", q == p + 4 * PAGE ? "ok" : "failed");
	printf("page 4 reads %d\n", rd(p, 4));
	wr(p, 5, 2);
	show_bits("after the new mapping, reading 4, writing 5", fetch(id, bits, N), bits, N);
	wr(p, 4, 2);
	show_bits("after writing 4", fetch(id, bits, N), bits, N);
	printf("barrier SIGSEGVs: %d (1 asked for)\n", segvs - before);
	show("unregister", exo_gc_unregister(id));
	for (unsigned long i = 0; i < N; i++)
		wr(p, i, 3); /* every page clean, so read-only underneath before */
	printf("writes after unregister: %d SIGSEGV\n", segvs - before - 1);
	show("mprotect 0-31 PROT_READ", mprotect(p, N * PAGE, PROT_READ));
	id = exo_gc_register(p, N, EXO_GC_WPROTECT);
	show("register a read-only mapping", id);
	write_expecting_fault("write page 3 (PROT_READ, registered)", p, 3);
	show("unregister", exo_gc_unregister(id));
	write_expecting_fault("write page 3 (PROT_READ, unregistered)", p, 3);
	munmap(p, N * PAGE);
}

/* /proc/self/clear_refs "4" shares the bits the fetches read. */
static void clear_refs(void)
{
	enum { N = 16 };
	uint64_t bits[1];
	char *p = map(N, PROT_READ | PROT_WRITE);
	printf("== clear_refs\n");
	int d = exo_gc_register(p, 8, EXO_GC_DBITS);
	int w = exo_gc_register(p + 8 * PAGE, 8, EXO_GC_WPROTECT);
	show("register 0-7 DBITS", d);
	show("register 8-15 WPROTECT", w >= 0 ? 0 : -1);
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	show("open /proc/self/clear_refs", fd < 0 ? -1 : 0);
	wr(p, 1, 1);
	wr(p, 2, 1);
	wr(p, 9, 1);
	wr(p, 14, 1);
	show("write \"4\"", write(fd, "4", 1));
	show_bits("DBITS after writing 1 2, clear", fetch(d, bits, 8), bits, 8);
	show_bits("WPROTECT after writing 9 14, clear", fetch(w, bits, 8), bits, 8);
	wr(p, 3, 1);
	wr(p, 9, 1);
	show_bits("DBITS after writing 3", fetch(d, bits, 8), bits, 8);
	show_bits("WPROTECT after writing 9 again", fetch(w, bits, 8), bits, 8);
	wr(p, 4, 1);
	show("write \"1\" (accessed bits)", write(fd, "1", 1));
	show_bits("DBITS after writing 4, clear_refs 1", fetch(d, bits, 8), bits, 8);
	close(fd);
	exo_gc_unregister(d);
	exo_gc_unregister(w);
	munmap(p, N * PAGE);
}

static void errors(void)
{
	uint64_t bits[2];
	void *pages[4];
	char *p = map(8, PROT_READ | PROT_WRITE);
	char *ro = map(1, PROT_READ);
	printf("== errors\n");
	show("register misaligned", exo_gc_register(p + 8, 1, EXO_GC_DBITS));
	show("register 0 pages", exo_gc_register(p, 0, EXO_GC_DBITS));
	show("register mode 2", exo_gc_register(p, 1, 2));
	show("register mode -1", exo_gc_register(p, 1, -1));
	show("register NULL", exo_gc_register(NULL, 1, EXO_GC_DBITS));
	show("register the upper half", exo_gc_register((void *)0xffff800000000000ul, 1, EXO_GC_DBITS));
	show("register npages SIZE_MAX", exo_gc_register(p, SIZE_MAX, EXO_GC_DBITS));
	munmap(p + 6 * PAGE, PAGE);
	show("register over a hole (6)", exo_gc_register(p, 8, EXO_GC_DBITS));
	show("register the hole", exo_gc_register(p + 6 * PAGE, 1, EXO_GC_WPROTECT));
	show("unregister 0 (none registered)", exo_gc_unregister(0));
	show("unregister -1", exo_gc_unregister(-1));
	show("unregister 64", exo_gc_unregister(64));
	show("dirty 5", exo_gc_dirty(5, bits));
	show("dirty ALL", exo_gc_dirty(EXO_GC_ALL, bits));
	show("dirty_list -2", exo_gc_dirty_list(-2, pages, 4));
	show("dirty_list 64", exo_gc_dirty_list(64, pages, 4));

	int a = exo_gc_register(p, 4, EXO_GC_DBITS);
	show("register 0-3", a);
	show("register 0-3 again", exo_gc_register(p, 4, EXO_GC_WPROTECT));
	show("register 3-4", exo_gc_register(p + 3 * PAGE, 2, EXO_GC_DBITS));
	show("register 2", exo_gc_register(p + 2 * PAGE, 1, EXO_GC_WPROTECT));
	show("register 0-5 (covers it)", exo_gc_register(p, 6, EXO_GC_DBITS));
	int b = exo_gc_register(p + 4 * PAGE, 2, EXO_GC_WPROTECT);
	show("register 4-5 (adjacent)", b);
	wr(p, 1, 1);
	show("dirty, bits NULL", exo_gc_dirty(a, NULL));
	show("dirty, bits read-only", exo_gc_dirty(a, (uint64_t *)ro));
	show("dirty, bits unmapped", exo_gc_dirty(a, (uint64_t *)(p + 6 * PAGE)));
	show("dirty, bits in the upper half", exo_gc_dirty(a, (uint64_t *)0xffff800000001000ul));
	show("dirty_list, pages read-only", exo_gc_dirty_list(a, (void **)ro, 1));
	show("dirty_list ALL, pages NULL", exo_gc_dirty_list(EXO_GC_ALL, NULL, 1));
	show("dirty_list, 2 entries straddling the hole",
	     exo_gc_dirty_list(a, (void **)(p + 6 * PAGE - 8), 2));
	show("dirty_list, max huge", exo_gc_dirty_list(a, pages, SIZE_MAX));
	show_bits("dirty after those (page 1 written)", fetch(a, bits, 4), bits, 4);
	wr(p, 5, 1);
	show_bits("WPROTECT 4-5 after writing 5", fetch(b, bits, 2), bits, 2);
	show("unregister 0-3", exo_gc_unregister(a));
	show("unregister it again", exo_gc_unregister(a));
	show("unregister 4-5", exo_gc_unregister(b));
	munmap(p, 6 * PAGE);
	munmap(p + 7 * PAGE, PAGE);

	/* the table: 64 ranges */
	enum { R = 65 };
	char *q = map(R, PROT_READ | PROT_WRITE);
	int ids[R], ok = 0;
	for (int i = 0; i < R - 1; i++)
		ok += (ids[i] = exo_gc_register(q + i * PAGE, 1, i % 2)) >= 0;
	printf("64 one-page ranges: %d registered\n", ok);
	show("the 65th", exo_gc_register(q + (R - 1) * PAGE, 1, EXO_GC_DBITS));
	show("the 65th, WPROTECT", exo_gc_register(q + (R - 1) * PAGE, 1, EXO_GC_WPROTECT));
	show("unregister the 10th", exo_gc_unregister(ids[9]));
	ids[R - 1] = exo_gc_register(q + (R - 1) * PAGE, 1, EXO_GC_WPROTECT);
	show("the 65th now", ids[R - 1] == ids[9] ? 0 : -1);
	for (int i = 0; i < R; i++)
		if (i != 9)
			ok -= exo_gc_unregister(ids[i]) == 0;
	printf("left registered: %d\n", ok);
	munmap(q, R * PAGE);

	/* the cards: 2^18 pages in WPROTECT ranges together */
	unsigned long big = 1ul << 18;
	char *h = mmap(NULL, (big + 1) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (h == MAP_FAILED) {
		printf("mmap 1 GiB: %s\n", strerror(errno));
		return;
	}
	show("WPROTECT 2^18+1 pages", exo_gc_register(h, big + 1, EXO_GC_WPROTECT));
	int c = exo_gc_register(h, big, EXO_GC_WPROTECT);
	show("WPROTECT 2^18 pages", c >= 0 ? 0 : -1);
	show("WPROTECT 1 more page", exo_gc_register(h + big * PAGE, 1, EXO_GC_WPROTECT));
	int d = exo_gc_register(h + big * PAGE, 1, EXO_GC_DBITS);
	show("DBITS 1 more page", d >= 0 ? 0 : -1);
	wr(h, big - 1, 1);
	wr(h, 0, 1);
	show_list("list of 2^18 WPROTECT pages after writing the last, the first",
		  exo_gc_dirty_list(c, pages, 4), pages, h);
	show("unregister", exo_gc_unregister(c) | exo_gc_unregister(d));
	munmap(h, (big + 1) * PAGE);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };
	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGSEGV, &sa, NULL);
	if (!exo_vm_available())
		return native();
	printf("exo: yes\n");
	rounds("DBITS", EXO_GC_DBITS);
	list();
	if (argc > 1 && !strcmp(argv[1], "short")) {
		printf("done\n");
		return 0;
	}
	rounds("WPROTECT", EXO_GC_WPROTECT);
	read_into_range("DBITS", EXO_GC_DBITS);
	read_into_range("WPROTECT", EXO_GC_WPROTECT);
	all();
	wprotect();
	clear_refs();
	errors();
	printf("SIGSEGVs in all: %d\n", segvs);
	printf("done\n");
	return 0;
}
