/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/gdb.c: `exo run --gdb PORT`, a GDB remote-serial-protocol stub
 * for a guest's vCPU (gdb.h; docs/debugging.md).
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

#include "gdb.h"

#define GDB_PKT_MAX 4096       /* PacketSize, data bytes of one packet */
#define GDB_MEM_MAX 2048       /* bytes one m or M moves (hex: twice that) */
#define GDB_SW_MAX 64          /* software breakpoints */
#define GDB_HW_MAX 4           /* hardware breakpoints: DR0-DR3 */
#define GDB_NREGS 59
#define GDB_OUT_MAX (2 * GDB_MEM_MAX + 64)
#define GDB_SIGINT 2
#define GDB_SIGTRAP 5

struct kvm_gdb {
	int fd;
	int noack;
	int stepping;
	int sig;                       /* why the guest is stopped */
	struct {
		uint64_t addr;
		uint8_t orig;
		int used;
	} sw[GDB_SW_MAX];
	uint64_t hw[GDB_HW_MAX];
	int hw_used[GDB_HW_MAX];
	uint8_t in[512];
	size_t in_pos, in_len;
	char pkt[GDB_PKT_MAX + 1];
	char out[GDB_OUT_MAX];
	char last[GDB_OUT_MAX + 4];
	size_t last_len;
};

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

/* --- guest memory: virtual addresses, the guest's own frames only --- */

