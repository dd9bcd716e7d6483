/*
 * session.c - the session actor: one per WebSocket connection, the
 * address rooms send to.
 *
 * Design notes: the service thread spawns it when a connection is
 * established and sends ROOM_MSG_JOIN, every client frame and
 * ROOM_MSG_LEAVE to the room itself, with this actor as the sender, so the
 * room's replies come here.  The actor only moves frames from the room
 * into the connection's bounded send queue (hub.c) and close requests
 * likewise; it never touches the connection itself.  If its room stops
 * while the connection is open, it closes the connection (1011), and the
 * client reconnects to a fresh room actor.
 */
#include <stdlib.h>
#include <string.h>

#include "actors/protocol.h"
#include "core/log.h"
#include "gw_priv.h"

struct session {
	struct gw_hub *hub;
	uint64_t conn;
	struct tc_addr room;
};

static enum tc_err
session_init(struct tc_ctx *ctx, void *arg, void **state)
{
	struct gw_session_arg *a = arg;
	struct session *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		gw__hub_unref(a->hub);
		free(a);
		return TC_ENOMEM;
	}
	s->hub = a->hub; /* the reference the spawner took */
	s->conn = a->conn;
	free(a);
	*state = s;
	return TC_OK;
}

static enum tc_err
session_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct session *s = state;
	enum tc_err rv;

	switch (msg->type) {
	case SESSION_MSG_FRAME:
		rv = gw__hub_push(s->hub, s->conn, msg->body, msg->len);
		if (rv == TC_ENOENT)
			tc_stop_self(ctx); /* the connection is gone */
		return TC_OK;
	case SESSION_MSG_CLOSE: {
		int code;
		char reason[124];
		(void)gw__close_decode(msg->body, msg->len, &code, reason, sizeof(reason));
		if (gw__hub_close_req(s->hub, s->conn, code, reason, false) == TC_ENOENT)
			tc_stop_self(ctx);
		return TC_OK;
	}
	case GW_MSG_WATCH:
		if (msg->len == sizeof(struct tc_addr)) {
			memcpy(&s->room, msg->body, sizeof(s->room));
			(void)tc_monitor(ctx, s->room);
		}
		return TC_OK;
	case TC_MSG_DOWN: {
		struct tc_down d;
		if (tc_down_decode(msg, &d) == TC_OK && tc_addr_eq(d.who, s->room)) {
			tc_log(TC_LOG_INFO, "session", "room stopped (%s): closing connection",
			    tc_errname(d.reason));
			(void)gw__hub_close_req(s->hub, s->conn, 1011, "room stopped", false);
		}
		return TC_OK;
	}
	default:
		return TC_OK; /* unknown messages are ignored, not fatal */
	}
}

static void
session_fini(void *state, enum tc_err reason)
{
	struct session *s = state;
	gw__hub_unref(s->hub);
	free(s);
}

const struct tc_behaviour gw__session_behaviour = {
    .kind = "session",
    .init = session_init,
    .handle = session_handle,
    .fini = session_fini,
};
