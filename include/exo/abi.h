/* SPDX-License-Identifier: MIT */
/*
 * exo/abi.h: THE contract between hv and guests.
 *
 * Every number, layout and struct that crosses the hv/guest boundary lives
 * here and nowhere else. hv includes this file; guests include it through
 * guestlib. It is freestanding C: fixed-width types only, no pointers in
 * shared structs (guest-physical addresses are u64 GPAs).
 *
 * Calling convention: a guest executes `outl %eax, %dx` with
 * dx = EXO_HC_PORT + call number and eax = the 32-bit GPA of the call's
 * argument block (which must therefore lie below 4 GiB). hv copies the block,
 * checks every field, acts, writes any out-fields back into the block and
 * returns the status in rax: >= 0 on success, a negative EXO_E* code on
 * failure. A call that cannot even read its block still returns its error in
 * rax. One call is one exit, however many frames it carries.
 */
#ifndef EXO_ABI_H
#define EXO_ABI_H

#include <stdint.h>

#define EXO_ABI_VERSION 4u

#define EXO_PAGE_SIZE 4096u
#define EXO_PAGE_SHIFT 12u

/* Hypercall ports: EXO_HC_PORT + call number. */
#define EXO_HC_PORT 0x500u
#define EXO_HC_CONSOLE 0u       /* struct exo_hc_console */
#define EXO_HC_EXIT 1u          /* struct exo_hc_exit */
#define EXO_HC_FRAME_ALLOC 2u   /* struct exo_hc_frames */
#define EXO_HC_FRAME_RELEASE 3u /* struct exo_hc_frames */
#define EXO_HC_INFO 4u          /* struct exo_hc_info */
#define EXO_HC_FAULT 5u         /* struct exo_hc_fault: unhandled exception */
#define EXO_HC_FORWARD 6u       /* struct exo_hc_forward: host calls, batched */
#define EXO_HC_EXIT_PROCESS 7u  /* struct exo_hc_exit_process: a POSIX exit */
#define EXO_HC_NOTICE 8u        /* struct exo_hc_console: a line for exo's stderr */
#define EXO_HC_GRANT 9u         /* struct exo_hc_grant: share frames with a guest */
#define EXO_HC_LOOKUP 10u       /* struct exo_hc_lookup: a guest's id by name */
#define EXO_HC_DOORBELL 11u     /* struct exo_hc_doorbell: set up, ring, wait */
#define EXO_HC_UPCALL 12u       /* struct exo_hc_upcall: where hv's requests arrive */
#define EXO_HC_YIELD 13u        /* no block (eax ignored): give up the CPU */
#define EXO_HC_COUNT 14u        /* calls defined; ports above are EXO_ENOSYS */
#define EXO_HC_PORT_SPAN 16u    /* ports EXO_HC_PORT .. +15 belong to hv */

/* Status codes returned in rax (negated). */
#define EXO_OK 0
#define EXO_EINVAL 1  /* malformed argument: flags, count, status */
#define EXO_EFAULT 2  /* a GPA (block, vector, buffer) not owned or out of range */
#define EXO_ERANGE 3  /* a frame number beyond the pool */
#define EXO_EPERM 4   /* a frame the caller does not own */
#define EXO_EBUSY 5   /* a named frame already owned */
#define EXO_ENOMEM 6  /* pool exhausted or the guest's memory cap reached */
#define EXO_ENOSYS 7  /* unknown call number */
#define EXO_E2BIG 8   /* a length or count over its limit */
#define EXO_ENOENT 9  /* no such guest: unknown name or id, or it has ended */
#define EXO_EAGAIN 10 /* the pool is short now; frames are being revoked */

/* Limits on one call. */
#define EXO_CONSOLE_MAX 4096u       /* bytes per console write */
#define EXO_FRAMES_MAX 512u         /* frames per alloc/release call */
#define EXO_EXIT_STATUS_MAX 119u    /* guest exit statuses 0..119 */

