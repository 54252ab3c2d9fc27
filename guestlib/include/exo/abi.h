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

#define EXO_ABI_VERSION 1u

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
#define EXO_HC_COUNT 6u         /* calls defined; ports above are EXO_ENOSYS */
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
 * EXO_HC_FRAME_ALLOC / EXO_HC_FRAME_RELEASE: count frame numbers in a
 * vector of u64 at vec_gpa. ALLOC with EXO_FA_ANY fills the vector with the
 * frames hv chose; with EXO_FA_NAMED the vector names the frames wanted.
 * Calls are all or nothing: on failure nothing changed and bad_index is
 * the index of the first offending entry (or count if none is to blame).
 */
#define EXO_FA_ANY 0u
#define EXO_FA_NAMED 1u
struct exo_hc_frames {
	uint64_t vec_gpa;
	uint32_t count;
	uint32_t flags;
	uint64_t bad_index; /* out */
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
/* PML4 slot 273, where Linux keeps its direct map: the development hosts'
 * paravirtual KVM (PVM) leaves slot 256 unreachable from guest ring 3. */
#define EXO_PHYSMAP_BASE 0xffff888000000000ull
#define EXO_IMAGE_MIN 0xffffffff80000000ull

/*
 * The exo page: hv's read-only page in every guest, at GPA exo_page_gpa
 * (just past the pool). The ownership bitmap follows it: bit n set when
 * frame n is owned by this guest. hv updates both on every allocation and
 * release; a guest write to them ends the guest.
 */
#define EXO_PAGE_MAGIC 0x65786f7061676531ull /* "exopage1" */
#define EXO_ARGS_BYTES 3072u
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
	char args[EXO_ARGS_BYTES]; /* argv strings, each NUL-terminated */
};

/* exo_page.flags */
#define EXO_PAGE_F_STATS 1u /* the user asked for --stats: say what you chose */

/* exo_page.ring_request: `exo run --ring`. The library OS decides; hv only
 * passes the user's wish on. */
#define EXO_RING_0 0u
#define EXO_RING_3 3u
#define EXO_RING_AUTO 0xffu

#endif
