/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/entry.S: page faults from ring 3, handled in ring 3.
 *
 * In ring-3 mode libos/vm installs vm_pf_entry as the #PF gate. A fault
 * from ring 0 goes on to guestlib's ordinary entry. A fault from ring 3 is
 * turned around in a few instructions: CR2 and the CPU frame are written
 * into a struct exo_trap_frame at the top of the fault stack, and iretq
 * resumes ring 3 at vm_upf_entry on that frame. There the general
 * registers join it, vm_user_fault dispatches it natively, and the
 * faulting instruction is resumed without going back through ring 0.
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
#define VM_GATE_VA 0x2000
#define FRAME 192 /* struct exo_trap_frame (176) + cr2, 16-aligned */
#define SEL_UCODE 0x2b
#define SEL_UDATA 0x23

#define FAULT_STACK 32768

	.bss
	.balign 16
fault_stack: .skip FAULT_STACK
fault_stack_top:
	.balign 8
resume_rip: .skip 8	/* used only between restoring and jumping back */
resume_rsp: .skip 8

	.text
	.globl	vm_pf_entry
vm_pf_entry:
	testb	$3, 16(%rsp)		/* CS of the faulting context */
	jz	exo_vector_14
	pushq	%rax
	movq	%cr2, %rax
	cmpq	$VM_GATE_VA, %rax
	je	gate
	pushq	%rbx
	pushq	%rcx			/* the CPU frame is now at 24(%rsp) */
	movq	56(%rsp), %rbx		/* the faulting RSP */
	leaq	fault_stack(%rip), %rcx
	cmpq	%rcx, %rbx
	jb	1f
	leaq	fault_stack_top(%rip), %rcx
	cmpq	%rcx, %rbx
	jb	2f			/* a handler's own fault: nest below it */
1:	leaq	fault_stack_top(%rip), %rbx
2:	andq	$-16, %rbx
	subq	$FRAME, %rbx		/* the frame vm_upf_entry runs on */
	movq	%rax, 176(%rbx)		/* CR2 */
	movq	24(%rsp), %rax
	movq	%rax, 128(%rbx)		/* error code */
	movq	32(%rsp), %rax
	movq	%rax, 136(%rbx)		/* RIP */
	movq	48(%rsp), %rax
	movq	%rax, 152(%rbx)		/* RFLAGS */
	movq	56(%rsp), %rax
	movq	%rax, 160(%rbx)		/* RSP */
	movq	%rbx, 56(%rsp)		/* resume on the frame ... */
	leaq	vm_upf_entry(%rip), %rax
	movq	%rax, 32(%rsp)		/* ... at vm_upf_entry */
	popq	%rcx
	popq	%rbx
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

/* Ring 3, on the frame vm_pf_entry began on the fault stack. */
vm_upf_entry:
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
	movq	$SEL_UCODE, 144(%rsp)
	movq	$SEL_UDATA, 168(%rsp)
	movq	%rsp, %rdi
	movq	176(%rsp), %rsi
	cld				/* C wants DF clear; popfq restores the program's */
	call	vm_user_fault		/* returns only to retry */
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