/* EXO_HC_CONSOLE: write len bytes at buf_gpa to the console. */
struct exo_hc_console {
	uint64_t buf_gpa;
	uint64_t len;
};

/* EXO_HC_EXIT: end the guest with status (0..EXO_EXIT_STATUS_MAX). */
struct exo_hc_exit {
	uint64_t status;
};

/*
 * EXO_HC_EXIT_PROCESS: end the guest as a POSIX process ends: with code
 * (0..255, exit_group's status & 0xff) when signal is 0, else killed by
 * signal (1..64), which `exo run` reports as status 128 + signal, as a
 * shell does.
 */
#define EXO_SIGNAL_MAX 64u
struct exo_hc_exit_process {
	uint32_t code;
	uint32_t signal;
};

/* EXO_HC_NOTICE takes a struct exo_hc_console: at most EXO_NOTICE_MAX
 * bytes, which hv prints on its own stderr as one line "exo: TEXT", control
 * characters replaced. For a library OS to say what it cannot do. */
#define EXO_NOTICE_MAX 256u

/*
 * EXO_HC_FORWARD: run count host calls from the vector of struct exo_fwd
 * at vec_gpa (at most EXO_FWD_BATCH), in order, on the host under hv's
 * policy. The calls are Linux x86-64's: nr is the Linux system call number
 * (EXO_FWD_* below, the only ones hv runs), arguments are in the kernel's
 * order with the kernel's struct layouts, and ret gets the result or a
 * negative Linux errno (EXO_FWD_E*). Every pointer argument is a GPA; a
 * buffer must lie whole in frames the guest owns (contiguous GPAs) and be
 * at most EXO_FWD_BUF_MAX bytes, a path at most EXO_FWD_PATH_MAX bytes with
 * its NUL, or the call gets -EXO_FWD_EFAULT / -EXO_FWD_E2BIG /
 * -EXO_FWD_ENAMETOOLONG. An optional pointer (a timespec for the time
 * left, a timezone) may be 0 for none. Descriptors are the guest's own
 * numbers (at most EXO_FWD_FDS of them), mapped by hv to host descriptors
 * it owns; paths resolve with the --root directory as "/" and cannot leave
 * it. An nr hv does not run gets -EXO_FWD_ENOSYS; ioctl runs TCGETS and
 * TIOCGWINSZ only (others: -EXO_FWD_ENOTTY). With EXO_FWD_F_STOP the batch
 * stops after the first call whose ret is negative. done: calls that ran.
 * The call itself returns done, or -EXO_E* when the block or vector is bad.
 */
#define EXO_FWD_BATCH 16u
#define EXO_FWD_BUF_MAX (1u << 20)
#define EXO_FWD_PATH_MAX 4096u
#define EXO_FWD_FDS 256u
#define EXO_FWD_F_STOP 1u
struct exo_fwd {
	uint64_t nr;
	uint64_t arg[6];
	int64_t ret; /* out */
};
struct exo_hc_forward {
	uint64_t vec_gpa;
	uint32_t count;
	uint32_t flags;
	uint64_t done; /* out */
};

/* Forwarded calls (Linux x86-64 numbers). Old-style calls (open, stat,
 * pipe, dup2, ...) are the library OS's to express with these. */
