/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/gdb_target.c: the gdb stub's target (gdb_impl.h): the guest's
 * memory at virtual addresses (only frames it owns), its registers as
 * gdb numbers them (target.xml), and breakpoints: int3 written into the
 * guest's frame, or the debug registers. The protocol is gdb.c's.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "gdb_impl.h"

/* --- guest memory: virtual addresses, the guest's own frames only --- */

int gdb_guest_mem(struct kvm_guest *k, uint64_t va, uint8_t *buf, size_t len, int write)
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
int gdb_read_mem(struct kvm_guest *k, uint64_t va, uint8_t *buf, size_t len)
{
	struct kvm_gdb *d = k->gdb;
	if (gdb_guest_mem(k, va, buf, len, 0) < 0)
		return -1;
	for (int i = 0; i < GDB_SW_MAX; i++)
		if (d->sw[i].used && d->sw[i].addr - va < len)
			buf[d->sw[i].addr - va] = d->sw[i].orig;
	return 0;
}

/* What gdb writes: breakpoints under it keep their int3, over new bytes. */
int gdb_write_mem(struct kvm_guest *k, uint64_t va, uint8_t *buf, size_t len)
{
	struct kvm_gdb *d = k->gdb;
	uint8_t int3 = 0xcc;
	if (gdb_guest_mem(k, va, buf, len, 1) < 0)
		return -1;
	for (int i = 0; i < GDB_SW_MAX; i++)
		if (d->sw[i].used && d->sw[i].addr - va < len) {
			d->sw[i].orig = buf[d->sw[i].addr - va];
			gdb_guest_mem(k, d->sw[i].addr, &int3, 1, 1);
		}
	return 0;
}

/* --- registers --- */

/* gdb's numbering, from target.xml below: rax rbx rcx rdx rsi rdi rbp rsp
 * r8-r15 (0-15), rip 16, eflags 17, cs ss ds es fs gs (18-23), st0-st7
 * (24-31), fctrl fstat ftag fiseg fioff foseg fooff fop (32-39),
 * xmm0-xmm15 (40-55), mxcsr 56, fs_base 57, gs_base 58. */
int gdb_reg_size(int n)
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


void gdb_get_state(struct kvm_guest *k, struct gdb_state *st)
{
	st->have_s = ioctl(k->vcpu_fd, KVM_GET_SREGS, &st->s) == 0;
	st->have_f = ioctl(k->vcpu_fd, KVM_GET_FPU, &st->f) == 0;
}

/* Register n into out (reg_size bytes, little-endian): 1, or 0 if the
 * host cannot say (gdb shows it unavailable). */
int gdb_reg_get(struct kvm_guest *k, const struct gdb_state *st, int n, uint8_t *out)
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
int gdb_reg_set(struct kvm_guest *k, int n, const uint8_t *in)
{
	struct kvm_regs *r = &k->run->s.regs.regs;
	uint64_t v = 0;
	if (n > 17)
		return -1;
	memcpy(&v, in, (size_t)gdb_reg_size(n));
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

size_t gdb_target_xml(char *x, size_t size)
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

int gdb_set_debug(struct kvm_guest *k)
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

const char *gdb_breakpoint(struct kvm_guest *k, int insert, uint64_t type, uint64_t addr)
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
				if (gdb_guest_mem(k, addr, &d->sw[i].orig, 1, 1) < 0)
					return "E14";
			}
			return "OK";
		}
		if (i < GDB_SW_MAX)
			return "OK";
		if (free_slot < 0)
			return "E28"; /* ENOSPC */
		uint8_t orig, int3 = 0xcc;
		if (gdb_guest_mem(k, addr, &orig, 1, 0) < 0 || gdb_guest_mem(k, addr, &int3, 1, 1) < 0)
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
