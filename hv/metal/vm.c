/*
 * hv/metal/vm.c: one guest in a VMCS of its own.
 *
 * Sets up the VMCS (controls from vmx.c, the same initial long-mode state
 * the kvm platform gives a guest, hv's own state for exits), runs the
 * guest, and turns each VM exit into what hv/core and the user expect:
 * port I/O hypercalls, EPT violations reported as touches of unowned
 * frames, and a one-line report for every other way a guest can stop.
 */
#include "caps.h"
#include "metal.h"
#include "vmcs.h"

struct metal_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

int metal_enter(struct metal_regs *r, int launched);
void metal_vm_exit(void);

struct metal_vm {
	struct hv_guest g;
	struct metal_ept ept;
	struct metal_regs regs;
	uint64_t exo_hpa, exo_bytes;
	uint8_t *msr_bitmap;
};

#define EXIT_EXTERNAL_INTERRUPT 1
#define EXIT_TRIPLE_FAULT 2
#define EXIT_CPUID 10
#define EXIT_HLT 12
#define EXIT_CR_ACCESS 28
#define EXIT_IO 30
#define EXIT_RDMSR 31
#define EXIT_WRMSR 32
#define EXIT_BAD_GUEST_STATE 33
#define EXIT_BAD_MSR_LOAD 34
#define EXIT_EPT_VIOLATION 48
#define EXIT_EPT_MISCONFIG 49
#define EXIT_ENTRY_FAILED (1u << 31)

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* MSRs a guest reads and writes without an exit: the SYSCALL ones and
 * the segment bases, which hv/metal itself never uses. FS and GS bases
 * are guest state in the VMCS; the others are reset before each guest, so
 * that none sees what the one before it left. EFER exits and is emulated
 * on the VMCS's copy; any other MSR is #GP, as on kvm for an MSR it does
 * not know. */
static const uint32_t msr_direct[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
};
static const uint32_t msr_reset[] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE };

/* The MSR bitmap (SDM 24.6.9): read bits for 0-0x1fff, then for
 * 0xc0000000-0xc0001fff, then the same two for writes; a set bit exits. */
static void msr_bitmap(uint8_t *bm)
{
	memset(bm, 0xff, 4096);
	for (unsigned i = 0; i < sizeof msr_direct / sizeof msr_direct[0]; i++) {
		uint32_t m = msr_direct[i], bit = m & 0x1fff;
		unsigned base = m >= 0xc0000000u ? 1024 : 0;
		bm[base + bit / 8] &= (uint8_t)~(1u << bit % 8);
		bm[2048 + base + bit / 8] &= (uint8_t)~(1u << bit % 8);
	}
}

/* Every guest starts with the x87 and SSE state of a fresh CPU after
 * FNINIT, as a new KVM vCPU does: FCW 0x37f (all exceptions masked),
 * MXCSR 0x1f80, every register zero. VM entry does not load this state,
 * so without it a guest would see the previous guest's registers and, on
 * the first, whatever the firmware left (after RESET the x87 exceptions
 * are unmasked: a program's first printf("%f") took #MF). */
static void fpu_reset(void)
{
	static uint8_t clean[512] __attribute__((aligned(16)));
	clean[0] = 0x7f, clean[1] = 0x03;   /* FCW */
	clean[24] = 0x80, clean[25] = 0x1f; /* MXCSR */
	__asm__ volatile("fxrstor64 %0" : : "m"(clean));
}

/* #GP(0) into the guest at the instruction that exited. */
static void inject_gp(void)
{
	vmwrite(VM_ENTRY_INTR_INFO, 13 | 3u << 8 | 1u << 11 | 1u << 31);
	vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case 0: return "exception or NMI";
	case EXIT_EXTERNAL_INTERRUPT: return "external interrupt";
	case EXIT_TRIPLE_FAULT: return "triple fault";
	case EXIT_CPUID: return "CPUID";
	case EXIT_HLT: return "HLT";
	case EXIT_CR_ACCESS: return "control-register access";
	case EXIT_IO: return "I/O instruction";
	case EXIT_RDMSR: return "RDMSR";
	case EXIT_WRMSR: return "WRMSR";
	case EXIT_BAD_GUEST_STATE: return "VM entry with invalid guest state";
	case EXIT_BAD_MSR_LOAD: return "VM entry failure due to MSR loading";
	case EXIT_EPT_VIOLATION: return "EPT violation";
	case EXIT_EPT_MISCONFIG: return "EPT misconfiguration";
	default: return "unexpected";
	}
}

