/* SPDX-License-Identifier: MIT */
/*
 * exo/exo.h: what guestlib gives every guest.
 *
 * guestlib's entry sets up the CPU (GDT, IDT, TSS), parses argv out of the
 * exo page and calls main(argc, argv); main's return value is the guest's
 * exit status. Everything here runs in guest ring 0 and is built without
 * SSE (-mgeneral-regs-only), so it never touches the application's FPU state.
 */
#ifndef EXO_EXO_H
#define EXO_EXO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "exo/abi.h"

int main(int argc, char **argv);

/* The exo page (read-only). */
const struct exo_page *exo_page(void);

/* Guest-physical address of a guest virtual address: by subtraction in
 * the image and the direct map, through the page tables elsewhere;
 * EXO_GPA_NONE where nothing is mapped. hv reads a block or vector as one
 * GPA range, so one outside the image and the direct map must lie within
 * a page: exo_gpa_contiguous says whether p's whole region is contiguous.
 * guestlib's own blocks are static, in the image. */
#define EXO_GPA_NONE (~(uint64_t)0)
uint64_t exo_gpa(const void *p);
int exo_gpa_contiguous(const void *p);

/* Where frame f is readable and writable through the direct map. */
static inline void *exo_frame_ptr(uint64_t f)
{
	return (void *)(uintptr_t)(EXO_PHYSMAP_BASE + (f << EXO_PAGE_SHIFT));
}

/* 1 if the exo page's ownership bitmap says this guest owns frame f. */
int exo_owns(uint64_t f);

/* What other guests grant this one, from the exo page's grant bitmaps
 * (hv updates them before a grant or revocation call returns to the
 * grantor): 1 if frame f is granted to this guest (exo_granted, read-only
 * or read-write) / granted read-write (exo_granted_rw). A granted frame is
 * seen at its own GPA, exo_frame_ptr(f), and may vanish at any moment (its
 * owner revokes it or ends): touching it after that ends this guest. */
int exo_granted(uint64_t f);
int exo_granted_rw(uint64_t f);
/* The lowest frame >= from granted to this guest (read-write ones only if
 * rw), or EXO_FRAME_NONE. Skips empty words: a pool's worth is cheap. */
#define EXO_FRAME_NONE (~(uint64_t)0)
uint64_t exo_granted_next(uint64_t from, int rw);

/* What hv took by abort and what it never takes (the Revocation block of
 * abi.h): 1 if frame f is set in the exo page's repossession bitmap (hv
 * took it; the bit clears when the frame is this guest's again) /
 * pinned bitmap (hv loaded it at boot: the image and its first page
 * tables). exo_repossessed_next: the lowest repossessed frame >= from, or
 * EXO_FRAME_NONE, a word at a time like exo_granted_next. */
int exo_repossessed(uint64_t f);
int exo_pinned(uint64_t f);
uint64_t exo_repossessed_next(uint64_t from);

/* This guest's id (1..EXO_GUESTS_MAX-1, what the others' grants and
 * doorbells name it by) and its name, as given on exo's command line. */
uint32_t exo_guest_id(void);
const char *exo_name(void);

/* Hypercalls: >= 0 on success, -EXO_E* on failure. */
int64_t exo_hypercall(unsigned nr, void *block);
int64_t exo_hypercall_gpa(unsigned nr, uint64_t block_gpa); /* raw, unchecked */
int64_t exo_console_write(const char *buf, size_t len);
__attribute__((noreturn)) void exo_exit(int status);
int64_t exo_frames_alloc(uint64_t *vec, uint32_t n, uint32_t flags, uint64_t *bad_index);
int64_t exo_frames_release(const uint64_t *vec, uint32_t n, uint64_t *bad_index);
int64_t exo_info(struct exo_hc_info *info);
const char *exo_strerror(int64_t err);
/* exo_frames_alloc's flags: EXO_FA_ANY or EXO_FA_NAMED, and with ANY
 * EXO_FA_NOWAIT (-EXO_EAGAIN at once, rather than waiting while hv
 * revokes frames from others; abi.h). */

