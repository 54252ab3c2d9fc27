/* SPDX-License-Identifier: MIT */
/*
 * apps/vmbench/backend_linux.c: vmbench the native Linux way, for
 * comparison: private anonymous memory, populated; mprotect for
 * protection; SIGSEGV (SA_SIGINFO, the handler given the ucontext's RIP)
 * for traps; for MAP2 a memfd page mapped again at the alias with
 * MAP_POPULATE and removed with munmap; and for DIRTY the best tracking this kernel offers:
 * PAGEMAP_SCAN over userfaultfd asynchronous write-protection (Linux 6.7)
 * where the kernel has it, else soft-dirty bits (clear_refs + pagemap),
 * else mprotect tracking (write-protect, record the first write in the
 * SIGSEGV handler). Which one ran is printed. The PAGEMAP_SCAN and
 * UFFD_FEATURE_WP_ASYNC definitions are the kernel's ABI, spelled out here
 * because Debian 12's headers predate them.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "backend.h"
#include "../softdirty.h"

#ifndef PAGEMAP_SCAN
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct page_region {
	uint64_t start, end, categories;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING (1u << 0)
#define PM_SCAN_CHECK_WPASYNC (1u << 1)
#define PAGE_IS_WRITTEN (1u << 1)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_UNPOPULATED (1u << 13)
#define UFFD_FEATURE_WP_ASYNC (1u << 15)
#endif

#define MAX_REGIONS 16

struct region {
	uint64_t va, npages;
	be_handler h;
	off_t offset;
};
static struct region regions[MAX_REGIONS];
static int nregions;
static int memfd = -1;
static off_t memfd_size;

/* mprotect dirty tracking */
static uint64_t track_va, track_npages;
static uint64_t *track_bits;
static int soft_dirty;
static int scan_fd = -1; /* /proc/self/pagemap when PAGEMAP_SCAN works */

static char describe[256];

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
	if (track_npages && addr - track_va < track_npages * BE_PAGE) {
		uint64_t i = (addr - track_va) / BE_PAGE;
		track_bits[i / 64] |= 1ull << (i % 64);
		mprotect((void *)(uintptr_t)(track_va + i * BE_PAGE), BE_PAGE, PROT_READ | PROT_WRITE);
		return;
	}
	for (int r = 0; r < nregions; r++)
		if (regions[r].h && addr - regions[r].va < regions[r].npages * BE_PAGE) {
			regions[r].h(addr, (uint64_t *)&uc->uc_mcontext.gregs[REG_RIP]);
			return;
		}
	signal(sig, SIG_DFL); /* not ours: die of it */
}

int be_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };
	struct utsname u;
	char model[128] = "unknown CPU";
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "model name", 10)) {
			snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	snprintf(describe, sizeof describe, "linux %s on %s", u.release, model);
	sigaction(SIGSEGV, &sa, NULL);
	memfd = memfd_create("vmbench", MFD_CLOEXEC);
	soft_dirty = host_soft_dirty();
	return memfd < 0 ? -1 : 0;
}

const char *be_describe(void)
{
	return describe;
}

const char *be_dirty_method(void)
{
	if (scan_fd >= 0)
		return "PAGEMAP_SCAN with userfaultfd async write-protect";
	return soft_dirty ? "soft-dirty bits" : "mprotect tracking (no PAGEMAP_SCAN or soft-dirty here)";
}

/* Arm PAGEMAP_SCAN tracking over the range; 0, or -1 to fall back. */
static int arm_pagemap_scan(uint64_t va, uint64_t npages)
{
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		return -1;
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED |
			    UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
	};
	struct uffdio_register reg = {
		.range = { va, npages * BE_PAGE }, .mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct uffdio_writeprotect wp = {
		.range = { va, npages * BE_PAGE }, .mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	if (ioctl(uffd, UFFDIO_API, &api) < 0 || ioctl(uffd, UFFDIO_REGISTER, &reg) < 0 ||
	    ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) < 0)
		return close(uffd), -1;
	struct page_region one;
	struct pm_scan_arg probe = {
		.size = sizeof probe, .start = va, .end = va + BE_PAGE,
		.vec = (uint64_t)(uintptr_t)&one, .vec_len = 1,
		.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
	};
	if (scan_fd < 0)
		scan_fd = open("/proc/self/pagemap", O_RDONLY);
	if (scan_fd < 0 || ioctl(scan_fd, PAGEMAP_SCAN, &probe) < 0) {
		if (scan_fd >= 0)
			close(scan_fd);
		scan_fd = -1;
		wp.mode = 0; /* undo the write-protection before falling back */
		ioctl(uffd, UFFDIO_WRITEPROTECT, &wp);
		return close(uffd), -1;
	}
	return 0; /* uffd stays open: closing it would end the tracking */
}

/* Each range is its own userfaultfd registration (as a collector's heap
 * sections would be) and its own PAGEMAP_SCAN: Linux has no call over
 * several ranges. */
int be_dirty_batch_arm(const uint64_t *va, unsigned n, uint64_t npages)
{
	for (unsigned i = 0; i < n; i++)
		if (arm_pagemap_scan(va[i], npages) < 0)
			return -1;
	return 0;
}

int64_t be_dirty_batch(const uint64_t *va, unsigned n, uint64_t npages, uint64_t *list,
		       uint64_t max)
{
	static struct page_region found[1024];
	uint64_t got = 0;
	for (unsigned i = 0; i < n && got < max; i++) {
		struct pm_scan_arg a = {
			.size = sizeof a, .flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
			.start = va[i], .end = va[i] + npages * BE_PAGE,
			.vec = (uint64_t)(uintptr_t)found, .vec_len = 1024, .max_pages = max - got,
			.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
		};
		int k = ioctl(scan_fd, PAGEMAP_SCAN, &a);
		if (k < 0)
			return -1;
		for (int r = 0; r < k; r++)
			for (uint64_t p = found[r].start; p < found[r].end; p += BE_PAGE)
				list[got++] = p;
	}
	return (int64_t)got;
}

