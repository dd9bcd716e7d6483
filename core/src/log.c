/*
 * Design notes: each record is formatted into a bounded stack buffer and
 * written with one write(2), so concurrent records never interleave and
 * logging never allocates.  Text that does not fit is cut and marked with
 * "truncated":true.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define LOG_LINE_MAX 4096

static atomic_int log_level = -1; /* -1: not read from the environment yet */
static atomic_int log_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

int
tc_log_level_parse(const char *name, enum tc_log_level *out)
{
	for (int i = 0; i <= TC_LOG_OFF; i++) {
		if (name != NULL && strcmp(name, level_names[i]) == 0) {
			*out = (enum tc_log_level)i;
			return 0;
		}
	}
	return -1;
}

enum tc_log_level
tc_log_get_level(void)
{
	int lvl = atomic_load_explicit(&log_level, memory_order_relaxed);
	if (lvl < 0) {
		enum tc_log_level parsed = TC_LOG_INFO;
		const char *env = getenv("TANDEM_LOG_LEVEL");
		if (env != NULL)
			(void)tc_log_level_parse(env, &parsed);
		int expected = -1;
		atomic_compare_exchange_strong(&log_level, &expected, (int)parsed);
		lvl = atomic_load(&log_level);
	}
	return (enum tc_log_level)lvl;
}

void
tc_log_set_level(enum tc_log_level level)
{
	atomic_store(&log_level, (int)level);
}

void
tc_log_set_fd(int fd)
{
	atomic_store(&log_fd, fd);
}

struct line {
	char buf[LOG_LINE_MAX];
	size_t len;
	int truncated;
};

static void
line_putc(struct line *l, char c)
{
	/* Keep room for the closing "}\n" and the truncation marker. */
	if (l->len + 40 >= sizeof(l->buf)) {
		l->truncated = 1;
		return;
	}
	l->buf[l->len++] = c;
}

static void
line_puts(struct line *l, const char *s)
{
	while (*s != '\0')
		line_putc(l, *s++);
}

static void
line_put_escaped(struct line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"':
			line_puts(l, "\\\"");
			break;
		case '\\':
			line_puts(l, "\\\\");
			break;
		case '\n':
			line_puts(l, "\\n");
			break;
		case '\r':
			line_puts(l, "\\r");
			break;
		case '\t':
			line_puts(l, "\\t");
			break;
		default:
			if (c < 0x20) {
				line_puts(l, "\\u00");
				line_putc(l, hex[c >> 4]);
				line_putc(l, hex[c & 15]);
			} else {
				line_putc(l, (char)c);
			}
		}
	}
}

static void
line_begin(struct line *l, enum tc_log_level level, const char *comp)
{
	struct timespec ts;
	struct tm tm;
	char stamp[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	l->len = 0;
	l->truncated = 0;
	line_puts(l, "{\"ts\":\"");
	line_puts(l, stamp);
	line_puts(l, "\",\"level\":\"");
	line_puts(l, level_names[level]);
	line_puts(l, "\",\"comp\":\"");
	line_put_escaped(l, comp != NULL ? comp : "-");
	line_puts(l, "\",\"msg\":\"");
}

static void
line_end_write(struct line *l)
{
	const char *tail = l->truncated ? ",\"truncated\":true}\n" : "}\n";
	size_t n = strlen(tail);
	memcpy(l->buf + l->len, tail, n);
	l->len += n;
	int fd = atomic_load(&log_fd);
	size_t off = 0;
	while (off < l->len) {
		ssize_t w = write(fd, l->buf + off, l->len - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

void
tc_log(enum tc_log_level level, const char *comp, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	struct line l;
	va_list ap;

	if (level < tc_log_get_level() || level >= TC_LOG_OFF)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_begin(&l, level, comp);
	line_put_escaped(&l, msg);
	line_putc(&l, '"');
	line_end_write(&l);
}

void
tc_log_kv(
    enum tc_log_level level, const char *comp, const char *msg, const char *const *kv, int nkv)
{
	struct line l;

	if (level < tc_log_get_level() || level >= TC_LOG_OFF)
		return;
	line_begin(&l, level, comp);
	line_put_escaped(&l, msg != NULL ? msg : "");
	line_putc(&l, '"');
	for (int i = 0; i < nkv; i++) {
		line_puts(&l, ",\"");
		line_put_escaped(&l, kv[2 * i] != NULL ? kv[2 * i] : "");
		line_puts(&l, "\":\"");
		line_put_escaped(&l, kv[2 * i + 1] != NULL ? kv[2 * i + 1] : "");
		line_putc(&l, '"');
	}
	line_end_write(&l);
}
