/* SPDX-License-Identifier: MIT */
/*
 * guestlib/src/printf.c: formatted output for guests.
 *
 * exo_printf formats into a buffer on the stack and writes it with one
 * console hypercall per buffer-full: one exit per line, typically, not one
 * per character.
 */
#include <stdarg.h>

#include "exo/exo.h"

struct sink {
	char *buf;
	size_t size, len; /* len counts every byte produced, kept or not */
	int console;      /* flush full buffers to the console */
	int64_t err;
};

static void flush(struct sink *s)
{
	size_t n = s->len < s->size ? s->len : s->size;
	if (s->console && n) {
		int64_t rc = exo_console_write(s->buf, n);
		if (rc < 0)
			s->err = rc;
	}
}

static void put(struct sink *s, char c)
{
	if (s->console && s->len == s->size) {
		flush(s);
		s->len = 0;
	}
	if (s->len < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void put_num(struct sink *s, uint64_t v, unsigned base, int upper, int neg,
		    int width, char pad, int left)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	if (neg && pad == '0') { /* the sign goes before zero padding */
		put(s, '-');
		n--;
		width--;
	}
	int fill = width > n ? width - n : 0;
	if (!left)
		while (fill--)
			put(s, pad);
	while (n--)
		put(s, tmp[n]);
	if (left)
		while (fill-- > 0)
			put(s, ' ');
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(s, *fmt);
			continue;
		}
		fmt++;
		int left = 0, width = 0, lng = 0;
		char pad = ' ';
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l' || *fmt == 'z')
				lng++;
			else if (*fmt != 'h')
				break;
		}
		uint64_t u;
		int64_t i;
		switch (*fmt) {
		case 'd':
		case 'i':
			i = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(s, i < 0 ? -(uint64_t)i : (uint64_t)i, 10, 0, i < 0, width, pad, left);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			put_num(s, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0, width, pad, left);
			break;
		case 'p':
			put(s, '0');
			put(s, 'x');
			put_num(s, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, 0, width, pad, left);
			break;
		case 'c':
			put(s, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int n = (int)strlen(str);
			for (int f = width - n; !left && f > 0; f--)
				put(s, ' ');
			while (*str)
				put(s, *str++);
			for (int f = width - n; left && f > 0; f--)
				put(s, ' ');
			break;
		}
		case '%':
			put(s, '%');
			break;
		case '\0':
			return;
		default:
			put(s, '%');
			put(s, *fmt);
		}
	}
}

int exo_vprintf(const char *fmt, va_list ap)
{
	char buf[256];
	struct sink s = { .buf = buf, .size = sizeof buf, .console = 1 };
	format(&s, fmt, ap);
	flush(&s);
	return s.err < 0 ? (int)s.err : 0;
}

int exo_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = exo_vprintf(fmt, ap);
	va_end(ap);
	return rc;
}

int exo_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .size = size };
	format(&s, fmt, ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

int exo_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = exo_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int exo_notice(const char *fmt, ...)
{
	static char buf[EXO_NOTICE_MAX]; /* in the image: see exo_gpa */
	static struct exo_hc_console a;
	va_list ap;
	exo_mask();
	va_start(ap, fmt);
	int n = exo_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	a = (struct exo_hc_console){ .buf_gpa = exo_gpa(buf),
				     .len = n < 0 ? 0 : (uint64_t)n < sizeof buf ? (uint64_t)n : sizeof buf - 1 };
	int rc = (int)exo_hypercall(EXO_HC_NOTICE, &a);
	exo_unmask();
	return rc;
}

int exo_puts(const char *s)
{
	return exo_printf("%s\n", s);
}
