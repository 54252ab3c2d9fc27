/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/prog.h: what the posix-shim test programs share.
 *
 * Each program prints a transcript of what it observed: call results,
 * errno names, data read back. Nothing in it may differ between a native
 * run and a run under `exo run` unless the difference is the point (pids,
 * host paths, inode numbers, times and addresses are printed only as
 * comparisons: "ok" or what went wrong). stdout is line buffered, so a
 * program that dies of a signal has printed every line it finished.
 */
#ifndef TESTS_POSIX_PROG_H
#define TESTS_POSIX_PROG_H

#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__attribute__((constructor)) static void prog_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline const char *errname(int e)
{
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
	E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY)
	E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE)
	E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS)
	E(EMLINK) E(EPIPE) E(EDOM) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG)
	E(ENOLCK) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(EOVERFLOW) E(EOPNOTSUPP)
#undef E
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/* The result of a call that returns -1 and sets errno on failure:
 * "label = N" or "label = -1 ENAME". Evaluates to the result. */
static inline long show_result(const char *label, long r, int e)
{
	if (r == -1)
		printf("%s = -1 %s\n", label, errname(e));
	else
		printf("%s = %ld\n", label, r);
	return r;
}
#define SHOW(label, expr) \
	({ \
		errno = 0; \
		long r_ = (long)(expr); \
		show_result(label, r_, errno); \
	})
/* The same, for a call whose success value is not deterministic (an
 * address, a pid): "label = ok" or "label = -1 ENAME". */
#define SHOWOK(label, expr) \
	({ \
		errno = 0; \
		long r_ = (long)(expr); \
		int e_ = errno; \
		if (r_ == -1) \
			printf("%s = -1 %s\n", label, errname(e_)); \
		else \
			printf("%s = ok\n", label); \
		r_; \
	})
/* A check: "label: ok" or "label: FAILED". */
#define CHECK(label, cond) printf("%s: %s\n", label, (cond) ? "ok" : "FAILED")

static inline uint32_t crc32(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t c = 0xffffffffu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

/* A deterministic byte pattern. */
static inline void pattern(void *buf, size_t n, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* Sections: `prog NAME...` runs those, `prog` runs all, in order. */
struct section {
	const char *name;
	void (*fn)(void);
};
static inline int run_sections(const struct section *s, size_t n, int argc, char **argv)
{
	if (argc < 2) {
		for (size_t i = 0; i < n; i++) {
			printf("== %s\n", s[i].name);
			s[i].fn();
		}
		return 0;
	}
	for (int a = 1; a < argc; a++) {
		size_t i = 0;
		while (i < n && strcmp(s[i].name, argv[a]))
			i++;
		if (i == n) {
			printf("unknown section %s\n", argv[a]);
			return 2;
		}
		printf("== %s\n", s[i].name);
		s[i].fn();
	}
	return 0;
}
#define SECTIONS(...) \
	int main(int argc, char **argv) \
	{ \
		static const struct section s_[] = { __VA_ARGS__ }; \
		return run_sections(s_, sizeof s_ / sizeof s_[0], argc, argv); \
	}

/* Probing an address: the access is made, and a SIGSEGV or SIGBUS it
 * raises is caught and reported with its si_code and si_addr. */
static sigjmp_buf probe_jb;
static volatile int probe_sig, probe_code;
static void *volatile probe_addr;

static void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	probe_sig = sig;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_jb, 1);
}

static inline void probe_install(void)
{
	struct sigaction sa = { .sa_sigaction = probe_handler, .sa_flags = SA_SIGINFO };
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static inline const char *sicode_name(int sig, int code)
{
	if (code == SI_USER)
		return "SI_USER";
	if (code == SI_KERNEL)
		return "SI_KERNEL";
	if (code == SI_TKILL)
		return "SI_TKILL";
	if (code == SI_QUEUE)
		return "SI_QUEUE";
	switch (sig) {
	case SIGSEGV:
		return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" :
		       code == 3 ? "SEGV_BNDERR" : code == 4 ? "SEGV_PKUERR" : "SEGV_?";
	case SIGBUS:
		return code == BUS_ADRALN ? "BUS_ADRALN" : code == BUS_ADRERR ? "BUS_ADRERR" :
		       code == BUS_OBJERR ? "BUS_OBJERR" : "BUS_?";
	case SIGILL:
		return code == ILL_ILLOPC ? "ILL_ILLOPC" : code == ILL_ILLOPN ? "ILL_ILLOPN" :
		       code == ILL_PRVOPC ? "ILL_PRVOPC" : "ILL_?";
	case SIGFPE:
		return code == FPE_INTDIV ? "FPE_INTDIV" : code == FPE_INTOVF ? "FPE_INTOVF" :
		       code == FPE_FLTDIV ? "FPE_FLTDIV" : code == FPE_FLTINV ? "FPE_FLTINV" :
		       code == FPE_FLTOVF ? "FPE_FLTOVF" : code == FPE_FLTUND ? "FPE_FLTUND" :
		       code == FPE_FLTRES ? "FPE_FLTRES" : "FPE_?";
	case SIGTRAP:
		return code == TRAP_BRKPT ? "TRAP_BRKPT" : code == TRAP_TRACE ? "TRAP_TRACE" : "TRAP_?";
	}
	return "?";
}

enum { PROBE_READ, PROBE_WRITE, PROBE_EXEC };

/* Access p; print "label: ok" or "label: SIGNAME CODE at the address". */
static inline void probe(const char *label, void *p, int how)
{
	probe_sig = 0;
	if (sigsetjmp(probe_jb, 1) == 0) {
		if (how == PROBE_READ)
			(void)*(volatile char *)p;
		else if (how == PROBE_WRITE)
			*(volatile char *)p = 1;
		else
			((void (*)(void))p)();
		printf("%s: ok\n", label);
		return;
	}
	char where[64];
	if (probe_addr == p)
		snprintf(where, sizeof where, "at the address");
	else
		snprintf(where, sizeof where, "at address%+ld", (long)((char *)probe_addr - (char *)p));
	printf("%s: %s %s %s\n", label, probe_sig == SIGSEGV ? "SIGSEGV" : probe_sig == SIGBUS ? "SIGBUS" : "signal",
	       sicode_name(probe_sig, probe_code), where);
}

#endif
