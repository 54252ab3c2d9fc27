/*
 * hv/kvm/kvm.h: the kvm platform's internal interface.
 *
 * The kvm platform runs hv/core in a Linux process and borrows Linux KVM's
 * VMX (or SVM) root: one KVM VM and vCPU per guest, the frame pool as a
 * memfd, and a guest view of the pool whose pages are mapped only where the
 * guest owns the frame. Errors are reported here, once, as one line on
 * stderr; callers return the documented exit status.
 */
#ifndef HV_KVM_H
#define HV_KVM_H

#include <stdint.h>

#include "../core/core.h"

/* The frame pool: a memfd and hv's own read-write mapping of all of it. */
struct kvm_pool {
	int memfd;
	uint64_t bytes;
	uint8_t *host;
	uint32_t *owner;
	struct hv_pool core;
};

/* The host side of a guest's forwarded calls (forward.c, files.c, paths.c;
 * what they share is in forward.h): its descriptor table and the directory
 * its paths resolve under, as "/". */
struct kvm_files {
	int root;                 /* O_PATH|O_DIRECTORY descriptor of --root */
	char root_path[4096];     /* its canonical host path, for getcwd */
	int cwd;                  /* O_PATH descriptor of the guest's cwd */
	int fd[EXO_FWD_FDS];      /* guest descriptor -> host descriptor, -1 free */
	uint8_t cloexec[EXO_FWD_FDS];
};

/* One guest: its VM, vCPU, and its view of the pool. */
struct kvm_vm {
	struct kvm_pool *pool;
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	uint64_t run_bytes;
	uint8_t *view;      /* guest view: PROT_NONE except owned frames */
	uint8_t *exo_area;  /* hv's writable copy of the read-only exo area */
	uint64_t exo_bytes;
	struct kvm_files files;
	struct hv_guest g;
};

struct kvm_options {
	uint64_t mem_bytes, pool_bytes;
	int stats;
	uint32_t ring;   /* EXO_RING_*, passed to the guest's library OS */
	const char *image;
	int argc;        /* guest argv, argv[0] = image */
	char **argv;
	const char *root; /* --root: a program's "/" (default ".") */
	int envc;         /* --env K=V, in order */
	char *envp[EXO_ARGC_MAX];
};

/* The command line, as usage messages and --help print it. */
#define KVM_USAGE "usage: exo run [--mem SIZE] [--pool SIZE] [--ring auto|0|3] [--stats] " \
	"[--root DIR] [--env K=V]... IMAGE [ARGS...]"

/* cli.c: parse "64M", "1G", "4096"; 0 or -1 with *why set. */
int kvm_parse_size(const char *s, uint64_t *bytes, const char **why);
/* Parse `exo run ...` into opts; returns 0 or an exit status. */
int kvm_parse_run(int argc, char **argv, struct kvm_options *opts);

/* pool.c */
int kvm_pool_create(struct kvm_pool *pool, uint64_t bytes);
void kvm_pool_destroy(struct kvm_pool *pool);
int kvm_view_create(struct kvm_vm *vm);

/* vm.c: open /dev/kvm, create the VM and vCPU, slots, CPU state. */
int kvm_vm_create(struct kvm_vm *vm, struct kvm_pool *pool);
int kvm_vm_boot(struct kvm_vm *vm, const struct hv_boot *boot);
void kvm_vm_destroy(struct kvm_vm *vm);
int kvm_first_step(struct kvm_vm *vm, int on);
/* The guest's TSC frequency in kHz, 0 if KVM cannot say. */
uint64_t kvm_tsc_khz(struct kvm_vm *vm);

/* image.c: read and validate IMAGE; 0 or HV_STATUS_IMAGE. */
int kvm_image_read(const char *path, uint64_t cap_bytes, uint8_t **buf,
		   uint64_t *len, struct hv_image *img);

/* files.c: open root (a directory) as the guest's "/" and cwd, and give
 * the guest descriptors 0-2 as copies of exo's own. 0, or an exit status
 * after a one-line message. close: every descriptor the guest held. */
int kvm_files_open(struct kvm_files *f, const char *root);
void kvm_files_close(struct kvm_files *f);

/* run.c: run the guest until it ends; returns the exit status. With stats,
 * prints --stats, timed from t0 (when exo started). */
int kvm_run_guest(struct kvm_vm *vm, int stats, uint64_t t0);

/* Report helpers: "exo: " + message on stderr, return status. */
int kvm_fail(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

uint64_t kvm_now_ns(void);

#endif
