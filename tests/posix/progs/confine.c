/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/confine.c: tries what it is told, one operation per
 * argument, and prints what happened; the confinement tests tell it to
 * try to leave --root.
 *
 *   r:P  read P              w:P  create/truncate P and write to it
 *   a:P  append to P         m:P  mkdir P        u:P  unlink P
 *   d:P  rmdir P             n:P:Q  rename P to Q
 *   c:P  chdir P, print cwd  l:P  readlink P     s:P  stat P
 *   x:P  chmod P 0777        e:P  set P's times to 0
 *   k:P  access P            L:P  list directory P (sorted)
 *   o:P:Q  read Q relative to directory P (openat)
 *   O:P:Q  chdir to P, then read Q
 *   P:P  open P O_PATH, fstat it
 */
#include "prog.h"
#include <dirent.h>
#include <sys/stat.h>

static void result(const char *op, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", op, errname(errno));
	else
		printf("%s: ok\n", op);
}

static void read_fd(const char *op, int fd)
{
	char buf[256];
	if (fd < 0) {
		printf("%s: -1 %s\n", op, errname(errno));
		return;
	}
	long n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		printf("%s: read -1 %s\n", op, errname(errno));
		return;
	}
	buf[n] = 0;
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = '|';
	printf("%s: \"%s\"\n", op, buf);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *op, const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("%s: -1 %s\n", op, errname(errno));
		return;
	}
	char *names[512];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 512)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmp);
	printf("%s:", op);
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	umask(022);
	for (int i = 1; i < argc; i++) {
		char *op = argv[i], spec[4096];
		snprintf(spec, sizeof spec, "%s", op);
		if (strlen(spec) < 2 || spec[1] != ':') {
			printf("%s: bad operation\n", op);
			continue;
		}
		char *p = spec + 2, *q = strchr(p, ':');
		if (q && strchr("noO", spec[0]))
			*q++ = 0;
		struct stat st;
		char buf[4096];
		int fd;
		switch (spec[0]) {
		case 'r':
			read_fd(op, open(p, O_RDONLY));
			break;
		case 'w':
		case 'a':
			fd = open(p, O_WRONLY | O_CREAT | (spec[0] == 'a' ? O_APPEND : O_TRUNC), 0644);
			if (fd >= 0) {
				write(fd, "written by the guest\n", 21);
				close(fd);
			}
			result(op, fd);
			break;
		case 'm':
			result(op, mkdir(p, 0755));
			break;
		case 'u':
			result(op, unlink(p));
			break;
		case 'd':
			result(op, rmdir(p));
			break;
		case 'n':
			result(op, q ? rename(p, q) : -1);
			break;
		case 'c':
			if (chdir(p) < 0)
				printf("%s: -1 %s\n", op, errname(errno));
			else
				printf("%s: cwd %s\n", op, getcwd(buf, sizeof buf) ? buf : errname(errno));
			break;
		case 'l': {
			long n = readlink(p, buf, sizeof buf - 1);
			if (n < 0)
				printf("%s: -1 %s\n", op, errname(errno));
			else
				printf("%s: -> %.*s\n", op, (int)n, buf);
			break;
		}
		case 's':
			if (stat(p, &st) < 0)
				printf("%s: -1 %s\n", op, errname(errno));
			else
				printf("%s: %s size %lld\n", op, S_ISDIR(st.st_mode) ? "dir" :
				       S_ISREG(st.st_mode) ? "reg" : "other",
				       S_ISDIR(st.st_mode) ? 0ll : (long long)st.st_size);
			break;
		case 'x':
			result(op, chmod(p, 0777));
			break;
		case 'e':
			result(op, utimensat(AT_FDCWD, p, (struct timespec[2]){ { 0, 0 }, { 0, 0 } }, 0));
			break;
		case 'k':
			result(op, access(p, F_OK));
			break;
		case 'L':
			list(op, p);
			break;
		case 'o':
			fd = open(p, O_RDONLY | O_DIRECTORY);
			if (fd < 0) {
				printf("%s: -1 %s\n", op, errname(errno));
				break;
			}
			read_fd(op, openat(fd, q ? q : "", O_RDONLY));
			close(fd);
			break;
		case 'O':
			if (chdir(p) < 0) {
				printf("%s: chdir -1 %s\n", op, errname(errno));
				break;
			}
			read_fd(op, open(q ? q : "", O_RDONLY));
			break;
		case 'P':
			fd = open(p, O_PATH);
			if (fd < 0 || fstat(fd, &st) < 0)
				printf("%s: -1 %s\n", op, errname(errno));
			else
				printf("%s: %s\n", op, S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "reg" :
				       S_ISLNK(st.st_mode) ? "lnk" : "other");
			if (fd >= 0)
				close(fd);
			break;
		default:
			printf("%s: bad operation\n", op);
		}
	}
	return 0;
}
