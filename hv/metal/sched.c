/*
 * hv/metal/sched.c: the run queue that shares hv/metal's one CPU.
 *
 * Ready guests wait in a FIFO queue; the one at its head runs one slice
 * (SLICE_MS of TSC time) and goes to the back. The VMX-preemption timer
 * ends a slice that the guest does not end itself: it counts down from
 * the value loaded at each VM entry, once every 2^IA32_VMX_MISC[4:0] TSC
 * ticks, so each entry loads what is left of the slice. A guest in
 * EXO_DB_WAIT (hv_exit said HV_NEXT_BLOCKED) leaves the queue until a ring
 * wakes it (hv_plat_wake) or its deadline passes: deadlines are TSC values
 * checked before every slice, and when every remaining guest waits, hv
 * spins on the TSC (interrupts are off) until the earliest one. A guest
 * that ends is reported and destroyed at once, while the others run.
 *
 * Switching guests switches what VMX leaves in the CPU: the current VMCS
 * (VMPTRLD; several VMCSs may be active on one CPU, so VMCLEAR waits for
 * the guest's end), the x87/SSE registers (FXSAVE/FXRSTOR: guests cannot
 * enable AVX state, XSETBV exits and ends them), the SYSCALL MSRs the MSR
 * bitmap lets guests write directly, and CR2, which a guest's page-fault
 * handler may not have read yet when its slice ends.
 */
#include "caps.h"
#include "metal.h"
#include "vmcs.h"

#define SLICE_MS 5
#define SLICE_TSC_NO_KHZ 10000000ull /* no TSC rate: about 5 ms at 2 GHz */

static const struct metal_vmx_caps *vmx;
static uint64_t tsc_khz, slice_tsc;
static struct metal_vm *queue[METAL_VMS_MAX];
static unsigned head, queued;
static struct metal_vm *live[METAL_VMS_MAX]; /* started and not yet ended */
static unsigned nlive;
static struct metal_vm *current; /* the guest whose exit hv is handling */
static struct metal_vm *loaded;  /* whose VMCS and registers the CPU holds */
static struct metal_sched_stats stats;

void metal_sched_init(const struct metal_vmx_caps *caps, uint64_t khz)
{
	vmx = caps;
	tsc_khz = khz;
	slice_tsc = khz ? khz * SLICE_MS : SLICE_TSC_NO_KHZ;
}

static void enqueue(struct metal_vm *vm)
{
	if (queued == METAL_VMS_MAX)
		hv_plat_panic("the run queue overflowed");
	vm->state = METAL_READY;
	queue[(head + queued++) % METAL_VMS_MAX] = vm;
}

static struct metal_vm *dequeue(void)
{
	if (!queued)
		return 0;
	struct metal_vm *vm = queue[head];
	head = (head + 1) % METAL_VMS_MAX;
	queued--;
	return vm;
}

void metal_sched_start(struct metal_vm *vm)
{
	if (nlive == METAL_VMS_MAX)
		hv_plat_panic("more guests than the run queue holds");
	live[nlive++] = vm;
	enqueue(vm);
}

struct metal_vm *metal_sched_current(void)
{
	return current;
}

void metal_sched_wake(struct metal_vm *vm)
{
	if (vm->state != METAL_BLOCKED)
		return;
	vm->woken = 1;
	enqueue(vm);
}

void metal_sched_deadline(struct metal_vm *vm, uint64_t ns)
{
	uint64_t d = 0;
	if (ns) {
		uint64_t now = rdtsc(), ticks = metal_ns_to_tsc(ns, tsc_khz ? tsc_khz : 2000000);
		d = ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
	}
	vm->deadline = d;
}

const struct metal_sched_stats *metal_sched_stats(void)
{
	return &stats;
}

static void save(struct metal_vm *vm)
{
	__asm__ volatile("fxsave64 %0" : "=m"(vm->fpu));
	for (unsigned i = 0; i < 5; i++)
		vm->syscall_msrs[i] = rdmsr(metal_syscall_msr[i]);
	__asm__ volatile("mov %%cr2, %0" : "=r"(vm->cr2));
}

