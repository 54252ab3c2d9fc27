/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/sandbox.h: least privilege for the kvm platform.
 *
 * Once every guest is set up (VMs, vCPUs, memory slots, files opened) and
 * before the first guest instruction, exo gives up what it no longer
 * needs: descriptors, its capabilities (or, with --user, root itself),
 * the right to gain privileges, and every system call its run loop does
 * not make. A guest that took over hv then holds a process that can do
 * only what hv does for guests.
 */
#ifndef EXO_KVM_SANDBOX_H
#define EXO_KVM_SANDBOX_H

#include <sys/types.h>

struct kvm_sandbox {
	const int *close_fds; /* descriptors exo needs no more (each guest's /dev/kvm) */
	int nclose;
	int switch_user;      /* --user given: become uid/gid (kvm_sandbox_user) */
	uid_t uid;
	gid_t gid;
	int gdb;              /* --gdb: allow the stub's calls too (gdb.c) */
};

/* Look up --user NAME's uid and primary gid into s, before anything is
 * opened, so that a bad name stops exo before any guest is made.
 * 0, or HV_STATUS_USAGE with "exo: --user NAME: no such user". */
int kvm_sandbox_user(struct kvm_sandbox *s, const char *name);

/* Arm the sandbox: close s's descriptors; set no_new_privs; as root drop
 * every capability (bounding, ambient, permitted, effective, inheritable)
 * and, with a user, switch to it; then install the system call allowlist
 * on every thread. Call once, on the main thread, before any vCPU thread
 * starts. 0, or HV_STATUS_HOST (USAGE for --user without root) with one
 * line on stderr; on failure exo must not run guests. After it a call
 * off the list ends exo with HV_STATUS_HOST and a line naming the call. */
int kvm_sandbox_arm(const struct kvm_sandbox *s);

#endif
