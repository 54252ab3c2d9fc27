/*
 * hv/kvm/vm.c: one KVM VM and vCPU per guest.
 *
 * Opens /dev/kvm (saying how to fix it when that fails), creates the VM,
 * its two memslots (the pool view at GPA 0 and the read-only exo area just
 * past it) and one vCPU, and puts the vCPU in 64-bit long mode at the
 * image's entry with the page tables hv/core built.
 */
#include <errno.h>
#include <fcntl.h>
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
	    ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
		close(fd);
		return kvm_fail(-HV_STATUS_HOST, "/dev/kvm: needs SYNC_REGS and READONLY_MEM "
				"(Linux 4.13 or later)");
	}
	return fd;
}

static int set_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, uint64_t bytes,
		    void *host, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = bytes, .userspace_addr = (uint64_t)(uintptr_t)host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	return 0;
}

static int set_cpuid(struct kvm_vm *vm)
{
	int n = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof *c + n * sizeof c->entries[0]);
	if (!c)
		return kvm_fail(HV_STATUS_HOST, "out of memory");
	c->nent = n;
	int rc = ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	if (rc == 0)
		rc = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
	if (rc < 0)
		return kvm_fail(HV_STATUS_HOST, "setting the guest's CPUID: %s", strerror(errno));
	return 0;
}

int kvm_vm_create(struct kvm_vm *vm, struct kvm_pool *pool)
{
	int rc;
	vm->pool = pool;
	vm->vm_fd = vm->vcpu_fd = -1;
	vm->kvm_fd = open_kvm();
	if (vm->kvm_fd < 0)
		return -vm->kvm_fd;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_CREATE_VM: %s", strerror(errno));
	if ((rc = kvm_view_create(vm)))
		return rc;
	if ((rc = set_slot(vm, 0, 0, pool->bytes, vm->view, 0)) ||
	    (rc = set_slot(vm, 1, pool->bytes, vm->exo_bytes, vm->exo_area, KVM_MEM_READONLY)))
		return rc;
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_CREATE_VCPU: %s", strerror(errno));
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_bytes = (uint64_t)size;
	vm->run = mmap(NULL, vm->run_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return kvm_fail(HV_STATUS_HOST, "mapping kvm_run: %s", strerror(errno));
	}
	return set_cpuid(vm);
}

static struct kvm_segment segment(uint16_t selector, uint8_t type, int code)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = !code, .s = 1, .l = code, .g = 1,
	};
}

int kvm_vm_boot(struct kvm_vm *vm, const struct hv_boot *boot)
{
	struct kvm_sregs s;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
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
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_SET_SREGS (long mode): %s", strerror(errno));
	struct kvm_regs r = { .rip = boot->entry, .rdi = boot->rdi, .rflags = 2 };
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0)
		return kvm_fail(HV_STATUS_HOST, "KVM_SET_REGS: %s", strerror(errno));
	vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	return 0;
}

/* Single-step the first instruction so --stats can time it exactly. */
int kvm_first_step(struct kvm_vm *vm, int on)
{
	struct kvm_guest_debug d = {
		.control = on ? KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP : 0,
	};
	return ioctl(vm->vcpu_fd, KVM_SET_GUEST_DEBUG, &d);
}

uint64_t kvm_tsc_khz(struct kvm_vm *vm)
{
	int khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	return khz > 0 ? (uint64_t)khz : 0;
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_bytes);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->view)
		munmap(vm->view, vm->pool->bytes);
	if (vm->exo_area)
		munmap(vm->exo_area, vm->exo_bytes);
}
