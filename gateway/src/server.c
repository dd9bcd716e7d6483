/*
 * server.c - the libwebsockets context, its one service thread, HTTP
 * (static files, health, metrics, the REST entry) and the room WebSocket.
 *
 * Design notes:
 * - One lws context, one vhost, one protocol that serves both HTTP and the
 *   WebSocket, one service thread (lws is built with LWS_MAX_SMP 1).  All
 *   lws calls except lws_cancel_service happen on that thread (and in
 *   gw_server_stop after it has ended).
 * - Other threads reach a connection only through the hub (hub.c): they
 *   queue frames, close requests or REST replies under the slot's lock and
 *   wake the service thread, which asks lws for a writable callback.
 * - A WebSocket is authenticated in FILTER_PROTOCOL_CONNECTION, before the
 *   101 answer: a bad Origin gets 403, a bad token 401, and the connection
 *   ends there.  Nothing of a client reaches a room before that.
 * - Client frames go to the room straight from this thread, with the
 *   connection's session actor as sender; one producer keeps JOIN, the
 *   frames and LEAVE in order.
 * - The service thread never waits on the database: REST handlers that
 *   need the store defer to a job on the worker pool (api.c, ADR-0030).
 */
#include <errno.h>
#include <libwebsockets.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "actors/protocol.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/node.h"
#include "gateway/evloop.h"
#include "gw_priv.h"

_Static_assert(LWS_PRE == GW_PRE, "GW_PRE must equal LWS_PRE");

#define QUERY_MAX 2048
#define HDR_MAX 512
#define HTTP_CHUNK 16384
#define ROOM_PATH "/ws/rooms/"
/* Bytes of a message over the frame cap drained before its close. */
#define RX_DISCARD_MAX (16u << 20)

/* Per-connection state (lws user space), for HTTP transactions and for a
 * WebSocket.  Touched only by the service thread. */
