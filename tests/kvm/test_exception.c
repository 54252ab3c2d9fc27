/* SPDX-License-Identifier: MIT */
/*
 * tests/kvm/test_exception.c: hv_plat_exception and kvm_exception_raise
 * in hv/kvm/exception.c, on a real KVM vCPU.
 *
 * A few bytes of real-mode code (the event rules are KVM's, the same in
 * every CPU mode) report by port I/O; vector 20's handler reports with ax
 * unchanged and sets a flag, vector 0x30's (an external interrupt)
 * reports. The exception must arrive before the guest's next instruction
 * whatever its interrupt flag: after a hypercall-like exit whose result
 * (rax, written through the sync-regs area) must survive it, with
 * interrupts off; ahead of an external interrupt queued at the same exit,
 * which follows once the handler returns; and after KVM_RUN was cut short
 * by a signal while the guest spun with interrupts off.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

#define MEM_BYTES 0x10000u
#define SEG 0x100u            /* code and data segment: base 0x1000 */
#define CODE_GPA (SEG * 16)

/* as --32, .code16, linked at 0 (objdump -mi8086 shows it):
 *   0x00 cli; mov $0x1111,%ax; out %ax,$0x10; out %ax,$0x11;
 *        sti; nop; out %ax,$0x12; out %ax,$0x13;
 *        cli; out %ax,$0x14;
 *   0x11 spin: cmpb $0,flag; je spin; out %ax,$0x15; hlt
 *  0x100 vector 20: movb $1,flag; out %ax,$0x20; iret
 *  0x140 vector 0x30: out %al,$0x30; iret
 *  0x180 flag */
static const uint8_t main_code[] = {
	0xfa, 0xb8, 0x11, 0x11, 0xe7, 0x10, 0xe7, 0x11, 0xfb, 0x90, 0xe7, 0x12, 0xe7, 0x13,
	0xfa, 0xe7, 0x14, 0x80, 0x3e, 0x80, 0x01, 0x00, 0x74, 0xf9, 0xe7, 0x15, 0xf4,
};
static const uint8_t h20_code[] = { 0xc6, 0x06, 0x80, 0x01, 0x01, 0xe7, 0x20, 0xcf };
static const uint8_t h30_code[] = { 0xe6, 0x30, 0xcf };
#define H20 0x100u
#define H30 0x140u
#define IRQ_VECTOR 0x30u

static struct kvm_guest k;
static uint8_t *mem;

static void empty_handler(int sig)
{
	(void)sig;
}

static void set_ivt(unsigned vector, uint16_t off)
{
	uint16_t entry[2] = { off, SEG };
	memcpy(mem + vector * 4, entry, sizeof entry);
}

static void vm_setup(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	cr_assert(kvm >= 0, "/dev/kvm: %s", strerror(errno));
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	cr_assert(vm >= 0);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD, .args = { 1 } };
	cr_assert(ioctl(vm, KVM_ENABLE_CAP, &cap) == 0, "EXCEPTION_PAYLOAD: %s", strerror(errno));
	mem = mmap(NULL, MEM_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert(mem != MAP_FAILED);
	memcpy(mem + CODE_GPA, main_code, sizeof main_code);
	memcpy(mem + CODE_GPA + H20, h20_code, sizeof h20_code);
	memcpy(mem + CODE_GPA + H30, h30_code, sizeof h30_code);
	set_ivt(20, H20);
	set_ivt(IRQ_VECTOR, H30);
	struct kvm_userspace_memory_region r = {
		.slot = 0, .memory_size = MEM_BYTES, .userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	cr_assert(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) == 0);

	memset(&k, 0, sizeof k);
	k.g.plat = &k;
	k.vcpu_fd = ioctl(vm, KVM_CREATE_VCPU, 0);
	cr_assert(k.vcpu_fd >= 0);
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	k.run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, k.vcpu_fd, 0);
	cr_assert(k.run != MAP_FAILED);

	struct kvm_sregs s;
	cr_assert(ioctl(k.vcpu_fd, KVM_GET_SREGS, &s) == 0);
	s.cs.base = s.ds.base = CODE_GPA;
	s.cs.selector = s.ds.selector = SEG;
	s.ss.base = 0;
	s.ss.selector = 0;
	cr_assert(ioctl(k.vcpu_fd, KVM_SET_SREGS, &s) == 0);
	struct kvm_regs regs = { .rip = 0, .rsp = 0x8000, .rflags = 2 };
	cr_assert(ioctl(k.vcpu_fd, KVM_SET_REGS, &regs) == 0);
	k.run->kvm_valid_regs = KVM_SYNC_X86_REGS;

	/* The kick signal, as run.c has it: blocked, open only in KVM_RUN. */
	struct sigaction sa = { .sa_handler = empty_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct {
		struct kvm_signal_mask m;
		uint8_t set[8];
	} mask = { .m.len = 8 };
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	sigdelset(&set, SIGUSR1);
	memcpy(mask.set, &set, sizeof mask.set);
	cr_assert(ioctl(k.vcpu_fd, KVM_SET_SIGNAL_MASK, &mask) == 0);
}

