/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/posix.h: running a test program natively and under
 * `exo run`, and comparing what each observed.
 *
 * Every program in tests/posix/progs/ prints a transcript of what it saw.
 * compare() runs it twice, each time in a fresh scratch directory with
 * the same contents (a fixture may fill it): natively, confined to its
 * directory by chroot when the test runs as root (so a program that goes
 * wrong cannot touch anything else, and "/" means the same on both
 * sides; the program is started with fexecve, so its AT_EXECFN is
 * /dev/fd/N there), and as `build/exo run --root DIR PROGRAM ARGS` with DIR as the
 * cwd. Both get the environment exo documents as its default, stdin from
 * /dev/null, no descriptors but 0-2, umask 022, RLIMIT_NOFILE 256 (exo's
 * descriptor table) and an 8 MiB stack. Then stdout, the exit status and
 * every file left in the directories must be identical; stderr must be
 * empty natively, and under exo hold only what the caller expects.
 */
#ifndef TESTS_POSIX_H
#define TESTS_POSIX_H

#include "harness.h" /* first: it defines _GNU_SOURCE */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define PROGS "build/tests/posix/progs/"

/* The environment exo gives a program by default (README.md). */
static char *const default_env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LANG=C", NULL };

/* An absolute path for a file of the build (the runs change directory). */
static inline char *abs_path(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int n;
	char *p = buf[n++ % 4];
	cr_assert(realpath(rel, p), "%s: %s (run `make all` first)", rel, strerror(errno));
	return p;
}

static inline void scratch_dir(char dir[64])
{
	strcpy(dir, "/tmp/exo-posix-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static inline void remove_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct run_opts {
	const char *cwd;       /* run here (required) */
	int chroot_to_cwd;     /* and make it "/" (root only; else plain cwd) */
	int native_limits;     /* RLIMIT_NOFILE 256, RLIMIT_STACK 8 MiB */
	char *const *env;      /* NULL: default_env */
	const char *stdin_path; /* NULL: /dev/null */
};

/* Run argv (argv[0] an absolute path) as o says; fill r. A run that takes
 * over RUN_LIMIT_S is killed and fails the test. */
static inline void run_with(const struct run_opts *o, char *const argv[], struct exo_result *r)
{
	int out[2], err[2];
	memset(r, 0, sizeof *r);
	cr_assert(pipe(out) == 0 && pipe(err) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0); /* kill(0, sig) in the program hits it alone */
		int in = open(o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY);
		dup2(in, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		for (int fd = 3; fd < 4096; fd++)
			close(fd);
		umask(022);
		if (o->native_limits) {
			struct rlimit nofile = { 256, 256 }, stack = { 8u << 20, 8u << 20 };
			setrlimit(RLIMIT_NOFILE, &nofile);
			setrlimit(RLIMIT_STACK, &stack);
		}
		/* Opened before a chroot hides it; close-on-exec, so the
		 * program starts with 0-2 alone. */
		int exe = open(argv[0], O_RDONLY | O_CLOEXEC);
		if (chdir(o->cwd) < 0) {
			dprintf(2, "harness: chdir %s: %s\n", o->cwd, strerror(errno));
			_exit(255);
		}
		if (o->chroot_to_cwd && geteuid() == 0) {
			if (chroot(".") < 0 || chdir("/") < 0) {
				dprintf(2, "harness: chroot %s: %s\n", o->cwd, strerror(errno));
				_exit(255);
			}
			fexecve(exe, argv, o->env ? o->env : default_env);
		} else {
			execve(argv[0], argv, o->env ? o->env : default_env);
		}
		dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(255);
	}
	collect(pid, out, err, r, argv[0]);
}

/* build/exo run [OPTIONS...] --root DIR PROGRAM ARGS..., in DIR.
 * argv: NULL-terminated exo options, then "--", then program and args. */
static inline void exo_in(const char *dir, char *const *argv, struct exo_result *r)
{
	char *a[96] = { abs_path(EXO), "run" };
	int n = 2, i = 0;
	for (; argv[i] && strcmp(argv[i], "--"); i++)
		a[n++] = argv[i];
	a[n++] = "--root";
	a[n++] = (char *)dir;
	if (argv[i])
		i++;
	for (; argv[i] && n < 95; i++)
		a[n++] = argv[i];
	a[n] = NULL;
	struct run_opts o = { .cwd = dir };
	run_with(&o, a, r);
}

/* Every name under dir, one line each, sorted: type, mode, size, and the
 * bytes' CRC (files) or the target (symlinks). Times and inodes differ. */
static uint32_t crc_file(const char *path)
{
	uint32_t c = 0xffffffffu;
	uint8_t buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++) {
			c ^= buf[i];
			for (int k = 0; k < 8; k++)
				c = c >> 1 ^ (0xedb88320u & -(c & 1));
		}
	close(fd);
	return ~c;
}

