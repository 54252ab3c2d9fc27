/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/pool.c: the frame pool as a memfd, and each guest's view of it.
 *
 * hv maps the whole memfd read-write for itself. Each guest's memslot is
 * backed instead by a view: a reserved PROT_NONE range in which only the
 * frames the guest may see are mapped (MAP_FIXED | MAP_SHARED at their own
 * offset), read-write or, for a read-only grant, read-only. KVM's MMU
 * notifiers keep the guest's EPT in step with the view, so binding and
 * unbinding are plain mmaps (plat.c). The pool also carries hv/core's
 * tables (owners, grants) and the pool lock, a mutex the vCPU threads
 * share.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

/* Grants are recorded per (frame, grantee); one per frame covers a pool
 * whose every frame is shared once, and small pools get room to spare. */
#define GRANTS_MIN 4096u

int kvm_pool_create(struct kvm_pool *pool, uint64_t bytes)
{
	uint64_t nframes = bytes / EXO_PAGE_SIZE;
	uint64_t grants = nframes + 1 > GRANTS_MIN ? nframes + 1 : GRANTS_MIN;
	*pool = (struct kvm_pool){ .memfd = -1, .bytes = bytes };
	if (grants > UINT32_MAX)
		return kvm_fail(HV_STATUS_USAGE, "--pool of %llu MiB: more frames than hv's "
				"grant table can name", (unsigned long long)(bytes >> 20));
	pool->memfd = memfd_create("exo-pool", MFD_CLOEXEC);
	if (pool->memfd < 0)
		return kvm_fail(HV_STATUS_HOST, "memfd_create: %s", strerror(errno));
	if (ftruncate(pool->memfd, (off_t)bytes) < 0)
		return kvm_fail(HV_STATUS_HOST, "pool of %llu MiB: %s",
				(unsigned long long)(bytes >> 20), strerror(errno));
	void *host = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_NORESERVE, pool->memfd, 0);
	if (host == MAP_FAILED)
		return kvm_fail(HV_STATUS_HOST, "mapping the pool: %s", strerror(errno));
	pool->host = host;
	pool->owner = calloc(nframes, sizeof *pool->owner);
	pool->grant_head = calloc(nframes, sizeof *pool->grant_head);
	pool->grant = calloc(grants, sizeof *pool->grant);
	if (!pool->owner || !pool->grant_head || !pool->grant)
		return kvm_fail(HV_STATUS_HOST, "out of memory for the pool's tables");
	if (pthread_mutex_init(&pool->lock, NULL))
		return kvm_fail(HV_STATUS_HOST, "cannot make the pool lock");
	pool->lock_made = 1;
	pool->core.plat = pool;
	hv_pool_init(&pool->core, nframes, pool->owner, pool->host, pool->grant_head,
		     pool->grant, (uint32_t)grants);
	return 0;
}

void kvm_pool_destroy(struct kvm_pool *pool)
{
	if (pool->host)
		munmap(pool->host, pool->bytes);
	if (pool->memfd >= 0)
		close(pool->memfd);
	if (pool->lock_made)
		pthread_mutex_destroy(&pool->lock);
	free(pool->owner);
	free(pool->grant_head);
	free(pool->grant);
}

int kvm_view_create(struct kvm_guest *k)
{
	void *view = mmap(NULL, k->pool->bytes, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (view == MAP_FAILED)
		return kvm_fail(HV_STATUS_HOST, "reserving the guest view: %s", strerror(errno));
	k->view = view;
	k->bound_bits = calloc(k->pool->core.nframes / 8 + 1, 1);
	if (!k->bound_bits)
		return kvm_fail(HV_STATUS_HOST, "out of memory for the guest view's map");
	k->exo_bytes = hv_exo_area_bytes(k->pool->core.nframes);
	void *exo = mmap(NULL, k->exo_bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (exo == MAP_FAILED)
		return kvm_fail(HV_STATUS_HOST, "allocating the exo page: %s", strerror(errno));
	k->exo_area = exo;
	return 0;
}
