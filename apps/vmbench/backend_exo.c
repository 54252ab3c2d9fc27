/* SPDX-License-Identifier: MIT */
/*
 * apps/vmbench/backend_exo.c: vmbench on libos/vm, in an exo guest.
 *
 * Runs the application in the ring `exo run --ring` asks for (auto by
 * default). Time is the TSC at the rate hv reports; exits come from hv's
 * own count (EXO_HC_INFO).
 */
#include "backend.h"
#include "gc/gc.h"
#include "vm/vm.h"

static uint64_t next_va = 0x100000000ull;

static uint64_t take_va(uint64_t npages)
{
	uint64_t va = next_va;
	next_va += (npages * BE_PAGE + VM_HUGE - 1) & ~(VM_HUGE - 1);
	return va;
}

static int on_fault(struct vm_fault *f, void *arg)
{
	((be_handler)arg)(f->addr, &f->regs->rip);
	return VM_RETRY;
}

int be_init(void)
{
	if (!exo_page()->tsc_khz) {
		exo_printf("vmbench: the host does not report the TSC rate\n");
		return -1;
	}
	return vm_init(exo_page()->ring_request);
}

const char *be_describe(void)
{
	return vm_ring() == VM_RING_3 ? "exo, application in ring 3" : "exo, application in ring 0";
}

const char *be_dirty_method(void)
{
	return "hardware D bits";
}

int be_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = exo_vprintf(fmt, ap);
	va_end(ap);
	return rc;
}

uint64_t be_now_ns(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32 | lo) * 1000000 / exo_page()->tsc_khz;
}

uint64_t be_ticks(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

uint64_t be_exits(void)
{
	static uint64_t calls; /* each of which was an exit */
	struct exo_hc_info info;
	calls++;
	return exo_info(&info) == 0 ? info.exits - calls : 0;
}

int be_region(uint64_t npages, be_handler h, uint64_t *va)
{
	*va = take_va(npages);
	if (vm_region(*va, npages * BE_PAGE, VM_R | VM_W, 0, h ? on_fault : 0, (void *)h) < 0 ||
	    vm_map(*va, npages, VM_R | VM_W) < 0)
		return be_printf("vmbench: cannot map %lu pages\n", (unsigned long)npages), -1;
	return 0;
}

int be_region_shared(uint64_t npages, uint64_t *va)
{
	return be_region(npages, 0, va); /* any page can be aliased */
}

int be_prot1(uint64_t va)
{
	return vm_prot1(va, 0);
}

int be_protn(uint64_t va, uint64_t npages)
{
	return vm_protn(va, npages, 0);
}

int be_unprot(uint64_t va, uint64_t npages)
{
	return vm_unprot(va, npages);
}

int be_dirty_arm(uint64_t va, uint64_t npages)
{
	(void)va, (void)npages; /* the hardware always tracks */
	return 0;
}

int be_dirty_batch_arm(const uint64_t *va, unsigned n, uint64_t npages)
{
	for (unsigned i = 0; i < n; i++)
		if (gc_register(va[i], npages, GC_DBITS) < 0)
			return -1;
	return 0;
}

int64_t be_dirty_batch(const uint64_t *va, unsigned n, uint64_t npages, uint64_t *list,
		       uint64_t max)
{
	(void)va, (void)n, (void)npages; /* registered: libos/gc knows them */
	return gc_dirty_list(GC_ALL, list, max);
}

const char *be_dirty_batch_method(void)
{
	return "libos/gc, one fetch-and-clear over every range, one TLB flush";
}

int64_t be_dirty(uint64_t va, uint64_t npages, uint64_t *bits)
{
	return vm_dirty(va, npages, bits);
}

int be_map2(uint64_t va, uint64_t alias)
{
	return vm_map2(va, alias, VM_R);
}

int be_unmap2(uint64_t alias)
{
	return vm_unmap(alias, 1);
}

uint64_t be_alias_area(uint64_t npages)
{
	return take_va(npages);
}
