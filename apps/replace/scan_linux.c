/* SPDX-License-Identifier: MIT */
/*
 * apps/replace/scan_linux.c: the scanner's cyclic scan natively on Linux,
 * in a memory cgroup that holds it to the memory the exo scanner was left
 * (apps/replace/bench.sh compares the two).
 *
 *   replace-scan [-c CGROUP] [-r RESIDENT] [-d DIR] PAGES PASSES
 *
 * Maps PAGES pages and writes page i's number, counted from 1, into every
 * word of page i (the first pass), in a memory cgroup made for the run
 * under CGROUP (a memory cgroup directory, v1 or v2, this process may
 * make children in), so the pages are charged there. Then, with -r, it
 * lowers the cgroup's limit until about RESIDENT of the pages (within 16)
 * stay in memory (mincore), which makes the kernel reclaim the rest:
 * Linux's counterpart of hv taking frames from the exo scanner. Then
 * PASSES timed scans read every page in order and check its content.
 *
 * Anonymous memory needs swap to be reclaimed: where the machine has swap
 * the pages are anonymous; where it has none they are a file of PAGES
 * pages in DIR (default .), mapped MAP_SHARED and written back (msync)
 * before the limit is lowered, so reclaim drops clean page-cache pages
 * and a page-in is a read from the file system. The mapping is
 * MADV_RANDOM: no read-around, so a page-in is one page, as on exo.
 *
 * Prints one line,
 *
 *   replace-scan: backing=anon|file pages=N passes=K resident=A..B
 *       limit_kib=L reclaimed=P reclaim_ns=R elapsed_ns=T page_ins=I
 *
 * resident: pages of the mapping in memory (mincore) when the timed scans
 * began and when they ended; limit_kib: the cgroup's limit in the end
 * ("-" without -r); reclaimed, reclaim_ns: the pages the first lowering
 * of the limit took and how long that write took (the kernel reclaims
 * before it returns); elapsed_ns: the timed scans (CLOCK_MONOTONIC);
 * page_ins: the major faults during them (getrusage). Exit status 0; 1
 * after a one-line reason "replace-scan: ...".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul

/* What cleanup undoes: the data file, and the cgroup (after moving back
 * to the parent, by back's path and the text me). Set before each thing
 * is made, so a signal at any moment leaves nothing behind. */
static char cg[4096], back[4200], me[32], file[4096];
static volatile sig_atomic_t joined;

/* Only async-signal-safe calls: it also runs from the signal handler. */
static int cleanup(void)
{
	int ok = 1;
	if (file[0])
		unlink(file);
	if (joined) {
		int fd = open(back, O_WRONLY | O_CLOEXEC);
		ssize_t len = (ssize_t)strlen(me);
		ok = fd >= 0 && write(fd, me, (size_t)len) == len;
		if (fd >= 0)
			close(fd);
	}
	if (cg[0] && rmdir(cg) < 0)
		ok = 0;
	return ok;
}

/* timeout(1)'s SIGTERM, or ^C: clean up, then die of the signal. */
static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("replace-scan: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (!cleanup())
		fprintf(stderr, "replace-scan: could not remove cgroup %s\n", cg);
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static unsigned long number(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(s, &end, 10);
	if (!*s || *end || errno || n == 0 || n > (1ul << 24))
		die("%s must be a number 1..%lu, not '%s'", what, 1ul << 24, s);
	return n;
}

/* The cgroup file that exists of v1's name and v2's, "" if neither (a
 * static buffer: the next call reuses it). */
static const char *cgfile(const char *v1, const char *v2)
{
	static char path[4200];
	snprintf(path, sizeof path, "%s/%s", cg, v1);
	if (access(path, F_OK) == 0)
		return path;
	snprintf(path, sizeof path, "%s/%s", cg, v2);
	return access(path, F_OK) == 0 ? path : "";
}

static void cg_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	ssize_t len = (ssize_t)strlen(text);
	if (write(fd, text, (size_t)len) != len) {
		int e = errno;
		close(fd);
		die("writing %s to %s: %s", text, path, strerror(e));
	}
	close(fd);
}

static unsigned long long cg_read(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		die("reading %s: %s", path, n < 0 ? strerror(errno) : "empty");
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}

static void cg_make(const char *under)
{
	snprintf(back, sizeof back, "%s/cgroup.procs", under);
	snprintf(me, sizeof me, "%d\n", (int)getpid());
	snprintf(cg, sizeof cg, "%s/replace-scan-%d", under, (int)getpid());
	if (mkdir(cg, 0755) < 0) {
		int e = errno;
		cg[0] = '\0';
		die("making cgroup %s/replace-scan-%d: %s", under, (int)getpid(), strerror(e));
	}
	if (!cgfile("memory.limit_in_bytes", "memory.max")[0])
		die("%s has no memory limit file: not a memory cgroup (v2: is +memory in %s's "
		    "cgroup.subtree_control?)", cg, under);
	char procs[4200];
	snprintf(procs, sizeof procs, "%s/cgroup.procs", cg);
	joined = 1;
	cg_write(procs, me);
}

static int swap_present(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long kib = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "SwapTotal: %lu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib > 0;
}

static unsigned char *vec;

