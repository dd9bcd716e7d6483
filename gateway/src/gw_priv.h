/*
 * gateway/src/gw_priv.h - the gateway's internal interfaces.
 *
 * Pure helpers (paths, query strings, rate limiting, frame codecs) are
 * here so unit tests and fuzz targets reach them; the hub is the only
 * state shared between the service thread and actors.
 */
#ifndef GATEWAY_GW_PRIV_H
#define GATEWAY_GW_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/err.h"
#include "core/metrics.h"
#include "core/msg.h"
#include "gateway/gateway.h"

struct lws;
struct lws_context;

/* Gateway-internal actor messages (never leave the gateway's node). */
enum gw_msg {
	GW_MSG_WATCH = 1900, /* service thread -> session: [node, id] of its room */
};

/* jwt.c: fetches url (http or https) with libcurl, at most GW_JWKS_MAX
 * bytes; *out is malloc'd.  Blocks: yes (network, 10 s timeout). */
enum tc_err gw__jwks_fetch(const char *url, char **out, size_t *len);

/* ---- text.c: paths, MIME types, query strings, origins ------------------ */

#define GW_PATH_MAX 1024

/*
 * gw__path_clean turns a decoded URI path into a relative file path
 * ("" for "/"): empty and "." segments dropped; "..", segments starting
 * with '.', backslashes, NUL and control bytes refused (TC_EPERM); a path
 * not starting with '/' is TC_EINVAL; TC_ETOOBIG past cap.
 */
enum tc_err gw__path_clean(const char *uri, char *out, size_t cap);

/* gw__mime_type: the Content-Type for a file name's extension. */
const char *gw__mime_type(const char *path);

/* gw__spa_route: a path the web app routes itself (its last segment has
 * no extension), answered with index.html when no file matches. */
bool gw__spa_route(const char *rel);

/*
 * gw__query_get finds name in a query string (len bytes, "a=1&b=2", no
 * '?'), percent-decodes its value ('+' is a space) into out (cap bytes,
 * NUL-terminated) and sets *outlen.  TC_ENOENT when absent, TC_EPROTO for a
 * bad escape or a decoded NUL, TC_ETOOBIG when it does not fit.
 */
enum tc_err gw__query_get(
    const char *query, size_t len, const char *name, char *out, size_t cap, size_t *outlen);

/*
 * gw__origin_allowed: no Origin header (a non-browser client) is allowed;
 * otherwise it must equal one of origins ("*" allows any) or, when none
 * are configured, be http:// or https:// followed by the Host header.
 */
bool gw__origin_allowed(
    const char *origin, const char *host, const char *const *origins, size_t norigins);

/* ---- ratelimit.c: a token bucket in thousandths of a message ------------ */

struct gw_bucket {
	uint64_t milli;   /* tokens x 1000 */
	uint64_t last_ms; /* when it was last refilled */
};

void gw__bucket_init(struct gw_bucket *b, unsigned burst, uint64_t now_ms);
/* gw__bucket_take refills at rate per second up to burst, then takes one
 * token if there is one.  A clock going backwards refills nothing. */
bool gw__bucket_take(struct gw_bucket *b, unsigned rate, unsigned burst, uint64_t now_ms);

/* ---- frame.c: the frames the gateway itself reads and writes ------------ */

/* gw__varuint_decode reads a lib0 varUint (at most 9 bytes, < 2^63). */
enum tc_err gw__varuint_decode(const uint8_t *buf, size_t len, uint64_t *v, size_t *used);
size_t gw__varuint_encode(uint64_t v, uint8_t out[10]);

/* gw__error_frame builds ERROR {code, message}; *out is malloc'd, the
 * caller owns it. */
enum tc_err gw__error_frame(const char *code, const char *message, uint8_t **out, size_t *len);

/* gw__join_encode builds ROOM_MSG_JOIN's body {user, name, role}. */
enum tc_err gw__join_encode(
    const char *user, const char *name, const char *role, uint8_t **out, size_t *len);

