/* SPDX-License-Identifier: MIT */
/*
 * apps/syscalls/syscalls.c: the cost of single system calls, natively and
 * under exo (posix-shim), from one static musl binary.
 *
 *   syscalls bench [TARGET_MS [REPS [ROW...]]]
 *       For each row (all, or those named): calibrate an iteration count n
 *       so that one repetition takes about TARGET_MS (default 100) of
 *       CLOCK_MONOTONIC time, then run REPS (default 5) repetitions of n.
 *   syscalls count ROW N
 *       Set the row up and run it N times, untimed, with no clock reads
 *       around the operations (apps/syscalls/bench.sh
 *       runs this under `exo run --stats` with N and with 0, and divides
 *       the difference in exits by N).
 *   syscalls list
 *
 * Output, one tab-separated record a line (apps/syscalls/bench.sh reads it):
 *   row  ID  NAME          what one operation of row ID is, exactly
 *   rep  ID  N  NS         one repetition: N operations took NS nanoseconds
 *   count  ID  N           count mode finished
 *
 * Every timed operation is the raw `syscall` instruction (inline asm, the
 * same code in every mode), except clock_gettime, which is musl's
 * clock_gettime() as a program calls it (the vDSO on Linux). The clock is
 * read only around batches: under exo CLOCK_MONOTONIC is itself a
 * forwarded call. Files are made in the working directory, which is the
 * guest's root under `exo run --root`.
 *
 * Built with -mgeneral-regs-only (see the pragma below) so that the same
 * binary also runs with the application in guest ring 0 on hosts that
 * emulate ring 0 and cannot run SSE there; nothing here needs floating
 * point, and output is formatted by hand (musl's printf zeroes its
 * argument arrays with SSE). musl's startup, clock_gettime and sigaction
 * are integer code.
 */
#pragma GCC target("general-regs-only")

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ syscalls */

static inline long sc1(long n, long a)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a) : "rcx", "r11", "memory");
	return r;
}

static inline long sc2(long n, long a, long b)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}

static inline long sc3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long sc4(long n, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10),
			 "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}

static long mmap_anon(long len)
{
	return sc6(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* -------------------------------------------------------------- output */

static char obuf[4096];
static unsigned olen;

static void flush(void)
{
	unsigned off = 0;
	while (off < olen) {
		long w = sc3(SYS_write, 1, (long)(obuf + off), olen - off);
		if (w <= 0)
			break;
		off += (unsigned)w;
	}
	olen = 0;
}

static void puts_(const char *s)
{
	while (*s) {
		if (olen == sizeof obuf)
			flush();
		obuf[olen++] = *s++;
	}
}

static void putu(uint64_t v)
{
	char t[24];
	int k = 0;
	do
		t[k++] = (char)('0' + v % 10);
	while ((v /= 10));
	char s[24];
	int n = 0;
	while (k)
		s[n++] = t[--k];
	s[n] = 0;
	puts_(s);
}

static __attribute__((noreturn)) void die(const char *what, long err)
{
	flush();
	olen = 0;
	puts_("syscalls: ");
	puts_(what);
	puts_(" failed: ");
	putu((uint64_t)(err < 0 ? -err : err));
	puts_(" (errno)\n");
	sc3(SYS_write, 2, (long)obuf, olen);
	sc1(SYS_exit_group, 1);
	__builtin_unreachable();
}

static int untimed; /* count mode: no clock reads (under exo each is an exit) */

static uint64_t now_ns(void)
{
	struct timespec ts;
	if (untimed)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- rows */

#define PAGE 4096L
#define FILE_NAME "syscalls.tmp"
#define FAULT_CHUNK 4096L /* pages mapped at a time by the fault row */

static char buf[PAGE] __attribute__((aligned(4096)));
static int fd = -1;
static long brk0;
static long page; /* the mprotect row's page */
static volatile unsigned long signals;
static long tid;

static void make_file(void)
{
	if (fd >= 0)
		return;
	for (long i = 0; i < PAGE; i++)
		buf[i] = (char)('a' + i % 26);
	fd = (int)sc4(SYS_openat, AT_FDCWD, (long)FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("openat " FILE_NAME, fd);
	long w = sc4(SYS_pwrite64, fd, (long)buf, PAGE, 0);
	if (w != PAGE)
		die("pwrite64 " FILE_NAME, w);
}

static uint64_t do_getpid(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		sc1(SYS_getpid, 0);
	return now_ns() - t0;
}

static uint64_t do_clock(long n)
{
	struct timespec ts;
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return now_ns() - t0;
}

static uint64_t do_pread(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long r = sc4(SYS_pread64, fd, (long)buf, PAGE, 0);
		if (r != PAGE)
			die("pread64", r);
	}
	return now_ns() - t0;
}

static uint64_t do_pwrite(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long r = sc4(SYS_pwrite64, fd, (long)buf, PAGE, 0);
		if (r != PAGE)
			die("pwrite64", r);
	}
	return now_ns() - t0;
}

static uint64_t do_openat(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long f = sc4(SYS_openat, AT_FDCWD, (long)FILE_NAME, O_RDONLY | O_CLOEXEC, 0);
		if (f < 0)
			die("openat", f);
		sc1(SYS_close, f);
	}
	return now_ns() - t0;
}

static uint64_t do_brk(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long r = sc1(SYS_brk, brk0 + PAGE);
		if (r != brk0 + PAGE)
			die("brk grow", r);
		sc1(SYS_brk, brk0);
	}
	return now_ns() - t0;
}

