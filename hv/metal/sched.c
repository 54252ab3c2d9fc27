/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/sched.c: the run queue that shares hv/metal's one CPU.
 *
 * Ready guests wait in a FIFO queue; the one at its head gets the CPU (a
 * turn) and keeps it until it yields (EXO_HC_YIELD), waits, ends or is
 * preempted, then goes to the back. CPU time is accounted per guest in
 * TSC ticks; each time a guest has used HV_SLICE_NS (the exo page's
 * slice_ns), hv/core's hv_slice_end decides: a guest without a slice-end
 * vector is preempted at once, one with a vector gets that upcall and
 * keeps the CPU through its grace, after which hv_guest_deadline says 1
 * unless it yielded. So a guest that never yields still gets only its
 * slice, and one that listens gives up the CPU itself.
 *
 * The VMX-preemption timer makes this hold for a guest that never exits:
 * it counts down from the value loaded at each VM entry, once every
 * 2^IA32_VMX_MISC[4:0] TSC ticks, and each entry loads the time to the
 * nearer of the guest's slice end and the earliest deadline of any guest
 * (hv_plat_deadline: a WAIT's or a waiting allocation's timeout, a
 * revocation's deadline, a slice's grace). Its exit comes back as an
 * ordinary one, and the turn's loop does what is due before the next
 * entry: deadlines of guests that are not running are served on time too
 * (an abort takes a victim's frames while the requester's turn goes on),
 * and only the running guest's own can end its turn. A hypercall exit
 * that leaves the loop nothing to do does not come back to it:
 * vmexit.c's metal_vm_fast handles it and resumes the guest from the exit
 * stub, by metal_turn (the nearer of the slice's end and the earliest
 * deadline, kept here as either changes).
 *
 * A guest in EXO_DB_WAIT or a waiting allocation (HV_NEXT_BLOCKED) leaves
 * the queue until hv_plat_wake or its deadline; when every remaining guest
 * waits, hv spins on the TSC (interrupts are off) until the earliest
 * deadline. A guest that ends is reported and destroyed at once, while
 * the others run.
 *
 * Switching guests switches what VMX leaves in the CPU: the current VMCS
 * (VMPTRLD; several VMCSs may be active on one CPU, so VMCLEAR waits for
 * the guest's end), the x87/SSE registers (FXSAVE/FXRSTOR: guests cannot
 * enable AVX state, XSETBV exits and ends them), the SYSCALL MSRs the MSR
 * bitmap lets guests write directly, and CR2, which a guest's page-fault
 * handler may not have read yet when its turn ends.
 */
#include "caps.h"
#include "metal.h"
#include "vmcs.h"

static const struct metal_vmx_caps *vmx;
static uint64_t slice_tsc;
static struct metal_vm *queue[METAL_VMS_MAX];
static unsigned head, queued;
static struct metal_vm *live[METAL_VMS_MAX]; /* started and not yet ended */
static unsigned nlive;
static struct metal_vm *loaded; /* whose VMCS and registers the CPU holds */
static struct metal_sched_stats stats;

struct metal_turn metal_turn;

void metal_sched_init(const struct metal_vmx_caps *caps)
{
	vmx = caps;
	slice_tsc = metal_ns_ticks(HV_SLICE_NS);
	metal_turn.timer_shift = caps->timer_shift;
	/* metal_vm_fast loads the timer with what is left of a slice, or
	 * less, without metal_timer_value's clamp to 32 bits: a slice must
	 * fit (10 ms does, up to a TSC of 429 GHz). */
	if (slice_tsc >> caps->timer_shift > UINT32_MAX)
		hv_plat_panic("a slice is longer than the VMX-preemption timer can count");
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
	return metal_turn.vm;
}

void metal_sched_wake(struct metal_vm *vm)
{
	if (vm->state != METAL_BLOCKED)
		return;
	vm->woken = 1;
	enqueue(vm);
}

/* The earliest deadline of every live guest (UINT64_MAX: none), kept
 * exact wherever a deadline changes, so that the run loop, after each
 * exit, compares one number rather than walking every guest. */
static uint64_t first_deadline = UINT64_MAX;

/* The running guest's slice ends at TSC slice_end: its used is
 * now + slice_tsc - slice_end, so that nothing need be added up per exit. */
static uint64_t slice_end;

/* metal_turn.stop follows both (the fast path compares one number). */
static void stop_update(void)
{
	metal_turn.stop = slice_end < first_deadline ? slice_end : first_deadline;
}

static void first_deadline_update(void)
{
	uint64_t first = UINT64_MAX;
	for (unsigned i = 0; i < nlive; i++)
		if (live[i]->deadline && live[i]->deadline < first)
			first = live[i]->deadline;
	first_deadline = first;
	stop_update();
}