/* gw__close_decode reads SESSION_MSG_CLOSE's body {code, reason}: code
 * must be 1000 or 3000..4999 (else 1011 is used); reason is cut to fit. */
enum tc_err gw__close_decode(const uint8_t *body, size_t len, int *code, char *reason, size_t cap);

/* ---- hub.c: connections as generation-tagged ids ------------------------ */

/* A frame queued to a client: LWS_PRE bytes of headroom, then data. */
struct gw_out {
	struct gw_out *next;
	size_t len;
	uint8_t buf[]; /* GW_PRE headroom + len bytes */
};
#define GW_PRE 16 /* LWS_PRE of libwebsockets 4.1 (checked in server.c) */

/* A REST answer produced off the service thread. */
struct gw_reply {
	int status;
	const char *ctype; /* static */
	char *body;        /* malloc'd */
	size_t len;
};
void gw__reply_free(struct gw_reply *r);

/* The gateway's metrics (handles owned by the node's registry). */
struct gw_metrics {
	struct tc_metric *conns;         /* gauge: WebSocket connections open */
	struct tc_metric *conns_total;   /* counter */
	struct tc_metric *frames_in;     /* counter */
	struct tc_metric *frames_out;    /* counter */
	struct tc_metric *bytes_in;      /* counter */
	struct tc_metric *bytes_out;     /* counter */
	struct tc_metric *rej_too_large; /* frames rejected, by reason */
	struct tc_metric *rej_text;
	struct tc_metric *rej_malformed;
	struct tc_metric *rej_rate;
	struct tc_metric *rej_closing;
	struct tc_metric *closed_policy;  /* closes 4008 */
	struct tc_metric *closed_slow;    /* closes 4010 */
	struct tc_metric *auth_fail[12];  /* by enum gw_auth_fail */
	struct tc_metric *origin_refused; /* handshakes refused for Origin */
	struct tc_metric *http[16];       /* requests by status (see server.c) */
	struct tc_metric *http_other;
	struct tc_metric *queue_bytes; /* gauge: bytes queued to clients */
};

struct gw_slot;
struct gw_hub;

/*
 * Ids: slot index in the low 32 bits, generation in the high 32.  A slot
 * is never freed while the hub lives, so a stale id finds a newer
 * generation and fails with TC_ENOENT.
 */
enum tc_err gw__hub_new(
    const struct gw_limits *lim, const struct gw_metrics *m, struct gw_hub **out);
void gw__hub_ref(struct gw_hub *h);
void gw__hub_unref(struct gw_hub *h);
/* gw__hub_set_context lets wakes reach lws (NULL when stopped). */
void gw__hub_set_context(struct gw_hub *h, struct lws_context *ctx);

/* Service thread: open a slot for wsi (TC_EFULL at max_conns); close it
 * (drops its queue and any reply; later sends get TC_ENOENT). */
enum tc_err gw__hub_open(struct gw_hub *h, struct lws *wsi, uint64_t *id);
void gw__hub_close(struct gw_hub *h, uint64_t id);

/*
 * gw__hub_push queues a copy of a frame for the client.  Whole frames
 * only: when the queue bound would be passed, every queued frame is
 * dropped and the connection marked to close with 4010 (TC_EFULL).
 * TC_ECLOSED when a close is already pending (the frame is dropped),
 * TC_ENOENT for a stale id.  Wakes the service thread.  Thread: any.
 */
enum tc_err gw__hub_push(struct gw_hub *h, uint64_t id, const uint8_t *frame, size_t len);

/* gw__hub_close_req asks for a close with code and reason after the
 * queued frames (discard: drop them first).  Thread: any. */
enum tc_err gw__hub_close_req(
    struct gw_hub *h, uint64_t id, int code, const char *reason, bool discard);

/*
 * gw__hub_pop (service thread) takes the next queued frame (*out, caller
 * frees) or, when none is left and a close is pending, sets *close_code
 * and reason (cap bytes).  *more tells whether frames remain.
 */
enum tc_err gw__hub_pop(struct gw_hub *h, uint64_t id, struct gw_out **out, int *close_code,
    char *reason, size_t cap, bool *more);

