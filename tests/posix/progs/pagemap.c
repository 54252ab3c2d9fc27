/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/pagemap.c: the program's own /proc files, as a
 * garbage collector reads them: /proc/self/pagemap, clear_refs, stat and
 * maps (tests/posix/test_proc.c).
 *
 * The first sections print the same natively and under exo: which pages
 * are present and exclusive, holes, the read rules, the descriptors'
 * behaviour, stat and maps. The last ones are exo's alone: this host's
 * kernel has no soft-dirty (bit 55 never sets natively), shows PFNs to
 * root and lets root open any of these files in any mode.
 *
 * Addresses are never printed; each page is its index in its mapping.
 */
#include "prog.h"

#include <sys/mman.h>
#include <sys/stat.h>

#define PAGE 4096ul
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_SOFT_DIRTY (1ull << 55)
#define PM_PFN ((1ull << 55) - 1)
#define TASK_SIZE 0x00007ffffffff000ull
#define PM_END (TASK_SIZE / PAGE * 8) /* the offset past the last entry */

static char **main_argv;
static int main_argc;
static int pm = -1, cr = -1;

static void open_files(void)
{
	if (pm < 0)
		pm = open("/proc/self/pagemap", O_RDONLY);
	if (cr < 0)
		cr = open("/proc/self/clear_refs", O_WRONLY);
	if (pm < 0 || cr < 0) {
		printf("open: %s\n", errname(errno));
		exit(1);
	}
}

/* n pages of prot with a PROT_NONE page either side, so that the mapping
 * is never merged with a neighbour. */
static char *map_guarded(unsigned long n, int prot)
{
	char *g = mmap(NULL, (n + 2) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED || mprotect(g + PAGE, n * PAGE, prot)) {
		printf("map_guarded: %s\n", errname(errno));
		exit(1);
	}
	return g + PAGE;
}

static uint64_t entry(const void *va)
{
	uint64_t e;
	off_t off = (off_t)((uintptr_t)va / PAGE * 8);
	if (pread(pm, &e, 8, off) != 8) {
		printf("pread pagemap: %s\n", errname(errno));
		exit(1);
	}
	return e;
}

/* "what: P E P - ...": per page, P present, S swapped, - neither, and
 * after it E when exclusive (bits 63, 62, 56: what Linux shows here too). */
static void show_present(const char *what, const char *p, unsigned long n)
{
	printf("%s:", what);
	for (unsigned long i = 0; i < n; i++) {
		uint64_t e = entry(p + i * PAGE);
		printf(" %s%s", e & PM_PRESENT ? "P" : e & PM_SWAP ? "S" : "-", e & PM_EXCLUSIVE ? "E" : "");
	}
	printf("\n");
}

/* "what: d . . d ...": soft-dirty (bit 55) per page, exo only. */
static void show_dirty(const char *what, const char *p, unsigned long n)
{
	printf("%s:", what);
	for (unsigned long i = 0; i < n; i++)
		printf(" %s", entry(p + i * PAGE) & PM_SOFT_DIRTY ? "d" : ".");
	printf("\n");
}

static void clear(void)
{
	if (write(cr, "4", 1) != 1) {
		printf("clear_refs: %s\n", errname(errno));
		exit(1);
	}
}

static void touch(char *p, unsigned long i)
{
	((volatile char *)p)[i * PAGE + 7] = (char)(i + 1);
}

/* Touched pages present and exclusive, untouched ones not; munmap'ed
 * pages and the pages between mappings read exactly 0. */
static void entries(void)
{
	open_files();
	char *p = map_guarded(8, PROT_READ | PROT_WRITE);
	show_present("fresh 8 pages", p, 8);
	touch(p, 0);
	touch(p, 2);
	touch(p, 7);
	show_present("after writing 0 2 7", p, 8);
	show_present("the guard pages either side", p - PAGE, 1);
	show_present("", p + 8 * PAGE, 1);
	SHOW("munmap 2-3", munmap(p + 2 * PAGE, 2 * PAGE));
	CHECK("munmap'ed page 2 reads exactly 0", entry(p + 2 * PAGE) == 0);
	CHECK("munmap'ed page 3 reads exactly 0", entry(p + 3 * PAGE) == 0);
	show_present("after munmap 2-3", p, 8);
	touch(p, 1);
	show_present("after writing 1", p, 8);
	char *q = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	touch(q, 0);
	touch(q, 2);
	SHOW("munmap the middle of 3", munmap(q + PAGE, PAGE));
	CHECK("the page between two mappings reads exactly 0", entry(q + PAGE) == 0);
	CHECK("its neighbours are present", (entry(q) & PM_PRESENT) && (entry(q + 2 * PAGE) & PM_PRESENT));
	uint64_t low[16];
	memset(low, 0xa5, sizeof low);
	SHOW("pread the first 16 pages of the address space", pread(pm, low, sizeof low, 0));
	int zero = 1;
	for (int i = 0; i < 16; i++)
		zero &= low[i] == 0;
	CHECK("all 0", zero);
	char *r = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show_present("a PROT_READ mapping, untouched", r, 4);
	munmap(q, 3 * PAGE);
	munmap(r, 4 * PAGE);
	munmap(p - PAGE, 10 * PAGE);
}

