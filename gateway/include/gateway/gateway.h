/*
 * gateway/gateway.h - the libwebsockets front door: static web app, REST
 * API, the room WebSocket, auth, and the session actor beside each
 * connection.
 *
 * A server is one libwebsockets context served by ONE service thread
 * (HTTP/1.1 and WebSocket, no TLS: a load balancer or proxy terminates it).
 * The service thread never blocks on the database: REST requests that
 * need the store run on the node's worker pool through a short-lived
 * actor, and the reply comes back to the service thread (ADR-0030).
 * Rooms are reached only by messages (actors/protocol.h); the gateway
 * does not link the actors.
 *
 * Lifecycle: gw_config_init, set fields, gw_server_new, gw_server_start,
 * ... gw_server_stop, gw_server_free.  The node must outlive the server
 * and be started before gw_server_start.
 */
#ifndef GATEWAY_GATEWAY_H
#define GATEWAY_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "gateway/auth.h"

struct tc_node;
struct st_store;
struct gw_server;

/* Limits; 0 in a field selects the default in brackets. */
struct gw_limits {
	size_t max_frame;       /* bytes in one WebSocket message [1 MiB]; over: close 1009 */
	unsigned msgs_per_s;    /* client messages per second per connection [200] */
	unsigned burst;         /* token bucket depth [400] */
	unsigned strikes;       /* refused messages before close 4008 [50] */
	size_t sendq_bytes;     /* bytes queued to one client [8 MiB]; over: close 4010 */
	size_t sendq_frames;    /* frames queued to one client [65536]; over: close 4010 */
	size_t max_body;        /* REST request body [64 KiB]; over: 413 */
	unsigned max_conns;     /* connections (HTTP and WebSocket) [10000] */
	unsigned close_grace_s; /* a closing connection that cannot flush is dropped [10] */
};

struct gw_config {
	int port;                   /* TCP port [8080]; 0 picks a free one (gw_server_port) */
	const char *bind;           /* address to listen on ["127.0.0.1"]; "0.0.0.0" for all */
	const char *web_root;       /* the built web app (web/dist); NULL or missing: a help page */
	const char *problems_dir;   /* bundled problems (sandbox/problems); NULL: none */
	const char *data_dir;       /* where guest.key lives ["./data"] */
	const char *const *origins; /* allowed Origin values ("*" for any); none: same host */
	size_t norigins;
	struct gw_auth_config auth;
	struct gw_limits limits;
};

/* gw_config_init sets every field to its default.  Thread: any. */
void gw_config_init(struct gw_config *cfg);

/*
 * gw_server_new loads the problem catalogue and the auth keys and prepares
 * the server; nothing listens yet.  cfg's strings are copied.  node is
 * borrowed (it must outlive the server); store may be NULL (REST endpoints
 * that need it answer 503).  The caller owns *out.  On failure a one-line
 * reason is logged.  Thread: any.  Blocks: yes (reads files).
 */
enum tc_err gw_server_new(const struct gw_config *cfg, struct tc_node *node, struct st_store *store,
    struct gw_server **out);

/*
 * gw_server_start fetches a configured JWKS URL, creates the lws context,
 * binds the listener and starts the service thread.  Returns TC_EEXIST
 * when the port is taken, TC_EIO for other listener failures, TC_ESTATE
 * when already started.  Thread: any.  Blocks: yes (bind, JWKS fetch).
 */
enum tc_err gw_server_start(struct gw_server *s);

/* gw_server_port: the port listened on (after start), for port 0. */
int gw_server_port(const struct gw_server *s);

/*
 * gw_server_stop stops the service thread and closes every connection
 * (their rooms get ROOM_MSG_LEAVE, their session actors stop).
 * Idempotent.  Thread: any but the service thread.  Blocks: until done.
 */
void gw_server_stop(struct gw_server *s);

/* gw_server_free stops (if needed) and frees s.  NULL is a no-op. */
void gw_server_free(struct gw_server *s);

/* gw_server_auth: the server's auth service (borrowed), e.g. to issue
 * tokens in tools and tests. */
struct gw_auth *gw_server_auth(struct gw_server *s);

/* Connection counts, for tests and reports.  Thread: any. */
struct gw_stats {
	uint64_t ws_open;       /* WebSocket connections open now */
	uint64_t ws_total;      /* WebSocket connections established */
	uint64_t frames_in;     /* client frames forwarded to rooms */
	uint64_t frames_out;    /* frames written to clients */
	uint64_t rejected;      /* client frames refused (any reason) */
	uint64_t slow_closed;   /* connections closed as slow readers (4010) */
	uint64_t auth_failures; /* handshakes and REST calls refused by auth or origin */
};
void gw_server_stats(struct gw_server *s, struct gw_stats *out);

#endif /* GATEWAY_GATEWAY_H */
