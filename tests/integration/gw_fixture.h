/*
 * tests/integration/gw_fixture.h - a running gateway for the integration
 * tests: a node "gw1", a gateway on a free port, and (unless the test
 * brings the real one) a scripted stand-in for the room actor.
 */
#ifndef GW_FIXTURE_H
#define GW_FIXTURE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "core/node.h"
#include "gateway/gateway.h"

struct st_store;

struct gw_fixture {
	struct tc_node *node;
	struct gw_server *gw;
	struct st_store *store;
	char *dir; /* data dir, removed at the end */
	int port;
	/* called between the node's stop and its free (may be NULL) */
	void (*after_stop)(struct tc_node *node);
};

/* What the stand-in room saw. */
struct fake_room_log {
	atomic_int joins;
	atomic_int frames;
	atomic_int leaves;
	char last_user[80];
	char last_role[16];
};
extern struct fake_room_log fake_room;

/*
 * Frames the stand-in room understands besides echoing:
 *   [200, n, k]  send n frames of k KiB to the sender (a flood)
 *   [201, 1]     ask the session to close with 4029 "room full"
 */
#define FAKE_FLOOD 200
#define FAKE_CLOSE 201

/* gw_fixture_start: cfg may be NULL (defaults for tests); fake_room
 * registers the stand-in "room" kind; with_store opens SQLite in the data
 * dir. */
void gw_fixture_start(
    struct gw_fixture *f, struct gw_config *cfg, bool fake_room_kind, bool with_store);
/* gw_fixture_stop stops everything and asserts a clean shutdown. */
void gw_fixture_stop(struct gw_fixture *f);

/* gw_fixture_token: a guest token for user/name, bound to room and role
 * when room is not NULL; written to out. */
void gw_fixture_token(struct gw_fixture *f, const char *user, const char *room, const char *role,
    char *out, size_t cap);

#endif /* GW_FIXTURE_H */