#define EXO_FWD_READ 0
#define EXO_FWD_WRITE 1
#define EXO_FWD_CLOSE 3
#define EXO_FWD_FSTAT 5
#define EXO_FWD_LSEEK 8
#define EXO_FWD_IOCTL 16
#define EXO_FWD_PREAD64 17
#define EXO_FWD_PWRITE64 18
#define EXO_FWD_DUP 32
#define EXO_FWD_NANOSLEEP 35
#define EXO_FWD_GETPID 39
#define EXO_FWD_UNAME 63
#define EXO_FWD_FCNTL 72
#define EXO_FWD_FSYNC 74
#define EXO_FWD_FDATASYNC 75
#define EXO_FWD_FTRUNCATE 77
#define EXO_FWD_GETCWD 79
#define EXO_FWD_CHDIR 80
#define EXO_FWD_FCHDIR 81
#define EXO_FWD_FCHMOD 91
#define EXO_FWD_GETTIMEOFDAY 96
#define EXO_FWD_GETUID 102
#define EXO_FWD_GETGID 104
#define EXO_FWD_GETEUID 107
#define EXO_FWD_GETEGID 108
#define EXO_FWD_GETPPID 110
#define EXO_FWD_GETPGRP 111
#define EXO_FWD_GETDENTS64 217
#define EXO_FWD_CLOCK_GETTIME 228
#define EXO_FWD_CLOCK_GETRES 229
#define EXO_FWD_CLOCK_NANOSLEEP 230
#define EXO_FWD_OPENAT 257
#define EXO_FWD_MKDIRAT 258
#define EXO_FWD_NEWFSTATAT 262
#define EXO_FWD_UNLINKAT 263
#define EXO_FWD_RENAMEAT 264
#define EXO_FWD_READLINKAT 267
#define EXO_FWD_FCHMODAT 268
#define EXO_FWD_FACCESSAT 269
#define EXO_FWD_UTIMENSAT 280
#define EXO_FWD_DUP3 292
#define EXO_FWD_PIPE2 293
#define EXO_FWD_RENAMEAT2 316
#define EXO_FWD_GETRANDOM 318
#define EXO_FWD_STATX 332
#define EXO_FWD_FACCESSAT2 439

/* The ioctl requests hv runs, and the fcntl commands whose third
 * argument is a struct flock hv copies in and out (Linux's numbers). */
#define EXO_FWD_TCGETS 0x5401
#define EXO_FWD_TIOCGWINSZ 0x5413
#define EXO_FWD_F_GETLK 5
#define EXO_FWD_F_SETLK 6
#define EXO_FWD_F_SETLKW 7
#define EXO_FWD_F_OFD_GETLK 36
#define EXO_FWD_F_OFD_SETLK 37
#define EXO_FWD_F_OFD_SETLKW 38

/* The Linux errno values hv itself returns for forwarded calls. */
#define EXO_FWD_EINTR 4
#define EXO_FWD_E2BIG 7
#define EXO_FWD_EBADF 9
#define EXO_FWD_EFAULT 14
#define EXO_FWD_EINVAL 22
#define EXO_FWD_EMFILE 24
#define EXO_FWD_ENOTTY 25
#define EXO_FWD_ENAMETOOLONG 36
#define EXO_FWD_ENOSYS 38

/*
 * EXO_HC_FRAME_ALLOC / EXO_HC_FRAME_RELEASE: count frame numbers in a
 * vector of u64 at vec_gpa. ALLOC with EXO_FA_ANY fills the vector with the
 * frames hv chose; with EXO_FA_NAMED the vector names the frames wanted.
 * Calls are all or nothing: on failure nothing changed and bad_index is
 * the index of the first offending entry (or count if none is to blame).
 *
 * Memory pressure: when an EXO_FA_ANY allocation within the caller's cap
 * finds too few free frames, hv revokes frames from guests that own more
 * than their fair share (see the revocation protocol below) and the call
 * waits until they are free, then succeeds; with EXO_FA_NOWAIT it returns
 * -EXO_EAGAIN at once instead (the revocation still goes ahead: ask again
 * later). -EXO_ENOMEM when the caller is at its own fair share, or nobody
 * can be asked, or the frames did not come in time.
 */
#define EXO_FA_ANY 0u
#define EXO_FA_NAMED 1u
#define EXO_FA_NOWAIT 2u /* flag, with EXO_FA_ANY */
struct exo_hc_frames {
	uint64_t vec_gpa;
	uint32_t count;
	uint32_t flags;
	uint64_t bad_index; /* out */
};

