/* SPDX-License-Identifier: MIT */
/*
 * tests/kvm/test_gdb.c: `exo run --gdb PORT` (hv/kvm/gdb.c), driven by
 * Debian's gdb in batch mode and by hand over a raw socket.
 *
 * Each test picks a free port (binds port 0 and reads it back, retrying
 * if exo then finds it taken), starts build/exo with --gdb on
 * build/tests/guest/gdbtarget (tests/guest/images/gdbtarget.c), waits for
 * exo's "waits for gdb" line, then talks to it:
 *
 *  - gdb with the image's symbols: a software and a hardware breakpoint
 *    on bump(), variables read, next and stepi, a backtrace into main,
 *    continue to the guest's exit, whose status gdb reports (07);
 *  - raw packets: a bad checksum is nacked, an oversize packet, bad hex,
 *    a read of too many bytes and reads of addresses the guest does not
 *    map or own get error replies, and exo carries on; ^C stops a
 *    spinning guest (T02), a memory write lets it go, k ends it (137);
 *  - D lets the guest run to its end; a connection closed at once too;
 *  - the command line: bad PORTs and --gdb for every guest are usage
 *    errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXO "build/exo"
#define TARGET "build/tests/guest/gdbtarget"
#define LIMIT_S 60

struct run {
	pid_t pid;
	int out, err; /* read ends */
	unsigned port;
	char out_buf[16384], err_buf[16384];
	size_t out_len, err_len;
	int status;
};

static unsigned free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	cr_assert(s >= 0);
	cr_assert(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
	cr_assert(getsockname(s, (struct sockaddr *)&a, &len) == 0);
	close(s);
	return ntohs(a.sin_port);
}

static void drain(int fd, char *buf, size_t *len, size_t cap)
{
	ssize_t n = read(fd, buf + *len, cap - 1 - *len);
	if (n > 0)
		*len += (size_t)n;
	buf[*len] = '\0';
}

/* Start exo with --gdb on a free port and args (NULL-terminated, after
 * the port), and wait until it listens. */
static void start(struct run *r, const char *const *args)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		memset(r, 0, sizeof *r);
		r->port = free_port();
		char port[16];
		snprintf(port, sizeof port, "%u", r->port);
		char *argv[32] = { EXO, "run", "--gdb", port };
		int n = 4;
		for (; args[n - 4] && n < 31; n++)
			argv[n] = (char *)args[n - 4];
		argv[n] = NULL;
		int out[2], err[2];
		cr_assert(pipe(out) == 0 && pipe(err) == 0);
		r->pid = fork();
		cr_assert(r->pid >= 0);
		if (r->pid == 0) {
			dup2(out[1], 1);
			dup2(err[1], 2);
			close(out[0]);
			close(err[0]);
			execv(argv[0], argv);
			_exit(255);
		}
		close(out[1]);
		close(err[1]);
		r->out = out[0];
		r->err = err[0];
		time_t end = time(NULL) + LIMIT_S;
		while (!strstr(r->err_buf, "waits for gdb") && time(NULL) < end) {
			struct pollfd p = { r->err, POLLIN, 0 };
			if (poll(&p, 1, 1000) > 0) {
				size_t before = r->err_len;
				drain(r->err, r->err_buf, &r->err_len, sizeof r->err_buf);
				if (r->err_len == before)
					break; /* exo ended */
			}
		}
		if (strstr(r->err_buf, "waits for gdb"))
			return;
		int st;
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &st, 0);
		close(r->out);
		close(r->err);
		cr_assert(strstr(r->err_buf, "in use"), "exo did not listen: %s", r->err_buf);
	}
	cr_assert_fail("no free port after 5 tries");
}

