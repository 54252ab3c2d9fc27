/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/cpuid MODE: probes of the edges exo offers a guest
 * (CPU features, MSRs, I/O ports, the console), for
 * tests/guest/test_limits.c.
 *
 *   outs        a hypercall port's number with `outsl` (data from memory,
 *               not eax): must end the guest as a protocol error
 *   rep-outs    the same with `rep outsl`, two data
 *   signature   print CPUID leaf 0x40000000's vendor signature, exit 0
 *   pv-msr      write 0 to KVM's MSR 0x4b564d01 (kvmclock) and 0x12;
 *               print "gp N" for the N writes that raised #GP, exit 0
 *   escape      print a line holding ESC, BEL, 0x7f, a tab and a CR
 */
#include "exo/exo.h"

static unsigned gps;

/* #GP from wrmsr: count it and step over the two-byte instruction. */
static int skip_wrmsr(struct exo_trap_frame *f)
{
	gps++;
	f->rip += 2;
	return 1;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (!strcmp(m, "outs") || !strcmp(m, "rep-outs")) {
		/* A GPA-looking datum the hypercall would read, eax unlike it. */
		static volatile uint32_t data[2] = { 0x1000, 0x1000 };
		uint64_t si = (uint64_t)(uintptr_t)data, n = m[0] == 'r' ? 2 : 1;
		if (n == 1)
			__asm__ volatile("outsl" : "+S"(si) : "d"(EXO_HC_PORT), "a"(0) : "memory");
		else
			__asm__ volatile("rep outsl" : "+S"(si), "+c"(n) : "d"(EXO_HC_PORT), "a"(0)
					 : "memory");
		exo_printf("string I/O was taken\n");
		return 0;
	}
	if (!strcmp(m, "signature")) {
		uint32_t a, b, c, d;
		char sig[13];
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
		memcpy(sig, &b, 4), memcpy(sig + 4, &c, 4), memcpy(sig + 8, &d, 4);
		for (int i = 0; i < 12; i++)
			if (sig[i] < 0x20 || sig[i] > 0x7e)
				sig[i] = '.';
		sig[12] = '\0';
		exo_printf("leaf 0x40000000: eax 0x%x signature '%s'\n", a, sig);
		return 0;
	}
	if (!strcmp(m, "pv-msr")) {
		exo_trap_set(13, skip_wrmsr);
		__asm__ volatile("wrmsr" : : "c"(0x4b564d01), "a"(0), "d"(0));
		__asm__ volatile("wrmsr" : : "c"(0x12), "a"(0), "d"(0));
		exo_printf("gp %u\n", gps);
		return 0;
	}
	if (!strcmp(m, "escape")) {
		exo_printf("a\x1b[31mb\x07" "c\x7f\td\r\n");
		return 0;
	}
	exo_printf("unknown mode '%s'\n", m);
	return 1;
}