/* EXO_HC_FORWARD: run the n host calls of vec (which must lie in the image
 * or the direct map, like a frame vector) in order; each one's result goes
 * into its ret. The number that ran, or -EXO_E*. */
int64_t exo_forward(struct exo_fwd *vec, uint32_t n, uint32_t flags);

/* Run fn (one, or NULL for none) just before exo_exit ends the guest: a
 * library OS's last words under --stats. Returns the one it replaces, so
 * a second library can call it in turn. */
typedef void (*exo_exit_hook)(void);
exo_exit_hook exo_on_exit(exo_exit_hook fn);

/*
 * Revocation and CPU slices (abi.h, "Revocation").
 *
 * exo_upcall_setup(revoke_vector, slice_vector) names the vectors (32..255,
 * or 0 for none) hv raises a revocation request and a slice end on; pass
 * EXO_UPCALL_KEEP to leave one as it is (a library OS sets the first, an
 * application the second). Install each vector's handler (exo_trap_set)
 * first: hv may raise it as soon as the call returns. Both vectors are
 * taken on an interrupt stack of guestlib's own (so a ring-0 application's
 * red zone survives them), and both arrive only while the guest runs with
 * interrupts on and unmasked (exo_mask below). 0 or -EXO_EINVAL.
 *
 * exo_yield() gives up the CPU (EXO_HC_YIELD): what a slice-end upcall
 * asks for, within exo_page()->slice_grace_ns; it returns 0 when this guest
 * runs again. It may be called at any time.
 *
 * The abort exception, EXO_VEC_ABORT, is an exception like any other:
 * exo_trap_set(EXO_VEC_ABORT, h) takes it (no error code; frame->vector is
 * 20). hv raises it whatever the interrupt flag or mask, so its handler
 * runs inside whatever it interrupted, on a stack of its own: it must
 * drop every use of the frames the repossession bitmap names before it
 * returns, and make no hypercall if exo_mask_depth says a stub was
 * interrupted (it may be this handler's stub's block). Without a handler
 * it is reported like any unhandled exception, which ends the guest.
 */
#define EXO_UPCALL_KEEP (~0u)
int64_t exo_upcall_setup(uint32_t revoke_vector, uint32_t slice_vector);
int64_t exo_yield(void);

/*
 * Interrupts off, in software (guestlib/src/mask.c). Ring 3 cannot clear
 * RFLAGS.IF, so a guest that runs with interrupts on (a library OS's
 * application code, for upcalls) masks them with a count instead: while
 * exo_mask_depth is not 0, an interrupt (vectors 32-255) is not handled
 * where it arrives; its vector is recorded and exo_unmask, when the count
 * comes back to 0, runs its handler in the caller's context and ring
 * (with a frame that has only the vector). guestlib's hypercall stubs
 * mask themselves, so a handler never runs in the middle of one and may
 * make any hypercall; a library OS masks its own bookkeeping the same
 * way. Handlers themselves run masked. Exceptions are never deferred.
 * The count need not change atomically: an interrupt handler leaves it
 * as it found it.
 */
extern volatile uint32_t exo_mask_depth;
extern volatile uint32_t exo_deferred_any; /* some vector waits for exo_unmask */
void exo_run_deferred(void);

static inline void exo_mask(void)
{
	/* One instruction, where ++ on a volatile is a load, add and store:
	 * every fault and vm call pays it. */
	__asm__ volatile("incl %0" : "+m"(exo_mask_depth) : : "memory");
}

static inline void exo_unmask(void)
{
	__asm__ volatile("" ::: "memory");
	if (--exo_mask_depth == 0 && exo_deferred_any)
		exo_run_deferred();
}

