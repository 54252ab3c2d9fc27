/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/progs/dirs.c: the calls on names and directories. Run in a
 * directory the harness prepared (symlink is not a call exo serves):
 *
 *   seed.txt "seed\n" 0644, d0/ 0755, d0/inner.txt "inner\n",
 *   lnk -> seed.txt, dlnk -> d0, dangling -> nowhere
 *
 * Paths are printed relative to the directory it started in, which is
 * "/" under exo. Sections (in this order, each relying on the ones
 * before): cwd mkdir links remove rename perms dirents; and umask.
 */
#include "prog.h"
#include <dirent.h>
#include <sys/stat.h>


static char start[4096];

/* A cwd as a path from the starting directory ("/" for itself). */
static const char *rel(const char *p)
{
	size_t n = strlen(start);
	if (!strcmp(start, "/"))
		return p;
	if (!strncmp(p, start, n) && (p[n] == '/' || !p[n]))
		return p[n] ? p + n : "/";
	return "(outside the start directory)";
}

static void show_cwd(const char *label)
{
	char buf[4096];
	if (getcwd(buf, sizeof buf))
		printf("%s: %s\n", label, rel(buf));
	else
		printf("%s: -1 %s\n", label, errname(errno));
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry of the open directory fd, sorted, through getdents64. */
static void list_fd(const char *label, int fd, size_t bufsize)
{
	static char buf[65536];
	char *names[256];
	int n = 0;
	long got;
	while ((got = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
		for (long off = 0; off < got;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);
			char *s = malloc(300);
			snprintf(s, 300, "%s%s", d->name,
				 d->type == DT_DIR ? "/" : d->type == DT_LNK ? "@" :
				 d->type == DT_REG ? "" : d->type == DT_UNKNOWN ? "?" : "*");
			if (n < 256)
				names[n++] = s;
			off += d->reclen;
		}
	}
	if (got < 0) {
		printf("%s: getdents64 -1 %s\n", label, errname(errno));
		return;
	}
	qsort(names, (size_t)n, sizeof names[0], cmp);
	printf("%s:", label);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void list(const char *label, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		printf("%s: open -1 %s\n", label, errname(errno));
		return;
	}
	list_fd(label, fd, 65536);
	close(fd);
}

static void show_mode(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		printf("mode %s: -1 %s\n", path, errname(errno));
	else
		printf("mode %s: %s %04o\n", path, S_ISDIR(st.st_mode) ? "dir" :
		       S_ISLNK(st.st_mode) ? "lnk" : S_ISREG(st.st_mode) ? "reg" : "other",
		       st.st_mode & 07777);
}

static void show_file(const char *path)
{
	char buf[128] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("content %s: -1 %s\n", path, errname(errno));
		return;
	}
	long n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = '|';
	printf("content %s: \"%s\"\n", path, buf);
}

static void touch(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0) {
		printf("touch %s: -1 %s\n", path, errname(errno));
		return;
	}
	write(fd, data, strlen(data));
	close(fd);
}

static void mkdirs(void)
{
	SHOW("mkdir a 0755", mkdir("a", 0755));
	SHOW("mkdir a again", mkdir("a", 0755));
	SHOW("mkdir x/y (no x)", mkdir("x/y", 0755));
	SHOW("mkdir seed.txt/y", mkdir("seed.txt/y", 0755));
	SHOW("mkdir b/ (trailing slash)", mkdir("b/", 0700));
	SHOW("mkdir .", mkdir(".", 0755));
	SHOW("mkdir \"\"", mkdir("", 0755));
	SHOW("mkdir dangling (symlink)", mkdir("dangling", 0755));
	int d = SHOW("open a O_DIRECTORY", open("a", O_RDONLY | O_DIRECTORY));
	SHOW("mkdirat a/sub 0750", mkdirat(d, "sub", 0750));
	SHOW("mkdirat bad dirfd", mkdirat(77, "sub", 0750));
	SHOW("mkdirat file dirfd", mkdirat(0, "sub", 0750));
	touch("a/sub/file", "in a/sub\n");
	show_mode("a");
	show_mode("b");
	show_mode("a/sub");
	close(d);
}

