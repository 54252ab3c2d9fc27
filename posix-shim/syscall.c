/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/syscall.c: system call dispatch.
 *
 * The table comes from calls.h, the one list. A call the shim does not
 * serve returns -ENOSYS and is named once on exo's stderr, so a user sees
 * what their program needed. After every call, signals the call made
 * deliverable are delivered before the program resumes.
 */
#include "shim.h"

#define CALL(name, nr, class) CALL_##class(name)
#define CALL_GUEST(name) int64_t sys_##name(struct shim_call *c);
#define CALL_FWD(name) int64_t sys_##name(struct shim_call *c);
#define CALL_NOSYS(name)
#include "calls.h"
#undef CALL_GUEST
#undef CALL_FWD
#undef CALL_NOSYS

#define CALL_GUEST(name) sys_##name
#define CALL_FWD(name) sys_##name
#define CALL_NOSYS(name) 0
#undef CALL
#define CALL(name, nr, class) [nr] = CALL_##class(name),
static int64_t (*const calls[])(struct shim_call *) = {
#include "calls.h"
};
#undef CALL
#define CALL(name, nr, class) [nr] = #name,
static const char *const names[] = {
#include "calls.h"
};
#define NCALLS (sizeof names / sizeof names[0])

const char *shim_call_name(uint64_t nr)
{
	return nr < NCALLS && names[nr] ? names[nr] : NULL;
}

/* Each call is named once; numbers beyond the table are remembered in a
 * short list, and past that exo says once that it stops naming them. */
static void unsupported(uint64_t nr)
{
	static uint64_t said[(NCALLS + 63) / 64];
	static uint64_t unknown[32];
	static unsigned nunknown;
	if (nr < NCALLS) {
		if (said[nr / 64] & (1ull << (nr % 64)))
			return;
		said[nr / 64] |= 1ull << (nr % 64);
	} else {
		for (unsigned i = 0; i < nunknown && i < 32; i++)
			if (unknown[i] == nr)
				return;
		if (nunknown == 32) {
			exo_notice("posix-shim: more unknown system calls: -ENOSYS, not named");
			nunknown++;
		}
		if (nunknown > 32)
			return;
		unknown[nunknown++] = nr;
	}
	if (shim_call_name(nr))
		exo_notice("posix-shim: %s (system call %lu) is not supported: -ENOSYS",
			   shim_call_name(nr), (unsigned long)nr);
	else
		exo_notice("posix-shim: unknown system call %lu: -ENOSYS", (unsigned long)nr);
}

/* Masked (exo_mask): a call holds GPAs it got from libos/vm across other
 * vm calls, which a revocation upcall must not change under it; an
 * upcall that arrives meanwhile runs at the unmask. */
void shim_syscall(struct exo_trap_frame *f)
{
	uint64_t nr = f->rax;
	struct shim_call c = { { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 }, f };
	int64_t ret;
	exo_mask();
	if (shim_lfd_call(nr, &c, &ret)) { /* a descriptor the shim serves: lfd.c */
	} else if (nr < sizeof calls / sizeof calls[0] && calls[nr]) {
		ret = calls[nr](&c);
	} else if (!shim_exocall(nr, &c, &ret)) { /* exo's own calls: exocall.c */
		unsupported(nr);
		ret = -ENOSYS;
	}
	if (ret != SHIM_KEEP_FRAME) {
		f->rax = (uint64_t)ret;
		f->rcx = f->rip; /* what `syscall` leaves in them, as Linux does */
		f->r11 = f->rflags;
	}
	exo_unmask();
	shim_signal_check(f);
}
