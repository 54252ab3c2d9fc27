/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/main.c: hv/metal from boot to the last guest.
 *
 * Reads the modules GRUB loaded, turns VT-x on, makes the frame pool, and
 * runs the modules as guests, all at once under the run queue (sched.c).
 * A module's command line is parsed by module.c; a module with --wait
 * starts only when every guest before it has ended (one that needs the
 * whole pool, say). Each guest's end is reported in one line, "metal:
 * guest NAME exit status N", and a guest that misbehaves ends alone: the
 * others keep running. The run ends successfully (metal_exit(1)) when
 * every module ran, whatever their statuses, which the harness judges,
 * and hv/core's invariant pass finds the pool clean: every frame free,
 * every grant gone, the guest table empty.
 *
 * A module whose command line is exactly "posix-shim" is posix-shim's
 * image: it is not run, but remembered, and every program module after it
 * (a static executable without guestlib's ELF note) boots posix-shim with
 * the program as its payload, as `exo run PROGRAM` does on kvm.
 */
#include "config.h"
#include "metal.h"

#define MB2_BOOT_MAGIC 0x36d76289
#define MAX_FRAMES (1u << 20) /* 4 GiB of pool at most: the identity map */
#define GRANTS_MAX 8192u      /* grants alive at once, all guests together */

extern uint64_t metal_gdt[];
extern char metal_tss[];

static uint32_t owner[MAX_FRAMES];
static uint32_t grant_head[MAX_FRAMES];
static struct hv_grant grants[GRANTS_MAX];
static struct hv_pool pool;
static struct metal_boot boot;
static struct metal_vmx_caps caps;
static struct metal_spec spec[METAL_MODULES_MAX];
static struct metal_vm vms[METAL_VMS_MAX];
static uint64_t tsc_khz;

void metal_main(uint32_t magic, uint32_t info);

/* The TSS descriptor at selector 0x18, and TR: VMX wants a host TR. */
static void host_tr(void)
{
	uint64_t base = (uint64_t)(uintptr_t)metal_tss;
	metal_gdt[3] = 0x67 | ((base & 0xffffff) << 16) | (0x89ull << 40) | ((base >> 24 & 0xff) << 56);
	metal_gdt[4] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(0x18));
}

/* posix-shim's image, from the last "posix-shim" module; NULL if none. */
static const uint8_t *shim;
static uint64_t shim_len;

static void take_shim(unsigned n, const uint8_t *image, uint64_t len)
{
	struct hv_image img;
	const char *why;
	shim = 0;
	if (hv_elf_parse(image, len, &img, &why) < 0) {
		metal_printf("metal: module %u (posix-shim): %s\n", n, why);
		return;
	}
	if (img.kind != HV_IMAGE_GUEST) {
		metal_printf("metal: module %u (posix-shim): not a guest image (no guestlib ELF note)\n", n);
		return;
	}
	shim = image, shim_len = len;
	metal_printf("metal: module %u is posix-shim (%lu bytes): it runs the program modules after it\n",
		     n, len);
}

static int is_shim(unsigned i)
{
	return !strcmp(boot.mod[i].cmdline, "posix-shim");
}

/* Make module i a guest and put it in the run queue; 1 if it started. A
 * guest that cannot start (its image, its memory) is reported with its
 * status, as if it ended; a module that cannot be a guest at all (no
 * posix-shim for a program, a bad name) is "not run". */
static int start(unsigned i)
{
	struct metal_spec *s = &spec[i];
	const uint8_t *image = (const uint8_t *)(uintptr_t)boot.mod[i].start;
	uint64_t len = boot.mod[i].end - boot.mod[i].start;
	struct metal_guest_args a = {
		.module = i + 1, .name = s->name, .named = s->named, .mem_bytes = s->mem_bytes,
		.ring = s->ring, .argc = s->argc, .argv = s->argv, .image = image, .image_len = len,
		.tsc_khz = tsc_khz,
	};
	/* A program: the guest is posix-shim, which loads it. An image
	 * hv_elf_parse refuses is left to metal_guest_create to report. */
	struct hv_image img;
	const char *why;
	if (hv_elf_parse(image, len, &img, &why) == 0 && img.kind == HV_IMAGE_PROGRAM) {
		if (!shim) {
			metal_printf("metal: module %u (%s) is a program and no posix-shim module "
				     "came before it: not run\n", i + 1, s->name);
			return 0;
		}
		a.payload = image, a.payload_bytes = len;
		a.image = shim, a.image_len = shim_len;
	}
	struct metal_vm *vm = 0;
	for (unsigned k = 0; k < METAL_VMS_MAX && !vm; k++)
		if (vms[k].state == METAL_FREE)
			vm = &vms[k];
	if (!vm) {
		metal_printf("metal: module %u (%s): more than %u guests at once: not run\n", i + 1,
			     s->name, METAL_VMS_MAX);
		return 0;
	}
	int status = metal_guest_create(vm, &pool, &caps, &a);
	if (status) {
		if (status != HV_STATUS_USAGE)
			metal_printf("metal: guest %s exit status %d\n", s->name, status);
		return 0;
	}
	metal_printf("metal: guest %s starting\n", vm->g.name);
	metal_sched_start(vm);
	return 1;
}

