/*
 * fuzz_gw_rest.c - the REST handlers on arbitrary request bodies and
 * paths, with no store (answers come at once).  Input: one byte method
 * (even GET, odd POST), a path up to the first NUL, then the body.  Every
 * request must get an answer with a valid status and JSON text.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gw_server srv;

static void
setup(void)
{
	struct gw_auth_config ac = {.guest_secret = "fuzz"};
	if (gw_auth_new(&ac, NULL, &srv.auth, NULL, 0) != TC_OK ||
	    gw__problems_load(NULL, &srv.problems) != TC_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (srv.auth == NULL)
		setup();
	if (size < 2)
		return 0;
	const char *p = (const char *)data + 1;
	const char *nul = memchr(p, '\0', size - 1);
	size_t plen = nul != NULL ? (size_t)(nul - p) : size - 1;
	char *path = malloc(plen + 6);
	if (path == NULL)
		return 0;
	memcpy(path, "/api/", 5);
	memcpy(path + 5, p, plen);
	path[plen + 5] = '\0';
	const char *body = nul != NULL ? nul + 1 : NULL;
	size_t blen = nul != NULL ? size - 1 - plen - 1 : 0;
	struct gw_request rq = {(data[0] & 1) ? GW_POST : GW_GET, path, "", body, blen, NULL, 0};
	struct gw_reply *r = NULL;
	gw__api_handle(&srv, &rq, &r);
	if (r == NULL || r->status < 200 || r->status > 599)
		abort();
	json_t *j = json_loadb(r->body, r->len, 0, NULL);
	if (j == NULL)
		abort();
	json_decref(j);
	gw__reply_free(r);
	free(path);
	return 0;
}
