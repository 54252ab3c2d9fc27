/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/shim.h: what the shim's files share.
 *
 * posix-shim is a library OS that gives a static Linux x86-64 program
 * (musl) the system call ABI inside its guest: memory and signal calls
 * are served here with libos/vm, file and time calls are forwarded to hv
 * (EXO_HC_FORWARD), everything else is -ENOSYS. It runs in the program's
 * ring and never touches the program's FPU/SSE state (it is built with
 * -mgeneral-regs-only), except to save and restore it around signals.
 *
 * Every user pointer a call receives is checked and accessed through
 * uaccess.c, so a bad pointer is -EFAULT to the program, never a fault in
 * the shim.
 */
#ifndef POSIX_SHIM_H
#define POSIX_SHIM_H

#include "exo/exo.h"
#include "vm/vm.h"

/* Linux errno values. */
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EEXIST 17
#define ENODEV 19
#define ENOTDIR 20
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define ENOSPC 28
#define EPIPE 32
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38

/* Signals. */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28
#define SIGSYS 31
#define NSIG 64

/* A system call as the shim sees it: the six arguments, and the saved
 * program state (rax is the result when the call returns). */
struct shim_call {
	uint64_t a[6];
	struct exo_trap_frame *f;
};
/* A call that set the whole frame itself (rt_sigreturn) returns this, so
 * that rax is left as it set it. */
#define SHIM_KEEP_FRAME ((int64_t)1 << 62)

/* The siginfo a signal carries (Linux's layout, the fields we fill). */
struct shim_siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	uint64_t si_addr; /* or si_pid/si_uid for kill */
	uint8_t rest[128 - 24];
};
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRERR 2
#define ILL_ILLOPN 2
#define FPE_INTDIV 1
#define FPE_FLTDIV 3
#define FPE_FLTOVF 4
#define FPE_FLTUND 5
#define FPE_FLTRES 6
#define FPE_FLTINV 7
#define TRAP_TRACE 2

/* main.c */
extern uint64_t shim_pid;
/* process.c: the program's umask, which path.c applies to new files. */
uint64_t shim_umask(void);
/* End the program: exit code, or killed by signal (code ignored). */
__attribute__((noreturn)) void shim_exit(int code, int signal);

/* entry.S */
extern uint32_t shim_ring3;
void shim_syscall_entry(void);
void shim_upcall_entry(void);
__attribute__((noreturn)) void shim_resume(struct exo_trap_frame *f);
void shim_wrmsr(uint32_t msr, uint64_t value);
extern const char shim_wrmsr_insn[];

/* syscall.c */
void shim_syscall(struct exo_trap_frame *f);
/* The name of call nr, for messages. */
const char *shim_call_name(uint64_t nr);

/* exocall.c: exo calls, numbers [EXO_CALL_BASE, EXO_CALL_END) of
 * include/exo/exocall.h. 1 with *ret set if nr is in that range, else 0. */
int shim_exocall(uint64_t nr, struct shim_call *c, int64_t *ret);

/* uaccess.c: the program's memory, checked against its map and page
 * tables. 0 or -EFAULT. */
int shim_copy_in(void *dst, uint64_t uva, uint64_t n);
int shim_copy_out(uint64_t uva, const void *src, uint64_t n);
/* A NUL-terminated string of at most max bytes with its NUL: its length,
 * -EFAULT or -ENAMETOOLONG. */
int64_t shim_string_in(char *dst, uint64_t uva, uint64_t max);
/* How many bytes from uva (at most n) the map allows the access to:
 * nothing is populated. shim_user_ok: 0 if all n, else -EFAULT. */
uint64_t shim_user_prefix(uint64_t uva, uint64_t n, unsigned access);
int shim_user_ok(uint64_t uva, uint64_t n, unsigned access);

/* vma.c: the program's address space map. */
#define VMA_READ 1u
#define VMA_WRITE 2u
#define VMA_EXEC 4u
struct vma {
	uint64_t start, end;
	unsigned prot; /* VMA_* (the same bits as VM_R/W/X) */
	unsigned kind; /* VMA_ANON, VMA_HEAP, VMA_STACK, VMA_IMAGE */
	unsigned softdirty; /* made or grown since the last clear_refs "4" */
};
#define VMA_ANON 0u
#define VMA_HEAP 1u
#define VMA_STACK 2u
#define VMA_IMAGE 3u
#define VMA_PASTEOF 4u /* a file mapping's pages past the end of the file */
const struct vma *vma_find(uint64_t addr);
/* Make [start, end) one mapping of prot and kind, replacing what was
 * there (its pages are the caller's to unmap first). 0 or -ENOMEM. */
int vma_set(uint64_t start, uint64_t end, unsigned prot, unsigned kind);
/* Remove [start, end) from the map. 0 or -ENOMEM (no room to split). */
int vma_clear(uint64_t start, uint64_t end);
/* Change the protection of [start, end), all of it mapped: 0, -ENOMEM
 * (a hole: Linux's error), or -ENOMEM for no room to split. */
int vma_protect(uint64_t start, uint64_t end, unsigned prot);
/* 1 if every byte of [start, end) is mapped. */
int vma_covered(uint64_t start, uint64_t end);
/* The first mapping that ends above addr (holds it or follows it), or
 * NULL: vma_next(v->end) is the one after v. */
const struct vma *vma_next(uint64_t addr);
/* clear_refs "4": no mapping is soft-dirty any more. */
void vma_softdirty_clear(void);
/* The highest free gap of len bytes below top, or 0. */
uint64_t vma_gap(uint64_t len, uint64_t top);
/* 1 if nothing is mapped in [start, start + len). */
int vma_gap_free(uint64_t start, uint64_t len);

