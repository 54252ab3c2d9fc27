/* SPDX-License-Identifier: MIT */
/*
 * hv/core/forward.c: EXO_HC_FORWARD, the host calls a guest may make.
 *
 * The policy's first half lives here: which calls hv runs at all, and what
 * each argument is. Every call is described by the kinds of its arguments;
 * before the platform sees a call, each path and small struct is copied out
 * of the guest into hv's own storage and each buffer is checked to lie in
 * frames the guest owns, so the platform only ever gets host pointers it
 * can use as they are. The second half, what a call may touch on the host
 * (descriptors, the --root confinement), is the platform's (hv/kvm/files.c
 * and hv/kvm/paths.c).
 */
#include <string.h>

#include "core.h"

enum {
	A_INT = 0, /* passed as given (integers, descriptors, flags) */
	A_PATH,    /* NUL-terminated path, copied */
	A_PATHOPT, /* the same, or 0 for none */
	A_BUF_IN,  /* guest buffer read by the host; aux: its length's argument */
	A_BUF_OUT, /* guest buffer written by the host; aux: its length's argument */
	A_IN,      /* struct of aux bytes, copied in */
	A_INOPT,   /* the same, or 0 for none */
	A_OUT,     /* struct of aux bytes, copied out when the call succeeds */
	A_OUTOPT,  /* the same, or 0 for none */
	A_INOUT,   /* struct of aux bytes, copied in and back out */
	A_IOCTL,   /* ioctl's third argument: depends on the request */
	A_FCNTL,   /* fcntl's third argument: depends on the command */
};

struct fwd_desc {
	uint16_t nr;
	const char *name;
	uint8_t kind[6];
	uint16_t aux[6];
};

#define STAT_BYTES 144
#define STATX_BYTES 256
#define TIMESPEC_BYTES 16
#define UTSNAME_BYTES 390
#define FLOCK_BYTES 32
#define TERMIOS_BYTES 36 /* the kernel's struct termios, what TCGETS writes */
#define WINSIZE_BYTES 8
#define STRUCT_MAX UTSNAME_BYTES


