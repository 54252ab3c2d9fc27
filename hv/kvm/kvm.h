/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/kvm.h: the kvm platform's internal interface.
 *
 * The kvm platform runs hv/core in a Linux process and borrows Linux KVM's
 * VMX (or SVM) root: one KVM VM with one vCPU per guest, each vCPU run by
 * its own thread, and one frame pool for all of them, a memfd. Each guest
 * sees the pool through its own view, whose pages are mapped only where
 * the guest owns the frame or was granted it. Errors are reported here,
 * once, as one line on stderr; callers return the documented exit status.
 *
 * Threads: the main thread parses, sets every guest up, starts one vCPU
 * thread per guest and joins them. A vCPU thread runs its guest's exits,
 * hypercalls and forwarded calls; another guest's thread touches it only
 * through hv/core under the pool lock (grants bind frames into its view,
 * doorbells inject and wake, revocation requests inject and arm its
 * deadline) and through hv_plat_kick.
 */
#ifndef HV_KVM_H
#define HV_KVM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "../core/core.h"

/* The frame pool: a memfd, hv's own read-write mapping of all of it, the
 * tables hv/core keeps about it, and the pool lock. */
struct kvm_pool {
	int memfd;
	uint64_t bytes;
	uint8_t *host;
	uint32_t *owner;
	uint32_t *grant_head;
	struct hv_grant *grant;
	pthread_mutex_t lock;
	int lock_made;
	/* maps.c: where the host's limit on mappings is below this run's
	 * worst case, the frames all views together may have bound (binds
	 * beyond it fail with -EXO_ENOMEM); 0: no such limit. bound: how
	 * many they have. Under the pool lock. */
	uint64_t map_budget, bound;
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
	/* 1 or 2 where the descriptor is a copy of exo's own stdout or
	 * stderr (the guest's initial 1 and 2, and dups of them): with
	 * several guests, writes to it go through the console's prefixer. */
	uint8_t console[EXO_FWD_FDS];
};

/* A guest's output on one of exo's streams, held until a whole line is
 * there (console.c): only with several guests. */
struct kvm_line {
	char *buf;
	uint64_t len, cap;
};

/* One guest's options, after the defaults before the first --guest. */
struct kvm_guest_opts {
	char name[EXO_NAME_MAX + 1];
	const char *name_given; /* --name, or NULL: name is the image's */
	uint64_t mem_bytes;
	uint32_t ring;          /* EXO_RING_*, passed to the guest's library OS */
	const char *root;       /* --root: a program's "/" (default ".") */
	const char *image;
	int argc;               /* guest argv, argv[0] = image */
	char **argv;
	unsigned gdb_port;      /* --gdb PORT (gdb.c); 0: none */
	int envc;               /* --env K=V: the defaults', then its own */
	char *envp[EXO_ARGC_MAX];
	/* The run's limits, the same for every guest (0: none). timeout_ns
	 * of wall time counts from exo's start, cpu_limit_ns of CPU time
	 * from the guest's thread starting it; *_text: as given, for the
	 * report. */
	uint64_t timeout_ns, cpu_limit_ns;
	const char *timeout_text, *cpu_limit_text;
};

/* `exo run`: the options for all guests, then each guest's. */
struct kvm_options {
	uint64_t pool_bytes;
	int stats;
	int several;            /* the --guest form: one or more --guest */
	uint64_t timeout_ns, cpu_limit_ns;     /* --timeout, --cpu-limit; 0: none */
	const char *timeout_text, *cpu_limit_text;
	const char *user;       /* --user: run guests as this user (sandbox.c) */
	int help;               /* --help or -h: print the usage, run nothing */
	int tracing;            /* --trace[=FILE] (trace.c) */
	const char *trace;      /* its FILE; NULL: stderr */
	int nguests;
	struct kvm_guest_opts guest[EXO_GUESTS_MAX - 1];
};

/* One guest: its VM and vCPU, its view of the pool, its host files, its
 * thread and what other threads leave for it. */
struct kvm_gdb;