static const char *vm_instruction_error(uint64_t e)
{
	switch (e) {
	case 7: return "VM entry with invalid control fields";
	case 8: return "VM entry with invalid host-state fields";
	case 9: return "VMRESUME with a corrupted VMCS";
	case 12: return "VMWRITE to a read-only field";
	default: return "see the SDM's VM-instruction error numbers";
	}
}

int hv_plat_bind(struct hv_guest *g, uint64_t first, uint64_t n)
{
	struct metal_vm *vm = g->plat;
	for (uint64_t f = first; f < first + n; f++)
		if (metal_ept_map(&vm->ept, f << 12, metal_pool_base() + (f << 12),
				  EPT_R | EPT_W | EPT_X) < 0) {
			while (f-- > first)
				metal_ept_unmap(&vm->ept, f << 12);
			return -EXO_ENOMEM;
		}
	return 0;
}

void hv_plat_unbind(struct hv_guest *g, uint64_t first, uint64_t n)
{
	struct metal_vm *vm = g->plat;
	for (uint64_t f = first; f < first + n; f++)
		metal_ept_unmap(&vm->ept, f << 12);
	metal_ept_flush(&vm->ept);
	memset((void *)(uintptr_t)(metal_pool_base() + (first << 12)), 0, n << 12);
}

void hv_plat_console(struct hv_guest *g, const char *buf, uint64_t len)
{
	(void)g;
	metal_write(buf, len);
}

void hv_plat_notice(struct hv_guest *g, const char *text)
{
	(void)g;
	metal_printf("metal: %s\n", text);
}

/* getrandom's bytes from RDRAND (retried a few times, as Intel advises);
 * -ENOSYS on a CPU without it: metal has no other source to offer. */
static int64_t random_bytes(uint8_t *buf, uint64_t len)
{
	static int has_rdrand = -1;
	if (has_rdrand < 0) {
		uint32_t r[4];
		cpuid(1, 0, r);
		has_rdrand = (r[2] >> 30) & 1;
	}
	if (!has_rdrand)
		return -EXO_FWD_ENOSYS;
	for (uint64_t at = 0; at < len;) {
		uint64_t v;
		uint8_t ok = 0;
		for (int tries = 0; tries < 10 && !ok; tries++)
			__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
		if (!ok)
			return at ? (int64_t)at : -11; /* Linux's EAGAIN */
		for (int i = 0; i < 8 && at < len; i++, v >>= 8)
			buf[at++] = (uint8_t)v;
	}
	return (int64_t)len;
}

/* No host file system here: a program's writes to its stdout and stderr
 * go to the console, interleaved with hv's own lines as they happen (there
 * is no separate stderr). The few calls that ask about the host itself are
 * answered as for the only process there is: pid 1 (its own group), parent
 * 0, uid and gid 0 (root), random bytes from RDRAND. Every other call, the
 * file ones, the clocks and sleeps among them, is -ENOSYS. */
int64_t hv_plat_forward(struct hv_guest *g, const struct hv_fwd *c)
{
	(void)g;
	switch (c->nr) {
	case EXO_FWD_WRITE:
		if (c->arg[0] != 1 && c->arg[0] != 2)
			break;
		metal_write(c->ptr[1], c->len[1]);
		return (int64_t)c->len[1];
	case EXO_FWD_GETPID:
	case EXO_FWD_GETPGRP:
		return 1;
	case EXO_FWD_GETPPID:
	case EXO_FWD_GETUID:
	case EXO_FWD_GETGID:
	case EXO_FWD_GETEUID:
	case EXO_FWD_GETEGID:
		return 0;
	case EXO_FWD_GETRANDOM:
		return random_bytes(c->ptr[0], c->len[0]);
	}
	return -EXO_FWD_ENOSYS;
}

