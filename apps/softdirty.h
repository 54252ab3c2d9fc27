/* SPDX-License-Identifier: MIT */
/*
 * apps/softdirty.h: does the running Linux kernel keep soft-dirty bits?
 * The probe apps/vmbench (to pick Linux's best dirty tracking) and
 * tests/posix/test_gc (to know which mode bdwgc must choose natively)
 * share: write "4" to /proc/self/clear_refs, write a page, and read bit
 * 55 of its /proc/self/pagemap entry. Header-only, for host programs.
 */
#ifndef APPS_SOFTDIRTY_H
#define APPS_SOFTDIRTY_H

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

static inline int host_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	if (fd < 0)
		return 0;
	int ok = write(fd, "4", 1) == 1;
	close(fd);
	if (!ok)
		return 0;
	static volatile uint64_t probe[512];
	probe[0] = 1;
	uint64_t entry = 0;
	fd = open("/proc/self/pagemap", O_RDONLY);
	ok = fd >= 0 && pread(fd, &entry, 8, (off_t)((uintptr_t)probe / 4096 * 8)) == 8;
	if (fd >= 0)
		close(fd);
	return ok && (entry >> 55 & 1);
}

#endif