const char *be_dirty_batch_method(void)
{
	return scan_fd >= 0 ? "PAGEMAP_SCAN per range (userfaultfd async write-protect)"
			    : "not available (no PAGEMAP_SCAN)";
}

int be_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	return rc;
}

uint64_t be_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t be_ticks(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

uint64_t be_exits(void)
{
	return 0; /* no hypervisor under this process */
}

/* Populated up front, as exo's vm_map does. */
int be_region(uint64_t npages, be_handler h, uint64_t *va)
{
	if (nregions == MAX_REGIONS)
		return -1;
	void *p = mmap(NULL, npages * BE_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	*va = (uint64_t)(uintptr_t)p;
	regions[nregions++] = (struct region){ *va, npages, h, -1 };
	return 0;
}

int be_region_shared(uint64_t npages, uint64_t *va)
{
	if (nregions == MAX_REGIONS)
		return -1;
	off_t off = memfd_size;
	memfd_size += (off_t)(npages * BE_PAGE);
	if (ftruncate(memfd, memfd_size) < 0)
		return -1;
	void *p = mmap(NULL, npages * BE_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       memfd, off);
	if (p == MAP_FAILED)
		return -1;
	*va = (uint64_t)(uintptr_t)p;
	regions[nregions++] = (struct region){ *va, npages, 0, off };
	return 0;
}

int be_prot1(uint64_t va)
{
	return mprotect((void *)(uintptr_t)va, BE_PAGE, PROT_NONE);
}

int be_protn(uint64_t va, uint64_t npages)
{
	return mprotect((void *)(uintptr_t)va, npages * BE_PAGE, PROT_NONE);
}

int be_unprot(uint64_t va, uint64_t npages)
{
	return mprotect((void *)(uintptr_t)va, npages * BE_PAGE, PROT_READ | PROT_WRITE);
}

static void clear_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "4", 1) != 1)
			soft_dirty = 0;
		close(fd);
	}
}

int be_dirty_arm(uint64_t va, uint64_t npages)
{
	if (arm_pagemap_scan(va, npages) == 0)
		return 0;
	if (soft_dirty) {
		clear_soft_dirty();
		return 0;
	}
	track_bits = calloc((npages + 63) / 64, 8);
	track_va = va;
	track_npages = npages;
	return mprotect((void *)(uintptr_t)va, npages * BE_PAGE, PROT_READ);
}

int64_t be_dirty(uint64_t va, uint64_t npages, uint64_t *bits)
{
	int64_t n = 0;
	memset(bits, 0, (npages + 63) / 64 * 8);
	if (scan_fd >= 0) {
		static struct page_region found[1024];
		struct pm_scan_arg a = {
			.size = sizeof a, .flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
			.start = va, .end = va + npages * BE_PAGE,
			.vec = (uint64_t)(uintptr_t)found, .vec_len = 1024,
			.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
		};
		int got = ioctl(scan_fd, PAGEMAP_SCAN, &a);
		for (int r = 0; r < got; r++)
			for (uint64_t p = found[r].start; p < found[r].end; p += BE_PAGE) {
				uint64_t i = (p - va) / BE_PAGE;
				bits[i / 64] |= 1ull << (i % 64);
				n++;
			}
		return got < 0 ? -1 : n;
	}
	if (soft_dirty) {
		static uint64_t entries[16384];
		int fd = open("/proc/self/pagemap", O_RDONLY);
		for (uint64_t i = 0; i < npages; i += 16384) {
			uint64_t k = npages - i < 16384 ? npages - i : 16384;
			if (pread(fd, entries, k * 8, (off_t)((va / BE_PAGE + i) * 8)) != (ssize_t)(k * 8))
				break;
			for (uint64_t j = 0; j < k; j++)
				if (entries[j] >> 55 & 1) {
					bits[(i + j) / 64] |= 1ull << ((i + j) % 64);
					n++;
				}
		}
		close(fd);
		clear_soft_dirty();
		return n;
	}
	for (uint64_t i = 0; i < (npages + 63) / 64; i++) {
		bits[i] = track_bits[i];
		n += __builtin_popcountll(track_bits[i]);
		track_bits[i] = 0;
	}
	mprotect((void *)(uintptr_t)va, npages * BE_PAGE, PROT_READ);
	return n;
}

int be_map2(uint64_t va, uint64_t alias)
{
	for (int r = 0; r < nregions; r++)
		if (regions[r].offset >= 0 && va - regions[r].va < regions[r].npages * BE_PAGE) {
			off_t off = regions[r].offset + (off_t)(va - regions[r].va);
			/* NOREPLACE: fails rather than map over anything that
			 * landed in the hole; POPULATE: the alias is mapped now,
			 * as exo's vm_map2 maps it, not at its first read. */
			void *p = mmap((void *)(uintptr_t)alias, BE_PAGE, PROT_READ,
				       MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_POPULATE, memfd, off);
			return p == MAP_FAILED ? -1 : 0;
		}
	return -1;
}

int be_unmap2(uint64_t alias)
{
	return munmap((void *)(uintptr_t)alias, BE_PAGE);
}

/* A hole: reserved to find the address, then released, so that MAP2 maps
 * into it with MAP_FIXED_NOREPLACE and removes the alias with munmap. */
uint64_t be_alias_area(uint64_t npages)
{
	void *p = mmap(NULL, npages * BE_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	munmap(p, npages * BE_PAGE);
	return (uint64_t)(uintptr_t)p;
}
