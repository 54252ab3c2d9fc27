/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/owner: chown and its kin, whose answers under exo are
 * documented rather than Linux's (docs/posix-shim.md, "Not served"): the
 * owner a file already has is accepted, any other is EPERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void show(const char *what, int rc)
{
	printf("%s = %d%s%s\n", what, rc, rc ? " " : "", rc ? strerror(errno) : "");
}

int main(void)
{
	int fd = open("owned", O_CREAT | O_RDWR, 0644);
	show("fchown to its own owner", fchown(fd, getuid(), getgid()));
	show("fchown leaving both alone", fchown(fd, -1, -1));
	show("chown to its own owner", chown("owned", getuid(), -1));
	show("lchown leaving both alone", lchown("owned", -1, -1));
	show("fchownat to its own group", fchownat(AT_FDCWD, "owned", -1, getgid(), 0));
	show("fchown to another user", fchown(fd, getuid() + 4242, -1));
	show("chown of a missing file", chown("missing", -1, -1));
	close(fd);
	unlink("owned");
	return 0;
}
