/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/enter.S: into a guest and back.
 *
 * metal_enter(regs, launched) saves hv's callee-saved registers, points
 * HOST_RSP at its own stack, loads the guest's general registers and runs
 * VMLAUNCH or VMRESUME. A VM exit lands at metal_vm_exit on that same
 * stack. The registers C may clobber go into regs and metal_vm_fast
 * runs: the guest's others stay in the CPU, which C preserves. If it
 * handled the exit (a hypercall with nothing else to do), those
 * registers come back and the guest resumes from here, without the
 * round trip through the run loop. Else the rest go into regs too and
 * metal_enter returns 0. If the VMX instruction itself fails, it returns
 * 1 (the VMCS's VM-instruction error field says why; after a resume from
 * here, regs lacks the guest's callee-saved registers, which nothing
 * reads of a guest that ends so). Offsets follow struct metal_regs.
 */
#define HOST_RSP 0x6c14

	.text
	.globl	metal_enter
metal_enter:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rdi			/* regs, found again at 0(%rsp) on exit */
	movl	%esi, %eax		/* launched? */
	movq	$HOST_RSP, %rdx
	vmwrite	%rsp, %rdx
	jbe	fail
	testl	%eax, %eax
	movq	0(%rdi), %rax
	movq	8(%rdi), %rbx
	movq	16(%rdi), %rcx
	movq	24(%rdi), %rdx
	movq	32(%rdi), %rsi
	movq	48(%rdi), %rbp
	movq	56(%rdi), %r8
	movq	64(%rdi), %r9
	movq	72(%rdi), %r10
	movq	80(%rdi), %r11
	movq	88(%rdi), %r12
	movq	96(%rdi), %r13
	movq	104(%rdi), %r14
	movq	112(%rdi), %r15
	movq	40(%rdi), %rdi		/* flags from testl survive the movs */
	jnz	1f
	vmlaunch
	jmp	fail
1:	vmresume
fail:
	movl	$1, %eax
	jmp	out

	/* RSP is HOST_RSP, 16-byte aligned (metal_enter's return address
	 * and seven pushes): right for a call. RFLAGS is 2 (DF clear). */
	.globl	metal_vm_exit
metal_vm_exit:
	pushq	%rdi
	movq	8(%rsp), %rdi		/* regs */
	movq	%rax, 0(%rdi)
	movq	%rcx, 16(%rdi)
	movq	%rdx, 24(%rdi)
	movq	%rsi, 32(%rdi)
	popq	40(%rdi)		/* the guest's rdi */
	movq	%r8, 56(%rdi)
	movq	%r9, 64(%rdi)
	movq	%r10, 72(%rdi)
	movq	%r11, 80(%rdi)
	call	metal_vm_fast
	movq	0(%rsp), %rdi
	testl	%eax, %eax
	jz	slow
	movq	0(%rdi), %rax
	movq	16(%rdi), %rcx
	movq	24(%rdi), %rdx
	movq	32(%rdi), %rsi
	movq	56(%rdi), %r8
	movq	64(%rdi), %r9
	movq	72(%rdi), %r10
	movq	80(%rdi), %r11
	movq	40(%rdi), %rdi
	vmresume
	jmp	fail
slow:
	movq	%rbx, 8(%rdi)
	movq	%rbp, 48(%rdi)
	movq	%r12, 88(%rdi)
	movq	%r13, 96(%rdi)
	movq	%r14, 104(%rdi)
	movq	%r15, 112(%rdi)
	xorl	%eax, %eax
out:
	popq	%rdi
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret

	.section .note.GNU-stack, "", @progbits
