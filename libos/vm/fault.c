/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/fault.c: page-fault dispatch.
 *
 * A fault lands in the guest's own IDT: no exit, no host. entry.S's gates
 * (ring 0's, and ring 3's, which hands faults from ring 3 straight back
 * to ring 3) take the common case themselves (docs/libos-vm.md, "The
 * short way") and call vm_fault for the rest, in the application's ring;
 * guestlib's trap path calls vm_pf for faults from ring 0 in ring-3 mode
 * (library code, revocation's). Either way: a fault in a demand-zero region
 * on a page not yet mapped gets a zero frame (a 2 MiB one in a huge
 * region); anything else goes to the region's handler, in the
 * application's ring. A fault outside every region goes to the handler
 * vm_set_unhandled names, if any. A fault no handler takes is reported to
 * hv with the address, error code and registers, which ends the guest.
 *
 * A page revocation or abort took out (an out entry, vm_impl.h) comes
 * back first, whatever the region: read from the swap file, or a zero
 * frame; one a VM_REBUILD region dropped goes to the region's handler
 * with VM_PF_LOST, which rebuilds it with vm_fill. Dispatch runs masked
 * (exo_mask), handlers included: a revocation request waits for it.
 */
#include "fault_asm.h"
#include "vm_impl.h"

/* entry.S's fault path reads these by offset and bit. */
_Static_assert(__builtin_offsetof(struct vm_region, start) == VMR_START, "start");
_Static_assert(__builtin_offsetof(struct vm_region, end) == VMR_END, "end");
_Static_assert(__builtin_offsetof(struct vm_region, handler) == VMR_HANDLER, "handler");
_Static_assert(__builtin_offsetof(struct vm_region, arg) == VMR_ARG, "arg");
_Static_assert(__builtin_offsetof(struct exo_trap_frame, error_code) == VMF_ERROR_CODE, "ec");
_Static_assert(__builtin_offsetof(struct exo_trap_frame, rip) == VMF_RIP, "rip");
_Static_assert(PTE_P == VMA_PTE_P && PTE_W == VMA_PTE_W && PTE_U == VMA_PTE_U &&
		       PTE_PROTNONE == VMA_PTE_PROTNONE, "entry bits");
_Static_assert(VM_PF_WRITE == VMA_PF_WRITE && VM_PF_USER == VMA_PF_USER &&
		       VM_PF_EXEC == VMA_PF_EXEC && VM_RETRY == VMA_RETRY, "error code bits");
_Static_assert(sizeof(struct vm_fault) == 32, "struct vm_fault: four quadwords");

uint64_t vm_fault_count;

static int demand_zero(struct vm_region *r, uint64_t addr)
{
	uint64_t f, *pte;
	if (r->flags & VM_HUGE_PAGES) {
		if (vm_frames_huge(&f) < 0)
			return -VM_ENOMEM;
		pte = vm_pte(addr, 1, 1);
		if (!pte) {
			vm_frames_huge_put(f);
			return -VM_ENOMEM;
		}
		*pte = (f << 12) | vm_pte_bits(r->prot) | PTE_PS;
		vm_leaf_forget(); /* it may stand where a table was */
		return 0;
	}
	/* Installed, then checked: an abort that took the frame after
	 * vm_frame_get looked at it has not seen this entry. */
	do {
		if (vm_frame_get(&f) < 0)
			return -VM_ENOMEM;
		pte = vm_pte(addr, 0, 1);
		if (!pte) {
			vm_frame_put(f);
			return -VM_ENOMEM;
		}
		*pte = (f << 12) | vm_pte_bits(r->prot);
	} while (!vm_owns(f) && (*pte = 0, 1));
	return 0;
}

void vm_entry_free(uint64_t pte)
{
	if (vm_out(pte) && (pte & PTE_OUT_KIND) == PTE_OUT_SWAP)
		vm_swap_free(pte >> 12 & (PTE_ADDR >> 12));
	else if (vm_mapped(pte) && !(pte & PTE_ALIAS))
		vm_frame_put((pte & PTE_ADDR) >> 12);
}

int vm_bring_back(uint64_t va, uint64_t *pte)
{
	uint64_t out = *pte, f, slot = out >> 12 & (PTE_ADDR >> 12);
	int swapped = (out & PTE_OUT_KIND) == PTE_OUT_SWAP;
	do { /* installed, then checked, as in demand_zero */
		if (vm_frame_get(&f) < 0) /* may evict others, never this one: it is out */
			return -VM_ENOMEM;
		int64_t rc = swapped ? vm_swap_read(slot, f) : 0;
		if (rc < 0) {
			vm_frame_put(f);
			exo_notice("vm: swap: reading back the page at 0x%lx (slot %lu) failed: "
				   "error %ld", (unsigned long)va, (unsigned long)slot, (long)-rc);
			return -VM_EINVAL;
		}
		*pte = vm_in_entry(out, f);
	} while (!vm_owns(f) && (*pte = out, 1));
	if (swapped) {
		vm_swap_free(slot);
		vm_state.stats.swapped_in++;
	}
	return 0;
}

int vm_fill(uint64_t va, unsigned prot, void **data)
{
	int huge, rc = -VM_EINVAL;
	uint64_t f, *pte;
	VM_ENTER();
	if (!vm_pages_ok(va, 1) || !vm_prot_ok(prot))
		goto out;
	pte = vm_leaf(va, &huge);
	rc = -VM_EEXIST;
	if (huge || (pte && (vm_mapped(*pte) || (vm_out(*pte) &&
						 (*pte & PTE_OUT_KIND) == PTE_OUT_SWAP))))
		goto out;
	rc = -VM_ENOMEM;
	if (vm_frame_get(&f) < 0)
		goto out;
	if (!(pte = vm_pte(va, 0, 1))) {
		vm_frame_put(f);
		goto out;
	}
	*pte = (f << 12) | vm_pte_bits(prot);
	*data = vm_phys(f << 12);
	rc = 0;
out:
	VM_LEAVE();
	return rc;
}

/* 1 if entry e already allows the access that faulted (error code ec). */
static inline int spurious(uint64_t ec, uint64_t e)
{
	if (!(e & PTE_P))
		return 0;
	if ((ec & VM_PF_WRITE) && !(e & PTE_W))
		return 0;
	if ((ec & VM_PF_USER) && !(e & PTE_U))
		return 0;
	return !((ec & VM_PF_EXEC) && (e & PTE_NX));
}

static vm_handler unhandled;
static void *unhandled_arg;

void vm_set_unhandled(vm_handler h, void *arg)
{
	unhandled = h;
	unhandled_arg = arg;
}

/* 1 if the fault was dealt with and the instruction may be retried. Every
 * fault but those entry.S's fast path takes (a mapped 4 KiB page of the
 * last region and page table used, with a handler) comes here: out pages,
 * demand-zero, 2 MiB pages, no region, another region or page table. */
static int dispatch(struct exo_trap_frame *f, uint64_t addr)
{
	struct vm_region *r = vm_region_find(addr);
	vm_fault_count++;
	int huge;
	uint64_t *out = vm_leaf(addr, &huge);
	if (out && !huge) /* the next fault here takes the short way */
		vm_leaf_remember(addr, out);
	if (out && !huge && vm_out(*out)) {
		if ((*out & PTE_OUT_KIND) == PTE_OUT_REBUILD && r && r->handler) {
			struct vm_fault vf = { addr, f->error_code | VM_PF_LOST, f->rip, f };
			vm_state.stats.rebuilt++;
			return r->handler(&vf, r->arg) == VM_RETRY;
		}
		int rc = vm_bring_back(addr & ~(VM_PAGE - 1), out);
		if (rc == -VM_ENOMEM)
			exo_notice("vm: out of frames: hv gave none to bring back the page at 0x%lx",
				   (unsigned long)addr);
		return rc == 0;
	}
	if (!r) {
		struct vm_fault vf = { addr, f->error_code, f->rip, f };
		return unhandled && unhandled(&vf, unhandled_arg) == VM_RETRY;
	}
	if (!(f->error_code & VM_PF_PRESENT) && (r->flags & VM_DEMAND_ZERO)) {
		uint64_t *pte = out; /* the one walk above */
		if (!pte || !vm_mapped(*pte)) {
			if (demand_zero(r, addr) == 0) {
				vm_state.stats.demand_zero++;
				return 1;
			}
			if (!r->handler) {
				exo_notice("vm: out of frames: hv gave no frame for the demand-zero "
					   "page at 0x%lx", (unsigned long)addr);
				return 0;
			}
		}
	}
	if (out && spurious(f->error_code, *out)) /* a raise left a stale entry */
		return 1;
	if (!r->handler)
		return 0;
	struct vm_fault vf = { addr, f->error_code, f->rip, f };
	return r->handler(&vf, r->arg) == VM_RETRY;
}

/* guestlib's trap path: faults from ring 0 in ring-3 mode (a library OS's
 * code, revocation's). */
static int vm_pf(struct exo_trap_frame *f)
{
	uint64_t cr2 = exo_read_cr2(); /* before anything can fault again */
	VM_ENTER();
	int rc = dispatch(f, cr2);
	VM_LEAVE();
	return rc;
}

/* entry.S's fault path, masked, for what it does not take itself. */
void vm_fault(struct exo_trap_frame *f, uint64_t cr2)
{
	if (!dispatch(f, cr2))
		exo_trap_report(f, cr2);
}

int vm_fault_init(void)
{
	exo_trap_set(14, vm_pf);
	exo_idt_set(14, vm_state.ring == VM_RING_3 ? vm_pf_entry : vm_pf_entry0);
	return 0;
}