/* Any guest's, from any exit: the next entry's timer sees it. */
void metal_sched_deadline(struct metal_vm *vm, uint64_t ns)
{
	uint64_t d = 0, old = vm->deadline;
	if (ns) {
		uint64_t now = rdtsc(), ticks = metal_ns_ticks(ns);
		d = ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
	}
	vm->deadline = d;
	if (d && d < first_deadline) {
		first_deadline = d;
		stop_update();
	} else if (old && old == first_deadline) {
		first_deadline_update(); /* the earliest moved later or went */
	}
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

/* metal has no --stats: what hv/core counted for the guest goes on the
 * console, one line before its status (the Bochs test reads it). */
static void report_stats(struct metal_vm *vm)
{
	const struct hv_stats *s = &vm->g.stats;
	metal_report(vm->g.name, "stats: slices %lu, upcalls %lu answered %lu, preempted %lu; "
		     "frames peak %lu, asked %lu given %lu aborted %lu, requests met %lu, "
		     "allocations waited %lu", s->slices, s->slice_upcalls, s->slice_in_time,
		     s->preempted, s->peak_owned, s->revoke_asked, s->revoke_given,
		     s->revoke_aborted, s->revoke_in_time, s->waited);
}

/* The end of a guest: its last output, how it ended, its counters, its
 * status; then everything it had goes back (hv/core's frames and grants,
 * the arena's pages). */
static void finish(struct metal_vm *vm)
{
	metal_output_flush(vm);
	hv_report_end(&vm->g);
	report_stats(vm);
	metal_printf("metal: guest %s exit status %d\n", vm->g.name, hv_end_status(&vm->g));
	if (loaded == vm)
		loaded = 0;
	for (unsigned i = 0; i < nlive; i++)
		if (live[i] == vm)
			live[i] = live[--nlive];
	first_deadline_update();
	metal_guest_destroy(vm);
}

/* Every deadline that passed, whoever it belongs to: a waiting guest
 * resumes (hv/core set what it returns), owed frames are taken, a grace
 * is over. 1 if the running guest's own says it must be preempted. */
static int deadlines(uint64_t now)
{
	int preempt = 0;
	if (now < first_deadline)
		return 0; /* none has passed: the common exit */
	for (unsigned i = 0; i < nlive; i++) {
		struct metal_vm *vm = live[i];
		if (!vm->deadline || now < vm->deadline)
			continue;
		vm->deadline = 0; /* hv_guest_deadline re-arms what is left */
		if (hv_guest_deadline(&vm->g) && vm == metal_turn.vm)
			preempt = 1;
		if (vm->state == METAL_BLOCKED && !vm->g.blocked)
			metal_sched_wake(vm);
	}
	first_deadline_update();
	return preempt;
}

static uint64_t earliest_deadline(void)
{
	return first_deadline;
}

/* Nothing is ready: wait for the earliest deadline. A guest blocks only
 * with a timeout (a WAIT's, an allocation's), so one exists unless hv/core
 * broke that. */
static void idle(void)
{
	uint64_t first = earliest_deadline();
	if (first == UINT64_MAX)
		hv_plat_panic("every guest waits and none has a deadline");
	stats.idle_waits++;
	while (rdtsc() < first)
		__asm__ volatile("pause");
}

/* A turn is over: next says why (METAL_RESUME: hv preempted it). */
static void leave(struct metal_vm *vm, enum metal_next next)
{
	metal_turn.vm = 0;
	if (next == METAL_END) {
		vm->state = METAL_ENDED;
		finish(vm);
	} else if (next == METAL_BLOCK) {
		stats.waits++;
		vm->state = METAL_BLOCKED;
		if (!vm->g.blocked) /* already served during its own exit */
			metal_sched_wake(vm);
	} else {
		if (next == METAL_YIELD)
			stats.yields++;
		else
			stats.preempted++;
		enqueue(vm);
	}
}

/* One turn of vm: entries and exits until it yields, waits, ends or is
 * preempted. Time between entries (hv handling its exits) is its too. */
static void turn(struct metal_vm *vm)
{
	switch_to(vm);
	metal_turn.vm = vm;
	vm->state = METAL_RUNNING;
	if (vm->woken) {
		vm->woken = 0;
		vm->regs.rax = vm->g.wake_rax;
	}
	stats.turns++;
	slice_end = rdtsc() - vm->used + slice_tsc;
	stop_update();
	enum metal_next next = METAL_RESUME;
	for (;;) {
		uint64_t now = rdtsc();
		vm->used = now + slice_tsc - slice_end;
		if (next != METAL_RESUME)
			break;
		int preempt = deadlines(now);
		if (vm->used >= slice_tsc) {
			vm->used %= slice_tsc;
			slice_end = now - vm->used + slice_tsc;
			stop_update();
			stats.slices++;
			preempt |= hv_slice_end(&vm->g);
		}
		if (preempt)
			break;
		metal_vm_deliver(vm);
		uint64_t until = metal_ticks_to_stop(slice_tsc - vm->used, earliest_deadline(), now);
		vmwrite(VMX_PREEMPTION_TIMER_VALUE, metal_timer_value(until, vmx->timer_shift));
		if (metal_enter(&vm->regs, vm->launched)) {
			metal_vm_entry_failed(vm);
			next = METAL_END;
		} else {
			vm->launched = 1;
			next = metal_turn.handed ? metal_turn.next : metal_vm_exit_handle(vm);
			metal_turn.handed = 0;
		}
	}
	leave(vm, next);
}

void metal_sched_run(void)
{
	while (nlive) {
		deadlines(rdtsc());
		struct metal_vm *vm = dequeue();
		if (vm)
			turn(vm);
		else
			idle();
	}
}
