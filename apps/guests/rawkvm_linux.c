/* SPDX-License-Identifier: MIT */
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
 * The VM itself is apps/rawkvm.h's, shared with apps/limits' exit round
 * trip.
 * -s prints "rawkvm: stats: ..." lines on stderr: milliseconds from main
 * to the first vCPU's exit and to the last. A failure is one line
 * "rawkvm: ..." on stderr and status 1.
 */
#define _GNU_SOURCE
#include "../rawkvm.h"

#define VMS_MAX 4096

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
	static const uint8_t hlt[] = { 0xf4 };
	long run_bytes;
	int kvm = rawkvm_open(&run_bytes);
	for (int i = 0; i < n; i++)
		rawkvm_create(kvm, run_bytes, &vms[i], i, hlt, sizeof hlt);
	for (int i = 0; i < n; i++) {
		rawkvm_run(&vms[i], i, KVM_EXIT_HLT);
		if (i == 0)
			first = now_ms();
	}
	double last = now_ms();
	if (stats)
		fprintf(stderr, "rawkvm: stats: %d VMs; first vCPU's hlt exit at %.3f ms, last at %.3f ms\n",
			n, first - t0, last - t0);
	return 0;
}
