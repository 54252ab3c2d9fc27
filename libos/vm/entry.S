/*
 * libos/vm/entry.S: page faults from ring 3, handled in ring 3.
 *
 * In ring-3 mode libos/vm installs vm_pf_entry as the #PF gate. A fault
 * from ring 0 goes on to guestlib's ordinary entry. A fault from ring 3 is
 * turned around in a few instructions: its CPU frame and CR2 go to vm_upf
 * (a single slot, copied out at once) and iretq resumes ring 3 at
 * vm_upf_entry, below the faulting stack's red zone. There the registers
 * are saved as a struct exo_trap_frame, vm_user_fault dispatches it
 * natively, and the faulting instruction is resumed without going back
 * through ring 0. Ring 0 runs as little as possible because on hosts that
 * emulate guest ring 0 each instruction there costs about 0.6 us.
 *
 * The same entry serves as the TLB gate: a ring-3 load from VM_GATE_VA
 * (never mapped) with rdi = va and rsi = pages flushes them (rsi = 0:
 * reload CR3) and skips the 3-byte load.
 */
#define VM_GATE_VA 0x2000
#define FRAME 192 /* struct exo_trap_frame (176) + cr2, 16-aligned */
#define SEL_UCODE 0x2b
#define SEL_UDATA 0x23

	.bss
	.balign 8
	.globl	vm_upf
vm_upf:	.skip	40	/* cr2, error code, rip, rflags, rsp */
resume_rip: .skip 8
resume_rsp: .skip 8

	.text
	.globl	vm_pf_entry
vm_pf_entry:
	testb	$3, 16(%rsp)		/* CS of the faulting context */
	jz	exo_vector_14
	pushq	%rax			/* from here the CPU frame is at 8(%rsp) */
	movq	%cr2, %rax
	cmpq	$VM_GATE_VA, %rax
	je	gate
	movq	%rax, vm_upf(%rip)
	movq	8(%rsp), %rax
	movq	%rax, vm_upf+8(%rip)
	movq	16(%rsp), %rax
	movq	%rax, vm_upf+16(%rip)
	movq	32(%rsp), %rax
	movq	%rax, vm_upf+24(%rip)
	movq	40(%rsp), %rax
	movq	%rax, vm_upf+32(%rip)
	subq	$128, %rax
	andq	$-16, %rax
	movq	%rax, 40(%rsp)
	leaq	vm_upf_entry(%rip), %rax
	movq	%rax, 16(%rsp)
	popq	%rax
	addq	$8, %rsp		/* the error code */
	iretq

gate:
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

/* Ring 3, on the faulting stack below its red zone. */
vm_upf_entry:
	subq	$FRAME, %rsp
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
	movq	vm_upf+8(%rip), %rax
	movq	%rax, 128(%rsp)
	movq	vm_upf+16(%rip), %rax
	movq	%rax, 136(%rsp)
	movq	$SEL_UCODE, 144(%rsp)
	movq	vm_upf+24(%rip), %rax
	movq	%rax, 152(%rsp)
	movq	vm_upf+32(%rip), %rax
	movq	%rax, 160(%rsp)
	movq	$SEL_UDATA, 168(%rsp)
	movq	vm_upf(%rip), %rsi
	movq	%rsi, 176(%rsp)
	movq	%rsp, %rdi
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