void hv_plat_panic(const char *why)
{
	metal_printf("metal: internal error in hv: %s\n", why);
	metal_exit(0);
}

static int setup_vmcs(struct metal_vm *vm, const struct metal_vmx_caps *c, const struct hv_boot *b,
		      uint16_t vpid)
{
	extern uint64_t metal_gdt[];
	extern char metal_tss[];
	uint64_t cr0, cr3, cr4;
	__asm__ volatile("mov %%cr0, %0; mov %%cr3, %1; mov %%cr4, %2"
			 : "=r"(cr0), "=r"(cr3), "=r"(cr4));
	/* The guest's view: CR4.VMXE must be set under VMX; hv owns that bit
	 * and shows the guest 0. */
	uint64_t gcr0 = 0x80010033; /* PG WP NE ET MP PE, as on kvm */
	uint64_t gcr4 = (0x20 | c->cr4_fixed0) & c->cr4_fixed1;
	int bad = 0;
#define W(f, v) (bad |= vmwrite((f), (v)))
	W(PIN_BASED_VM_EXEC_CONTROL, c->pin);
	W(CPU_BASED_VM_EXEC_CONTROL, c->proc);
	W(SECONDARY_VM_EXEC_CONTROL, c->proc2);
	W(VM_EXIT_CONTROLS, c->exit);
	W(VM_ENTRY_CONTROLS, c->entry);
	W(EXCEPTION_BITMAP, 0);
	W(CR3_TARGET_COUNT, 0);
	W(VM_EXIT_MSR_STORE_COUNT, 0);
	W(VM_EXIT_MSR_LOAD_COUNT, 0);
	W(VM_ENTRY_MSR_LOAD_COUNT, 0);
	W(VM_ENTRY_INTR_INFO, 0);
	W(VIRTUAL_PROCESSOR_ID, vpid);
	W(EPT_POINTER, metal_eptp((uint64_t)(uintptr_t)vm->ept.pml4));
	W(MSR_BITMAP, (uint64_t)(uintptr_t)vm->msr_bitmap);
	W(CR0_GUEST_HOST_MASK, 0);
	W(CR4_GUEST_HOST_MASK, 1ull << 13);
	W(CR4_READ_SHADOW, 0);
	W(CR0_READ_SHADOW, gcr0);

	W(GUEST_CR0, gcr0);
	W(GUEST_CR3, b->cr3);
	W(GUEST_CR4, gcr4);
	W(GUEST_IA32_EFER, 0xd00); /* LME LMA NXE */
	W(GUEST_CS_SELECTOR, 0x08);
	W(GUEST_CS_BASE, 0);
	W(GUEST_CS_LIMIT, 0xffffffff);
	W(GUEST_CS_AR, 0xa09b);
	static const enum vmcs_field data[][4] = {
		{ GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR },
		{ GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR },
		{ GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR },
		{ GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR },
		{ GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR },
	};
	for (unsigned i = 0; i < 5; i++) {
		W(data[i][0], 0x10);
		W(data[i][1], 0);
		W(data[i][2], 0xffffffff);
		W(data[i][3], 0xc093);
	}
	W(GUEST_LDTR_SELECTOR, 0);
	W(GUEST_LDTR_BASE, 0);
	W(GUEST_LDTR_LIMIT, 0xffff);
	W(GUEST_LDTR_AR, 0x10000); /* unusable */
	W(GUEST_TR_SELECTOR, 0);
	W(GUEST_TR_BASE, 0);
	W(GUEST_TR_LIMIT, 0x67);
	W(GUEST_TR_AR, 0x8b);
	W(GUEST_GDTR_BASE, 0);
	W(GUEST_GDTR_LIMIT, 0);
	W(GUEST_IDTR_BASE, 0);
	W(GUEST_IDTR_LIMIT, 0);
	W(GUEST_DR7, 0x400);
	W(GUEST_RSP, 0);
	W(GUEST_RIP, b->entry);
	W(GUEST_RFLAGS, 2);
	W(GUEST_INTERRUPTIBILITY, 0);
	W(GUEST_ACTIVITY_STATE, 0);
	W(GUEST_SYSENTER_CS, 0);
	W(GUEST_SYSENTER_ESP, 0);
	W(GUEST_SYSENTER_EIP, 0);
	W(VMCS_LINK_POINTER, ~0ull);

	W(HOST_CR0, cr0);
	W(HOST_CR3, cr3);
	W(HOST_CR4, cr4);
	W(HOST_CS_SELECTOR, 0x08);
	W(HOST_SS_SELECTOR, 0x10);
	W(HOST_DS_SELECTOR, 0x10);
	W(HOST_ES_SELECTOR, 0x10);
	W(HOST_FS_SELECTOR, 0x10);
	W(HOST_GS_SELECTOR, 0x10);
	W(HOST_TR_SELECTOR, 0x18);
	W(HOST_FS_BASE, 0);
	W(HOST_GS_BASE, 0);
	W(HOST_TR_BASE, (uint64_t)(uintptr_t)metal_tss);
	W(HOST_GDTR_BASE, (uint64_t)(uintptr_t)metal_gdt);
	W(HOST_IDTR_BASE, metal_idt_base());
	W(HOST_IA32_EFER, rdmsr(0xc0000080));
	W(HOST_SYSENTER_CS, 0);
	W(HOST_SYSENTER_ESP, 0);
	W(HOST_SYSENTER_EIP, 0);
	W(HOST_RIP, (uint64_t)(uintptr_t)metal_vm_exit);
#undef W
	vm->regs = (struct metal_regs){ .rdi = b->rdi };
	return bad ? -1 : 0;
}