/* The read rules: offsets and sizes in entries, the end of the user
 * address space. */
static void reads(void)
{
	uint64_t buf[8];
	open_files();
	char *p = map_guarded(4, PROT_READ | PROT_WRITE);
	touch(p, 1);
	off_t at = (off_t)((uintptr_t)p / PAGE * 8);
	SHOW("pread 4 entries", pread(pm, buf, 32, at));
	CHECK("only page 1 present", !(buf[0] & PM_PRESENT) && (buf[1] & PM_PRESENT) && !(buf[2] & PM_PRESENT) &&
					     !(buf[3] & PM_PRESENT));
	SHOW("pread at a misaligned offset", pread(pm, buf, 8, at + 4));
	SHOW("pread at offset 1", pread(pm, buf, 8, 1));
	SHOW("pread of 12 bytes", pread(pm, buf, 12, at));
	SHOW("pread of 4 bytes", pread(pm, buf, 4, at));
	SHOW("pread of 0 bytes", pread(pm, buf, 0, at));
	SHOW("pread at the end of the user address space", pread(pm, buf, 8, PM_END));
	SHOW("pread past it", pread(pm, buf, 8, PM_END + 8 * 4096));
	SHOW("pread far past it", pread(pm, buf, 8, (off_t)1 << 60));
	SHOW("pread of 64 bytes straddling the end by 2 entries", pread(pm, buf, 64, PM_END - 16));
	SHOW("pread of the last entry", pread(pm, buf, 8, PM_END - 8));
	SHOW("pread into a NULL buffer", pread(pm, NULL, 8, at));
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SHOW("pread into a read-only buffer", pread(pm, ro, 8, at));
	/* a big read through several chunks: a page of entries a page */
	enum { BIG = 4096 };
	static uint64_t big[BIG];
	char *m = mmap(NULL, BIG * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	for (unsigned long i = 0; i < BIG; i += 1000)
		touch(m, i);
	SHOW("pread 4096 entries", pread(pm, big, sizeof big, (off_t)((uintptr_t)m / PAGE * 8)));
	unsigned present = 0, right = 1;
	for (unsigned long i = 0; i < BIG; i++) {
		present += !!(big[i] & PM_PRESENT);
		right &= !!(big[i] & PM_PRESENT) == (i % 1000 == 0);
	}
	printf("present: %u, the pages written: %s\n", present, right ? "yes" : "no");
	munmap(m, BIG * PAGE);
	munmap(ro, PAGE);
	munmap(p - PAGE, 6 * PAGE);
}

static void show_stat(const char *what, int fd)
{
	struct stat st;
	if (fstat(fd, &st)) {
		printf("fstat %s: %s\n", what, errname(errno));
		return;
	}
	printf("fstat %s: %s size %lld mode %04o\n", what, S_ISREG(st.st_mode) ? "regular" : "not regular",
	       (long long)st.st_size, st.st_mode & 07777);
}

/* Descriptors: lseek, fstat, writes to clear_refs, dups, /proc/PID. */
static void files(void)
{
	uint64_t a, b;
	open_files();
	char *p = map_guarded(4, PROT_READ | PROT_WRITE);
	touch(p, 2);
	off_t at = (off_t)((uintptr_t)p / PAGE * 8);
	SHOWOK("lseek SEEK_SET to page 2's entry", lseek(pm, at + 16, SEEK_SET) == at + 16 ? 0 : -1);
	SHOW("read 8", read(pm, &a, 8));
	CHECK("it is page 2's: present", a & PM_PRESENT);
	SHOWOK("lseek SEEK_CUR 0 is past it", lseek(pm, 0, SEEK_CUR) == at + 24 ? 0 : -1);
	SHOWOK("lseek SEEK_CUR -16", lseek(pm, -16, SEEK_CUR) == at + 8 ? 0 : -1);
	SHOW("read 16", read(pm, &b, 8) + read(pm, &a, 8));
	CHECK("pages 1 and 2: absent, present", !(b & PM_PRESENT) && (a & PM_PRESENT));
	SHOW("lseek SEEK_END", lseek(pm, 0, SEEK_END));
	SHOW("lseek whence 7", lseek(pm, 0, 7));
	SHOWOK("position unchanged by those", lseek(pm, 0, SEEK_CUR) == at + 24 ? 0 : -1);
	SHOW("lseek SEEK_SET past the end", lseek(pm, PM_END + 8, SEEK_SET) == (off_t)(PM_END + 8));
	SHOW("read there", read(pm, &a, 8));

	int st = open("/proc/self/stat", O_RDONLY), mp = open("/proc/self/maps", O_RDONLY);
	show_stat("pagemap", pm);
	show_stat("clear_refs", cr);
	show_stat("stat", st);
	show_stat("maps", mp);
	close(st);
	close(mp);

	SHOW("write \"9\" to clear_refs", write(cr, "9", 1));
	SHOW("write \"x\" to clear_refs", write(cr, "x", 1));
	SHOW("write \"0\" to clear_refs", write(cr, "0", 1));
	SHOW("write \"4\\n\" to clear_refs", write(cr, "4\n", 2));
	SHOW("write \"5\" to clear_refs", write(cr, "5", 1));
	SHOW("read clear_refs", read(cr, &a, 8));
	SHOW("write pagemap", write(pm, &a, 8));
	SHOW("fcntl F_GETFL pagemap & O_ACCMODE", fcntl(pm, F_GETFL) & O_ACCMODE);
	SHOW("fcntl F_GETFL clear_refs & O_ACCMODE", fcntl(cr, F_GETFL) & O_ACCMODE);

	int d = dup(pm);
	SHOWOK("dup pagemap", d);
	SHOWOK("the dup shares the position", lseek(pm, at + 16, SEEK_SET) == at + 16 && lseek(d, 0, SEEK_CUR) == at + 16 ? 0 : -1);
	SHOW("read 8 through the dup", read(d, &a, 8));
	CHECK("page 2's entry", (a & PM_PRESENT) && a == entry(p + 2 * PAGE));
	SHOW("dup2 to 50", dup2(d, 50));
	SHOW("close the dup", close(d));
	SHOW("pread through 50", pread(50, &b, 8, at + 16));
	CHECK("page 2's entry again", a == b);
	SHOW("fcntl F_GETFL 50 & O_ACCMODE", fcntl(50, F_GETFL) & O_ACCMODE);
	SHOW("dup2 clear_refs over 50", dup2(cr, 50));
	SHOW("write \"4\" through 50", write(50, "4", 1));
	SHOW("pread through 50 now", pread(50, &b, 8, at + 16));
	SHOW("close 50", close(50));
	SHOW("close 50 again", close(50));
	SHOW("pread through the closed dup", pread(d, &b, 8, at));
	SHOW("mmap the pagemap descriptor", (long)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, pm, 0));
	SHOW("mmap it MAP_SHARED", (long)mmap(NULL, PAGE, PROT_READ, MAP_SHARED, pm, 0));

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)getpid());
	int byp = open(path, O_RDONLY);
	SHOWOK("open /proc/<getpid()>/pagemap", byp);
	uint64_t e[4], f[4];
	SHOW("pread 4 entries there", pread(byp, e, 32, at));
	SHOW("and through /proc/self", pread(pm, f, 32, at));
	CHECK("the same", !memcmp(e, f, 32) && (e[2] & PM_PRESENT) && !(e[1] & PM_PRESENT));
	close(byp);
	snprintf(path, sizeof path, "/proc/%d/clear_refs", (int)getpid());
	byp = open(path, O_WRONLY);
	SHOW("write \"4\" to /proc/<getpid()>/clear_refs", write(byp, "4", 1));
	close(byp);
	munmap(p - PAGE, 6 * PAGE);
}

