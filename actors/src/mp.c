/*
 * mp.c - msgpack helpers shared by the room and the runner (mp_priv.h).
 * Outside bytes are walked with tc_mp_check before msgpack-c sees them,
 * because msgpack-c allocates per declared count.
 */
#include <string.h>

#include "core/msg.h"
#include "mp_priv.h"

enum tc_err
act__map_open(const uint8_t *body, size_t len, msgpack_unpacked *u, const msgpack_object **map)
{
	size_t used = 0;

	msgpack_unpacked_init(u);
	if (body == NULL || len == 0)
		return TC_EPROTO;
	if (tc_mp_check(body, len, ACT_MP_DEPTH, &used) != TC_OK || used != len)
		return TC_EPROTO;
	if (msgpack_unpack_next(u, (const char *)body, len, NULL) != MSGPACK_UNPACK_SUCCESS)
		return TC_EPROTO;
	if (u->data.type != MSGPACK_OBJECT_MAP)
		return TC_EPROTO;
	*map = &u->data;
	return TC_OK;
}

const msgpack_object *
act__map_get(const msgpack_object *map, const char *key)
{
	size_t klen = strlen(key);

	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
		    memcmp(k->via.str.ptr, key, klen) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

bool
act__get_str(const msgpack_object *map, const char *key, char *out, size_t cap)
{
	const msgpack_object *v = act__map_get(map, key);

	if (v == NULL || v->type != MSGPACK_OBJECT_STR || v->via.str.size >= cap)
		return false;
	memcpy(out, v->via.str.ptr, v->via.str.size);
	out[v->via.str.size] = '\0';
	return memchr(out, '\0', v->via.str.size) == NULL;
}

bool
act__get_raw(const msgpack_object *map, const char *key, const uint8_t **p, size_t *len)
{
	const msgpack_object *v = act__map_get(map, key);

	if (v == NULL)
		return false;
	if (v->type == MSGPACK_OBJECT_STR) {
		*p = (const uint8_t *)v->via.str.ptr;
		*len = v->via.str.size;
		return true;
	}
	if (v->type == MSGPACK_OBJECT_BIN) {
		*p = (const uint8_t *)v->via.bin.ptr;
		*len = v->via.bin.size;
		return true;
	}
	return false;
}

bool
act__get_u64(const msgpack_object *map, const char *key, uint64_t *out)
{
	const msgpack_object *v = act__map_get(map, key);

	if (v == NULL || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return false;
	*out = v->via.u64;
	return true;
}

void
act__pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
act__pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	act__pack_str(pk, k);
	act__pack_str(pk, v);
}

void
act__pack_kv_u64(msgpack_packer *pk, const char *k, uint64_t v)
{
	act__pack_str(pk, k);
	msgpack_pack_uint64(pk, v);
}

void
act__pack_kv_raw(msgpack_packer *pk, const char *k, const void *v, size_t len, bool bin)
{
	act__pack_str(pk, k);
	if (bin) {
		msgpack_pack_bin(pk, len);
		msgpack_pack_bin_body(pk, v, len);
	} else {
		msgpack_pack_str(pk, len);
		msgpack_pack_str_body(pk, v, len);
	}
}
