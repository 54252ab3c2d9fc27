/*
 * hv/core/core.h: the interface every platform (kvm/, metal/) builds on.
 *
 * hv/core is platform-free C: it owns the frame pool's ownership table,
 * the checks every guest-supplied value goes through, the hypercall
 * dispatch, ELF image validation and the guest's boot-time address space.
 * It includes nothing from Linux or KVM. What differs per platform (binding
 * a frame into a guest's EPT, writing to the console) is declared at the end
 * as hv_plat_* and implemented once per platform.
 *
 * Frame-level functions return 0 (or a count) on success and -EXO_E* on
 * failure; they never leave a half-done change behind.
 */
#ifndef HV_CORE_H
#define HV_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "exo/abi.h"

#define HV_FRAME_FREE 0u

/* The pool: every frame, who owns it, and hv's own view of its bytes. */
struct hv_pool {
	uint64_t nframes;
	uint64_t nfree;
	uint32_t *owner;  /* nframes entries, HV_FRAME_FREE or a guest id */
	uint8_t *host;    /* hv's mapping of frame 0; frame n at host + n*4096 */
	uint64_t scan;    /* no free frame below it: "any" allocations start here */
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
	uint64_t exits[HV_EXIT_KINDS];
	uint64_t hypercalls[EXO_HC_COUNT + 1]; /* last slot: unknown numbers */
	uint64_t forwarded;                    /* host calls run for EXO_HC_FORWARD */
};

/* One guest context as hv/core sees it. */
struct hv_guest {
	struct hv_pool *pool;
	uint32_t id;               /* owner id in the pool, never HV_FRAME_FREE */
	uint64_t cap_frames;       /* most frames it may own at once */
	uint64_t owned;
	struct exo_page *exo;      /* hv's writable view of the guest's exo page */
	uint8_t *bitmap;           /* hv's view of the ownership bitmap */
	uint64_t exo_gpa;          /* where the guest sees the exo page */
	enum hv_end end;
	uint64_t exit_status;      /* HV_END_EXIT: the guest's status */
	uint32_t exit_signal;      /* HV_END_EXIT: killed by this signal (0: none) */
	uint64_t end_gpa, end_rip; /* HV_END_UNOWNED / _PROTOCOL: where and what */
	struct exo_hc_fault fault; /* HV_END_FAULT: the guest's report */
	struct hv_stats stats;
	void *plat;                /* the platform's per-guest state */
};

/* --- frames.c: the ownership table --- */

/* Set up pool over nframes frames; owner must hold nframes zeroed entries. */
void hv_pool_init(struct hv_pool *pool, uint64_t nframes, uint32_t *owner,
		  uint8_t *host);

/* Attach guest g (id != 0, unique) to pool with a cap of cap_frames. */
void hv_guest_init(struct hv_guest *g, struct hv_pool *pool, uint32_t id,
		   uint64_t cap_frames);

/* Give g any n frames (lowest free first), numbers into out[]. -ENOMEM. */
int hv_frames_alloc_any(struct hv_guest *g, uint64_t n, uint64_t *out);

/* Give g n contiguous frames starting at *first. -ENOMEM if no such run. */
int hv_frames_alloc_contig(struct hv_guest *g, uint64_t n, uint64_t *first);

/* Give g the n frames named in want[] (page colouring). -ERANGE, -EBUSY
 * (owned, by anyone), -EINVAL (named twice), -ENOMEM (cap); *bad = index. */
int hv_frames_alloc_named(struct hv_guest *g, uint64_t n, const uint64_t *want,
			  uint64_t *bad);

/* Take back from g the n frames in frames[]. -ERANGE, -EPERM (not g's,
 * including a frame named twice); *bad = index. The frames read zero when
 * next handed out (the platform's unbind guarantees it). */
int hv_frames_release(struct hv_guest *g, uint64_t n, const uint64_t *frames,
		      uint64_t *bad);

/* Take back every frame g owns (the guest has ended). */
void hv_guest_release_all(struct hv_guest *g);

/* Owner of frame f, or HV_FRAME_FREE; f must be < nframes. */
uint32_t hv_frame_owner(const struct hv_pool *pool, uint64_t f);

/* --- check.c: every guest-supplied value goes through these --- */

/* 0 if frame f exists and g owns it; else -ERANGE or -EPERM. */
int hv_check_frame(const struct hv_guest *g, uint64_t f);

/* 0 if [gpa, gpa+len) does not overflow and g owns every frame of it. */
int hv_check_gpa(const struct hv_guest *g, uint64_t gpa, uint64_t len);

/* The only way from a guest address to a host pointer: checked as above,
 * NULL when the check fails. */
void *hv_gpa_ptr(const struct hv_guest *g, uint64_t gpa, uint64_t len);

/* Copy from / to guest memory through hv_gpa_ptr. 0 or -EFAULT. */
int hv_copy_from_guest(const struct hv_guest *g, void *dst, uint64_t gpa,
		       uint64_t len);
int hv_copy_to_guest(const struct hv_guest *g, uint64_t gpa, const void *src,
		     uint64_t len);

/* --- hypercall.c --- */

/* Run call nr with the block at block_gpa for g; the result goes to the
 * guest's rax. Ends g (g->end) for EXO_HC_EXIT, EXO_HC_FAULT and protocol
 * violations; the platform stops running g when g->end is set. */
int64_t hv_hypercall(struct hv_guest *g, uint32_t nr, uint64_t block_gpa);

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

/* --- boot.c: the guest's first address space --- */

/* Bytes of the exo area (exo page + ownership bitmap) for nframes. */
uint64_t hv_exo_area_bytes(uint64_t nframes);

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
 * page with args. g->exo, g->bitmap and g->exo_gpa must be set. 0, or
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

/* --- implemented by each platform --- */

/* Make frames [first, first+n) of g visible to it / take them away. After
 * unbind the frames must read zero when next bound. 0 or -ENOMEM. */
int hv_plat_bind(struct hv_guest *g, uint64_t first, uint64_t n);
void hv_plat_unbind(struct hv_guest *g, uint64_t first, uint64_t n);

/* Write len bytes of guest console output (already copied out of the guest). */
void hv_plat_console(struct hv_guest *g, const char *buf, uint64_t len);

/* Print "exo: TEXT" as one line where exo reports (stderr on kvm); text is
 * hv's sanitised copy, no control characters, at most EXO_NOTICE_MAX. */
void hv_plat_notice(struct hv_guest *g, const char *text);

/* Run one checked forwarded call on the host (see struct hv_fwd): the
 * result or a negative Linux errno. A platform without a host file system
 * (metal) serves what it can (writes to 1 and 2) and -ENOSYS otherwise. */
int64_t hv_plat_forward(struct hv_guest *g, const struct hv_fwd *c);

/* hv found its own state inconsistent (a bug in hv): report and stop
 * everything. Does not return. */
__attribute__((noreturn)) void hv_plat_panic(const char *why);

#endif
