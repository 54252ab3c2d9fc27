/* SPDX-License-Identifier: MIT */
/*
 * include/exo/exocall.h: exo calls, the system calls a program makes to
 * the library OSes beside POSIX. The ABI the program side (libexo.a,
 * <exo/vm.h>) and posix-shim (posix-shim/exocall.c) share.
 *
 * An exo call is an ordinary x86-64 `syscall`: the number in rax, up to
 * six arguments in rdi, rsi, rdx, r10, r8, r9, the result in rax (>= 0
 * success, -errno failure; rcx and r11 are clobbered), exactly as a Linux
 * call. The numbers are reserved far above Linux's own (x86-64 calls are
 * below 0x200; x32 calls set bit 30), so natively Linux answers every one
 * with -ENOSYS: that is how a program tells it is not running on exo.
 *
 *   [EXO_CALL_BASE, EXO_CALL_END)   reserved for exo calls
 *   an unassigned number there      -ENOSYS (named once on exo's stderr)
 *
 * Errors are Linux errno values. Every address and range is checked by the
 * shim against the program's address-space map: a bad one is an error
 * return, never a fault, and a call that fails has changed nothing.
 *
 * This header is included by programs (through <exo/vm.h>) and by the
 * shim, which is freestanding: it needs only <stdint.h>.
 */
#ifndef EXO_EXOCALL_H
#define EXO_EXOCALL_H

#include <stdint.h>

#define EXO_CALL_BASE 0x4000u
#define EXO_CALL_END 0x4400u

/* Version of this ABI, in struct exo_info. */
#define EXO_CALL_VERSION 1u

/*
 * The calls. Ranges are (addr, npages): addr page aligned, npages >= 1,
 * every page of [addr, addr + npages * page_size) mapped by the program
 * (mmap, brk, its image or stack).
 *
 * EXO_CALL_INFO (struct exo_info *out, uint64_t size) -> 0
 *     Writes the first min(size, sizeof(struct exo_info)) bytes of the
 *     shim's struct exo_info to out. EFAULT: out not writable.
 * EXO_CALL_VM_PROTECT (addr, npages, prot) -> 0
 *     PROTN: the pages' protection becomes prot (EXO_PROT_* bits, any
 *     combination, 0 for no access), in the shim's map and in the page
 *     tables of the pages already populated: what mprotect does (it is
 *     mprotect's own code), so later faults and mprotect agree with it.
 *     One TLB flush when access was lowered, none when raised.
 * EXO_CALL_VM_PROT1 (addr, prot) -> 0
 *     PROT1: EXO_CALL_VM_PROTECT of one page.
 * EXO_CALL_VM_UNPROT (addr, npages) -> 0
 *     UNPROT: the pages become readable and writable (EXO_PROT_READ |
 *     EXO_PROT_WRITE), as in Appel and Li. The protection a page had
 *     before PROT1/PROTN is not remembered: use EXO_CALL_VM_PROTECT to
 *     restore any other.
 * EXO_CALL_VM_DIRTY (addr, npages, uint64_t *bits) -> count
 *     DIRTY, from the hardware dirty bits: writes (npages + 63) / 64
 *     words at bits, bit i % 64 of word i / 64 set when page i was written
 *     by the program since the last DIRTY call that covered it (or since
 *     it was populated), clears those dirty bits, and returns how many
 *     bits it set. A page never touched (not populated) is clean. One
 *     TLB flush per call (per 2^23 pages of a larger range). EFAULT: the
 *     bitmap is not writable (checked first: no bit is cleared then).
 *     Writes the shim makes on the program's behalf (read(2) into the
 *     page) count as the program's own: the shim sets the dirty bit.
 * EXO_CALL_VM_ACCESSED (addr, npages, uint64_t *bits) -> count
 *     The same with the hardware accessed bits: pages read or written.
 *
 * Errors common to the range calls:
 *   EINVAL  addr not page aligned, npages 0, or unknown prot bits
 *   ENOMEM  some page of the range is not mapped (outside the program's
 *           map, a hole in it, beyond the lower half, or addr + npages
 *           pages overflows), as mprotect says
 *   EFAULT  a pointer argument (bits, out) the program may not write
 */