static uint64_t do_mmap(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long p = mmap_anon(1L << 20);
		if (p < 0 && p > -4096)
			die("mmap 1 MiB", p);
		sc2(SYS_munmap, p, 1L << 20);
	}
	return now_ns() - t0;
}

static uint64_t do_mprotect(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long r = sc3(SYS_mprotect, page, PAGE, PROT_READ);
		if (r)
			die("mprotect", r);
		sc3(SYS_mprotect, page, PAGE, PROT_READ | PROT_WRITE);
	}
	return now_ns() - t0;
}

static void on_usr1(int sig)
{
	(void)sig;
	signals++;
}

static uint64_t do_signal(long n)
{
	unsigned long before = signals;
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		sc2(SYS_tkill, tid, SIGUSR1);
	uint64_t t = now_ns() - t0;
	if (signals - before != (unsigned long)n)
		die("signal delivery (count)", 0);
	return t;
}

/* Only the writes are timed; mapping and unmapping each chunk is not. */
static uint64_t do_fault(long n)
{
	uint64_t t = 0;
	while (n > 0) {
		long k = n < FAULT_CHUNK ? n : FAULT_CHUNK;
		long p = mmap_anon(k * PAGE);
		if (p < 0 && p > -4096)
			die("mmap for faults", p);
		sc3(SYS_madvise, p, k * PAGE, MADV_NOHUGEPAGE); /* 4 KiB faults on Linux too */
		uint64_t t0 = now_ns();
		for (long i = 0; i < k; i++)
			((volatile char *)p)[i * PAGE] = 1;
		t += now_ns() - t0;
		sc2(SYS_munmap, p, k * PAGE);
		n -= k;
	}
	return t;
}

static void setup_file(void) { make_file(); }

static void setup_brk(void)
{
	brk0 = sc1(SYS_brk, 0);
	if (sc1(SYS_brk, brk0 + PAGE) != brk0 + PAGE)
		die("brk grow (setup)", 0);
	sc1(SYS_brk, brk0);
}

static void setup_mprotect(void)
{
	page = mmap_anon(PAGE);
	if (page < 0 && page > -4096)
		die("mmap (setup)", page);
	*(volatile char *)page = 1;
}

static void setup_signal(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	if (sigaction(SIGUSR1, &sa, 0))
		die("sigaction", 0);
	tid = sc1(SYS_gettid, 0);
}

