/* SPDX-License-Identifier: MIT */
/*
 * hv/core/core.h: the interface every platform (kvm/, metal/) builds on.
 *
 * hv/core is platform-free C: it owns the guest table, the frame pool's
 * ownership table and the grants between guests, doorbells, the checks
 * every guest-supplied value goes through, the hypercall dispatch, what
 * each VM exit means, ELF image validation and the guest's boot-time
 * address space. It includes nothing from Linux or KVM. What differs per
 * platform (binding a frame into a guest's EPT, running a vCPU, writing to
 * the console) is declared at the end as hv_plat_* and implemented once per
 * platform (hv/kvm/plat.c, hv/metal/plat.c).
 *
 * Concurrency: on kvm each guest's vCPU runs on its own thread and calls
 * into hv/core at once with the others. One lock, the pool lock
 * (hv_plat_lock), guards everything shared: the ownership and grant
 * tables, the pool's counts and scan pointer, the guest table and every
 * guest's doorbell state. One lock, not finer, because every path that
 * takes it already paid a VM exit (microseconds) and holds it for a
 * table walk of at most EXO_FRAMES_MAX entries: contention costs less than
 * the ordering rules finer locks would need between a frame's owner, its
 * grantees and their EPTs. What a guest alone changes is not locked: its
 * own frames change owner only on its own vCPU, so hv_check_gpa and the
 * copies to and from a guest's memory run outside the lock (copy, then
 * check the copy, as always).
 *
 * Frame-level functions return 0 (or a count) on success and -EXO_E* on
 * failure; they never leave a half-done change behind.
 */
#ifndef HV_CORE_H
#define HV_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "exo/abi.h"

#define HV_FRAME_FREE 0u

struct hv_guest;

/* A frame's owner lets one other guest see it. A frame's grants are a
 * list threaded through hv_pool.grant (indices; 0 ends it): the grantor is
 * always the frame's owner, so it is not stored. */
struct hv_grant {
	uint64_t frame;
	uint32_t grantee;
	uint32_t rw;   /* 1: read-write, 0: read-only */
	uint32_t next; /* next grant of the same frame, or of the free list */
};

/* The pool: every frame, who owns it, who else may see it, hv's own view
 * of its bytes, and the guest table. */
struct hv_pool {
	uint64_t nframes;
	uint64_t nfree;
	uint32_t *owner;  /* nframes entries, HV_FRAME_FREE or a guest id */
	uint8_t *host;    /* hv's mapping of frame 0; frame n at host + n*4096 */
	uint64_t scan;    /* no free frame below it: "any" allocations start here */
	uint32_t *grant_head;   /* nframes entries: first grant of the frame, 0 none */
	struct hv_grant *grant; /* grants_max entries; entry 0 is never used */
	uint32_t grants_max, grants_used, grant_free;
	uint32_t grant_fresh;   /* entries from here on were never used */
	struct hv_guest *guest[EXO_GUESTS_MAX]; /* the guest table, by id */
	uint32_t nguests;
	/* Memory pressure (revoke.c): guests waiting for frames, first come
	 * first served, the frames they are owed, and what victims owe. */
	uint32_t waiter[EXO_GUESTS_MAX];
	uint32_t nwaiters;
	uint64_t reserved;   /* frames the waiters asked for, all together */
	uint64_t owed;       /* frames asked of victims, not yet given */
	void *plat;       /* the platform's (its lock) */
};

/* Why a guest stopped running. The order is the exit-status order. */
enum hv_end {
	HV_RUNNING = 0,
	HV_END_EXIT,      /* the guest called EXO_HC_EXIT */
	HV_END_FAULT,     /* guestlib reported an exception nobody handled */
	HV_END_UNOWNED,   /* touched a GPA it does not own */
	HV_END_TRIPLE,    /* triple fault (shutdown) */
	HV_END_EMULATION, /* the host cannot run an instruction in guest ring 0 */
	HV_END_PROTOCOL,  /* broke the ABI: bad exit status, wrote its exo page */
};

/* Exit statuses of `exo run`; guest statuses are 0..EXO_EXIT_STATUS_MAX. */
#define HV_STATUS_FAULT 120
#define HV_STATUS_UNOWNED 121
#define HV_STATUS_TRIPLE 122
#define HV_STATUS_EMULATION 123
#define HV_STATUS_PROTOCOL 124
#define HV_STATUS_USAGE 125  /* bad command line */
#define HV_STATUS_IMAGE 126  /* missing or invalid guest image */
#define HV_STATUS_HOST 127   /* no usable /dev/kvm, host resource failure */

