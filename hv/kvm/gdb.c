/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/gdb.c: `exo run --gdb PORT`, a GDB remote-serial-protocol stub
 * for a guest's vCPU (gdb.h; docs/debugging.md): the connection, the
 * protocol and the run loop's hooks. The guest's memory, registers and
 * breakpoints are gdb_target.c's.
 *
 * One connection, from 127.0.0.1, accepted before the sandbox is armed;
 * the listening socket is closed then. After that the stub needs only
 * read and write on the connection, recvfrom (MSG_DONTWAIT, for ^C while
 * the guest runs), fcntl, and the vCPU ioctls KVM_GET_SREGS, KVM_GET_FPU,
 * KVM_TRANSLATE, KVM_SET_REGS and KVM_SET_GUEST_DEBUG: sandbox.c allows
 * the ones the run loop does not already make only when --gdb is given.
 *
 * Protocol: packets $data#cs with +/- acks (QStartNoAckMode turns them
 * off), at most GDB_PKT_MAX bytes of data; '?', g/G, p/P, m/M, c/s (and
 * C/S, whose signal is ignored), Z0/z0 (int3 written into the guest's own
 * frame through hv's mapping of the pool, the byte restored on removal,
 * detach and kill, and shown as it was to every m), Z1/z1 (the four debug
 * registers, KVM_GUESTDBG_USE_HW_BP), qSupported, qAttached, qC,
 * qfThreadInfo/qsThreadInfo (one thread), qXfer:features:read:target.xml
 * (x86-64 core, SSE and fs_base/gs_base), D, k, and 0x03. Anything else
 * gets the empty reply (unsupported), so gdb falls back (vCont? to c/s,
 * X to M). Stop replies are T05thread:1; (T02 after ^C).
 *
 * Everything gdb sends is untrusted: lengths and addresses are bounded,
 * a packet with a bad checksum is nacked (dropped without acks), one
 * longer than GDB_PKT_MAX or with bad hex gets an error reply, and memory
 * is reached only at guest virtual addresses that KVM_TRANSLATE maps,
 * through the guest's own page tables, to a frame the guest owns (checked
 * in the ownership table under the pool lock); anything else is E14.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gdb_impl.h"

enum { STAY, GO, DETACH, KILL };

/* --- the connection --- */

int kvm_gdb_attach(struct kvm_guest *k, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return kvm_fail(HV_STATUS_HOST, "--gdb %u: socket: %s", port, strerror(errno));
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0) {
		int err = errno;
		close(ls);
		return kvm_fail(HV_STATUS_HOST, "--gdb %u: cannot listen on 127.0.0.1:%u: %s%s",
				port, port, strerror(err),
				err == EADDRINUSE ? " (pick another PORT)" : "");
	}
	char line[160];
	int n = snprintf(line, sizeof line, "exo: gdb: guest %s waits for gdb on 127.0.0.1:%u "
			 "(target remote :%u)\n", k->opts->name, port, port);
	kvm_out_raw(2, line, (uint64_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
	int c;
	do
		c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && ((errno == EINTR && !kvm_signals_caught()) || errno == ECONNABORTED));
	int err = errno;
	close(ls);
	if (c < 0 && kvm_signals_caught())
		return 128 + kvm_signals_caught(); /* main says so (signals.c) */
	if (c < 0)
		return kvm_fail(HV_STATUS_HOST, "--gdb %u: accept: %s", port, strerror(err));
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct kvm_gdb *d = calloc(1, sizeof *d);
	if (!d) {
		close(c);
		return kvm_fail(HV_STATUS_HOST, "out of memory");
	}
	d->fd = c;
	d->sig = GDB_SIGTRAP;
	k->gdb = d;
	return 0;
}

void kvm_gdb_close(struct kvm_guest *k)
{
	if (!k->gdb)
		return;
	close(k->gdb->fd);
	free(k->gdb);
	k->gdb = NULL;
}

