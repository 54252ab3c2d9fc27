/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/mb2.c: reading the multiboot2 boot information.
 *
 * Takes the modules (guest images, with their command lines) and the
 * largest usable RAM range from the memory map. The information comes
 * from the loader, not from a guest, but is still bounds-checked: a
 * malformed tag list is reported, not followed.
 */
#include "metal.h"

#define TAG_END 0
#define TAG_MODULE 3
#define TAG_MMAP 6
#define MMAP_AVAILABLE 1

struct tag {
	uint32_t type, size;
};

int metal_mb2_parse(uint32_t info, struct metal_boot *boot)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)info;
	uint32_t total = *(const uint32_t *)p;
	*boot = (struct metal_boot){ 0 };
	for (uint32_t at = 8; at + sizeof(struct tag) <= total;) {
		const struct tag *t = (const struct tag *)(p + at);
		if (t->size < sizeof *t || t->size > total - at) {
			metal_printf("metal: malformed multiboot2 tag at +%u\n", at);
			return -1;
		}
		if (t->type == TAG_END)
			break;
		if (t->type == TAG_MODULE && t->size >= 17) {
			const uint32_t *m = (const uint32_t *)(t + 1);
			if (boot->nmod == METAL_MODULES_MAX) {
				metal_printf("metal: more than %d modules\n", METAL_MODULES_MAX);
				return -1;
			}
			boot->mod[boot->nmod++] = (struct metal_module){
				.start = m[0], .end = m[1], .cmdline = (const char *)(m + 2),
			};
		}
		if (t->type == TAG_MMAP && t->size >= 16) {
			uint32_t esize = ((const uint32_t *)(t + 1))[0];
			for (uint32_t e = 16; esize >= 24 && e + esize <= t->size; e += esize) {
				const uint64_t *ent = (const uint64_t *)((const uint8_t *)t + e);
				uint32_t type = ((const uint32_t *)ent)[4];
				if (type == MMAP_AVAILABLE && ent[1] > boot->ram_end - boot->ram_start) {
					boot->ram_start = ent[0];
					boot->ram_end = ent[0] + ent[1];
				}
			}
		}
		at += (t->size + 7) & ~7u;
	}
	if (boot->ram_end == 0) {
		metal_printf("metal: no usable RAM in the multiboot2 memory map\n");
		return -1;
	}
	return 0;
}
