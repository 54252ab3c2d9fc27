/* SPDX-License-Identifier: MIT */
/*
 * apps/guests/spawn_linux.c: times one run of a command the same way for
 * exo and for raw KVM: the whole process, fork and exec included.
 *
 *   guests-spawn [-c CGROUP] [-t SECONDS] -o FILE CMD [ARGS...]
 *
 * Forks, execs CMD (its stdin, stdout and stderr are ours), waits for it
 * and appends one line to FILE:
 *
 *   WALL_NS <tab> MAXRSS_KIB <tab> CG_PEAK_BYTES <tab> CG_KMEM_PEAK_BYTES <tab> STATUS
 *
 * WALL_NS: CLOCK_MONOTONIC from before fork to after wait4. MAXRSS_KIB:
 * the child's peak resident set (wait4's ru_maxrss), which does not see
 * the kernel's memory for it (KVM's VM and vCPU structures, page tables).
 * With -c, CGROUP is the memory cgroup directory (cgroup v1 or v2) this
 * process is in: it makes a cgroup for the run under it, moves itself in
 * before the clock starts (a move takes milliseconds here, and is no part
 * of starting a process), forks, and moves back after wait4; the child
 * and what it makes are charged there. CG_PEAK_BYTES is that cgroup's
 * peak charge, user and kernel memory (v1 memory.max_usage_in_bytes, v2
 * memory.peak: the fork's copy of this small process included),
 * CG_KMEM_PEAK_BYTES its kernel part where v1 says
 * (memory.kmem.max_usage_in_bytes); "-" where not measured. STATUS: the exit status, or 128 + the signal that ended
 * it: with -t, a child still running after SECONDS is killed (SIGKILL:
 * STATUS 137), by an alarm here rather than by a timeout(1) process the
 * other rows would not pay for. guests-spawn itself exits 0 when the line is written (whatever
 * STATUS), 1 after a one-line reason "spawn: ..." otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("spawn: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static volatile pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	if (child > 0)
		kill(child, SIGKILL);
}

/* Move this process into cgroup directory dir; 0 or -1 (errno). */
static int cgroup_join(const char *dir)
{
	char path[4096 + 16], me[32];
	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int len = snprintf(me, sizeof me, "%d\n", (int)getpid());
	int rc = write(fd, me, (size_t)len) == len ? 0 : -1;
	close(fd);
	return rc;
}

/* The first number in file dir/name into out ("-" if it cannot be read). */
static void read_counter(const char *dir, const char *name, char *out, size_t size)
{
	char path[4096], buf[64];
	snprintf(out, size, "-");
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (buf[0] >= '0' && buf[0] <= '9')
		snprintf(out, size, "%s", buf);
}

int main(int argc, char **argv)
{
	const char *cgroup = NULL, *out = NULL;
	const char *usage = "usage: guests-spawn [-c CGROUP] [-t SECONDS] -o FILE CMD [ARGS...]";
	long timeout = 0;
	char *end;
	int opt;
	while ((opt = getopt(argc, argv, "+c:o:t:")) != -1) {
		if (opt == 'c') {
			cgroup = optarg;
		} else if (opt == 'o') {
			out = optarg;
		} else if (opt == 't') {
			timeout = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || timeout < 1 || timeout > 86400)
				die("-t SECONDS must be 1..86400, not '%s'", optarg);
		} else {
			die("%s", usage);
		}
	}
	if (!out || optind >= argc)
		die("%s", usage);
	struct sigaction sa = { .sa_handler = on_alarm };
	if (timeout && sigaction(SIGALRM, &sa, NULL) < 0)
		die("sigaction: %s", strerror(errno));
	FILE *f = fopen(out, "a");
	if (!f)
		die("%s: %s", out, strerror(errno));

	char cg[4096] = "";
	if (cgroup) {
		snprintf(cg, sizeof cg, "%s/guests-spawn-%d", cgroup, (int)getpid());
		if (mkdir(cg, 0755) < 0)
			die("making cgroup %s: %s", cg, strerror(errno));
		if (cgroup_join(cg) < 0) {
			int e = errno;
			rmdir(cg);
			die("joining cgroup %s: %s", cg, strerror(e));
		}
	}
	int64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "spawn: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	child = pid;
	if (timeout)
		alarm((unsigned)timeout);
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	int64_t wall = now_ns() - t0;
	alarm(0);
	char peak[64] = "-", kmem[64] = "-";
	if (cgroup) {
		if (cgroup_join(cgroup) < 0)
			die("moving back to cgroup %s: %s", cgroup, strerror(errno));
		read_counter(cg, "memory.max_usage_in_bytes", peak, sizeof peak);
		if (!strcmp(peak, "-"))
			read_counter(cg, "memory.peak", peak, sizeof peak);
		read_counter(cg, "memory.kmem.max_usage_in_bytes", kmem, sizeof kmem);
		if (rmdir(cg) < 0)
			fprintf(stderr, "spawn: removing cgroup %s: %s\n", cg, strerror(errno));
	}
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	fprintf(f, "%lld\t%ld\t%s\t%s\t%d\n", (long long)wall, ru.ru_maxrss, peak, kmem, status);
	if (fclose(f) != 0)
		die("%s: %s", out, strerror(errno));
	return 0;
}