/* Platform-neutral exit kinds, for --stats. */
enum hv_exit_kind {
	HV_EXIT_HYPERCALL,
	HV_EXIT_IO_OTHER,
	HV_EXIT_MMIO,
	HV_EXIT_SHUTDOWN,
	HV_EXIT_INTERNAL,
	HV_EXIT_HLT,
	HV_EXIT_DEBUG,
	HV_EXIT_INTERRUPTED,
	HV_EXIT_OTHER,
	HV_EXIT_KINDS
};

struct hv_stats {
	uint64_t exits[HV_EXIT_KINDS]; /* counted with hv_count_exit */
	uint64_t exits_total;          /* their sum, kept as they are counted */
	uint64_t hypercalls[EXO_HC_COUNT + 1]; /* last slot: unknown numbers */
	uint64_t forwarded;                    /* host calls run for EXO_HC_FORWARD */
	uint64_t peak_owned;                   /* frames owned at most */
	uint64_t revoke_asked;                 /* frames hv asked of it */
	uint64_t revoke_given;                 /* ... it released while asked */
	uint64_t revoke_aborted;               /* ... hv took by abort */
	uint64_t revoke_in_time;               /* requests it met by the deadline */
	uint64_t waited;                       /* its allocations that waited */
	uint64_t slices;                       /* CPU slices it used */
	uint64_t slice_upcalls;                /* slice-end upcalls raised */
	uint64_t slice_in_time;                /* ... answered by a yield in time */
	uint64_t preempted;                    /* slices hv ended by force */
};

/* One exit of kind k, in the per-kind count and the total (EXO_HC_INFO's
 * exits: one add rather than a sum on every call). */
static inline void hv_count_exit(struct hv_stats *s, unsigned kind)
{
	s->exits[kind]++;
	s->exits_total++;
}

/* One guest context as hv/core sees it. */
struct hv_guest {
	struct hv_pool *pool;
	uint32_t id;               /* owner id in the pool, never HV_FRAME_FREE */
	char name[EXO_NAME_MAX + 1];
	uint64_t cap_frames;       /* most frames it may own at once */
	uint64_t owned;
	uint64_t granted;          /* frames others grant it */
	struct exo_page *exo;      /* hv's writable view of the guest's exo page */
	uint8_t *bitmap;           /* hv's view of the ownership bitmap */
	uint8_t *grant_bitmap;     /* ... of the grant bitmaps */
	uint8_t *grant_rw_bitmap;
	uint8_t *repossessed_bitmap; /* ... frames taken by abort */
	uint8_t *pinned_bitmap;    /* ... frames abort never takes (boot's) */
	uint64_t exo_gpa;          /* where the guest sees the exo page */
	uint32_t shares[EXO_GUESTS_MAX]; /* grants between it and guest n, either way */
	/* Doorbell (doorbell.c), under the pool lock. */
	uint32_t db_vector;        /* 0: no doorbell */
	uint64_t db_pending_gpa;
	int db_rung;               /* a ring since the last WAIT that returned 1 */
	int blocked;               /* in EXO_DB_WAIT: the platform holds its vCPU */
	int wait_began;            /* g's own: this hypercall blocked it */
	/* Timers (hv_plat_now_ns's clock, 0: none), under the pool lock; the
	 * platform's one deadline is armed for the earliest. */
	uint64_t wait_until;       /* EXO_DB_WAIT's timeout */
	uint64_t alloc_until;      /* a waiting allocation gives up */
	uint64_t revoke_until;     /* frames owed by then, or abort */
	uint64_t yield_until;      /* a slice-end upcall's grace ends */
	uint32_t slice_vector;     /* EXO_HC_UPCALL; 0: none */
	int slice_ending;          /* the upcall is raised, the yield awaited */
	/* Revocation (revoke.c), under the pool lock. */
	uint32_t revoke_vector;    /* EXO_HC_UPCALL; 0: none */
	uint64_t revoke_owed;      /* frames asked of it, not yet given */
	int alloc_waiting;         /* blocked in EXO_HC_FRAME_ALLOC */
	uint64_t alloc_n, alloc_vec_gpa, alloc_block_gpa;
	uint64_t wake_rax;         /* what WAIT returns when the platform resumes it */
	enum hv_end end;
	uint64_t exit_status;      /* HV_END_EXIT: the guest's status */
	uint32_t exit_signal;      /* HV_END_EXIT: killed by this signal (0: none) */
	uint64_t end_gpa, end_rip; /* HV_END_UNOWNED / _PROTOCOL: where and what */
	struct exo_hc_fault fault; /* HV_END_FAULT: the guest's report */
	struct hv_stats stats;
	void *plat;                /* the platform's per-guest state */
};