/*
 * Sharing between guests (EXO_HC_GRANT, EXO_HC_LOOKUP). exo_grant applies
 * op (EXO_GRANT_RO, EXO_GRANT_RW, EXO_GRANT_REVOKE) to the n frames in
 * frames[], all owned by this guest, for guest grantee: n or -EXO_E*, all
 * or nothing, and *bad_index (if not NULL) the entry to blame on failure
 * (n if none is). frames[] must lie in the image or the direct map, like
 * exo_frames_alloc's vector. exo_lookup: the id of the running guest
 * named name, or -EXO_ENOENT (none), -EXO_EINVAL (empty), -EXO_E2BIG
 * (longer than EXO_NAME_MAX). An id names its guest until that guest
 * ends; a guest started later may get it again. A grant or ring to a
 * guest that has ended is -EXO_ENOENT, a revocation included: its grants
 * went with it.
 */
int64_t exo_grant(uint32_t grantee, const uint64_t *frames, uint32_t n, uint32_t op,
		  uint64_t *bad_index);
int64_t exo_lookup(const char *name);
/* exo_lookup, retried while it says -EXO_ENOENT, each time after
 * exo_doorbell_wait(1 ms), for about timeout_ns: guests on one command
 * line start at once, and a peer may not be running yet. */
int64_t exo_lookup_wait(const char *name, uint64_t timeout_ns);

/*
 * Doorbells (EXO_HC_DOORBELL): another guest that shares a frame with this
 * one (a grant either way) rings it; each ring sets the ringer's bit in
 * this guest's pending set and raises its vector.
 *
 * exo_doorbell_setup(vector, handler) takes doorbells on vector (32..255;
 * 0 turns them off). guestlib owns the pending set (EXO_GUESTS_MAX bits in
 * its image) and the vector's IDT entry; handler (NULL: none) is called
 * with the id of each guest that rang, once per bit taken from the set.
 * The set is taken with an atomic exchange, a word at a time, so a ring
 * is reported exactly once whoever takes it: exo_doorbell_poll, which
 * both ways of delivery below call.
 *
 * Two ways to take rings; guestlib leaves interrupts disabled, so the
 * first is the default (libos/vm turns them on for application code, so
 * there the second is):
 *
 *  - Synchronous, interrupts off: exo_doorbell_wait(timeout_ns) blocks in
 *    hv until a ring arrives (1) or timeout_ns passes (0; 0 ns does not
 *    block), and on 1 calls exo_doorbell_poll: the handler runs in the
 *    caller's context, before wait returns, and may make any hypercall.
 *    A return of 1 with no handler call is possible (a ring already
 *    taken by an earlier poll): callers loop on their own condition.
 *
 *  - Asynchronous: the guest enables interrupts itself (sti, e.g.
 *    exo_irq_enable) and the handler runs in interrupt context, from the
 *    vector's IDT entry, returning with iretq to whatever was
 *    interrupted; a ring that arrives while a hypercall stub or other
 *    masked code runs (exo_mask) is handled when it unmasks. Either way
 *    the handler may make hypercalls.
 *
 * exo_doorbell_ring(id): ring guest id: 0, -EXO_ENOENT (not running, or no
 * doorbell set up yet), -EXO_EPERM (no frame shared between the two),
 * -EXO_EINVAL (id is this guest).
 */
typedef void (*exo_doorbell_handler)(uint32_t from);
int64_t exo_doorbell_setup(unsigned vector, exo_doorbell_handler handler);
int64_t exo_doorbell_ring(uint32_t id);
int64_t exo_doorbell_wait(uint64_t timeout_ns);
/* Take the pending set and call the handler for each guest in it; the
 * number of guests taken. */
int exo_doorbell_poll(void);

/* Interrupts on (sti) / off (cli), in ring 0; exo_irq_disable returns
 * whether they were on. */
static inline void exo_irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline int exo_irq_disable(void)
{
	uint64_t flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return (flags >> 9) & 1;
}

/* Traps: the frame the exception and interrupt stubs build. guestlib's
 * IDT covers every vector: exceptions 0-31 from the start, an interrupt
 * (32-255) once a handler is set for it (exo_trap_set, exo_idt_set); an
 * interrupt on a vector without one arrives as #NP (error code vector * 8
 * + 2) and ends the guest with the usual report. */