struct kvm_guest {
	struct kvm_pool *pool;
	const struct kvm_guest_opts *opts;
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	uint64_t run_bytes;
	uint8_t *view;      /* guest view: PROT_NONE except bound frames */
	uint8_t *bound_bits; /* frames bound in the view (maps.c's count) */
	uint8_t *exo_area;  /* hv's writable copy of the read-only exo area */
	uint64_t exo_bytes;
	struct kvm_files files;
	struct kvm_line out, err; /* console.c: partial lines, several guests */
	/* console.c: bytes of console output, and how many of them were
	 * control bytes shown escaped (a terminal's stream), for --stats */
	uint64_t console_bytes, console_escaped;
	/* The vCPU thread (run.c). running: it may be in KVM_RUN, so a kick
	 * must reach it; irq: a vector waiting to be injected (0: none). */
	pthread_t thread;
	atomic_int running;
	atomic_uint irq;
	pthread_cond_t wake;      /* hv_plat_wake: its WAIT is over */
	int waiting;              /* in wait_for_wake; under the pool lock */
	int wake_made;
	timer_t timer;            /* kicks it at its deadline while it runs */
	int timer_made;           /* under the pool lock: others arm it */
	/* CLOCK_MONOTONIC; 0: none. Set by hv_plat_deadline from any thread
	 * (pool lock held), read by its own thread with or without it. */
	_Atomic uint64_t deadline_ns;
	/* CPU slices (slice.c): a timer on the thread's CPU clock that kicks
	 * it when its slice is used up, and that clock's reading then. Its
	 * thread only. */
	timer_t slice_timer;
	int slice_timer_made;
	uint64_t slice_end_cpu_ns;
	/* --timeout and --cpu-limit (limits.c): a timer that kicks it at the
	 * run's wall-clock end, the thread's CPU clock when it started, and
	 * the signal whose number its status carries once a limit ended it
	 * (0: none). Its thread only. */
	timer_t limit_timer;
	int limit_timer_made;
	uint64_t cpu_start_ns;
	int limit;
	/* hv_plat_exception's vector, raised before the next KVM_RUN
	 * (exception.c); its thread only. */
	int exc_due;
	uint32_t exc_vector;
	int stats, stepping;      /* --stats; single-stepping its first instruction */
	int no_msr_filter;        /* cpu.c: the host lacks KVM's MSR filter */
	uint64_t t0, t_first;     /* --stats: exo's start, the first instruction */
	int status;               /* hv_end_status once it ended */
	struct kvm_gdb *gdb;      /* gdb.c: attached gdb, its thread only; NULL: none */
	/* --trace (trace.c): on; a blocked call's text until it wakes */
	int trace;
	char trace_what[384];
	int in_table;             /* in hv/core's guest table (guest.c) */
	/* Until it boots (guest.c): its image, or posix-shim's and the
	 * program it loads, and what it starts with. */
	uint8_t *image, *program;
	uint64_t image_len, program_len;
	struct hv_image img;
	struct hv_boot_args args;
	char *env[EXO_ARGC_MAX + 8];
	struct hv_guest g;
};

/* The command line, as `exo --help` and `exo run --help` print it. */
#define KVM_VERSION "0.1.0"
#define KVM_USAGE \
	"usage: exo run [OPTIONS] IMAGE [ARGS...]\n" \
	"       exo run [OPTIONS] --guest [GUEST OPTIONS] IMAGE [ARGS...] [--guest ...]...\n" \
	"       exo help | exo --help | exo version | exo --version\n" \
	"\n" \
	"Runs IMAGE (a guestlib image, or a static x86-64 program under posix-shim)\n" \
	"in a KVM guest of its own; ARGS after IMAGE are the guest's, never exo's.\n" \
	"Every option that takes a value takes it as --opt VALUE or --opt=VALUE.\n" \
	"\n" \
	"OPTIONS (the whole run):\n" \
	"  --pool SIZE          the frame pool all guests share (default: the larger of\n" \
	"                       256M and the sum of the guests' --mem)\n" \
	"  --stats              on exit, print each guest's exits, hypercalls and times\n" \
	"  --trace[=FILE]       one line per exit or hypercall, to FILE (default stderr)\n" \
	"  --timeout SECONDS    wall-clock limit for the run (status 142)\n" \
	"  --cpu-limit SECONDS  CPU time each guest may use (status 152)\n" \
	"  --user NAME          run the guests as this user\n" \
	"  -h, --help           print this and exit\n" \
	"GUEST OPTIONS (defaults for every guest before the first --guest):\n" \
	"  --mem SIZE           the most memory the guest may own (default 64M)\n" \
	"  --ring auto|0|3      where its library OS runs application code\n" \
	"  --root DIR           a program's / (default .)\n" \
	"  --env K=V            add K=V to a program's environment (repeatable)\n" \
	"  --gdb PORT           wait for gdb on 127.0.0.1:PORT (after --guest: that guest)\n" \
	"  --name NAME          after --guest: the guest's name\n" \
	"SIZE: bytes with K, M, G or T (powers of 1024), e.g. 64M; SECONDS: e.g. 10 or 0.5.\n" \
	"SIGINT, SIGTERM and SIGHUP stop every guest; exo then exits 128 + the signal.\n" \
	"Exit statuses and more: README.md, docs/debugging.md."

