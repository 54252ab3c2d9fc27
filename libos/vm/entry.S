/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/entry.S: the #PF gates: ring-0 mode's, and ring-3 mode's, which
 * hands faults from ring 3 back to ring 3.
 *
 * In ring-3 mode libos/vm installs vm_pf_entry as the #PF gate. A fault
 * from ring 0 goes on to guestlib's ordinary entry. A fault from ring 3 is
 * turned around in 17 ring-0 instructions: CR2 and what the CPU pushed
 * (error code, RIP, RFLAGS) are put aside in upf_*, and iretq resumes ring
 * 3 at vm_upf_entry, on the faulting stack. There, in ring 3, the frame
 * (a struct exo_trap_frame) is built on the fault stack, the fault is
 * dispatched natively, and the faulting instruction is resumed without
 * going back through ring 0. Everything that can be done in ring 3 is:
 * where the frame goes, the copying.
 *
 * The fault stack is in the image, so it is always mapped: the library
 * and its handlers never fault on their own stack. Running them on the
 * faulting stack instead would let a handler's stack growth fault into
 * the library while it is inside itself (taking a frame from its free
 * list, say), and hand the same frame out twice. A fault taken on the
 * fault stack (a handler touching protected memory) nests below the
 * handler's frames. Ring 0 runs as little as possible because on hosts
 * that emulate guest ring 0 each instruction there costs about 0.6 us.
 *
 * The same entry serves as the TLB gate: a ring-3 load from VM_GATE_VA
 * (never mapped) with rdi = va and rsi = pages flushes them (rsi = 0:
 * reload CR3) and skips the 3-byte load.
 */
#include "exo/frame.h"
#include "fault_asm.h"

#define VM_GATE_VA 0x2000
#define FRAME 192 /* struct exo_trap_frame (176) + cr2, 16-aligned */
#define SEL_UCODE 0x2b
#define SEL_UDATA 0x23

#define FAULT_STACK 32768

/*
 * Every fault from the application's ring, in that ring, on its frame at
 * (%rsp) (16-aligned), with the faulting address in %rdi: dispatched, and
 * back here only to resume the faulting instruction.
 *
 * The case a collector's barrier or a DSM takes on every fault is decided
 * here, in as few instructions as it can: a mapped 4 KiB page (present,
 * or with no access) of the region the last lookup found
 * (vm_region_last), in the page table the last lookup used (vm_pt_tag,
 * vm_pt_cached: vm_leaf4k), in a region with a handler. That is no scan
 * and no walk: the handler gets its struct vm_fault, built on this stack,
 * after about 30 instructions. A spurious fault (a raise left a stale,
 * stricter TLB entry, which the fault dropped) is retried without
 * troubling it. Everything else, and a handler's VM_FAIL, goes to C
 * (fault.c). Interrupts are masked first: a revocation request must not
 * change the entry between the look and the call.
 */
.macro FAULT_DISPATCH
	cld				/* an interrupt gate keeps DF; C wants it clear */
	incl	exo_mask_depth(%rip)
	movq	vm_region_last(%rip), %rdx
	cmpq	VMR_START(%rdx), %rdi
	jb	8f
	cmpq	VMR_END(%rdx), %rdi
	jae	8f
	movq	%rdi, %rax
	shrq	$21, %rax
	cmpq	vm_pt_tag(%rip), %rax
	jne	8f
	movq	VMR_HANDLER(%rdx), %rcx
	testq	%rcx, %rcx
	jz	8f
	movl	%edi, %eax
	shrl	$12, %eax
	andl	$511, %eax
	movq	vm_pt_cached(%rip), %rsi
	movq	(%rsi,%rax,8), %rax	/* the entry */
	movq	VMF_ERROR_CODE(%rsp), %rsi
	testb	$VMA_PTE_P, %al
	jnz	5f
	testl	$VMA_PTE_PROTNONE, %eax
	jz	8f			/* not mapped: out, demand-zero or no page */
6:	incq	vm_fault_count(%rip)
	movq	%rsp, %rax
	pushq	%rax			/* struct vm_fault: regs */
	pushq	VMF_RIP+8(%rsp)		/* rip */
	pushq	%rsi			/* error_code */
	pushq	%rdi			/* addr */
	movq	%rsp, %rdi
	movq	VMR_ARG(%rdx), %rsi
	call	*%rcx
	cmpl	$VMA_RETRY, %eax
	jne	7f
	addq	$32, %rsp
	jmp	9f
5:	testb	$VMA_PF_WRITE, %sil	/* present: spurious unless it refuses the access */
	jz	1f
	testb	$VMA_PTE_W, %al
	jz	6b
1:	testb	$VMA_PF_USER, %sil
	jz	1f
	testb	$VMA_PTE_U, %al
	jz	6b
1:	testb	$VMA_PF_EXEC, %sil
	jz	1f
	testq	%rax, %rax		/* NX */
	js	6b
1:	incq	vm_fault_count(%rip)
	jmp	9f
7:	movq	24(%rsp), %rdi		/* the handler refused: the frame ... */
	movq	0(%rsp), %rsi		/* ... and the address */
	call	exo_trap_report		/* does not return */
8:	movq	%rdi, %rsi
	movq	%rsp, %rdi
	call	vm_fault		/* fault.c: everything else */
9:	decl	exo_mask_depth(%rip)
	jnz	1f
	cmpl	$0, exo_deferred_any(%rip)
	je	1f
	call	exo_run_deferred
1:
.endm

	.bss
	.balign 16
fault_stack: .skip FAULT_STACK
fault_stack_top:
	.balign 8
resume_rip: .skip 8	/* used only between restoring and jumping back */
resume_rsp: .skip 8
/* vm_pf_entry's hand-over to vm_upf_entry: what only ring 0 can read
 * (CR2) or what sits on ring 0's stack (the CPU's frame), and the two
 * registers vm_upf_entry frees before it has a stack. */