/* Run until the next port write; its port, and ax (or al) in *value. */
static unsigned next_out(uint32_t *value)
{
	cr_assert_eq(kvm_exception_raise(&k), 0, "kvm_exception_raise: %s", strerror(errno));
	cr_assert(ioctl(k.vcpu_fd, KVM_RUN, 0) == 0, "KVM_RUN: %s", strerror(errno));
	if (k.run->exit_reason == KVM_EXIT_HLT)
		return 0;
	cr_assert_eq(k.run->exit_reason, KVM_EXIT_IO, "exit reason %u", k.run->exit_reason);
	*value = 0;
	memcpy(value, (uint8_t *)k.run + k.run->io.data_offset, k.run->io.size);
	return k.run->io.port;
}

static void expect_out(unsigned port, uint32_t value)
{
	uint32_t v;
	unsigned p = next_out(&v);
	cr_assert_eq(p, port, "port 0x%x, expected 0x%x (value 0x%x)", p, port, v);
	cr_assert_eq(v, value, "port 0x%x: value 0x%x, expected 0x%x", p, v, value);
}

Test(exception, arrives_first_whatever_the_interrupt_flag)
{
	vm_setup();
	expect_out(0x10, 0x1111);
	/* A hypercall's result, as run.c writes it, then the exception:
	 * interrupts are off. */
	k.run->s.regs.regs.rax = 0x1234;
	k.run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	hv_plat_exception(&k.g, 20);
	expect_out(0x20, 0x1234); /* the handler, before the next instruction */
	expect_out(0x11, 0x1234);

	/* Interrupts on: an external interrupt queued at the same exit waits
	 * for the exception's handler to return. */
	expect_out(0x12, 0x1234);
	cr_assert(k.run->if_flag && k.run->ready_for_interrupt_injection);
	hv_plat_exception(&k.g, 20);
	cr_assert_eq(kvm_exception_raise(&k), 0);
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
	cr_assert(ioctl(k.vcpu_fd, KVM_INTERRUPT, &irq) == 0);
	expect_out(0x20, 0x1234);
	expect_out(0x30, 0x34);
	expect_out(0x13, 0x1234);
	expect_out(0x14, 0x1234);
}

Test(exception, arrives_after_a_kick_in_a_loop_with_interrupts_off)
{
	vm_setup();
	uint32_t v;
	while (next_out(&v) != 0x14)
		;
	mem[CODE_GPA + 0x180] = 0;
	/* The guest spins with interrupts off until the handler sets the
	 * flag; a timer's signal cuts KVM_RUN short, as a deadline does. */
	timer_t t;
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1 };
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	cr_assert(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0);
	struct itimerspec its = { .it_value = { 0, 5 * 1000 * 1000 } };
	timer_settime(t, 0, &its, NULL);
	int rc = ioctl(k.vcpu_fd, KVM_RUN, 0);
	cr_assert(rc < 0 && errno == EINTR, "KVM_RUN: %d %s, exit %u", rc, strerror(errno),
		  k.run->exit_reason);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	static const struct timespec zero = { 0, 0 };
	sigtimedwait(&set, NULL, &zero);
	hv_plat_exception(&k.g, 20);
	expect_out(0x20, 0x1111);
	expect_out(0x15, 0x1111);
	cr_assert_eq(next_out(&v), 0, "expected hlt");
	timer_delete(t);
}
