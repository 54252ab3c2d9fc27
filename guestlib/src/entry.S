/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/entry.S: the first instructions of every guest, and the
 * exception entry stubs.
 *
 * _start runs with hv's boot selectors and no stack: it takes the boot
 * stack and calls exo_start in C. There is a stub for each of the 256
 * vectors: the 32 exceptions and the external interrupts 32-255 (a
 * doorbell's vector among them). Each pushes an error code where the CPU
 * does not (every interrupt, most exceptions), then the vector, then every
 * general register, in the layout of struct exo_trap_frame, and hands that
 * frame to exo_trap; iretq returns to the interrupted code.
 */
#include "exo/frame.h"
	.section .text.entry, "ax"
	.globl _start
_start:
	leaq	exo_boot_stack+16384(%rip), %rsp
	xorl	%ebp, %ebp
	call	exo_start
1:	hlt
	jmp	1b

	.text
/*
 * A hypercall made in ring 3: its `out` (exo_hc_out) raises #GP, and the
 * call is made here, from ring 0, with the eax and edx the guest loaded,
 * then resumed past the one-byte instruction. The check comes before
 * anything else because on hosts that emulate guest ring 0 every
 * instruction here costs about 0.6 us: these six are all a ring-3
 * hypercall pays beyond the exit itself.
 */
.macro hypercall_from_ring3
	testb	$3, 16(%rsp)		/* CS, above the error code and RIP */
	jz	1f
	cmpq	$exo_hc_out, 8(%rsp)	/* RIP (the image is in the top 2 GiB) */
	jne	1f
	outl	%eax, %dx
	incq	8(%rsp)
	addq	$8, %rsp		/* the error code */
	iretq
1:
.endm

/* Vectors whose CPU frame carries an error code: 8, 10-14, 17, 21, 29, 30
 * (as exceptions; hv raises only vectors 32-255 as interrupts). */
.macro stub vec
	.globl	exo_vector_\vec
exo_vector_\vec:
	.if \vec == 13
	hypercall_from_ring3
	.endif
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	trap_common
.endm

.altmacro
	.set	vec, 0
	.rept	256		/* EXO_VECTORS (exo.h) */
	stub	%vec
	.set	vec, vec+1
	.endr

trap_common:
	EXO_PUSH_GPRS
	movq	%rsp, %rdi
	cld			/* an interrupt gate keeps DF; C wants it clear */
	call	exo_trap
	EXO_POP_GPRS
	addq	$16, %rsp
	iretq

/* Table of stub addresses, for the IDT built in cpu.c. */
	.section .rodata
	.globl	exo_vectors
	.balign	8
exo_vectors:
.macro addr vec
	.quad	exo_vector_\vec
.endm
	.set	vec, 0
	.rept	256		/* EXO_VECTORS (exo.h) */
	addr	%vec
	.set	vec, vec+1
	.endr

	.section .note.GNU-stack, "", @progbits
