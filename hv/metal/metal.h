/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/metal.h: the metal platform's internal interface.
 *
 * hv/metal is exo's own VMX root: a multiboot2 kernel that runs the guest
 * images GRUB loaded as modules, each in a VMCS of its own with EPT and
 * VPID, over the same hv/core and ABI as the kvm platform. It runs
 * identity-mapped on one CPU with interrupts off; its guests share that CPU
 * through a run queue (sched.c) whose slices end by the VMX-preemption
 * timer, with hv/core's slice-end upcall and grace.
 */
#ifndef HV_METAL_H
#define HV_METAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

#include <string.h>

/* console.c: port 0xE9 (Bochs, QEMU -debugcon) and COM1. */
void metal_console_init(void);
void metal_putc(char c);
void metal_write(const char *s, uint64_t len);
int metal_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int metal_vprintf(const char *fmt, va_list ap);

/* end.c: end the run. Under Bochs success enters the debugger (port
 * 0x8900 'D'), whose rc file quits with status 0; failure triple-faults,
 * which Bochs (reset_on_triple_fault=0) ends with status 1. Under QEMU the
 * isa-debug-exit device at 0xf4 gives 1 (success) or 3 (failure). */
__attribute__((noreturn)) void metal_exit(int ok);

/* mb2.c: what the multiboot2 loader handed over. */
#define METAL_MODULES_MAX 64
struct metal_module {
	uint64_t start, end;  /* physical, identity-mapped */
	const char *cmdline;  /* see module.c, or "posix-shim" */
};
struct metal_boot {
	struct metal_module mod[METAL_MODULES_MAX];
	unsigned nmod;
	uint64_t ram_start, ram_end; /* the largest usable RAM range */
};
/* 0, or -1 with a report printed. */
int metal_mb2_parse(uint32_t info, struct metal_boot *boot);

/* module.c: a module's command line,
 *   [--name NAME] [--mem SIZE] [--ring auto|0|3] [--wait] ARGV0 [ARGS...]
 * parsed into buf (its words, NUL-separated) and argv. Pure: the host's
 * unit tests run it. */
#define METAL_ARGS_MAX 32
#define METAL_CMDLINE_MAX 1024
struct metal_spec {
	const char *name;   /* --name, else argv[0] (made unique when added) */
	int named;          /* --name given: a taken name is an error */
	uint64_t mem_bytes;
	uint32_t ring;      /* EXO_RING_* */
	int wait;           /* start only after every guest before it ended */
	int argc;
	char *argv[METAL_ARGS_MAX];
	char buf[METAL_CMDLINE_MAX];
};
/* 0, or -1 with *why set to a one-line reason (which may name an argument
 * of the line: print it before the next call). */
int metal_module_parse(const char *cmdline, uint64_t mem_default, struct metal_spec *s,
		       const char **why);

/* mem.c: RAM after hv and its modules: the frame pool, then an arena of
 * zeroed pages for VMX structures, EPT tables and exo areas. */
int metal_mem_init(const struct metal_boot *boot, uint64_t pool_bytes_max);
uint64_t metal_pool_base(void);
uint64_t metal_pool_bytes(void);
void *metal_page_alloc(uint64_t npages); /* zeroed, 4 KiB aligned; NULL when out */
void metal_page_free(void *p, uint64_t npages);
uint64_t metal_pages_used(void);

/* vmx.c: VT-x on. 0, or -1 with a report naming what is missing. */
struct metal_vmx_caps {
	uint32_t pin, proc, proc2, exit, entry; /* adjusted controls */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint32_t revision;
	unsigned timer_shift; /* the preemption timer ticks every 2^shift TSC ticks */
};
int metal_vmx_on(struct metal_vmx_caps *caps);

