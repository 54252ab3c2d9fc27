/* SPDX-License-Identifier: MIT */
/*
 * apps/hello: the smallest guest. Prints a greeting, its arguments and
 * what the exo page says about its memory, then exits 0.
 */
#include "exo/exo.h"

int main(int argc, char **argv)
{
	const struct exo_page *p = exo_page();
	exo_printf("hello from an exo guest in ring 0\n");
	for (int i = 0; i < argc; i++)
		exo_printf("argv[%d] = %s\n", i, argv[i]);
	exo_printf("pool %lu frames, own %lu, may own %lu\n",
		   (unsigned long)p->pool_frames, (unsigned long)p->frames_owned,
		   (unsigned long)p->mem_cap_frames);
	return 0;
}
