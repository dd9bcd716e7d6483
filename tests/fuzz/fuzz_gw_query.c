/*
 * fuzz_gw_query.c - what the gateway reads from a request line and its
 * headers: query strings, URI paths, Origin checks, and the bodies of the
 * session messages it decodes (varUint frame types, CLOSE bodies).
 * Invariants: a cleaned path never holds "..", a leading dot segment or a
 * backslash; decoded values fit their buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char out[256], path[GW_PATH_MAX + 1], reason[124];
	size_t n = 0;
	uint64_t v;
	int code;

	memcpy(s, data, size);
	s[size] = '\0';
	static const char *const names[] = {"token", "from", "limit", "a"};
	for (size_t i = 0; i < 4; i++)
		if (gw__query_get(s, size, names[i], out, sizeof(out), &n) == TC_OK &&
		    (n >= sizeof(out) || strlen(out) != n))
			abort();
	if (gw__path_clean(s, path, sizeof(path)) == TC_OK) {
		if (strstr(path, "..") != NULL &&
		    (strncmp(path, "..", 2) == 0 || strstr(path, "/..")))
			abort();
		if (path[0] == '.' || strstr(path, "/.") != NULL || strchr(path, '\\') != NULL)
			abort();
		(void)gw__mime_type(path);
		(void)gw__spa_route(path);
	}
	(void)gw__origin_allowed(s, "localhost:8080", NULL, 0);
	(void)gw__varuint_decode(data, size, &v, &n);
	if (gw__close_decode(data, size, &code, reason, sizeof(reason)) == TC_OK && code != 1000 &&
	    code != 1011 && (code < 3000 || code > 4999))
		abort();
	free(s);
	return 0;
}