static void list_into(const char *dir, const char *rel, char *out, size_t size)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s%s%s", dir, rel[0] ? "/" : "", rel);
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		if (strcmp(nm, ".") && strcmp(nm, "..")) {
			char r2[PATH_MAX], full[PATH_MAX + 256];
			struct stat st;
			snprintf(r2, sizeof r2, "%s%s%s", rel, rel[0] ? "/" : "", nm);
			snprintf(full, sizeof full, "%s/%s", dir, r2);
			size_t at = strlen(out);
			if (lstat(full, &st) == 0) {
				if (S_ISDIR(st.st_mode)) {
					snprintf(out + at, size - at, "d %04o %s/\n", st.st_mode & 07777, r2);
					list_into(dir, r2, out, size);
				} else if (S_ISLNK(st.st_mode)) {
					char t[PATH_MAX] = "";
					ssize_t k = readlink(full, t, sizeof t - 1);
					t[k > 0 ? k : 0] = 0;
					snprintf(out + at, size - at, "l %s -> %s\n", r2, t);
				} else {
					snprintf(out + at, size - at, "%c %04o %s %lld %08x\n",
						 S_ISREG(st.st_mode) ? 'f' : 'o', st.st_mode & 07777, r2,
						 (long long)st.st_size, crc_file(full));
				}
			}
		}
		free(names[i]);
	}
	free(names);
}

static inline char *tree(const char *dir)
{
	size_t size = 1 << 20;
	char *out = calloc(1, size);
	list_into(dir, "", out, size);
	return out;
}

/* The first line where a and b differ, for a failure message. */
static inline const char *first_difference(const char *a, const char *b, char *buf, size_t size)
{
	int line = 1;
	const char *la = a, *lb = b;
	while (*a && *a == *b) {
		if (*a == '\n') {
			line++;
			la = a + 1;
			lb = b + 1;
		}
		a++, b++;
	}
	const char *ea = strchr(la, '\n'), *eb = strchr(lb, '\n');
	snprintf(buf, size, "line %d:\n  native: %.*s\n  exo:    %.*s", line,
		 (int)(ea ? ea - la : (long)strlen(la)), la, (int)(eb ? eb - lb : (long)strlen(lb)), lb);
	return buf;
}

/* What compare() checks exo's stderr against: NULL for empty; else every
 * line must start "exo: " and contain one of the needles (a list ending
 * with NULL). */
static inline void assert_exo_stderr(const char *err, const char *const *needles, const char *what)
{
	if (!needles || !needles[0]) {
		cr_assert_str_empty(err, "%s: exo said: %s", what, err);
		return;
	}
	for (const char *l = err; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)n, l);
		int ok = !strncmp(line, "exo: ", 5);
		int found = 0;
		for (int i = 0; needles[i]; i++)
			found |= strstr(line, needles[i]) != NULL;
		cr_assert(ok && found, "%s: unexpected line on exo's stderr: %s", what, line);
		l += n + (e ? 1 : 0);
	}
}