/* cli.c: parse `exo run ...` into opts; returns 0 or an exit status after
 * a one-line message. */
int kvm_parse_run(int argc, char **argv, struct kvm_options *opts);

/* pool.c: the memfd, hv's mapping, hv/core's tables and the pool lock;
 * one guest's view of the pool and its exo area. */
int kvm_pool_create(struct kvm_pool *pool, uint64_t bytes);
void kvm_pool_destroy(struct kvm_pool *pool);
int kvm_view_create(struct kvm_guest *k);

/* vcpu.c: open /dev/kvm, create the VM and vCPU, slots, CPU state. */
int kvm_vm_create(struct kvm_guest *k, struct kvm_pool *pool);
int kvm_vm_boot(struct kvm_guest *k, const struct hv_boot *boot);
void kvm_vm_destroy(struct kvm_guest *k);
int kvm_first_step(struct kvm_guest *k, int on);
/* The guest's TSC frequency in kHz, 0 if KVM cannot say. */
uint64_t kvm_tsc_khz(struct kvm_guest *k);
/* KVM_RUN may be interrupted by SIGUSR1, which the thread blocks
 * otherwise. 0 or -errno. */
int kvm_vcpu_signals(struct kvm_guest *k);

/* maps.c: the most host memory mappings a run may need, and making sure
 * vm.max_map_count allows them (raising it as root; else 0 or an exit
 * status after a one-line message). */
uint64_t kvm_maps_needed(const struct kvm_options *o);
/* 0 with *budget set (0: none needed), or an exit status. */
int kvm_maps_ensure(const struct kvm_options *o, uint64_t *budget);
/* A bind of n frames from first into k's view within the budget: 0, or
 * -EXO_ENOMEM; the count follows binds and unbinds. Pool lock held. */
int kvm_maps_bind(struct kvm_guest *k, uint64_t first, uint64_t n);
void kvm_maps_unbind(struct kvm_guest *k, uint64_t first, uint64_t n);

/* cpu.c: the CPU a guest sees: KVM's supported CPUID less its paravirtual
 * leaves, and KVM's paravirtual MSRs refused (#GP). After the vCPU is
 * made, before it runs; 0 or an exit status after a one-line message. */
int kvm_cpu_set(struct kvm_guest *k);

/* guest.c: a guest's start, in the order `exo run` keeps for all of them:
 * kvm_guest_read (its image checked, its files opened: nothing runs yet),
 * then, once the pool exists, kvm_guest_create (its VM, its place in the
 * guest table, its image loaded, its vCPU at the entry). Each returns 0 or
 * an exit status after a one-line message. kvm_guest_destroy frees what
 * either made; a guest in the table must have been removed first. */
void kvm_guest_init(struct kvm_guest *k, const struct kvm_guest_opts *o, int stats,
		    uint64_t t0);
int kvm_guest_read(struct kvm_guest *k);
int kvm_guest_create(struct kvm_guest *k, struct kvm_pool *pool);
/* Take it out of the guest table (hv_guest_remove), once; it ended or
 * never ran. */
void kvm_guest_leave(struct kvm_guest *k);
void kvm_guest_destroy(struct kvm_guest *k);

/* image.c: read and validate IMAGE; 0 or HV_STATUS_IMAGE. */
int kvm_image_read(const char *path, uint64_t cap_bytes, uint8_t **buf,
		   uint64_t *len, struct hv_image *img);

/* files.c: open root (a directory) as the guest's "/" and cwd, and give
 * the guest descriptors 0-2 as copies of exo's own. 0, or an exit status
 * after a one-line message. close: every descriptor the guest held. */
int kvm_files_open(struct kvm_files *f, const char *root);
void kvm_files_close(struct kvm_files *f);

/* run.c: the vCPU thread (arg: its struct kvm_guest), which runs the guest
 * until it ends, reports, prints --stats and takes it out of the pool's
 * guest table; k->status is then its exit status. */
