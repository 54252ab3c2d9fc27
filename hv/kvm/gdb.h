/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/gdb.h: `exo run --gdb PORT`, a GDB remote-serial-protocol stub
 * for one guest's vCPU (gdb.c; docs/debugging.md).
 *
 * The main thread listens on 127.0.0.1:PORT and waits for gdb before the
 * sandbox is armed (kvm_gdb_attach); the guest's own vCPU thread then
 * serves gdb whenever the guest is stopped: before its first instruction
 * (kvm_gdb_start), at a breakpoint or a single step (kvm_gdb_debug_exit,
 * KVM_EXIT_DEBUG), at a ^C from gdb (kvm_gdb_poll, after KVM_RUN was
 * interrupted: the socket's arrivals kick the vCPU thread), and when the
 * guest ends (kvm_gdb_end: the W or X reply). Everything runs only where
 * k->gdb is set; a detach or a closed connection frees it and the guest
 * runs on as if gdb had never been there.
 */
#ifndef HV_KVM_GDB_H
#define HV_KVM_GDB_H

#include "kvm.h"

/* Main thread, before the sandbox: listen on 127.0.0.1:port, say so on
 * stderr, and wait for gdb's connection. 0 or an exit status after a
 * one-line message. */
int kvm_gdb_attach(struct kvm_guest *k, unsigned port);
/* The vCPU thread, before the first KVM_RUN: route the socket's arrivals
 * to this thread as kicks, turn guest debugging on and serve gdb until it
 * resumes the guest (k->limit is SIGKILL if gdb killed it). */
void kvm_gdb_start(struct kvm_guest *k);
/* KVM_EXIT_DEBUG while gdb is attached: a breakpoint or a step. */
void kvm_gdb_debug_exit(struct kvm_guest *k);
/* An emulation failure while gdb is attached: 1 if it was one of gdb's
 * int3s (a host that emulates guest ring 0 cannot run int3 there: KVM's
 * emulator does not do INT in long mode), now served as a breakpoint; 0
 * if it is the guest's own failure. */
int kvm_gdb_emulation_failure(struct kvm_guest *k);
/* After an interrupted KVM_RUN: a ^C from gdb stops the guest; a closed
 * connection detaches. */
void kvm_gdb_poll(struct kvm_guest *k);
/* The guest ended: tell gdb how (W or X), close. */
void kvm_gdb_end(struct kvm_guest *k);
/* Free what attach made if the guest never ran. */
void kvm_gdb_close(struct kvm_guest *k);

#endif
