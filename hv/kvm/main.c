/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/main.c: the exo command.
 *
 * Ties the kvm platform together: parse the command line, read and check
 * every guest's image (a bad one stops the run before anything starts),
 * make the pool they share and each guest's VM, run each guest on its own
 * thread, and when all have ended turn how they ended into exo's exit
 * status: the status of the first guest on the command line whose status
 * is not 0, or 0. Then hv/core checks that the pool is clean again; if it
 * is not, that is a bug in hv and exo says so and exits HV_STATUS_HOST.
 * SIGINT, SIGTERM or SIGHUP stops every guest (signals.c): one line, and
 * the status is 128 + the signal.
 *
 *   exo run ...                      run guests (cli.c)
 *   exo help, exo -h, exo --help     the usage, on stdout, status 0
 *   exo version, exo --version       "exo VERSION (ABI N)", status 0
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gdb.h"
#include "kvm.h"
#include "sandbox.h"

/* Each guest holds a few host descriptors (its VM, vCPU, root, cwd and
 * copies of 0-2) besides what its program opens: many guests need more
 * than the usual soft limit. 0, or HV_STATUS_HOST when even the hard
 * limit is too low to start them. */
#define FDS_PER_GUEST 8
static int raise_fd_limit(int nguests)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	rlim_t need = (rlim_t)nguests * FDS_PER_GUEST + 16;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		return kvm_fail(HV_STATUS_HOST, "%d guests need about %llu host descriptors; "
				"this process may open %llu (ulimit -n)", nguests,
				(unsigned long long)need, (unsigned long long)rl.rlim_cur);
	return 0;
}

/* Start every guest's thread and wait for all; HV_STATUS_HOST if a thread
 * could not be made (the guests that did start still run to their end). */
static int run_all(struct kvm_guest *k, int n)
{
	if (n == 1) { /* no thread to make: starting one costs more than the guest */
		kvm_run_guest(&k[0]);
		return 0;
	}
	/* n > 1 here. NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI) */
	pthread_t *tid = calloc((size_t)n, sizeof *tid);
	int rc = 0, started = 0;
	if (!tid) {
		rc = kvm_fail(HV_STATUS_HOST, "out of memory");
	} else {
		for (; started < n; started++) {
			int err = pthread_create(&tid[started], NULL, kvm_run_guest, &k[started]);
			if (err) {
				rc = kvm_fail(HV_STATUS_HOST, "cannot start a thread for guest %s: %s",
					      k[started].g.name, strerror(err));
				break;
			}
		}
	}
	for (int i = started; i < n; i++)
		kvm_guest_leave(&k[i]); /* never ran: nobody may find it now */
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	free(tid);
	return rc;
}

static int run(int argc, char **argv)
{
	uint64_t t0 = kvm_now_ns();
	struct kvm_options *o = calloc(1, sizeof *o);
	struct kvm_pool pool = { .memfd = -1 };
	struct kvm_sandbox sb = { 0 };
	struct kvm_guest *k = NULL;
	int rc, n = 0, created = 0, reported = 0;

	if (!o)
		return kvm_fail(HV_STATUS_HOST, "out of memory");
	if ((rc = kvm_parse_run(argc, argv, o)))
		goto out;
	if (o->help) {
		puts(KVM_USAGE);
		goto out;
	}
	kvm_out_init(o->nguests > 1);
	if ((rc = kvm_signals_start()))
		goto out;
	if (o->user && (rc = kvm_sandbox_user(&sb, o->user)))
		goto out;
	if (o->nguests > 1 && (rc = raise_fd_limit(o->nguests)))
		goto out;
	k = calloc((size_t)o->nguests, sizeof *k);
	if (!k) {
		rc = kvm_fail(HV_STATUS_HOST, "out of memory for %d guests", o->nguests);
		goto out;
	}
	for (n = 0; n < o->nguests; n++) {
		kvm_guest_init(&k[n], &o->guest[n], o->stats, t0);
		k[n].trace = o->tracing;
	}
	/* Every image read and checked before anything is made. */
	for (int i = 0; i < n; i++)
		if ((rc = kvm_guest_read(&k[i])))
			goto out;
	uint64_t budget;
	if ((rc = kvm_maps_ensure(o, &budget)) || (rc = kvm_kick_init()) ||
	    (rc = kvm_pool_create(&pool, o->pool_bytes)))
		goto out;
	pool.map_budget = budget;
	for (; created < n; created++)
		if ((rc = kvm_guest_create(&k[created], &pool))) {
			created++; /* it may be in the table */
			goto out;
		}
	/* --gdb: gdb attached before the sandbox, which then allows the
	 * stub's few calls on that connection. */
	for (int i = 0; i < n; i++)
		if (k[i].opts->gdb_port) {
			if ((rc = kvm_gdb_attach(&k[i], k[i].opts->gdb_port)))
				goto out;
			sb.gdb = 1;
		}
	/* --trace=FILE: opened here, written after the sandbox (write is
	 * allowed on any descriptor). */
	if (o->tracing && (rc = kvm_trace_open(o->trace)))
		goto out;
	kvm_signals_guests(k, n);
	if (kvm_signals_caught()) /* before any guest ran */
		goto out;
	/* Everything is made: from here exo needs only what its run loop and
	 * forwarding use (sandbox.c). */
	if ((rc = kvm_sandbox_arm(&sb)) || (rc = run_all(k, n)))
		goto out;
	for (int i = 0; i < n && !rc; i++)
		rc = k[i].status;
	kvm_signals_end();
	if (kvm_signals_caught())
		rc = reported = kvm_signals_report(k, n);
	const char *bug = hv_pool_check(&pool.core);
	if (bug)
		rc = kvm_fail(HV_STATUS_HOST, "internal error in hv: %s", bug);
out:
	kvm_signals_end(); /* nothing if it was already */
	if (kvm_signals_caught() && !reported && (!rc || rc == 128 + kvm_signals_caught()))
		rc = kvm_signals_report(NULL, 0); /* before any guest ran */
	kvm_trace_close();
	for (int i = 0; i < created; i++)
		kvm_guest_leave(&k[i]); /* nothing if its thread did already */
	for (int i = 0; i < n; i++) {
		kvm_gdb_close(&k[i]); /* a guest that never ran */
		kvm_guest_destroy(&k[i]);
	}
	kvm_pool_destroy(&pool);
	free(k);
	free(o);
	return rc;
}

int main(int argc, char **argv)
{
	/* A guest's write to a pipe with no reader is its EPIPE (and its
	 * SIGPIPE, which posix-shim raises), never exo's death; and the modes
	 * a guest asks for are applied as asked (posix-shim applies the
	 * program's umask). */
	signal(SIGPIPE, SIG_IGN);
	umask(0);
	const char *cmd = argc >= 2 ? argv[1] : NULL;
	if (cmd && !strcmp(cmd, "run"))
		return run(argc - 2, argv + 2);
	if (cmd && (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))) {
		puts(KVM_USAGE);
		return 0;
	}
	if (cmd && (!strcmp(cmd, "--version") || !strcmp(cmd, "version"))) {
		printf("exo %s (ABI %u)\n", KVM_VERSION, EXO_ABI_VERSION);
		return 0;
	}
	if (!cmd)
		return kvm_fail(HV_STATUS_USAGE, "missing command: exo run IMAGE runs a guest "
				"(exo help)");
	if (cmd[0] == '-')
		return kvm_fail(HV_STATUS_USAGE, "%s: unknown option (exo --help lists them; "
				"exo run --help, run's)", cmd);
	return kvm_fail(HV_STATUS_USAGE, "%s: unknown command (exo help)", cmd);
}
