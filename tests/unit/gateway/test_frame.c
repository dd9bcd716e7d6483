/*
 * test_frame.c - the frames and bodies the gateway builds and reads:
 * varUints, ERROR frames, JOIN and CLOSE bodies.
 */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "actors/protocol.h"
#include "gw_priv.h"
#include "xt.h"

Test(gateway_frame, varuint_roundtrip)
{
	static const uint64_t v[] = {0, 1, 127, 128, 300, 16383, 16384, 1u << 31, (1ull << 62)};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t buf[10];
		uint64_t got;
		size_t used, n = gw__varuint_encode(v[i], buf);
		XT_OK(gw__varuint_decode(buf, n, &got, &used));
		cr_assert_eq(got, v[i]);
		cr_assert_eq(used, n);
		XT_ERR(gw__varuint_decode(buf, n - 1, &got, &used), n > 1 ? TC_EPROTO : TC_EPROTO);
	}
	uint8_t endless[12];
	memset(endless, 0xff, sizeof(endless));
	uint64_t got;
	size_t used;
	XT_ERR(gw__varuint_decode(endless, sizeof(endless), &got, &used), TC_EPROTO);
}

static const msgpack_object *
map_get(const msgpack_object *m, const char *k)
{
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *key = &m->via.map.ptr[i].key;
		if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen(k) &&
		    memcmp(key->via.str.ptr, k, strlen(k)) == 0)
			return &m->via.map.ptr[i].val;
	}
	return NULL;
}

Test(gateway_frame, error_frame_layout)
{
	uint8_t *f;
	size_t len;
	XT_OK(gw__error_frame(ROOM_ERR_RATE_LIMITED, "slow down", &f, &len));
	uint64_t type;
	size_t used;
	XT_OK(gw__varuint_decode(f, len, &type, &used));
	cr_assert_eq(type, ROOM_FRAME_ERROR);
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	cr_assert_eq(msgpack_unpack_next(&u, (const char *)f + used, len - used, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	cr_assert_eq(u.data.type, MSGPACK_OBJECT_MAP);
	const msgpack_object *code = map_get(&u.data, "code");
	cr_assert(code != NULL && code->via.str.size == strlen("RATE_LIMITED"));
	cr_assert(memcmp(code->via.str.ptr, "RATE_LIMITED", 12) == 0);
	cr_assert(map_get(&u.data, "message") != NULL);
	msgpack_unpacked_destroy(&u);
	free(f);
}

Test(gateway_frame, join_body)
{
	uint8_t *b;
	size_t len;
	XT_OK(gw__join_encode("u1", "Ann", "editor", &b, &len));
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	cr_assert_eq(msgpack_unpack_next(&u, (const char *)b, len, NULL), MSGPACK_UNPACK_SUCCESS);
	const msgpack_object *role = map_get(&u.data, "role");
	cr_assert(role != NULL && memcmp(role->via.str.ptr, "editor", 6) == 0);
	cr_assert(map_get(&u.data, "user") != NULL && map_get(&u.data, "name") != NULL);
	msgpack_unpacked_destroy(&u);
	free(b);
}

static void
pack_close(msgpack_sbuffer *sb, int code, const char *reason)
{
	msgpack_packer pk;
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "code", 4);
	msgpack_pack_int(&pk, code);
	msgpack_pack_str(&pk, 6);
	msgpack_pack_str_body(&pk, "reason", 6);
	msgpack_pack_str(&pk, strlen(reason));
	msgpack_pack_str_body(&pk, reason, strlen(reason));
}

Test(gateway_frame, close_body)
{
	msgpack_sbuffer sb;
	int code;
	char reason[16];
	pack_close(&sb, 4029, "room full");
	XT_OK(gw__close_decode((uint8_t *)sb.data, sb.size, &code, reason, sizeof(reason)));
	cr_assert_eq(code, 4029);
	cr_assert_str_eq(reason, "room full");
	msgpack_sbuffer_destroy(&sb);
	/* codes a server may not send become 1011; long reasons are cut */
	pack_close(&sb, 1005, "a reason longer than the buffer\n");
	XT_OK(gw__close_decode((uint8_t *)sb.data, sb.size, &code, reason, sizeof(reason)));
	cr_assert_eq(code, 1011);
	cr_assert_eq(strlen(reason), sizeof(reason) - 1);
	msgpack_sbuffer_destroy(&sb);
	XT_ERR(
	    gw__close_decode((const uint8_t *)"\x93", 1, &code, reason, sizeof(reason)), TC_EPROTO);
	cr_assert_eq(code, 1011);
}
