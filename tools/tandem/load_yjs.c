/*
 * load_yjs.c - the Yjs update a simulated user sends, written with the
 * room's lib0 and y-protocols codec (actors/yproto.h): appending text after
 * the user's own previous character, awareness, and reading back the text
 * of a relayed edit.  The layout is Yjs's UpdateEncoderV1.
 */
#include <string.h>

#include "load.h"

enum {
	Y_INFO_ORIGIN = 0x80,
	Y_INFO_RIGHT_ORIGIN = 0x40,
	Y_INFO_PARENT_SUB = 0x20,
	Y_CONTENT_STRING = 4,
};

enum tc_err
ld_frame_edit(struct yp_buf *b, uint32_t client, uint64_t *clock, const char *root,
    const char *text, size_t n)
{
	struct yp_buf u;
	enum tc_err rv;

	yp_buf_init(&u, 1024);
	rv = yp_write_var_uint(&u, 1); /* clients */
	if (rv == TC_OK)
		rv = yp_write_var_uint(&u, 1); /* structs of this client */
	if (rv == TC_OK)
		rv = yp_write_var_uint(&u, client);
	if (rv == TC_OK)
		rv = yp_write_var_uint(&u, *clock);
	if (rv == TC_OK && *clock > 0) {
		rv = yp_write_u8(&u, Y_CONTENT_STRING | Y_INFO_ORIGIN);
		if (rv == TC_OK)
			rv = yp_write_var_uint(&u, client);
		if (rv == TC_OK)
			rv = yp_write_var_uint(&u, *clock - 1);
	} else if (rv == TC_OK) {
		rv = yp_write_u8(&u, Y_CONTENT_STRING);
		if (rv == TC_OK)
			rv = yp_write_var_uint(&u, 1); /* the parent is a root type, by name */
		if (rv == TC_OK)
			rv = yp_write_var_bytes(&u, root, strlen(root));
	}
	if (rv == TC_OK)
		rv = yp_write_var_bytes(&u, text, n);
	if (rv == TC_OK)
		rv = yp_write_var_uint(&u, 0); /* empty delete set */
	if (rv == TC_OK)
		rv = yp_frame_sync_encode(b, YP_SYNC_UPDATE, u.data, u.len);
	if (rv == TC_OK)
		*clock += n;
	yp_buf_fini(&u);
	return rv;
}

enum tc_err
ld_frame_awareness(struct yp_buf *b, uint32_t client, uint64_t clock, const char *json)
{
	struct yp_awareness_entry e = {client, clock, json, strlen(json)};
	struct yp_buf a;
	enum tc_err rv;

	yp_buf_init(&a, 1024);
	rv = yp_awareness_encode(&a, &e, 1);
	if (rv == TC_OK)
		rv = yp_frame_awareness_encode(b, a.data, a.len);
	yp_buf_fini(&a);
	return rv;
}

static int
skip_id(struct yp_reader *r)
{
	uint64_t v;
	return yp_read_var_uint(r, &v) == TC_OK && yp_read_var_uint(r, &v) == TC_OK ? 0 : -1;
}

static int
skip_string(struct yp_reader *r)
{
	const uint8_t *s;
	size_t n;
	return yp_read_var_bytes(r, &s, &n) == TC_OK ? 0 : -1;
}

int
ld_update_probe(const uint8_t *p, size_t len, uint32_t *client, const char **text, size_t *textlen)
{
	struct yp_reader r;
	uint64_t nclients, nstructs, cl, clock, parent;
	uint8_t info;

	yp_reader_init(&r, p, len);
	if (yp_read_var_uint(&r, &nclients) || nclients < 1 || yp_read_var_uint(&r, &nstructs) ||
	    nstructs < 1 || yp_read_var_uint(&r, &cl) || yp_read_var_uint(&r, &clock) ||
	    yp_read_u8(&r, &info) || (info & 0x1f) != Y_CONTENT_STRING)
		return -1;
	if ((info & Y_INFO_ORIGIN) && skip_id(&r) != 0)
		return -1;
	if ((info & Y_INFO_RIGHT_ORIGIN) && skip_id(&r) != 0)
		return -1;
	if (!(info & (Y_INFO_ORIGIN | Y_INFO_RIGHT_ORIGIN))) {
		if (yp_read_var_uint(&r, &parent) != TC_OK)
			return -1;
		if ((parent == 1 ? skip_string(&r) : skip_id(&r)) != 0)
			return -1;
		if ((info & Y_INFO_PARENT_SUB) && skip_string(&r) != 0)
			return -1;
	}
	const uint8_t *s;
	if (yp_read_var_bytes(&r, &s, textlen) != TC_OK)
		return -1;
	*client = (uint32_t)cl;
	*text = (const char *)s;
	return 0;
}