/* ept.c: one guest's EPT, mirroring what hv/core binds in it. */
struct metal_ept {
	uint64_t *pml4;
};
/* The tables for gpa, made now so that mapping it later cannot fail. */
int metal_ept_reserve(struct metal_ept *e, uint64_t gpa);
int metal_ept_map(struct metal_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms);
int metal_ept_unmap(struct metal_ept *e, uint64_t gpa); /* 1 if it was mapped */
void metal_ept_flush(const struct metal_ept *e);
void metal_ept_free(struct metal_ept *e); /* every table, back to the arena */

/* A guest's general registers, as enter.S saves and loads them. */
struct metal_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Where a guest is in the run queue's life cycle. */
enum metal_state {
	METAL_FREE = 0, /* slot unused */
	METAL_READY,    /* in the run queue */
	METAL_RUNNING,  /* the guest of the current slice */
	METAL_BLOCKED,  /* in EXO_DB_WAIT: off the queue until woken */
	METAL_ENDED,    /* stopped; removed by the scheduler */
};

/* Console bytes kept until their line is whole, when several guests run. */
#define METAL_LINE_MAX 4096

/* One guest: hv/core's struct and everything VMX needs to run it. */
struct metal_vm {
	struct hv_guest g;
	enum metal_state state;
	struct metal_ept ept;
	struct metal_regs regs;
	uint32_t *vmcs;
	uint8_t *msr_bitmap;
	uint8_t *exo;                /* the exo area (hv_exo_area_bytes) */
	uint64_t exo_pages;
	int launched;                /* VMLAUNCH done: the next entry is VMRESUME */
	uint32_t proc;               /* the VMCS's processor-based controls */
	uint32_t irq;                /* a vector waiting for delivery, 0: none */
	int exc_pending;             /* hv_plat_exception: exc_vector at the next entry */
	uint32_t exc_vector;
	uint64_t deadline;           /* TSC of hv_plat_deadline, 0: none */
	uint64_t used;               /* TSC ticks of CPU since its last slice ended */
	int woken;                   /* left a WAIT: resume with rax = g.wake_rax */
	/* What VMX does not switch (sched.c saves and loads it). */
	uint64_t syscall_msrs[5];
	uint64_t cr2;
	uint8_t fpu[512] __attribute__((aligned(16)));
	char line[METAL_LINE_MAX];
	uint64_t line_len;
};

#define METAL_VMS_MAX METAL_MODULES_MAX

/* guest.c: make a guest from an image, and take it apart at its end.
 * With a payload (a program), the image is posix-shim's and the guest
 * also gets the default environment. 0, or a status (HV_STATUS_*) after a
 * report: the guest never ran; HV_STATUS_USAGE (its name) means the
 * module was not run at all and has no status line. */
struct metal_guest_args {
	unsigned module; /* 1-based, for reports */
	const char *name;
	int named;
	uint64_t mem_bytes;
	uint32_t ring;
	int argc;
	char **argv;
	const uint8_t *image;
	uint64_t image_len;
	const uint8_t *payload;
	uint64_t payload_bytes;
	uint64_t tsc_khz;
};
int metal_guest_create(struct metal_vm *vm, struct hv_pool *pool,
		       const struct metal_vmx_caps *caps, const struct metal_guest_args *a);
void metal_guest_destroy(struct metal_vm *vm);

/* vmcs.c: a fresh VMCS for a guest: controls, the initial long-mode state
 * the kvm platform gives a guest, hv's own state for exits. The VMCS must
 * be current. Also the MSR bitmap and the FPU state a guest starts with. */
int metal_vmcs_setup(struct metal_vm *vm, const struct metal_vmx_caps *c,
		     const struct hv_boot *b);
void metal_msr_bitmap(uint8_t *bm);
void metal_fpu_init(uint8_t *area);
extern const uint32_t metal_syscall_msr[5]; /* the MSRs a guest owns outright */

