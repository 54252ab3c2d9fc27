/*
 * hv/metal/metal.h: the metal platform's internal interface.
 *
 * hv/metal is exo's own VMX root: a multiboot2 kernel that runs each guest
 * image (a multiboot2 module) in a VMCS of its own with EPT and VPID, over
 * the same hv/core and ABI as the kvm platform. It runs identity-mapped,
 * single CPU, interrupts off: guests run one after another.
 */
#ifndef HV_METAL_H
#define HV_METAL_H

#include <stdarg.h>
#include <stdint.h>

#include "../core/core.h"

#include <string.h>

/* console.c: port 0xE9 (Bochs, QEMU -debugcon) and COM1. */
void metal_console_init(void);
void metal_putc(char c);
void metal_write(const char *s, uint64_t len);
int metal_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int metal_vprintf(const char *fmt, va_list ap);

/* exit.c: end the run. Under Bochs success enters the debugger (port
 * 0x8900 'D'), whose rc file quits with status 0; failure triple-faults,
 * which Bochs (reset_on_triple_fault=0) ends with status 1. Under QEMU the
 * isa-debug-exit device at 0xf4 gives 1 (success) or 3 (failure). */
__attribute__((noreturn)) void metal_exit(int ok);

/* mb2.c: what the multiboot2 loader handed over. */
#define METAL_MODULES_MAX 32
struct metal_module {
	uint64_t start, end;  /* physical, identity-mapped */
	const char *cmdline;  /* "[--mem SIZE] [--ring auto|0|3] NAME [ARGS...]", or "posix-shim" */
};
struct metal_boot {
	struct metal_module mod[METAL_MODULES_MAX];
	unsigned nmod;
	uint64_t ram_start, ram_end; /* the largest usable RAM range */
};
/* 0, or -1 with a report printed. */
int metal_mb2_parse(uint32_t info, struct metal_boot *boot);

/* mem.c: RAM after hv and its modules: the frame pool, then an arena of
 * zeroed pages for VMX structures, EPT tables and exo areas. */
int metal_mem_init(const struct metal_boot *boot, uint64_t pool_bytes_max);
uint64_t metal_pool_base(void);
uint64_t metal_pool_bytes(void);
void *metal_page_alloc(uint64_t npages); /* zeroed, 4 KiB aligned; NULL when out */
uint64_t metal_arena_mark(void);
void metal_arena_release(uint64_t mark); /* free all allocated since mark */

/* vmx.c: VT-x on. 0, or -1 with a report naming what is missing. */
struct metal_vmx_caps {
	uint32_t pin, proc, proc2, exit, entry; /* adjusted controls */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint32_t revision;
};
int metal_vmx_on(struct metal_vmx_caps *caps);

/* ept.c: one guest's EPT, built from hv/core's ownership table. */
struct metal_ept {
	uint64_t *pml4;
	int live; /* loaded in a VMCS: changes need INVEPT */
};
int metal_ept_map(struct metal_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms);
void metal_ept_unmap(struct metal_ept *e, uint64_t gpa);
void metal_ept_flush(const struct metal_ept *e);

/* vm.c: run one guest image to its end; returns its exit status. With a
 * payload (a program; the image is then posix-shim's), the guest also gets
 * the default environment, PATH=/usr/local/bin:/usr/bin:/bin HOME=/ LANG=C. */
struct metal_guest_args {
	const char *name;
	uint64_t tsc_khz;
	uint64_t mem_bytes;
	uint32_t ring;
	int argc;
	char **argv;
	const uint8_t *payload;
	uint64_t payload_bytes;
};
int metal_run_guest(const struct metal_vmx_caps *caps, struct hv_pool *pool,
		    const uint8_t *image, uint64_t image_len, const struct metal_guest_args *a);

/* tsc.c: the TSC rate in kHz, measured against the PIT; 0 if it cannot. */
uint64_t metal_tsc_khz(void);

/* main.c: hv's own IDT (exceptions in hv are reported, then the run ends). */
uint64_t metal_idt_base(void);

/* Port I/O and MSRs. */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

#endif
