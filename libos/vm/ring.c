/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/ring.c: where application code runs, and taking over.
 *
 * vm_init chooses the ring. Auto probes: a ring-0 loop of 1000 iterations
 * takes about a microsecond on hardware and milliseconds where the host
 * emulates guest ring 0, so the choice is not close. Ring 3 needs the
 * image (code, data, stacks) reachable from ring 3, so the user bit is set
 * along the image's page-table paths and the direct map's.
 *
 * Application code runs with interrupts on, so that hv's revocation
 * request (an interrupt) reaches the guest whatever it is doing: ring 3
 * is entered with IF set in the iretq frame, ring 0 with sti as vm_init
 * returns. The library's own code and guestlib's stubs run with them
 * masked in software (exo_mask), in either ring: ring 3 cannot clear IF.
 */
#include "vm_impl.h"

struct vm_state vm_state;
uint64_t vm_pt_tag = ~0ull; /* no table remembered (vm_leaf4k) */
uint64_t *vm_pt_cached;

/* Ring 0's until vm_init chooses (vm_impl.h): no access is PTE_PROTNONE;
 * else present, W for VM_W, NX without VM_X. */
#define NOX (PTE_P | PTE_NX)
uint64_t vm_prot_bits[8] = {
	PTE_PROTNONE, NOX, NOX | PTE_W, NOX | PTE_W, PTE_P, PTE_P, PTE_P | PTE_W, PTE_P | PTE_W,
};

#define PROBE_ITERATIONS 1000
#define EMULATED_CYCLES 200000 /* ~0.1 ms at 2 GHz: far above native */

static uint64_t probe(void)
{
	uint64_t t0 = exo_rdtsc();
	for (volatile int i = 0; i < PROBE_ITERATIONS; i++)
		;
	return exo_rdtsc() - t0;
}

/* Set the user bit on every level of the paths that map [va, end),
 * stepping by the size each leaf (or hole) covers. */
static void user_path(uint64_t va, uint64_t end)
{
	while (va < end) {
		uint64_t table = vm_state.root, size = 0;
		for (int level = 3; level >= 0; level--) {
			uint64_t *e = &vm_phys(table)[(va >> (12 + 9 * level)) & 511];
			size = 1ull << (12 + 9 * level);
			if (!(*e & PTE_P))
				break;
			*e |= PTE_U;
			if (level == 0 || (*e & PTE_PS))
				break;
			table = *e & PTE_ADDR;
		}
		va = (va | (size - 1)) + 1;
	}
}

/* Ring-3 code needs the image (code, data, stacks), and since the library
 * runs there too, the direct map (page tables, frames, the exo page). The
 * guest is one protection domain; hv's EPT is what confines it. */
void vm_user_enable(void)
{
	const struct exo_page *p = exo_page();
	/* The exo area ends with its last bitmap (abi.h: five of them). */
	uint64_t end = p->exo_page_gpa + VM_PAGE, maps[] = {
		p->bitmap_gpa, p->grant_bitmap_gpa, p->grant_rw_bitmap_gpa,
		p->repossessed_bitmap_gpa, p->pinned_bitmap_gpa,
	};
	for (unsigned i = 0; i < sizeof maps / sizeof maps[0]; i++)
		if (maps[i] + (p->pool_frames + 7) / 8 > end)
			end = maps[i] + (p->pool_frames + 7) / 8;
	user_path(p->image_vaddr, p->image_vaddr + p->image_bytes);
	user_path(EXO_PHYSMAP_BASE, EXO_PHYSMAP_BASE + end);
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
}

enum vm_ring vm_ring(void)
{
	return vm_state.ring;
}

uint64_t vm_probe_cycles(void)
{
	return vm_state.probe_cycles;
}

static void enter_ring3(void)
{
	__asm__ volatile(
		"movq %%rsp, %%rax\n\t"
		"pushq %[ss]\n\t"
		"pushq %%rax\n\t"
		"pushfq\n\t"
		"orq $0x200, (%%rsp)\n\t" /* IF: upcalls reach application code */
		"pushq %[cs]\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"iretq\n"
		"1:"
		:
		: [ss] "i"(EXO_SEL_UDATA), [cs] "i"(EXO_SEL_UCODE)
		: "rax", "memory");
}

int vm_init(uint32_t ring)
{
	if (vm_state.ready)
		return -VM_EINVAL;
	if (ring != EXO_RING_0 && ring != EXO_RING_3 && ring != EXO_RING_AUTO)
		return -VM_EINVAL;
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	vm_state.root = cr3 & PTE_ADDR;
	vm_state.probe_cycles = probe();
	int emulated = vm_state.probe_cycles > EMULATED_CYCLES;
	if (ring == EXO_RING_AUTO)
		vm_state.ring = emulated ? VM_RING_3 : VM_RING_0;
	else
		vm_state.ring = ring == EXO_RING_3 ? VM_RING_3 : VM_RING_0;
	if (vm_state.ring == VM_RING_3)
		for (unsigned p = 1; p < 8; p++)
			vm_prot_bits[p] |= PTE_U;
	vm_state.pcid = vm_pcid_init();
	if (exo_page()->flags & EXO_PAGE_F_STATS) {
		exo_notice("vm: application code runs in ring %d (%s; a %d-iteration ring-0 loop "
			   "took %lu cycles: ring 0 is %s here)", (int)vm_state.ring,
			   ring == EXO_RING_AUTO ? "auto" : "asked for", PROBE_ITERATIONS,
			   (unsigned long)vm_state.probe_cycles, emulated ? "emulated" : "native");
		exo_notice("vm: PCIDs %s", vm_state.pcid > 0 ? "on" :
			   vm_state.pcid == 0 ? "off (CPUID lacks PCID)" :
			   "off (CPUID offers PCID but CR4.PCIDE was refused)");
	}
	vm_state.ready = 1;
	exo_mask(); /* the handlers below may be raised as soon as they are set */
	if (vm_state.ring == VM_RING_3)
		vm_user_enable();
	vm_fault_init();
	vm_abort_init();
	vm_revoke_init();
	if (vm_state.ring == VM_RING_3)
		enter_ring3();
	else
		exo_irq_enable();
	exo_unmask();
	return 0;
}
