/*
 * hv/kvm/pool.c: the frame pool as a memfd, and each guest's view of it.
 *
 * hv maps the whole memfd read-write for itself. Each guest's memslot is
 * backed instead by a view: a reserved PROT_NONE range in which only the
 * frames the guest owns are mapped (MAP_FIXED | MAP_SHARED at their own
 * offset). KVM's MMU notifiers keep the guest's EPT in step with the view,
 * so binding and unbinding are plain mmaps. Unbinding punches the frames
 * out of the memfd: the host gets the memory back and the next owner reads
 * zeros.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

int kvm_pool_create(struct kvm_pool *pool, uint64_t bytes)
{
	uint64_t nframes = bytes / EXO_PAGE_SIZE;
	*pool = (struct kvm_pool){ .memfd = -1, .bytes = bytes };
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
	if (!pool->owner)
		return kvm_fail(HV_STATUS_HOST, "out of memory for the ownership table");
	hv_pool_init(&pool->core, nframes, pool->owner, pool->host);
	return 0;
}

void kvm_pool_destroy(struct kvm_pool *pool)
{
	if (pool->host)
		munmap(pool->host, pool->bytes);
	if (pool->memfd >= 0)
		close(pool->memfd);
	free(pool->owner);
}

int kvm_view_create(struct kvm_vm *vm)
{
	void *view = mmap(NULL, vm->pool->bytes, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (view == MAP_FAILED)
		return kvm_fail(HV_STATUS_HOST, "reserving the guest view: %s", strerror(errno));
	vm->view = view;
	vm->exo_bytes = hv_exo_area_bytes(vm->pool->core.nframes);
	void *exo = mmap(NULL, vm->exo_bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (exo == MAP_FAILED)
		return kvm_fail(HV_STATUS_HOST, "allocating the exo page: %s", strerror(errno));
	vm->exo_area = exo;
	return 0;
}

int hv_plat_bind(struct hv_guest *g, uint64_t first, uint64_t n)
{
	struct kvm_vm *vm = g->plat;
	uint64_t off = first * EXO_PAGE_SIZE;
	void *p = mmap(vm->view + off, n * EXO_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, vm->pool->memfd, (off_t)off);
	return p == MAP_FAILED ? -EXO_ENOMEM : 0;
}

void hv_plat_unbind(struct hv_guest *g, uint64_t first, uint64_t n)
{
	struct kvm_vm *vm = g->plat;
	uint64_t off = first * EXO_PAGE_SIZE, len = n * EXO_PAGE_SIZE;
	/* Failure here would leave a frame visible to a guest that no longer
	 * owns it: hv cannot continue safely. */
	if (mmap(vm->view + off, len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED ||
	    fallocate(vm->pool->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) < 0) {
		kvm_fail(HV_STATUS_HOST, "unbinding frames %llu..%llu: %s",
			 (unsigned long long)first, (unsigned long long)(first + n - 1),
			 strerror(errno));
		_exit(HV_STATUS_HOST);
	}
}

void hv_plat_panic(const char *why)
{
	kvm_fail(HV_STATUS_HOST, "internal error in hv: %s", why);
	_exit(HV_STATUS_HOST);
}

void hv_plat_console(struct hv_guest *g, const char *buf, uint64_t len)
{
	(void)g;
	while (len > 0) {
		ssize_t w = write(STDOUT_FILENO, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* stdout gone: the guest's output is lost, not hv */
		buf += w;
		len -= (uint64_t)w;
	}
}
