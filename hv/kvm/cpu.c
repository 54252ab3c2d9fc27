/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/cpu.c: the CPU a guest sees on kvm: its CPUID and the MSRs it may
 * not touch.
 *
 * CPUID is what KVM supports (KVM_GET_SUPPORTED_CPUID) less the leaves
 * 0x40000000-0x4fffffff, where KVM announces itself ("KVMKVMKVM") and its
 * paravirtual features. With them a guest could turn on kvmclock, steal
 * time or asynchronous page faults, and the host kernel would then write
 * into guest frames on its own schedule: into frames hv may meanwhile have
 * taken away and given to another guest. exo offers none of them.
 *
 * CPUID alone does not stop a guest that writes the MSRs anyway (KVM only
 * checks CPUID for them when asked to), so KVM's MSR filter refuses them:
 * 0x11 and 0x12 (the old kvmclock MSRs) and 0x4b564d00-0x4b564dff (every
 * MSR KVM's paravirtual interface has or will have). A refused access
 * raises #GP in the guest, as on a CPU without them. A host without the
 * filter (KVM_CAP_X86_MSR_FILTER) runs guests without it and --stats says
 * so.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"

#define PV_LEAF_FIRST 0x40000000u
#define PV_LEAF_LAST 0x4fffffffu

/* What KVM supports, less the paravirtual leaves: asked once per exo, as
 * under a hypervisor each host CPUID it runs is an exit of its own (0.4 ms
 * here) and the answer is the same for every guest. Guests are created on
 * the main thread. */
static int set_cpuid(struct kvm_guest *k)
{
	static struct kvm_cpuid2 *offered;
	const uint32_t n = 256;
	if (!offered) {
		struct kvm_cpuid2 *c = calloc(1, sizeof *c + n * sizeof c->entries[0]);
		if (!c)
			return kvm_fail(HV_STATUS_HOST, "out of memory");
		c->nent = n;
		if (ioctl(k->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
			free(c);
			return kvm_fail(HV_STATUS_HOST, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		}
		uint32_t kept = 0;
		for (uint32_t i = 0; i < c->nent; i++)
			if (c->entries[i].function < PV_LEAF_FIRST ||
			    c->entries[i].function > PV_LEAF_LAST)
				c->entries[kept++] = c->entries[i];
		c->nent = kept;
		offered = c;
	}
	if (ioctl(k->vcpu_fd, KVM_SET_CPUID2, offered) < 0)
		return kvm_fail(HV_STATUS_HOST, "setting the guest's CPUID: %s", strerror(errno));
	return 0;
}

/* Deny-listed ranges: the filter allows by default; a range's bitmap has a
 * bit per MSR, 1 to allow, so an all-zero one refuses them all. */
static int set_msr_filter(struct kvm_guest *k)
{
	static uint8_t none[256 / 8];
	if (ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0) {
		k->no_msr_filter = 1;
		return 0;
	}
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = {
			{ .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, .nmsrs = 2,
			  .base = 0x11, .bitmap = none },
			{ .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, .nmsrs = 256,
			  .base = 0x4b564d00, .bitmap = none },
		},
	};
	if (ioctl(k->vm_fd, KVM_X86_SET_MSR_FILTER, &f) < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_X86_SET_MSR_FILTER: %s", strerror(errno));
	return 0;
}

int kvm_cpu_set(struct kvm_guest *k)
{
	int rc = set_cpuid(k);
	return rc ? rc : set_msr_filter(k);
}