/* --- guests.c: the pool, the guest table, the directory of names --- */

/* Set up pool over nframes frames. owner and grant_head must hold nframes
 * zeroed entries each, grant grants_max entries (at least 2). */
void hv_pool_init(struct hv_pool *pool, uint64_t nframes, uint32_t *owner,
		  uint8_t *host, uint32_t *grant_head, struct hv_grant *grant,
		  uint32_t grants_max);

/* Bytes of a guest's exo area for nframes: the exo page and its three
 * bitmaps, each rounded up to whole pages. */
uint64_t hv_exo_area_bytes(uint64_t nframes);

/* Make g (zeroed by this call) a guest of pool: cap_frames, its exo area
 * (hv_exo_area_bytes, zeroed) seen by the guest at exo_gpa, and a name
 * (1..EXO_NAME_MAX bytes, no '/', control characters or spaces). Enters
 * it in the guest table with the lowest free id. 0, -EXO_EINVAL (name),
 * -EXO_EBUSY (a running guest has that name) or -EXO_ENOMEM (table full). */
int hv_guest_add(struct hv_guest *g, struct hv_pool *pool, const char *name,
		 uint64_t cap_frames, uint8_t *exo_area, uint64_t exo_gpa);

/* Take g out of the table after it ended: every grant to or from it is
 * revoked, every frame it owns scrubbed and freed, its id free for reuse.
 * Not while an allocation of g's waits (HV_NEXT_BLOCKED): the platform
 * lets the wait end first (a guest cannot end while it waits). */
void hv_guest_remove(struct hv_guest *g);

/* The running guest named name (len bytes), or NULL. Pool lock held. */
struct hv_guest *hv_guest_find(struct hv_pool *pool, const char *name, uint64_t len);

/* The running guest with this id, or NULL. Pool lock held. */
struct hv_guest *hv_guest_get(struct hv_pool *pool, uint64_t id);

/* NULL if the pool is empty and clean: no guest, every frame free, no
 * grant, counts agree. Else what is wrong (a bug in hv). For the end of a
 * run: `exo` checks it before it exits. */
const char *hv_pool_check(const struct hv_pool *pool);

/* --- frames.c: the ownership table --- */

/* Give g any n frames (lowest free first), numbers into out[]. -ENOMEM. */
int hv_frames_alloc_any(struct hv_guest *g, uint64_t n, uint64_t *out);

/* Give g n contiguous frames starting at *first. -ENOMEM if no such run. */
int hv_frames_alloc_contig(struct hv_guest *g, uint64_t n, uint64_t *first);

/* Give g the n frames named in want[] (page colouring). -ERANGE, -EBUSY
 * (owned, by anyone), -EINVAL (named twice), -ENOMEM (cap); *bad = index. */
int hv_frames_alloc_named(struct hv_guest *g, uint64_t n, const uint64_t *want,
			  uint64_t *bad);

/* Take back from g the n frames in frames[]. -ERANGE, -EPERM (not g's,
 * including a frame named twice); *bad = index. Every grant of them is
 * revoked first; they are scrubbed before they are free. */
int hv_frames_release(struct hv_guest *g, uint64_t n, const uint64_t *frames,
		      uint64_t *bad);

/* Take back every frame g owns (the guest has ended). */
void hv_guest_release_all(struct hv_guest *g);

/* Internal to hv/core. Check that every frame of f[] exists, is owned by
 * expect (a guest id, or HV_FRAME_FREE) and is named once: 0, or -ERANGE,
 * busy, twice, with *bad its index. Pool lock held. */
int hv_frames_check(struct hv_pool *p, uint64_t n, const uint64_t *f, uint32_t expect,
		    int busy, int twice, uint64_t *bad);
/* hv_frames_alloc_any with the pool lock held. */
int hv_frames_alloc_any_locked(struct hv_guest *g, uint64_t n, uint64_t *out);
/* Frames [first, first+n) leave g (grants, unbind, scrub, free); the
 * caller publishes. Pool lock held. */
