/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/memory.c: the memory calls (served inside the guest
 * by posix-shim). Sections: brk anon fixed filemap mmap_errors sigbus
 * dontneed_file unmap protect madvise mremap many malloc.
 */
#include "prog.h"
#include <sys/mman.h>
#include <sys/stat.h>


#define PAGE 4096ul

static uintptr_t page_up(uintptr_t x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

static int all(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* A page-aligned region of n pages nobody else uses: reserved, then
 * freed, so that MAP_FIXED tests have a place of their own. */
static char *hole(size_t pages)
{
	char *p = mmap(NULL, pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, pages * PAGE);
	return p;
}

static void brk_section(void)
{
	probe_install();
	uintptr_t b0 = (uintptr_t)syscall(SYS_brk, 0);
	printf("brk(0) nonzero: %d\n", b0 != 0);
	uintptr_t want = b0 + (1u << 20) + 123;
	uintptr_t got = (uintptr_t)syscall(SYS_brk, want);
	CHECK("brk grows by 1 MiB + 123", got == want);
	char *lo = (char *)b0, *hi = (char *)want - 1;
	CHECK("new heap reads zero", all(lo, want - b0, 0));
	lo[0] = 'a';
	hi[0] = 'z';
	CHECK("new heap is writable", lo[0] == 'a' && hi[0] == 'z');
	probe("byte just past the break's page", (char *)page_up(want), PROBE_READ);
	got = (uintptr_t)syscall(SYS_brk, b0 + 100);
	CHECK("brk shrinks", got == b0 + 100);
	probe("first heap page after shrink", lo, PROBE_READ);
	probe("freed heap page", (char *)page_up(b0) + 8 * PAGE, PROBE_READ);
	got = (uintptr_t)syscall(SYS_brk, b0 + 64 * PAGE);
	CHECK("brk grows again", got == b0 + 64 * PAGE);
	CHECK("regrown pages read zero",
	      all((char *)page_up(b0 + 100), b0 + 64 * PAGE - page_up(b0 + 100), 0));
	got = (uintptr_t)syscall(SYS_brk, b0 - PAGE);
	CHECK("brk below its start is refused (old break returned)", got == b0 + 64 * PAGE);
	got = (uintptr_t)syscall(SYS_brk, b0);
	CHECK("brk back to start", got == b0);
	/* sbrk, as programs use it */
	void *s = sbrk(0);
	CHECK("sbrk(0) is the break", (uintptr_t)s == b0);
}

static void anon_section(void)
{
	probe_install();
	char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap anon 3 pages", p != MAP_FAILED);
	CHECK("page aligned", ((uintptr_t)p & (PAGE - 1)) == 0);
	CHECK("reads zero", all(p, 3 * PAGE, 0));
	memset(p, 7, 3 * PAGE);
	CHECK("writable", all(p, 3 * PAGE, 7));
	char *q = mmap(NULL, 5000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap 5000 bytes", q != MAP_FAILED);
	q[8191] = 1;
	CHECK("rounded up to 2 pages", q[8191] == 1);
	char *h = hole(4);
	char *r = mmap(h + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("hint at a free page honoured", r == h + PAGE);
	char *r2 = mmap(h + PAGE + 5, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("hint on a used page: placed elsewhere", r2 != MAP_FAILED && r2 != h + PAGE);
	char *sh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("MAP_SHARED|MAP_ANONYMOUS", sh != MAP_FAILED && sh[0] == 0);
	char *pop = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHECK("MAP_POPULATE reads zero", pop != MAP_FAILED && all(pop, 4 * PAGE, 0));
	SHOW("mmap len 0", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	SHOW("mmap no SHARED/PRIVATE", (long)mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
	SHOW("mmap huge length", (long)mmap(NULL, 1ul << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	SHOW("mmap file, bad fd", (long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0));
	SHOW("mmap PROT_NONE", mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED);
}

static void fixed_section(void)
{
	probe_install();
	char *h = hole(8);
	char *p = mmap(h, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK("MAP_FIXED at a free place", p == h);
	memset(p, 'x', 4 * PAGE);
	char *q = mmap(h + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK("MAP_FIXED over a mapping", q == h + PAGE);
	CHECK("replaced page reads zero", all(h + PAGE, PAGE, 0));
	CHECK("neighbours kept", all(h, PAGE, 'x') && all(h + 2 * PAGE, 2 * PAGE, 'x'));
	SHOW("MAP_FIXED_NOREPLACE over a mapping",
	     (long)mmap(h + 2 * PAGE, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	CHECK("still there", all(h + 2 * PAGE, 2 * PAGE, 'x'));
	SHOW("MAP_FIXED_NOREPLACE partly over a mapping",
	     (long)mmap(h + 3 * PAGE, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	char *r = mmap(h + 5 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK("MAP_FIXED_NOREPLACE at a free place", r == h + 5 * PAGE && all(r, 2 * PAGE, 0));
	SHOW("MAP_FIXED unaligned", (long)mmap(h + 5, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	SHOW("munmap all 8", munmap(h, 8 * PAGE));
	probe("after munmap", h + 3 * PAGE, PROBE_READ);
}

static int make_file(const char *name, size_t n)
{
	char *buf = malloc(n);
	pattern(buf, n, 42);
	int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, buf, n);
	free(buf);
	return fd;
}

static void filemap_section(void)
{
	probe_install();
	int fd = make_file("mapped", 10000);
	char *want = malloc(10000);
	pattern(want, 10000, 42);
	char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK("mmap file private", p != MAP_FAILED);
	CHECK("contents are the file's", !memcmp(p, want, 10000));
	CHECK("rest of the last page is zero", all(p + 10000, 3 * PAGE - 10000, 0));
	p[0] ^= 0xff;
	char c;
	pread(fd, &c, 1, 0);
	CHECK("a private write does not reach the file", c == want[0] && p[0] == (char)(want[0] ^ 0xff));
	char *o = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	CHECK("mmap at offset 4096", o != MAP_FAILED && !memcmp(o, want + PAGE, PAGE));
	SHOW("mmap unaligned offset", (long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100));
	char *s = mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK("mmap file shared read-only", s != MAP_FAILED && !memcmp(s, want, 10000));
	probe("write to a read-only file mapping", s + 5, PROBE_WRITE);
	SHOW("munmap", munmap(p, 3 * PAGE));
	/* The file was opened O_RDWR: closing it keeps the mapping. */
	close(fd);
	CHECK("mapping outlives the descriptor", !memcmp(o, want + PAGE, PAGE));
}

/* Linux's errors for mappings it refuses. */
static void mmap_errors_section(void)
{
	int fd = make_file("mapped3", 100);
	close(fd);
	int wo = open("mapped3", O_WRONLY);
	SHOW("mmap a write-only descriptor", (long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0));
	close(wo);
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	SHOW("mmap a directory", (long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0));
	close(dir);
	SHOW("MAP_FIXED past the user half",
	     (long)mmap((void *)0x7ffffffff000ul, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
}

/* A page of a file mapping wholly beyond the end of the file: SIGBUS. */
static void sigbus_section(void)
{
	probe_install();
	int fd = make_file("mapped4", 10000);
	char *b = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	probe("last page of the file, past its end", b + 2 * PAGE + 3000, PROBE_READ);
	probe("page past the end of the file", b + 3 * PAGE + 10, PROBE_READ);
	close(fd);
}

/* MADV_DONTNEED on a private file mapping: the file's bytes come back. */
static void dontneed_file_section(void)
{
	probe_install();
	int fd = make_file("mapped2", 2 * PAGE);
	char *want = malloc(2 * PAGE);
	pattern(want, 2 * PAGE, 42);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	memset(p, 0, 2 * PAGE);
	SHOW("madvise MADV_DONTNEED", madvise(p, 2 * PAGE, MADV_DONTNEED));
	CHECK("file contents again", !memcmp(p, want, 2 * PAGE));
	close(fd);
}

static void unmap_section(void)
{
	probe_install();
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 1, 4 * PAGE);
	SHOW("munmap page 1", munmap(p + PAGE, PAGE));
	probe("page 0", p, PROBE_READ);
	probe("page 1 (unmapped)", p + PAGE + 123, PROBE_READ);
	probe("write page 1 (unmapped)", p + PAGE + 4095, PROBE_WRITE);
	probe("page 2", p + 2 * PAGE, PROBE_READ);
	SHOW("munmap unaligned", munmap(p + 1, PAGE));
	SHOW("munmap len 0", munmap(p, 0));
	SHOW("munmap unmapped range", munmap(p + PAGE, PAGE));
	SHOW("munmap 5000 bytes (2 pages)", munmap(p + 2 * PAGE, 5000));
	probe("page 3 (unmapped by the rounding)", p + 3 * PAGE, PROBE_READ);
	probe("page 0 still", p, PROBE_READ);
	probe("NULL", NULL, PROBE_READ);
	probe("write to NULL + 8", (char *)8, PROBE_WRITE);
	probe("non-canonical", (void *)0x0000900000000000ul, PROBE_READ);
}

static void protect_section(void)
{
	probe_install();
	char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 'w', 3 * PAGE);
	SHOW("mprotect page 1 read-only", mprotect(p + PAGE, PAGE, PROT_READ));
	probe("read page 1", p + PAGE, PROBE_READ);
	probe("write page 1", p + PAGE + 123, PROBE_WRITE);
	CHECK("page 1 unchanged", all(p + PAGE, PAGE, 'w'));
	probe("write page 2", p + 2 * PAGE, PROBE_WRITE);
	SHOW("mprotect page 2 PROT_NONE", mprotect(p + 2 * PAGE, PAGE, PROT_NONE));
	probe("read page 2 (PROT_NONE)", p + 2 * PAGE + 7, PROBE_READ);
	SHOW("mprotect all read-write", mprotect(p, 3 * PAGE, PROT_READ | PROT_WRITE));
	CHECK("contents survived", all(p, 3 * PAGE - 1, 'w') || (p[2 * PAGE] == 1 && all(p + 2 * PAGE + 1, PAGE - 1, 'w')));
	probe("write page 2 again", p + 2 * PAGE, PROBE_WRITE);
	/* A page that was never touched, made read-only: reads zero. */
	char *u = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(u, PAGE, PROT_READ);
	CHECK("untouched read-only page reads zero", all(u, PAGE, 0));
	probe("write it", u, PROBE_WRITE);
	SHOW("mprotect unaligned", syscall(SYS_mprotect, p + 1, PAGE, PROT_READ));
	SHOW("mprotect bad prot", mprotect(p, PAGE, 0x100));
	SHOW("mprotect len 0", mprotect(p, 0, PROT_READ));
	char *h = hole(2);
	SHOW("mprotect unmapped", mprotect(h, PAGE, PROT_READ));
	/* Code: runs where PROT_EXEC, faults where not. */
	static const unsigned char ret42[] = { 0xb8, 0x2a, 0, 0, 0, 0xc3 }; /* mov $42,%eax; ret */
	char *x = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(x, ret42, sizeof ret42);
	probe("execute a non-executable page", x, PROBE_EXEC);
	SHOW("mprotect PROT_READ|PROT_EXEC", mprotect(x, PAGE, PROT_READ | PROT_EXEC));
	int r = ((int (*)(void))x)();
	printf("code returned %d\n", r);
	probe("write the code page", x, PROBE_WRITE);
}

static void madvise_section(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 'm', 4 * PAGE);
	SHOW("madvise MADV_DONTNEED pages 1-2", madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED));
	CHECK("pages 1-2 read zero", all(p + PAGE, 2 * PAGE, 0));
	CHECK("pages 0 and 3 kept", all(p, PAGE, 'm') && all(p + 3 * PAGE, PAGE, 'm'));
	p[PAGE] = 'n';
	CHECK("and are writable", p[PAGE] == 'n');
	SHOW("madvise MADV_WILLNEED", madvise(p, 4 * PAGE, MADV_WILLNEED));
	SHOW("madvise MADV_NORMAL", madvise(p, 4 * PAGE, MADV_NORMAL));
	SHOW("madvise unaligned", madvise(p + 1, PAGE, MADV_DONTNEED));
	SHOW("madvise bad advice", madvise(p, PAGE, 12345));
	char *h = hole(2);
	SHOW("madvise unmapped", madvise(h, PAGE, MADV_DONTNEED));
	SHOW("msync", msync(p, 4 * PAGE, MS_SYNC));
	SHOW("msync unmapped", msync(h, PAGE, MS_SYNC));
	SHOW("msync unaligned", msync(p + 1, PAGE, MS_SYNC));
}

static void mremap_section(void)
{
	probe_install();
	char *h = hole(16);
	char *p = mmap(h, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	pattern(p, 2 * PAGE, 1);
	char want[2 * PAGE];
	pattern(want, sizeof want, 1);
	char *q = mremap(p, 2 * PAGE, 4 * PAGE, 0);
	CHECK("grow in place", q == p);
	CHECK("contents kept", !memcmp(q, want, 2 * PAGE));
	CHECK("new part zero", all(q + 2 * PAGE, 2 * PAGE, 0));
	q[4 * PAGE - 1] = 1;
	q = mremap(p, 4 * PAGE, PAGE, 0);
	CHECK("shrink in place", q == p);
	CHECK("contents kept", !memcmp(q, want, PAGE));
	probe("shrunk-off page", p + 2 * PAGE, PROBE_READ);
	/* A blocker right after: growing must move. */
	char *blk = mmap(h + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK("blocker placed", blk == h + PAGE);
	SHOW("grow without MREMAP_MAYMOVE", (long)mremap(p, PAGE, 3 * PAGE, 0));
	q = mremap(p, PAGE, 3 * PAGE, MREMAP_MAYMOVE);
	CHECK("grow with MREMAP_MAYMOVE moved", q != MAP_FAILED && q != p);
	CHECK("contents moved", !memcmp(q, want, PAGE) && all(q + PAGE, 2 * PAGE, 0));
	probe("old place", p, PROBE_READ);
	char *t = mremap(q, 3 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, h + 8 * PAGE);
	CHECK("MREMAP_FIXED to a chosen place", t == h + 8 * PAGE);
	CHECK("contents there", !memcmp(t, want, PAGE) && all(t + PAGE, PAGE, 0));
	probe("source of MREMAP_FIXED", q, PROBE_READ);
	SHOW("MREMAP_FIXED without MAYMOVE", (long)mremap(t, PAGE, PAGE, MREMAP_FIXED, h + 12 * PAGE));
	SHOW("mremap unmapped", (long)mremap(h + 14 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
	SHOW("mremap unaligned", (long)mremap(t + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
	SHOW("mremap bad flags", (long)mremap(t, PAGE, 2 * PAGE, 0x80));
	SHOW("mremap new size 0", (long)mremap(t, PAGE, 0, MREMAP_MAYMOVE));
	/* The protection goes along. */
	mprotect(t, 2 * PAGE, PROT_READ);
	char *ro = mremap(t, 2 * PAGE, 6 * PAGE, MREMAP_MAYMOVE);
	CHECK("read-only mapping moved", ro != MAP_FAILED && !memcmp(ro, want, PAGE));
	probe("write the moved read-only mapping", ro + 5 * PAGE, PROBE_WRITE);
}

/* Many mappings that cannot merge (alternating protections). */
static void many_section(void)
{
	enum { N = 3000 };
	char *h = hole(N);
	int bad = 0;
	for (int i = 0; i < N; i++) {
		char *p = mmap(h + (size_t)i * PAGE, PAGE, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != h + (size_t)i * PAGE)
			bad++;
	}
	printf("%d separate mappings: %d failed\n", N, bad);
	for (int i = 0; i < N; i += 2)
		h[(size_t)i * PAGE] = (char)i;
	int wrong = 0;
	for (int i = 0; i < N; i++)
		wrong += h[(size_t)i * PAGE] != (i & 1 ? 0 : (char)i);
	printf("contents wrong: %d\n", wrong);
	for (int i = 0; i < N; i += 3)
		munmap(h + (size_t)i * PAGE, PAGE);
	SHOW("munmap all", munmap(h, N * PAGE));
}

static void malloc_section(void)
{
	/* Big blocks (mmap), many small ones (brk), realloc that moves. */
	size_t n = 40u << 20;
	char *big = malloc(n);
	CHECK("malloc 40 MiB", big != NULL);
	for (size_t i = 0; i < n; i += PAGE)
		big[i] = (char)(i >> 12);
	big[n - 1] = 'e';
	char *bigger = realloc(big, n + (8u << 20));
	CHECK("realloc to 48 MiB", bigger != NULL);
	int ok = bigger[n - 1] == 'e';
	for (size_t i = 0; i < n; i += PAGE)
		ok &= bigger[i] == (char)(i >> 12);
	CHECK("contents kept", ok);
	free(bigger);
	enum { K = 20000 };
	static char *small[K];
	for (int i = 0; i < K; i++) {
		small[i] = malloc(16 + i % 200);
		memset(small[i], i & 0xff, 16 + i % 200);
	}
	ok = 1;
	for (int i = 0; i < K; i++)
		ok &= all(small[i], 16 + i % 200, (char)(i & 0xff));
	CHECK("20000 small blocks", ok);
	for (int i = 0; i < K; i += 2)
		free(small[i]);
	for (int i = 0; i < K; i += 2)
		small[i] = calloc(1, 100);
	ok = 1;
	for (int i = 0; i < K; i += 2)
		ok &= all(small[i], 100, 0);
	CHECK("calloc after free reads zero", ok);
	for (int i = 0; i < K; i++)
		free(small[i]);
	SHOW("malloc(1 << 60) fails", malloc(1ul << 60) == NULL);
}

SECTIONS({ "brk", brk_section }, { "anon", anon_section }, { "fixed", fixed_section },
	 { "filemap", filemap_section }, { "mmap_errors", mmap_errors_section },
	 { "sigbus", sigbus_section }, { "dontneed_file", dontneed_file_section },
	 { "unmap", unmap_section }, { "protect", protect_section },
	 { "madvise", madvise_section }, { "mremap", mremap_section },
	 { "many", many_section }, { "malloc", malloc_section })