struct conn {
	uint64_t id; /* hub id, 0 when none */
	/* HTTP */
	enum gw_method method;
	char *path; /* HTTP only: the request's path (a WebSocket keeps none) */
	char *query;
	char *bearer;
	char *body;
	size_t body_len;
	bool body_over;
	bool in_api;
	bool dispatched; /* the API request was answered or deferred */
	bool deferred;
	bool close_after;
	bool headers_sent;
	const char *cache; /* cache-control for the answer */
	struct gw_reply *resp;
	size_t resp_off;
	/* WebSocket */
	bool ws;
	bool closing;
	struct gw_identity ident;
	char room_name[sizeof(ROOM_KIND) + GW_ROOM_MAX + 1]; /* "room/<id>" */
	struct tc_addr session;
	struct tc_addr room;
	uint8_t *rx;
	size_t rx_len, rx_cap;
	bool rx_text;
	bool rx_discard;     /* draining a message over the cap, to close after it */
	size_t rx_discarded; /* bytes of it drained so far */
	struct gw_bucket bucket;
	unsigned strikes;
	uint64_t last_strike_ms;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- metrics ---------------------------------------------------------------- */

static const int http_statuses[16] = {
    200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 414, 426, 500, 501, 503};

static void
metrics_init(struct gw_metrics *m, struct tc_metrics *reg)
{
	char labels[64];

	tc_metrics_gauge(reg, "gw_connections", "WebSocket connections open", NULL, &m->conns);
	tc_metrics_counter(reg, "gw_connections_total", "WebSocket connections established", NULL,
	    &m->conns_total);
	tc_metrics_counter(
	    reg, "gw_frames_in_total", "client frames forwarded to rooms", NULL, &m->frames_in);
	tc_metrics_counter(
	    reg, "gw_frames_out_total", "frames written to clients", NULL, &m->frames_out);
	tc_metrics_counter(
	    reg, "gw_bytes_in_total", "client frame bytes forwarded", NULL, &m->bytes_in);
	tc_metrics_counter(
	    reg, "gw_bytes_out_total", "frame bytes written to clients", NULL, &m->bytes_out);
	const char *help = "client frames refused, by reason";
	tc_metrics_counter(
	    reg, "gw_frames_rejected_total", help, "reason=\"too_large\"", &m->rej_too_large);
	tc_metrics_counter(reg, "gw_frames_rejected_total", help, "reason=\"text\"", &m->rej_text);
	tc_metrics_counter(
	    reg, "gw_frames_rejected_total", help, "reason=\"malformed\"", &m->rej_malformed);
	tc_metrics_counter(
	    reg, "gw_frames_rejected_total", help, "reason=\"rate_limited\"", &m->rej_rate);
	tc_metrics_counter(
	    reg, "gw_frames_rejected_total", help, "reason=\"closing\"", &m->rej_closing);
	help = "connections closed by the gateway, by reason";
	tc_metrics_counter(reg, "gw_closes_total", help, "reason=\"policy\"", &m->closed_policy);
	tc_metrics_counter(reg, "gw_closes_total", help, "reason=\"slow_reader\"", &m->closed_slow);
	for (int i = GW_AUTH_MISSING; i <= GW_AUTH_ROOM; i++) {
		snprintf(labels, sizeof(labels), "reason=\"%s\"", gw_auth_fail_name(i));
		tc_metrics_counter(reg, "gw_auth_failures_total",
		    "tokens refused at the handshake or the REST API, by reason", labels,
		    &m->auth_fail[i]);
	}
	tc_metrics_counter(reg, "gw_origin_refused_total", "handshakes refused for their Origin",
	    NULL, &m->origin_refused);
	for (size_t i = 0; i < 16; i++) {
		snprintf(labels, sizeof(labels), "status=\"%d\"", http_statuses[i]);
		tc_metrics_counter(
		    reg, "gw_http_requests_total", "HTTP requests by status", labels, &m->http[i]);
	}
	tc_metrics_counter(reg, "gw_http_requests_total", "HTTP requests by status",
	    "status=\"other\"", &m->http_other);
	tc_metrics_gauge(
	    reg, "gw_send_queue_bytes", "bytes queued to clients", NULL, &m->queue_bytes);
}

static void
count_status(struct gw_server *s, int status)
{
	for (size_t i = 0; i < 16; i++) {
		if (http_statuses[i] == status) {
			tc_counter_add(s->m.http[i], 1);
			return;
		}
	}
	tc_counter_add(s->m.http_other, 1);
}

/* ---- HTTP answers ------------------------------------------------------------- */

static void
http_reset(struct gw_server *s, struct conn *c)
{
	if (c->id != 0 && !c->ws) {
		gw__hub_close(s->hub, c->id);
		c->id = 0;
	}
	free(c->path);
	free(c->query);
	free(c->bearer);
	free(c->body);
	gw__reply_free(c->resp);
	c->path = c->query = c->bearer = c->body = NULL;
	c->resp = NULL;
	c->body_len = c->resp_off = 0;
	c->body_over = c->in_api = c->deferred = c->close_after = c->headers_sent = false;
	c->dispatched = false;
	c->cache = NULL;
}

/* Queues r (taken) as the answer and asks for a writable callback. */
static int
respond(struct lws *wsi, struct conn *c, struct gw_reply *r)
{
	if (r == NULL)
		return -1; /* out of memory: drop the connection */
	gw__reply_free(c->resp);
	c->resp = r;
	c->resp_off = 0;
	c->headers_sent = false;
	lws_callback_on_writable(wsi);
	return 0;
}

static int
respond_text(struct lws *wsi, struct conn *c, int status, const char *ctype, const char *text)
{
	return respond(wsi, c, gw__reply_new(status, ctype, text, strlen(text)));
}

static int
http_finish(struct lws *wsi, struct conn *c)
{
	bool close_after = c->close_after;
	gw__reply_free(c->resp);
	c->resp = NULL;
	if (close_after)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
http_writeable(struct gw_server *s, struct lws *wsi, struct conn *c)
{
	uint8_t buf[LWS_PRE + HTTP_CHUNK];
	uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;

	if (c->resp == NULL && c->deferred && c->id != 0) {
		c->resp = gw__hub_take_reply(s->hub, c->id);
		if (c->resp != NULL)
			c->deferred = false;
	}
	struct gw_reply *r = c->resp;
	if (r == NULL)
		return 0;
	if (!c->headers_sent) {
		if (lws_add_http_common_headers(
		        wsi, (unsigned)r->status, r->ctype, r->len, &p, end))
			return -1;
		const char *cache = c->cache != NULL ? c->cache : "no-store";
		if (lws_add_http_header_by_name(wsi, (const uint8_t *)"cache-control:",
		        (const uint8_t *)cache, (int)strlen(cache), &p, end) ||
		    lws_add_http_header_by_name(wsi, (const uint8_t *)"x-content-type-options:",
		        (const uint8_t *)"nosniff", 7, &p, end))
			return -1;
		if (c->close_after &&
		    lws_add_http_header_by_name(
		        wsi, (const uint8_t *)"connection:", (const uint8_t *)"close", 5, &p, end))
			return -1;
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		c->headers_sent = true;
		count_status(s, r->status);
		if (r->len == 0)
			return http_finish(wsi, c);
		lws_callback_on_writable(wsi);
		return 0;
	}
	size_t n = r->len - c->resp_off;
	if (n > HTTP_CHUNK)
		n = HTTP_CHUNK;
	memcpy(start, r->body + c->resp_off, n);
	c->resp_off += n;
	bool final = c->resp_off == r->len;
	if (lws_write(wsi, start, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	return http_finish(wsi, c);
}

/* ---- static files ------------------------------------------------------------- */

static const char no_web_page[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>TandemCode</title></head>"
    "<body><h1>TandemCode</h1><p>The server is running, but the web app is not built.</p>"
    "<p>Build it with <code>tools/setup</code> (or <code>cd web &amp;&amp; npm ci &amp;&amp; "
    "npm run build</code>), then reload this page.</p>"
    "<p>The API is at <a href=\"/api/problems\">/api/problems</a>; health at "
    "<a href=\"/healthz\">/healthz</a>.</p></body></html>\n";

static int
serve_file(
    struct gw_server *s, struct lws *wsi, const char *full, const char *mime, const char *cache)
{
	uint8_t hdr[256], *p = hdr, *end = hdr + sizeof(hdr);
	if (lws_add_http_header_by_name(wsi, (const uint8_t *)"cache-control:",
	        (const uint8_t *)cache, (int)strlen(cache), &p, end) ||
	    lws_add_http_header_by_name(wsi,
	        (const uint8_t *)"x-content-type-options:", (const uint8_t *)"nosniff", 7, &p, end))
		return -1;
	count_status(s, 200);
	int n = lws_serve_http_file(wsi, full, mime, (const char *)hdr, (int)(p - hdr));
	if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}

static int
http_static(struct gw_server *s, struct lws *wsi, struct conn *c)
{
	char rel[GW_PATH_MAX + 1], full[PATH_MAX], real[PATH_MAX];
	struct stat st;

	enum tc_err rv = gw__path_clean(c->path, rel, sizeof(rel));
	if (rv == TC_EPERM)
		return respond_text(wsi, c, 403, "text/plain; charset=utf-8", "forbidden\n");
	if (rv != TC_OK)
		return respond_text(wsi, c, 400, "text/plain; charset=utf-8", "bad path\n");
	if (!s->web_ok) {
		if (rel[0] == '\0' || gw__spa_route(rel))
			return respond_text(wsi, c, 200, "text/html; charset=utf-8", no_web_page);
		return respond_text(wsi, c, 404, "text/plain; charset=utf-8", "not found\n");
	}
	if (rel[0] != '\0') {
		int n = snprintf(full, sizeof(full), "%s/%s", s->web_real, rel);
		if (n > 0 && (size_t)n < sizeof(full) && stat(full, &st) == 0 &&
		    S_ISREG(st.st_mode) && realpath(full, real) != NULL &&
		    strncmp(real, s->web_real, strlen(s->web_real)) == 0 &&
		    real[strlen(s->web_real)] == '/') {
			bool hashed = strncmp(rel, "assets/", 7) == 0;
			return serve_file(s, wsi, real, gw__mime_type(real),
			    hashed ? "public, max-age=31536000, immutable" : "no-cache");
		}
		if (!gw__spa_route(rel))
			return respond_text(
			    wsi, c, 404, "text/plain; charset=utf-8", "not found\n");
	}
	/* "/" and the app's own routes (/room/abc, /replay/abc): index.html. */
	snprintf(full, sizeof(full), "%s/index.html", s->web_real);
	return serve_file(s, wsi, full, "text/html; charset=utf-8", "no-cache");
}

/* ---- HTTP requests -------------------------------------------------------------- */

/* Joins lws's decoded query fragments with '&' into a new string. */
static char *
copy_query(struct lws *wsi)
{
	char *q = malloc(QUERY_MAX + 1);
	size_t o = 0;
	char frag[QUERY_MAX];

	if (q == NULL)
		return NULL;
	q[0] = '\0';
	for (int i = 0; i < 32; i++) {
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n <= 0)
			break;
		if (o + (size_t)n + 2 > QUERY_MAX)
			break;
		if (o > 0)
			q[o++] = '&';
		memcpy(q + o, frag, (size_t)n);
		o += (size_t)n;
		q[o] = '\0';
	}
	return q;
}

static char *
copy_bearer(struct lws *wsi)
{
	int len = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (len <= 7 || len > GW_TOKEN_MAX + 7)
		return NULL;
	char *buf = malloc((size_t)len + 1);
	if (buf == NULL || lws_hdr_copy(wsi, buf, len + 1, WSI_TOKEN_HTTP_AUTHORIZATION) != len ||
	    strncasecmp(buf, "Bearer ", 7) != 0) {
		free(buf);
		return NULL;
	}
	memmove(buf, buf + 7, (size_t)len - 6);
	return buf;
}

static int
api_dispatch(struct gw_server *s, struct lws *wsi, struct conn *c)
{
	struct gw_reply *r = NULL;
	if (c->dispatched)
		return 0; /* a body after an early answer (413) */
	c->dispatched = true;
	if (c->body_over) {
		c->close_after = true;
		return respond(wsi, c, gw__reply_error(413, "TOO_LARGE", "request body too large"));
	}
	if (c->id == 0 && gw__hub_open(s->hub, wsi, &c->id) != TC_OK) {
		c->id = 0;
		return respond(wsi, c, gw__reply_error(503, "BUSY", "server busy, retry"));
	}
	struct gw_request rq = {c->method, c->path, c->query != NULL ? c->query : "", c->body,
	    c->body_len, c->bearer, c->id};
	gw__api_handle(s, &rq, &r);
	if (r == NULL) {
		c->deferred = true; /* the reply comes through the hub */
		return 0;
	}
	return respond(wsi, c, r);
}

static int
http_request(struct gw_server *s, struct lws *wsi, struct conn *c, const char *uri)
{
	http_reset(s, c);
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		c->method = GW_GET;
	else if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
		c->method = GW_POST;
	else
		c->method = GW_OTHER;
	if (uri == NULL || strlen(uri) > GW_PATH_MAX)
		return respond_text(wsi, c, 414, "text/plain; charset=utf-8", "URI too long\n");
	if ((c->path = strdup(uri)) == NULL)
		return -1;
	c->query = copy_query(wsi);

	if (strcmp(c->path, "/healthz") == 0) {
		c->cache = "no-store";
		return respond_text(wsi, c, 200, "text/plain; charset=utf-8", "ok\n");
	}
	if (strcmp(c->path, "/metrics") == 0) {
		char *text = NULL;
		size_t len = 0;
		if (tc_metrics_render(tc_node_metrics(s->node), &text, &len) != TC_OK)
			return respond_text(wsi, c, 500, "text/plain; charset=utf-8", "error\n");
		struct gw_reply *r =
		    gw__reply_new(200, "text/plain; version=0.0.4; charset=utf-8", text, len);
		free(text);
		return respond(wsi, c, r);
	}
	if (strncmp(c->path, "/api/", 5) == 0) {
		c->in_api = true;
		c->bearer = copy_bearer(wsi);
		if (c->method == GW_POST) {
			int cl = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
			char num[32] = "";
			bool too_big = cl >= (int)sizeof(num);
			if (!too_big && cl > 0 &&
			    lws_hdr_copy(wsi, num, sizeof(num), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
				too_big = strtoull(num, NULL, 10) > s->cfg.limits.max_body;
			if (too_big) {
				c->body_over = true;
				return api_dispatch(s, wsi, c);
			}
			if (cl <= 0 || strcmp(num, "0") == 0)
				return api_dispatch(s, wsi, c); /* no body follows */
			return 0; /* wait for HTTP_BODY ... HTTP_BODY_COMPLETION */
		}
		return api_dispatch(s, wsi, c);
	}
	if (strncmp(c->path, "/ws/", 4) == 0)
		return respond(wsi, c,
		    gw__reply_error(426, "UPGRADE_REQUIRED", "this path speaks WebSocket only"));
	if (c->method != GW_GET)
		return respond_text(
		    wsi, c, 405, "text/plain; charset=utf-8", "method not allowed\n");
	return http_static(s, wsi, c);
}

static int
http_body(struct gw_server *s, struct conn *c, const void *in, size_t len)
{
	if (!c->in_api || c->body_over)
		return 0;
	if (c->body_len + len > s->cfg.limits.max_body) {
		c->body_over = true;
		free(c->body);
		c->body = NULL;
		c->body_len = 0;
		return 0;
	}
	char *b = realloc(c->body, c->body_len + len + 1);
	if (b == NULL)
		return -1;
	memcpy(b + c->body_len, in, len);
	c->body = b;
	c->body_len += len;
	c->body[c->body_len] = '\0';
	return 0;
}

/* ---- the room WebSocket ----------------------------------------------------------- */

static bool
hdr_copy(struct lws *wsi, enum lws_token_indexes t, char *buf, size_t cap)
{
	int len = lws_hdr_total_length(wsi, t);
	buf[0] = '\0';
	if (len <= 0)
		return false;
	if ((size_t)len >= cap)
		return false;
	return lws_hdr_copy(wsi, buf, (int)cap, t) == len;
}

/* Refuses a handshake with an HTTP status; lws then drops the connection. */
static int
refuse(struct lws *wsi, unsigned status, const char *why)
{
	(void)lws_return_http_status(wsi, status, why);
	return 1;
}

static int
ws_filter(struct gw_server *s, struct lws *wsi, struct conn *c)
{
	char uri[GW_PATH_MAX + 1], origin[HDR_MAX], host[HDR_MAX], token[GW_TOKEN_MAX + 1];
	enum gw_auth_fail why = GW_AUTH_OK;
	size_t tlen = 0;

	memset(c, 0, sizeof(*c));
	if (!hdr_copy(wsi, WSI_TOKEN_GET_URI, uri, sizeof(uri)) ||
	    strncmp(uri, ROOM_PATH, strlen(ROOM_PATH)) != 0 ||
	    !gw_id_valid(uri + strlen(ROOM_PATH), GW_ROOM_MAX))
		return refuse(wsi, 404, "no such endpoint");
	const char *room = uri + strlen(ROOM_PATH);
	bool has_origin = hdr_copy(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
	if (!has_origin && lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0)
		has_origin = true; /* present but too long: never allowed */
	(void)hdr_copy(wsi, WSI_TOKEN_HOST, host, sizeof(host));
	if (has_origin &&
	    (origin[0] == '\0' || !gw__origin_allowed(origin, host,
	                              (const char *const *)s->cfg.origins, s->cfg.norigins))) {
		tc_counter_add(s->m.origin_refused, 1);
		tc_log(
		    TC_LOG_INFO, "gateway", "handshake refused: origin '%s' not allowed", origin);
		return refuse(wsi, 403, "origin not allowed");
	}
	char *q = copy_query(wsi);
	enum tc_err rv = q != NULL
	                     ? gw__query_get(q, strlen(q), "token", token, sizeof(token), &tlen)
	                     : TC_ENOMEM;
	free(q);
	if (rv != TC_OK)
		tlen = 0;
	if (gw_auth_verify(s->auth, token, tlen, (int64_t)time(NULL), &c->ident, &why) != TC_OK) {
		tc_counter_add(s->m.auth_fail[why], 1);
		tc_log(
		    TC_LOG_INFO, "gateway", "handshake refused: token %s", gw_auth_fail_name(why));
		return refuse(wsi, 401, "token missing, expired or invalid");
	}
	if (c->ident.room[0] != '\0' && strcmp(c->ident.room, room) != 0) {
		tc_counter_add(s->m.auth_fail[GW_AUTH_ROOM], 1);
		return refuse(wsi, 403, "token is for another room");
	}
	if (c->ident.room[0] == '\0')
		strcpy(c->ident.role, ROOM_ROLE_OBSERVER); /* unbound tokens watch */
	int n = snprintf(c->room_name, sizeof(c->room_name), "%s/%s", ROOM_KIND, room);
	if (n <= 0 || (size_t)n >= sizeof(c->room_name))
		return refuse(wsi, 404, "no such room");
	c->ws = true;
	return 0;
}

static void
ws_queue_error(
    struct gw_server *s, struct lws *wsi, struct conn *c, const char *code, const char *message)
{
	uint8_t *f = NULL;
	size_t len = 0;
	if (gw__error_frame(code, message, &f, &len) == TC_OK) {
		(void)gw__hub_push(s->hub, c->id, f, len);
		free(f);
	}
	lws_callback_on_writable(wsi);
}

static void
ws_close(struct gw_server *s, struct lws *wsi, struct conn *c, int code, const char *reason)
{
	c->closing = true;
	(void)gw__hub_close_req(s->hub, c->id, code, reason, false);
	lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, (int)s->cfg.limits.close_grace_s);
	lws_callback_on_writable(wsi);
}

static int
ws_established(struct gw_server *s, struct lws *wsi, struct conn *c)
{
	uint8_t *join = NULL;
	size_t jlen = 0;
	enum tc_err rv;

	if (!c->ws)
		return -1;
	if (gw__hub_open(s->hub, wsi, &c->id) != TC_OK) {
		c->id = 0;
		tc_log(TC_LOG_WARN, "gateway", "connection cap reached: refusing a WebSocket");
		return -1;
	}
	tc_gauge_add(s->m.conns, 1);
	tc_counter_add(s->m.conns_total, 1);
	gw__bucket_init(&c->bucket, s->cfg.limits.burst, mono_ms());

	struct gw_session_arg *a = malloc(sizeof(*a));
	if (a == NULL)
		return -1;
	gw__hub_ref(s->hub);
	a->hub = s->hub;
	a->conn = c->id;
	if ((rv = tc_spawn(s->node, &gw__session_behaviour, a, &c->session)) != TC_OK) {
		gw__hub_unref(s->hub);
		free(a);
		c->session = TC_ADDR_NONE;
		ws_close(s, wsi, c, 1013, "server busy");
		return 0;
	}
	if ((rv = gw__join_encode(c->ident.user, c->ident.name, c->ident.role, &join, &jlen)) ==
	    TC_OK)
		rv = tc_node_send_name(
		    s->node, c->room_name, c->session, ROOM_MSG_JOIN, join, jlen, &c->room);
	free(join);
	if (rv != TC_OK) {
		tc_log(TC_LOG_INFO, "gateway", "join %s: %s", c->room_name, tc_strerror(rv));
		c->room = TC_ADDR_NONE;
		ws_close(s, wsi, c, ROOM_CLOSE_NO_ROOM, "no such room");
		return 0;
	}
	if (!tc_addr_is_none(c->room))
		(void)tc_node_send(
		    s->node, c->session, TC_ADDR_NONE, GW_MSG_WATCH, &c->room, sizeof(c->room));
	return 0;
}

/* A refused frame: an ERROR to the client, and a close after too many. */
static void
ws_strike(struct gw_server *s, struct lws *wsi, struct conn *c, const char *code,
    const char *message, uint64_t now)
{
	if (now - c->last_strike_ms > 10000)
		c->strikes = 0;
	c->last_strike_ms = now;
	if (++c->strikes >= s->cfg.limits.strikes) {
		tc_counter_add(s->m.closed_policy, 1);
		ws_queue_error(s, wsi, c, code, "too many refused messages: closing");
		ws_close(s, wsi, c, ROOM_CLOSE_POLICY, "too many refused messages");
		return;
	}
	ws_queue_error(s, wsi, c, code, message);
}

static void
ws_message(struct gw_server *s, struct lws *wsi, struct conn *c, const uint8_t *data, size_t len,
    bool text)
{
	uint64_t now = mono_ms(), type;
	size_t used;
	enum tc_err rv;

	if (!gw__bucket_take(&c->bucket, s->cfg.limits.msgs_per_s, s->cfg.limits.burst, now)) {
		tc_counter_add(s->m.rej_rate, 1);
		ws_strike(s, wsi, c, ROOM_ERR_RATE_LIMITED, "too many messages: slow down", now);
		return;
	}
	if (text) {
		tc_counter_add(s->m.rej_text, 1);
		ws_strike(s, wsi, c, ROOM_ERR_BAD_FRAME,
		    "text frames are not accepted: send binary", now);
		return;
	}
	if (len == 0 || gw__varuint_decode(data, len, &type, &used) != TC_OK) {
		tc_counter_add(s->m.rej_malformed, 1);
		ws_strike(s, wsi, c, ROOM_ERR_BAD_FRAME, "a frame must start with its type", now);
		return;
	}
	if (!tc_addr_is_none(c->room))
		rv = tc_node_send(s->node, c->room, c->session, ROOM_MSG_FRAME, data, len);
	else
		rv = tc_node_send_name(
		    s->node, c->room_name, c->session, ROOM_MSG_FRAME, data, len, NULL);
	if (rv == TC_ETOOBIG) {
		tc_counter_add(s->m.rej_too_large, 1);
		ws_strike(s, wsi, c, ROOM_ERR_TOO_LARGE, "message too large", now);
		return;
	}
	if (rv != TC_OK) {
		ws_close(s, wsi, c, 1011, "room unavailable");
		return;
	}
	tc_counter_add(s->m.frames_in, 1);
	tc_counter_add(s->m.bytes_in, len);
}

static int
ws_receive(struct gw_server *s, struct lws *wsi, struct conn *c, const uint8_t *in, size_t len)
{
	bool first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);
	size_t remaining = lws_remaining_packet_payload(wsi);
	size_t cap = s->cfg.limits.max_frame;

	if (c->closing || c->id == 0) {
		tc_counter_add(s->m.rej_closing, final ? 1 : 0);
		return 0;
	}
	if (c->rx_discard) {
		/*
		 * A message over the cap is drained to its end before the close
		 * (RFC 6455 7.1.1): closing in the middle of it leaves the
		 * client's bytes unread, the kernel answers with a reset, and
		 * the client loses the close frame that says why.  Draining is
		 * bounded; past the bound the connection is dropped.
		 */
		c->rx_discarded += len;
		if (c->rx_discarded > RX_DISCARD_MAX)
			return -1;
		if (final) {
			c->rx_discard = false;
			ws_queue_error(
			    s, wsi, c, ROOM_ERR_TOO_LARGE, "message over the frame size cap");
			ws_close(s, wsi, c, ROOM_CLOSE_TOO_LARGE, "frame too large");
		}
		return 0;
	}
	if (first) {
		c->rx_len = 0;
		c->rx_text = !lws_frame_is_binary(wsi);
	}
	if (c->rx_len + len + remaining > cap) {
		tc_counter_add(s->m.rej_too_large, 1);
		free(c->rx);
		c->rx = NULL;
		c->rx_len = c->rx_cap = 0;
		c->rx_discard = true;
		c->rx_discarded = 0;
		return ws_receive(s, wsi, c, in, len);
	}
	if (first && final) {
		ws_message(s, wsi, c, in, len, c->rx_text);
		return 0;
	}
	if (c->rx_len + len > c->rx_cap) {
		size_t want = c->rx_len + len + remaining;
		size_t ncap = c->rx_cap ? c->rx_cap : 4096;
		while (ncap < want)
			ncap *= 2;
		if (ncap > cap)
			ncap = cap;
		uint8_t *p = realloc(c->rx, ncap);
		if (p == NULL)
			return -1;
		c->rx = p;
		c->rx_cap = ncap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (final) {
		ws_message(s, wsi, c, c->rx, c->rx_len, c->rx_text);
		c->rx_len = 0;
		if (c->rx_cap > 65536) { /* do not keep a big buffer per idle client */
			free(c->rx);
			c->rx = NULL;
			c->rx_cap = 0;
		}
	}
	return 0;
}

static int
ws_writeable(struct gw_server *s, struct lws *wsi, struct conn *c)
{
	struct gw_out *o = NULL;
	int code = 0;
	char reason[124];
	bool more = false;

	if (c->id == 0)
		return -1;
	if (gw__hub_pop(s->hub, c->id, &o, &code, reason, sizeof(reason), &more) != TC_OK)
		return -1;
	if (o != NULL) {
		int n = lws_write(wsi, o->buf + GW_PRE, o->len, LWS_WRITE_BINARY);
		size_t len = o->len;
		free(o);
		if (n < (int)len)
			return -1;
		tc_counter_add(s->m.frames_out, 1);
		tc_counter_add(s->m.bytes_out, len);
		if (more)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (code != 0) {
		c->closing = true;
		lws_close_reason(
		    wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
		return -1;
	}
	return 0;
}

static void
ws_closed(struct gw_server *s, struct conn *c)
{
	if (!c->ws)
		return;
	if (c->id != 0) {
		if (!tc_addr_is_none(c->session)) {
			if (!tc_addr_is_none(c->room))
				(void)tc_node_send(
				    s->node, c->room, c->session, ROOM_MSG_LEAVE, NULL, 0);
			else
				(void)tc_node_send_name(s->node, c->room_name, c->session,
				    ROOM_MSG_LEAVE, NULL, 0, NULL);
			(void)tc_node_stop_actor(s->node, c->session);
		}
		gw__hub_close(s->hub, c->id);
		tc_gauge_add(s->m.conns, -1);
		c->id = 0;
	}
	free(c->rx);
	c->rx = NULL;
	c->ws = false;
}

/* ---- the callback ------------------------------------------------------------------- */

static void
on_wake(struct lws *wsi, bool closing, void *arg)
{
	struct gw_server *s = arg;
	/* A connection asked to close gets a deadline: a client that stopped
	 * reading cannot hold it open by never draining its socket. */
	if (closing)
		lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, (int)s->cfg.limits.close_grace_s);
	lws_callback_on_writable(wsi);
}

static int
gw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct gw_server *s = lws_context_user(lws_get_context(wsi));
	struct conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (s != NULL && s->hub != NULL)
			gw__hub_drain_wakes(s->hub, on_wake, s);
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		/* WebSocket only: never h2c. */
		return in != NULL && strcasecmp(in, "websocket") == 0 ? 0 : -1;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ws_filter(s, wsi, c);
	case LWS_CALLBACK_ESTABLISHED:
		return ws_established(s, wsi, c);
	case LWS_CALLBACK_RECEIVE:
		return ws_receive(s, wsi, c, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_writeable(s, wsi, c);
	case LWS_CALLBACK_CLOSED:
		ws_closed(s, c);
		return 0;
	case LWS_CALLBACK_HTTP:
		return http_request(s, wsi, c, in);
	case LWS_CALLBACK_HTTP_BODY:
		return http_body(s, c, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return c->in_api ? api_dispatch(s, wsi, c) : 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_writeable(s, wsi, c);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (c != NULL && !c->ws)
			http_reset(s, c);
		return 0;
	default:
		return 0;
	}
}

/*
 * rx_buffer_size: lws keeps one receive buffer of this size per WebSocket
 * (its default is 4 KiB).  Our messages are mostly a few hundred bytes and
 * longer ones are reassembled in conn.rx anyway, so 256 bytes saves 3.75
 * KiB per connection for a few more callbacks per long message.  A small
 * buffer delivers a long message in many pieces, so an oversized one could
 * be closed in its middle and the client lost the close frame to a reset:
 * ws_receive drains such a message before closing.
 *
 * tx_packet_size must then be set: at 0 lws limits every send() to
 * rx_buffer_size and buffers the rest, which made a joiner's step 2 (the
 * whole document) go out 256 bytes per service turn, and cut short the
 * HTTP answer of a refused handshake.  1 MiB: one send() per frame, the
 * kernel's socket buffer decides the rest.
 */
#define WS_RX_BUFFER 256
#define WS_TX_PACKET (1u << 20)

static const struct lws_protocols protocols[] = {
    {"tandem", gw_callback, sizeof(struct conn), WS_RX_BUFFER, 0, NULL, WS_TX_PACKET},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- lifecycle ----------------------------------------------------------------------- */

void
gw_config_init(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 8080;
	cfg->bind = "127.0.0.1";
	cfg->data_dir = "./data";
}

static void
limits_defaults(struct gw_limits *l)
{
	if (l->max_frame == 0)
		l->max_frame = 1u << 20;
	if (l->msgs_per_s == 0)
		l->msgs_per_s = 200;
	if (l->burst == 0)
		l->burst = 2 * l->msgs_per_s;
	if (l->strikes == 0)
		l->strikes = 50;
	if (l->sendq_bytes == 0)
		l->sendq_bytes = 8u << 20;
	if (l->sendq_frames == 0)
		l->sendq_frames = 65536;
	if (l->max_body == 0)
		l->max_body = 64u << 10;
	if (l->max_conns == 0)
		l->max_conns = 10000;
	if (l->close_grace_s == 0)
		l->close_grace_s = 10;
}

static char *
dup_str(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void
config_free(struct gw_server *s)
{
	struct gw_config *c = &s->cfg;
	free((char *)c->bind);
	free((char *)c->web_root);
	free((char *)c->problems_dir);
	free((char *)c->data_dir);
	free((char *)c->auth.guest_secret);
	free((char *)c->auth.jwks_file);
	free((char *)c->auth.jwks_url);
	free((char *)c->auth.issuer);
	free((char *)c->auth.audience);
	for (size_t i = 0; s->origins != NULL && i < c->norigins; i++)
		free(s->origins[i]);
	free(s->origins);
}

enum tc_err
gw_server_new(const struct gw_config *cfg, struct tc_node *node, struct st_store *store,
    struct gw_server **out)
{
	struct gw_server *s;
	char err[256] = "";
	enum tc_err rv;

	*out = NULL;
	if (cfg == NULL || node == NULL || cfg->port < 0 || cfg->port > 65535)
		return TC_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return TC_ENOMEM;
	s->node = node;
	s->store = store;
	s->cfg = *cfg;
	s->cfg.bind = dup_str(cfg->bind != NULL ? cfg->bind : "127.0.0.1");
	s->cfg.web_root = dup_str(cfg->web_root);
	s->cfg.problems_dir = dup_str(cfg->problems_dir);
	s->cfg.data_dir = dup_str(cfg->data_dir != NULL ? cfg->data_dir : "./data");
	s->cfg.auth.guest_secret = dup_str(cfg->auth.guest_secret);
	s->cfg.auth.jwks_file = dup_str(cfg->auth.jwks_file);
	s->cfg.auth.jwks_url = dup_str(cfg->auth.jwks_url);
	s->cfg.auth.issuer = dup_str(cfg->auth.issuer);
	s->cfg.auth.audience = dup_str(cfg->auth.audience);
	s->origins = calloc(cfg->norigins + 1, sizeof(char *));
	for (size_t i = 0; s->origins != NULL && i < cfg->norigins; i++)
		s->origins[i] = dup_str(cfg->origins[i]);
	s->cfg.origins = (const char *const *)s->origins;
	limits_defaults(&s->cfg.limits);

	metrics_init(&s->m, tc_node_metrics(node));
	if ((rv = gw_auth_new(&s->cfg.auth, s->cfg.data_dir, &s->auth, err, sizeof(err))) !=
	    TC_OK) {
		tc_log(TC_LOG_ERROR, "gateway", "auth: %s", err);
		goto fail;
	}
	if ((rv = gw__problems_load(s->cfg.problems_dir, &s->problems)) != TC_OK ||
	    (rv = gw__hub_new(&s->cfg.limits, &s->m, &s->hub)) != TC_OK)
		goto fail;
	if (s->cfg.web_root != NULL) {
		char real[PATH_MAX], index[PATH_MAX];
		struct stat st;
		if (realpath(s->cfg.web_root, real) != NULL &&
		    snprintf(index, sizeof(index), "%s/index.html", real) < (int)sizeof(index) &&
		    stat(index, &st) == 0 && S_ISREG(st.st_mode)) {
			s->web_ok = true;
			s->web_real = strdup(real);
		} else {
			tc_log(TC_LOG_WARN, "gateway",
			    "web app not built (%s/index.html missing): serving a help page; run "
			    "tools/setup",
			    s->cfg.web_root);
		}
	}
	*out = s;
	return TC_OK;
fail:
	gw_server_free(s);
	return rv;
}

static void
lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	tc_log(level == LLL_ERR ? TC_LOG_ERROR : TC_LOG_WARN, "lws", "%.*s", (int)n, line);
}

/* context_free destroys the lws context (closing every connection: their
 * CLOSED callbacks run on this thread), then its loop. */
static void
context_free(struct gw_server *s)
{
	if (s->ctx != NULL)
		lws_context_destroy(s->ctx);
	gw_evloop_free(s->loop);
	s->ctx = NULL;
	s->vhost = NULL;
	s->loop = NULL;
}

static void *
service_main(void *arg)
{
	struct gw_server *s = arg;
	gw_evloop_run(s->loop); /* every lws callback runs in here */
	return NULL;
}

enum tc_err
gw_server_start(struct gw_server *s)
{
	struct lws_context_creation_info info;

	if (s->running || s->ctx != NULL)
		return TC_ESTATE;
	if (s->cfg.auth.jwks_url != NULL && gw_auth_refresh(s->auth) != TC_OK)
		tc_log(TC_LOG_WARN, "gateway",
		    "JWKS URL unreachable at start: JWTs refused until it is");
	if (gw_auth_watch(s->auth) == TC_ENOMEM)
		return TC_ENOMEM;
	lws_set_log_level(LLL_ERR, lws_log_emit);
	memset(&info, 0, sizeof(info));
	info.port = s->cfg.port;
	info.iface = s->cfg.bind;
	info.protocols = protocols;
	info.user = s;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	info.fd_limit_per_thread = s->cfg.limits.max_conns + 64;
	info.max_http_header_data = 8192 + 1024; /* tokens ride in the query */
	info.max_http_header_pool = 64;
	info.timeout_secs = 30;
	info.ka_time = 60;
	info.ka_probes = 3;
	info.ka_interval = 10;
	info.count_threads = 1;
	/*
	 * lws on an epoll loop of our own (ADR-0035): its poll() backend
	 * scans every connection on every wake-up, which at 1,000 sockets
	 * was a third of the server's CPU.  A foreign loop also keeps lws
	 * from installing signal handlers (tandem serve sigwaits).
	 */
	if (gw_evloop_new(&info, &s->loop) != TC_OK)
		return TC_ENOMEM;
	s->ctx = lws_create_context(&info);
	if (s->ctx == NULL) {
		context_free(s);
		tc_log(TC_LOG_ERROR, "gateway", "cannot listen on %s:%d", s->cfg.bind, s->cfg.port);
		return TC_EEXIST;
	}
	s->vhost = lws_get_vhost_by_name(s->ctx, "default");
	s->port = s->vhost != NULL ? lws_get_vhost_listen_port(s->vhost) : s->cfg.port;
	if (s->port <= 0) {
		context_free(s);
		return TC_EIO;
	}
	gw__hub_set_context(s->hub, s->ctx);
	if (pthread_create(&s->thread, NULL, service_main, s) != 0) {
		gw__hub_set_context(s->hub, NULL);
		context_free(s);
		return TC_ENOMEM;
	}
	s->running = true;
	tc_log(TC_LOG_INFO, "gateway", "listening on http://%s:%d", s->cfg.bind, s->port);
	return TC_OK;
}

int
gw_server_port(const struct gw_server *s)
{
	return s->port;
}

struct gw_auth *
gw_server_auth(struct gw_server *s)
{
	return s->auth;
}

void
gw_server_stop(struct gw_server *s)
{
	if (s == NULL || s->ctx == NULL)
		return;
	if (s->running) {
		gw_evloop_break(s->loop);
		pthread_join(s->thread, NULL);
		s->running = false;
	}
	gw__hub_set_context(s->hub, NULL);
	context_free(s);
}

void
gw_server_free(struct gw_server *s)
{
	if (s == NULL)
		return;
	gw_server_stop(s);
	gw__hub_unref(s->hub);
	gw__problems_free(s->problems);
	gw_auth_free(s->auth);
	free(s->web_real);
	config_free(s);
	free(s);
}

void
gw_server_stats(struct gw_server *s, struct gw_stats *out)
{
	memset(out, 0, sizeof(*out));
	int64_t open = tc_gauge_get(s->m.conns);
	out->ws_open = open > 0 ? (uint64_t)open : 0;
	out->ws_total = tc_counter_get(s->m.conns_total);
	out->frames_in = tc_counter_get(s->m.frames_in);
	out->frames_out = tc_counter_get(s->m.frames_out);
	out->rejected = tc_counter_get(s->m.rej_too_large) + tc_counter_get(s->m.rej_text) +
	                tc_counter_get(s->m.rej_malformed) + tc_counter_get(s->m.rej_rate);
	out->slow_closed = tc_counter_get(s->m.closed_slow);
	for (int i = GW_AUTH_MISSING; i <= GW_AUTH_ROOM; i++)
		out->auth_failures += tc_counter_get(s->m.auth_fail[i]);
	out->auth_failures += tc_counter_get(s->m.origin_refused);
}
