/* SPDX-License-Identifier: MIT */
/*
 * apps/rawkvm.h: the raw KVM limit's pieces, shared by the benchmarks'
 * minimal VMMs (apps/guests/rawkvm_linux.c: create + first run;
 * apps/limits/kvmexit_linux.c: an I/O-port exit round trip). A "raw" VM
 * is what any VMM must do for a guest to run a few bytes of code and
 * nothing else: KVM_CREATE_VM, one memslot of one 4 KiB page holding the
 * code at GPA 0, one vCPU in real mode at CS:IP 0:0 (the reset state but
 * for CS's base). Header-only: each program is one file plus this.
 *
 * Define RAWKVM_NAME (default "rawkvm") before including it: die()'s
 * prefix, "NAME: ..." on stderr and status 1.
 */
#ifndef APPS_RAWKVM_H
#define APPS_RAWKVM_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef RAWKVM_NAME
#define RAWKVM_NAME "rawkvm"
#endif
#define RAWKVM_PAGE 4096

static _Noreturn __attribute__((format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs(RAWKVM_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct vm {
	int vm_fd, vcpu_fd;
	struct kvm_run *run;
};

/* /dev/kvm, and the size of a vCPU's kvm_run mapping. */
static inline int rawkvm_open(long *run_bytes)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm: %s", strerror(errno));
	*run_bytes = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (*run_bytes <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	return kvm;
}

/* VM i (for messages): the raw VM above, running code[0..len). */
static inline void rawkvm_create(int kvm, long run_bytes, struct vm *v, int i,
				 const uint8_t *code, size_t len)
{
	if (len > RAWKVM_PAGE)
		die("VM %d: %zu bytes of code do not fit a page", i, len);
	if ((v->vm_fd = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		die("VM %d: KVM_CREATE_VM: %s", i, strerror(errno));
	uint8_t *mem = mmap(NULL, RAWKVM_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("VM %d: guest memory: %s", i, strerror(errno));
	memcpy(mem, code, len);
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = RAWKVM_PAGE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		die("VM %d: KVM_SET_USER_MEMORY_REGION: %s", i, strerror(errno));
	if ((v->vcpu_fd = ioctl(v->vm_fd, KVM_CREATE_VCPU, 0)) < 0)
		die("VM %d: KVM_CREATE_VCPU: %s", i, strerror(errno));
	v->run = mmap(NULL, (size_t)run_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu_fd, 0);
	if (v->run == MAP_FAILED)
		die("VM %d: mapping kvm_run: %s", i, strerror(errno));
	struct kvm_sregs sregs;
	if (ioctl(v->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		die("VM %d: KVM_GET_SREGS: %s", i, strerror(errno));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		die("VM %d: KVM_SET_SREGS: %s", i, strerror(errno));
	struct kvm_regs regs = { .rip = 0, .rflags = 2 };
	if (ioctl(v->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		die("VM %d: KVM_SET_REGS: %s", i, strerror(errno));
}

/* One KVM_RUN of VM i, which must come back with exit reason `want`. */
static inline void rawkvm_run(struct vm *v, int i, uint32_t want)
{
	if (ioctl(v->vcpu_fd, KVM_RUN, 0) < 0)
		die("VM %d: KVM_RUN: %s", i, strerror(errno));
	if (v->run->exit_reason != want)
		die("VM %d: exit reason %u, not %u", i, v->run->exit_reason, want);
}

#endif