/* gw__hub_reply hands a REST answer to a connection (taking r in every
 * case) and wakes the service thread.  Thread: any. */
enum tc_err gw__hub_reply(struct gw_hub *h, uint64_t id, struct gw_reply *r);
/* gw__hub_take_reply (service thread): the answer, if it came. */
struct gw_reply *gw__hub_take_reply(struct gw_hub *h, uint64_t id);

/* gw__hub_drain_wakes (service thread): fn(wsi, closing, arg) for every
 * live connection woken since the last call; closing tells whether a
 * close was requested. */
void gw__hub_drain_wakes(
    struct gw_hub *h, void (*fn)(struct lws *wsi, bool closing, void *arg), void *arg);

/* ---- session.c: the actor beside each WebSocket ------------------------- */

/* The spawn argument: malloc'd by the spawner, which also takes a hub
 * reference for the actor; init owns (and frees) both. */
struct gw_session_arg {
	struct gw_hub *hub;
	uint64_t conn;
};
extern const struct tc_behaviour gw__session_behaviour;

/* ---- problems.c: the bundled problem catalogue -------------------------- */

struct gw_problems;

/*
 * gw__problems_load reads every problem folder under dir: problem.json,
 * statement.md, starter.py and the public tests only (never the hidden
 * tests, the reference, the generator or the checker), and prepares the
 * list and per-problem JSON answers.  A folder that does not parse is
 * skipped with a warning.  The caller owns *out.  Blocks: yes (files).
 */
enum tc_err gw__problems_load(const char *dir, struct gw_problems **out);
void gw__problems_free(struct gw_problems *p);
/* The JSON texts (owned by the catalogue, NUL-terminated). */
const char *gw__problems_list_json(const struct gw_problems *p);
const char *gw__problem_json(const struct gw_problems *p, const char *slug);
/* gw__problem_info: title and limits, for the store's problems table. */
bool gw__problem_info(const struct gw_problems *p, const char *slug, char *title, size_t cap,
    int64_t *time_ms, int64_t *mem_mb);

/* ---- server.c and api.c -------------------------------------------------- */

struct lws_vhost;

struct gw_evloop;

struct gw_server {
	struct gw_config cfg;   /* strings below are owned copies */
	char **origins;         /* cfg.origins points here */
	struct tc_node *node;   /* borrowed */
	struct st_store *store; /* borrowed, may be NULL */
	struct gw_auth *auth;
	struct gw_problems *problems;
	struct gw_hub *hub;
	struct gw_metrics m;
	bool web_ok;    /* web_root holds index.html */
	char *web_real; /* realpath of web_root */
	struct lws_context *ctx;
	struct lws_vhost *vhost;
	struct gw_evloop *loop; /* the service thread's epoll loop (ADR-0035) */
	pthread_t thread;
	bool running;
	int port;
};

/* An API request as the service thread parsed it. */
enum gw_method {
	GW_GET = 1,
	GW_POST,
	GW_OTHER
};
struct gw_request {
	enum gw_method method;
	const char *path;  /* the decoded path, starting "/api/" */
	const char *query; /* the query string ("" if none) */
	const char *body;  /* POST body (may be NULL) */
	size_t blen;
	const char *bearer; /* the Authorization: Bearer token, or NULL */
	uint64_t conn;      /* the connection's hub id, for deferred replies */
};

/*
 * gw__api_handle answers a REST request: either now (*out set, the caller
 * owns it) or later (*out NULL: a job runs on the worker pool and its
 * reply reaches the connection through gw__hub_reply).  Service thread.
 */
void gw__api_handle(struct gw_server *s, const struct gw_request *rq, struct gw_reply **out);

/* gw__reply_json: a reply with a JSON text (copied); NULL on ENOMEM. */
struct gw_reply *gw__reply_new(int status, const char *ctype, const char *body, size_t len);
struct gw_reply *gw__reply_error(int status, const char *code, const char *message);

#endif /* GATEWAY_GW_PRIV_H */
