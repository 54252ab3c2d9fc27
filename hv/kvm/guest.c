/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/guest.c: one guest's start and its teardown.
 *
 * A guest starts in two steps, so that `exo run` can check every guest's
 * image before any guest runs: kvm_guest_read reads its image (for a
 * program, posix-shim's image too, and the program becomes its payload)
 * and opens its host files; kvm_guest_create, once the pool exists, makes
 * its VM, enters it in hv/core's guest table under its name, lets hv/core
 * load the image, and puts the vCPU at the entry. Its thread (run.c) then
 * runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

/* The environment a program starts with: a clean, documented default
 * (README.md), then each --env in order, replacing a default of the same
 * name. */
static const char *const env_default[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LANG=C",
};
_Static_assert(sizeof env_default / sizeof env_default[0] <= 8,
	       "struct kvm_guest's env has room for the defaults");

static int build_env(const struct kvm_guest_opts *o, char **env)
{
	int n = 0;
	for (unsigned d = 0; d < sizeof env_default / sizeof env_default[0]; d++) {
		size_t klen = strchr(env_default[d], '=') - env_default[d] + 1;
		int overridden = 0;
		for (int i = 0; i < o->envc; i++)
			overridden |= !strncmp(o->envp[i], env_default[d], klen);
		if (!overridden)
			env[n++] = (char *)env_default[d];
	}
	for (int i = 0; i < o->envc; i++)
		env[n++] = o->envp[i];
	return n;
}

/* posix-shim's image: where EXO_SHIM says, else beside exo as the build
 * tree has it (build/exo, build/posix-shim/shim), else where `make
 * install` puts it (PREFIX/bin/exo, PREFIX/lib/exo/posix-shim/shim). */
static int shim_path(char *path, size_t size)
{
	static const char *const beside[] = { "/posix-shim/shim", "/../lib/exo/posix-shim/shim" };
	const char *env = getenv("EXO_SHIM");
	if (env && *env) /* too long: not found, never a truncated path */
		return (size_t)snprintf(path, size, "%s", env) < size ? 0 : -1;
	ssize_t n = readlink("/proc/self/exe", path, size - 1);
	if (n <= 0)
		return -1;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (!slash)
		return -1;
	size_t dir = (size_t)(slash - path);
	for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
		if (dir + strlen(beside[i]) + 1 > size)
			return -1;
		memcpy(path + dir, beside[i], strlen(beside[i]) + 1);
		if (i + 1 == sizeof beside / sizeof beside[0] || access(path, F_OK) == 0)
			return 0;
	}
	return -1;
}

/* Waits on it are timed by CLOCK_MONOTONIC, the deadlines' clock. */
static int cond_init(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int rc = pthread_condattr_init(&a);
	if (rc)
		return rc;
	rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return rc;
}

void kvm_guest_init(struct kvm_guest *k, const struct kvm_guest_opts *o, int stats,
		    uint64_t t0)
{
	memset(k, 0, sizeof *k);
	k->opts = o;
	k->stats = stats;
	k->t0 = t0;
	k->kvm_fd = k->vm_fd = k->vcpu_fd = -1;
	k->files.root = k->files.cwd = -1;
	for (unsigned i = 0; i < EXO_FWD_FDS; i++)
		k->files.fd[i] = -1;
	k->g.plat = k;
}

