/* SPDX-License-Identifier: MIT */
/*
 * apps/limits/kvmexit_linux.c: the raw KVM limit for a hypercall, the
 * peer apps/limits/bench.sh puts beside exo's EXO_HC_INFO round trip.
 *
 *   limits-kvmexit [REPS [OPS]]     defaults 9 and 2000
 *
 * apps/rawkvm.h's minimal VM (one 4 KiB memslot, one vCPU in real mode)
 * running `out %al, $0x10; jmp .-2` forever: every KVM_RUN comes back to
 * this process as KVM_EXIT_IO, the same kind of exit as exo's hypercall
 * (an `out` to an I/O port, handled in user space), and the next KVM_RUN
 * resumes the guest after it. One round trip is one KVM_RUN: guest `out`,
 * exit to user space, back into the guest up to its next `out`. After one
 * untimed warm-up rep, REPS reps of OPS round trips each, timed here with
 * CLOCK_MONOTONIC around the loop; each rep prints
 *
 *   rep kvmexit OPS NS EXITS
 *
 * (NS: the rep's nanoseconds; EXITS: the KVM_EXIT_IO exits counted in
 * it, OPS unless something is wrong). A failure is one line "kvmexit: ..." on stderr and
 * status 1.
 */
#define _GNU_SOURCE
#define RAWKVM_NAME "kvmexit"
#include "../rawkvm.h"

#define PORT 0x10

static long arg(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end || v < 1 || v > max)
		die("'%s' is not a number 1..%ld", s, max);
	return v;
}

int main(int argc, char **argv)
{
	if (argc > 3)
		die("usage: limits-kvmexit [REPS [OPS]]");
	long reps = argc > 1 ? arg(argv[1], 1000) : 9, ops = argc > 2 ? arg(argv[2], 10000000) : 2000;
	static const uint8_t code[] = { 0xe6, PORT, 0xeb, 0xfc }; /* out %al,$PORT; jmp .-2 */
	long run_bytes;
	int kvm = rawkvm_open(&run_bytes);
	struct vm v;
	rawkvm_create(kvm, run_bytes, &v, 0, code, sizeof code);
	for (long r = -1; r < reps; r++) {
		uint64_t exits = 0, t0 = now_ns();
		for (long i = 0; i < ops; i++) {
			rawkvm_run(&v, 0, KVM_EXIT_IO);
			if (v.run->io.port != PORT || v.run->io.direction != KVM_EXIT_IO_OUT)
				die("an I/O exit on port %#x, direction %u, not an out to %#x",
				    v.run->io.port, v.run->io.direction, PORT);
			exits++;
		}
		uint64_t ns = now_ns() - t0;
		if (r >= 0)
			printf("rep kvmexit %ld %lu %lu\n", ops, (unsigned long)ns, (unsigned long)exits);
	}
	return 0;
}