/* vmexit.c: one VM exit of the current guest (its VMCS current). */
enum metal_next {
	METAL_RESUME, /* enter the guest again (the run queue may still
			 switch: the preemption timer's exits land here) */
	METAL_YIELD,  /* it gave up the CPU (EXO_HC_YIELD): to the back of the queue */
	METAL_BLOCK,  /* it waits (g.blocked) */
	METAL_END,    /* it ended (g.end, the report printed) */
};
enum metal_next metal_vm_exit_handle(struct metal_vm *vm);
/* enter.S, at each VM exit of metal_turn.vm, with the guest's rax, rcx,
 * rdx, rsi, rdi and r8-r11 saved in its regs (the others still in the
 * CPU): 1 if the exit was a hypercall that leaves the run loop nothing to
 * do before the next entry, which it did too, so that the guest is
 * resumed at once. 0: metal_enter returns to the loop, with the exit
 * handled (metal_turn.handed) or not even read. */
int metal_vm_fast(void);
/* VMLAUNCH/VMRESUME itself failed: the guest ends with the reason. */
void metal_vm_entry_failed(struct metal_vm *vm);
/* Before each entry: raise the exception hv_plat_exception asked for,
 * whatever the guest's IF (it takes precedence: vm->irq stays pending);
 * else deliver vm->irq if the guest can take it now, else ask for an exit
 * when it can (interrupt-window exiting). */
void metal_vm_deliver(struct metal_vm *vm);

/* enter.S: run the current VMCS's guest until its next exit that
 * metal_vm_fast leaves to the run loop. 0, or 1 if VMLAUNCH/VMRESUME
 * failed. */
int metal_enter(struct metal_regs *r, int launched);

/* sched.c: the run queue. Guests started together run at once, sharing
 * the CPU in HV_SLICE_NS slices; metal_sched_run returns when every one of
 * them has ended (each reported and destroyed). */
void metal_sched_init(const struct metal_vmx_caps *caps);
void metal_sched_start(struct metal_vm *vm); /* a created guest joins the queue */
void metal_sched_run(void);
struct metal_vm *metal_sched_current(void);  /* the guest being handled, or NULL */
void metal_sched_wake(struct metal_vm *vm);  /* a blocked guest is ready again */
void metal_sched_deadline(struct metal_vm *vm, uint64_t ns); /* hv_plat_deadline */
/* The running turn, as the exit fast path (metal_vm_fast) needs it. */
struct metal_turn {
	struct metal_vm *vm;  /* the guest whose exits hv handles; NULL between turns */
	uint64_t stop;        /* TSC at which the run loop has work: the nearer of
				 vm's slice end and any guest's earliest deadline */
	unsigned timer_shift; /* the preemption timer's (struct metal_vmx_caps) */
	int handed;           /* metal_vm_fast handled the exit, the loop goes on */
	enum metal_next next; /* ... with this */
};
extern struct metal_turn metal_turn;
/* What the scheduler did, for the summary line. */
struct metal_sched_stats {
	uint64_t turns;     /* times a guest got the CPU */
	uint64_t slices;    /* slices used, every guest's together (hv_slice_end) */
	uint64_t preempted; /* turns hv ended by force */
	uint64_t yields;    /* turns the guest ended by EXO_HC_YIELD */
	uint64_t waits, idle_waits;
};
const struct metal_sched_stats *metal_sched_stats(void);

/* plat.c: the hv_plat_* contract, and how a guest's output is printed:
 * "NAME: " before each of its lines when several guests run. */
void metal_output_several(int several);
void metal_output_flush(struct metal_vm *vm); /* a partial last line */
void metal_report(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));    /* "metal: [NAME: ]TEXT" */

/* tsc.c: the TSC rate in kHz, measured against the PIT; 0 if it cannot.
 * It is also the rate of hv/metal's clock (hv_plat_now_ns, 2 GHz when it
 * could not be measured), which metal_ns_ticks converts to TSC ticks. */
uint64_t metal_tsc_khz(void);
uint64_t metal_ns_ticks(uint64_t ns);
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* idt.c: hv's own IDT (exceptions in hv are reported, then the run ends). */
void metal_idt_load(void);
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