static void load(struct metal_vm *vm)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(vm->fpu));
	for (unsigned i = 0; i < 5; i++)
		wrmsr(metal_syscall_msr[i], vm->syscall_msrs[i]);
	__asm__ volatile("mov %0, %%cr2" : : "r"(vm->cr2));
	uint64_t pa = (uint64_t)(uintptr_t)vm->vmcs;
	uint8_t bad;
	__asm__ volatile("vmptrld %1; setbe %0" : "=q"(bad) : "m"(pa) : "cc", "memory");
	if (bad)
		hv_plat_panic("VMPTRLD of a guest's VMCS failed");
}

static void switch_to(struct metal_vm *vm)
{
	if (loaded == vm)
		return;
	if (loaded)
		save(loaded);
	load(vm);
	loaded = vm;
}

/* The end of a guest: its last output, how it ended, its status; then
 * everything it had goes back (hv/core's frames and grants, the arena's
 * pages). */
static void finish(struct metal_vm *vm)
{
	metal_output_flush(vm);
	hv_report_end(&vm->g);
	metal_printf("metal: guest %s exit status %d\n", vm->g.name, hv_end_status(&vm->g));
	if (loaded == vm)
		loaded = 0;
	for (unsigned i = 0; i < nlive; i++)
		if (live[i] == vm)
			live[i] = live[--nlive];
	metal_guest_destroy(vm);
}

/* Deadlines that passed: a guest still waiting resumes with 0. */
static void deadlines(void)
{
	uint64_t now = rdtsc();
	for (unsigned i = 0; i < nlive; i++) {
		struct metal_vm *vm = live[i];
		if (!vm->deadline || now < vm->deadline)
			continue;
		vm->deadline = 0;
		hv_guest_deadline(&vm->g);
		if (vm->state == METAL_BLOCKED && !vm->g.blocked)
			metal_sched_wake(vm);
	}
}

/* Nothing is ready: wait for the earliest deadline. A guest blocks only
 * in a WAIT with a timeout, so one exists unless hv/core broke that. */
static void idle(void)
{
	uint64_t first = UINT64_MAX;
	for (unsigned i = 0; i < nlive; i++)
		if (live[i]->deadline && live[i]->deadline < first)
			first = live[i]->deadline;
	if (first == UINT64_MAX)
		hv_plat_panic("every guest waits and none has a deadline");
	stats.idle_waits++;
	while (rdtsc() < first)
		__asm__ volatile("pause");
}

/* One slice of vm: entries and exits until the slice is over, it blocks
 * or it ends. */
static void slice(struct metal_vm *vm)
{
	switch_to(vm);
	current = vm;
	vm->state = METAL_RUNNING;
	vm->kicked = 0;
	if (vm->woken) {
		vm->woken = 0;
		vm->regs.rax = vm->g.wake_rax;
	}
	stats.slices++;
	uint64_t end = rdtsc() + slice_tsc;
	for (;;) {
		uint64_t now = rdtsc();
		if (now >= end || vm->kicked)
			break;
		metal_vm_deliver(vm);
		vmwrite(VMX_PREEMPTION_TIMER_VALUE, metal_timer_value(end - now, vmx->timer_shift));
		enum metal_next next;
		if (metal_enter(&vm->regs, vm->launched)) {
			metal_vm_entry_failed(vm);
			next = METAL_END;
		} else {
			vm->launched = 1;
			next = metal_vm_exit_handle(vm);
		}
		if (next == METAL_RESUME)
			continue;
		current = 0;
		if (next == METAL_YIELD)
			stats.preempted++;
		if (next == METAL_BLOCK) {
			vm->state = METAL_BLOCKED;
			stats.waits++;
		} else if (next == METAL_END) {
			vm->state = METAL_ENDED;
			finish(vm);
		} else {
			enqueue(vm);
		}
		return;
	}
	current = 0;
	enqueue(vm);
}

void metal_sched_run(void)
{
	while (nlive) {
		deadlines();
		struct metal_vm *vm = dequeue();
		if (vm)
			slice(vm);
		else
			idle();
	}
}
