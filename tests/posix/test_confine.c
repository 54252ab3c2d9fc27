/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/test_confine.c: a program under `exo run --root DIR` cannot
 * leave DIR: not by "..", not by absolute paths, not through symlinks
 * (absolute or relative, to files or directories), not through /proc.
 * Each attempt fails or lands inside DIR; a secret beside DIR is never
 * changed or removed (nor read: its text never shows), and nothing is
 * created outside DIR.
 *
 * The layout, in a fresh /tmp/exo-confine-XXXXXX (TOP):
 *
 *   TOP/secret.txt                 "SECRET\n", mode 0600
 *   TOP/root/                      the --root
 *   TOP/root/inside.txt            "inside\n"
 *   TOP/root/sub/deeper/
 *   TOP/root/TOP/secret.txt        "decoy\n": where TOP's absolute path
 *                                  leads inside the root
 *   TOP/root/abs -> TOP/secret.txt        (absolute, to the secret)
 *   TOP/root/rel -> ../secret.txt         (relative, out of the root)
 *   TOP/root/sub/up -> ../../secret.txt
 *   TOP/root/sub/updir -> ../../..        (a directory, out)
 *   TOP/root/rootlink -> /
 *   TOP/root/etclink -> /etc
 *   TOP/root/procroot -> /proc/self/root
 *   TOP/root/loop -> loop
 */
#include "posix.h"

static char top[64], root[PATH_MAX];

static void mk(const char *rel, const char *data, mode_t mode)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", top, rel);
	if (!data) {
		cr_assert(mkdir(p, mode) == 0, "mkdir %s: %s", p, strerror(errno));
		return;
	}
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, mode);
	cr_assert(fd >= 0, "%s: %s", p, strerror(errno));
	cr_assert(write(fd, data, strlen(data)) == (ssize_t)strlen(data));
	close(fd);
	chmod(p, mode);
}

static void ln(const char *target, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", top, rel);
	cr_assert(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
}

static struct stat secret_before;
static char *outside_before;

/* TOP's listing without what is under the root. */
static char *outside(void)
{
	char *all = tree(top), *out = calloc(1, strlen(all) + 1), *w = out;
	for (char *l = all; *l;) {
		char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l + 1) : strlen(l);
		/* "d MODE NAME/", "f MODE NAME SIZE CRC", "l NAME -> TARGET" */
		const char *name = strchr(l, ' ') + 1;
		if (l[0] != 'l')
			name = strchr(name, ' ') + 1;
		if (strncmp(name, "root/", 5) || name[5] == '\n') {
			memcpy(w, l, n);
			w += n;
		}
		l += n;
	}
	free(all);
	return out;
}

static void setup(void)
{
	strcpy(top, "/tmp/exo-confine-XXXXXX");
	cr_assert(mkdtemp(top));
	chmod(top, 0755);
	snprintf(root, sizeof root, "%s/root", top);
	char secret[PATH_MAX], inner_top[PATH_MAX];
	snprintf(secret, sizeof secret, "%s/secret.txt", top);
	mk("secret.txt", "SECRET\n", 0600);
	mk("root", NULL, 0755);
	mk("root/inside.txt", "inside\n", 0644);
	mk("root/sub", NULL, 0755);
	mk("root/sub/deeper", NULL, 0755);
	/* TOP's own path, recreated under the root: root/tmp/exo-confine-X */
	snprintf(inner_top, sizeof inner_top, "root%s", top);
	mk("root/tmp", NULL, 0755);
	mk(inner_top, NULL, 0755);
	strncat(inner_top, "/secret.txt", sizeof inner_top - strlen(inner_top) - 1);
	mk(inner_top, "decoy\n", 0644);
	ln(secret, "root/abs");
	ln("../secret.txt", "root/rel");
	ln("../../secret.txt", "root/sub/up");
	ln("../../..", "root/sub/updir");
	ln("/", "root/rootlink");
	ln("/etc", "root/etclink");
	ln("/proc/self/root", "root/procroot");
	ln("loop", "root/loop");
	cr_assert(stat(secret, &secret_before) == 0);
	outside_before = outside();
}

