/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/forward.c: the calls sent to hv, and the descriptor ones.
 *
 * A forwarded call costs one exit (EXO_HC_FORWARD). hv wants every
 * pointer as a GPA range it can check whole, so arguments pass through a
 * staging area in the shim's image, which is contiguous in guest-physical
 * memory: data buffers (up to 1 MiB a call; larger reads and writes are
 * split, and stop at the first short one, as the kernel's would), paths
 * and small structs. User memory is checked (uaccess.c) before anything
 * is sent, so a bad pointer is -EFAULT without the host seeing the call.
 * Paths and the time calls are in path.c and time.c.
 */
#include "shim.h"

#define STRUCTS_AT (SHIM_STAGE_BYTES + 2 * EXO_FWD_PATH_MAX)
uint8_t shim_stage[STRUCTS_AT + EXO_PAGE_SIZE] __attribute__((aligned(EXO_PAGE_SIZE)));

#define IOV_MAX 1024
#define F_DUPFD 0
#define F_GETFD 1
#define TERMIOS_BYTES 36
#define FLOCK_BYTES 32

uint64_t shim_stage_gpa(const void *p)
{
	return exo_gpa(p);
}

/* The staging slot for small structs: n bytes, GPA in *gpa. */
void *shim_stage_struct(uint64_t *gpa)
{
	*gpa = shim_stage_gpa(shim_stage + STRUCTS_AT);
	return shim_stage + STRUCTS_AT;
}

/* Staging slot i (0 or 1) for a path. */
char *shim_stage_path(int i)
{
	return (char *)shim_stage + SHIM_STAGE_BYTES + i * EXO_FWD_PATH_MAX;
}

int64_t shim_fwd(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		 uint64_t a4, uint64_t a5)
{
	static struct exo_fwd call;
	static struct exo_hc_forward block;
	call = (struct exo_fwd){ .nr = nr, .arg = { a0, a1, a2, a3, a4, a5 } };
	block = (struct exo_hc_forward){ .vec_gpa = exo_gpa(&call), .count = 1 };
	int64_t rc = exo_hypercall(EXO_HC_FORWARD, &block);
	if (rc != 1)
		return -EFAULT; /* hv refused the block itself: a shim bug */
	return call.ret;
}

/* read/pread64 (off < 0: read): in chunks through the stage. */
/* A range the kernel's access_ok() would refuse outright: it wraps or
 * leaves the lower half. */
static int out_of_bounds(uint64_t buf, uint64_t n)
{
	uint64_t end;
	return __builtin_add_overflow(buf, n, &end) || end > VM_USER_MAX;
}

/* A transfer to or from the program's buffer covers what the map allows
 * of it, as the kernel's copy stops at the first bad page. */
static int64_t usable(uint64_t buf, uint64_t *n, unsigned access)
{
	if (out_of_bounds(buf, *n))
		return -EFAULT;
	uint64_t ok = shim_user_prefix(buf, *n, access);
	if (*n && !ok)
		return -EFAULT;
	*n = ok;
	return 0;
}

int64_t shim_stat(uint64_t fd, uint64_t path_gpa, uint64_t flags, struct shim_stat *s)
{
	uint64_t gpa;
	const uint8_t *st = shim_stage_struct(&gpa);
	int64_t rc = path_gpa ? shim_fwd(EXO_FWD_NEWFSTATAT, fd, path_gpa, gpa, flags, 0, 0)
			      : shim_fwd(EXO_FWD_FSTAT, fd, gpa, 0, 0, 0, 0);
	if (rc < 0)
		return rc;
	/* x86-64's struct stat: st_mode at 24, st_uid 28, st_gid 32, st_size 48 */
	memcpy(&s->mode, st + 24, sizeof s->mode);
	memcpy(&s->uid, st + 28, sizeof s->uid);
	memcpy(&s->gid, st + 32, sizeof s->gid);
	memcpy(&s->size, st + 48, sizeof s->size);
	return 0;
}

/* A read into a buffer with no usable byte: the kernel fails it only if
 * there was something to copy, so at the end of a regular file it is 0. */
static int64_t nothing_to_copy(int64_t fd, int64_t off)
{
	struct shim_stat st;
	if (shim_stat((uint64_t)fd, 0, 0, &st) < 0 || (st.mode & S_IFMT) != S_IFREG)
		return -EFAULT;
	if (off < 0 && (off = shim_fwd(EXO_FWD_LSEEK, (uint64_t)fd, 0, 1 /* SEEK_CUR */, 0, 0, 0)) < 0)
		return -EFAULT;
	return off >= st.size ? 0 : -EFAULT;
}

/* One transfer of n bytes between descriptor fd and the stage: at the
 * file position (off < 0) or at off; the shim's own files (lfd.c) are
 * served here, everything else is forwarded. */
static int64_t xfer(int64_t fd, int write, uint64_t n, int64_t off)
{
	if (shim_lfd_is((uint64_t)fd))
		return shim_lfd_io((uint64_t)fd, write, shim_stage, n, off);
	uint64_t gpa = shim_stage_gpa(shim_stage);
	if (off < 0)
		return shim_fwd(write ? EXO_FWD_WRITE : EXO_FWD_READ, (uint64_t)fd, gpa, n, 0, 0, 0);
	return shim_fwd(write ? EXO_FWD_PWRITE64 : EXO_FWD_PREAD64, (uint64_t)fd, gpa, n,
			(uint64_t)off, 0, 0);
}

static int64_t do_read(int64_t fd, uint64_t buf, uint64_t n, int64_t off)
{
	int64_t total = 0;
	if (out_of_bounds(buf, n))
		return -EFAULT;
	if (n && !shim_user_prefix(buf, n, VMA_WRITE))
		return nothing_to_copy(fd, off);
	if (usable(buf, &n, VMA_WRITE) < 0)
		return -EFAULT;
	do {
		uint64_t chunk = n < SHIM_STAGE_BYTES ? n : SHIM_STAGE_BYTES;
		int64_t got = xfer(fd, 0, chunk, off < 0 ? off : off + total);
		if (got < 0)
			return total ? total : got;
		shim_copy_out(buf + (uint64_t)total, shim_stage, (uint64_t)got);
		total += got;
		n -= (uint64_t)got;
		if ((uint64_t)got < chunk)
			break;
	} while (n);
	return total;
}

static int64_t do_write(int64_t fd, uint64_t buf, uint64_t n, int64_t off)
{
	int64_t total = 0;
	if (usable(buf, &n, VMA_READ) < 0)
		return -EFAULT;
	do {
		uint64_t chunk = n < SHIM_STAGE_BYTES ? n : SHIM_STAGE_BYTES;
		shim_copy_in(shim_stage, buf + (uint64_t)total, chunk);
		int64_t put = xfer(fd, 1, chunk, off < 0 ? off : off + total);
		if (put < 0)
			return total ? total : put;
		total += put;
		n -= (uint64_t)put;
		if ((uint64_t)put < chunk)
			break;
	} while (n);
	return total;
}

int64_t sys_read(struct shim_call *c)
{
	return do_read((int32_t)c->a[0], c->a[1], c->a[2], -1);
}

/* A write to a pipe nobody reads: EPIPE, and SIGPIPE to the program. */
static int64_t piped(int64_t rc)
{
	if (rc == -EPIPE)
		shim_signal_raise(SIGPIPE);
	return rc;
}

int64_t sys_write(struct shim_call *c)
{
	return piped(do_write((int32_t)c->a[0], c->a[1], c->a[2], -1));
}

int64_t sys_pread64(struct shim_call *c)
{
	if ((int64_t)c->a[3] < 0)
		return -EINVAL;
	return do_read((int32_t)c->a[0], c->a[1], c->a[2], (int64_t)c->a[3]);
}

int64_t sys_pwrite64(struct shim_call *c)
{
	if ((int64_t)c->a[3] < 0)
		return -EINVAL;
	return piped(do_write((int32_t)c->a[0], c->a[1], c->a[2], (int64_t)c->a[3]));
}

/* readv/writev and their p-forms: one call per iovec entry would break
 * atomicity (and cost an exit each); instead the vector is gathered into
 * or scattered from the stage, a stage-full at a time. */
struct iovec_user {
	uint64_t base, len;
};

static int64_t vector_io(struct shim_call *c, int write, int64_t off)
{
	static struct iovec_user iov[IOV_MAX];
	int64_t fd = (int32_t)c->a[0];
	uint64_t cnt = c->a[2], total = 0;
	if (cnt > IOV_MAX)
		return -EINVAL;
	if (shim_copy_in(iov, c->a[1], cnt * sizeof iov[0]) < 0)
		return -EFAULT;
	uint64_t asked = 0;
	for (uint64_t i = 0; i < cnt; i++) {
		if (iov[i].len > (uint64_t)INT64_MAX - asked)
			return -EINVAL;
		if (out_of_bounds(iov[i].base, iov[i].len))
			return -EFAULT;
		asked += iov[i].len;
	}
	for (uint64_t i = 0; i < cnt; i++) { /* up to the first bad byte */
		uint64_t ok = shim_user_prefix(iov[i].base, iov[i].len, write ? VMA_READ : VMA_WRITE);
		total += ok;
		if (ok < iov[i].len) {
			iov[i].len = ok;
			cnt = i + 1;
			break;
		}
	}
	if (asked && !total)
		return -EFAULT;
	int64_t done = 0;
	uint64_t i = 0, at = 0; /* the cursor: entry i, byte at */
	while ((uint64_t)done < total) {
		uint64_t chunk = total - (uint64_t)done;
		if (chunk > SHIM_STAGE_BYTES)
			chunk = SHIM_STAGE_BYTES;
		uint64_t ci = i, cat = at;
		if (write)
			for (uint64_t n = 0; n < chunk;) {
				uint64_t k = iov[ci].len - cat < chunk - n ? iov[ci].len - cat : chunk - n;
				shim_copy_in(shim_stage + n, iov[ci].base + cat, k);
				n += k, cat += k;
				if (cat == iov[ci].len)
					ci++, cat = 0;
			}
		int64_t r = xfer(fd, write, chunk, off < 0 ? off : off + done);
		if (r < 0)
			return done ? done : r;
		for (uint64_t n = 0; n < (uint64_t)r;) { /* advance, scattering a read */
			uint64_t k = iov[i].len - at < (uint64_t)r - n ? iov[i].len - at : (uint64_t)r - n;
			if (!write)
				shim_copy_out(iov[i].base + at, shim_stage + n, k);
			n += k, at += k;
			if (at == iov[i].len)
				i++, at = 0;
		}
		while (i < cnt && iov[i].len == 0)
			i++;
		done += r;
		if ((uint64_t)r < chunk)
			break;
	}
	return done;
}

int64_t sys_readv(struct shim_call *c)
{
	return vector_io(c, 0, -1);
}

int64_t sys_writev(struct shim_call *c)
{
	return piped(vector_io(c, 1, -1));
}

int64_t sys_preadv(struct shim_call *c)
{
	return (int64_t)c->a[3] < 0 ? -EINVAL : vector_io(c, 0, (int64_t)c->a[3]);
}

int64_t sys_pwritev(struct shim_call *c)
{
	return (int64_t)c->a[3] < 0 ? -EINVAL : piped(vector_io(c, 1, (int64_t)c->a[3]));
}

/* The call runs first and its struct is copied out after, as the kernel
 * does: a call that fails reports its own error before a bad pointer. */
int64_t shim_fwd_out(uint64_t nr, uint64_t a[6], int pos, uint64_t user, uint64_t n)
{
	uint64_t gpa;
	void *s = shim_stage_struct(&gpa);
	a[pos] = gpa;
	int64_t rc = shim_fwd(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (rc >= 0 && shim_copy_out(user, s, n) < 0)
		return -EFAULT;
	return rc;
}

int64_t sys_fstat(struct shim_call *c)
{
	uint64_t a[6] = { c->a[0] };
	return shim_fwd_out(EXO_FWD_FSTAT, a, 1, c->a[1], 144);
}

int64_t sys_close(struct shim_call *c)
{
	return shim_fwd(EXO_FWD_CLOSE, c->a[0], 0, 0, 0, 0, 0);
}

int64_t sys_lseek(struct shim_call *c)
{
	return shim_fwd(EXO_FWD_LSEEK, c->a[0], c->a[1], c->a[2], 0, 0, 0);
}

int64_t sys_dup(struct shim_call *c)
{
	return shim_fwd(EXO_FWD_DUP, c->a[0], 0, 0, 0, 0, 0);
}

int64_t sys_dup3(struct shim_call *c)
{
	return shim_fwd(EXO_FWD_DUP3, c->a[0], c->a[1], c->a[2], 0, 0, 0);
}

int64_t sys_dup2(struct shim_call *c)
{
	if (c->a[0] == c->a[1]) { /* dup2(fd, fd): fd if it is open */
		int64_t rc = shim_fwd(EXO_FWD_FCNTL, c->a[0], F_GETFD, 0, 0, 0, 0);
		return rc < 0 ? rc : (int64_t)c->a[1];
	}
	return shim_fwd(EXO_FWD_DUP3, c->a[0], c->a[1], 0, 0, 0, 0);
}

int64_t sys_pipe2(struct shim_call *c)
{
	uint64_t gpa;
	int32_t *fds = shim_stage_struct(&gpa);
	if (shim_user_ok(c->a[0], 8, VMA_WRITE) < 0)
		return -EFAULT;
	int64_t rc = shim_fwd(EXO_FWD_PIPE2, gpa, c->a[1], 0, 0, 0, 0);
	if (rc >= 0)
		shim_copy_out(c->a[0], fds, 8);
	return rc;
}

int64_t sys_pipe(struct shim_call *c)
{
	c->a[1] = 0;
	return sys_pipe2(c);
}

int64_t sys_fcntl(struct shim_call *c)
{
	uint64_t cmd = c->a[1];
	switch (cmd) {
	case EXO_FWD_F_GETLK: case EXO_FWD_F_SETLK: case EXO_FWD_F_SETLKW:
	case EXO_FWD_F_OFD_GETLK: case EXO_FWD_F_OFD_SETLK: case EXO_FWD_F_OFD_SETLKW: {
		uint64_t gpa;
		void *s = shim_stage_struct(&gpa);
		if (shim_copy_in(s, c->a[2], FLOCK_BYTES) < 0 ||
		    shim_user_ok(c->a[2], FLOCK_BYTES, VMA_WRITE) < 0)
			return -EFAULT;
		int64_t rc = shim_fwd(EXO_FWD_FCNTL, c->a[0], cmd, gpa, 0, 0, 0);
		if (rc >= 0)
			shim_copy_out(c->a[2], s, FLOCK_BYTES);
		return rc;
	}
	}
	return shim_fwd(EXO_FWD_FCNTL, c->a[0], cmd, c->a[2], 0, 0, 0);
}

int64_t sys_ioctl(struct shim_call *c)
{
	uint64_t a[6] = { c->a[0], c->a[1] };
	if (c->a[1] == EXO_FWD_TCGETS)
		return shim_fwd_out(EXO_FWD_IOCTL, a, 2, c->a[2], TERMIOS_BYTES);
	if (c->a[1] == EXO_FWD_TIOCGWINSZ)
		return shim_fwd_out(EXO_FWD_IOCTL, a, 2, c->a[2], 8);
	return -ENOTTY; /* the only requests hv runs; it refuses others too */
}

int64_t sys_fsync(struct shim_call *c)
{
	return shim_fwd(EXO_FWD_FSYNC, c->a[0], 0, 0, 0, 0, 0);
}

int64_t sys_fdatasync(struct shim_call *c)
{
	return shim_fwd(EXO_FWD_FDATASYNC, c->a[0], 0, 0, 0, 0, 0);
}

int64_t sys_ftruncate(struct shim_call *c)
{
	return shim_fwd(EXO_FWD_FTRUNCATE, c->a[0], c->a[1], 0, 0, 0, 0);
}

int64_t sys_fchmod(struct shim_call *c)
{
	return shim_fwd(EXO_FWD_FCHMOD, c->a[0], c->a[1], 0, 0, 0, 0);
}

int64_t sys_fchdir(struct shim_call *c)
{
	return shim_fwd(EXO_FWD_FCHDIR, c->a[0], 0, 0, 0, 0, 0);
}

int64_t sys_getdents64(struct shim_call *c)
{
	uint64_t n = c->a[2] < SHIM_STAGE_BYTES ? c->a[2] : SHIM_STAGE_BYTES;
	if (usable(c->a[1], &n, VMA_WRITE) < 0)
		return -EFAULT;
	int64_t got = shim_fwd(EXO_FWD_GETDENTS64, c->a[0], shim_stage_gpa(shim_stage), n, 0, 0, 0);
	if (got > 0)
		shim_copy_out(c->a[1], shim_stage, (uint64_t)got);
	return got;
}

int64_t sys_getrandom(struct shim_call *c)
{
	uint64_t n = c->a[1] < SHIM_STAGE_BYTES ? c->a[1] : SHIM_STAGE_BYTES;
	if (usable(c->a[0], &n, VMA_WRITE) < 0)
		return -EFAULT;
	int64_t got = shim_fwd(EXO_FWD_GETRANDOM, shim_stage_gpa(shim_stage), n, c->a[2], 0, 0, 0);
	if (got > 0)
		shim_copy_out(c->a[0], shim_stage, (uint64_t)got);
	return got;
}

int64_t sys_getcwd(struct shim_call *c)
{
	uint64_t n = c->a[1] < EXO_FWD_PATH_MAX ? c->a[1] : EXO_FWD_PATH_MAX;
	int64_t got = shim_fwd(EXO_FWD_GETCWD, shim_stage_gpa(shim_stage), n, 0, 0, 0, 0);
	if (got > 0 && shim_copy_out(c->a[0], shim_stage, (uint64_t)got) < 0)
		return -EFAULT;
	return got;
}

int64_t sys_uname(struct shim_call *c)
{
	uint64_t a[6] = { 0 };
	return shim_fwd_out(EXO_FWD_UNAME, a, 0, c->a[0], 390);
}

/* The id calls: the host's answers. */
#define ID_CALL(name, NR) \
	int64_t sys_##name(struct shim_call *c) \
	{ \
		(void)c; \
		return shim_fwd(NR, 0, 0, 0, 0, 0, 0); \
	}
ID_CALL(getppid, EXO_FWD_GETPPID)
ID_CALL(getuid, EXO_FWD_GETUID)
ID_CALL(geteuid, EXO_FWD_GETEUID)
ID_CALL(getgid, EXO_FWD_GETGID)
ID_CALL(getegid, EXO_FWD_GETEGID)
ID_CALL(getpgrp, EXO_FWD_GETPGRP)