/*
 * Many guests share one pool under one hv. Each has an id, allocated by hv
 * (1 .. EXO_GUESTS_MAX - 1, never 0; an id is reused only after its guest
 * ended and every grant to or from it is gone), and a name given on the
 * command line (at most EXO_NAME_MAX bytes), unique while it runs.
 */
#define EXO_GUESTS_MAX 256u
#define EXO_NAME_MAX 32u

/*
 * EXO_HC_GRANT: protected sharing. op EXO_GRANT_RO or EXO_GRANT_RW lets
 * guest `grantee` see the count frames in the u64 vector at vec_gpa, all
 * owned by the caller, at their own GPAs, read-only or read-write;
 * granting a frame already granted to grantee changes its access.
 * EXO_GRANT_REVOKE takes them back: each must be granted to grantee by the
 * caller, and it is unbound from the grantee before the call returns. A
 * grant never outlives its grantor's ownership: releasing a frame (or the
 * grantor's end) revokes every grant of it first. The grantee's exo page
 * shows what it was granted (grant bitmaps); a grantee's write to a
 * read-only grant, or any touch after revocation, ends the grantee as a
 * touch of an unowned frame would. Frames granted to a guest are not its
 * own: hypercall blocks and buffers must lie in frames the caller owns.
 * All or nothing, like EXO_HC_FRAME_*: -EXO_EINVAL (op, reserved, grantee
 * is the caller), -EXO_ENOENT (no such grantee running), -EXO_E2BIG
 * (count), -EXO_ERANGE / -EXO_EPERM (a frame beyond the pool, not the
 * caller's, named twice, or for REVOKE not granted to grantee), -EXO_ENOMEM
 * (hv's grant table is full); bad_index as for EXO_HC_FRAME_*.
 */
#define EXO_GRANT_RO 0u
#define EXO_GRANT_RW 1u
#define EXO_GRANT_REVOKE 2u
struct exo_hc_grant {
	uint64_t vec_gpa;
	uint32_t count;
	uint32_t op;
	uint32_t grantee;
	uint32_t reserved;  /* 0 */
	uint64_t bad_index; /* out */
};

/* EXO_HC_LOOKUP: the id of the running guest named by the len bytes at
 * name_gpa (no NUL; 1..EXO_NAME_MAX), into id. -EXO_ENOENT if none. */
struct exo_hc_lookup {
	uint64_t name_gpa;
	uint32_t len;
	uint32_t id; /* out */
};

/*
 * EXO_HC_DOORBELL: one guest interrupts another it shares frames with.
 *
 * EXO_DB_SETUP: the caller takes doorbells on vector (32..255) and gives
 * hv its pending set: EXO_GUESTS_MAX bits at pending_gpa (8-byte aligned,
 * in one frame the caller owns), bit n for guest n. hv only ever sets bits
 * there (atomically); the guest clears them (an atomic exchange) in its
 * handler. Releasing that frame turns the doorbell off; vector 0 turns it
 * off explicitly.
 *
 * EXO_DB_RING: set the caller's bit in target's pending set and raise
 * target's vector, as an external interrupt delivered when target has
 * interrupts enabled; rings before it takes the interrupt coalesce into
 * one (the pending set says who rang). -EXO_ENOENT: target is not running
 * or has no doorbell; -EXO_EPERM: no frame is granted between the two (in
 * either direction); -EXO_EINVAL: target is the caller.
 *
 * EXO_DB_WAIT: block until a ring arrives for the caller or timeout_ns
 * passes (0: do not block): returns 1 for a ring (one since the last WAIT
 * returned 1, or since SETUP), 0 for the timeout. The vector is raised as
 * well, when the caller enables interrupts. A guest that has nothing to
 * do waits here; `hlt` still ends it, as before. A revocation request
 * (below) ends a WAIT early, returning 0, so that the guest can answer.
 */
#define EXO_DB_SETUP 0u
#define EXO_DB_RING 1u
#define EXO_DB_WAIT 2u
#define EXO_DB_VECTOR_MIN 32u
struct exo_hc_doorbell {
	uint32_t op;
	uint32_t target;      /* RING */
	uint64_t pending_gpa; /* SETUP */
	uint32_t vector;      /* SETUP */
	uint32_t reserved;    /* 0 */
	uint64_t timeout_ns;  /* WAIT */
};

