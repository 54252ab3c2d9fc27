/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/traps.S: hv/metal's own exception entries.
 *
 * hv never expects an exception; if one happens it is a bug in hv, and
 * metal_fault (idt.c) reports it by name and ends the run. Each stub
 * passes the vector, the error code (0 where the CPU pushes none) and the
 * faulting RIP.
 */
	.text
.macro stub vec
metal_trap_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	popq	%rsi			/* error code */
	.else
	xorl	%esi, %esi
	.endif
	movq	$\vec, %rdi
	movq	(%rsp), %rdx		/* RIP */
	andq	$-16, %rsp
	call	metal_fault
.endm

.altmacro
.macro stubs from, to
	stub	\from
	.if \to-\from
	stubs	%(\from+1), \to
	.endif
.endm
	stubs	0, 31

	.section .rodata
	.globl	metal_traps
	.balign	8
metal_traps:
.macro addr from, to
	.quad	metal_trap_\from
	.if \to-\from
	addr	%(\from+1), \to
	.endif
.endm
	addr	0, 31

	.section .note.GNU-stack, "", @progbits