#define EXO_CALL_INFO (EXO_CALL_BASE + 0x00u)
#define EXO_CALL_VM_PROTECT (EXO_CALL_BASE + 0x01u)
#define EXO_CALL_VM_PROT1 (EXO_CALL_BASE + 0x02u)
#define EXO_CALL_VM_UNPROT (EXO_CALL_BASE + 0x03u)
#define EXO_CALL_VM_DIRTY (EXO_CALL_BASE + 0x04u)
#define EXO_CALL_VM_ACCESSED (EXO_CALL_BASE + 0x05u)

/*
 * libos/gc's calls: a collector's write barrier (docs/gc.md).
 *
 * EXO_CALL_GC_REGISTER (addr, npages, mode) -> id
 *     The range becomes a heap range whose dirty set the fetches below
 *     read and clear; its dirty set starts empty. mode EXO_GC_DBITS: the
 *     hardware dirty bits (a write costs nothing; a fetch walks the
 *     range's page tables in the program's ring). EXO_GC_WPROTECT: a
 *     write-protect barrier: the first write to a page after a fetch
 *     traps into the shim, which marks the page's card and lets the write
 *     go on (no signal reaches the program); mprotect keeps a clean
 *     card's page read-only underneath. At most 64 ranges, each at most
 *     2^23 pages, and 2^18 pages in EXO_GC_WPROTECT ranges together.
 *     EEXIST: overlaps a registered range. ENOSPC: no room left.
 * EXO_CALL_GC_UNREGISTER (id) -> 0
 *     Forgets the range; an EXO_GC_WPROTECT range's pages get the write
 *     access their mapping has back. EINVAL: no such id.
 * EXO_CALL_GC_DIRTY (id, uint64_t *bits) -> count
 *     Fetch-and-clear as a bitmap, as EXO_CALL_VM_DIRTY writes it: bit i
 *     set when page i of the range was written since it was registered
 *     or since the fetch that last reported it. One TLB flush.
 * EXO_CALL_GC_DIRTY_LIST (id, uint64_t *pages, max) -> count
 *     Fetch-and-clear as a list of page addresses, of range id or of every
 *     range (id EXO_GC_ALL): the EXO_GC_DBITS ranges' pages in address
 *     order, then the EXO_GC_WPROTECT ranges', at most max of them; the
 *     pages past max stay dirty for the next call. One TLB flush per mode
 *     (per 2^17 pages reported). EFAULT: max entries at pages are not
 *     writable (checked first).
 *
 * A page a fetch reports was written by the program (or by the shim on
 * its behalf, read(2) into it) since the range was registered or since
 * it was last reported: none is reported twice for one write, none
 * written is missed. Pages never populated are clean. These calls and
 * /proc/self/clear_refs ("4") share the hardware bits: a clear there
 * clears them here.
 */
#define EXO_CALL_GC_REGISTER (EXO_CALL_BASE + 0x40u)
#define EXO_CALL_GC_UNREGISTER (EXO_CALL_BASE + 0x41u)
#define EXO_CALL_GC_DIRTY (EXO_CALL_BASE + 0x42u)
#define EXO_CALL_GC_DIRTY_LIST (EXO_CALL_BASE + 0x43u)
#define EXO_GC_DBITS 0u
#define EXO_GC_WPROTECT 1u
#define EXO_GC_ALL (-1)
#define EXO_GC_RANGE_MAX (1ull << 23)

/* Protections: the values of PROT_READ, PROT_WRITE, PROT_EXEC. */
#define EXO_PROT_NONE 0u
#define EXO_PROT_READ 1u
#define EXO_PROT_WRITE 2u
#define EXO_PROT_EXEC 4u

/* What EXO_CALL_INFO reports. Fields are only ever added at the end; size
 * says how many bytes the shim's struct has. */
struct exo_info {
	uint32_t size;      /* sizeof the shim's struct exo_info */
	uint32_t version;   /* EXO_CALL_VERSION */
	uint32_t ring;      /* the ring the program runs in: 0 (Dune mode) or 3 */
	uint32_t reserved;  /* 0 */
	uint64_t page_size; /* the unit of npages and of the bitmaps: 4096 */
};

#endif
