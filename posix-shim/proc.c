/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/proc.c: the program's own /proc files, served in the guest.
 *
 * hv refuses the host's /proc (there "self" is hv), and what these files
 * describe is the guest's: its address space lives in libos/vm's page
 * tables and the shim's map. So the shim serves them itself, as local
 * descriptors (lfd.c), for /proc/self/NAME and /proc/PID/NAME with the
 * program's own pid:
 *
 *   stat        Linux's one line: pid, comm, state, ..., the layout the
 *               loader made (startcode, endcode, startstack: where argc
 *               is, which collectors read as the stack's bottom), 0 where
 *               the shim keeps no count
 *   maps        the map (vma.c): range, rwxp, offset 0, 00:00 0, and
 *               [heap] / [stack]
 *   pagemap     one 64-bit entry per page, read at offset page * 8, from
 *               the page tables: bit 63 present, 62 swapped (revocation
 *               took the page out), 56 exclusively mapped, 55 soft-dirty;
 *               the PFN bits are 0, as Linux shows an unprivileged
 *               reader; a hole reads 0, a page of a mapping made since the
 *               last clear reads soft-dirty; past the user address space
 *               a read gives 0 bytes; offsets and sizes not multiples of
 *               8 are -EINVAL
 *   clear_refs  "4" clears every page's soft-dirty state, which is the
 *               hardware dirty bit (libos/gc's gc_clear: one pass, one
 *               TLB flush); "1" and "2" clear accessed bits; "3" and "5"
 *               have nothing to do here; anything else -EINVAL
 *
 * Soft-dirty is the D bit: the hardware sets it on every write, so a
 * collector's write barrier (bdwgc's SOFT_VDB) costs the program nothing.
 */
#include "shim.h"
#include "gc/gc.h"

#define O_ACCMODE 3
#define O_WRONLY 1
#define O_CREAT 0100
#define O_EXCL 0200
#define O_DIRECTORY 0200000
#define EACCES 13
#define TASK_SIZE 0x00007ffffffff000ull
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_SOFT_DIRTY (1ull << 55)
#define SPANS 64u

static struct {
	uint64_t reads, pages, dirty, clears;
} st;

static int64_t stat_read(uint8_t *buf, uint64_t n, uint64_t off);
static int64_t maps_read(uint8_t *buf, uint64_t n, uint64_t off);
static int64_t pagemap_read(uint8_t *buf, uint64_t n, uint64_t off);
static int64_t clear_refs_write(const uint8_t *buf, uint64_t n);

static const struct {
	const char *name;
	struct shim_lfile_ops ops;
} files[] = {
	{ "stat", { 0444, 0x5001, stat_read, NULL } },
	{ "maps", { 0444, 0x5002, maps_read, NULL } },
	{ "pagemap", { 0400, 0x5003, pagemap_read, NULL } },
	{ "clear_refs", { 0200, 0x5004, NULL, clear_refs_write } },
};

/* A text served at off: the bytes of text (len) from off into buf. */
static int64_t text_at(uint8_t *buf, uint64_t n, uint64_t off, const char *text, uint64_t len)
{
	if (off >= len)
		return 0;
	uint64_t k = len - off < n ? len - off : n;
	memcpy(buf, text + off, k);
	return (int64_t)k;
}

static uint64_t mapped_bytes(void)
{
	uint64_t total = 0;
	for (const struct vma *v = vma_next(0); v; v = vma_next(v->end))
		total += v->end - v->start;
	return total;
}

/* The program's name as Linux's comm: argv[0]'s last component, 15 bytes. */
static void comm(char *out)
{
	const char *a = exo_page()->argc ? exo_page()->args : "", *base = a;
	for (const char *p = a; *p; p++)
		if (*p == '/' && p[1])
			base = p + 1;
	unsigned i = 0;
	for (; i < 15 && base[i] && base[i] != '/'; i++)
		out[i] = base[i];
	out[i] = '\0';
}

