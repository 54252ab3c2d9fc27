/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/boot.S: from a multiboot2 loader to 64-bit C.
 *
 * GRUB enters in 32-bit protected mode with paging off, EAX = the
 * multiboot2 magic and EBX = the boot information. This identity-maps the
 * first 4 GiB with 2 MiB pages, enables PAE and long mode, loads a 64-bit
 * GDT (with a TSS, which VMX requires of the host) and calls
 * metal_main(magic, info) on hv's stack.
 */
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define STACK_BYTES 32768

	.section .multiboot2, "a"
	.balign	8
mb2_header:
	.long	MB2_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	.long	-(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.word	0, 0		/* end tag */
	.long	8
mb2_header_end:

	.section .bss
	.balign	4096
	.globl	metal_pml4
metal_pml4:	.skip	4096
boot_pdpt:	.skip	4096
boot_pd:	.skip	4096 * 4
	.balign	16
	.globl	metal_stack_top
metal_stack:	.skip	STACK_BYTES
metal_stack_top:

	.section .data
	.balign	16
	.globl	metal_tss
metal_tss:	.skip	104	/* hv never changes privilege: only VMX needs it */
	.balign	16
	.globl	metal_gdt
metal_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08 code, 64-bit */
	.quad	0x00cf92000000ffff	/* 0x10 data */
	.quad	0, 0			/* 0x18 TSS, filled in by main.c */
metal_gdt_end:
gdtr:
	.word	metal_gdt_end - metal_gdt - 1
	.quad	metal_gdt

	.section .text.boot, "ax"
	.code32
	.globl	_start
_start:
	cli
	movl	$metal_stack_top, %esp
	movl	%eax, %edi		/* magic and info, for metal_main */
	movl	%ebx, %esi

	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 PDs of 2 MiB pages: 4 GiB. */
	movl	$boot_pdpt, %eax
	orl	$3, %eax
	movl	%eax, metal_pml4
	movl	$boot_pd, %eax
	orl	$3, %eax
	movl	$boot_pdpt, %ebx
	movl	$4, %ecx
1:	movl	%eax, (%ebx)
	addl	$4096, %eax
	addl	$8, %ebx
	loop	1b
	movl	$boot_pd, %ebx
	xorl	%eax, %eax
	movl	$2048, %ecx
2:	movl	%eax, %edx
	orl	$0x83, %edx		/* present, writable, 2 MiB */
	movl	%edx, (%ebx)
	movl	$0, 4(%ebx)
	addl	$0x200000, %eax
	addl	$8, %ebx
	loop	2b

	movl	$metal_pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$(1 << 5), %eax		/* PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	orl	$(1 << 8), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010001, %eax	/* PG, WP, PE */
	movl	%eax, %cr0
	lgdt	gdtr
	ljmp	$0x08, $long_mode

	.code64
long_mode:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movq	$metal_stack_top, %rsp
	call	metal_main
3:	cli
	hlt
	jmp	3b

	.section .note.GNU-stack, "", @progbits
