/*
 * libos/vm/upcall.S: the ring-3 side of a fault upcall.
 *
 * fault.c resumes ring 3 here with rdi = handler, rsi = &vm_fault,
 * rdx = arg, on the faulting stack below its red zone. The handler's
 * verdict goes back to ring 0 by exo_kcall(vm_upcall_done, verdict), which
 * resumes the faulting instruction (or ends the guest) and never returns.
 */
	.text
	.globl	vm_upcall_tramp
vm_upcall_tramp:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	call	*%rax
	movl	%eax, %esi
	leaq	vm_upcall_done(%rip), %rdi
	call	exo_kcall
	ud2

	.section .note.GNU-stack, "", @progbits