#define K(...) { __VA_ARGS__ }
static const struct fwd_desc calls[] = {
	{ EXO_FWD_READ, "read", K(A_INT, A_BUF_OUT), K(0, 2) },
	{ EXO_FWD_WRITE, "write", K(A_INT, A_BUF_IN), K(0, 2) },
	{ EXO_FWD_CLOSE, "close", K(A_INT), K(0) },
	{ EXO_FWD_FSTAT, "fstat", K(A_INT, A_OUT), K(0, STAT_BYTES) },
	{ EXO_FWD_LSEEK, "lseek", K(A_INT), K(0) },
	{ EXO_FWD_IOCTL, "ioctl", K(A_INT, A_INT, A_IOCTL), K(0) },
	{ EXO_FWD_PREAD64, "pread64", K(A_INT, A_BUF_OUT), K(0, 2) },
	{ EXO_FWD_PWRITE64, "pwrite64", K(A_INT, A_BUF_IN), K(0, 2) },
	{ EXO_FWD_DUP, "dup", K(A_INT), K(0) },
	{ EXO_FWD_NANOSLEEP, "nanosleep", K(A_IN, A_OUTOPT), K(TIMESPEC_BYTES, TIMESPEC_BYTES) },
	{ EXO_FWD_GETPID, "getpid", K(A_INT), K(0) },
	{ EXO_FWD_UNAME, "uname", K(A_OUT), K(UTSNAME_BYTES) },
	{ EXO_FWD_FCNTL, "fcntl", K(A_INT, A_INT, A_FCNTL), K(0) },
	{ EXO_FWD_FSYNC, "fsync", K(A_INT), K(0) },
	{ EXO_FWD_FDATASYNC, "fdatasync", K(A_INT), K(0) },
	{ EXO_FWD_FTRUNCATE, "ftruncate", K(A_INT), K(0) },
	{ EXO_FWD_GETCWD, "getcwd", K(A_BUF_OUT), K(1) },
	{ EXO_FWD_CHDIR, "chdir", K(A_PATH), K(0) },
	{ EXO_FWD_FCHDIR, "fchdir", K(A_INT), K(0) },
	{ EXO_FWD_FCHMOD, "fchmod", K(A_INT), K(0) },
	{ EXO_FWD_GETTIMEOFDAY, "gettimeofday", K(A_OUTOPT, A_OUTOPT), K(16, 8) },
	{ EXO_FWD_GETUID, "getuid", K(A_INT), K(0) },
	{ EXO_FWD_GETGID, "getgid", K(A_INT), K(0) },
	{ EXO_FWD_GETEUID, "geteuid", K(A_INT), K(0) },
	{ EXO_FWD_GETEGID, "getegid", K(A_INT), K(0) },
	{ EXO_FWD_GETPPID, "getppid", K(A_INT), K(0) },
	{ EXO_FWD_GETPGRP, "getpgrp", K(A_INT), K(0) },
	{ EXO_FWD_GETDENTS64, "getdents64", K(A_INT, A_BUF_OUT), K(0, 2) },
	{ EXO_FWD_CLOCK_GETTIME, "clock_gettime", K(A_INT, A_OUT), K(0, TIMESPEC_BYTES) },
	{ EXO_FWD_CLOCK_GETRES, "clock_getres", K(A_INT, A_OUTOPT), K(0, TIMESPEC_BYTES) },
	{ EXO_FWD_CLOCK_NANOSLEEP, "clock_nanosleep", K(A_INT, A_INT, A_IN, A_OUTOPT),
	  K(0, 0, TIMESPEC_BYTES, TIMESPEC_BYTES) },
	{ EXO_FWD_OPENAT, "openat", K(A_INT, A_PATH), K(0) },
	{ EXO_FWD_MKDIRAT, "mkdirat", K(A_INT, A_PATH), K(0) },
	{ EXO_FWD_NEWFSTATAT, "newfstatat", K(A_INT, A_PATH, A_OUT), K(0, 0, STAT_BYTES) },
	{ EXO_FWD_UNLINKAT, "unlinkat", K(A_INT, A_PATH), K(0) },
	{ EXO_FWD_RENAMEAT, "renameat", K(A_INT, A_PATH, A_INT, A_PATH), K(0) },
	{ EXO_FWD_READLINKAT, "readlinkat", K(A_INT, A_PATH, A_BUF_OUT), K(0, 0, 3) },
	{ EXO_FWD_FCHMODAT, "fchmodat", K(A_INT, A_PATH), K(0) },
	{ EXO_FWD_FACCESSAT, "faccessat", K(A_INT, A_PATH), K(0) },
	{ EXO_FWD_UTIMENSAT, "utimensat", K(A_INT, A_PATHOPT, A_INOPT), K(0, 0, 2 * TIMESPEC_BYTES) },
	{ EXO_FWD_DUP3, "dup3", K(A_INT), K(0) },
	{ EXO_FWD_PIPE2, "pipe2", K(A_OUT), K(8) },
	{ EXO_FWD_RENAMEAT2, "renameat2", K(A_INT, A_PATH, A_INT, A_PATH), K(0) },
	{ EXO_FWD_GETRANDOM, "getrandom", K(A_BUF_OUT), K(1) },
	{ EXO_FWD_STATX, "statx", K(A_INT, A_PATH, A_INT, A_INT, A_OUT), K(0, 0, 0, 0, STATX_BYTES) },
	{ EXO_FWD_FACCESSAT2, "faccessat2", K(A_INT, A_PATH), K(0) },
};

static const struct fwd_desc *desc_of(uint64_t nr)
{
	for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++)
		if (calls[i].nr == nr)
			return &calls[i];
	return NULL;
}

