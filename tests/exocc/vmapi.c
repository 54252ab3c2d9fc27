/* SPDX-License-Identifier: MIT */
/*
 * tests/exocc/vmapi.c: a POSIX program that calls libos/vm through
 * <exo/vm.h>, built with build/exo-cc. It prints a transcript that
 * tests/exocc/test_exocc.c checks line by line: under exo, every call's
 * effect (protection and SIGSEGV, PROT1/UNPROT, DIRTY, ACCESSED) and its
 * errors; natively, that exo_vm_available() is 0 and every call fails
 * with ENOSYS.
 *
 *   vmapi           the transcript
 *   vmapi bench     microseconds per exo_vm_dirty over 16384 pages
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <exo/vm.h>

#include "prog.h"


static sigjmp_buf jump;
static volatile int retry_mode, faults, fault_code;
static volatile uintptr_t fault_addr;

/* A SIGSEGV either jumps back to the access that raised it (the test
 * reports it) or, in retry mode, lifts the page's protection with UNPROT
 * and returns, so the access is retried: Appel and Li's handler. */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	faults++;
	fault_addr = (uintptr_t)si->si_addr;
	fault_code = si->si_code;
	if (retry_mode) {
		if (exo_vm_unprot((void *)(fault_addr & ~(PAGE - 1)), 1) != 0)
			_exit(99);
		return;
	}
	siglongjmp(jump, 1);
}



/* Touch one byte of page i of base; say what happened. */
static void access_page(const char *what, char *area, unsigned long i, int write, char value)
{
	volatile char *p = area + i * PAGE;
	faults = 0;
	retry_mode = 0;
	if (sigsetjmp(jump, 1)) {
		printf("%s page %lu: SIGSEGV %s at +0x%lx\n", what, i,
		       fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "?",
		       (unsigned long)(fault_addr - (uintptr_t)area));
		return;
	}
	if (write) {
		*p = value;
		printf("%s page %lu: ok\n", what, i);
	} else {
		char v = *p;
		printf("%s page %lu: ok, %d\n", what, i, v);
	}
}

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


static int native(void)
{
	struct exo_info info;
	uint64_t bits[1];
	char *p = map(1, PROT_READ | PROT_WRITE);
	printf("exo: no\n");
	show("info", exo_info(&info));
	show("protect", exo_vm_protect(p, 1, PROT_READ));
	show("prot1", exo_vm_prot1(p, PROT_READ));
	show("unprot", exo_vm_unprot(p, 1));
	show("dirty", exo_vm_dirty(p, 1, bits));
	show("accessed", exo_vm_accessed(p, 1, bits));
	p[0] = 1; /* nothing was protected */
	printf("write after: ok\n");
	return 0;
}

static void protection(void)
{
	char *p = map(8, PROT_READ | PROT_WRITE);
	printf("== PROTN\n");
	p[0] = 7; /* page 0 populated, 1-7 not */
	show("protect pages 0-3 PROT_READ", exo_vm_protect(p, 4, PROT_READ));
	access_page("read", p, 0, 0, 0);
	access_page("read", p, 3, 0, 0); /* populated now, read-only */
	access_page("write", p, 0, 1, 1);
	access_page("write", p, 2, 1, 1); /* never populated: the map says read-only */
	access_page("write", p, 3, 1, 1);
	access_page("write", p, 4, 1, 4);
	show("mprotect pages 0-3 RW", mprotect(p, 4 * PAGE, PROT_READ | PROT_WRITE));
	access_page("write", p, 0, 1, 8);
	access_page("write", p, 2, 1, 2);
	show("mprotect pages 0-1 PROT_NONE", mprotect(p, 2 * PAGE, PROT_NONE));
	access_page("read", p, 1, 0, 0);
	show("unprot pages 0-1", exo_vm_unprot(p, 2));
	access_page("read", p, 0, 0, 0);
	access_page("write", p, 1, 1, 1);
	show("protect pages 0-7 PROT_NONE", exo_vm_protect(p, 8, PROT_NONE));
	access_page("read", p, 7, 0, 0);
	show("protect pages 0-7 RW", exo_vm_protect(p, 8, PROT_READ | PROT_WRITE));
	access_page("read", p, 7, 0, 0);

	printf("== PROT1/UNPROT\n");
	show("prot1 page 5 PROT_NONE", exo_vm_prot1(p + 5 * PAGE, PROT_NONE));
	access_page("read", p, 4, 0, 0);
	access_page("read", p, 5, 0, 0);
	access_page("read", p, 6, 0, 0);
	show("unprot page 5", exo_vm_unprot(p + 5 * PAGE, 1));
	access_page("write", p, 5, 1, 5);
	access_page("read", p, 5, 0, 0);
	show("prot1 page 6 PROT_READ", exo_vm_prot1(p + 6 * PAGE, PROT_READ));
	faults = 0;
	retry_mode = 1;
	((volatile char *)p)[6 * PAGE] = 42; /* the handler UNPROTs, the store retries */
	retry_mode = 0;
	printf("write page 6 with an UNPROT handler: %d fault, at +0x%lx, reads %d\n", faults,
	       (unsigned long)(fault_addr - (uintptr_t)p), p[6 * PAGE]);
	munmap(p, 8 * PAGE);
}