static void stat_file(void)
{
	char buf[1024];
	int fd = open("/proc/self/stat", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		printf("read stat: %s\n", errname(errno));
		return;
	}
	buf[n] = 0;
	CHECK("one line", buf[n - 1] == '\n' && !strchr(buf, '\n')[1]);
	char *close_paren = strrchr(buf, ')'), *open_paren = strchr(buf, '(');
	long pid = strtol(buf, NULL, 10);
	CHECK("field 1 is getpid()", pid == getpid());
	printf("field 2: %.*s\n", (int)(close_paren - open_paren + 1), open_paren);
	/* fields from 3 on, after the comm */
	unsigned long long f[64] = { 0 };
	int nf = 3;
	char *s = close_paren + 2;
	char state = *s;
	s += 2;
	while (nf < 60 && *s && *s != '\n') {
		f[++nf] = strtoull(s, &s, 10);
		while (*s == ' ')
			s++;
	}
	printf("field 3 (state): %c\n", state);
	printf("fields: %s\n", nf >= 52 ? "52" : "too few");
	uintptr_t m = (uintptr_t)main_argv, here = (uintptr_t)&buf[0];
	extern int main(int, char **);
	uintptr_t code = (uintptr_t)&main;
	CHECK("fields 26 and 27 (startcode, endcode) bracket main", f[26] <= code && code < f[27]);
	CHECK("field 28 (startstack) is above this frame", f[28] > here);
	CHECK("within 64 KiB of it", f[28] - here < 65536);
	CHECK("argv is 8 bytes above it (it is where argc is)", f[28] + 8 == m);
	CHECK("argc there", *(long *)(uintptr_t)f[28] == main_argc);
	CHECK("field 4 (ppid) is getppid()", f[4] == (unsigned long long)getppid());
	/* a read at an offset: the rest of the line */
	char tail[1024];
	fd = open("/proc/self/stat", O_RDONLY);
	ssize_t k = pread(fd, tail, sizeof tail, 5);
	CHECK("pread at offset 5 gives the rest", k == n - 5 && !memcmp(tail, buf + 5, 20));
	SHOW("pread past the end", pread(fd, tail, sizeof tail, 4096));
	close(fd);
}

