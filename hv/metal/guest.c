/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/guest.c: a guest's life outside its slices.
 *
 * Creating one: check the image, take its VMX pages (VMCS, MSR bitmap,
 * EPT root, exo area) from the arena, enter it in hv/core's guest table
 * (its id, its unique name), map its exo area read-only, load the image
 * and set up its VMCS. Destroying one after it ended: hv/core takes back
 * its grants and frames (hv_guest_remove), then its pages go back to the
 * arena. A guest that cannot be created is reported and never runs; the
 * others do.
 */
#include "caps.h"
#include "metal.h"
#include "vmcs.h"

static void free_pages(struct metal_vm *vm)
{
	metal_ept_free(&vm->ept);
	if (vm->exo)
		metal_page_free(vm->exo, vm->exo_pages);
	if (vm->vmcs)
		metal_page_free(vm->vmcs, 1);
	if (vm->msr_bitmap)
		metal_page_free(vm->msr_bitmap, 1);
	vm->exo = 0, vm->vmcs = 0, vm->msr_bitmap = 0;
}

/* A default name (ARGV0) another guest has: NAME-2, NAME-3, ... as on
 * kvm. An explicit --name that is taken, or a name that is not valid, is
 * the module's error: it is not run. */
static int add(struct metal_vm *vm, struct hv_pool *pool, const struct metal_guest_args *a)
{
	uint64_t cap = a->mem_bytes / EXO_PAGE_SIZE, gpa = pool->nframes * EXO_PAGE_SIZE;
	int rc = hv_guest_add(&vm->g, pool, a->name, cap, vm->exo, gpa);
	for (unsigned n = 2; rc == -EXO_EBUSY && !a->named && n < EXO_GUESTS_MAX; n++) {
		char name[EXO_NAME_MAX + 16];
		hv_snprintf(name, sizeof name, "%s-%u", a->name, n);
		rc = hv_guest_add(&vm->g, pool, name, cap, vm->exo, gpa);
	}
	if (rc == -EXO_EINVAL)
		metal_printf("metal: module %u: %s is not a valid guest name (1-%u printable "
			     "characters, no spaces or '/'%s): not run\n", a->module, a->name,
			     EXO_NAME_MAX, a->named ? "" : "; give one with --name");
	else if (rc == -EXO_EBUSY)
		metal_printf("metal: module %u: --name %s is taken by another guest: not run\n",
			     a->module, a->name);
	else if (rc < 0)
		metal_printf("metal: module %u (%s): the guest table is full: not run\n", a->module,
			     a->name);
	return rc;
}

int metal_guest_create(struct metal_vm *vm, struct hv_pool *pool,
		       const struct metal_vmx_caps *caps, const struct metal_guest_args *a)
{
	struct hv_image img;
	struct hv_boot boot = { 0 };
	const char *why;

	if (hv_elf_parse(a->image, a->image_len, &img, &why) < 0) {
		metal_report(a->name, "%s", why);
		return HV_STATUS_IMAGE;
	}
	if (img.kind != HV_IMAGE_GUEST) { /* main.c boots posix-shim for programs */
		metal_report(a->name, "a program, not a guest image: it needs posix-shim");
		return HV_STATUS_IMAGE;
	}
	memset(vm, 0, sizeof *vm);
	vm->exo_pages = hv_exo_area_bytes(pool->nframes) / EXO_PAGE_SIZE;
	vm->ept.pml4 = metal_page_alloc(1);
	vm->exo = metal_page_alloc(vm->exo_pages);
	vm->vmcs = metal_page_alloc(1);
	vm->msr_bitmap = metal_page_alloc(1);
	if (!vm->ept.pml4 || !vm->exo || !vm->vmcs || !vm->msr_bitmap) {
		metal_report(a->name, "out of memory for its VMCS, EPT and exo page");
		free_pages(vm);
		return HV_STATUS_HOST;
	}
	vm->g.plat = vm;
	if (add(vm, pool, a) < 0) {
		free_pages(vm);
		return HV_STATUS_USAGE;
	}
	int status = HV_STATUS_HOST;
	for (uint64_t off = 0; off < vm->exo_pages * EXO_PAGE_SIZE; off += EXO_PAGE_SIZE)
		if (metal_ept_map(&vm->ept, vm->g.exo_gpa + off, (uint64_t)(uintptr_t)vm->exo + off,
				  EPT_R) < 0) {
			metal_report(vm->g.name, "out of memory for EPT");
			goto fail;
		}
	/* A program under posix-shim gets the environment `exo run` gives
	 * one by default (README.md); metal has no --env. */
	static char *const env_default[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LANG=C" };
	struct hv_boot_args args = { .argc = a->argc, .argv = a->argv };
	if (a->payload) {
		args.envc = sizeof env_default / sizeof env_default[0];
		args.envp = env_default;
		args.payload = a->payload;
		args.payload_bytes = a->payload_bytes;
	}
	if (hv_boot_load(&vm->g, &img, a->image, &args, &boot, &why) < 0) {
		metal_report(vm->g.name, "%s (needs %lu frames%s, may own %lu)", why,
			     boot.need_frames, a->payload ? " with posix-shim" : "", vm->g.cap_frames);
		status = HV_STATUS_IMAGE;
		goto fail;
	}
	vm->g.exo->ring_request = a->ring;
	vm->g.exo->tsc_khz = a->tsc_khz;

	/* An EPT root (and a VPID) a guest before this one used may still
	 * tag cached translations: none may survive into this guest. */
	metal_ept_flush(&vm->ept);
	metal_msr_bitmap(vm->msr_bitmap);
	metal_fpu_init(vm->fpu);
	vm->vmcs[0] = caps->revision;
	uint64_t pa = (uint64_t)(uintptr_t)vm->vmcs;
	uint8_t bad;
	__asm__ volatile("vmclear %1; setbe %0" : "=q"(bad) : "m"(pa) : "cc", "memory");
	if (!bad)
		__asm__ volatile("vmptrld %1; setbe %0" : "=q"(bad) : "m"(pa) : "cc", "memory");
	if (bad || metal_vmcs_setup(vm, caps, &boot) < 0) {
		metal_report(vm->g.name, "VMCLEAR, VMPTRLD or VMWRITE failed while setting up its VMCS");
		goto fail;
	}
	return 0;
fail:
	vm->g.end = HV_END_PROTOCOL;
	hv_guest_remove(&vm->g);
	free_pages(vm);
	return status;
}

void metal_guest_destroy(struct metal_vm *vm)
{
	/* VMCLEAR writes back whatever the CPU keeps of the VMCS and makes
	 * it inactive: only then may its page be reused. */
	uint64_t pa = (uint64_t)(uintptr_t)vm->vmcs;
	__asm__ volatile("vmclear %0" : : "m"(pa) : "cc", "memory");
	hv_guest_remove(&vm->g);
	free_pages(vm);
	vm->state = METAL_FREE;
}
