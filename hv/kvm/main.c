/*
 * hv/kvm/main.c: the exo command.
 *
 * Ties the kvm platform together for one guest: parse the command line,
 * read the image, make the pool and the VM, let hv/core load the image,
 * run, and turn how the guest ended into exo's exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"

static int run(int argc, char **argv)
{
	struct kvm_options o;
	struct kvm_pool pool;
	struct kvm_vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
	struct hv_image img;
	struct hv_boot boot = { 0 };
	uint8_t *buf = NULL;
	uint64_t len;
	const char *why;
	int rc;
	uint64_t t0 = kvm_now_ns();

	if ((rc = kvm_parse_run(argc, argv, &o)))
		return rc;
	if ((rc = kvm_image_read(o.image, o.mem_bytes, &buf, &len, &img)))
		return rc;
	if ((rc = kvm_pool_create(&pool, o.pool_bytes)))
		goto out;
	if ((rc = kvm_vm_create(&vm, &pool)))
		goto out;
	hv_guest_init(&vm.g, &pool.core, 1, o.mem_bytes / EXO_PAGE_SIZE);
	vm.g.plat = &vm;
	vm.g.exo = (struct exo_page *)vm.exo_area;
	vm.g.bitmap = vm.exo_area + EXO_PAGE_SIZE;
	vm.g.exo_gpa = pool.bytes;
	if (hv_boot_load(&vm.g, &img, buf, o.argc, o.argv, &boot, &why) < 0) {
		if (boot.need_frames > vm.g.cap_frames)
			rc = kvm_fail(HV_STATUS_IMAGE, "%s: needs %llu KiB with its page tables; "
				      "--mem allows %llu KiB", o.image,
				      (unsigned long long)boot.need_frames * 4,
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
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run(argc - 2, argv + 2);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		puts("usage: exo run [--mem SIZE] [--pool SIZE] [--ring auto|0|3] [--stats] IMAGE [ARGS...]");
		return 0;
	}
	return kvm_fail(HV_STATUS_USAGE, "%s\nusage: exo run [--mem SIZE] [--pool SIZE] "
			"[--ring auto|0|3] [--stats] IMAGE [ARGS...]",
			argc < 2 ? "missing command" : "unknown command");
}