static void removes(void)
{
	SHOW("rmdir a (not empty)", rmdir("a"));
	SHOW("rmdir seed.txt", rmdir("seed.txt"));
	SHOW("rmdir missing", rmdir("missing"));
	SHOW("rmdir .", rmdir("."));
	SHOW("rmdir ..", rmdir(".."));
	SHOW("rmdir dlnk (symlink to dir)", rmdir("dlnk"));
	SHOW("mkdir gone", mkdir("gone", 0755));
	SHOW("rmdir gone/", rmdir("gone/"));
	SHOW("unlink a (dir)", unlink("a"));
	SHOW("unlink missing", unlink("missing"));
	SHOW("unlink seed.txt/", unlink("seed.txt/"));
	touch("tmp1", "x");
	SHOW("unlink tmp1", unlink("tmp1"));
	SHOW("unlink tmp1 again", unlink("tmp1"));
	touch("a/tmp2", "x");
	int d = open("a", O_RDONLY | O_DIRECTORY);
	SHOW("unlinkat a/tmp2", unlinkat(d, "tmp2", 0));
	SHOW("unlinkat bad flag", unlinkat(d, "sub", 0x1));
	SHOW("unlinkat sub without AT_REMOVEDIR", unlinkat(d, "sub", 0));
	SHOW("unlinkat sub AT_REMOVEDIR (not empty)", unlinkat(d, "sub", AT_REMOVEDIR));
	SHOW("unlinkat sub/file", unlinkat(d, "sub/file", 0));
	SHOW("unlinkat sub AT_REMOVEDIR", unlinkat(d, "sub", AT_REMOVEDIR));
	close(d);
	SHOW("unlink dangling (the link itself)", unlink("dangling"));
	show_mode("dangling");
}

static void renames(void)
{
	touch("r1", "one\n");
	touch("r2", "two\n");
	SHOW("rename r1 r3", rename("r1", "r3"));
	show_file("r3");
	SHOW("rename r3 over r2", rename("r3", "r2"));
	show_file("r2");
	show_mode("r3");
	SHOW("rename missing", rename("missing", "r9"));
	SHOW("rename a into a/x", rename("a", "a/x"));
	SHOW("mkdir c", mkdir("c", 0755));
	touch("c/f", "c\n");
	SHOW("rename a over c (not empty)", rename("a", "c"));
	SHOW("rename r2 over a (dir)", rename("r2", "a"));
	SHOW("rename a over r2 (file)", rename("a", "r2"));
	SHOW("rename b over a (empty dirs)", rename("b", "a"));
	show_mode("b");
	int d = open("c", O_RDONLY | O_DIRECTORY);
	SHOW("renameat c/f -> r4", renameat(d, "f", AT_FDCWD, "r4"));
	show_file("r4");
	SHOW("renameat2 NOREPLACE r4 -> r2", syscall(SYS_renameat2, AT_FDCWD, "r4", AT_FDCWD, "r2", 1));
	SHOW("renameat2 NOREPLACE r4 -> c/g", syscall(SYS_renameat2, AT_FDCWD, "r4", d, "g", 1));
	SHOW("renameat2 EXCHANGE c/g <-> r2", syscall(SYS_renameat2, d, "g", AT_FDCWD, "r2", 2));
	show_file("r2");
	show_file("c/g");
	SHOW("renameat2 bad flags", syscall(SYS_renameat2, d, "g", AT_FDCWD, "r2", 3));
	SHOW("rename lnk lnk2 (the link itself)", rename("lnk", "lnk2"));
	show_mode("lnk2");
	show_file("lnk2");
	SHOW("rename lnk2 lnk", rename("lnk2", "lnk"));
	SHOW("rename r2 r2 (same)", rename("r2", "r2"));
	SHOW("rename r2 r5/ (slash, not dir)", rename("r2", "r5/"));
	SHOW("rename . x", rename(".", "x"));
	close(d);
}

