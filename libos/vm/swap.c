/* SPDX-License-Identifier: MIT */
/*
 * libos/vm/swap.c: where pages that revocation takes go when they must be
 * kept: a file on the host, through forwarded calls (EXO_HC_FORWARD).
 *
 * The swap area is one file, made at the first need, so a guest never
 * under pressure makes none: an unnamed file in the guest's root (openat
 * "/" with O_TMPFILE), or, where the host's file system cannot make one, a
 * named file unlinked at once. Either way it vanishes with the guest. Its
 * descriptor is moved to the top of the guest's numbers (dup3 to
 * EXO_FWD_FDS - 1) so that a program under posix-shim keeps its usual
 * ones. Page n of the file is slot n; the slot's number lives in the
 * page's out entry (vm_impl.h), so nothing else records where a page went.
 * Writes go straight from the page's frame (hv reads a forwarded buffer
 * by its GPA), EXO_FWD_BATCH pages to an exit; a read brings one page
 * back into a fresh frame at its next touch, and frees the slot. Where
 * the host runs no file calls (metal answers -ENOSYS) there is no swap
 * file, and pages that would need one are not given back (revoke.c).
 */
#include "vm_impl.h"

#define SLOTS (1u << 15) /* 128 MiB of swap; the bitmap is in the image */
#define AT_FDCWD (-100)
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_CLOEXEC 02000000
#define O_TMPFILE 020200000

static uint64_t used[SLOTS / 64];
static unsigned hint; /* the word to look in first */
static int64_t fd;
static int state; /* 0: not tried, 1: open, -1: none to be had */
/* Blocks and paths hv reads: in the image, which the guest always owns. */
static struct exo_fwd calls[EXO_FWD_BATCH];
static const char root[] = "/";
static char name[64];

static int64_t call1(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	calls[0] = (struct exo_fwd){ .nr = nr, .arg = { a0, a1, a2, a3 } };
	vm_state.stats.hv_calls++;
	int64_t rc = exo_forward(calls, 1, 0);
	return rc == 1 ? calls[0].ret : rc < 0 ? rc : -EXO_FWD_ENOSYS;
}

static int64_t make_file(void)
{
	uint64_t mode = 0600, flags = O_RDWR | O_CLOEXEC;
	int64_t f = call1(EXO_FWD_OPENAT, (uint64_t)AT_FDCWD, exo_gpa(root), flags | O_TMPFILE, mode);
	if (f >= 0)
		return f;
	exo_snprintf(name, sizeof name, "/.exo-vm-swap-%u-%lx", exo_guest_id(),
		     (unsigned long)exo_rdtsc());
	f = call1(EXO_FWD_OPENAT, (uint64_t)AT_FDCWD, exo_gpa(name), flags | O_CREAT | O_EXCL, mode);
	if (f >= 0)
		call1(EXO_FWD_UNLINKAT, (uint64_t)AT_FDCWD, exo_gpa(name), 0, 0);
	return f;
}

int vm_swap_ready(void)
{
	if (state)
		return state > 0;
	int64_t f = make_file();
	if (f < 0) {
		state = -1;
		if (exo_page()->flags & EXO_PAGE_F_STATS)
			exo_notice("vm: no swap file (the host refused one: error %ld): pages that "
				   "cannot be rebuilt are not given back", (long)-f);
		return 0;
	}
	int64_t high = call1(EXO_FWD_DUP3, (uint64_t)f, EXO_FWD_FDS - 1, O_CLOEXEC, 0);
	if (high >= 0) {
		call1(EXO_FWD_CLOSE, (uint64_t)f, 0, 0, 0);
		f = high;
	}
	fd = f;
	state = 1;
	return 1;
}

int64_t vm_swap_slot(void)
{
	for (unsigned k = 0; k < SLOTS / 64; k++) {
		unsigned w = (hint + k) % (SLOTS / 64);
		if (used[w] == ~0ull)
			continue;
		unsigned b = (unsigned)__builtin_ctzll(~used[w]);
		used[w] |= 1ull << b;
		hint = w;
		return (int64_t)w * 64 + b;
	}
	return -1;
}

void vm_swap_free(uint64_t slot)
{
	if (slot < SLOTS)
		used[slot / 64] &= ~(1ull << (slot % 64));
}

void vm_swap_write(const uint64_t *frames, const uint64_t *slots, int64_t *ret, unsigned n)
{
	for (unsigned j = 0; j < n; j++)
		calls[j] = (struct exo_fwd){ .nr = EXO_FWD_PWRITE64,
					     .arg = { (uint64_t)fd, frames[j] << 12, VM_PAGE,
						      slots[j] * VM_PAGE } };
	vm_state.stats.hv_calls++;
	int64_t done = exo_forward(calls, n, 0);
	for (unsigned j = 0; j < n; j++)
		ret[j] = done < 0 || (int64_t)j >= done ? -EXO_FWD_EFAULT
		       : calls[j].ret == (int64_t)VM_PAGE ? 0
		       : calls[j].ret < 0 ? calls[j].ret : -EXO_FWD_EINVAL;
}

int64_t vm_swap_read(uint64_t slot, uint64_t frame)
{
	int64_t got = call1(EXO_FWD_PREAD64, (uint64_t)fd, frame << 12, VM_PAGE, slot * VM_PAGE);
	return got == (int64_t)VM_PAGE ? 0 : got < 0 ? got : -EXO_FWD_EINVAL;
}
