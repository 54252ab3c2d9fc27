/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/maps.c: keeping exo inside the host's limit on memory mappings
 * (vm.max_map_count).
 *
 * Each guest's view of the pool is one host mapping per run of frames
 * bound alike (plat.c): PROT_NONE, read-write or read-only. A guest that
 * owns every other frame of a large pool needs about one mapping per
 * frame, and past the limit mmap fails: a bind would fail (the hypercall
 * returns -EXO_ENOMEM and nothing changes) but an unbind, which splits a
 * run, could fail too, and a frame that cannot be unbound stops hv. So
 * before anything starts, the worst case of this run is counted: a view
 * holds at most min(pool frames, 2 x frames it may ever see + 1)
 * mappings (runs alternate), a guest may see what it may own (--mem) and,
 * with several guests, what the others may own and grant it; plus
 * MAPS_EXO for exo itself (its libraries, heap, threads' stacks, kvm_run,
 * exo areas). If the limit is lower, root raises it. Anyone else runs
 * within a budget instead: all views together may have at most
 * (limit - what exo needs) / 2 frames bound, since a view with b frames
 * bound has at most 2b + 1 mappings; a bind beyond the budget fails with
 * -EXO_ENOMEM before it maps anything. Either way unbinding, which only
 * lowers the count, never fails for want of mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

#define MAX_MAP_COUNT "/proc/sys/vm/max_map_count"
#define MAPS_EXO 4096u
#define MAPS_PER_GUEST 16u

uint64_t kvm_maps_needed(const struct kvm_options *o)
{
	uint64_t nframes = o->pool_bytes / EXO_PAGE_SIZE, all = 0, need = MAPS_EXO;
	for (int i = 0; i < o->nguests; i++)
		all += o->guest[i].mem_bytes / EXO_PAGE_SIZE;
	for (int i = 0; i < o->nguests; i++) {
		uint64_t seen = o->nguests > 1 ? all : o->guest[i].mem_bytes / EXO_PAGE_SIZE;
		if (seen > nframes)
			seen = nframes;
		uint64_t view = 2 * seen + 1 < nframes ? 2 * seen + 1 : nframes;
		need += view + MAPS_PER_GUEST;
	}
	return need;
}

static int read_limit(uint64_t *limit)
{
	char buf[32];
	int fd = open(MAX_MAP_COUNT, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *end;
	*limit = strtoull(buf, &end, 10);
	return end == buf ? -1 : 0;
}

int kvm_maps_ensure(const struct kvm_options *o, uint64_t *budget)
{
	uint64_t need = kvm_maps_needed(o), limit;
	*budget = 0;
	if (read_limit(&limit) < 0)
		return 0; /* no such sysctl (not Linux's procfs): nothing to keep within */
	if (limit >= need)
		return 0;
	if (need > 0x7fffffffu)
		return kvm_fail(HV_STATUS_HOST, "this run may need %llu memory mappings, more than "
				"Linux allows (vm.max_map_count is an int): use a smaller --pool or "
				"--mem", (unsigned long long)need);
	int fd = geteuid() == 0 ? open(MAX_MAP_COUNT, O_WRONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		char buf[32];
		int len = snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)need);
		ssize_t w = write(fd, buf, (size_t)len);
		close(fd);
		if (w == len && read_limit(&limit) == 0 && limit >= need) {
			if (o->stats) {
				char line[160];
				int n = snprintf(line, sizeof line, "exo: stats: raised vm.max_map_count "
						 "to %llu, the most memory mappings this run may "
						 "need\n", (unsigned long long)need);
				kvm_out_raw(2, line, (uint64_t)n);
			}
			return 0;
		}
	}
	uint64_t exo = MAPS_EXO + (uint64_t)o->nguests * (MAPS_PER_GUEST + 1);
	if (limit <= exo + 2)
		return kvm_fail(HV_STATUS_HOST, "vm.max_map_count is %llu, too low to run "
				"guests: raise it (sysctl -w vm.max_map_count=%llu, as root)",
				(unsigned long long)limit, (unsigned long long)need);
	*budget = (limit - exo) / 2;
	if (o->stats) {
		char line[256];
		int n = snprintf(line, sizeof line, "exo: stats: vm.max_map_count %llu is below "
				 "this run's worst case (%llu): guests may have %llu frames bound "
				 "in all (sysctl -w vm.max_map_count=%llu lifts this)\n",
				 (unsigned long long)limit, (unsigned long long)need,
				 (unsigned long long)*budget, (unsigned long long)need);
		kvm_out_raw(2, line, (uint64_t)n);
	}
	return 0;
}

static uint64_t count_set(const uint8_t *bits, uint64_t first, uint64_t n, int set)
{
	uint64_t c = 0;
	for (uint64_t f = first; f < first + n; f++)
		c += ((bits[f / 8] >> (f % 8)) & 1) == set;
	return c;
}

static void set_bits(uint8_t *bits, uint64_t first, uint64_t n, int on)
{
	for (uint64_t f = first; f < first + n; f++)
		if (on)
			bits[f / 8] |= (uint8_t)(1u << (f % 8));
		else
			bits[f / 8] &= (uint8_t)~(1u << (f % 8));
}

int kvm_maps_bind(struct kvm_guest *k, uint64_t first, uint64_t n)
{
	struct kvm_pool *p = k->pool;
	uint64_t fresh = count_set(k->bound_bits, first, n, 0);
	if (p->map_budget && p->bound + fresh > p->map_budget)
		return -EXO_ENOMEM;
	p->bound += fresh;
	set_bits(k->bound_bits, first, n, 1);
	return 0;
}

void kvm_maps_unbind(struct kvm_guest *k, uint64_t first, uint64_t n)
{
	k->pool->bound -= count_set(k->bound_bits, first, n, 1);
	set_bits(k->bound_bits, first, n, 0);
}