/* maps: a fresh mmap, the stack. */
static void maps(void)
{
	static char buf[65536];
	int local = 1;
	char *p = map_guarded(3, PROT_READ | PROT_WRITE);
	char *r = map_guarded(2, PROT_READ);
	int fd = open("/proc/self/maps", O_RDONLY);
	size_t n = 0;
	ssize_t k;
	while ((k = read(fd, buf + n, 7)) > 0) /* small reads: each continues the last */
		n += (size_t)k;
	buf[n] = 0;
	close(fd);
	int rw = 0, ro = 0, stack = 0, sorted = 1, lines = 0;
	unsigned long last = 0;
	for (char *l = buf; *l; l = strchr(l, '\n') + 1) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(l, "%lx-%lx %7s", &lo, &hi, perms) != 3) {
			printf("bad line: %.60s\n", l);
			break;
		}
		lines++;
		sorted &= lo >= last && hi > lo;
		last = hi;
		if (lo <= (uintptr_t)p && (uintptr_t)p + 3 * PAGE <= hi)
			rw += !strcmp(perms, "rw-p");
		if (lo <= (uintptr_t)r && (uintptr_t)r + 2 * PAGE <= hi)
			ro += !strcmp(perms, "r--p");
		char *nl = strchr(l, '\n');
		if (lo <= (uintptr_t)&local && (uintptr_t)&local < hi && nl - l > 7 && !strncmp(nl - 7, "[stack]", 7))
			stack++;
		if (!nl)
			break;
	}
	CHECK("ascending, non-empty ranges", sorted && lines > 3);
	CHECK("one line holds the fresh mapping, rw-p", rw == 1);
	CHECK("one line holds the read-only one, r--p", ro == 1);
	CHECK("one [stack] line holds a local variable", stack == 1);
	munmap(p - PAGE, 5 * PAGE);
	munmap(r - PAGE, 4 * PAGE);
}

/* exo: soft-dirty (bit 55) is the D bit, or a mapping made since the last
 * clear (Linux's VM_SOFTDIRTY). */