static void dirty(void)
{
	enum { N = 64 };
	uint64_t bits[N / 64];
	char *p = map(N, PROT_READ | PROT_WRITE);
	volatile char sink;
	printf("== DIRTY\n");
	show_bits("dirty, fresh", exo_vm_dirty(p, N, bits), bits, N);
	sink = p[1 * PAGE];
	sink = p[2 * PAGE];
	(void)sink;
	show_bits("dirty after reading 1 2", exo_vm_dirty(p, N, bits), bits, N);
	p[3 * PAGE] = 1;
	p[17 * PAGE + 100] = 1;
	p[40 * PAGE] = 1;
	p[63 * PAGE + PAGE - 1] = 1;
	show_bits("dirty after writing 3 17 40 63", exo_vm_dirty(p, N, bits), bits, N);
	show_bits("dirty again", exo_vm_dirty(p, N, bits), bits, N);
	p[17 * PAGE] = 2;
	p[17 * PAGE + 1] = 2;
	p[0] = 2;
	show_bits("dirty after writing 17 17 0", exo_vm_dirty(p, N, bits), bits, N);
	p[20 * PAGE] = 3;
	p[30 * PAGE] = 3;
	show_bits("dirty of pages 16-23 (20 written)", exo_vm_dirty(p + 16 * PAGE, 8, bits), bits, 8);
	show_bits("dirty of pages 0-63 (30 written)", exo_vm_dirty(p, N, bits), bits, N);
	p[9 * PAGE] = 4;
	show("protect page 9 PROT_NONE", exo_vm_prot1(p + 9 * PAGE, PROT_NONE));
	show_bits("dirty with page 9 written, then PROT_NONE", exo_vm_dirty(p, N, bits), bits, N);
	show("unprot page 9", exo_vm_unprot(p + 9 * PAGE, 1));
	printf("page 9 reads %d\n", p[9 * PAGE]);

	printf("== ACCESSED\n");
	exo_vm_accessed(p, N, bits);
	sink = p[5 * PAGE];
	p[9 * PAGE] = 1;
	long n = exo_vm_accessed(p, N, bits);
	printf("accessed after touching 5 9: %s\n",
	       n >= 2 && (bits[0] >> 5 & 1) && (bits[0] >> 9 & 1) ? "5 and 9 set" : "wrong");
	n = exo_vm_accessed(p, N, bits);
	printf("accessed again: %s\n", n >= 0 && !(bits[0] >> 5 & 1) && !(bits[0] >> 9 & 1) ? "5 and 9 clear" : "wrong");
	show_bits("dirty after accessed", exo_vm_dirty(p, N, bits), bits, N);
	munmap(p, N * PAGE);
}

