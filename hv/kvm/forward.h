/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/forward.h: what the three files behind hv_plat_forward share:
 * forward.c (the dispatch), files.c (the descriptor table) and paths.c
 * (guest paths under --root). Nothing else in hv/kvm needs it: exo opens
 * and closes the table through kvm.h.
 */
#ifndef HV_KVM_FORWARD_H
#define HV_KVM_FORWARD_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "kvm.h"

/* The kernel's layouts, as hv/core/forward.c sizes them. */
#define STAT_BYTES 144
#define STATX_BYTES 256
#define TIMESPEC_BYTES 16
#define UTSNAME_BYTES 390
#define UTS_FIELD 65
#define FLOCK_BYTES 32
#define TERMIOS_BYTES 36
#define WINSIZE_BYTES 8
_Static_assert(sizeof(struct stat) == STAT_BYTES, "struct stat is the kernel's");
_Static_assert(sizeof(struct flock) == FLOCK_BYTES, "struct flock is the kernel's");

/* forward.c: a host call's result as the guest gets it: rc, or -errno. */
int64_t kvm_sys(long rc);
/* Host descriptor fd (taken over) moved above 0-2, or -errno. */
int kvm_high(int fd);

/* files.c: the descriptor table. The host descriptor behind guest fd gfd,
 * or -EBADF; the lowest free guest number at or above from, or -EMFILE;
 * h (taken over) given the lowest free number at or above from; a copy of
 * guest fd gfd (its console mark too) given one. Each returns the guest
 * number or -errno. */
int kvm_host_fd(const struct kvm_files *f, int64_t gfd);
int kvm_lowest_free(const struct kvm_files *f, uint32_t from);
int64_t kvm_install(struct kvm_files *f, int h, uint32_t from, int cloexec);
int64_t kvm_dup_to(struct kvm_files *f, int64_t gfd, uint32_t from, int cloexec);

/* files.c: the calls on descriptors; ioctl's h is the host descriptor. */
int64_t kvm_fwd_dup3(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_fcntl(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_pipe2(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_close(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_ioctl(int h, const struct hv_fwd *c);

/* paths.c: openat2 of a guest path under the root, the one way a guest
 * path reaches the host; and the guest's name for host descriptor h. */
int kvm_in_root(const struct kvm_files *f, const char *path, uint64_t flags, uint64_t mode);
int kvm_guest_path(const struct kvm_files *f, int h, char *out, size_t size);

/* paths.c: the calls on paths. renameat2 and faccessat take the call's
 * flags apart: renameat and plain faccessat, which have none, pass 0. */
int64_t kvm_fwd_openat(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_mkdirat(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_unlinkat(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_renameat2(struct kvm_files *f, const struct hv_fwd *c, unsigned flags);
int64_t kvm_fwd_readlinkat(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_newfstatat(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_statx(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_faccessat(struct kvm_files *f, const struct hv_fwd *c, int flags);
int64_t kvm_fwd_fchmodat(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_utimensat(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_chdir(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_fchdir(struct kvm_files *f, const struct hv_fwd *c);
int64_t kvm_fwd_getcwd(struct kvm_files *f, const struct hv_fwd *c);

#endif
