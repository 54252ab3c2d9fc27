/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/hypercall.c: the guest side of every hypercall.
 *
 * A call is one `out` to EXO_HC_PORT + nr with the block's GPA in eax; the
 * status comes back in rax. The stubs' blocks are static, in the image,
 * so that a call made on any stack (a library OS's handler may run on an
 * application stack in the lower half) gives hv a contiguous block. Each
 * stub masks interrupts (exo_mask, mask.c) from filling its block to
 * reading it back, so no interrupt handler runs in between and reuses it.
 */
#include "exo/exo.h"

/* The one `out` every hypercall goes through. From ring 3 it raises #GP;
 * trap.c recognises this address and makes the call from ring 0. */
__attribute__((noinline)) int64_t exo_hypercall_gpa(unsigned nr, uint64_t block_gpa)
{
	uint64_t rax = (uint32_t)block_gpa;
	__asm__ volatile(".globl exo_hc_out\n"
			 "exo_hc_out: outl %%eax, %%dx"
			 : "+a"(rax)
			 : "d"((uint16_t)(EXO_HC_PORT + nr))
			 : "memory");
	return (int64_t)rax;
}

int64_t exo_hypercall(unsigned nr, void *block)
{
	uint64_t gpa = exo_gpa(block);
	if (gpa > UINT32_MAX)
		return -EXO_EFAULT; /* the ABI carries 32-bit block addresses */
	return exo_hypercall_gpa(nr, gpa);
}

/* A buffer outside the image goes a page at a time: its frames need not
 * be adjacent. */
int64_t exo_console_write(const char *buf, size_t len)
{
	static struct exo_hc_console a;
	int64_t rc = 0;
	exo_mask();
	while (len) {
		size_t n = exo_gpa_contiguous(buf) ? len
						: EXO_PAGE_SIZE - ((uintptr_t)buf & (EXO_PAGE_SIZE - 1));
		n = n < len ? n : len;
		a = (struct exo_hc_console){ .buf_gpa = exo_gpa(buf), .len = n };
		if ((rc = exo_hypercall(EXO_HC_CONSOLE, &a)) < 0)
			break;
		buf += n, len -= n;
	}
	exo_unmask();
	return rc;
}

static exo_exit_hook exit_hook;

exo_exit_hook exo_on_exit(exo_exit_hook fn)
{
	exo_exit_hook old = exit_hook;
	exit_hook = fn;
	return old;
}

void exo_exit(int status)
{
	static struct exo_hc_exit a;
	exo_exit_hook hook = exit_hook;
	exit_hook = 0; /* once, even if the hook itself exits */
	if (hook)
		hook();
	exo_mask(); /* for good: the guest ends */
	a.status = (uint64_t)(int64_t)status;
	exo_hypercall(EXO_HC_EXIT, &a);
	for (;;) /* hv does not resume a guest that exited */
		__asm__ volatile("hlt");
}

int64_t exo_frames_alloc(uint64_t *vec, uint32_t n, uint32_t flags, uint64_t *bad_index)
{
	static struct exo_hc_frames a;
	exo_mask();
	a = (struct exo_hc_frames){ .vec_gpa = exo_gpa(vec), .count = n, .flags = flags };
	int64_t rc = exo_hypercall(EXO_HC_FRAME_ALLOC, &a);
	if (bad_index)
		*bad_index = a.bad_index;
	exo_unmask();
	return rc;
}

int64_t exo_frames_release(const uint64_t *vec, uint32_t n, uint64_t *bad_index)
{
	static struct exo_hc_frames a;
	exo_mask();
	a = (struct exo_hc_frames){ .vec_gpa = exo_gpa(vec), .count = n };
	int64_t rc = exo_hypercall(EXO_HC_FRAME_RELEASE, &a);
	if (bad_index)
		*bad_index = a.bad_index;
	exo_unmask();
	return rc;
}

int64_t exo_forward(struct exo_fwd *vec, uint32_t n, uint32_t flags)
{
	static struct exo_hc_forward a;
	exo_mask();
	a = (struct exo_hc_forward){ .vec_gpa = exo_gpa(vec), .count = n, .flags = flags };
	int64_t rc = exo_hypercall(EXO_HC_FORWARD, &a);
	exo_unmask();
	return rc;
}

int64_t exo_info(struct exo_hc_info *info)
{
	return exo_hypercall(EXO_HC_INFO, info);
}

const char *exo_strerror(int64_t err)
{
	static const char *const names[] = {
		[EXO_OK] = "EXO_OK", [EXO_EINVAL] = "EXO_EINVAL",
		[EXO_EFAULT] = "EXO_EFAULT", [EXO_ERANGE] = "EXO_ERANGE",
		[EXO_EPERM] = "EXO_EPERM", [EXO_EBUSY] = "EXO_EBUSY",
		[EXO_ENOMEM] = "EXO_ENOMEM", [EXO_ENOSYS] = "EXO_ENOSYS",
		[EXO_E2BIG] = "EXO_E2BIG", [EXO_ENOENT] = "EXO_ENOENT",
		[EXO_EAGAIN] = "EXO_EAGAIN",
	};
	uint64_t e = err < 0 ? (uint64_t)-err : (uint64_t)err;
	return e < sizeof names / sizeof names[0] && names[e] ? names[e] : "EXO_E?";
}
