/* SPDX-License-Identifier: MIT */
/*
 * posix-shim/lib/call.h: the one `syscall` every libexo.a function makes.
 *
 * An exo call is a Linux-style system call with a number in exo's range
 * (include/exo/exocall.h); its result becomes the C library's convention,
 * -1 and errno.
 */
#ifndef EXO_LIB_CALL_H
#define EXO_LIB_CALL_H

#include <errno.h>

static inline long exocall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			 : "rcx", "r11", "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

#endif