static void softdirty(void)
{
	open_files();
	char *p = map_guarded(8, PROT_READ | PROT_WRITE);
	show_dirty("fresh 8 pages", p, 8);
	touch(p, 1);
	touch(p, 4);
	(void)((volatile char *)p)[6 * PAGE];
	clear();
	show_dirty("after writing 1 4, reading 6, clear", p, 8);
	show_present("present", p, 8);
	touch(p, 4);
	show_dirty("after writing 4", p, 8);
	touch(p, 4);
	touch(p, 0);
	(void)((volatile char *)p)[1 * PAGE];
	show_dirty("after writing 4 0, reading 1", p, 8);
	clear();
	show_dirty("after clear", p, 8);
	touch(p, 7);
	show_dirty("after writing 7", p, 8);
	char *q = map_guarded(4, PROT_READ | PROT_WRITE);
	show_dirty("a mapping made since", q, 4);
	show_present("its pages", q, 4);
	touch(q, 2);
	show_dirty("after writing its page 2", q, 4);
	show_dirty("the old one, unchanged", p, 8);
	clear();
	show_dirty("the new one after clear", q, 4);
	touch(q, 3);
	show_dirty("after writing its page 3", q, 4);
	SHOW("mprotect the old one PROT_READ", mprotect(p, 8 * PAGE, PROT_READ));
	show_dirty("the old one", p, 8);
	SHOW("mprotect it RW", mprotect(p, 8 * PAGE, PROT_READ | PROT_WRITE));
	touch(p, 5);
	show_dirty("after writing 5", p, 8);
	clear();
	char *f = mmap(p + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK("mmap MAP_FIXED over 2-3", f == p + 2 * PAGE);
	show_dirty("after clear, a new mapping over 2-3 (merged: all of it)", p, 8);
	clear();
	show_dirty("after clear", p, 8);

	/* brk: grown since the last clear */
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	cur = (cur + PAGE - 1) & ~(PAGE - 1);
	CHECK("brk grows by 2 pages", (uintptr_t)syscall(SYS_brk, cur + 2 * PAGE) == cur + 2 * PAGE);
	show_dirty("the new brk pages", (char *)cur, 2);
	clear();
	touch((char *)cur, 1);
	show_dirty("after clear, writing page 1", (char *)cur, 2);

	/* more mappings than one clearing pass takes (64): 150 one-page
	 * mappings, read-only and read-write by turns */
	enum { M = 300 };
	char *many = mmap(NULL, M * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int split = 1;
	for (int i = 0; i < M; i += 2)
		split &= mprotect(many + i * PAGE, PAGE, PROT_READ | PROT_WRITE) == 0;
	for (int i = 0; i < M; i += 2)
		touch(many, (unsigned long)i);
	CHECK("150 mappings, each written", split);
	clear();
	int dirty = 0, present = 0;
	for (int i = 0; i < M; i++) {
		uint64_t e = entry(many + i * PAGE);
		dirty += !!(e & PM_SOFT_DIRTY);
		present += !!(e & PM_PRESENT);
	}
	printf("after clear: %d soft-dirty, %d present\n", dirty, present);
	touch(many, 0);
	touch(many, M - 2);
	dirty = 0;
	for (int i = 0; i < M; i++)
		dirty += !!(entry(many + i * PAGE) & PM_SOFT_DIRTY) << (i == 0 || i == M - 2 ? 8 : 0);
	printf("after writing the first and the last: %s\n", dirty == 2 << 8 ? "those 2 soft-dirty" : "wrong");
	munmap(many, M * PAGE);
	munmap(p - PAGE, 10 * PAGE);
	munmap(q - PAGE, 6 * PAGE);
}

/* exo: the PFN bits are 0 (as Linux shows them to an unprivileged
 * reader), and the files' modes hold for every opener. */
static void exo_only(void)
{
	open_files();
	char *p = map_guarded(4, PROT_READ | PROT_WRITE);
	for (int i = 0; i < 4; i++)
		touch(p, (unsigned long)i);
	int pfn_zero = 1, present = 1;
	for (int i = 0; i < 4; i++) {
		uint64_t e = entry(p + i * PAGE);
		pfn_zero &= (e & PM_PFN) == 0;
		present &= !!(e & PM_PRESENT);
	}
	CHECK("4 pages present, PFN bits 0-54 all 0", present && pfn_zero);
	SHOW("lseek SEEK_SET -8", lseek(pm, -8, SEEK_SET));
	SHOW("open pagemap O_WRONLY", open("/proc/self/pagemap", O_WRONLY));
	SHOW("open pagemap O_RDWR", open("/proc/self/pagemap", O_RDWR));
	SHOW("open clear_refs O_RDONLY", open("/proc/self/clear_refs", O_RDONLY));
	SHOW("open clear_refs O_RDWR", open("/proc/self/clear_refs", O_RDWR));
	SHOW("open stat O_WRONLY", open("/proc/self/stat", O_WRONLY));
	SHOW("open pagemap O_DIRECTORY", open("/proc/self/pagemap", O_RDONLY | O_DIRECTORY));
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)getpid() + 1);
	int other = open(path, O_RDONLY);
	CHECK("another pid's pagemap is not served as the program's", other < 0);
	munmap(p - PAGE, 6 * PAGE);
}

int main(int argc, char **argv)
{
	static const struct section s[] = {
		{ "entries", entries }, { "reads", reads },	  { "files", files },	 { "stat", stat_file },
		{ "maps", maps },	{ "softdirty", softdirty }, { "exo", exo_only },
	};
	main_argv = argv;
	main_argc = argc;
	if (argc < 2) {
		printf("usage: pagemap SECTION...\n");
		return 2;
	}
	return run_sections(s, sizeof s / sizeof s[0], argc, argv);
}
