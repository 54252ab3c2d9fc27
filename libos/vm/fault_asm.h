/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/fault_asm.h: what entry.S's fault fast path reads, by offset
 * and bit. fault.c checks each against the C definitions it stands for.
 */
#ifndef LIBOS_VM_FAULT_ASM_H
#define LIBOS_VM_FAULT_ASM_H

/* struct vm_region (vm_impl.h) */
#define VMR_START 0
#define VMR_END 8
#define VMR_HANDLER 24
#define VMR_ARG 32

/* struct exo_trap_frame (exo/exo.h) */
#define VMF_ERROR_CODE 128
#define VMF_RIP 136

/* Entry bits (vm_impl.h) and #PF error code bits (vm.h). */
#define VMA_PTE_P 0x1
#define VMA_PTE_W 0x2
#define VMA_PTE_U 0x4
#define VMA_PTE_PROTNONE 0x400
#define VMA_PF_WRITE 0x2
#define VMA_PF_USER 0x4
#define VMA_PF_EXEC 0x10
#define VMA_RETRY 1

#endif
