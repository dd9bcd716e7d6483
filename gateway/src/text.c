/*
 * text.c - paths, MIME types, query strings and Origin checks: the text
 * the gateway takes from HTTP requests before it touches a file or a room.
 */
#include <string.h>
#include <strings.h>

#include "gw_priv.h"

enum tc_err
gw__path_clean(const char *uri, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = uri;

	if (uri == NULL || out == NULL || cap == 0 || uri[0] != '/')
		return TC_EINVAL;
	out[0] = '\0';
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		const char *seg = p;
		while (*p != '\0' && *p != '/')
			p++;
		size_t n = (size_t)(p - seg);
		if (n == 1 && seg[0] == '.')
			continue;
		if (seg[0] == '.')
			return TC_EPERM; /* "..", and hidden files such as .env */
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)seg[i];
			if (c < 0x20 || c == 0x7f || c == '\\')
				return TC_EPERM;
		}
		if (o + n + 2 > cap || o + n + 1 > GW_PATH_MAX)
			return TC_ETOOBIG;
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, seg, n);
		o += n;
		out[o] = '\0';
	}
	return TC_OK;
}

static const struct {
	const char *ext;
	const char *type;
} mime_table[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
};

const char *
gw__mime_type(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	if (dot != NULL) {
		for (size_t i = 0; i < sizeof(mime_table) / sizeof(mime_table[0]); i++)
			if (strcasecmp(dot + 1, mime_table[i].ext) == 0)
				return mime_table[i].type;
	}
	return "application/octet-stream";
}

bool
gw__spa_route(const char *rel)
{
	const char *slash = strrchr(rel, '/');
	const char *base = slash != NULL ? slash + 1 : rel;
	return strchr(base, '.') == NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum tc_err
gw__query_get(
    const char *query, size_t len, const char *name, char *out, size_t cap, size_t *outlen)
{
	size_t nlen = strlen(name);
	size_t i = 0;

	if (out == NULL || cap == 0)
		return TC_EINVAL;
	while (i < len) {
		size_t start = i;
		while (i < len && query[i] != '&')
			i++;
		const char *pair = query + start;
		size_t plen = i - start;
		i++; /* skip '&' */
		if (plen < nlen + 1 || memcmp(pair, name, nlen) != 0 || pair[nlen] != '=')
			continue;
		size_t o = 0;
		for (size_t j = nlen + 1; j < plen; j++) {
			char c = pair[j];
			if (c == '%') {
				if (j + 2 >= plen)
					return TC_EPROTO;
				int hi = hexval(pair[j + 1]), lo = hexval(pair[j + 2]);
				if (hi < 0 || lo < 0)
					return TC_EPROTO;
				c = (char)(hi * 16 + lo);
				if (c == '\0')
					return TC_EPROTO;
				j += 2;
			} else if (c == '+') {
				c = ' ';
			} else if (c == '\0') {
				return TC_EPROTO;
			}
			if (o + 1 >= cap)
				return TC_ETOOBIG;
			out[o++] = c;
		}
		out[o] = '\0';
		if (outlen != NULL)
			*outlen = o;
		return TC_OK;
	}
	return TC_ENOENT;
}

bool
gw__origin_allowed(
    const char *origin, const char *host, const char *const *origins, size_t norigins)
{
	if (origin == NULL || origin[0] == '\0')
		return true;
	if (norigins > 0) {
		for (size_t i = 0; i < norigins; i++)
			if (strcmp(origins[i], "*") == 0 || strcasecmp(origins[i], origin) == 0)
				return true;
		return false;
	}
	if (host == NULL || host[0] == '\0')
		return false;
	const char *rest = NULL;
	if (strncasecmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else if (strncasecmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	return rest != NULL && strcasecmp(rest, host) == 0;
}
