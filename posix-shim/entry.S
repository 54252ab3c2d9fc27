/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/entry.S: how a program's system calls and exceptions reach
 * the shim, and how the shim resumes the program.
 *
 * `syscall` jumps to LSTAR (shim_syscall_entry). Where it arrives depends
 * on the host: from ring 0 (Dune mode) at CPL 0; from ring 3 on hardware
 * at CPL 0 with the program's stack; from ring 3 on hosts whose KVM
 * emulates guest ring 0 (the paravirtual development hosts) still at
 * CPL 3. The entry stores CS to learn the CPL and runs the shim in the
 * program's own ring in every case: from ring 3 at CPL 0 it bounces back
 * to ring 3 with sysretq first, because the shim, like libos/vm, runs in
 * the application's ring. The same binary works on both kinds of host.
 *
 * The shim then runs on a stack of its own with every program register
 * saved in a struct exo_trap_frame (rip = rcx, rflags = r11 as `syscall`
 * left them), so the program's stack, red zone included, is never
 * touched. shim_resume restores a whole frame: the way back from a call,
 * into a signal handler, and out of one (rt_sigreturn).
 *
 * Exceptions other than #PF from a ring-3 program arrive in ring 0
 * (trap.c), which copies the frame to shim_upcall_frame and returns to
 * ring 3 at shim_upcall_entry, on the shim stack, so that signal delivery
 * (xsave included) runs natively in the program's ring.
 */
#include "exo/frame.h"
#define SEL_UCODE 0x2b
#define SEL_UDATA 0x23
#define STACK_BYTES 65536

	.bss
	.balign	16
	.globl	shim_stack
shim_stack:	.skip STACK_BYTES
shim_stack_top:
	.balign	8
	.globl	shim_cs
shim_cs:	.skip 8		/* CS at the last entry: its low bits are the CPL */
bounce_rip:	.skip 8		/* the program's RIP while bouncing to ring 3 */
resume_rip:	.skip 8		/* used only between restoring and jumping back */
resume_rsp:	.skip 8
	.globl	shim_ring3
shim_ring3:	.skip 4		/* set by main.c: the program runs in ring 3 */

	.text
	.globl	shim_syscall_entry
shim_syscall_entry:
	movw	%cs, shim_cs(%rip)
	testb	$3, shim_cs(%rip)
	jnz	in_ring			/* CPL 3: already in the program's ring */
	cmpl	$0, shim_ring3(%rip)
	je	in_ring			/* Dune mode: the program is in ring 0 */
	movq	%rcx, bounce_rip(%rip)	/* ring 3 on hardware: back to ring 3 */
	leaq	bounced(%rip), %rcx
	sysretq
bounced:
	movq	bounce_rip(%rip), %rcx
in_ring:
	movq	%rsp, resume_rsp(%rip)
	leaq	shim_stack_top(%rip), %rsp
	pushq	$SEL_UDATA		/* ss */
	pushq	resume_rsp(%rip)	/* rsp */
	pushq	%r11			/* rflags */
	pushq	$SEL_UCODE		/* cs */
	pushq	%rcx			/* rip */
	pushq	$0			/* error code */
	pushq	$-1			/* vector: none, a system call */
	EXO_PUSH_GPRS
	movq	%rsp, %rdi
	cld			/* SFMASK clears DF, but not where syscall stays in ring 3 */
	call	shim_syscall
	movq	%rsp, %rdi
	jmp	shim_resume

/* Ring 3 after an exception in the program: trap.c left the frame in
 * shim_upcall_frame and rdi pointing at it. */
	.globl	shim_upcall_entry
shim_upcall_entry:
	leaq	shim_stack_top(%rip), %rsp
	cld
	call	shim_trap_upcall	/* delivers the signal or ends the program */
	leaq	shim_upcall_frame(%rip), %rdi
	jmp	shim_resume

/* Resume the program as the frame at rdi says: every register, rflags,
 * rsp and rip. Never returns. */
	.globl	shim_resume
shim_resume:
	movq	136(%rdi), %rax
	movq	%rax, resume_rip(%rip)
	movq	160(%rdi), %rax
	movq	%rax, resume_rsp(%rip)
	movq	%rdi, %rsp
	EXO_POP_GPRS
	addq	$32, %rsp		/* vector, error code, rip, cs */
	popfq
	movq	resume_rsp(%rip), %rsp
	jmp	*resume_rip(%rip)

/* wrmsr where trap.c recognises it: from ring 3 it raises #GP and ring 0
 * runs it for the shim (FS base only). */
	.globl	shim_wrmsr
shim_wrmsr:				/* (msr, value) */
	movl	%edi, %ecx
	movl	%esi, %eax
	movq	%rsi, %rdx
	shrq	$32, %rdx
	.globl	shim_wrmsr_insn
shim_wrmsr_insn:
	wrmsr
	ret

	.section .note.GNU-stack, "", @progbits