void hv_frames_give_back(struct hv_guest *g, uint64_t first, uint64_t n);
/* The end of the run of consecutive frame numbers that starts at f[i]. */
uint64_t hv_run_end(const uint64_t *f, uint64_t i, uint64_t n);

/* --- grants.c: protected sharing (EXO_HC_GRANT) --- */

/* op (EXO_GRANT_*) the n frames in frames[] of g to guest grantee, all or
 * nothing; the errors of EXO_HC_GRANT, *bad the index to blame. */
int hv_grant(struct hv_guest *g, uint32_t op, uint64_t grantee, uint64_t n,
	     const uint64_t *frames, uint64_t *bad);

/* Revoke every grant of frames [first, first+n) (their owner releases
 * them), or every grant to g. Pool lock held. */
void hv_grants_drop_frames(struct hv_pool *pool, uint64_t first, uint64_t n);
void hv_grants_drop_to(struct hv_guest *g);

/* --- revoke.c: memory pressure, visible revocation, abort --- */

/* How long a revocation request gives a guest, and how long an allocation
 * waits for revoked frames before it fails. */
#define HV_REVOKE_GRACE_NS (50ull * 1000 * 1000)
#define HV_ALLOC_WAIT_NS (4 * HV_REVOKE_GRACE_NS)

/* EXO_HC_FRAME_ALLOC with EXO_FA_ANY: allocate, or under pressure ask
 * victims and wait (g->blocked, HV_NEXT_BLOCKED; the platform resumes it
 * with the count or -EXO_ENOMEM in wake_rax, the vector written) or
 * return -EXO_EAGAIN (nowait). vec_gpa / block_gpa: where the frames'
 * numbers and the block go when a waiting allocation completes. */
int hv_alloc_or_wait(struct hv_guest *g, uint64_t n, uint64_t *out, int nowait,
		     uint64_t vec_gpa, uint64_t block_gpa);

/* g released n frames (0: all, it ended): they count against what it
 * owes, and waiting allocations are served. Pool lock held. */
void hv_revoke_released(struct hv_guest *g, uint64_t n);

/* Frames g owns now become pinned: abort never takes them (the end of
 * hv_boot_load). */
void hv_pin_owned(struct hv_guest *g);

/* EXO_HC_UPCALL. */
int64_t hv_upcall_setup(struct hv_guest *g, const struct exo_hc_upcall *a);

/* Arm the platform's deadline for g's earliest timer. Pool lock held. */
void hv_timers_arm(struct hv_guest *g);

/* --- doorbell.c: EXO_HC_DOORBELL --- */

int64_t hv_doorbell(struct hv_guest *g, const struct exo_hc_doorbell *a);

/* g's deadline (hv_plat_deadline) passed: a WAIT that timed out resumes
 * with 0, a waiting allocation that timed out with -EXO_ENOMEM, frames
 * owed past their deadline are taken by abort, a slice-end grace that
 * ran out is a preemption. Called in g's context, without the pool lock;
 * does what is due and re-arms for the rest. Returns 1 when the platform
 * must take the CPU from g now (preempt it), else 0. */
int hv_guest_deadline(struct hv_guest *g);

/* --- slice.c: CPU time, revoked visibly --- */

/* The slice the platforms account CPU time in, and the grace a guest gets
 * after its slice-end upcall to yield. */
#define HV_SLICE_NS (10ull * 1000 * 1000)
#define HV_SLICE_GRACE_NS (5ull * 1000 * 1000)

/* g has used a slice (the platform's accounting says so). Returns 1 when
 * the platform must preempt g now (it has no slice-end upcall), 0 when g
 * got its upcall and its grace (the deadline ends it). g's context. */
int hv_slice_end(struct hv_guest *g);

/* EXO_HC_YIELD, from hv_exit. */
void hv_slice_yield(struct hv_guest *g);

/* The frame f of g is leaving it: if it holds g's pending set, the
 * doorbell is off. Pool lock held. */
void hv_doorbell_frame_gone(struct hv_guest *g, uint64_t f);

/* Owner of frame f, or HV_FRAME_FREE; f must be < nframes. */
uint32_t hv_frame_owner(const struct hv_pool *pool, uint64_t f);

/* --- check.c: every guest-supplied value goes through these --- */

/* 0 if frame f exists and g owns it; else -ERANGE or -EPERM. */
int hv_check_frame(const struct hv_guest *g, uint64_t f);

