/*
 * guestlib/src/start.c: from hv's entry to main() and back.
 *
 * Records where the exo page and the image are (exo_gpa needs both), takes
 * over the CPU's descriptor tables, turns the exo page's packed arguments
 * into argv, and exits with main's return value.
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

static const struct exo_page *page;
static char *argv[EXO_ARGC_MAX + 1];

const struct exo_page *exo_page(void)
{
	return page;
}

/* The root hv built; library OSes edit its tables but keep the root. */
static uint64_t root_gpa;

uint64_t exo_gpa(const void *p)
{
	uint64_t va = (uint64_t)(uintptr_t)p;
	if (va - page->image_vaddr < page->image_bytes)
		return page->image_gpa + (va - page->image_vaddr);
	if (va - EXO_PHYSMAP_BASE < (512ull << 30))
		return va - EXO_PHYSMAP_BASE;
	/* Anywhere else (a library OS's lower half): through the tables. */
	uint64_t table = root_gpa;
	for (int level = 3; level >= 0; level--) {
		const uint64_t *t = (const uint64_t *)(uintptr_t)(EXO_PHYSMAP_BASE + table);
		uint64_t e = t[(va >> (12 + 9 * level)) & 511], size = 1ull << (12 + 9 * level);
		if (!(e & 1))
			return EXO_GPA_NONE;
		if (level == 0 || (e & (1u << 7)))
			return (e & 0x000ffffffffff000ull & ~(size - 1)) + (va & (size - 1));
		table = e & 0x000ffffffffff000ull;
	}
	return EXO_GPA_NONE;
}

int exo_gpa_contiguous(const void *p)
{
	uint64_t va = (uint64_t)(uintptr_t)p;
	return va - page->image_vaddr < page->image_bytes || va - EXO_PHYSMAP_BASE < (512ull << 30);
}

int exo_owns(uint64_t f)
{
	const uint8_t *bits = (const uint8_t *)(uintptr_t)(EXO_PHYSMAP_BASE + page->bitmap_gpa);
	return f < page->pool_frames && (bits[f / 8] >> (f % 8)) & 1;
}

void exo_start(const struct exo_page *p)
{
	page = p;
	__asm__ volatile("mov %%cr3, %0" : "=r"(root_gpa));
	root_gpa &= 0x000ffffffffff000ull;
	exo_cpu_init();
	char *s = (char *)(uintptr_t)p->args; /* read-only: argv strings too */
	for (uint32_t i = 0; i < p->argc; i++) {
		argv[i] = s;
		s += strlen(s) + 1;
	}
	exo_exit(main((int)p->argc, argv));
}
