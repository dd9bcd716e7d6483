/*
 * frame.c - the few frames and message bodies the gateway builds or reads
 * itself: lib0 varUints, ERROR frames, ROOM_MSG_JOIN and SESSION_MSG_CLOSE
 * bodies.  Everything else passes through verbatim.
 */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "actors/protocol.h"
#include "gw_priv.h"

enum tc_err
gw__varuint_decode(const uint8_t *buf, size_t len, uint64_t *v, size_t *used)
{
	uint64_t r = 0;
	for (size_t i = 0; i < len && i < 9; i++) {
		r |= (uint64_t)(buf[i] & 0x7f) << (7 * i);
		if ((buf[i] & 0x80) == 0) {
			*v = r;
			*used = i + 1;
			return TC_OK;
		}
	}
	return TC_EPROTO;
}

size_t
gw__varuint_encode(uint64_t v, uint8_t out[10])
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

enum tc_err
gw__error_frame(const char *code, const char *message, uint8_t **out, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint8_t hdr[10];
	size_t h = gw__varuint_encode(ROOM_FRAME_ERROR, hdr);

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_sbuffer_write(&sb, (const char *)hdr, h);
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "code");
	pack_str(&pk, code);
	pack_str(&pk, "message");
	pack_str(&pk, message);
	if (sb.data == NULL) {
		msgpack_sbuffer_destroy(&sb);
		return TC_ENOMEM;
	}
	*len = sb.size;
	*out = (uint8_t *)msgpack_sbuffer_release(&sb);
	return TC_OK;
}

enum tc_err
gw__join_encode(const char *user, const char *name, const char *role, uint8_t **out, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "user");
	pack_str(&pk, user);
	pack_str(&pk, "name");
	pack_str(&pk, name);
	pack_str(&pk, "role");
	pack_str(&pk, role);
	if (sb.data == NULL) {
		msgpack_sbuffer_destroy(&sb);
		return TC_ENOMEM;
	}
	*len = sb.size;
	*out = (uint8_t *)msgpack_sbuffer_release(&sb);
	return TC_OK;
}

enum tc_err
gw__close_decode(const uint8_t *body, size_t len, int *code, char *reason, size_t cap)
{
	msgpack_unpacked u;
	size_t used = 0;
	enum tc_err rv = TC_EPROTO;

	*code = 1011;
	if (cap > 0)
		reason[0] = '\0';
	if (tc_mp_check(body, len, 4, &used) != TC_OK)
		return TC_EPROTO;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)body, len, NULL) != MSGPACK_UNPACK_SUCCESS ||
	    u.data.type != MSGPACK_OBJECT_MAP)
		goto out;
	for (uint32_t i = 0; i < u.data.via.map.size; i++) {
		const msgpack_object *k = &u.data.via.map.ptr[i].key;
		const msgpack_object *v = &u.data.via.map.ptr[i].val;
		if (k->type != MSGPACK_OBJECT_STR)
			continue;
		if (k->via.str.size == 4 && memcmp(k->via.str.ptr, "code", 4) == 0 &&
		    v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			uint64_t c = v->via.u64;
			if (c == 1000 || (c >= 3000 && c <= 4999))
				*code = (int)c;
			rv = TC_OK;
		} else if (k->via.str.size == 6 && memcmp(k->via.str.ptr, "reason", 6) == 0 &&
		           v->type == MSGPACK_OBJECT_STR && cap > 0) {
			/* A close reason fits in 123 bytes; cut at a UTF-8 boundary. */
			size_t n = v->via.str.size < cap - 1 ? v->via.str.size : cap - 1;
			while (n > 0 && n < v->via.str.size &&
			       ((unsigned char)v->via.str.ptr[n] & 0xc0) == 0x80)
				n--;
			memcpy(reason, v->via.str.ptr, n);
			reason[n] = '\0';
			for (size_t j = 0; j < n; j++)
				if ((unsigned char)reason[j] < 0x20)
					reason[j] = ' ';
		}
	}
out:
	msgpack_unpacked_destroy(&u);
	return rv;
}