/* 0 if [gpa, gpa+len) does not overflow and g owns every frame of it.
 * Inline, with hv_gpa_ptr, so that a hypercall's fixed-size block is
 * checked without a call (EXO_HC_INFO's round trip, docs/limits.md). */
static inline int hv_check_gpa(const struct hv_guest *g, uint64_t gpa, uint64_t len)
{
	const struct hv_pool *p = g->pool;
	uint64_t after; /* one past the range (not "end": exit.c has a function so named) */
	if (__builtin_add_overflow(gpa, len, &after))
		return -EXO_EFAULT;
	if (len == 0) { /* still a pointer the caller may be handed: its frame must be g's */
		if (gpa >= p->nframes * EXO_PAGE_SIZE)
			return -EXO_EFAULT;
		after = gpa + 1;
	}
	if (after > p->nframes * EXO_PAGE_SIZE)
		return -EXO_EFAULT;
	uint64_t first = gpa >> EXO_PAGE_SHIFT, last = (after - 1) >> EXO_PAGE_SHIFT;
	if (len <= EXO_PAGE_SIZE) /* a block: its first frame and its last, maybe the same */
		return p->owner[first] == g->id && p->owner[last] == g->id ? 0 : -EXO_EFAULT;
	for (uint64_t f = first; f <= last; f++)
		if (p->owner[f] != g->id)
			return -EXO_EFAULT;
	return 0;
}

/* The only way from a guest address to a host pointer: checked as above,
 * NULL when the check fails. */
static inline void *hv_gpa_ptr(const struct hv_guest *g, uint64_t gpa, uint64_t len)
{
	if (hv_check_gpa(g, gpa, len) < 0)
		return NULL;
	return g->pool->host + gpa;
}

/* Copy from / to guest memory through hv_gpa_ptr. 0 or -EFAULT. */
int hv_copy_from_guest(const struct hv_guest *g, void *dst, uint64_t gpa,
		       uint64_t len);
int hv_copy_to_guest(const struct hv_guest *g, uint64_t gpa, const void *src,
		     uint64_t len);

/* --- hypercall.c --- */

/* Run call nr with the block at block_gpa for g; the result goes to the
 * guest's rax. Ends g (g->end) for EXO_HC_EXIT, EXO_HC_FAULT and protocol
 * violations; the platform stops running g when g->end is set. A WAIT
 * sets g->blocked instead: see hv_exit. */
int64_t hv_hypercall(struct hv_guest *g, uint32_t nr, uint64_t block_gpa);

/* --- exit.c: what a VM exit means, decided once for every platform --- */

/* A VM exit as the platform saw it, in platform-neutral terms. */
enum hv_exit_type {
	HV_XT_IO,        /* port I/O: port, size (bytes), in, string, value */
	HV_XT_GPA,       /* an access to a GPA the EPT does not allow: gpa
			    (HV_GPA_UNKNOWN if the host cannot say), write */
	HV_XT_HALT,      /* hlt */
	HV_XT_SHUTDOWN,  /* triple fault */
	HV_XT_EMULATION, /* the host cannot run an instruction in guest ring 0 */
	HV_XT_FAILED,    /* the platform could not run the guest: what, code */
};
#define HV_GPA_UNKNOWN (~0ull)
struct hv_exit {
	enum hv_exit_type type;
	uint64_t rip;
	uint16_t port;
	uint8_t size, in, string;
	uint32_t value;       /* an out's value (eax for a hypercall) */
	uint64_t gpa;
	uint8_t write;
	const char *what;     /* HV_XT_FAILED: the platform's words */
	uint64_t code;        /* HV_XT_FAILED: its number */
};

/* What hv_exit decided. */
enum hv_next {
	HV_NEXT_ENDED,   /* g->end is set, the report printed: stop running g */
	HV_NEXT_RESUME,  /* resume g (for a hypercall, with *rax) */
	HV_NEXT_BLOCKED, /* g waits (EXO_DB_WAIT): do not run it until
			    g->blocked is 0 (hv_plat_wake, or hv_guest_deadline
			    after hv_plat_deadline), then resume it with rax =
			    g->wake_rax */
	HV_NEXT_YIELD,   /* g gives up the CPU (EXO_HC_YIELD): let the other
			    guests run, then resume it with *rax */
};

/* Account exit e of g, run it (a hypercall) or end g with a one-line report
 * naming what it did and where. Called in g's context. */