const char *hv_fwd_name(uint64_t nr)
{
	const struct fwd_desc *d = desc_of(nr);
	return d ? d->name : NULL;
}

/* Where one call's copies live while it runs: hv's own memory. */
struct fwd_copies {
	char path[2][EXO_FWD_PATH_MAX];
	uint8_t st[2][STRUCT_MAX];
	unsigned npaths, nstructs;
};

/* Copy a NUL-terminated path out of the guest a page at a time, so a path
 * that ends just before an unowned frame is still read. */
static int64_t copy_path(const struct hv_guest *g, uint64_t gpa, char *dst)
{
	uint64_t at = 0;
	while (at < EXO_FWD_PATH_MAX) {
		uint64_t addr = gpa + at, n = EXO_PAGE_SIZE - (addr & (EXO_PAGE_SIZE - 1));
		if (addr < gpa)
			return -EXO_FWD_EFAULT;
		if (n > EXO_FWD_PATH_MAX - at)
			n = EXO_FWD_PATH_MAX - at;
		if (hv_copy_from_guest(g, dst + at, addr, n) < 0)
			return -EXO_FWD_EFAULT;
		const char *nul = memchr(dst + at, '\0', n);
		if (nul)
			return 0;
		at += n;
	}
	return -EXO_FWD_ENAMETOOLONG;
}

/* The kind and size of ioctl's or fcntl's third argument. */
static unsigned variable_kind(unsigned kind, const struct exo_fwd *in, uint16_t *size)
{
	if (kind == A_IOCTL) {
		*size = in->arg[1] == EXO_FWD_TCGETS ? TERMIOS_BYTES : WINSIZE_BYTES;
		return A_OUT;
	}
	switch (in->arg[1]) {
	case EXO_FWD_F_GETLK: case EXO_FWD_F_SETLK: case EXO_FWD_F_SETLKW:
	case EXO_FWD_F_OFD_GETLK: case EXO_FWD_F_OFD_SETLK: case EXO_FWD_F_OFD_SETLKW:
		*size = FLOCK_BYTES;
		return A_INOUT;
	}
	return A_INT;
}

/* Check and copy in every argument of one call. 0 or -errno. */
static int64_t prepare(const struct hv_guest *g, const struct fwd_desc *d,
		       const struct exo_fwd *in, struct hv_fwd *c, struct fwd_copies *cp)
{
	static uint8_t empty; /* a zero-length buffer's address: never touched */
	*c = (struct hv_fwd){ .nr = d->nr };
	if (d->nr == EXO_FWD_IOCTL && in->arg[1] != EXO_FWD_TCGETS &&
	    in->arg[1] != EXO_FWD_TIOCGWINSZ)
		return -EXO_FWD_ENOTTY; /* the only requests hv forwards */
	if ((d->nr == EXO_FWD_CLOCK_GETTIME || d->nr == EXO_FWD_CLOCK_GETRES ||
	     d->nr == EXO_FWD_CLOCK_NANOSLEEP) && (int64_t)in->arg[0] < 0)
		return -EXO_FWD_EINVAL; /* CPU clocks of other host processes */
	for (unsigned i = 0; i < 6; i++) {
		unsigned kind = d->kind[i];
		uint16_t size = d->aux[i];
		uint64_t gpa = in->arg[i];
		c->arg[i] = (int64_t)in->arg[i];
		if (kind == A_IOCTL || kind == A_FCNTL)
			kind = variable_kind(kind, in, &size);
		if ((kind == A_PATHOPT || kind == A_INOPT || kind == A_OUTOPT) && gpa == 0)
			continue;
		switch (kind) {
		case A_INT:
			break;
		case A_PATH:
		case A_PATHOPT: {
			char *p = cp->path[cp->npaths++];
			int64_t rc = copy_path(g, gpa, p);
			if (rc < 0)
				return rc;
			c->ptr[i] = p;
			c->len[i] = strlen(p);
			break;
		}
		case A_BUF_IN:
		case A_BUF_OUT: {
			uint64_t len = in->arg[d->aux[i]];
			if (len > EXO_FWD_BUF_MAX)
				return -EXO_FWD_E2BIG;
			c->ptr[i] = len ? hv_gpa_ptr(g, gpa, len) : &empty;
			if (!c->ptr[i])
				return -EXO_FWD_EFAULT;
			c->len[i] = len;
			break;
		}
		default: { /* a struct: hv's copy */
			uint8_t *s = cp->st[cp->nstructs++];
			memset(s, 0, STRUCT_MAX);
			if (kind != A_OUT && kind != A_OUTOPT &&
			    hv_copy_from_guest(g, s, gpa, size) < 0)
				return -EXO_FWD_EFAULT;
			if (kind != A_IN && kind != A_INOPT && hv_check_gpa(g, gpa, size) < 0)
				return -EXO_FWD_EFAULT;
			c->ptr[i] = s;
			c->len[i] = size;
			break;
		}
		}
	}
	return 0;
}