/*
 * Revocation (the Exokernel's visible revocation and abort protocol).
 *
 * hv asks a guest for frames by writing revoke_frames (how many),
 * revoke_deadline_ns (how long it has) and a new revoke_seq into its exo
 * page and raising its revocation upcall: the vector it named with
 * EXO_HC_UPCALL, an external interrupt delivered when it runs with
 * interrupts enabled. The guest chooses which frames to give (its
 * policy), unmaps them, saves what it must, and releases them with
 * EXO_HC_FRAME_RELEASE; every frame it releases while a request is open
 * counts against it, and revoke_frames goes down to 0.
 *
 * Abort: when the deadline passes with frames still owed, hv takes them
 * itself: the guest's highest-numbered frames that are not pinned (the
 * pinned bitmap: what hv loaded at boot, the image and its first page
 * tables, which hv never takes), revoking their grants, unbinding and
 * zeroing them. Each is set in the guest's repossession bitmap (cleared
 * when the frame is the guest's again) and counted in frames_repossessed,
 * and hv raises exception EXO_VEC_ABORT (the CPU's #VE number, which
 * nothing else raises in an exo guest) before the guest runs another
 * instruction, whatever its interrupt flag: its handler must drop its
 * mappings of the frames the bitmap names. A later touch of one ends the
 * guest as a touch of any frame it does not own.
 *
 * EXO_HC_UPCALL: revoke_vector 32..255 takes revocation requests there; 0
 * takes none (requests are still written and still end in an abort).
 *
 * CPU time is revoked the same visible way. hv accounts each guest's CPU
 * time in slices of slice_ns (the exo page); when one ends, a guest with a
 * slice_vector gets that upcall and slice_grace_ns to save what it must
 * and call EXO_HC_YIELD; if it has not by then, or has no vector, hv takes
 * the CPU anyway (preemption) and gives it to the other guests. A guest
 * that never yields still gets only its share. EXO_HC_YIELD may also be
 * called at any time, to let others run; it returns 0 when the guest runs
 * again. slices counts the slices the guest has used.
 */
#define EXO_VEC_ABORT 20u
struct exo_hc_upcall {
	uint32_t revoke_vector;
	uint32_t slice_vector;
};

/* EXO_HC_INFO: out-fields only. */
struct exo_hc_info {
	uint64_t pool_frames;
	uint64_t frames_owned;
	uint64_t mem_cap_frames;
	uint64_t exo_page_gpa;
	uint64_t exits; /* exits this guest has caused, this call included */
};

/* EXO_HC_FAULT: guestlib's report of an exception nobody handled. */
struct exo_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags, cs, ss;
};
struct exo_hc_fault {
	uint64_t vector;
	uint64_t error_code;
	uint64_t cr2;
	struct exo_regs regs;
};

/*
 * Guest address space at entry. hv builds the first page tables (in frames
 * the guest owns; the guest may replace them): the image's PT_LOAD segments
 * at their link addresses, which must lie in the top 2 GiB, and a direct
 * map of every GPA at EXO_PHYSMAP_BASE + gpa. The image is loaded into
 * contiguous frames, so an image address converts to a GPA by subtraction
 * (exo_page.image_vaddr / image_gpa). At entry rdi holds the virtual
 * address of the exo page, rsp is undefined, interrupts are off, and
 * CS/SS are flat 64-bit ring-0 selectors of hv's; guestlib loads its own
 * GDT, IDT and TSS before main().
 */
/* guestlib marks every image with an ELF note (PT_NOTE) of this name and
 * type whose 4-byte descriptor is EXO_ABI_VERSION: `exo run` boots images
 * that carry it as they are, and runs any other static x86-64 executable as
 * a POSIX program under posix-shim. */