upf_cr2: .skip 8
upf_error_code: .skip 8
upf_rip: .skip 8
upf_rflags: .skip 8
upf_rax: .skip 8
upf_rsp: .skip 8

	.text
	.globl	vm_pf_entry
vm_pf_entry:
	testb	$3, 16(%rsp)		/* CS of the faulting context */
	jz	exo_vector_14
	pushq	%rax
	movq	%cr2, %rax
	cmpq	$VM_GATE_VA, %rax
	je	gate
	movq	%rax, upf_cr2(%rip)	/* the CPU frame is at 8(%rsp) */
	movq	8(%rsp), %rax
	movq	%rax, upf_error_code(%rip)
	movq	16(%rsp), %rax
	movq	%rax, upf_rip(%rip)
	movq	32(%rsp), %rax
	movq	%rax, upf_rflags(%rip)
	movq	$vm_upf_entry, 16(%rsp)	/* resume ring 3 there, on the faulting stack */
	popq	%rax
	addq	$8, %rsp		/* the error code */
	iretq

gate:					/* the CPU frame is at 8(%rsp) */
	testq	%rsi, %rsi
	jnz	1f
	movq	%cr3, %rax
	movq	%rax, %cr3
	jmp	2f
1:	invlpg	(%rdi)
	addq	$4096, %rdi
	decq	%rsi
	jnz	1b
2:	popq	%rax
	addq	$8, %rsp
	addq	$3, (%rsp)		/* past the gate's load */
	iretq

/*
 * Ring-0 mode's #PF gate: the application, the library and the handlers
 * share ring 0, so the fault is dispatched where it lands, with no detour
 * through guestlib's vector table and handler lookup: the frame guestlib's
 * stubs would build (vector, every general register: a handler may read
 * or change any of them, as posix-shim's signal delivery does), CR2, and
 * a call. A fault in a handler nests on the same stack.
 */
	.globl	vm_pf_entry0
vm_pf_entry0:
	pushq	$14
	EXO_PUSH_GPRS
	movq	%cr2, %rdi
	FAULT_DISPATCH
	EXO_POP_GPRS
	addq	$16, %rsp	/* vector and error code */
	iretq

/*
 * Ring 3, with the program's registers, RSP and RFLAGS as they faulted,
 * and CR2, the error code, RIP and RFLAGS in upf_*. Nothing here can
 * fault (code, upf_* and the fault stack are in the image), so nothing
 * overwrites upf_* before it is copied. The frame goes at the top of the
 * fault stack, or below a handler's own frames when the fault is a
 * handler's (its RSP is on the fault stack); the program's stack is not
 * touched (its red zone is its own).
 */
vm_upf_entry:
	movq	%rax, upf_rax(%rip)
	movq	%rsp, upf_rsp(%rip)
	movq	%rsp, %rax
	leaq	fault_stack(%rip), %rsp
	subq	%rsp, %rax		/* how far into the fault stack it faulted */
	cmpq	$FAULT_STACK, %rax
	jb	1f			/* a handler's own fault: nest below it */
	movq	$FAULT_STACK, %rax	/* else from the top */
1:	addq	%rax, %rsp
	andq	$-16, %rsp
	subq	$FRAME, %rsp		/* the struct exo_trap_frame, and CR2 */
	movq	upf_rax(%rip), %rax
	movq	%rax, 0(%rsp)
	movq	%rbx, 8(%rsp)
	movq	%rcx, 16(%rsp)
	movq	%rdx, 24(%rsp)
	movq	%rsi, 32(%rsp)
	movq	%rdi, 40(%rsp)
	movq	%rbp, 48(%rsp)
	movq	%r8, 56(%rsp)
	movq	%r9, 64(%rsp)
	movq	%r10, 72(%rsp)
	movq	%r11, 80(%rsp)
	movq	%r12, 88(%rsp)
	movq	%r13, 96(%rsp)
	movq	%r14, 104(%rsp)
	movq	%r15, 112(%rsp)
	movq	$14, 120(%rsp)
	movq	upf_error_code(%rip), %rax
	movq	%rax, 128(%rsp)
	movq	upf_rip(%rip), %rax
	movq	%rax, 136(%rsp)
	movq	$SEL_UCODE, 144(%rsp)
	movq	upf_rflags(%rip), %rax
	movq	%rax, 152(%rsp)
	movq	upf_rsp(%rip), %rax
	movq	%rax, 160(%rsp)
	movq	$SEL_UDATA, 168(%rsp)
	movq	upf_cr2(%rip), %rdi
	movq	%rdi, 176(%rsp)
	FAULT_DISPATCH			/* DF cleared; popfq restores the program's */
	movq	136(%rsp), %rax
	movq	%rax, resume_rip(%rip)
	movq	160(%rsp), %rax
	movq	%rax, resume_rsp(%rip)
	pushq	152(%rsp)		/* rflags; the frame is now at 8(%rsp) */
	movq	8(%rsp), %rax
	movq	16(%rsp), %rbx
	movq	24(%rsp), %rcx
	movq	32(%rsp), %rdx
	movq	40(%rsp), %rsi
	movq	48(%rsp), %rdi
	movq	56(%rsp), %rbp
	movq	64(%rsp), %r8
	movq	72(%rsp), %r9
	movq	80(%rsp), %r10
	movq	88(%rsp), %r11
	movq	96(%rsp), %r12
	movq	104(%rsp), %r13
	movq	112(%rsp), %r14
	movq	120(%rsp), %r15
	popfq
	movq	resume_rsp(%rip), %rsp
	jmp	*resume_rip(%rip)

	.section .note.GNU-stack, "", @progbits
