/* SPDX-License-Identifier: MIT */
/*
 * tests/exocc/prog.h: what the exo-cc test programs (vmapi.c, gcapi.c)
 * share: their transcript lines ("what: value" or "what: -1 ERRNO") and
 * their mappings. Each program is one file; this header is its helpers.
 */
#ifndef TESTS_EXOCC_PROG_H
#define TESTS_EXOCC_PROG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096ul

static inline const char *err_name(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case ENOSYS: return "ENOSYS";
	case EEXIST: return "EEXIST";
	case ENOSPC: return "ENOSPC";
	default: return strerror(e);
	}
}

/* "what: value" or "what: -1 ERRNO". */
static inline void show(const char *what, long rc)
{
	if (rc < 0)
		printf("%s: -1 %s\n", what, err_name(errno));
	else
		printf("%s: %ld\n", what, rc);
	errno = 0;
}

/* npages of private anonymous memory, or the program ends. */
static inline char *map(unsigned long npages, int prot)
{
	char *p = mmap(NULL, npages * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

#endif
