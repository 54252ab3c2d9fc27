/*
 * libos/vm/call.c: how a vm.h call reaches ring 0.
 *
 * In ring-0 mode the work function is called directly. In ring-3 mode the
 * call crosses by exo_kcall (one trap) and the work runs in ring 0 on the
 * kernel stack; the arguments travel in a block on the caller's stack.
 */
#include "vm_impl.h"

struct vm_kargs {
	vm_kfn fn;
	uint64_t a, b, c;
};

static void vm_kcall_entry(struct exo_trap_frame *f)
{
	const struct vm_kargs *k = (const struct vm_kargs *)(uintptr_t)f->rsi;
	f->rax = (uint64_t)k->fn(k->a, k->b, k->c);
}

int64_t vm_call(vm_kfn fn, uint64_t a, uint64_t b, uint64_t c)
{
	if (vm_state.ring == VM_RING_0)
		return fn(a, b, c);
	struct vm_kargs k = { fn, a, b, c };
	return exo_kcall(vm_kcall_entry, (uint64_t)(uintptr_t)&k, 0, 0);
}