static void links(void)
{
	char buf[64];
	struct stat st;
	long n;
	memset(buf, 0, sizeof buf);
	n = SHOW("readlink lnk", readlink("lnk", buf, sizeof buf));
	printf("target: %.*s\n", (int)(n > 0 ? n : 0), buf);
	memset(buf, 0, sizeof buf);
	n = SHOW("readlink lnk into 4 bytes", readlink("lnk", buf, 4));
	printf("target: %.*s\n", (int)(n > 0 ? n : 0), buf);
	SHOW("readlink seed.txt (not a link)", readlink("seed.txt", buf, sizeof buf));
	SHOW("readlink missing", readlink("missing", buf, sizeof buf));
	SHOW("readlink size 0", syscall(SYS_readlink, "lnk", buf, 0));
	int d = open(".", O_RDONLY | O_DIRECTORY);
	memset(buf, 0, sizeof buf);
	n = SHOW("readlinkat dlnk", readlinkat(d, "dlnk", buf, sizeof buf));
	printf("target: %.*s\n", (int)(n > 0 ? n : 0), buf);
	SHOW("readlinkat dir fd \"\"", readlinkat(d, "", buf, sizeof buf));
	close(d);
	SHOW("lstat lnk", lstat("lnk", &st));
	printf("lnk: is-link %d size %lld\n", S_ISLNK(st.st_mode), (long long)st.st_size);
	SHOW("stat lnk", stat("lnk", &st));
	printf("lnk followed: is-reg %d size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
	SHOW("stat dangling", stat("dangling", &st));
	SHOW("lstat dlnk/", lstat("dlnk/", &st));
	printf("dlnk/: is-dir %d\n", S_ISDIR(st.st_mode));
	show_file("dlnk/inner.txt");
	SHOW("open lnk O_NOFOLLOW", open("lnk", O_RDONLY | O_NOFOLLOW));
}

static void dirents(void)
{
	list(".", ".");
	list("d0", "d0");
	list("dlnk", "dlnk");
	list("a", "a");
	SHOW("open seed.txt O_DIRECTORY", open("seed.txt", O_RDONLY | O_DIRECTORY));
	int d = open("d0", O_RDONLY | O_DIRECTORY);
	/* A buffer too small for one entry. */
	char small[8];
	SHOW("getdents64 8-byte buffer", syscall(SYS_getdents64, d, small, sizeof small));
	SHOW("getdents64 on a file", syscall(SYS_getdents64, 0, small, sizeof small));
	SHOW("getdents64 bad fd", syscall(SYS_getdents64, 99, small, sizeof small));
	/* Small buffers: the listing comes in many calls. */
	lseek(d, 0, SEEK_SET);
	list_fd("d0 in 40-byte reads", d, 40);
	close(d);
	DIR *dir = opendir(".");
	int n = 0;
	while (readdir(dir))
		n++;
	closedir(dir);
	printf("readdir . entries: %d\n", n);
}

static void cwds(void)
{
	show_cwd("getcwd at start");
	SHOW("chdir d0", chdir("d0"));
	show_cwd("getcwd");
	show_file("inner.txt");
	SHOW("chdir ..", chdir(".."));
	show_cwd("getcwd");
	SHOW("chdir dlnk", chdir("dlnk"));
	show_cwd("getcwd (through dlnk)");
	SHOW("chdir ../a/", chdir("../a/"));
	show_cwd("getcwd");
	int top = open("..", O_RDONLY | O_DIRECTORY);
	SHOW("chdir missing", chdir("missing"));
	SHOW("chdir ../seed.txt", chdir("../seed.txt"));
	SHOW("chdir \"\"", chdir(""));
	SHOW("fchdir top", fchdir(top));
	show_cwd("getcwd");
	SHOW("fchdir on a file", fchdir(0));
	SHOW("fchdir bad fd", fchdir(99));
	char buf[4];
	SHOW("getcwd 1-byte buffer", syscall(SYS_getcwd, buf, 1));
	close(top);
	/* A relative name resolves against the cwd, for every call. */
	SHOW("chdir d0", chdir("d0"));
	struct stat st;
	SHOW("stat inner.txt from d0", stat("inner.txt", &st));
	SHOW("access ../seed.txt", access("../seed.txt", R_OK));
	SHOW("chdir ..", chdir(".."));
}

static void perms(void)
{
	SHOW("access seed.txt F_OK", access("seed.txt", F_OK));
	SHOW("access seed.txt R_OK|W_OK", access("seed.txt", R_OK | W_OK));
	SHOW("access seed.txt X_OK (0644)", access("seed.txt", X_OK));
	SHOW("access d0 X_OK", access("d0", X_OK));
	SHOW("access missing", access("missing", F_OK));
	SHOW("access bad mode", access("seed.txt", 0x40));
	SHOW("access dangling", access("dangling", F_OK));
	SHOW("faccessat AT_EACCESS", faccessat(AT_FDCWD, "seed.txt", R_OK, AT_EACCESS));
	SHOW("faccessat2 dangling NOFOLLOW", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK,
						     AT_SYMLINK_NOFOLLOW));
	SHOW("faccessat2 bad flags", syscall(SYS_faccessat2, AT_FDCWD, "seed.txt", F_OK, 0x1));
	SHOW("chmod seed.txt 0600", chmod("seed.txt", 0600));
	show_mode("seed.txt");
	SHOW("chmod lnk 0640 (follows)", chmod("lnk", 0640));
	show_mode("seed.txt");
	show_mode("lnk");
	SHOW("chmod missing", chmod("missing", 0600));
	SHOW("chmod seed.txt 04755", chmod("seed.txt", 04755));
	show_mode("seed.txt");
	SHOW("access seed.txt X_OK (now 4755)", access("seed.txt", X_OK));
	int fd = open("seed.txt", O_RDONLY);
	SHOW("fchmod 0644", fchmod(fd, 0644));
	show_mode("seed.txt");
	SHOW("fchmod bad fd", fchmod(99, 0644));
	SHOW("fchmodat d0 0711", fchmodat(AT_FDCWD, "d0", 0711, 0));
	show_mode("d0");
	SHOW("fchmodat d0 0755", fchmodat(AT_FDCWD, "d0", 0755, 0));

	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1500000000, 987654321 } };
	struct stat st;
	SHOW("utimensat seed.txt", utimensat(AT_FDCWD, "seed.txt", ts, 0));
	stat("seed.txt", &st);
	printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec,
	       st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	struct timespec omit[2] = { { 42, UTIME_OMIT }, { 1600000000, 5 } };
	SHOW("utimensat atime UTIME_OMIT", utimensat(AT_FDCWD, "seed.txt", omit, 0));
	stat("seed.txt", &st);
	printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec,
	       st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	struct timespec lt[2] = { { 1100000000, 0 }, { 1200000000, 0 } };
	SHOW("utimensat lnk NOFOLLOW", utimensat(AT_FDCWD, "lnk", lt, AT_SYMLINK_NOFOLLOW));
	lstat("lnk", &st);
	printf("lnk mtime %lld\n", (long long)st.st_mtim.tv_sec);
	stat("lnk", &st);
	printf("seed.txt mtime still %lld\n", (long long)st.st_mtim.tv_sec);
	struct timespec ft[2] = { { 1300000000, 1 }, { 1300000000, 2 } };
	SHOW("futimens", futimens(fd, ft));
	fstat(fd, &st);
	printf("mtime %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	SHOW("utimensat bad nsec", utimensat(AT_FDCWD, "seed.txt",
					      (struct timespec[2]){ { 0, 2000000000 }, { 0, 0 } }, 0));
	SHOW("utimensat bad flags", utimensat(AT_FDCWD, "seed.txt", ts, 0x1));
	SHOW("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0));
	close(fd);
}

