/*
 * load_yjs.c - just enough of the Yjs update v1 and y-protocols encodings
 * for simulated users: appending text, the sync handshake, awareness.
 * The layout follows lib0's encoding and Yjs's UpdateEncoderV1.
 */
#include <string.h>

#include "load.h"

void
ld_put_bytes(struct ld_buf *b, const void *p, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
ld_put_varuint(struct ld_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		tmp[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
	} while (v);
	ld_put_bytes(b, tmp, n);
}

void
ld_put_varstring(struct ld_buf *b, const char *s, size_t n)
{
	ld_put_varuint(b, n);
	ld_put_bytes(b, s, n);
}

int
ld_get_varuint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -1;
		uint8_t byte = p[(*pos)++];
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

enum {
	Y_SYNC = 0,
	Y_AWARENESS = 1,
	Y_STEP1 = 0,
	Y_STEP2 = 1,
	Y_UPDATE = 2,
	Y_INFO_ORIGIN = 0x80,
	Y_CONTENT_STRING = 4,
};

void
ld_frame_edit(struct ld_buf *b, uint32_t client, uint64_t *clock, const char *root,
    const char *text, size_t n)
{
	uint8_t tmp[512];
	struct ld_buf u = {tmp, 0, sizeof(tmp), 0};

	ld_put_varuint(&u, 1); /* clients */
	ld_put_varuint(&u, 1); /* structs of this client */
	ld_put_varuint(&u, client);
	ld_put_varuint(&u, *clock);
	if (*clock > 0) {
		uint8_t info = Y_CONTENT_STRING | Y_INFO_ORIGIN;
		ld_put_bytes(&u, &info, 1);
		ld_put_varuint(&u, client);
		ld_put_varuint(&u, *clock - 1);
	} else {
		uint8_t info = Y_CONTENT_STRING;
		ld_put_bytes(&u, &info, 1);
		ld_put_varuint(&u, 1); /* parent is a root type, by name */
		ld_put_varstring(&u, root, strlen(root));
	}
	ld_put_varstring(&u, text, n);
	ld_put_varuint(&u, 0); /* empty delete set */
	*clock += n;

	ld_put_varuint(b, Y_SYNC);
	ld_put_varuint(b, Y_UPDATE);
	ld_put_varuint(b, u.len);
	ld_put_bytes(b, u.p, u.len);
	if (u.overflow)
		b->overflow = 1;
}

void
ld_frame_step1_empty(struct ld_buf *b)
{
	ld_put_varuint(b, Y_SYNC);
	ld_put_varuint(b, Y_STEP1);
	ld_put_varuint(b, 1); /* state vector bytes */
	ld_put_varuint(b, 0); /* no clients */
}

void
ld_frame_step2_empty(struct ld_buf *b)
{
	ld_put_varuint(b, Y_SYNC);
	ld_put_varuint(b, Y_STEP2);
	ld_put_varuint(b, 2); /* update bytes */
	ld_put_varuint(b, 0); /* no structs */
	ld_put_varuint(b, 0); /* no deletes */
}

void
ld_frame_awareness(struct ld_buf *b, uint32_t client, uint64_t clock, const char *json)
{
	uint8_t tmp[512];
	struct ld_buf a = {tmp, 0, sizeof(tmp), 0};

	ld_put_varuint(&a, 1);
	ld_put_varuint(&a, client);
	ld_put_varuint(&a, clock);
	ld_put_varstring(&a, json, strlen(json));
	ld_put_varuint(b, Y_AWARENESS);
	ld_put_varuint(b, a.len);
	ld_put_bytes(b, a.p, a.len);
	if (a.overflow)
		b->overflow = 1;
}

int
ld_update_probe(const uint8_t *p, size_t len, uint32_t *client, const char **text, size_t *textlen)
{
	size_t pos = 0;
	uint64_t nclients, nstructs, cl, clock, v;

	if (ld_get_varuint(p, len, &pos, &nclients) || nclients < 1 ||
	    ld_get_varuint(p, len, &pos, &nstructs) || nstructs < 1 ||
	    ld_get_varuint(p, len, &pos, &cl) || ld_get_varuint(p, len, &pos, &clock) || pos >= len)
		return -1;
	uint8_t info = p[pos++];
	if ((info & 0x1f) != Y_CONTENT_STRING)
		return -1;
	if (info & Y_INFO_ORIGIN) {
		if (ld_get_varuint(p, len, &pos, &v) || ld_get_varuint(p, len, &pos, &v))
			return -1;
	}
	if (info & 0x40) {
		if (ld_get_varuint(p, len, &pos, &v) || ld_get_varuint(p, len, &pos, &v))
			return -1;
	}
	if (!(info & (Y_INFO_ORIGIN | 0x40))) {
		if (ld_get_varuint(p, len, &pos, &v))
			return -1;
		if (v == 1) {
			if (ld_get_varuint(p, len, &pos, &v) || v > len - pos)
				return -1;
			pos += v;
		} else if (ld_get_varuint(p, len, &pos, &v) || ld_get_varuint(p, len, &pos, &v)) {
			return -1;
		}
		if (info & 0x20) {
			if (ld_get_varuint(p, len, &pos, &v) || v > len - pos)
				return -1;
			pos += v;
		}
	}
	if (ld_get_varuint(p, len, &pos, &v) || v > len - pos)
		return -1;
	*client = (uint32_t)cl;
	*text = (const char *)p + pos;
	*textlen = (size_t)v;
	return 0;
}