static void skip_instruction(void)
{
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN));
}

/* One exit: 1 to resume the guest, 0 when it has ended. */
static int handle_exit(struct metal_vm *vm)
{
	struct hv_guest *g = &vm->g;
	uint32_t reason = (uint32_t)vmread(VM_EXIT_REASON);
	uint64_t qual = vmread(EXIT_QUALIFICATION), rip = vmread(GUEST_RIP);

	if (reason & EXIT_ENTRY_FAILED) {
		g->stats.exits[HV_EXIT_OTHER]++;
		g->end = HV_END_PROTOCOL;
		metal_printf("metal: VM entry failed: %s (exit reason %u, qualification %lx)\n",
			     exit_name(reason & 0xffff), reason & 0xffff, qual);
		return 0;
	}
	switch (reason & 0xffff) {
	case EXIT_IO: {
		uint16_t port = (uint16_t)(qual >> 16);
		int in = (qual >> 3) & 1, string = (qual >> 4) & 1;
		unsigned size = (unsigned)(qual & 7) + 1;
		if (!in && !string && size == 4 && port >= EXO_HC_PORT &&
		    port < EXO_HC_PORT + EXO_HC_PORT_SPAN) {
			g->stats.exits[HV_EXIT_HYPERCALL]++;
			vm->regs.rax = (uint64_t)hv_hypercall(g, port - EXO_HC_PORT, (uint32_t)vm->regs.rax);
			skip_instruction();
			return g->end == HV_RUNNING;
		}
		g->stats.exits[HV_EXIT_IO_OTHER]++;
		g->end = HV_END_PROTOCOL;
		metal_printf("metal: guest used I/O port %x (%s), which hv does not provide, at RIP %lx\n",
			     port, in ? "in" : "out", rip);
		return 0;
	}
	case EXIT_EPT_VIOLATION: {
		uint64_t gpa = vmread(GUEST_PHYSICAL_ADDRESS);
		int write = (qual >> 1) & 1;
		g->stats.exits[HV_EXIT_MMIO]++;
		if (gpa >= g->exo_gpa && gpa < g->exo_gpa + vm->exo_bytes && write) {
			g->end = HV_END_PROTOCOL;
			metal_printf("metal: guest wrote to its read-only exo page at GPA %lx, RIP %lx\n",
				     gpa, rip);
			return 0;
		}
		g->end = HV_END_UNOWNED;
		metal_printf("metal: guest %s GPA %lx (frame %lu), which it does not own, at RIP %lx\n",
			     write ? "wrote" : "read", gpa, gpa >> 12, rip);
		return 0;
	}
	case EXIT_CPUID: {
		uint32_t r[4];
		cpuid((uint32_t)vm->regs.rax, (uint32_t)vm->regs.rcx, r);
		if ((uint32_t)vm->regs.rax == 1)
			r[2] &= ~(1u << 5); /* no VMX for guests */
		vm->regs.rax = r[0];
		vm->regs.rbx = r[1];
		vm->regs.rcx = r[2];
		vm->regs.rdx = r[3];
		g->stats.exits[HV_EXIT_OTHER]++;
		skip_instruction();
		return 1;
	}
	case EXIT_EXTERNAL_INTERRUPT:
		/* main.c masked the PICs and nothing else is programmed to
		 * interrupt: one still pending would exit again on every entry. */
		hv_plat_panic("an external interrupt arrived while a guest ran, with the PICs masked");
	case EXIT_RDMSR:
	case EXIT_WRMSR: {
		/* Only from ring 0: ring 3 gets #GP without an exit. */
		uint32_t msr = (uint32_t)vm->regs.rcx;
		uint64_t efer = vmread(GUEST_IA32_EFER);
		g->stats.exits[HV_EXIT_OTHER]++;
		if (msr == MSR_EFER && (reason & 0xffff) == EXIT_RDMSR) {
			vm->regs.rax = (uint32_t)efer;
			vm->regs.rdx = efer >> 32;
			skip_instruction();
			return 1;
		}
		if (msr == MSR_EFER) {
			/* SCE and NXE are the guest's; it stays in long mode
			 * (LME as it is; LMA is the CPU's, writes ignore it). */
			uint64_t v = (uint32_t)vm->regs.rax | vm->regs.rdx << 32;
			if (!(v & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) &&
			    (v & EFER_LME) == (efer & EFER_LME)) {
				vmwrite(GUEST_IA32_EFER, (v & ~EFER_LMA) | (efer & EFER_LMA));
				skip_instruction();
				return 1;
			}
		}
		inject_gp();
		return 1;
	}
	case EXIT_TRIPLE_FAULT:
		g->stats.exits[HV_EXIT_SHUTDOWN]++;
		g->end = HV_END_TRIPLE;
		metal_printf("metal: guest triple-faulted at RIP %lx\n", rip);
		return 0;
	case EXIT_HLT:
		g->stats.exits[HV_EXIT_HLT]++;
		g->end = HV_END_PROTOCOL;
		metal_printf("metal: guest halted at RIP %lx with nothing to wake it\n", rip);
		return 0;
	default:
		g->stats.exits[HV_EXIT_OTHER]++;
		g->end = HV_END_PROTOCOL;
		metal_printf("metal: guest stopped: %s (exit reason %u, qualification %lx) at RIP %lx\n",
			     exit_name(reason & 0xffff), reason & 0xffff, qual, rip);
		return 0;
	}
}

