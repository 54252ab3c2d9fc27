/* SPDX-License-Identifier: MIT */
/*
 * exo/frame.h: struct exo_trap_frame's general registers, for assembly.
 *
 * exo.h declares the frame for C; code that builds or unwinds one with
 * pushes and pops (guestlib's exception stubs, posix-shim's system call
 * entry) takes the register order from these two macros, so it is written
 * down once beside the struct. Lowest address first: rax ... r15, then
 * vector, error code and the CPU's rip, cs, rflags, rsp, ss.
 */
#ifndef EXO_FRAME_H
#define EXO_FRAME_H

#ifdef __ASSEMBLER__
.macro EXO_PUSH_GPRS
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%r11
	pushq	%r10
	pushq	%r9
	pushq	%r8
	pushq	%rbp
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%rbx
	pushq	%rax
.endm

.macro EXO_POP_GPRS
	popq	%rax
	popq	%rbx
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rbp
	popq	%r8
	popq	%r9
	popq	%r10
	popq	%r11
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
.endm
#endif

#endif