static int guest_mem(struct kvm_guest *k, uint64_t va, uint8_t *buf, size_t len, int write)
{
	struct kvm_pool *p = k->pool;
	while (len) {
		struct kvm_translation t = { .linear_address = va & ~(uint64_t)(EXO_PAGE_SIZE - 1) };
		if (ioctl(k->vcpu_fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
			return -1;
		uint64_t off = va & (EXO_PAGE_SIZE - 1), f = t.physical_address / EXO_PAGE_SIZE;
		size_t chunk = EXO_PAGE_SIZE - off < len ? EXO_PAGE_SIZE - off : len;
		hv_plat_lock(&p->core);
		if (t.physical_address % EXO_PAGE_SIZE || f >= p->core.nframes ||
		    hv_frame_owner(&p->core, f) != k->g.id) {
			hv_plat_unlock(&p->core);
			return -1;
		}
		uint8_t *at = p->host + f * EXO_PAGE_SIZE + off;
		if (write)
			memcpy(at, buf, chunk);
		else
			memcpy(buf, at, chunk);
		hv_plat_unlock(&p->core);
		va += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* What gdb reads: the guest's bytes with its breakpoints' originals. */
static int read_mem(struct kvm_guest *k, uint64_t va, uint8_t *buf, size_t len)
{
	struct kvm_gdb *d = k->gdb;
	if (guest_mem(k, va, buf, len, 0) < 0)
		return -1;
	for (int i = 0; i < GDB_SW_MAX; i++)
		if (d->sw[i].used && d->sw[i].addr - va < len)
			buf[d->sw[i].addr - va] = d->sw[i].orig;
	return 0;
}

/* What gdb writes: breakpoints under it keep their int3, over new bytes. */
static int write_mem(struct kvm_guest *k, uint64_t va, uint8_t *buf, size_t len)
{
	struct kvm_gdb *d = k->gdb;
	uint8_t int3 = 0xcc;
	if (guest_mem(k, va, buf, len, 1) < 0)
		return -1;
	for (int i = 0; i < GDB_SW_MAX; i++)
		if (d->sw[i].used && d->sw[i].addr - va < len) {
			d->sw[i].orig = buf[d->sw[i].addr - va];
			guest_mem(k, d->sw[i].addr, &int3, 1, 1);
		}
	return 0;
}

/* --- registers --- */

/* gdb's numbering, from target.xml below: rax rbx rcx rdx rsi rdi rbp rsp
 * r8-r15 (0-15), rip 16, eflags 17, cs ss ds es fs gs (18-23), st0-st7
 * (24-31), fctrl fstat ftag fiseg fioff foseg fooff fop (32-39),
 * xmm0-xmm15 (40-55), mxcsr 56, fs_base 57, gs_base 58. */
static int reg_size(int n)
{
	if (n < 17 || n == 57 || n == 58)
		return 8;
	if (n >= 24 && n < 32)
		return 10;
	if (n >= 40 && n < 56)
		return 16;
	return 4;
}

static __u64 *gpr(struct kvm_regs *r, int n)
{
	__u64 *const a[17] = { &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
				  &r->rbp, &r->rsp, &r->r8, &r->r9, &r->r10, &r->r11,
				  &r->r12, &r->r13, &r->r14, &r->r15, &r->rip };
	return a[n];
}

/* What the host says beyond the general registers, fetched per request. */
struct state {
	int have_s, have_f;
	struct kvm_sregs s;
	struct kvm_fpu f;
};

static void get_state(struct kvm_guest *k, struct state *st)
{
	st->have_s = ioctl(k->vcpu_fd, KVM_GET_SREGS, &st->s) == 0;
	st->have_f = ioctl(k->vcpu_fd, KVM_GET_FPU, &st->f) == 0;
}

/* Register n into out (reg_size bytes, little-endian): 1, or 0 if the
 * host cannot say (gdb shows it unavailable). */
static int reg_get(struct kvm_guest *k, const struct state *st, int n, uint8_t *out)
{
	struct kvm_regs *r = &k->run->s.regs.regs;
	uint64_t v = 0;
	memset(out, 0, 16);
	if (n <= 16) {
		v = *gpr(r, n);
	} else if (n == 17) {
		v = r->rflags;
	} else if (n < 24 || n == 57 || n == 58) {
		if (!st->have_s)
			return 0;
		const struct kvm_segment *seg[] = { &st->s.cs, &st->s.ss, &st->s.ds,
						    &st->s.es, &st->s.fs, &st->s.gs };
		v = n == 57 ? st->s.fs.base : n == 58 ? st->s.gs.base : seg[n - 18]->selector;
	} else {
		if (!st->have_f)
			return 0;
		const struct kvm_fpu *f = &st->f;
		if (n < 32) {
			memcpy(out, f->fpr[n - 24], 10);
			return 1;
		}
		if (n >= 40 && n < 56) {
			memcpy(out, f->xmm[n - 40], 16);
			return 1;
		}
		switch (n) {
		case 32: v = f->fcw; break;
		case 33: v = f->fsw; break;
		case 34: /* the full tag word from FXSAVE's abridged one */
			for (int i = 0; i < 8; i++)
				if (!(f->ftwx & (1u << i)))
					v |= 3u << (2 * i);
			break;
		case 36: v = (uint32_t)f->last_ip; break;
		case 38: v = (uint32_t)f->last_dp; break;
		case 39: v = f->last_opcode; break;
		case 56: v = f->mxcsr; break;
		default: v = 0; break; /* fiseg, foseg: 0 in long mode */
		}
	}
	memcpy(out, &v, 8);
	return 1;
}

/* Register n from gdb: the general ones, rip and eflags only (through
 * the sync-regs area, applied at the next KVM_RUN). 0 or -1. */
static int reg_set(struct kvm_guest *k, int n, const uint8_t *in)
{
	struct kvm_regs *r = &k->run->s.regs.regs;
	uint64_t v = 0;
	if (n > 17)
		return -1;
	memcpy(&v, in, (size_t)reg_size(n));
	if (n <= 16)
		*gpr(r, n) = v;
	else
		r->rflags = (v & 0xffffffffu) | 2; /* bit 1 is always set */
	k->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	return 0;
}

/* --- target.xml --- */

static const char *const gpr_names[17] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
					   "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
					   "r14", "r15", "rip" };

static size_t target_xml(char *x, size_t size)
{
	static const char *const seg[] = { "cs", "ss", "ds", "es", "fs", "gs" };
	static const char *const fctl[] = { "fctrl", "fstat", "ftag", "fiseg", "fioff",
					    "foseg", "fooff", "fop" };
	size_t n = 0;
#define ADD(...) (n += (size_t)snprintf(x + n, n < size ? size - n : 0, __VA_ARGS__))
	ADD("<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	    "<target version=\"1.0\"><architecture>i386:x86-64</architecture>"
	    "<feature name=\"org.gnu.gdb.i386.core\">");
	for (int i = 0; i < 17; i++)
		ADD("<reg name=\"%s\" bitsize=\"64\" type=\"%s\"/>", gpr_names[i],
		    i == 16 ? "code_ptr" : i == 6 || i == 7 ? "data_ptr" : "int64");
	ADD("<reg name=\"eflags\" bitsize=\"32\" type=\"int32\"/>");
	for (int i = 0; i < 6; i++)
		ADD("<reg name=\"%s\" bitsize=\"32\" type=\"int32\"/>", seg[i]);
	for (int i = 0; i < 8; i++)
		ADD("<reg name=\"st%d\" bitsize=\"80\" type=\"i387_ext\"/>", i);
	for (int i = 0; i < 8; i++)
		ADD("<reg name=\"%s\" bitsize=\"32\" type=\"int\" group=\"float\"/>", fctl[i]);
	ADD("</feature><feature name=\"org.gnu.gdb.i386.sse\">"
	    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
	    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
	    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
	    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
	    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
	    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
	    "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
	    "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
	    "<field name=\"uint128\" type=\"uint128\"/></union>");
	for (int i = 0; i < 16; i++)
		ADD("<reg name=\"xmm%d\" bitsize=\"128\" type=\"vec128\"/>", i);
	ADD("<reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/></feature>"
	    "<feature name=\"org.gnu.gdb.i386.segments\">"
	    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>"
	    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/></feature></target>");
#undef ADD
	return n < size ? n : size - 1;
}

/* --- breakpoints and guest debugging --- */

static int set_debug(struct kvm_guest *k)
{
	struct kvm_gdb *d = k->gdb;
	struct kvm_guest_debug g = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP };
	if (d->stepping)
		g.control |= KVM_GUESTDBG_SINGLESTEP;
	for (int i = 0; i < GDB_HW_MAX; i++)
		if (d->hw_used[i]) {
			g.control |= KVM_GUESTDBG_USE_HW_BP;
			g.arch.debugreg[i] = d->hw[i];
			g.arch.debugreg[7] |= 2ull << (2 * i); /* Gn; R/W 00 (execute), LEN 00 */
		}
	return ioctl(k->vcpu_fd, KVM_SET_GUEST_DEBUG, &g);
}

/* Z/z: type 0 (int3) or 1 (debug register) at addr; the reply. */
static const char *breakpoint(struct kvm_guest *k, int insert, uint64_t type, uint64_t addr)
{
	struct kvm_gdb *d = k->gdb;
	int i, free_slot = -1;
	if (type == 0) {
		for (i = 0; i < GDB_SW_MAX; i++) {
			if (d->sw[i].used && d->sw[i].addr == addr)
				break;
			if (!d->sw[i].used && free_slot < 0)
				free_slot = i;
		}
		if (!insert) {
			if (i < GDB_SW_MAX) {
				d->sw[i].used = 0;
				if (guest_mem(k, addr, &d->sw[i].orig, 1, 1) < 0)
					return "E14";
			}
			return "OK";
		}
		if (i < GDB_SW_MAX)
			return "OK";
		if (free_slot < 0)
			return "E28"; /* ENOSPC */
		uint8_t orig, int3 = 0xcc;
		if (guest_mem(k, addr, &orig, 1, 0) < 0 || guest_mem(k, addr, &int3, 1, 1) < 0)
			return "E14";
		d->sw[free_slot].addr = addr;
		d->sw[free_slot].orig = orig;
		d->sw[free_slot].used = 1;
		return "OK";
	}
	if (type == 1) {
		for (i = 0; i < GDB_HW_MAX; i++) {
			if (d->hw_used[i] && d->hw[i] == addr)
				break;
			if (!d->hw_used[i] && free_slot < 0)
				free_slot = i;
		}
		if (!insert) {
			if (i < GDB_HW_MAX)
				d->hw_used[i] = 0;
			return "OK";
		}
		if (i < GDB_HW_MAX)
			return "OK";
		if (free_slot < 0)
			return "E28";
		d->hw[free_slot] = addr;
		d->hw_used[free_slot] = 1;
		return "OK";
	}
	return ""; /* watchpoints: not supported */
}

/* gdb is gone or detached: the guest's bytes back, debugging off. */
static void detach(struct kvm_guest *k)
{
	struct kvm_gdb *d = k->gdb;
	for (int i = 0; i < GDB_SW_MAX; i++)
		if (d->sw[i].used)
			guest_mem(k, d->sw[i].addr, &d->sw[i].orig, 1, 1);
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
	struct state st;

	o[0] = '\0';
	switch (len ? *p++ : 0) {
	case '?':
		return send_stop(d) < 0 ? DETACH : STAY;
	case 'g':
		get_state(k, &st);
		for (int n = 0; n < GDB_NREGS; n++) {
			uint8_t v[16];
			size_t size = (size_t)reg_size(n);
			if (reg_get(k, &st, n, v)) {
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
			need += 2 * (size_t)reg_size(n);
		if ((size_t)(end - p) < need) {
			reply = "E22";
			break;
		}
		uint8_t v[18][8];
		int bad = 0;
		for (int n = 0, off = 0; n < 18 && !bad; off += 2 * reg_size(n), n++)
			bad = unhex(p + off, (size_t)(end - p - off), v[n], (size_t)reg_size(n));
		if (bad) {
			reply = "E22";
			break;
		}
		for (int n = 0; n < 18; n++)
			reg_set(k, n, v[n]);
		reply = "OK";
		break;
	}
	case 'p':
		if (parse_hex(&p, end, &a) < 0 || p != end || a >= GDB_NREGS) {
			reply = "E22";
			break;
		}
		get_state(k, &st);
		{
			uint8_t v[16];
			size_t size = (size_t)reg_size((int)a);
			if (reg_get(k, &st, (int)a, v)) {
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
		    (size_t)(end - p) != 2 * (size_t)reg_size((int)a) ||
		    unhex(p, (size_t)(end - p), v, (size_t)reg_size((int)a)) < 0) {
			reply = "E22";
			break;
		}
		reply = reg_set(k, (int)a, v) < 0 ? "E01" : "OK";
		break;
	}
	case 'm':
		if (parse_hex(&p, end, &a) < 0 || p == end || *p++ != ',' ||
		    parse_hex(&p, end, &b) < 0 || p != end || b > GDB_MEM_MAX) {
			reply = "E22";
			break;
		}
		if (read_mem(k, a, buf, b) < 0) {
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
		reply = write_mem(k, a, buf, b) < 0 ? "E14" : "OK";
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
		if (set_debug(k) < 0) {
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
		reply = breakpoint(k, d->pkt[0] == 'Z', a, b);
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
			size_t xml_len = target_xml(xml, sizeof xml);
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
	    fcntl(d->fd, F_SETFL, O_ASYNC) < 0 || set_debug(k) < 0) {
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
