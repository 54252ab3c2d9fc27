/*
 * hv/metal/console.c: hv/metal's console.
 *
 * Every byte goes to port 0xE9 (Bochs's and QEMU's debug console, which
 * the test harness reads) and to COM1 (a real serial line). Formatting is
 * a small printf: %s %c %d %u %x %lx %lu %ld %p and a width with 0.
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

static void number(uint64_t v, unsigned base, int neg, int width, char pad)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		digits[n++] = '-';
	while (width-- > n)
		metal_putc(pad);
	while (n--)
		metal_putc(digits[n]);
}

int metal_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			metal_putc(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, longs = 0;
		if (*++fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l')
			longs++, fmt++;
		int64_t sv;
		uint64_t uv;
		const char *s;
		switch (*fmt) {
		case 'd':
			sv = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			number(sv < 0 ? -(uint64_t)sv : (uint64_t)sv, 10, sv < 0, width, pad);
			break;
		case 'u':
		case 'x':
			uv = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			number(uv, *fmt == 'u' ? 10 : 16, 0, width, pad);
			break;
		case 'p':
			metal_write("0x", 2);
			number((uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, width, pad);
			break;
		case 's':
			for (s = va_arg(ap, const char *); s && *s; s++)
				metal_putc(*s);
			break;
		case 'c':
			metal_putc((char)va_arg(ap, int));
			break;
		default:
			metal_putc('%');
			if (*fmt)
				metal_putc(*fmt);
			else
				return 0;
		}
	}
	return 0;
}

int metal_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	metal_vprintf(fmt, ap);
	va_end(ap);
	return 0;
}