int kvm_guest_read(struct kvm_guest *k)
{
	const struct kvm_guest_opts *o = k->opts;
	int rc;
	if ((rc = kvm_image_read(o->image, o->mem_bytes, &k->image, &k->image_len, &k->img)))
		return rc;
	if (k->img.kind == HV_IMAGE_PROGRAM) {
		/* A program: the guest is posix-shim, which loads it. */
		char shim[4096];
		k->program = k->image, k->program_len = k->image_len, k->image = NULL;
		if (shim_path(shim, sizeof shim) < 0)
			return kvm_fail(HV_STATUS_HOST, "cannot find posix-shim's image (set EXO_SHIM)");
		if ((rc = kvm_image_read(shim, o->mem_bytes, &k->image, &k->image_len, &k->img)))
			return rc;
		if (k->img.kind != HV_IMAGE_GUEST)
			return kvm_fail(HV_STATUS_IMAGE, "%s: not posix-shim's guest image", shim);
		k->args.envc = build_env(o, k->env);
		k->args.envp = k->env;
		k->args.payload = k->program;
		k->args.payload_bytes = k->program_len;
	}
	k->args.argc = o->argc;
	k->args.argv = o->argv;
	return kvm_files_open(&k->files, o->root);
}

int kvm_guest_create(struct kvm_guest *k, struct kvm_pool *pool)
{
	const struct kvm_guest_opts *o = k->opts;
	struct hv_boot boot = { 0 };
	const char *why;
	int rc;
	if ((rc = kvm_vm_create(k, pool)))
		return rc;
	if (cond_init(&k->wake))
		return kvm_fail(HV_STATUS_HOST, "cannot make a condition variable");
	k->wake_made = 1;
	switch (hv_guest_add(&k->g, &pool->core, o->name, o->mem_bytes / EXO_PAGE_SIZE,
			     k->exo_area, pool->bytes)) {
	case 0:
		k->in_table = 1;
		break;
	case -EXO_EBUSY:
		return kvm_fail(HV_STATUS_USAGE, "%s: another guest has that name", o->name);
	case -EXO_EINVAL:
		return kvm_fail(HV_STATUS_USAGE, "%s: not a name a guest can have", o->name);
	default:
		return kvm_fail(HV_STATUS_HOST, "%s: hv's guest table is full", o->name);
	}
	if ((rc = hv_boot_load(&k->g, &k->img, k->image, &k->args, &boot, &why)) < 0) {
		if (boot.need_frames > k->g.cap_frames)
			return kvm_fail(HV_STATUS_IMAGE, "%s: needs %llu KiB with its page tables%s; "
					"--mem allows %llu KiB", o->image,
					(unsigned long long)boot.need_frames * 4,
					k->program ? " and posix-shim" : "",
					(unsigned long long)k->g.cap_frames * 4);
		/* No guest runs yet: the pool's count is stable. */
		if (rc == -EXO_ENOMEM && boot.need_frames > pool->core.nfree)
			return kvm_fail(HV_STATUS_IMAGE, "%s: needs %llu KiB with its page tables%s; "
					"the pool (--pool %llu KiB) has %llu KiB left", o->image,
					(unsigned long long)boot.need_frames * 4,
					k->program ? " and posix-shim" : "",
					(unsigned long long)(pool->bytes >> 10),
					(unsigned long long)pool->core.nfree * 4);
		return kvm_fail(HV_STATUS_IMAGE, "%s: %s", o->image, why);
	}
	k->g.exo->flags = k->stats ? EXO_PAGE_F_STATS : 0;
	k->g.exo->ring_request = o->ring;
	k->g.exo->tsc_khz = kvm_tsc_khz(k);
	if ((rc = kvm_vm_boot(k, &boot)))
		return rc;
	if ((rc = kvm_vcpu_signals(k)) < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_SET_SIGNAL_MASK: %s", strerror(-rc));
	/* The image is in the guest's frames now. */
	free(k->image);
	free(k->program);
	k->image = k->program = NULL;
	return 0;
}

void kvm_guest_leave(struct kvm_guest *k)
{
	if (k->in_table)
		hv_guest_remove(&k->g);
	k->in_table = 0;
}

void kvm_guest_destroy(struct kvm_guest *k)
{
	kvm_vm_destroy(k);
	kvm_files_close(&k->files);
	if (k->wake_made)
		pthread_cond_destroy(&k->wake);
	free(k->image);
	free(k->program);
	free(k->out.buf);
	free(k->err.buf);
	k->image = k->program = NULL;
	k->wake_made = 0;
}
