/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/ring0.c: a program small enough for `exo run --ring 0`
 * where the host emulates guest ring 0 (about 0.6 us an instruction, and
 * no SSE there): raw system calls, no libc, no FPU/SSE.
 *
 * Built freestanding (its own _start), as it must be for ring 0:
 *
 *   gcc -static -nostdlib -ffreestanding -fno-pie -no-pie -fno-stack-protector \
 *       -mgeneral-regs-only -O1 -Wall -Wextra -Werror -o ring0 ring0.c
 *
 * Built as an ordinary musl program (the Makefile's rule for progs/), the
 * same code runs from main() after musl's start-up, which may use SSE, and
 * says so on its first line, so a test knows which build it has.
 */
typedef unsigned long u64;

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static u64 len(const char *s)
{
	u64 n = 0;
	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	sys(1, 1, (long)s, (long)len(s), 0, 0, 0);
}

/* "label: value\n" with value in decimal (negative: "-N"). */
static void show(const char *label, long v)
{
	char buf[32];
	int i = 31, neg = v < 0;
	u64 u = neg ? (u64)-v : (u64)v;
	buf[i] = 0;
	buf[--i] = '\n';
	do
		buf[--i] = (char)('0' + u % 10);
	while ((u /= 10));
	if (neg)
		buf[--i] = '-';
	put(label);
	put(": ");
	put(buf + i);
}

static void check(const char *label, int ok)
{
	put(label);
	put(ok ? ": ok\n" : ": FAILED\n");
}

static int ring0_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	show("argc", argc);
	check("argv[1] is \"hello\"", argc > 1 && argv[1][0] == 'h' && argv[1][5] == 0);
	long pid = sys(39, 0, 0, 0, 0, 0, 0);   /* getpid: forwarded */
	long tid = sys(186, 0, 0, 0, 0, 0, 0);  /* gettid: in the guest */
	check("getpid == gettid", pid > 0 && pid == tid);
	long b0 = sys(12, 0, 0, 0, 0, 0, 0);
	long b1 = sys(12, b0 + 65536, 0, 0, 0, 0, 0);
	check("brk grows by 64 KiB", b1 == b0 + 65536);
	volatile char *heap = (volatile char *)b0;
	heap[0] = 1;
	heap[65535] = 2;
	check("heap writable", heap[0] == 1 && heap[65535] == 2);
	long m = sys(9, 0, 8192, 3, 0x22, -1, 0); /* mmap anon rw private */
	check("mmap 2 pages", m > 0 && (m & 4095) == 0);
	volatile long *p = (volatile long *)m;
	check("mmap reads zero", p[0] == 0 && p[511] == 0 && p[1023] == 0);
	for (int i = 0; i < 1024; i += 64)
		p[i] = i;
	long sum = 0;
	for (int i = 0; i < 1024; i += 64)
		sum += p[i];
	show("sum", sum);
	show("munmap", sys(11, m, 8192, 0, 0, 0, 0));
	show("write from a bad pointer", sys(1, 1, 1, 10, 0, 0, 0));
	show("close 99", sys(3, 99, 0, 0, 0, 0, 0));
	show("unknown call 1000", sys(1000, 0, 0, 0, 0, 0, 0));
	put("exiting with 7\n");
	sys(231, 7, 0, 0, 0, 0, 0);
	return 99;
}

#if __STDC_HOSTED__
int main(int argc, char **argv)
{
	(void)argc;
	put("build: musl start-up (not for --ring 0)\n");
	return ring0_main((long *)argv - 1);
}
#else
__attribute__((used)) static void start_c(long *sp)
{
	put("build: freestanding\n");
	ring0_main(sp);
	sys(231, 98, 0, 0, 0, 0, 0);
}

__asm__(".globl _start\n"
	"_start:\n\t"
	"xor %ebp, %ebp\n\t"
	"mov %rsp, %rdi\n\t"
	"and $-16, %rsp\n\t"
	"call start_c\n\t"
	"ud2\n");
#endif