/* Where guest-physical address gpa is, through hv's direct map. */
static inline void *shim_phys(uint64_t gpa)
{
	return (void *)(uintptr_t)(EXO_PHYSMAP_BASE + gpa);
}

/* mem.c */
#define SHIM_MMAP_TOP 0x00007f0000000000ull
#define SHIM_STACK_TOP 0x00007ffffffff000ull
#define SHIM_STACK_BYTES (8ull << 20)
int shim_mem_init(void);
/* Populate the page at va for an access (VMA_WRITE for a write) the map
 * allows: 0 and va's GPA in *gpa, -EFAULT (not mapped, or not allowed),
 * -ENOMEM. */
int shim_populate(uint64_t va, unsigned access, uint64_t *gpa);
/* The accesses a mapping's protection allows (on x86, write or execute
 * implies read). */
unsigned shim_vma_allows(unsigned prot);
void shim_brk_init(uint64_t end);

/* signal.c */
struct shim_siginfo;
/* Deliver sig, raised by the program's own instruction (a fault) in
 * frame f: to its handler if it has one and the signal is not blocked,
 * else the default action, which ends the program. */
void shim_signal_fault(struct exo_trap_frame *f, int sig, int code, uint64_t addr);
/* Deliver pending unblocked signals before the program resumes at f. */
void shim_signal_check(struct exo_trap_frame *f);
/* Mark sig pending, sent by the kernel (SIGPIPE) or by the program
 * itself with si_code code (kill: SI_USER, tkill: SI_TKILL). */
void shim_signal_raise(int sig);
void shim_signal_send(int sig, int code);
/* Save the FPU/SSE/AVX state: shim_fpu_bytes() bytes at a 64-byte
 * aligned area; restore it. */
uint64_t shim_fpu_bytes(void);
void shim_fpu_save(void *area);
void shim_fpu_restore(const void *area);

/* trap.c */
void shim_trap_init(void);
void shim_trap_ring0(void);
extern struct exo_trap_frame shim_upcall_frame;
void shim_trap_upcall(void);
/* A page fault in frame f raises sig: delivered, or the program ends. */
void shim_fault_signal(struct exo_trap_frame *f, int sig, int code, uint64_t addr);

/* lfd.c: descriptors the shim serves itself. A file's operations: its
 * permission bits and inode number for fstat, and read (n bytes at off
 * into buf: how many, 0 at the end, or -errno) and write (-EINVAL when
 * NULL). */
struct shim_lfile_ops {
	uint32_t mode;
	uint64_t ino;
	int64_t (*read)(uint8_t *buf, uint64_t n, uint64_t off);
	int64_t (*write)(const uint8_t *buf, uint64_t n);
};
/* A new descriptor for a file of ops, opened with flags (the access mode,
 * O_NONBLOCK, O_CLOEXEC): the number, or -errno. */
int64_t shim_lfd_open(const struct shim_lfile_ops *ops, uint64_t flags);
int shim_lfd_is(uint64_t fd);
/* A transfer between local descriptor fd and buf, at off or (off < 0) at
 * the file's position. */
int64_t shim_lfd_io(uint64_t fd, int write, uint8_t *buf, uint64_t n, int64_t off);
/* Call nr when it names a local descriptor: 1 with *ret set; else 0. */
int shim_lfd_call(uint64_t nr, struct shim_call *c, int64_t *ret);

/* proc.c: /proc/self/{stat,maps,pagemap,clear_refs} (and /proc/PID/ for
 * the program's own pid), served from the shim. For a path (a NUL-ended
 * copy) that names one: 1 with *ret the descriptor or -errno; else 0. */
int shim_proc_open(const char *path, uint64_t flags, int64_t *ret);
/* The --stats line. */
void shim_proc_stats(void);

/* load.c: the program in the payload, loaded; where to start it. */
int shim_load(uint64_t *entry, uint64_t *sp);
/* What the loader laid out, as /proc/self/stat tells it (proc.c). */
struct shim_layout {
	uint64_t start_code, end_code, start_data, end_data, start_brk;
	uint64_t start_stack; /* where argc is */
	uint64_t arg_start, arg_end, env_start, env_end;
};
extern struct shim_layout shim_layout;

/* forward.c: the staging area forwarded buffers pass through, and one
 * forwarded call with integer arguments (pointers already GPAs). */
#define SHIM_STAGE_BYTES EXO_FWD_BUF_MAX
extern uint8_t shim_stage[];
uint64_t shim_stage_gpa(const void *p);
int64_t shim_fwd(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		 uint64_t a4, uint64_t a5);
/* The fields of the host's struct stat the shim itself looks at. */
struct shim_stat {
	uint32_t mode, uid, gid;
	int64_t size;
};
#define S_IFMT 0170000
#define S_IFREG 0100000
/* fstat of descriptor fd (path_gpa 0), else newfstatat(fd, path, flags)
 * with the path already staged: 0 or -errno. */
int64_t shim_stat(uint64_t fd, uint64_t path_gpa, uint64_t flags, struct shim_stat *s);
/* The stage's slot for one small struct, and its two path slots. */
void *shim_stage_struct(uint64_t *gpa);
char *shim_stage_path(int i);
/* Forwarded call nr with arguments a[], whose argument pos is an
 * out-struct of n bytes: staged, and copied to the program's address
 * user when the call succeeds. */
int64_t shim_fwd_out(uint64_t nr, uint64_t a[6], int pos, uint64_t user, uint64_t n);


#endif
