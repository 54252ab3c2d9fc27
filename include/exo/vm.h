/* SPDX-License-Identifier: MIT */
/*
 * <exo/vm.h>: libos/vm's virtual-memory primitives for a POSIX program
 * that runs on exo (`build/exo run PROG`), next to its ordinary POSIX
 * calls. Build the program with build/exo-cc, which puts this header on
 * the include path and links libexo.a.
 *
 * These are Appel and Li's primitives (PROT1, PROTN, UNPROT, DIRTY) and
 * the accessed bits, served by posix-shim from libos/vm without leaving
 * the guest. They act on the program's own mappings and keep the shim's
 * address-space map in step, so mprotect, page faults (SIGSEGV) and these
 * calls always agree. A page that should trap raises SIGSEGV with si_code
 * SEGV_ACCERR and si_addr the faulting address; a handler may lift the
 * protection (exo_vm_unprot) and return to retry the access.
 *
 * Each call is one `syscall` (numbers in <exo/exocall.h>) and returns as
 * the C library's wrappers do: >= 0 on success, -1 with errno set on
 * failure, having changed nothing. Run natively (not on exo), every call
 * fails with errno ENOSYS; exo_vm_available() says which it is.
 *
 * Ranges are (addr, npages): addr aligned to the page size (4096),
 * npages >= 1, and every page mapped by the program. The errors:
 *   EINVAL  addr not page aligned, npages 0, or prot not a combination
 *           of PROT_READ, PROT_WRITE, PROT_EXEC
 *   ENOMEM  a page of the range is not mapped (as mprotect says)
 *   EFAULT  bits or info points where the program may not write
 *   ENOSYS  not running on exo
 */
#ifndef EXO_VM_H
#define EXO_VM_H

#include <stddef.h>
#include <stdint.h>

#include "exocall.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the program runs on exo and these calls work; 0 natively (the
 * calls then fail with ENOSYS). Costs one call. */
int exo_vm_available(void);

/* Fill *info (ring, page size, ABI version): 0, or -1 with errno ENOSYS
 * natively, EFAULT for a bad pointer. */
int exo_info(struct exo_info *info);

/* PROTN: set the protection of npages pages at addr to prot (PROT_READ |
 * PROT_WRITE | PROT_EXEC, or PROT_NONE), like mprotect but for a range that
 * must be wholly mapped. Lowering access flushes the TLB once. */
int exo_vm_protect(void *addr, size_t npages, int prot);

/* PROT1: exo_vm_protect of the one page at addr. */
int exo_vm_prot1(void *addr, int prot);

/* UNPROT: make npages pages at addr readable and writable again (the
 * usual end of a SIGSEGV handler for a page lowered with PROT1/PROTN).
 * For any other protection use exo_vm_protect. */
int exo_vm_unprot(void *addr, size_t npages);

/* DIRTY: for npages pages at addr, set bit i (bits[i / 64] >> (i % 64))
 * for each page the program wrote since the last exo_vm_dirty over it,
 * and clear that record; pages never touched are clean. bits needs
 * (npages + 63) / 64 words, all of which are written. Returns the number
 * of dirty pages. Uses the hardware dirty bits: no trap per page, one TLB
 * flush per call. Data the system writes for the program (read(2) into
 * the range) counts as written, as it does on Linux. */
long exo_vm_dirty(void *addr, size_t npages, uint64_t *bits);

/* The same for pages the program read or wrote (hardware accessed bits),
 * for replacement policies. */
long exo_vm_accessed(void *addr, size_t npages, uint64_t *bits);

#ifdef __cplusplus
}
#endif

#endif