/* The secret is untouched and nothing new is outside the root. */
static void assert_outside_untouched(void)
{
	char secret[PATH_MAX], buf[64] = "";
	struct stat st;
	snprintf(secret, sizeof secret, "%s/secret.txt", top);
	cr_assert(stat(secret, &st) == 0, "the secret is gone");
	int fd = open(secret, O_RDONLY);
	cr_assert(read(fd, buf, sizeof buf - 1) == 7 && !strcmp(buf, "SECRET\n"), "the secret changed: %s", buf);
	close(fd);
	cr_assert(st.st_mode == secret_before.st_mode, "the secret's mode changed: %o", st.st_mode);
	cr_assert(st.st_mtim.tv_sec == secret_before.st_mtim.tv_sec &&
		  st.st_mtim.tv_nsec == secret_before.st_mtim.tv_nsec, "the secret's mtime changed");
	char *now = outside();
	cr_assert_str_eq(now, outside_before, "something changed outside the root");
	free(now);
}

static void teardown(void)
{
	remove_tree(top);
	free(outside_before);
}

TestSuite(confine, .init = setup, .fini = teardown);

/* Run confine with ops (NULL-terminated) under exo; its stdout. */
static const char *confine(const char *const *exo_opts, ...)
{
	static struct exo_result r;
	char *argv[128];
	int n = 0;
	for (int i = 0; exo_opts && exo_opts[i]; i++)
		argv[n++] = (char *)exo_opts[i];
	argv[n++] = "--";
	argv[n++] = abs_path(PROGS "confine");
	va_list ap;
	va_start(ap, exo_opts);
	while (n < 127 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	exo_in(root, argv, &r);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_assert_str_empty(r.err, "exo said: %s", r.err);
	cr_assert(!strstr(r.out, "SECRET"), "the secret was read:\n%s", r.out);
	return r.out;
}

/* "op: result" must be a line of out. */
static void expect(const char *out, const char *op, const char *result)
{
	char line[PATH_MAX + 128];
	snprintf(line, sizeof line, "%s: %s\n", op, result);
	cr_assert(strstr(out, line), "expected \"%s: %s\" in:\n%s", op, result, out);
}

Test(confine, dotdot_stays_at_the_root)
{
	const char *out = confine(NULL, "c:.", "r:../secret.txt", "r:../../../../../secret.txt",
				  "r:sub/../../secret.txt", "r:sub/deeper/../../../secret.txt",
				  "k:../secret.txt", "s:..", "L:..", "L:/..", "c:..", "c:/../../..",
				  "c:sub/deeper", "r:../../../secret.txt", "c:/", NULL);
	expect(out, "c:.", "cwd /");
	expect(out, "r:../secret.txt", "-1 ENOENT");
	expect(out, "r:../../../../../secret.txt", "-1 ENOENT");
	expect(out, "r:sub/../../secret.txt", "-1 ENOENT");
	expect(out, "r:sub/deeper/../../../secret.txt", "-1 ENOENT");
	expect(out, "k:../secret.txt", "-1 ENOENT");
	expect(out, "s:..", "dir size 0");
	expect(out, "L:..", "abs etclink inside.txt loop procroot rel rootlink sub tmp");
	expect(out, "L:/..", "abs etclink inside.txt loop procroot rel rootlink sub tmp");
	expect(out, "c:..", "cwd /");
	expect(out, "c:/../../..", "cwd /");
	expect(out, "c:sub/deeper", "cwd /sub/deeper");
	expect(out, "r:../../../secret.txt", "-1 ENOENT");
	assert_outside_untouched();
}

Test(confine, absolute_paths_resolve_inside_the_root)
{
	char host_secret[PATH_MAX + 4], host_top[PATH_MAX + 4];
	snprintf(host_secret, sizeof host_secret, "r:%s/secret.txt", top);
	snprintf(host_top, sizeof host_top, "L:%s", top);
	const char *out = confine(NULL, "r:/etc/passwd", "r:/etc/shadow", "s:/etc", "L:/", "r:/inside.txt",
				  host_secret, host_top, "s:/tmp", "P:/proc/self/root", "r:/proc/self/fd/0",
				  "r:/dev/null", NULL);
	expect(out, "r:/etc/passwd", "-1 ENOENT");
	expect(out, "r:/etc/shadow", "-1 ENOENT");
	expect(out, "s:/etc", "-1 ENOENT");
	expect(out, "L:/", "abs etclink inside.txt loop procroot rel rootlink sub tmp");
	expect(out, "r:/inside.txt", "\"inside|\"");
	expect(out, host_secret, "\"decoy|\""); /* the root's own copy */
	expect(out, host_top, "secret.txt");
	expect(out, "s:/tmp", "dir size 0");
	expect(out, "P:/proc/self/root", "-1 ENOENT");
	expect(out, "r:/proc/self/fd/0", "-1 ENOENT");
	expect(out, "r:/dev/null", "-1 ENOENT");
	assert_outside_untouched();
}

Test(confine, symlinks_out_resolve_inside_the_root)
{
	const char *out = confine(NULL, "r:abs", "r:rel", "r:sub/up", "r:sub/updir/secret.txt",
				  "L:sub/updir", "L:rootlink", "L:etclink", "r:etclink/passwd",
				  "r:procroot/etc/passwd", "r:loop", "l:abs", "s:rel", "k:sub/up",
				  "o:sub:up", "o:sub:updir/secret.txt", "c:sub/updir", "c:rootlink",
				  "c:etclink", NULL);
	expect(out, "r:abs", "\"decoy|\"");
	expect(out, "r:rel", "-1 ENOENT");
	expect(out, "r:sub/up", "-1 ENOENT");
	expect(out, "r:sub/updir/secret.txt", "-1 ENOENT");
	expect(out, "L:sub/updir", "abs etclink inside.txt loop procroot rel rootlink sub tmp");
	expect(out, "L:rootlink", "abs etclink inside.txt loop procroot rel rootlink sub tmp");
	expect(out, "L:etclink", "-1 ENOENT");
	expect(out, "r:etclink/passwd", "-1 ENOENT");
	expect(out, "r:procroot/etc/passwd", "-1 ENOENT");
	expect(out, "r:loop", "-1 ELOOP");
	char target[PATH_MAX + 8];
	snprintf(target, sizeof target, "-> %s/secret.txt", top);
	expect(out, "l:abs", target); /* a link's text is just text */
	expect(out, "s:rel", "-1 ENOENT");
	expect(out, "k:sub/up", "-1 ENOENT");
	expect(out, "o:sub:up", "-1 ENOENT");
	expect(out, "o:sub:updir/secret.txt", "-1 ENOENT");
	expect(out, "c:sub/updir", "cwd /");
	expect(out, "c:rootlink", "cwd /");
	expect(out, "c:etclink", "-1 ENOENT");
	assert_outside_untouched();
}

/* Everything that changes names or files, aimed outside: it happens
 * inside the root, or not at all. */
Test(confine, writes_aimed_outside_land_inside)
{
	const char *out = confine(NULL, "w:../escape.txt", "a:../../secret.txt", "m:../escdir",
				  "m:/../escdir2", "n:inside.txt:../moved.txt", "w:rel", "r:/secret.txt",
				  "u:../secret.txt", "w:sub/up", "u:sub/up", "x:abs", "e:abs", "w:abs",
				  "u:abs", "x:rel", "e:sub/up", "d:..", "d:/", "u:/", "n:/:x", "n:sub:../../sub2",
				  "m:sub/updir/escdir3", "w:sub/updir/escape2.txt", NULL);
	expect(out, "w:../escape.txt", "ok");
	expect(out, "a:../../secret.txt", "ok");
	expect(out, "m:../escdir", "ok");
	expect(out, "m:/../escdir2", "ok");
	expect(out, "n:inside.txt:../moved.txt", "ok");
	expect(out, "w:rel", "ok"); /* creates the root's own secret.txt */
	expect(out, "r:/secret.txt", "\"written by the guest|\"");
	expect(out, "u:../secret.txt", "ok");
	expect(out, "u:sub/up", "ok"); /* the link itself */
	expect(out, "x:abs", "ok");    /* the decoy */
	expect(out, "u:abs", "ok");
	expect(out, "x:rel", "ok"); /* the root's secret.txt, made again by w:sub/up */
	expect(out, "e:sub/up", "-1 ENOENT");
	expect(out, "d:..", "-1 ENOTEMPTY");
	expect(out, "d:/", "-1 EBUSY");
	expect(out, "u:/", "-1 EISDIR");
	expect(out, "n:/:x", "-1 EBUSY");
	expect(out, "n:sub:../../sub2", "ok");
	expect(out, "m:sub/updir/escdir3", "-1 ENOENT"); /* sub is sub2 now */
	assert_outside_untouched();
	/* And it all happened inside. */
	char *in = tree(root);
	static const char *const want[] = { "escape.txt", "escdir/", "escdir2/", "moved.txt", "sub2/",
					    "secret.txt" };
	for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
		char needle[64];
		snprintf(needle, sizeof needle, " %s", want[i]);
		cr_assert(strstr(in, needle), "%s missing inside the root:\n%s", want[i], in);
	}
	free(in);
}