static void report_fault(const struct hv_guest *g)
{
	const struct exo_hc_fault *f = &g->fault;
	const struct exo_regs *r = &f->regs;
	metal_printf("metal: guest fault: vector %lu (%s), error code %lx, RIP %lx, CR2 %lx\n",
		     f->vector, hv_vector_name(f->vector), f->error_code, r->rip, f->cr2);
	metal_printf("metal:   rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", r->rax, r->rbx,
		     r->rcx, r->rdx);
	metal_printf("metal:   rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", r->rsi, r->rdi,
		     r->rbp, r->rsp);
	metal_printf("metal:   r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", r->r8, r->r9,
		     r->r10, r->r11);
	metal_printf("metal:   r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", r->r12, r->r13,
		     r->r14, r->r15);
	metal_printf("metal:   rflags %016lx cs %04lx ss %04lx\n", r->rflags, r->cs, r->ss);
}

int metal_run_guest(const struct metal_vmx_caps *caps, struct hv_pool *pool,
		    const uint8_t *image, uint64_t image_len, const struct metal_guest_args *a)
{
	static uint16_t vpid;
	uint64_t mark = metal_arena_mark();
	struct hv_image img;
	struct hv_boot boot = { 0 };
	const char *why;
	static struct metal_vm vm;
	int status;

	if (hv_elf_parse(image, image_len, &img, &why) < 0) {
		metal_printf("metal: %s: %s\n", a->name, why);
		return HV_STATUS_IMAGE;
	}
	if (img.kind != HV_IMAGE_GUEST) { /* main.c boots posix-shim for programs */
		metal_printf("metal: %s: a program, not a guest image: it needs posix-shim\n", a->name);
		return HV_STATUS_IMAGE;
	}
	vm = (struct metal_vm){ .exo_bytes = hv_exo_area_bytes(pool->nframes) };
	vm.ept.pml4 = metal_page_alloc(1);
	uint8_t *exo = metal_page_alloc(vm.exo_bytes / 4096);
	uint32_t *vmcs = metal_page_alloc(1);
	vm.msr_bitmap = metal_page_alloc(1);
	if (!vm.ept.pml4 || !exo || !vmcs || !vm.msr_bitmap) {
		metal_printf("metal: %s: out of memory for its VMCS, EPT and exo page\n", a->name);
		metal_arena_release(mark);
		return HV_STATUS_HOST;
	}
	hv_guest_init(&vm.g, pool, ++vpid, a->mem_bytes / 4096);
	vm.g.plat = &vm;
	vm.g.exo = (struct exo_page *)exo;
	vm.g.bitmap = exo + 4096;
	vm.g.exo_gpa = pool->nframes << 12;
	for (uint64_t off = 0; off < vm.exo_bytes; off += 4096)
		if (metal_ept_map(&vm.ept, vm.g.exo_gpa + off, (uint64_t)(uintptr_t)exo + off,
				  EPT_R) < 0) {
			metal_printf("metal: %s: out of memory for EPT\n", a->name);
			metal_arena_release(mark);
			return HV_STATUS_HOST;
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
	if (hv_boot_load(&vm.g, &img, image, &args, &boot, &why) < 0) {
		metal_printf("metal: %s: %s (needs %lu frames%s, may own %lu)\n", a->name, why,
			     boot.need_frames, a->payload ? " with posix-shim" : "", vm.g.cap_frames);
		hv_guest_release_all(&vm.g);
		metal_arena_release(mark);
		return HV_STATUS_IMAGE;
	}
	vm.g.exo->ring_request = a->ring;
	vm.g.exo->tsc_khz = a->tsc_khz;

	vmcs[0] = caps->revision;
	uint64_t vmcs_pa = (uint64_t)(uintptr_t)vmcs;
	__asm__ volatile("vmclear %0; vmptrld %0" : : "m"(vmcs_pa) : "cc", "memory");
	vm.ept.live = 1;
	metal_ept_flush(&vm.ept); /* a previous guest's EPT may have had this root */
	msr_bitmap(vm.msr_bitmap);
	fpu_reset();
	for (unsigned i = 0; i < sizeof msr_reset / sizeof msr_reset[0]; i++)
		wrmsr(msr_reset[i], 0);
	if (setup_vmcs(&vm, caps, &boot, vpid) < 0) {
		metal_printf("metal: %s: VMWRITE failed while setting up the VMCS\n", a->name);
		status = HV_STATUS_HOST;
		goto out;
	}
	for (int launched = 0;; launched = 1) {
		if (metal_enter(&vm.regs, launched)) {
			uint64_t e = vmread(VM_INSTRUCTION_ERROR);
			metal_printf("metal: %s: %s failed: VM-instruction error %lu (%s)\n", a->name,
				     launched ? "VMRESUME" : "VMLAUNCH", e, vm_instruction_error(e));
			status = HV_STATUS_HOST;
			goto out;
		}
		if (!handle_exit(&vm))
			break;
	}
	if (vm.g.end == HV_END_FAULT)
		report_fault(&vm.g);
	if (vm.g.end == HV_END_PROTOCOL && vm.g.exit_status > EXO_EXIT_STATUS_MAX)
		metal_printf("metal: guest exit status %lu is out of range 0-%u\n", vm.g.exit_status,
			     EXO_EXIT_STATUS_MAX);
	status = hv_end_status(&vm.g);
out:
	__asm__ volatile("vmclear %0" : : "m"(vmcs_pa) : "cc", "memory");
	vm.ept.live = 0;
	hv_guest_release_all(&vm.g);
	metal_arena_release(mark);
	return status;
}
