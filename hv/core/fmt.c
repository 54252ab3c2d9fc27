/* SPDX-License-Identifier: MIT */
/*
 * hv/core/fmt.c: hv's one formatter.
 *
 * hv/core cannot use libc (metal has none), and its reports must read the
 * same on both platforms, so it formats for itself: the conversions hv's
 * messages use and nothing more (%s %c %d %i %u %x %p, l/ll/z sizes, a
 * field width, 0-padding). Output is always NUL-terminated and cut at the
 * buffer's end.
 */
#include "core.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void number(struct out *o, uint64_t v, unsigned base, int neg, int width, char pad)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg && pad == '0')
		put(o, '-');
	else if (neg)
		digits[n++] = '-';
	width -= neg && pad == '0';
	while (width-- > n)
		put(o, pad);
	while (n--)
		put(o, digits[n]);
}

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, longs = 0;
		if (*++fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			longs++;
		int64_t sv;
		uint64_t uv;
		const char *s;
		switch (*fmt) {
		case 'd':
		case 'i':
			sv = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			number(&o, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, 10, sv < 0, width, pad);
			break;
		case 'u':
		case 'x':
			uv = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			number(&o, uv, *fmt == 'u' ? 10 : 16, 0, width, pad);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			number(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, width, pad);
			break;
		case 's':
			s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++, width--)
				put(&o, *s);
			while (width-- > 0)
				put(&o, ' ');
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			if (!*fmt)
				goto done;
			put(&o, *fmt);
		}
	}
done:
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)(o.len < size ? o.len : (size ? size - 1 : 0));
}

int hv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = hv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
