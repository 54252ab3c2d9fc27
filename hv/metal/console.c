/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/console.c: hv/metal's console.
 *
 * Every byte goes to port 0xE9 (Bochs's and QEMU's debug console, which
 * the test harness reads) and to COM1 (a real serial line).
 */
#include "metal.h"

#define COM1 0x3f8

void metal_console_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* divisor latch: 115200 baud */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFOs on */
}

void metal_putc(char c)
{
	outb(0xe9, (uint8_t)c);
	for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
		;
	outb(COM1, (uint8_t)c);
}

void metal_write(const char *s, uint64_t len)
{
	while (len--)
		metal_putc(*s++);
}

/* Formatting is hv/core's (hv_vsnprintf): one formatter for both
 * platforms' reports. A line longer than the buffer is cut. */
int metal_vprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = hv_vsnprintf(buf, sizeof buf, fmt, ap);
	metal_write(buf, (uint64_t)n);
	return n;
}

int metal_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	metal_vprintf(fmt, ap);
	va_end(ap);
	return 0;
}
