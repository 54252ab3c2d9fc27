/*
 * hv/metal/caps.c: VMX controls derived from the capability MSRs, and the
 * EPT entry encodings. Pure functions of their arguments, so the host's
 * unit tests (tests/metal/) check them without VT-x.
 */
#include "caps.h"

uint32_t metal_vmx_adjust(uint32_t want, uint64_t cap, uint32_t *missing)
{
	uint32_t must = (uint32_t)cap, may = (uint32_t)(cap >> 32);
	*missing = want & ~may;
	return (want | must) & may;
}

uint64_t metal_ept_table(uint64_t table_hpa)
{
	return (table_hpa & EPT_ADDR) | EPT_R | EPT_W | EPT_X;
}

uint64_t metal_ept_leaf(uint64_t hpa, unsigned perms)
{
	return (hpa & EPT_ADDR) | (perms & (EPT_R | EPT_W | EPT_X)) | EPT_MT_WB;
}

uint64_t metal_eptp(uint64_t pml4_hpa)
{
	return (pml4_hpa & EPT_ADDR) | EPTP_MT_WB | EPTP_WALK_4;
}
