/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/hog.c: hog MIB [malloc|brk|stack]: touches MIB MiB,
 * one byte a page, from malloc (the default), from brk, or by recursion
 * on the stack, then says "done".
 */
#include "prog.h"

static volatile int sink;

static int deep(long left)
{
	volatile char page[4096];
	page[0] = (char)left;
	if (left <= 0)
		return page[0];
	return deep(left - 1) + page[0];
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64;
	const char *how = argc > 2 ? argv[2] : "malloc";
	printf("touching %ld MiB (%s)\n", mib, how);
	if (!strcmp(how, "stack")) {
		sink = deep(mib * 256);
	} else {
		char *p;
		if (!strcmp(how, "brk")) { /* musl's sbrk(n) is ENOMEM: brk itself */
			p = (char *)syscall(SYS_brk, 0);
			if ((char *)syscall(SYS_brk, p + (mib << 20)) != p + (mib << 20))
				p = NULL;
		} else {
			p = malloc(mib << 20);
		}
		if (p == NULL) {
			printf("allocation failed: %s\n", errname(errno));
			return 1;
		}
		for (long i = 0; i < mib << 20; i += 4096)
			p[i] = 1;
	}
	printf("done\n");
	return 0;
}