static void errors(void)
{
	uint64_t bits[2];
	struct exo_info info;
	char *p = map(4, PROT_READ | PROT_WRITE);
	char *ro = map(1, PROT_READ);
	printf("== errors\n");
	show("protect misaligned", exo_vm_protect(p + 1, 1, PROT_READ));
	show("protect 0 pages", exo_vm_protect(p, 0, PROT_READ));
	show("protect prot 8", exo_vm_protect(p, 1, 8));
	show("protect prot -1", exo_vm_protect(p, 1, -1));
	show("prot1 prot 0x10", exo_vm_prot1(p, 0x10));
	show("protect NULL", exo_vm_protect(NULL, 1, PROT_READ));
	show("protect beyond the lower half", exo_vm_protect((void *)0x7ffffffff000ul, 2, PROT_READ));
	show("protect the upper half", exo_vm_protect((void *)0xffff800000000000ul, 1, PROT_READ));
	show("protect npages SIZE_MAX", exo_vm_protect(p, SIZE_MAX, PROT_READ));
	show("protect 5 pages of 4", exo_vm_protect(p, 5, PROT_READ));
	munmap(p + 2 * PAGE, PAGE);
	show("protect over a hole", exo_vm_protect(p, 4, PROT_READ));
	access_page("write (unchanged)", p, 0, 1, 1);
	show("prot1 the hole", exo_vm_prot1(p + 2 * PAGE, PROT_READ));
	show("unprot over the hole", exo_vm_unprot(p, 4));
	show("dirty over the hole", exo_vm_dirty(p, 4, bits));
	show("accessed over the hole", exo_vm_accessed(p, 4, bits));
	show("dirty misaligned", exo_vm_dirty(p + 8, 1, bits));
	show("dirty 0 pages", exo_vm_dirty(p, 0, bits));
	exo_vm_dirty(p, 2, bits);
	p[PAGE] = 1;
	show("dirty, bits NULL", exo_vm_dirty(p, 2, NULL));
	show("dirty, bits read-only", exo_vm_dirty(p, 2, (uint64_t *)ro));
	show("dirty, bits in the upper half", exo_vm_dirty(p, 2, (uint64_t *)0xffff800000001000ul));
	show("dirty, bits unmapped", exo_vm_dirty(p, 2, (uint64_t *)(p + 2 * PAGE)));
	show("dirty, bits straddling the end", exo_vm_dirty(p, 2, (uint64_t *)(p + 2 * PAGE - 4)));
	show_bits("dirty after those (page 1 written)", exo_vm_dirty(p, 2, bits), bits, 2);
	show("accessed, bits NULL", exo_vm_accessed(p, 1, NULL));
	show("info NULL", exo_info(NULL));
	show("info read-only", exo_info((struct exo_info *)ro));
	show("info", exo_info(&info));
	show("unknown exo call", syscall(EXO_CALL_END - 1, 0, 0, 0));
	show("linux call 0x3fff", syscall(EXO_CALL_BASE - 1, 0, 0, 0));
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* exo_vm_dirty over 16384 pages, as apps/vmbench measures DIRTY (whose
 * Linux build measures PAGEMAP_SCAN the same way): per round, write 64
 * distinct pages, then harvest; the time of both, per round, averaged over
 * the rounds. Also rounds with no writes (the cost of the call and scan
 * alone). Numbers only. */
static int bench(void)
{
	enum { N = 16384, WRITES = 64, ROUNDS = 100 };
	static uint64_t bits[N / 64];
	char *p = map(N, PROT_READ | PROT_WRITE);
	unsigned seed = 1;
	for (unsigned long i = 0; i < N; i++)
		p[i * PAGE] = 1;
	for (int writes = 0; writes <= WRITES; writes += WRITES) {
		exo_vm_dirty(p, N, bits);
		double t0 = now_us(); /* once: a clock read may be a forwarded call */
		for (int r = 0; r < ROUNDS; r++) {
			for (int i = 0; i < writes; i++) {
				seed = seed * 1103515245u + 12345u;
				p[((unsigned long)i * (N / WRITES) + (seed >> 8) % (N / WRITES)) * PAGE] = (char)r;
			}
			long n = exo_vm_dirty(p, N, bits);
			if (n != writes) {
				printf("bench: dirty returned %ld, %d written\n", n, writes);
				return 1;
			}
		}
		printf("exo_vm_dirty over %d pages, %d written per round: %.1f us per round\n", N, writes,
		       (now_us() - t0) / ROUNDS);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };
	struct exo_info info;
	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGSEGV, &sa, NULL);
	if (!exo_vm_available())
		return native();
	if (argc > 1 && !strcmp(argv[1], "bench"))
		return bench();
	printf("exo: yes\n");
	if (exo_info(&info) != 0) {
		perror("exo_info");
		return 1;
	}
	printf("info: size %u version %u ring %u page %lu\n", info.size, info.version, info.ring,
	       (unsigned long)info.page_size);
	protection();
	dirty();
	errors();
	printf("done\n");
	return 0;
}
