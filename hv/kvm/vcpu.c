/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/vcpu.c: a guest's KVM VM and its one vCPU.
 *
 * Opens /dev/kvm (saying how to fix it when that fails), creates the VM,
 * its two memslots (the pool view at GPA 0 and the read-only exo area just
 * past it) and one vCPU, and puts the vCPU in 64-bit long mode at the
 * image's entry with the page tables hv/core built. Also the vCPU's signal
 * mask, which lets a kick (plat.c) interrupt KVM_RUN and nothing else,
 * and the capability exception.c raises exceptions with.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

/* hv's boot selectors; guestlib replaces the GDT before it matters. */
#define BOOT_CS 0x08
#define BOOT_DS 0x10

static int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return kvm_fail(-HV_STATUS_HOST,
				"/dev/kvm: not found (load kvm_intel or kvm_amd and enable "
				"virtualization in the firmware)");
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		return kvm_fail(-HV_STATUS_HOST,
				"/dev/kvm: permission denied (add your user to the kvm "
				"group, or run as root)");
	if (fd < 0)
		return kvm_fail(-HV_STATUS_HOST, "/dev/kvm: %s", strerror(errno));
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		close(fd);
		return kvm_fail(-HV_STATUS_HOST, "/dev/kvm: not a KVM device with API version %d",
				KVM_API_VERSION);
	}
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0 ||
	    ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0 ||
	    ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_EXCEPTION_PAYLOAD) <= 0) {
		close(fd);
		return kvm_fail(-HV_STATUS_HOST, "/dev/kvm: needs SYNC_REGS, READONLY_MEM and "
				"EXCEPTION_PAYLOAD (Linux 4.20 or later)");
	}
	return fd;
}

static int set_slot(struct kvm_guest *k, uint32_t slot, uint64_t gpa, uint64_t bytes,
		    void *host, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = bytes, .userspace_addr = (uint64_t)(uintptr_t)host,
	};
	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	return 0;
}

int kvm_vm_create(struct kvm_guest *k, struct kvm_pool *pool)
{
	int rc;
	k->pool = pool;
	k->kvm_fd = k->vm_fd = k->vcpu_fd = -1;
	k->kvm_fd = open_kvm();
	if (k->kvm_fd < 0)
		return -k->kvm_fd;
	k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_CREATE_VM: %s", strerror(errno));
	/* Exceptions hv raises are queued as pending (exception.c). */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 } };
	if (ioctl(k->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return kvm_fail(HV_STATUS_HOST, "enabling KVM_CAP_EXCEPTION_PAYLOAD: %s",
				strerror(errno));
	if ((rc = kvm_view_create(k)))
		return rc;
	if ((rc = set_slot(k, 0, 0, pool->bytes, k->view, 0)) ||
	    (rc = set_slot(k, 1, pool->bytes, k->exo_bytes, k->exo_area, KVM_MEM_READONLY)))
		return rc;
	k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
	if (k->vcpu_fd < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_CREATE_VCPU: %s", strerror(errno));
	int size = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	k->run_bytes = (uint64_t)size;
	k->run = mmap(NULL, k->run_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		return kvm_fail(HV_STATUS_HOST, "mapping kvm_run: %s", strerror(errno));
	}
	if ((rc = kvm_cpu_set(k)))
		return rc;
	/* /dev/kvm itself is needed no more: with many guests, descriptors
	 * count. */
	close(k->kvm_fd);
	k->kvm_fd = -1;
	return 0;
}

static struct kvm_segment segment(uint16_t selector, uint8_t type, int code)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = !code, .s = 1, .l = code, .g = 1,
	};
}

int kvm_vm_boot(struct kvm_guest *k, const struct hv_boot *boot)
{
	struct kvm_sregs s;
	if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_GET_SREGS: %s", strerror(errno));
	s.cs = segment(BOOT_CS, 11, 1);
	s.ds = s.es = s.fs = s.gs = s.ss = segment(BOOT_DS, 3, 0);
	s.tr = (struct kvm_segment){ .limit = 0x67, .type = 11, .present = 1 };
	s.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 2, .present = 1 };
	s.gdt = s.idt = (struct kvm_dtable){ 0 };
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr3 = boot->cr3;
	s.cr4 = CR4_PAE;
	s.efer = EFER_LME | EFER_LMA | EFER_NXE;
	if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_SET_SREGS (long mode): %s", strerror(errno));
	struct kvm_regs r = { .rip = boot->entry, .rdi = boot->rdi, .rflags = 2 };
	if (ioctl(k->vcpu_fd, KVM_SET_REGS, &r) < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_SET_REGS: %s", strerror(errno));
	k->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	k->run->s.regs.regs = r; /* what KVM would show, for a report before the first run */
	return 0;
}

/* Single-step the first instruction so --stats can time it exactly. */
int kvm_first_step(struct kvm_guest *k, int on)
{
	struct kvm_guest_debug d = {
		.control = on ? KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP : 0,
	};
	return ioctl(k->vcpu_fd, KVM_SET_GUEST_DEBUG, &d);
}

int kvm_vcpu_signals(struct kvm_guest *k)
{
	/* The kick signal stays blocked in the thread, so a forwarded call
	 * (a read on a pipe, a sleep) is never cut short by it; only KVM_RUN
	 * runs with it unblocked. A kick that arrives outside KVM_RUN stays
	 * pending and ends the next KVM_RUN at once. */
	sigset_t set;
	struct {
		struct kvm_signal_mask m;
		uint8_t set[8];
	} mask = { .m.len = 8 };
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	sigdelset(&set, KVM_KICK_SIGNAL);
	memcpy(mask.set, &set, sizeof mask.set);
	if (ioctl(k->vcpu_fd, KVM_SET_SIGNAL_MASK, &mask) < 0)
		return -errno;
	return 0;
}

uint64_t kvm_tsc_khz(struct kvm_guest *k)
{
	int khz = ioctl(k->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	return khz > 0 ? (uint64_t)khz : 0;
}

void kvm_vm_destroy(struct kvm_guest *k)
{
	if (k->run)
		munmap(k->run, k->run_bytes);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	if (k->view)
		munmap(k->view, k->pool->bytes);
	if (k->exo_area)
		munmap(k->exo_area, k->exo_bytes);
	free(k->bound_bits);
}
