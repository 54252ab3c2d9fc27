/*
 * hv/metal/main.c: hv/metal from boot to the last guest.
 *
 * Reads the modules GRUB loaded, turns VT-x on, makes the frame pool, and
 * runs each module as a guest in turn. A module's command line is
 * "[--mem SIZE] [--ring auto|0|3] NAME [ARGS...]"; NAME and ARGS become the
 * guest's argv. Each guest's end is reported in one line,
 * "metal: guest NAME exit status N", and a guest that misbehaves ends
 * alone: the next one runs. The run ends successfully (metal_exit(1)) when
 * every module ran, whatever their statuses, which the harness judges.
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
#define ARGS_MAX 32

extern uint64_t metal_gdt[];
extern char metal_tss[];

static uint32_t owner[MAX_FRAMES];
static struct hv_pool pool;

void metal_main(uint32_t magic, uint32_t info);

extern const uint64_t metal_traps[32];
static uint64_t idt[64];

/* traps.S: an exception in hv itself. */
__attribute__((noreturn)) void metal_fault(uint64_t vector, uint64_t error, uint64_t rip);

void metal_fault(uint64_t vector, uint64_t error, uint64_t rip)
{
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	metal_printf("metal: exception in hv: vector %lu (%s), error code %lx, RIP %lx, CR2 %lx\n",
		     vector, hv_vector_name(vector), error, rip, cr2);
	metal_exit(0);
}

/* An IDT for hv's own exceptions: they are bugs, reported by name. */
static void host_idt(void)
{
	for (unsigned v = 0; v < 32; v++) {
		uint64_t off = metal_traps[v];
		idt[2 * v] = (off & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
			     ((off >> 16 & 0xffff) << 48);
		idt[2 * v + 1] = off >> 32;
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof idt - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

uint64_t metal_idt_base(void)
{
	return (uint64_t)(uintptr_t)idt;
}

/* The TSS descriptor at selector 0x18, and TR: VMX wants a host TR. */
static void host_tr(void)
{
	uint64_t base = (uint64_t)(uintptr_t)metal_tss;
	metal_gdt[3] = 0x67 | ((base & 0xffffff) << 16) | (0x89ull << 40) | ((base >> 24 & 0xff) << 56);
	metal_gdt[4] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(0x18));
}

static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	if (*s == 'K')
		v <<= 10, s++;
	else if (*s == 'M')
		v <<= 20, s++;
	else if (*s == 'G')
		v <<= 30, s++;
	if (*s || v == 0 || v % 4096)
		return -1;
	*out = v;
	return 0;
}

/* Split a module's command line (copied: GRUB's stays intact). */
static int parse_module(const char *cmdline, struct metal_guest_args *a)
{
	static char buf[1024];
	static char *argv[ARGS_MAX];
	uint64_t n = strlen(cmdline);
	if (n >= sizeof buf)
		return metal_printf("metal: module command line too long\n"), -1;
	memcpy(buf, cmdline, n + 1);
	int argc = 0;
	for (char *p = buf; *p;) {
		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		if (argc == ARGS_MAX)
			return metal_printf("metal: more than %d module arguments\n", ARGS_MAX), -1;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	*a = (struct metal_guest_args){
		.mem_bytes = (uint64_t)CONFIG_GUEST_MEM_DEFAULT_MIB << 20, .ring = EXO_RING_AUTO,
	};
	int i = 0;
	while (i + 1 < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--mem") && parse_size(argv[i + 1], &a->mem_bytes) == 0) {
		} else if (!strcmp(argv[i], "--ring") && !strcmp(argv[i + 1], "0")) {
			a->ring = EXO_RING_0;
		} else if (!strcmp(argv[i], "--ring") && !strcmp(argv[i + 1], "3")) {
			a->ring = EXO_RING_3;
		} else if (!strcmp(argv[i], "--ring") && !strcmp(argv[i + 1], "auto")) {
			a->ring = EXO_RING_AUTO;
		} else {
			return metal_printf("metal: bad module option %s %s\n", argv[i], argv[i + 1]), -1;
		}
		i += 2;
	}
	if (i >= argc)
		return metal_printf("metal: module command line names no guest\n"), -1;
	a->name = argv[i];
	a->argc = argc - i;
	a->argv = argv + i;
	return 0;
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

void metal_main(uint32_t magic, uint32_t info)
{
	static struct metal_boot boot;
	static struct metal_vmx_caps caps;
	metal_console_init();
	metal_printf("metal: hv/metal, exo's VMX root\n");
	if (magic != MB2_BOOT_MAGIC) {
		metal_printf("metal: not started by a multiboot2 loader (magic %x)\n", magic);
		metal_exit(0);
	}
	host_tr();
	host_idt();
	/* No interrupts, ever: mask both 8259s (the BIOS left the timer on
	 * IRQ 0 at vector 8). A guest that sets IF would otherwise exit for
	 * each tick (external-interrupt exiting, vm.c). */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	if (metal_mb2_parse(info, &boot) < 0 ||
	    metal_mem_init(&boot, (uint64_t)CONFIG_POOL_DEFAULT_MIB << 20) < 0 ||
	    metal_vmx_on(&caps) < 0)
		metal_exit(0);
	uint64_t nframes = metal_pool_bytes() / 4096;
	if (nframes > MAX_FRAMES)
		nframes = MAX_FRAMES;
	hv_pool_init(&pool, nframes, owner, (uint8_t *)(uintptr_t)metal_pool_base());
	memset((void *)(uintptr_t)metal_pool_base(), 0, nframes * 4096); /* free frames read zero */
	uint64_t tsc_khz = metal_tsc_khz();
	metal_printf("metal: pool of %lu frames at %lx, TSC %lu kHz, %u guest images\n", nframes,
		     metal_pool_base(), tsc_khz, boot.nmod);
	for (unsigned i = 0; i < boot.nmod; i++) {
		struct metal_guest_args a;
		const uint8_t *image = (const uint8_t *)(uintptr_t)boot.mod[i].start;
		uint64_t len = boot.mod[i].end - boot.mod[i].start;
		if (!strcmp(boot.mod[i].cmdline, "posix-shim")) {
			take_shim(i + 1, image, len);
			continue;
		}
		if (parse_module(boot.mod[i].cmdline, &a) < 0) {
			metal_printf("metal: module %u: not run\n", i + 1);
			continue;
		}
		a.tsc_khz = tsc_khz;
		/* A program: the guest is posix-shim, which loads it. An image
		 * hv_elf_parse refuses is left to metal_run_guest to report. */
		struct hv_image img;
		const char *why;
		if (hv_elf_parse(image, len, &img, &why) == 0 && img.kind == HV_IMAGE_PROGRAM) {
			if (!shim) {
				metal_printf("metal: module %u (%s) is a program and no posix-shim module "
					     "came before it: not run\n", i + 1, a.name);
				continue;
			}
			a.payload = image, a.payload_bytes = len;
			image = shim, len = shim_len;
		}
		metal_printf("metal: guest %s starting\n", a.name);
		int status = metal_run_guest(&caps, &pool, image, len, &a);
		metal_printf("metal: guest %s exit status %d\n", a.name, status);
		if (pool.nfree != pool.nframes) {
			metal_printf("metal: frames leaked by guest %s\n", a.name);
			metal_exit(0);
		}
	}
	metal_exit(1);
}