static const struct row {
	const char *id, *name;
	void (*setup)(void);
	uint64_t (*run)(long n);
} rows[] = {
	{ "getpid", "getpid()", 0, do_getpid },
	{ "clock", "clock_gettime(MONOTONIC), musl (vDSO on Linux)", 0, do_clock },
	{ "pread", "pread64 4 KiB, offset 0, of a cached file", setup_file, do_pread },
	{ "pwrite", "pwrite64 4 KiB, offset 0, to a file", setup_file, do_pwrite },
	{ "openat", "openat(O_RDONLY)+close of a file", setup_file, do_openat },
	{ "brk", "brk +4 KiB then back (2 calls, untouched)", setup_brk, do_brk },
	{ "mmap", "mmap+munmap 1 MiB anonymous, untouched", 0, do_mmap },
	{ "mprotect", "mprotect 1 resident page RW->R->RW (2 calls)", setup_mprotect, do_mprotect },
	{ "signal", "tkill SIGUSR1 to self, handler, sigreturn", setup_signal, do_signal },
	{ "fault", "first write to an anonymous 4 KiB page", 0, do_fault },
};
#define NROWS (sizeof rows / sizeof rows[0])

/* --------------------------------------------------------------- main */

static int eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static long num(const char *s)
{
	long v = 0;
	if (!*s)
		die("a number argument (empty)", 0);
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			die("a number argument", 0);
		v = v * 10 + (*s - '0');
	}
	return v;
}

static const struct row *find(const char *id)
{
	for (unsigned i = 0; i < NROWS; i++)
		if (eq(rows[i].id, id))
			return &rows[i];
	die("finding the row named in the arguments", 0);
}

static void print_row(const struct row *r)
{
	puts_("row\t");
	puts_(r->id);
	puts_("\t");
	puts_(r->name);
	puts_("\n");
}

static void bench(const struct row *r, uint64_t target_ns, long reps)
{
	if (r->setup)
		r->setup();
	print_row(r);
	flush();
	/* Double n until a batch takes a tenth of the target, then scale. */
	long n = 1;
	uint64_t t;
	for (;;) {
		t = r->run(n);
		if (t >= target_ns / 10 || n >= (1L << 40))
			break;
		n *= 2;
	}
	if (t == 0)
		t = 1;
	uint64_t want = (uint64_t)n * target_ns / t;
	n = want < 1 ? 1 : (long)want;
	for (long k = 0; k < reps; k++) {
		t = r->run(n);
		puts_("rep\t");
		puts_(r->id);
		puts_("\t");
		putu((uint64_t)n);
		puts_("\t");
		putu(t);
		puts_("\n");
		flush();
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "bench";
	if (eq(mode, "list")) {
		for (unsigned i = 0; i < NROWS; i++)
			print_row(&rows[i]);
	} else if (eq(mode, "count")) {
		if (argc != 4)
			die("usage: syscalls count ROW N", 0);
		const struct row *r = find(argv[2]);
		long n = num(argv[3]);
		if (r->setup)
			r->setup();
		untimed = 1;
		if (n)
			r->run(n);
		puts_("count\t");
		puts_(r->id);
		puts_("\t");
		putu((uint64_t)n);
		puts_("\n");
	} else if (eq(mode, "bench")) {
		uint64_t target_ns = (uint64_t)(argc > 2 ? num(argv[2]) : 100) * 1000000u;
		long reps = argc > 3 ? num(argv[3]) : 5;
		if (argc > 4) {
			for (int i = 4; i < argc; i++)
				bench(find(argv[i]), target_ns, reps);
		} else {
			for (unsigned i = 0; i < NROWS; i++)
				bench(&rows[i], target_ns, reps);
		}
	} else {
		die("usage: syscalls [bench [TARGET_MS [REPS [ROW...]]] | count ROW N | list]", 0);
	}
	if (fd >= 0) {
		sc1(SYS_close, fd);
		sc3(SYS_unlinkat, AT_FDCWD, (long)FILE_NAME, 0);
	}
	flush();
	return 0;
}