static int64_t stat_read(uint8_t *buf, uint64_t n, uint64_t off)
{
	static char text[640];
	char name[16];
	struct vm_stats vs;
	const struct shim_layout *l = &shim_layout;
	comm(name);
	vm_get_stats(&vs);
	int64_t ppid = shim_fwd(EXO_FWD_GETPPID, 0, 0, 0, 0, 0, 0);
	int64_t pgrp = shim_fwd(EXO_FWD_GETPGRP, 0, 0, 0, 0, 0, 0);
	int len = exo_snprintf(
		text, sizeof text,
		"%lu (%s) R %ld %ld %ld 0 -1 4194304 %lu 0 0 0 0 0 0 0 20 0 1 0 0 %lu 0 "
		"18446744073709551615 %lu %lu %lu 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 "
		"%lu %lu %lu %lu %lu %lu %lu 0\n",
		(unsigned long)shim_pid, name, (long)ppid, (long)pgrp, (long)pgrp,
		(unsigned long)vs.faults, (unsigned long)mapped_bytes(), (unsigned long)l->start_code,
		(unsigned long)l->end_code, (unsigned long)l->start_stack,
		(unsigned long)l->start_data, (unsigned long)l->end_data, (unsigned long)l->start_brk,
		(unsigned long)l->arg_start, (unsigned long)l->arg_end, (unsigned long)l->env_start,
		(unsigned long)l->env_end);
	return text_at(buf, n, off, text, (uint64_t)len);
}

/* One line of maps for v; its length. */
static int maps_line(char *out, uint64_t size, const struct vma *v)
{
	const char *name = v->kind == VMA_HEAP ? "[heap]" : v->kind == VMA_STACK ? "[stack]" : "";
	int n = exo_snprintf(out, size, "%08lx-%08lx %c%c%cp 00000000 00:00 0 ",
			     (unsigned long)v->start, (unsigned long)v->end,
			     v->prot & VMA_READ ? 'r' : '-', v->prot & VMA_WRITE ? 'w' : '-',
			     v->prot & VMA_EXEC ? 'x' : '-');
	if (*name) { /* as Linux's seq_pad: to column 72, a space, the name */
		while (n < 72)
			out[n++] = ' ';
		n += exo_snprintf(out + n, size - (uint64_t)n, " %s", name);
	}
	n += exo_snprintf(out + n, size - (uint64_t)n, "\n");
	return n;
}

/* Generated line by line up to off + n: a read at any offset sees the
 * map as it is now. */
static int64_t maps_read(uint8_t *buf, uint64_t n, uint64_t off)
{
	char line[128];
	uint64_t at = 0, done = 0;
	for (const struct vma *v = vma_next(0); v && done < n; v = vma_next(v->end)) {
		uint64_t len = (uint64_t)maps_line(line, sizeof line, v);
		if (at + len > off) {
			uint64_t from = off > at ? off - at : 0;
			uint64_t k = len - from < n - done ? len - from : n - done;
			memcpy(buf + done, line + from, k);
			done += k;
		}
		at += len;
	}
	return (int64_t)done;
}

static int64_t pagemap_read(uint8_t *buf, uint64_t n, uint64_t off)
{
	static uint8_t state[512];
	uint64_t *out = (uint64_t *)(void *)buf;
	if (off % 8 || n % 8)
		return -EINVAL;
	uint64_t first = off / 8, end = TASK_SIZE / VM_PAGE;
	if (first >= end || !n)
		return 0;
	uint64_t count = n / 8 < end - first ? n / 8 : end - first;
	st.reads++;
	st.pages += count;
	for (uint64_t i = 0; i < count;) {
		uint64_t va = (first + i) * VM_PAGE;
		const struct vma *v = vma_next(va);
		uint64_t k = count - i;
		if (!v || v->start > va) { /* a hole, up to the next mapping */
			if (v && (v->start - va) / VM_PAGE < k)
				k = (v->start - va) / VM_PAGE;
			memset(out + i, 0, k * 8);
			i += k;
			continue;
		}
		k = k < (v->end - va) / VM_PAGE ? k : (v->end - va) / VM_PAGE;
		k = k < sizeof state ? k : sizeof state;
		gc_page_state(va, k, state);
		for (uint64_t j = 0; j < k; j++) {
			uint64_t e = 0;
			if (state[j] & VM_PAGE_MAPPED)
				e |= PM_PRESENT | PM_EXCLUSIVE;
			else if (state[j] & VM_PAGE_OUT)
				e |= PM_SWAP;
			if ((state[j] & VM_PAGE_DIRTY) || v->softdirty) {
				e |= PM_SOFT_DIRTY;
				st.dirty++;
			}
			out[i + j] = e;
		}
		i += k;
	}
	return (int64_t)(count * 8);
}

