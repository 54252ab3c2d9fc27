/*
 * apps/guests/rawkvm_linux.c: the raw KVM limit for starting a guest, the
 * row apps/guests/bench.sh compares `exo run` of the smallest guest with.
 *
 *   guests-rawkvm [-s] [N]      N VMs (default 1, at most 4096)
 *
 * For each of N VMs: KVM_CREATE_VM, one memslot of one 4 KiB page holding
 * `hlt` at GPA 0, one vCPU in real mode at CS:IP 0:0 (the reset state but
 * for CS's base), and one KVM_RUN, which must come back as KVM_EXIT_HLT:
 * what any VMM has to do for a guest to run one instruction, and nothing
 * else. All N are created first and kept until the process exits (as the
 * guests of one `exo run` all live at once); then each runs, in turn, on
 * this one thread. Teardown is the kernel's, at exit, as it is for exo.
 * -s prints "rawkvm: stats: ..." lines on stderr: milliseconds from main
 * to the first vCPU's exit and to the last. A failure is one line
 * "rawkvm: ..." on stderr and status 1.
 */
#define _GNU_SOURCE
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

#define VMS_MAX 4096
#define PAGE 4096

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("rawkvm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct vm {
	int vm_fd, vcpu_fd;
	struct kvm_run *run;
};

static void vm_create(int kvm, long run_bytes, struct vm *v, int i)
{
	if ((v->vm_fd = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		die("VM %d: KVM_CREATE_VM: %s", i, strerror(errno));
	uint8_t *mem = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("VM %d: guest memory: %s", i, strerror(errno));
	mem[0] = 0xf4; /* hlt */
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = PAGE,
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

static void vm_run(struct vm *v, int i)
{
	if (ioctl(v->vcpu_fd, KVM_RUN, 0) < 0)
		die("VM %d: KVM_RUN: %s", i, strerror(errno));
	if (v->run->exit_reason != KVM_EXIT_HLT)
		die("VM %d: exit reason %u, not KVM_EXIT_HLT (%u)", i, v->run->exit_reason,
		    KVM_EXIT_HLT);
}

int main(int argc, char **argv)
{
	double t0 = now_ms(), first = 0;
	int stats = 0, n = 1;
	if (argc > 1 && !strcmp(argv[1], "-s"))
		stats = 1, argc--, argv++;
	if (argc > 2)
		die("usage: guests-rawkvm [-s] [N]");
	if (argc == 2) {
		char *end;
		long v = strtol(argv[1], &end, 10);
		if (*argv[1] == '\0' || *end || v < 1 || v > VMS_MAX)
			die("N must be 1..%d, not '%s'", VMS_MAX, argv[1]);
		n = (int)v;
	}
	static struct vm vms[VMS_MAX];
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm: %s", strerror(errno));
	long run_bytes = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_bytes <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	for (int i = 0; i < n; i++)
		vm_create(kvm, run_bytes, &vms[i], i);
	for (int i = 0; i < n; i++) {
		vm_run(&vms[i], i);
		if (i == 0)
			first = now_ms();
	}
	double last = now_ms();
	if (stats)
		fprintf(stderr, "rawkvm: stats: %d VMs; first vCPU's hlt exit at %.3f ms, last at %.3f ms\n",
			n, first - t0, last - t0);
	return 0;
}
