/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/start.c: from hv's entry to main() and back.
 *
 * Records the exo page (page.c), takes over the CPU's descriptor tables,
 * turns the exo page's packed arguments into argv, and exits with main's
 * return value.
 */
#include "exo/exo.h"
#include "guestlib.h"

/* guestlib's mark (abi.h, EXO_NOTE_*): exo boots an image carrying it as
 * is. It lives here because every image links exo_start. */
__attribute__((section(".note.exo"), aligned(4), used)) static const struct {
	uint32_t namesz, descsz, type;
	char name[4];
	uint32_t version;
} exo_note = { 4, 4, EXO_NOTE_TYPE, EXO_NOTE_NAME, EXO_ABI_VERSION };

/* The stack main() runs on; entry.S knows its size. */
uint8_t exo_boot_stack[16384] __attribute__((aligned(16)));

static char *argv[EXO_ARGC_MAX + 1];

void exo_start(const struct exo_page *p)
{
	exo_page_init(p);
	exo_cpu_init();
	char *s = (char *)(uintptr_t)p->args; /* read-only: argv strings too */
	for (uint32_t i = 0; i < p->argc; i++) {
		argv[i] = s;
		s += strlen(s) + 1;
	}
	exo_exit(main((int)p->argc, argv));
}