#define EXO_VECTORS 256u
struct exo_trap_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Assembly (guestlib's stubs, libos/vm's and posix-shim's entries) uses
 * these offsets; exo/frame.h has the register order. */
_Static_assert(sizeof(struct exo_trap_frame) == 176, "exo_trap_frame's size");
_Static_assert(__builtin_offsetof(struct exo_trap_frame, vector) == 120, "vector");
_Static_assert(__builtin_offsetof(struct exo_trap_frame, error_code) == 128, "error_code");
_Static_assert(__builtin_offsetof(struct exo_trap_frame, rip) == 136, "rip");
_Static_assert(__builtin_offsetof(struct exo_trap_frame, cs) == 144, "cs");
_Static_assert(__builtin_offsetof(struct exo_trap_frame, rflags) == 152, "rflags");
_Static_assert(__builtin_offsetof(struct exo_trap_frame, rsp) == 160, "rsp");
_Static_assert(__builtin_offsetof(struct exo_trap_frame, ss) == 168, "ss");

/* A handler returns 1 if it dealt with the exception (execution resumes at
 * frame->rip, which it may change), 0 to fall through to the report that
 * ends the guest. */
typedef int (*exo_trap_handler)(struct exo_trap_frame *frame);
/* Install h for vector (0..EXO_VECTORS-1; NULL: none); returns the
 * handler it replaces, so a library that borrows a vector for a moment
 * can give it back. An interrupt's frame has error_code 0; one deferred
 * by exo_mask has only its vector (rip, cs and the rest are 0). */
exo_trap_handler exo_trap_set(unsigned vector, exo_trap_handler h);
/* Replace guestlib's entry stub for vector with a library OS's own (NULL
 * restores guestlib's). The stub receives the raw CPU frame; guestlib's
 * stub for a vector is exo_vector_N, where a stub may pass on what it
 * does not handle. */
void exo_idt_set(unsigned vector, void (*entry)(void));
/* Take vector on an exception stack of guestlib's (IST) rather than the
 * interrupted one, or stop doing so. For ring-0 application code that
 * keeps data below its stack pointer (the x86-64 ABI's red zone), which
 * the CPU's exception frame would overwrite, and whose stack may not be
 * mapped yet. One stack for all such vectors: their handlers must not
 * fault into each other. EXO_VEC_ABORT, which may arrive inside any of
 * them, has a stack of its own, and so do the upcall vectors
 * (exo_upcall_setup). */
void exo_idt_ist(unsigned vector, int on);
/* Report an exception to hv, which ends the guest. */
__attribute__((noreturn)) void exo_trap_report(const struct exo_trap_frame *f, uint64_t cr2);

/*
 * Ring crossing. Application code may run in ring 3 (a library OS's
 * choice); from there `out` faults. A hypercall made in ring 3 is
 * recognised in the #GP handler and made from ring 0: one extra trap, no
 * extra exit, the same stubs in both rings. Code in the guest is one
 * protection domain: ring 3 here is about where application code runs
 * fast, not about isolation, which hv provides.
 */

/* Selectors of guestlib's GDT, for library OSes entering ring 3. */
#define EXO_SEL_KCODE 0x08
#define EXO_SEL_KDATA 0x10
#define EXO_SEL_UDATA 0x23
#define EXO_SEL_UCODE 0x2b

/* The time-stamp counter and CPUID (leaf, subleaf) into r[] = eax, ebx,
 * ecx, edx: both work in either ring. */
static inline uint64_t exo_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void exo_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t exo_read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/* Console output: a printf for ring 0 (%d %i %u %x %X %p %s %c %%, with
 * flags 0 and -, a width, and the l, ll, z and h length modifiers). One
 * console hypercall per 256 bytes; returns 0 or a negative EXO_E* code. */
int exo_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int exo_vprintf(const char *fmt, va_list ap);
int exo_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int exo_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int exo_puts(const char *s);
/* One line on exo's stderr, "exo: " and the text (at most EXO_NOTICE_MAX
 * bytes, no newline needed): what a library OS says to the user, kept
 * apart from the application's own output. 0 or a negative EXO_E* code. */
int exo_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The freestanding C runtime (compilers also emit calls to these). */
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