static unsigned long resident(void *map, unsigned long pages)
{
	if (mincore(map, pages * PAGE, vec) < 0)
		die("mincore: %s", strerror(errno));
	unsigned long n = 0;
	for (unsigned long i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

/* Read every page in order and check it (n: the pass, for the message;
 * 0 for an untimed one); a mismatch ends the program. */
static void pass(const uint64_t *map, unsigned long pages, unsigned long n)
{
	for (unsigned long i = 0; i < pages; i++) {
		const volatile uint64_t *p = map + i * PAGE / 8;
		for (unsigned long w = 0; w < PAGE / 8; w++)
			if (p[w] != i + 1)
				die("pass %lu: page %lu word %lu holds %llu, not %lu", n, i, w,
				    (unsigned long long)p[w], i + 1);
	}
}

static long majflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_majflt;
}

int main(int argc, char **argv)
{
	const char *under = NULL, *dir = ".";
	unsigned long want = 0;
	int opt;
	while ((opt = getopt(argc, argv, "c:r:d:")) != -1) {
		if (opt == 'c')
			under = optarg;
		else if (opt == 'r')
			want = number(optarg, "RESIDENT");
		else if (opt == 'd')
			dir = optarg;
		else
			die("usage: replace-scan [-c CGROUP] [-r RESIDENT] [-d DIR] PAGES PASSES");
	}
	if (argc - optind != 2)
		die("usage: replace-scan [-c CGROUP] [-r RESIDENT] [-d DIR] PAGES PASSES");
	unsigned long pages = number(argv[optind], "PAGES");
	unsigned long passes = number(argv[optind + 1], "PASSES");
	if (want && !under)
		die("-r needs -c: the limit is a memory cgroup's");
	if (!(vec = malloc(pages)))
		die("out of memory");
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (under)
		cg_make(under);

	int anon = swap_present(), fd = -1;
	uint64_t *map;
	if (anon) {
		map = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		snprintf(file, sizeof file, "%s/replace-scan-%d.data", dir, (int)getpid());
		if ((fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
			int e = errno;
			file[0] = '\0';
			die("%s/replace-scan-%d.data: %s", dir, (int)getpid(), strerror(e));
		}
		if (ftruncate(fd, (off_t)(pages * PAGE)) < 0)
			die("%s: %s", file, strerror(errno));
		map = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	if (map == MAP_FAILED)
		die("mmap of %lu pages: %s", pages, strerror(errno));
	if (madvise(map, pages * PAGE, MADV_RANDOM) < 0)
		die("madvise(MADV_RANDOM): %s", strerror(errno));
	for (unsigned long i = 0; i < pages; i++)
		for (unsigned long w = 0; w < PAGE / 8; w++)
			map[i * PAGE / 8 + w] = i + 1;
	if (!anon && msync(map, pages * PAGE, MS_SYNC) < 0)
		die("msync: %s", strerror(errno));

	/* Lower the limit so that about `want` pages stay. The charge also
	 * holds this process's own pages and per-CPU reserves the kernel
	 * drains only under pressure, so the first limit is a guess: the first
	 * write (timed: the kernel reclaims at once) brings it near, then
	 * untimed passes, each of which fills what the limit allows, tell how
	 * far off it is, and the limit moves by half the difference. Within
	 * 16 pages is near enough: reclaim frees 32 pages at a time, so what
	 * stays under one limit varies by that much from pass to pass. */
	char limit_kib[32] = "-";
	int64_t reclaim = 0;
	unsigned long reclaimed = 0;
	if (want) {
		char limit[4200];
		snprintf(limit, sizeof limit, "%s", cgfile("memory.limit_in_bytes", "memory.max"));
		const char *usage = cgfile("memory.usage_in_bytes", "memory.current");
		if (!usage[0])
			die("%s has no memory usage file", cg);
		long long bytes = (long long)cg_read(usage);
		unsigned long res = resident(map, pages);
		for (int round = 0; round == 0 || res > want + 16 || res + 16 < want; round++) {
			if (round == 10)
				die("%lu pages resident, not %lu, after 10 settings of the limit (to %lld KiB)",
				    res, want, bytes / 1024);
			long long more = ((long long)want - (long long)res) * (long long)PAGE;
			bytes += round ? more / 2 / (long long)PAGE * (long long)PAGE : more;
			if (bytes <= 0)
				die("the cgroup's charge is less than what must go");
			char text[32];
			snprintf(text, sizeof text, "%lld", bytes);
			int64_t t0 = now_ns();
			cg_write(limit, text);
			if (round == 0) {
				reclaim = now_ns() - t0;
				reclaimed = res - resident(map, pages);
			}
			pass(map, pages, 0);
			res = resident(map, pages);
		}
		snprintf(limit_kib, sizeof limit_kib, "%lld", bytes / 1024);
	}

	unsigned long res0 = resident(map, pages);
	long f0 = majflt();
	int64_t t0 = now_ns();
	for (unsigned long n = 1; n <= passes; n++)
		pass(map, pages, n);
	int64_t elapsed = now_ns() - t0;
	long faults = majflt() - f0;
	unsigned long res1 = resident(map, pages);
	printf("replace-scan: backing=%s pages=%lu passes=%lu resident=%lu..%lu limit_kib=%s "
	       "reclaimed=%lu reclaim_ns=%lld elapsed_ns=%lld page_ins=%ld\n", anon ? "anon" : "file",
	       pages, passes, res0, res1, limit_kib, reclaimed, (long long)reclaim, (long long)elapsed,
	       faults);
	munmap(map, pages * PAGE);
	if (fd >= 0)
		close(fd);
	if (!cleanup()) {
		fprintf(stderr, "replace-scan: could not leave and remove cgroup %s\n", cg);
		return 1;
	}
	return 0;
}