/* Write back the out-structs of a call that succeeded. */
static void finish(struct hv_guest *g, const struct fwd_desc *d, const struct exo_fwd *in,
		   const struct hv_fwd *c)
{
	for (unsigned i = 0; i < 6; i++) {
		unsigned kind = d->kind[i];
		uint16_t size = d->aux[i];
		if (kind == A_IOCTL || kind == A_FCNTL)
			kind = variable_kind(kind, in, &size);
		if ((kind == A_OUT || kind == A_OUTOPT || kind == A_INOUT) && c->ptr[i])
			hv_copy_to_guest(g, in->arg[i], c->ptr[i], c->len[i]);
	}
}

static int64_t forward_one(struct hv_guest *g, const struct exo_fwd *in)
{
	const struct fwd_desc *d = desc_of(in->nr);
	struct fwd_copies cp;
	struct hv_fwd c;
	if (!d)
		return -EXO_FWD_ENOSYS;
	cp.npaths = cp.nstructs = 0;
	int64_t rc = prepare(g, d, in, &c, &cp);
	if (rc < 0)
		return rc;
	g->stats.forwarded++;
	rc = hv_plat_forward(g, &c);
	/* An interrupted sleep still reports the time it had left. */
	if (rc >= 0 || (rc == -EXO_FWD_EINTR && (d->nr == EXO_FWD_NANOSLEEP ||
						 d->nr == EXO_FWD_CLOCK_NANOSLEEP)))
		finish(g, d, in, &c);
	return rc;
}

int64_t hv_forward(struct hv_guest *g, uint64_t block_gpa)
{
	struct exo_hc_forward a;
	struct exo_fwd vec[EXO_FWD_BATCH];
	if (hv_copy_from_guest(g, &a, block_gpa, sizeof a) < 0)
		return -EXO_EFAULT;
	if (a.count > EXO_FWD_BATCH)
		return -EXO_E2BIG;
	if (a.flags & ~EXO_FWD_F_STOP)
		return -EXO_EINVAL;
	if (hv_copy_from_guest(g, vec, a.vec_gpa, a.count * sizeof vec[0]) < 0)
		return -EXO_EFAULT;
	a.done = 0;
	for (uint32_t i = 0; i < a.count; i++) {
		int64_t ret = forward_one(g, &vec[i]);
		a.done++;
		/* The vector was owned when copied and a call cannot release
		 * frames, so this write lands; ret is the only field hv writes. */
		hv_copy_to_guest(g, a.vec_gpa + i * sizeof vec[0] + offsetof(struct exo_fwd, ret),
				 &ret, sizeof ret);
		if (g->end != HV_RUNNING || (ret < 0 && (a.flags & EXO_FWD_F_STOP)))
			break;
	}
	hv_copy_to_guest(g, block_gpa, &a, sizeof a);
	return (int64_t)a.done;
}
