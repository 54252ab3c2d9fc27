/*
 * hv/kvm/main.c: the exo command.
 *
 * Ties the kvm platform together for one guest: parse the command line,
 * read the image, make the pool and the VM, let hv/core load the image,
 * run, and turn how the guest ended into exo's exit status.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

/* The environment a program starts with: a clean, documented default
 * (README.md), then each --env in order, replacing a default of the same
 * name. */
static const char *const env_default[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LANG=C",
};

static int build_env(const struct kvm_options *o, char **env)
{
	int n = 0;
	for (unsigned d = 0; d < sizeof env_default / sizeof env_default[0]; d++) {
		size_t klen = strchr(env_default[d], '=') - env_default[d] + 1;
		int overridden = 0;
		for (int i = 0; i < o->envc; i++)
			overridden |= !strncmp(o->envp[i], env_default[d], klen);
		if (!overridden)
			env[n++] = (char *)env_default[d];
	}
	for (int i = 0; i < o->envc; i++)
		env[n++] = o->envp[i];
	return n;
}

/* posix-shim's image: beside exo in the build tree (build/exo and
 * build/posix-shim/shim), or where EXO_SHIM says. */
static int shim_path(char *path, size_t size)
{
	const char *env = getenv("EXO_SHIM");
	if (env && *env) {
		snprintf(path, size, "%s", env);
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", path, size - 1);
	if (n <= 0)
		return -1;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) + sizeof "/posix-shim/shim" > size)
		return -1;
	strcpy(slash, "/posix-shim/shim");
	return 0;
}

static int run(int argc, char **argv)
{
	struct kvm_options o;
	struct kvm_pool pool = { .memfd = -1 };
	struct kvm_vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
	struct hv_image img;
	struct hv_boot boot = { 0 };
	struct hv_boot_args args = { 0 };
	uint8_t *buf = NULL, *program = NULL;
	uint64_t len, program_len = 0;
	char shim[4096];
	char *env[EXO_ARGC_MAX + sizeof env_default / sizeof env_default[0]];
	const char *why;
	int rc;
	uint64_t t0 = kvm_now_ns();

	for (unsigned i = 0; i < EXO_FWD_FDS; i++)
		vm.files.fd[i] = -1;
	vm.files.root = vm.files.cwd = -1;
	if ((rc = kvm_parse_run(argc, argv, &o)))
		return rc;
	if ((rc = kvm_image_read(o.image, o.mem_bytes, &buf, &len, &img)))
		return rc;
	if (img.kind == HV_IMAGE_PROGRAM) {
		/* A program: the guest is posix-shim, which loads it. */
		program = buf, program_len = len, buf = NULL;
		if (shim_path(shim, sizeof shim) < 0) {
			rc = kvm_fail(HV_STATUS_HOST, "cannot find posix-shim's image (set EXO_SHIM)");
			goto out;
		}
		if ((rc = kvm_image_read(shim, o.mem_bytes, &buf, &len, &img)))
			goto out;
		if (img.kind != HV_IMAGE_GUEST) {
			rc = kvm_fail(HV_STATUS_IMAGE, "%s: not posix-shim's guest image", shim);
			goto out;
		}
		args.envc = build_env(&o, env);
		args.envp = env;
		args.payload = program;
		args.payload_bytes = program_len;
	}
	args.argc = o.argc;
	args.argv = o.argv;
	if ((rc = kvm_files_open(&vm.files, o.root)))
		goto out;
	if ((rc = kvm_pool_create(&pool, o.pool_bytes)))
		goto out;
	if ((rc = kvm_vm_create(&vm, &pool)))
		goto out;
	hv_guest_init(&vm.g, &pool.core, 1, o.mem_bytes / EXO_PAGE_SIZE);
	vm.g.plat = &vm;
	vm.g.exo = (struct exo_page *)vm.exo_area;
	vm.g.bitmap = vm.exo_area + EXO_PAGE_SIZE;
	vm.g.exo_gpa = pool.bytes;
	if (hv_boot_load(&vm.g, &img, buf, &args, &boot, &why) < 0) {
		if (boot.need_frames > vm.g.cap_frames)
			rc = kvm_fail(HV_STATUS_IMAGE, "%s: needs %llu KiB with its page tables%s; "
				      "--mem allows %llu KiB", o.image,
				      (unsigned long long)boot.need_frames * 4,
				      program ? " and posix-shim" : "",
				      (unsigned long long)vm.g.cap_frames * 4);
		else
			rc = kvm_fail(HV_STATUS_IMAGE, "%s: %s", o.image, why);
		goto out;
	}
	vm.g.exo->flags = o.stats ? EXO_PAGE_F_STATS : 0;
	vm.g.exo->ring_request = o.ring;
	vm.g.exo->tsc_khz = kvm_tsc_khz(&vm);
	if ((rc = kvm_vm_boot(&vm, &boot)))
		goto out;
	rc = kvm_run_guest(&vm, o.stats, t0);
out:
	kvm_vm_destroy(&vm);
	kvm_pool_destroy(&pool);
	kvm_files_close(&vm.files);
	free(buf);
	free(program);
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
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run(argc - 2, argv + 2);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		puts(KVM_USAGE);
		return 0;
	}
	return kvm_fail(HV_STATUS_USAGE, "%s\n" KVM_USAGE,
			argc < 2 ? "missing command" : "unknown command");
}
