/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/gdb_impl.h: what the gdb stub's two files share: the state of a
 * connection, and the target side (gdb_target.c: the guest's memory,
 * registers and breakpoints) that the protocol side (gdb.c) serves.
 */
#ifndef HV_KVM_GDB_IMPL_H
#define HV_KVM_GDB_IMPL_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

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

/* What the host says beyond the general registers, fetched per request. */
struct gdb_state {
	int have_s, have_f;
	struct kvm_sregs s;
	struct kvm_fpu f;
};

/* Guest memory at virtual addresses, through the guest's own page tables
 * (KVM_TRANSLATE), in frames the guest owns only (checked under the pool
 * lock): 0, or -1 for anything else. gdb_read_mem shows breakpoints'
 * original bytes; gdb_write_mem keeps their int3 under new bytes. */
int gdb_guest_mem(struct kvm_guest *k, uint64_t va, uint8_t *buf, size_t len, int write);
int gdb_read_mem(struct kvm_guest *k, uint64_t va, uint8_t *buf, size_t len);
int gdb_write_mem(struct kvm_guest *k, uint64_t va, uint8_t *buf, size_t len);
/* Registers in gdb's numbering (target.xml): size, read (0 if the host
 * cannot say), write (general registers, rip and eflags only). */
int gdb_reg_size(int n);
void gdb_get_state(struct kvm_guest *k, struct gdb_state *st);
int gdb_reg_get(struct kvm_guest *k, const struct gdb_state *st, int n, uint8_t *out);
int gdb_reg_set(struct kvm_guest *k, int n, const uint8_t *in);
/* qXfer:features:read:target.xml's document into x; its length. */
size_t gdb_target_xml(char *x, size_t size);
/* KVM_SET_GUEST_DEBUG from the stepping flag and the hardware breakpoints. */
int gdb_set_debug(struct kvm_guest *k);
/* Z/z: type 0 (int3) or 1 (debug register) at addr; the reply. */
const char *gdb_breakpoint(struct kvm_guest *k, int insert, uint64_t type, uint64_t addr);

#endif
