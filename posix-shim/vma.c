/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/vma.c: the program's address space map.
 *
 * What the program has mapped, with which protection, as sorted,
 * non-overlapping ranges. libos/vm holds the page tables; this map holds
 * the program's intent, which pages are populated on first touch from.
 * Neighbours with the same protection and kind are merged, so a program
 * that maps and unmaps a lot keeps a short map.
 *
 * Each mapping also carries Linux's VM_SOFTDIRTY for /proc/self/pagemap
 * (proc.c): a mapping made (or grown) since the last clear_refs reads as
 * soft-dirty in every page. Merging ignores it and keeps it if either
 * side had it, as Linux's merge does.
 */
#include "shim.h"

#define VMA_MAX 4096u

static struct vma map[VMA_MAX];
static unsigned nmap;

/* Index of the first mapping that ends above addr (nmap if none). */
static unsigned first_above(uint64_t addr)
{
	unsigned lo = 0, hi = nmap;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (map[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct vma *vma_find(uint64_t addr)
{
	unsigned i = first_above(addr);
	return i < nmap && map[i].start <= addr ? &map[i] : NULL;
}

static int insert_at(unsigned i, struct vma v)
{
	if (nmap == VMA_MAX)
		return -ENOMEM;
	memmove(&map[i + 1], &map[i], (nmap - i) * sizeof map[0]);
	map[i] = v;
	nmap++;
	return 0;
}

/* Make addr a boundary between mappings. */
static int split(uint64_t addr)
{
	unsigned i = first_above(addr);
	if (i == nmap || map[i].start >= addr)
		return 0;
	struct vma right = map[i];
	right.start = addr;
	if (insert_at(i + 1, right) < 0)
		return -ENOMEM;
	map[i].end = addr;
	return 0;
}

static void merge(void)
{
	unsigned out = 0;
	for (unsigned i = 0; i < nmap; i++) {
		if (out && map[out - 1].end == map[i].start && map[out - 1].prot == map[i].prot &&
		    map[out - 1].kind == map[i].kind) {
			map[out - 1].end = map[i].end;
			map[out - 1].softdirty |= map[i].softdirty;
			continue;
		}
		map[out++] = map[i];
	}
	nmap = out;
}

int vma_clear(uint64_t start, uint64_t end)
{
	if (split(start) < 0 || split(end) < 0) {
		merge();
		return -ENOMEM;
	}
	unsigned i = first_above(start), j = i;
	while (j < nmap && map[j].start < end)
		j++;
	memmove(&map[i], &map[j], (nmap - j) * sizeof map[0]);
	nmap -= j - i;
	return 0;
}

int vma_set(uint64_t start, uint64_t end, unsigned prot, unsigned kind)
{
	if (vma_clear(start, end) < 0)
		return -ENOMEM;
	int rc = insert_at(first_above(start), (struct vma){ start, end, prot, kind, 1 });
	merge();
	return rc;
}

int vma_covered(uint64_t start, uint64_t end)
{
	for (unsigned i = first_above(start); start < end; i++) {
		if (i == nmap || map[i].start > start)
			return 0;
		start = map[i].end;
	}
	return 1;
}

int vma_protect(uint64_t start, uint64_t end, unsigned prot)
{
	if (!vma_covered(start, end))
		return -ENOMEM;
	if (split(start) < 0 || split(end) < 0) {
		merge();
		return -ENOMEM;
	}
	for (unsigned i = first_above(start); i < nmap && map[i].start < end; i++)
		map[i].prot = prot;
	merge();
	return 0;
}

uint64_t vma_gap(uint64_t len, uint64_t top)
{
	unsigned i = first_above(top);
	uint64_t hi = top;
	if (i < nmap && map[i].start < hi)
		hi = map[i].start;
	while (i-- > 0) {
		if (hi - map[i].end >= len)
			return hi - len;
		hi = map[i].start;
	}
	return hi >= VM_USER_MIN && hi - VM_USER_MIN >= len ? hi - len : 0;
}

int vma_gap_free(uint64_t start, uint64_t len)
{
	unsigned i = first_above(start);
	return i == nmap || map[i].start >= start + len;
}

const struct vma *vma_next(uint64_t addr)
{
	unsigned i = first_above(addr);
	return i < nmap ? &map[i] : NULL;
}

void vma_softdirty_clear(void)
{
	for (unsigned i = 0; i < nmap; i++)
		map[i].softdirty = 0;
}