enum hv_next hv_exit(struct hv_guest *g, const struct hv_exit *e, uint64_t *rax);

/* After g ended: the report of how (the guest's fault report with its
 * registers, an exit status out of range), through hv_plat_notice. */
void hv_report_end(struct hv_guest *g);

/* One line about g, "TEXT" formatted as hv_snprintf does, through
 * hv_plat_notice. */
void hv_report(struct hv_guest *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --- parse.c: the words of a command line both platforms accept --- */

/* "4096", "64K", "64M", "64MiB", "1G": bytes, a positive multiple of the
 * page size. 0, or -1 with *why set. */
int hv_parse_size(const char *s, uint64_t *bytes, const char **why);

/* "auto", "0", "3": an EXO_RING_*. 0 or -1. */
int hv_parse_ring(const char *s, uint32_t *ring);

/* --- fmt.c: hv's one formatter --- */

/* snprintf for hv: %s %c %d %u %x %p, l and ll, a width, 0-padding. The
 * result is always NUL-terminated; returns the length written. */
int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hv_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- forward.c: EXO_HC_FORWARD, checked here, run by the platform --- */

/* One forwarded call after hv/core checked it: arg[] as the guest gave
 * them; for each pointer argument, ptr[i] is a host pointer (to hv's own
 * copy of a path or small struct, or to a checked guest buffer of len[i]
 * bytes) and arg[i] is meaningless. Out-structs are hv's copies, written
 * back to the guest when the call returns >= 0. */
struct hv_fwd {
	uint32_t nr;
	int64_t arg[6];
	void *ptr[6];
	uint64_t len[6];
};

/* The name of forwarded call nr, or NULL if hv does not run it. */
const char *hv_fwd_name(uint64_t nr);

/* EXO_HC_FORWARD for g: the batch at block_gpa. hypercall.c's entry. */
int64_t hv_forward(struct hv_guest *g, uint64_t block_gpa);

/* --- elf.c: guest image validation --- */

#define HV_SEGS_MAX 16
struct hv_segment {
	uint64_t vaddr, memsz, filesz, offset;
	uint32_t flags; /* HV_SEG_W, HV_SEG_X */
};
#define HV_SEG_W 1u
#define HV_SEG_X 2u

enum hv_image_kind {
	HV_IMAGE_GUEST,   /* linked with guestlib (its ELF note): booted as is */
	HV_IMAGE_PROGRAM, /* any other static executable: run under posix-shim */
};

struct hv_image {
	enum hv_image_kind kind;
	int pie;         /* ET_DYN (static-pie): the loader picks the base */
	uint64_t entry;
	uint64_t lo, hi; /* page-aligned span of all segments */
	unsigned nsegs;
	struct hv_segment seg[HV_SEGS_MAX];
};

/* Validate an ELF64 x86-64 static executable of len bytes: a guest image
 * (guestlib's note; segments in the image window) or a program (ET_EXEC in
 * the lower half, or static-pie). A dynamically linked one is refused with
 * a reason that says to link with -static. 0, or -1 with *why set to a
 * one-line reason. */
int hv_elf_parse(const uint8_t *buf, uint64_t len, struct hv_image *img,
		 const char **why);
/* How much of a file, from its start, hv_elf_parse reads, learnt from its
 * first n bytes: 0 with *need the bytes wanted next (the ELF header, then
 * the program headers, then every segment's file bytes: read up to *need
 * and ask again while *need > n), or -1 with *why as soon as the header
 * says it is no image. A platform reads no more than that (a huge file
 * that is not an image is refused after its first bytes). */
int hv_elf_need(const uint8_t *buf, uint64_t n, uint64_t *need, const char **why);

/* --- boot.c: the guest's first address space --- */

struct hv_boot {
	uint64_t entry, cr3, rdi;
	uint64_t need_frames; /* image plus page tables, set even on -ENOMEM */
};

/* What a guest starts with besides its image: argv, the environment
 * (for a library OS that wants one) and an optional payload, bytes loaded
 * into contiguous frames of the guest (a program for posix-shim). */
struct hv_boot_args {
	int argc;
	char *const *argv;
	int envc;
	char *const *envp;
	const uint8_t *payload;
	uint64_t payload_bytes;
};

/* Load img (bytes in buf) into frames of g, build page tables, fill the exo
 * page with args. g must be in the guest table (hv_guest_add). 0, or
 * -ENOMEM (over the cap / pool) or -E2BIG (arguments) with *why set. */
int hv_boot_load(struct hv_guest *g, const struct hv_image *img,
		 const uint8_t *buf, const struct hv_boot_args *args,
		 struct hv_boot *boot, const char **why);

/* --- end.c: how a run ends --- */

/* The exit status of `exo run` for a guest that stopped. */
int hv_end_status(const struct hv_guest *g);

/* Names, for reports and --stats. */
const char *hv_exit_kind_name(enum hv_exit_kind k);
const char *hv_hypercall_name(uint32_t nr);
const char *hv_vector_name(uint64_t vector);

/* --- implemented by each platform (hv/kvm/plat.c, hv/metal/plat.c) --- */

/* The pool lock (see the top of this file). Not recursive; hv/core never
 * calls a platform function that takes it again. */
void hv_plat_lock(struct hv_pool *pool);
void hv_plat_unlock(struct hv_pool *pool);

/* Make frames [first, first+n) visible to g at their own GPAs, writable
 * or read-only (a grant), replacing any earlier binding of them in g.
 * 0 or -EXO_ENOMEM (nothing bound then). */
int hv_plat_bind(struct hv_guest *g, uint64_t first, uint64_t n, int writable);

/* Take frames [first, first+n) away from g: when this returns, g can no
 * longer read or write them (its EPT entries are gone and flushed, on
 * every CPU). The frames' bytes are untouched: another guest may still
 * see them (a grant). Cannot fail (a platform that cannot unbind stops
 * hv: a frame visible to a guest that lost it is a breach). */
void hv_plat_unbind(struct hv_guest *g, uint64_t first, uint64_t n);

/* Zero frames [first, first+n): called when no guest has them bound,
 * before they can change owner. */
void hv_plat_scrub(struct hv_pool *pool, uint64_t first, uint64_t n);

/* Raise vector (32..255) in g as an external interrupt, delivered the next
 * time g runs with interrupts enabled; one still undelivered absorbs it.
 * From any thread, pool lock held; makes g's vCPU leave guest mode if it
 * is running so that it sees the interrupt on time (hv_plat_kick). */
void hv_plat_inject(struct hv_guest *g, uint32_t vector);

/* Make g's vCPU leave guest mode soon (kvm: immediate_exit and a signal
 * to its thread; metal: nothing, as no guest is in guest mode while hv
 * runs on its one CPU). From any thread, lock held or not; nothing if g
 * is not running. */
void hv_plat_kick(struct hv_guest *g);

/* g's vCPU waits (g->blocked, HV_NEXT_BLOCKED) and should run again:
 * pool lock held. */
void hv_plat_wake(struct hv_guest *g);

/* Call hv_guest_deadline(g) in g's context once ns nanoseconds from now
 * have passed, whether g runs or waits; a later call replaces the
 * deadline, ns 0 cancels it. From any thread, pool lock held. */
void hv_plat_deadline(struct hv_guest *g, uint64_t ns);

/* Nanoseconds on a clock that only goes forward (the deadlines' clock). */
uint64_t hv_plat_now_ns(void);

/* Raise exception vector (< 32, no error code) in g before it runs its
 * next instruction, whatever its interrupt flag (EXO_VEC_ABORT). Called
 * in g's context (it is not in guest mode). */
void hv_plat_exception(struct hv_guest *g, uint32_t vector);

/* Write len bytes of guest console output (already copied out of the guest). */
void hv_plat_console(struct hv_guest *g, const char *buf, uint64_t len);

/* Print "exo: TEXT" as one line where exo reports (stderr on kvm), with
 * g's name when several guests run; text has no control characters and at
 * most HV_REPORT_MAX bytes. g may be NULL (hv's own words). */
#define HV_REPORT_MAX 320u
void hv_plat_notice(struct hv_guest *g, const char *text);

/* Run one checked forwarded call on the host (see struct hv_fwd): the
 * result or a negative Linux errno. A platform without a host file system
 * (metal) serves what it can (writes to 1 and 2) and -ENOSYS otherwise. */
int64_t hv_plat_forward(struct hv_guest *g, const struct hv_fwd *c);

/* hv found its own state inconsistent (a bug in hv): report and stop
 * everything. Does not return. */
__attribute__((noreturn)) void hv_plat_panic(const char *why);

/* hv_exit_hypercall and EXO_HC_INFO, inline (after hv_exit's types). */
#include "hcfast.h"

#endif