/* The mode a file is created with is masked by the umask. */
static void umask_section(void)
{
	SHOW("umask 027", umask(027));
	touch("masked", "m\n");
	show_mode("masked");
	SHOW("mkdir masked.d 0777", mkdir("masked.d", 0777));
	show_mode("masked.d");
	SHOW("umask 0", umask(0));
	int fd = open("unmasked", O_CREAT | O_WRONLY, 0666);
	close(fd);
	show_mode("unmasked");
	SHOW("umask 022 (old)", umask(022));
	fd = open("explicit", O_CREAT | O_WRONLY, 0666);
	close(fd);
	show_mode("explicit");
}

/* Run where the harness prepared, or not at all: natively nothing keeps
 * this program inside its directory. */
__attribute__((constructor)) static void at_start(void)
{
	struct stat st;
	umask(022);
	getcwd(start, sizeof start);
	if (lstat("seed.txt", &st) < 0 || lstat("dangling", &st) < 0 || !S_ISLNK(st.st_mode)) {
		printf("not in the prepared directory: refusing to run\n");
		exit(2);
	}
}

SECTIONS({ "cwd", cwds }, { "mkdir", mkdirs }, { "links", links }, { "remove", removes },
	 { "rename", renames }, { "perms", perms }, { "dirents", dirents }, { "umask", umask_section })
