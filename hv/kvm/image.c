/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/image.c: reading a guest image from the host's file system.
 *
 * Turns every way a path can fail to be a guest image into one line that
 * names the path; hv/core/elf.c judges the bytes. Used for the image named
 * on the command line and for posix-shim's own image alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm.h"

int kvm_image_read(const char *path, uint64_t cap_bytes, uint8_t **buf,
		   uint64_t *len, struct hv_image *img)
{
	struct stat st;
	const char *why;
	/* O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer
	 * before the regular-file check below can refuse it. O_NOCTTY: a
	 * terminal named as the image must not become exo's. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return kvm_fail(HV_STATUS_IMAGE, "%s: %s", path,
				errno == ENOENT ? "no such file" : strerror(errno));
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return kvm_fail(HV_STATUS_IMAGE, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return kvm_fail(HV_STATUS_IMAGE, "%s: %s", path,
				S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
	}
	/* Read what hv_elf_parse will look at and no more: the header first
	 * (a large file that is no image is refused at once), then the
	 * program headers, then the segments' bytes. */
	uint64_t size = (uint64_t)st.st_size, want = size < 4096 ? size : 4096, need, got = 0;
	*buf = NULL;
	for (;;) {
		uint8_t *more = realloc(*buf, want ? want : 1);
		if (!more) {
			close(fd);
			return kvm_fail(HV_STATUS_HOST, "%s: out of memory", path);
		}
		*buf = more;
		while (got < want) {
			ssize_t r = read(fd, *buf + got, want - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(fd);
				return kvm_fail(HV_STATUS_IMAGE, "%s: %s", path,
						r < 0 ? strerror(errno) : "file shrank while being read");
			}
			got += (uint64_t)r;
		}
		if (hv_elf_need(*buf, got, &need, &why) < 0) {
			close(fd);
			return kvm_fail(HV_STATUS_IMAGE, "%s: %s", path, why);
		}
		if (need <= got || got == size)
			break;
		want = need < size ? need : size;
		if (want > cap_bytes) { /* before reading it */
			close(fd);
			return kvm_fail(HV_STATUS_IMAGE, "%s: image of %llu KiB is larger than the "
					"memory cap (--mem %llu KiB)", path,
					(unsigned long long)want >> 10,
					(unsigned long long)cap_bytes >> 10);
		}
	}
	*len = got;
	close(fd);
	if (hv_elf_parse(*buf, *len, img, &why) < 0)
		return kvm_fail(HV_STATUS_IMAGE, "%s: %s", path, why);
	return 0;
}