/* With a real procfs under the root (bind-mounted in a private mount
 * namespace), /proc is hv's own process: its magic links lead nowhere
 * and nothing in it opens. (The shim serves /proc/self/{stat,maps,
 * pagemap,clear_refs} itself, the guest's own: tests/posix/test_proc.c.) */
Test(confine, proc_under_the_root_is_refused)
{
	if (geteuid() != 0)
		cr_skip_test("needs root for a private mount namespace");
	char proc[PATH_MAX + 8];
	snprintf(proc, sizeof proc, "%s/proc", root);
	cr_assert(mkdir(proc, 0755) == 0);
	static const char *const ops[] = {
		"r:/proc/self/root/etc/passwd", "r:/proc/self/root/%s/secret.txt", "r:/proc/1/root/etc/passwd",
		"r:/proc/self/fd/0", "r:/proc/self/fd/1", "r:/proc/self/environ", "r:/proc/self/mem",
		"r:/proc/self/smaps", "r:/proc/self/status", "r:/proc/version", "w:/proc/self/comm", "l:/proc/self/exe",
		"l:/proc/self/cwd", "l:/proc/self/root", "c:/proc/self/root", "c:/proc/self/cwd",
		"s:/proc/self/root/etc/passwd", "k:/proc/self/root/etc", "P:/proc/self/root",
		"P:/proc/self/fd/1", "L:/proc/self/fd", "L:/proc/self/root", "o:/proc/self:root/etc/passwd",
		"r:procroot/etc/passwd", "L:procroot",
	};
	enum { N = sizeof ops / sizeof ops[0] };
	char cmd[8192], args[N][PATH_MAX];
	int at = snprintf(cmd, sizeof cmd, "mount --bind /proc \"$1\" && shift && exec \"$@\"");
	(void)at;
	char *argv[N + 16] = { "/usr/bin/unshare", "-m", "sh", "-c", cmd, "sh", proc, abs_path(EXO), "run",
			       "--root", root, abs_path(PROGS "confine") };
	int n = 12;
	for (int i = 0; i < N; i++) {
		snprintf(args[i], sizeof args[i], ops[i], top);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	struct exo_result r;
	struct run_opts o = { .cwd = root };
	run_with(&o, argv, &r);
	rmdir(proc);
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_assert(!strstr(r.out, "SECRET") && !strstr(r.out, "root:x:0"), "read through /proc:\n%s", r.out);
	cr_assert(!strstr(r.out, "ENOENT"), "is procfs mounted under the root?\n%s", r.out);
	/* Every one of them failed. */
	for (int i = 0; i < N; i++) {
		char *l = strstr(r.out, args[i]);
		cr_assert(l, "no result for %s:\n%s", args[i], r.out);
		l += strlen(args[i]);
		cr_assert(!strncmp(l, ": -1 E", 6) || !strncmp(l, ": chdir -1 E", 12),
			  "%s did not fail:\n%s", args[i], r.out);
	}
	assert_outside_untouched();
}