/* Write all of buf; -1 once the connection is gone. */
static int put(struct kvm_gdb *d, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(d->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char hexd[] = "0123456789abcdef";

/* Send one packet (kept for a '-' to repeat); -1: connection gone. */
static int send_packet(struct kvm_gdb *d, const char *data)
{
	size_t len = strlen(data);
	uint8_t sum = 0;
	if (len + 4 > sizeof d->last)
		len = sizeof d->last - 4; /* never: replies are built within out */
	d->last[0] = '$';
	for (size_t i = 0; i < len; i++) {
		d->last[1 + i] = data[i];
		sum = (uint8_t)(sum + (uint8_t)data[i]);
	}
	d->last[1 + len] = '#';
	d->last[2 + len] = hexd[sum >> 4];
	d->last[3 + len] = hexd[sum & 15];
	d->last_len = len + 4;
	return put(d, d->last, d->last_len);
}

/* The next byte from gdb, blocking; -1: connection gone. */
static int get_byte(struct kvm_gdb *d)
{
	while (d->in_pos == d->in_len) {
		ssize_t n = read(d->fd, d->in, sizeof d->in);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		d->in_pos = 0;
		d->in_len = (size_t)n;
	}
	return d->in[d->in_pos++];
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The next packet's data into d->pkt (NUL-terminated; its length in
 * *len): 1; 0 if it was dropped or answered here (bad checksum, too
 * long); -1 when the connection is gone. */
static int get_packet(struct kvm_gdb *d, size_t *len)
{
	int c;
	for (;;) {
		if ((c = get_byte(d)) < 0)
			return -1;
		if (c == '-' && !d->noack && d->last_len) {
			if (put(d, d->last, d->last_len) < 0)
				return -1;
			continue;
		}
		if (c == '$')
			break;
		/* '+', a ^C while stopped, noise: nothing to do */
	}
	size_t n = 0;
	int over = 0;
	uint8_t sum = 0;
	while ((c = get_byte(d)) != '#') {
		if (c < 0)
			return -1;
		if (c == '$') { /* a new start: what came before was noise */
			n = 0, over = 0, sum = 0;
			continue;
		}
		sum = (uint8_t)(sum + (uint8_t)c);
		if (n < GDB_PKT_MAX)
			d->pkt[n++] = (char)c;
		else
			over = 1;
	}
	int h = get_byte(d), l = h < 0 ? -1 : get_byte(d);
	if (l < 0)
		return -1;
	if (hexval(h) < 0 || hexval(l) < 0 || (uint8_t)(hexval(h) * 16 + hexval(l)) != sum) {
		if (!d->noack && put(d, "-", 1) < 0)
			return -1;
		return 0;
	}
	if (!d->noack && put(d, "+", 1) < 0)
		return -1;
	if (over)
		return send_packet(d, "E01") < 0 ? -1 : 0;
	d->pkt[n] = '\0';
	*len = n;
	return 1;
}

/* --- parsing what gdb sent --- */

/* Hex number at *p (1-16 digits), up to end; 0 or -1. */
static int parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;
	while (s < end && hexval(*s) >= 0) {
		if (++n > 16)
			return -1;
		x = x << 4 | (uint64_t)hexval(*s++);
	}
	if (!n)
		return -1;
	*p = s;
	*v = x;
	return 0;
}

/* 2*len hex digits at s into buf; 0 or -1. */
static int unhex(const char *s, size_t avail, uint8_t *buf, size_t len)
{
	if (avail < 2 * len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
		if (h < 0 || l < 0)
			return -1;
		buf[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}

static char *tohex(char *o, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		*o++ = hexd[buf[i] >> 4];
		*o++ = hexd[buf[i] & 15];
	}
	*o = '\0';
	return o;
}

/* gdb is gone or detached: the guest's bytes back, debugging off. */
static void detach(struct kvm_guest *k)
{
	struct kvm_gdb *d = k->gdb;
	for (int i = 0; i < GDB_SW_MAX; i++)
		if (d->sw[i].used)
			gdb_guest_mem(k, d->sw[i].addr, &d->sw[i].orig, 1, 1);
	struct kvm_guest_debug none = { 0 };
	ioctl(k->vcpu_fd, KVM_SET_GUEST_DEBUG, &none);
	kvm_gdb_close(k);
}

/* --- commands --- */

static int send_stop(struct kvm_gdb *d)
{
	char r[32];
	snprintf(r, sizeof r, "T%02xthread:1;", d->sig);
	return send_packet(d, r);
}

/* One packet (d->pkt, len bytes): the reply is sent here; what next. */
static int command(struct kvm_guest *k, size_t len)
{
	struct kvm_gdb *d = k->gdb;
	const char *p = d->pkt, *end = d->pkt + len;
	char *o = d->out;
	const char *reply = "";
	uint64_t a, b, c;
	uint8_t buf[GDB_MEM_MAX];
	struct gdb_state st;

	o[0] = '\0';
	switch (len ? *p++ : 0) {
	case '?':
		return send_stop(d) < 0 ? DETACH : STAY;
	case 'g':
		gdb_get_state(k, &st);
		for (int n = 0; n < GDB_NREGS; n++) {
			uint8_t v[16];
			size_t size = (size_t)gdb_reg_size(n);
			if (gdb_reg_get(k, &st, n, v)) {
				o = tohex(o, v, size);
			} else {
				memset(o, 'x', 2 * size);
				o += 2 * size;
				*o = '\0';
			}
		}
		reply = d->out;
		break;
	case 'G': {
		/* The general registers, rip and eflags; the rest is ignored. */
		size_t need = 0;
		for (int n = 0; n < 18; n++)
			need += 2 * (size_t)gdb_reg_size(n);
		if ((size_t)(end - p) < need) {
			reply = "E22";
			break;
		}
		uint8_t v[18][8];
		int bad = 0;
		for (int n = 0, off = 0; n < 18 && !bad; off += 2 * gdb_reg_size(n), n++)
			bad = unhex(p + off, (size_t)(end - p - off), v[n], (size_t)gdb_reg_size(n));
		if (bad) {
			reply = "E22";
			break;
		}
		for (int n = 0; n < 18; n++)
			gdb_reg_set(k, n, v[n]);
		reply = "OK";
		break;
	}
	case 'p':
		if (parse_hex(&p, end, &a) < 0 || p != end || a >= GDB_NREGS) {
			reply = "E22";
			break;
		}
		gdb_get_state(k, &st);
		{
			uint8_t v[16];
			size_t size = (size_t)gdb_reg_size((int)a);
			if (gdb_reg_get(k, &st, (int)a, v)) {
				tohex(o, v, size);
			} else {
				memset(o, 'x', 2 * size);
				o[2 * size] = '\0';
			}
		}
		reply = d->out;
		break;
	case 'P': {
		uint8_t v[16];
		if (parse_hex(&p, end, &a) < 0 || p == end || *p++ != '=' || a >= GDB_NREGS ||
		    (size_t)(end - p) != 2 * (size_t)gdb_reg_size((int)a) ||
		    unhex(p, (size_t)(end - p), v, (size_t)gdb_reg_size((int)a)) < 0) {
			reply = "E22";
			break;
		}
		reply = gdb_reg_set(k, (int)a, v) < 0 ? "E01" : "OK";
		break;
	}
	case 'm':
		if (parse_hex(&p, end, &a) < 0 || p == end || *p++ != ',' ||
		    parse_hex(&p, end, &b) < 0 || p != end || b > GDB_MEM_MAX) {
			reply = "E22";
			break;
		}
		if (gdb_read_mem(k, a, buf, b) < 0) {
			reply = "E14";
			break;
		}
		tohex(o, buf, b);
		reply = d->out;
		break;
	case 'M':
		if (parse_hex(&p, end, &a) < 0 || p == end || *p++ != ',' ||
		    parse_hex(&p, end, &b) < 0 || p == end || *p++ != ':' || b > GDB_MEM_MAX ||
		    (size_t)(end - p) != 2 * b || unhex(p, (size_t)(end - p), buf, b) < 0) {
			reply = "E22";
			break;
		}
		reply = gdb_write_mem(k, a, buf, b) < 0 ? "E14" : "OK";
		break;
	case 'c':
	case 's':
	case 'C':
	case 'S': {
		char cmd = p[-1];
		if ((cmd == 'C' || cmd == 'S') && (parse_hex(&p, end, &a) < 0 || a > 0xff)) {
			reply = "E22"; /* the signal: ignored, a guest has none */
			break;
		}
		if ((cmd == 'C' || cmd == 'S') && p != end && *p++ != ';') {
			reply = "E22";
			break;
		}
		if (p != end && (parse_hex(&p, end, &a) < 0 || p != end)) {
			reply = "E22";
			break;
		}
		if (p != d->pkt + 1 && cmd != 'C' && cmd != 'S') {
			k->run->s.regs.regs.rip = a;
			k->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		}
		d->stepping = cmd == 's' || cmd == 'S';
		if (gdb_set_debug(k) < 0) {
			d->stepping = 0;
			reply = "E01";
			break;
		}
		return GO;
	}
	case 'D':
		send_packet(d, "OK");
		return DETACH;
	case 'k':
		return KILL;
	case 'H':
	case 'T':
		reply = "OK"; /* one thread */
		break;
	case 'Z':
	case 'z':
		if (parse_hex(&p, end, &a) < 0 || p == end || *p++ != ',' ||
		    parse_hex(&p, end, &b) < 0 || p == end || *p++ != ',' ||
		    parse_hex(&p, end, &c) < 0) {
			reply = "E22";
			break;
		}
		reply = gdb_breakpoint(k, d->pkt[0] == 'Z', a, b);
		break;
	case 'q':
		if (!strncmp(p, "Supported", 9)) {
			reply = "PacketSize=1000;qXfer:features:read+;QStartNoAckMode+";
		} else if (!strcmp(p, "Attached")) {
			reply = "1";
		} else if (!strcmp(p, "C")) {
			reply = "QC1";
		} else if (!strcmp(p, "fThreadInfo")) {
			reply = "m1";
		} else if (!strcmp(p, "sThreadInfo")) {
			reply = "l";
		} else if (!strncmp(p, "Xfer:features:read:target.xml:", 30)) {
			char xml[8192]; /* built per request: threads share nothing */
			size_t xml_len = gdb_target_xml(xml, sizeof xml);
			p += 30;
			if (parse_hex(&p, end, &a) < 0 || p == end || *p++ != ',' ||
			    parse_hex(&p, end, &b) < 0 || p != end) {
				reply = "E22";
				break;
			}
			if (b > GDB_MEM_MAX)
				b = GDB_MEM_MAX;
			if (a >= xml_len) {
				reply = "l";
				break;
			}
			size_t n = xml_len - a < b ? xml_len - a : b;
			o[0] = a + n < xml_len ? 'm' : 'l';
			memcpy(o + 1, xml + a, n); /* no '$', '#', '}' or '*' in it */
			o[1 + n] = '\0';
			reply = d->out;
		} else if (!strncmp(p, "Xfer:", 5)) {
			reply = "E00";
		}
		break;
	case 'Q':
		if (!strcmp(p, "StartNoAckMode")) {
			if (send_packet(d, "OK") < 0)
				return DETACH;
			d->noack = 1;
			return STAY;
		}
		break;
	}
	return send_packet(d, reply) < 0 ? DETACH : STAY;
}

/* Serve gdb while the guest is stopped (sig: why; reply: say so first)
 * until it resumes, detaches (k->gdb is then NULL) or kills (k->limit). */
static void serve(struct kvm_guest *k, int sig, int reply)
{
	struct kvm_gdb *d = k->gdb;
	d->sig = sig;
	d->stepping = 0;
	if (reply && send_stop(d) < 0) {
		detach(k);
		return;
	}
	for (;;) {
		size_t len = 0;
		int rc = get_packet(d, &len);
		if (rc < 0) {
			detach(k);
			return;
		}
		if (rc == 0)
			continue;
		switch (command(k, len)) {
		case GO:
			return;
		case KILL:
			k->limit = SIGKILL;
			/* fall through */
		case DETACH:
			detach(k);
			return;
		}
	}
}

void kvm_gdb_start(struct kvm_guest *k)
{
	struct kvm_gdb *d = k->gdb;
	/* Every arrival on the socket kicks this thread, so a ^C ends
	 * KVM_RUN (run.c's interrupted() then calls kvm_gdb_poll). */
	struct f_owner_ex owner = { .type = F_OWNER_TID, .pid = (pid_t)syscall(SYS_gettid) };
	if (fcntl(d->fd, F_SETOWN_EX, &owner) < 0 || fcntl(d->fd, F_SETSIG, KVM_KICK_SIGNAL) < 0 ||
	    fcntl(d->fd, F_SETFL, O_ASYNC) < 0 || gdb_set_debug(k) < 0) {
		kvm_fail(HV_STATUS_HOST, "--gdb: setting up the connection or guest debugging: %s",
			 strerror(errno));
		detach(k);
		return;
	}
	serve(k, GDB_SIGTRAP, 0);
}

void kvm_gdb_debug_exit(struct kvm_guest *k)
{
	serve(k, GDB_SIGTRAP, 1);
}

int kvm_gdb_emulation_failure(struct kvm_guest *k)
{
	struct kvm_gdb *d = k->gdb;
	uint64_t rip = k->run->s.regs.regs.rip;
	for (int i = 0; i < GDB_SW_MAX; i++)
		if (d->sw[i].used && d->sw[i].addr == rip) {
			serve(k, GDB_SIGTRAP, 1);
			return 1;
		}
	return 0;
}

void kvm_gdb_poll(struct kvm_guest *k)
{
	char buf[64];
	ssize_t n = recv(k->gdb->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		detach(k);
	else if (n > 0 && memchr(buf, 0x03, (size_t)n))
		serve(k, GDB_SIGINT, 1);
}

void kvm_gdb_end(struct kvm_guest *k)
{
	struct kvm_gdb *d = k->gdb;
	char r[16];
	if (!d)
		return;
	if (k->g.exit_signal)
		snprintf(r, sizeof r, "X%02x", k->g.exit_signal & 0xff);
	else
		snprintf(r, sizeof r, "W%02x", k->status & 0xff);
	send_packet(d, r);
	kvm_gdb_close(k);
}
