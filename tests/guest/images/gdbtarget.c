/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/gdbtarget: a tiny guest for tests/kvm/test_gdb.c,
 * which runs it under `exo run --gdb PORT` and drives gdb against it:
 * a breakpoint on bump(), variables read (answer, counter), a step, a
 * continue to the exit, whose status (7) gdb must report. `spin` loops
 * until gdb clears `spinning` (the ^C test). Kept small: where the host
 * emulates guest ring 0, every instruction here is emulated.
 */
#include "exo/exo.h"

volatile int counter;
int answer = 41;
volatile int spinning = 1;

__attribute__((noinline)) int bump(int by)
{
	counter += by;
	return counter;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "spin"))
		while (spinning)
			;
	answer++;
	for (int i = 1; i <= 3; i++)
		bump(i);
	exo_printf("counter %d answer %d\n", counter, answer);
	return 7;
}