#define EXO_NOTE_NAME "exo"
#define EXO_NOTE_TYPE 0x65786f31u /* "exo1" */

/* PML4 slot 273, where Linux keeps its direct map: the development hosts'
 * paravirtual KVM (PVM) leaves slot 256 unreachable from guest ring 3. */
#define EXO_PHYSMAP_BASE 0xffff888000000000ull
#define EXO_IMAGE_MIN 0xffffffff80000000ull
/* A program's (posix-shim's) segments end below this: the lower half. */
#define EXO_PROGRAM_MAX 0x0000800000000000ull

/*
 * The exo page: hv's read-only page in every guest, at GPA exo_page_gpa
 * (just past the pool). Five bitmaps of pool_frames bits follow it, each
 * rounded up to whole pages: the ownership bitmap (bit n set when this
 * guest owns frame n), the grant bitmap (frame n is granted to it), the
 * read-write grant bitmap, the repossession bitmap and the pinned bitmap
 * (see Revocation). hv updates them on every allocation, release, grant,
 * revocation and abort; a guest write to any of them ends the guest.
 */
#define EXO_PAGE_MAGIC 0x65786f7061676531ull /* "exopage1" */
#define EXO_ARGS_BYTES 3840u
#define EXO_ARGC_MAX 64u
struct exo_page {
	uint64_t magic;
	uint32_t abi_version;
	uint32_t argc;
	uint64_t pool_frames;
	uint64_t mem_cap_frames;
	uint64_t frames_owned;
	uint64_t exo_page_gpa;
	uint64_t bitmap_gpa;    /* pool_frames bits, LSB first */
	uint64_t image_vaddr;   /* lowest page of the image */
	uint64_t image_gpa;     /* its frame's GPA; the image is contiguous */
	uint64_t image_bytes;
	uint64_t args_len;
	uint64_t tsc_khz;       /* guest TSC frequency, 0 if the host cannot say */
	uint32_t flags;         /* EXO_PAGE_F_* */
	uint32_t ring_request;  /* EXO_RING_*: where the user asked app code to run */
	uint32_t envc;          /* environment strings after argv's in args */
	uint32_t guest_id;      /* this guest's id */
	uint64_t payload_gpa;   /* a program for the guest's library OS to load */
	uint64_t payload_bytes; /* (posix-shim): contiguous frames it owns; 0 if none */
	uint64_t frames_granted;   /* frames other guests grant this one */
	uint64_t grant_bitmap_gpa; /* pool_frames bits: granted to this guest */
	uint64_t grant_rw_bitmap_gpa; /* pool_frames bits: granted read-write */
	char name[EXO_NAME_MAX];   /* this guest's name, NUL-padded */
	uint64_t revoke_seq;         /* bumped by each new request */
	uint64_t revoke_frames;      /* frames hv asks back now; 0: none */
	uint64_t revoke_deadline_ns; /* the time the request gives */
	uint64_t frames_repossessed; /* taken by abort, all told */
	uint64_t repossessed_bitmap_gpa; /* pool_frames bits: taken by abort */
	uint64_t pinned_bitmap_gpa;  /* pool_frames bits: never taken by abort */
	uint64_t slice_ns;           /* the platform's CPU slice */
	uint64_t slice_grace_ns;     /* time to yield after the slice-end upcall */
	uint64_t slices;             /* slices this guest has used */
	char args[EXO_ARGS_BYTES]; /* argc argv strings then envc environment
				      strings, each NUL-terminated */
};

_Static_assert(sizeof(struct exo_page) <= EXO_PAGE_SIZE, "the exo page is one page");

/* exo_page.flags */
#define EXO_PAGE_F_STATS 1u /* the user asked for --stats: say what you chose */

/* exo_page.ring_request: `exo run --ring`. The library OS decides; hv only
 * passes the user's wish on. */
#define EXO_RING_0 0u
#define EXO_RING_3 3u
#define EXO_RING_AUTO 0xffu

#endif
