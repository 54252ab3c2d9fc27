/*
 * libos/vm/fault.c: page-fault dispatch.
 *
 * #PF lands here in ring 0 from the guest's IDT: no exit, no host. A fault
 * in a demand-zero region on a page not yet mapped gets a zero frame (a
 * 2 MiB one in a huge region). Anything else goes to the region's handler:
 * called directly when the fault came from ring 0, called back in ring 3
 * (an upcall) when the application runs there. A fault with no region or
 * handler, or one its handler refuses, is reported to hv with the address,
 * error code and RIP, which ends the guest.
 */
#include "vm_impl.h"

#define UPCALL_DEPTH 4

/* Upcall state lives in the image, which ring-3 code can read: the handler
 * gets a pointer to its vm_fault and the saved registers. */
static struct exo_trap_frame saved[UPCALL_DEPTH];
static uint64_t saved_cr2[UPCALL_DEPTH];
static struct vm_fault upfault[UPCALL_DEPTH];
static int depth;

extern const char vm_upcall_tramp[];

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
		return 0;
	}
	if (vm_frame_get(&f) < 0)
		return -VM_ENOMEM;
	pte = vm_pte(addr, 0, 1);
	if (!pte) {
		vm_frame_put(f);
		return -VM_ENOMEM;
	}
	*pte = (f << 12) | vm_pte_bits(r->prot);
	return 0;
}

/* Resume ring 3 in the trampoline, which calls h(fault, arg) and comes
 * back through vm_upcall_done. */
static int upcall(struct exo_trap_frame *f, struct vm_region *r, uint64_t addr)
{
	if (depth == UPCALL_DEPTH)
		return 0; /* a handler that faults that deep is broken: report */
	int d = depth++;
	saved[d] = *f;
	saved_cr2[d] = addr;
	upfault[d] = (struct vm_fault){ addr, f->error_code, f->rip, &saved[d] };
	f->rdi = (uint64_t)(uintptr_t)r->handler;
	f->rsi = (uint64_t)(uintptr_t)&upfault[d];
	f->rdx = (uint64_t)(uintptr_t)r->arg;
	f->rip = (uint64_t)(uintptr_t)vm_upcall_tramp;
	f->rsp = ((f->rsp - 128) & ~15ull); /* below the red zone, aligned */
	vm_state.stats.upcalls++;
	return 1;
}

/* Ring 0 again, by exo_kcall from the trampoline: the handler's verdict. */
void vm_upcall_done(struct exo_trap_frame *f)
{
	int d = --depth;
	if ((int)f->rsi != VM_RETRY)
		exo_trap_report(&saved[d], saved_cr2[d]);
	*f = saved[d]; /* the handler may have changed the registers */
}

static int vm_pf(struct exo_trap_frame *f)
{
	uint64_t addr = exo_read_cr2();
	struct vm_region *r = vm_region_find(addr);
	vm_state.stats.faults++;
	if (!r)
		return 0;
	if (!(f->error_code & VM_PF_PRESENT) && (r->flags & VM_DEMAND_ZERO)) {
		int huge;
		uint64_t *pte = vm_leaf(addr, &huge);
		if (!pte || !vm_mapped(*pte)) {
			if (demand_zero(r, addr) == 0) {
				vm_state.stats.demand_zero++;
				return 1;
			}
			if (!r->handler) {
				exo_printf("vm: out of frames: hv gave no frame for the demand-zero "
					   "page at 0x%lx\n", (unsigned long)addr);
				return 0;
			}
		}
	}
	if (!r->handler)
		return 0;
	if ((f->cs & 3) == 3 && vm_state.ring == VM_RING_3)
		return upcall(f, r, addr);
	struct vm_fault vf = { addr, f->error_code, f->rip, f };
	return r->handler(&vf, r->arg) == VM_RETRY;
}

int vm_fault_init(void)
{
	exo_trap_set(14, vm_pf);
	return 0;
}