/* clear_refs "4": every mapping's pages, SPANS mappings a pass. */
static void clear_soft_dirty(void)
{
	struct gc_span s[SPANS];
	unsigned n = 0;
	for (const struct vma *v = vma_next(0); v; v = vma_next(v->end)) {
		s[n++] = (struct gc_span){ v->start, (v->end - v->start) / VM_PAGE };
		if (n == SPANS) {
			gc_clear(s, n);
			n = 0;
		}
	}
	if (n)
		gc_clear(s, n);
	vma_softdirty_clear();
}

static int64_t clear_refs_write(const uint8_t *buf, uint64_t n)
{
	char text[13]; /* Linux reads at most 12 bytes, and says it took them */
	uint64_t len = n < sizeof text - 1 ? n : sizeof text - 1, i = 0;
	int64_t type = 0;
	memcpy(text, buf, len);
	text[len] = '\0';
	while (i < len && (text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r')))
		i++;
	if (i < len && text[i] == '+')
		i++;
	if (i == len || text[i] < '0' || text[i] > '9')
		return -EINVAL;
	for (; i < len && text[i] >= '0' && text[i] <= '9'; i++)
		type = type * 10 + (text[i] - '0') > 1000 ? 1000 : type * 10 + (text[i] - '0');
	for (; i < len; i++)
		if (!(text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r')))
			return -EINVAL;
	if (type < 1 || type > 5)
		return -EINVAL;
	if (type == 4) {
		clear_soft_dirty();
		st.clears++;
	} else if (type <= 2) { /* accessed bits; every page is anonymous */
		for (const struct vma *v = vma_next(0); v; v = vma_next(v->end))
			vm_accessed(v->start, (v->end - v->start) / VM_PAGE, NULL);
	}
	return (int64_t)len;
}

static exo_exit_hook next_hook;

static void summary(void)
{
	struct gc_stats g;
	gc_get_stats(&g);
	if (st.reads || st.clears || g.fetches)
		exo_notice("posix-shim: soft-dirty: %lu pagemap reads (%lu pages, %lu soft-dirty), "
			   "%lu clears; libos/gc: %lu fetches (%lu pages dirty), %lu barrier traps",
			   (unsigned long)st.reads, (unsigned long)st.pages, (unsigned long)st.dirty,
			   (unsigned long)st.clears, (unsigned long)g.fetches,
			   (unsigned long)g.pages_dirty, (unsigned long)g.barrier_traps);
	if (next_hook)
		next_hook();
}

void shim_proc_stats(void)
{
	if (exo_page()->flags & EXO_PAGE_F_STATS)
		next_hook = exo_on_exit(summary);
}

/* "/proc/self/" or "/proc/PID/" with the program's pid: the rest. */
static const char *own(const char *path)
{
	static const char proc[] = "/proc/";
	if (strncmp(path, proc, sizeof proc - 1))
		return NULL;
	path += sizeof proc - 1;
	if (!strncmp(path, "self/", 5))
		return path + 5;
	uint64_t pid = 0;
	const char *p = path;
	for (; *p >= '0' && *p <= '9' && pid <= shim_pid; p++)
		pid = pid * 10 + (uint64_t)(*p - '0');
	return p != path && *p == '/' && pid == shim_pid && *path != '0' ? p + 1 : NULL;
}

int shim_proc_open(const char *path, uint64_t flags, int64_t *ret)
{
	const char *rest = own(path);
	if (!rest)
		return 0;
	for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (strcmp(rest, files[i].name))
			continue;
		uint64_t acc = flags & O_ACCMODE;
		int writable = files[i].ops.mode & 0200, readable = files[i].ops.mode & 0400;
		if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
			*ret = -EEXIST;
		else if (flags & O_DIRECTORY)
			*ret = -ENOTDIR;
		else if (acc == 3 || (acc != O_WRONLY && !readable) || (acc != 0 && !writable))
			*ret = -EACCES;
		else
			*ret = shim_lfd_open(&files[i].ops, flags);
		return 1;
	}
	return 0; /* another /proc file: hv's answer */
}