struct compare_opts {
	void (*fixture)(const char *dir); /* fills a scratch dir, both sides */
	const char *const *exo_stderr;    /* needles, or NULL for none */
	const char *const *exo_options;   /* extra `exo run` options, or NULL */
	int expect_status;                /* -1: any, as long as both agree */
	struct exo_result *native, *exo;  /* out, if wanted (else freed) */
};

/* Run progs/NAME with args (NULL-terminated) natively and under exo; assert
 * they agree. Returns exo's stdout (static until the next call). */
static inline const char *compare_with(const struct compare_opts *co, const char *name, ...)
{
	char prog[PATH_MAX], rel[PATH_MAX], d1[64], d2[64];
	snprintf(rel, sizeof rel, PROGS "%s", name);
	snprintf(prog, sizeof prog, "%s", abs_path(rel));
	char *args[64];
	int n = 0;
	va_list ap;
	va_start(ap, name);
	while (n < 60 && (args[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	args[n] = NULL;

	scratch_dir(d1);
	scratch_dir(d2);
	if (co->fixture) {
		co->fixture(d1);
		co->fixture(d2);
	}
	struct exo_result *nr = co->native ? co->native : malloc(sizeof *nr);
	struct exo_result *er = co->exo ? co->exo : malloc(sizeof *er);

	char *nargv[64] = { prog };
	for (int i = 0; i < n; i++)
		nargv[i + 1] = args[i];
	nargv[n + 1] = NULL;
	struct run_opts no = { .cwd = d1, .chroot_to_cwd = 1, .native_limits = 1 };
	run_with(&no, nargv, nr);

	char *eargv[96];
	int k = 0;
	for (int i = 0; co->exo_options && co->exo_options[i]; i++)
		eargv[k++] = (char *)co->exo_options[i];
	eargv[k++] = "--";
	eargv[k++] = prog;
	for (int i = 0; i < n; i++)
		eargv[k++] = args[i];
	eargv[k] = NULL;
	exo_in(d2, eargv, er);

	char what[256];
	snprintf(what, sizeof what, "%s", name);
	for (int i = 0; i < n; i++) {
		strncat(what, " ", sizeof what - strlen(what) - 1);
		strncat(what, args[i], sizeof what - strlen(what) - 1);
	}
	char *t1 = tree(d1), *t2 = tree(d2);
	remove_tree(d1);
	remove_tree(d2);

	char diff[2048];
	cr_assert_str_empty(nr->err, "%s: the native run wrote to stderr: %s", what, nr->err);
	cr_assert(strcmp(nr->out, er->out) == 0, "%s: stdout differs at %s\n(exo stderr: %s)", what,
		  first_difference(nr->out, er->out, diff, sizeof diff), er->err);
	cr_assert_eq(nr->status, er->status, "%s: exit status %d natively, %d under exo; exo stderr: %s",
		     what, nr->status, er->status, er->err);
	if (co->expect_status >= 0)
		cr_assert_eq(nr->status, co->expect_status, "%s: exit status %d, expected %d", what,
			     nr->status, co->expect_status);
	assert_exo_stderr(er->err, co->exo_stderr, what);
	cr_assert(strcmp(t1, t2) == 0, "%s: the files left differ at %s", what,
		  first_difference(t1, t2, diff, sizeof diff));
	free(t1);
	free(t2);
	static char out[sizeof er->out];
	memcpy(out, er->out, sizeof out);
	if (!co->native)
		free(nr);
	if (!co->exo)
		free(er);
	return out;
}

/* The common case: no fixture, exit status 0, nothing on exo's stderr. */
#define COMPARE(...) compare_with(&(struct compare_opts){ .expect_status = 0 }, __VA_ARGS__, NULL)

/* A line that must be in a transcript (so a comparison also proves the
 * program got as far as it should). */
#define ASSERT_LINE(out, line) \
	cr_assert(strstr(out, line "\n") != NULL, "transcript lacks \"%s\":\n%s", line, out)

#endif