/* Wait for exo's end and collect what it printed. */
static void finish(struct run *r)
{
	time_t end = time(NULL) + LIMIT_S;
	int oo = 1, eo = 1;
	while ((oo || eo) && time(NULL) < end) {
		struct pollfd p[2] = { { oo ? r->out : -1, POLLIN, 0 }, { eo ? r->err : -1, POLLIN, 0 } };
		if (poll(p, 2, 1000) <= 0)
			continue;
		if (p[0].revents) {
			size_t b = r->out_len;
			drain(r->out, r->out_buf, &r->out_len, sizeof r->out_buf);
			oo = r->out_len != b;
		}
		if (p[1].revents) {
			size_t b = r->err_len;
			drain(r->err, r->err_buf, &r->err_len, sizeof r->err_buf);
			eo = r->err_len != b;
		}
	}
	if (oo || eo)
		kill(r->pid, SIGKILL);
	int st;
	waitpid(r->pid, &st, 0);
	close(r->out);
	close(r->err);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	cr_assert(!oo && !eo, "exo did not end within %d s; stderr: %s", LIMIT_S, r->err_buf);
}

/* gdb -batch on the image against r's port with the -ex commands; its
 * output (stdout and stderr) into out. */
static void gdb(struct run *r, const char *const *cmds, char *out, size_t cap)
{
	char target[64];
	snprintf(target, sizeof target, "target remote :%u", r->port);
	char *argv[64] = { "timeout", "60", "gdb", "-nx", "-batch", TARGET, "-ex", target };
	int n = 8;
	for (int i = 0; cmds[i] && n < 61; i++) {
		argv[n++] = "-ex";
		argv[n++] = (char *)cmds[i];
	}
	argv[n] = NULL;
	int p[2];
	cr_assert(pipe(p) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execvp(argv[0], argv);
		_exit(255);
	}
	close(p[1]);
	size_t len = 0;
	for (;;) {
		ssize_t k = read(p[0], out + len, cap - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	out[len] = '\0';
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 255 && WEXITSTATUS(st) != 124,
		  "gdb failed or timed out: %s", out);
}

#define HAS(hay, needle) cr_assert(strstr(hay, needle), "no \"%s\" in:\n%s", needle, hay)

Test(gdb, software_breakpoint_variables_step_and_exit, .timeout = 120)
{
	static struct run r;
	static char out[65536];
	start(&r, (const char *const[]){ TARGET, NULL });
	gdb(&r, (const char *const[]){ "break bump", "continue", "print answer", "print counter",
				       "backtrace", "next", "print counter", "continue",
				       "print by", "delete", "continue", NULL },
	    out, sizeof out);
	finish(&r);
	HAS(out, "Breakpoint 1, bump (by=by@entry=1)");
	HAS(out, "$1 = 42");
	HAS(out, "$2 = 0");
	HAS(out, "in main (");
	HAS(out, "$3 = 1");
	HAS(out, "$4 = 2"); /* the second call stopped at the breakpoint again */
	HAS(out, "exited with code 07");
	cr_assert_eq(r.status, 7, "status %d; stderr: %s", r.status, r.err_buf);
	HAS(r.out_buf, "counter 6 answer 42");
}

Test(gdb, hardware_breakpoint_registers_and_stepi, .timeout = 120)
{
	static struct run r;
	static char out[65536];
	start(&r, (const char *const[]){ TARGET, NULL });
	gdb(&r, (const char *const[]){ "print/x $rip", "hbreak bump", "continue", "print $rdi",
				       "print/x $cs", "print $fs_base", "info registers xmm0",
				       "set var counter = 100", "stepi", "x/i $pc", "delete",
				       "continue", NULL },
	    out, sizeof out);
	finish(&r);
	HAS(out, "Hardware assisted breakpoint 1");
	HAS(out, "Breakpoint 1, bump");
	HAS(out, "$2 = 1");   /* bump's argument */
	HAS(out, "$3 = 0x8"); /* a code segment selector */
	HAS(out, "$4 = 0");
	HAS(out, "xmm0");
	HAS(out, "<bump+");
	HAS(out, "exited with code 07");
	cr_assert_eq(r.status, 7);
	HAS(r.out_buf, "counter 106 answer 42"); /* gdb's write, then 1, 2 and 3 */
}

/* --- raw packets --- */

static int dial(unsigned port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert(s >= 0);
	cr_assert(connect(s, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
	struct timeval tv = { 30, 0 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return s;
}

static void send_raw(int s, const char *data, size_t len)
{
	cr_assert(write(s, data, len) == (ssize_t)len);
}

static void send_pkt(int s, const char *data)
{
	char buf[8192];
	unsigned sum = 0;
	for (const char *c = data; *c; c++)
		sum += (unsigned char)*c;
	int n = snprintf(buf, sizeof buf, "$%s#%02x", data, sum & 0xff);
	send_raw(s, buf, (size_t)n);
}

static int get_char(int s)
{
	unsigned char c;
	ssize_t n = read(s, &c, 1);
	return n == 1 ? c : -1;
}

/* The next reply's data (acks before it skipped); "" on a dead line. */
static const char *reply(int s)
{
	static char buf[8192];
	int c;
	size_t n = 0;
	while ((c = get_char(s)) != '$')
		if (c < 0)
			return "<closed>";
	while ((c = get_char(s)) != '#' && c >= 0 && n < sizeof buf - 1)
		buf[n++] = (char)c;
	buf[n] = '\0';
	get_char(s);
	get_char(s);
	send_raw(s, "+", 1);
	return buf;
}

static const char *ask(int s, const char *data)
{
	send_pkt(s, data);
	return reply(s);
}

/* The address of a symbol in the image, from nm. */
static unsigned long long symbol(const char *name)
{
	char cmd[256], line[256];
	unsigned long long a = 0;
	snprintf(cmd, sizeof cmd, "nm %s", TARGET);
	FILE *f = popen(cmd, "r");
	cr_assert(f);
	while (fgets(line, sizeof line, f)) {
		char sym[128], type;
		unsigned long long v;
		if (sscanf(line, "%llx %c %127s", &v, &type, sym) == 3 && !strcmp(sym, name))
			a = v;
	}
	pclose(f);
	cr_assert(a, "no symbol %s in %s", name, TARGET);
	return a;
}

Test(gdb, malformed_packets_interrupt_and_kill, .timeout = 120)
{
	static struct run r;
	char q[256];
	start(&r, (const char *const[]){ TARGET, "spin", NULL });
	int s = dial(r.port);

	send_raw(s, "$g#00", 5); /* bad checksum */
	cr_assert_eq(get_char(s), '-');
	static char big[6000];
	memset(big, 'm', sizeof big - 1);
	cr_assert_str_eq(ask(s, big), "E01"); /* longer than PacketSize */
	cr_assert_str_eq(ask(s, "mzz,4"), "E22");
	cr_assert_str_eq(ask(s, "m0,zz"), "E22");
	cr_assert_str_eq(ask(s, "m0,100000"), "E22");
	cr_assert_str_eq(ask(s, "m11112222333344445555,4"), "E22");
	cr_assert_str_eq(ask(s, "m0,4"), "E14");                  /* not mapped */
	cr_assert_str_eq(ask(s, "m800000000000,4"), "E14");       /* not canonical */
	cr_assert_str_eq(ask(s, "Mffffffff80000000,1:00"), "E14"); /* below the image */
	cr_assert_str_eq(ask(s, "Z0,0,1"), "E14");
	cr_assert_str_eq(ask(s, "P99=00"), "E22");
	cr_assert_str_eq(ask(s, "p4242"), "E22");
	cr_assert_str_eq(ask(s, "G12"), "E22");
	cr_assert_str_eq(ask(s, "Z9,0,1"), "");
	cr_assert_str_eq(ask(s, "vCont?"), "");
	cr_assert_str_eq(ask(s, "frobnicate"), "");
	send_raw(s, "$", 1); /* an empty packet, then noise */
	send_raw(s, "#00xyz", 6);
	cr_assert_eq(get_char(s), '+');
	cr_assert_str_eq(reply(s), "");
	cr_assert_str_eq(ask(s, "?"), "T05thread:1;");
	cr_assert_str_eq(ask(s, "qAttached"), "1");
	cr_assert(strstr(ask(s, "qSupported:multiprocess+"), "qXfer:features:read+"));
	static char xml[16384];
	size_t xl = 0;
	for (int more = 1; more;) { /* in pieces of at most 2048 bytes */
		snprintf(q, sizeof q, "qXfer:features:read:target.xml:%zx,ffff", xl);
		const char *x = ask(s, q);
		cr_assert(x[0] == 'm' || x[0] == 'l', "%s", x);
		cr_assert(strlen(x + 1) <= 2048 && xl + strlen(x + 1) < sizeof xml);
		more = x[0] == 'm';
		memcpy(xml + xl, x + 1, strlen(x + 1) + 1);
		xl += strlen(x + 1);
	}
	cr_assert(strstr(xml, "i386:x86-64") && strstr(xml, "fs_base") &&
		  strstr(xml, "</target>"), "%s", xml);
	cr_assert_eq(strlen(ask(s, "g")), 2 * (17 * 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4 + 2 * 8));

	/* Let it spin, ^C it, then clear `spinning` and let it finish. */
	snprintf(q, sizeof q, "m%llx,4", symbol("spinning"));
	cr_assert_str_eq(ask(s, q), "01000000");
	send_pkt(s, "c");
	cr_assert_eq(get_char(s), '+');
	usleep(200000);
	send_raw(s, "\x03", 1);
	cr_assert_str_eq(reply(s), "T02thread:1;");
	cr_assert_str_eq(ask(s, "QStartNoAckMode"), "OK");
	send_pkt(s, "k");
	finish(&r);
	close(s);
	cr_assert_eq(r.status, 137, "status %d; stderr: %s", r.status, r.err_buf);
	HAS(r.err_buf, "killed from gdb");
}

Test(gdb, write_memory_then_detach, .timeout = 120)
{
	static struct run r;
	char q[256];
	start(&r, (const char *const[]){ TARGET, "spin", NULL });
	int s = dial(r.port);
	snprintf(q, sizeof q, "M%llx,4:00000000", symbol("spinning"));
	cr_assert_str_eq(ask(s, q), "OK");
	cr_assert_str_eq(ask(s, "D"), "OK");
	finish(&r);
	close(s);
	cr_assert_eq(r.status, 7, "status %d; stderr: %s", r.status, r.err_buf);
	HAS(r.out_buf, "counter 6 answer 42");
}

Test(gdb, connection_closed_at_once_detaches, .timeout = 120)
{
	static struct run r;
	start(&r, (const char *const[]){ TARGET, NULL });
	close(dial(r.port));
	finish(&r);
	cr_assert_eq(r.status, 7, "status %d; stderr: %s", r.status, r.err_buf);
}

/* --- the command line --- */

static void usage_error(const char *const *args, const char *needle)
{
	char *argv[16] = { EXO, "run" };
	int n = 2;
	for (; args[n - 2]; n++)
		argv[n] = (char *)args[n - 2];
	argv[n] = NULL;
	int p[2];
	cr_assert(pipe(p) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		execv(argv[0], argv);
		_exit(255);
	}
	close(p[1]);
	char buf[4096];
	size_t len = 0;
	ssize_t k;
	while ((k = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)k;
	buf[len] = '\0';
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 125, "status %d: %s", WEXITSTATUS(st), buf);
	HAS(buf, needle);
}

Test(gdb, command_line_errors)
{
	usage_error((const char *const[]){ "--gdb", "0", TARGET, NULL }, "--gdb 0: PORT must be");
	usage_error((const char *const[]){ "--gdb=70000", TARGET, NULL }, "--gdb 70000: PORT");
	usage_error((const char *const[]){ "--gdb", "12ab", TARGET, NULL }, "--gdb 12ab");
	usage_error((const char *const[]){ "--gdb", NULL }, "--gdb: missing PORT");
	usage_error((const char *const[]){ "--gdb", "5000", "--guest", TARGET, NULL },
		    "put it after that guest's --guest");
	usage_error((const char *const[]){ "--guest", "--gdb", "5000", TARGET, "--guest",
					    "--gdb=5000", TARGET, NULL },
		    "two guests cannot share");
}