/* The modules from first up to the next --wait start together and run
 * until every one has ended; returns where the next group begins. */
static unsigned run_group(unsigned first)
{
	unsigned i = first, started = 0;
	for (; i < boot.nmod; i++) {
		if (is_shim(i)) {
			take_shim(i + 1, (const uint8_t *)(uintptr_t)boot.mod[i].start,
				  boot.mod[i].end - boot.mod[i].start);
			continue;
		}
		const char *why;
		if (metal_module_parse(boot.mod[i].cmdline, (uint64_t)CONFIG_GUEST_MEM_DEFAULT_MIB << 20,
				       &spec[i], &why) < 0) {
			metal_printf("metal: module %u: %s: not run\n", i + 1, why);
			continue;
		}
		if (spec[i].wait && i > first)
			break;
		started += (unsigned)start(i);
	}
	if (started > 1)
		metal_printf("metal: %u guests run at once\n", started);
	metal_sched_run();
	return i;
}

void metal_main(uint32_t magic, uint32_t info)
{
	metal_console_init();
	metal_printf("metal: hv/metal, exo's VMX root\n");
	if (magic != MB2_BOOT_MAGIC) {
		metal_printf("metal: not started by a multiboot2 loader (magic %x)\n", magic);
		metal_exit(0);
	}
	host_tr();
	metal_idt_load();
	/* No interrupts, ever: mask both 8259s (the BIOS left the timer on
	 * IRQ 0 at vector 8). A guest that sets IF would otherwise exit for
	 * each tick (external-interrupt exiting, vmexit.c). */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	if (metal_mb2_parse(info, &boot) < 0 ||
	    metal_mem_init(&boot, (uint64_t)CONFIG_POOL_DEFAULT_MIB << 20) < 0 ||
	    metal_vmx_on(&caps) < 0)
		metal_exit(0);
	uint64_t nframes = metal_pool_bytes() / EXO_PAGE_SIZE;
	if (nframes > MAX_FRAMES)
		nframes = MAX_FRAMES;
	uint8_t *base = (uint8_t *)(uintptr_t)metal_pool_base();
	hv_pool_init(&pool, nframes, owner, base, grant_head, grants, GRANTS_MAX);
	memset(base, 0, nframes * EXO_PAGE_SIZE); /* free frames read zero */
	tsc_khz = metal_tsc_khz();
	metal_sched_init(&caps);
	unsigned guests = 0;
	for (unsigned i = 0; i < boot.nmod; i++)
		guests += !is_shim(i);
	metal_output_several(guests > 1);
	metal_printf("metal: pool of %lu frames at %lx, TSC %lu kHz, %u guest images\n", nframes,
		     metal_pool_base(), tsc_khz, boot.nmod);
	uint64_t pages = metal_pages_used();
	for (unsigned i = 0; i < boot.nmod;)
		i = run_group(i);
	const struct metal_sched_stats *st = metal_sched_stats();
	metal_printf("metal: run queue: %lu turns, %lu slices of %lu ms, %lu preempted, %lu yields, "
		     "%lu waits, %lu idle waits\n", st->turns, st->slices,
		     (uint64_t)(HV_SLICE_NS / 1000000), st->preempted, st->yields, st->waits,
		     st->idle_waits);
	const char *bad = hv_pool_check(&pool);
	if (bad) {
		metal_printf("metal: internal error in hv: %s\n", bad);
		metal_exit(0);
	}
	if (metal_pages_used() != pages) {
		metal_printf("metal: internal error in hv: %lu arena pages not given back\n",
			     metal_pages_used() - pages);
		metal_exit(0);
	}
	metal_exit(1);
}