void *kvm_run_guest(void *arg);
/* The signal that kicks a vCPU out of KVM_RUN; kvm_kick_init installs its
 * empty handler and blocks it in the calling (main) thread, whose mask
 * every vCPU thread inherits. */
#define KVM_KICK_SIGNAL SIGUSR1
int kvm_kick_init(void);

/* plat.c: set k's deadline timer for k->deadline_ns. Pool lock held. */
void kvm_deadline_timer(struct kvm_guest *k);

/* exception.c: raise the exception hv_plat_exception left (k->exc_due)
 * in the vCPU, to be delivered before the guest's next instruction. Called
 * by its thread just before KVM_RUN. 0 or -errno (KVM refused). */
int kvm_exception_raise(struct kvm_guest *k);

/* slice.c: CPU slices. start: in the vCPU thread, before its first
 * KVM_RUN (0 or -errno); check: after KVM_RUN came back early, ends the
 * slice if it is used up (hv_slice_end, and the CPU given up when hv/core
 * preempts); stop: before the thread ends. */
uint64_t kvm_thread_cpu_ns(void);
int kvm_slice_start(struct kvm_guest *k);
void kvm_slice_check(struct kvm_guest *k);
void kvm_slice_stop(struct kvm_guest *k);

/* limits.c: --timeout and --cpu-limit, run by the guest's own thread.
 * start arms them (0 or -errno); check, after every interrupted KVM_RUN,
 * says whether one is reached (and remembers which in k->limit);
 * wall_end is the CLOCK_MONOTONIC time a wait must end by (0: none); end
 * ends the guest for k->limit with its one-line report; stop disarms. */
int kvm_limits_start(struct kvm_guest *k);
int kvm_limits_check(struct kvm_guest *k);
uint64_t kvm_limits_wall_end(const struct kvm_guest *k);
void kvm_limits_end(struct kvm_guest *k);
void kvm_limits_stop(struct kvm_guest *k);

/* signals.c: SIGINT, SIGTERM and SIGHUP stop every guest. start: after
 * parsing, before any thread or guest is made (0 or an exit status);
 * guests: the guests to stop, once made; caught: the signal that came (0:
 * none); report: after every guest ended, the one line, returning 128 +
 * the signal; end: the waiting thread gone (before k is freed). */
int kvm_signals_start(void);
void kvm_signals_guests(struct kvm_guest *k, int n);
int kvm_signals_caught(void);
int kvm_signals_report(const struct kvm_guest *k, int n);
void kvm_signals_end(void);

/* trace.c: --trace[=FILE]. open: before the sandbox (NULL: stderr), 0 or
 * an exit status; exit: hv_exit with its line (run.c calls it instead
 * when k->trace); wake: a blocked call's line once it returns rax;
 * interrupted: a KVM_RUN cut short. */
int kvm_trace_open(const char *path);
void kvm_trace_close(void);
enum hv_next kvm_trace_exit(struct kvm_guest *k, const struct hv_exit *e, uint64_t *rax);
void kvm_trace_wake(struct kvm_guest *k, uint64_t rax);
void kvm_trace_interrupted(struct kvm_guest *k);

/* stats.c: --stats for a guest that ended. */
void kvm_print_stats(const struct kvm_guest *k, uint64_t t_end);

/* console.c: exo's stdout and stderr, shared by every guest. With several
 * guests (kvm_out_init(1)), a guest's output is held per stream until a
 * whole line is there and printed "NAME: line"; with one, it goes straight
 * through. Lines never interleave. */
void kvm_out_init(int several);
int kvm_out_several(void);
/* 1 when exo's stream (1 or 2) is a terminal: guest bytes to it go
 * through kvm_out_write, which escapes control bytes. */
int kvm_out_tty(int stream);
/* A guest's write of len bytes to stream 1 (stdout) or 2 (stderr). */
void kvm_out_write(struct kvm_guest *k, int stream, const char *buf, uint64_t len);
/* Print what k left without a newline, as a line (it ended). */
void kvm_out_flush(struct kvm_guest *k);
/* Write len bytes to stream as one write, between other lines. */
void kvm_out_raw(int stream, const char *buf, uint64_t len);

/* Report helpers: "exo: " + message on stderr as one line, return status. */
int kvm_fail(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

uint64_t kvm_now_ns(void);

#endif
