/*
 * gw_fixture.c - see gw_fixture.h.
 */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actors/protocol.h"
#include "gw_client.h"
#include "gw_fixture.h"
#include "store/store.h"
#include "xt.h"

struct fake_room_log fake_room;

static void
map_str(const msgpack_object *m, const char *k, char *out, size_t cap)
{
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *key = &m->via.map.ptr[i].key;
		const msgpack_object *v = &m->via.map.ptr[i].val;
		if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen(k) &&
		    memcmp(key->via.str.ptr, k, strlen(k)) == 0 && v->type == MSGPACK_OBJECT_STR)
			snprintf(out, cap, "%.*s", (int)v->via.str.size, v->via.str.ptr);
	}
}

static enum tc_err
room_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	switch (msg->type) {
	case ROOM_MSG_JOIN: {
		msgpack_unpacked u;
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, (const char *)msg->body, msg->len, NULL) ==
		        MSGPACK_UNPACK_SUCCESS &&
		    u.data.type == MSGPACK_OBJECT_MAP) {
			map_str(&u.data, "user", fake_room.last_user, sizeof(fake_room.last_user));
			map_str(&u.data, "role", fake_room.last_role, sizeof(fake_room.last_role));
		}
		msgpack_unpacked_destroy(&u);
		atomic_fetch_add(&fake_room.joins, 1);
		static const uint8_t hello[] = {ROOM_FRAME_STATE, 0x80}; /* STATE {} */
		return tc_send(ctx, msg->from, SESSION_MSG_FRAME, hello, sizeof(hello));
	}
	case ROOM_MSG_FRAME:
		atomic_fetch_add(&fake_room.frames, 1);
		if (msg->len == 3 && msg->body[0] == FAKE_FLOOD) {
			size_t k = msg->body[2] * 1024u;
			uint8_t *big = calloc(1, k);
			big[0] = ROOM_FRAME_CHAT;
			for (unsigned i = 0; i < msg->body[1] * 10u; i++)
				(void)tc_send(ctx, msg->from, SESSION_MSG_FRAME, big, k);
			free(big);
			return TC_OK;
		}
		if (msg->len == 2 && msg->body[0] == FAKE_CLOSE) {
			msgpack_sbuffer sb;
			msgpack_packer pk;
			msgpack_sbuffer_init(&sb);
			msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
			msgpack_pack_map(&pk, 2);
			msgpack_pack_str(&pk, 4);
			msgpack_pack_str_body(&pk, "code", 4);
			msgpack_pack_int(&pk, ROOM_CLOSE_ROOM_FULL);
			msgpack_pack_str(&pk, 6);
			msgpack_pack_str_body(&pk, "reason", 6);
			msgpack_pack_str(&pk, 9);
			msgpack_pack_str_body(&pk, "room full", 9);
			enum tc_err rv =
			    tc_send(ctx, msg->from, SESSION_MSG_CLOSE, sb.data, sb.size);
			msgpack_sbuffer_destroy(&sb);
			return rv;
		}
		return tc_send(ctx, msg->from, SESSION_MSG_FRAME, msg->body, msg->len);
	case ROOM_MSG_LEAVE:
		atomic_fetch_add(&fake_room.leaves, 1);
		return TC_OK;
	default:
		return TC_OK;
	}
}

static const struct tc_behaviour fake_room_behaviour = {.kind = "room", .handle = room_handle};

void
gw_fixture_start(struct gw_fixture *f, struct gw_config *cfg_in, bool fake, bool with_store)
{
	struct gw_config cfg;
	char problems[1024];
	struct tc_node_config ncfg = {.id = 1, .name = "gw1", .workers = 2};

	memset(f, 0, sizeof(*f));
	memset(&fake_room, 0, sizeof(fake_room));
	f->dir = xt_tmpdir("gw");
	XT_OK(tc_node_new(&ncfg, &f->node));
	XT_OK(tc_node_start(f->node));
	if (fake)
		XT_OK(tc_node_register_kind(f->node, ROOM_KIND, &fake_room_behaviour));
	if (with_store) {
		char db[1024], err[256];
		snprintf(db, sizeof(db), "%s/tandem.db", f->dir);
		XT_OK(st_open(db, &f->store, err, sizeof(err)));
	}
	if (cfg_in != NULL) {
		cfg = *cfg_in;
	} else {
		gw_config_init(&cfg);
		cfg.auth.guest_secret = "test secret";
	}
	cfg.port = 0;
	snprintf(problems, sizeof(problems), "%s/sandbox/problems", xt_source_root());
	if (cfg.problems_dir == NULL)
		cfg.problems_dir = problems;
	if (cfg.data_dir == NULL || strcmp(cfg.data_dir, "./data") == 0)
		cfg.data_dir = f->dir;
	XT_OK(gw_server_new(&cfg, f->node, f->store, &f->gw));
	XT_OK(gw_server_start(f->gw));
	f->port = gw_server_port(f->gw);
	cr_assert(f->port > 0);
}

void
gw_fixture_stop(struct gw_fixture *f)
{
	struct tc_shutdown_report rep;
	gwc_shutdown();
	gw_server_free(f->gw);
	/* Session and api actors stop with their connections; rooms stop
	 * with the node: nothing may be left alive. */
	XT_OK(tc_node_stop(f->node, 5000, &rep));
	cr_assert_eq(rep.actors_alive, 0, "actors alive at shutdown");
	cr_assert_eq(rep.work_pending, 0, "work pending at shutdown");
	if (f->after_stop != NULL)
		f->after_stop(f->node);
	tc_node_free(f->node);
	st_free(f->store);
	xt_rmtree(f->dir);
	free(f->dir);
}

void
gw_fixture_token(struct gw_fixture *f, const char *user, const char *room, const char *role,
    char *out, size_t cap)
{
	struct gw_identity id;
	memset(&id, 0, sizeof(id));
	snprintf(id.user, sizeof(id.user), "%s", user);
	snprintf(id.name, sizeof(id.name), "Name of %s", user);
	if (room != NULL) {
		snprintf(id.room, sizeof(id.room), "%s", room);
		snprintf(id.role, sizeof(id.role), "%s", role);
	}
	XT_OK(gw_auth_issue(gw_server_auth(f->gw), &id, (int64_t)time(NULL), out, cap));
}
