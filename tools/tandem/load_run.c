/*
 * load_run.c - simulated users for `tandem load`.
 *
 * Design notes
 * - Each simulated user is an actor on one node; it owns its document
 *   clock, its timers and its latency samples.  One libwebsockets client
 *   context, served by one thread, carries every user's WebSocket.
 * - libwebsockets is not thread-safe: users hand frames to the service
 *   thread through their connection's locked queue plus a shared "dirty"
 *   list, and wake it with lws_cancel_service() only when the list goes
 *   from empty to non-empty.  Received frames are stamped with the receive
 *   time on the service thread and posted to the user's actor.
 * - An edit carries its send time (monotonic ns, in hex) as its text, so
 *   the other member of the room measures edit latency from send to
 *   receipt, within this one process and clock.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>

#include "actors/protocol.h"
#include "core/log.h"
#include "core/node.h"
#include "gateway/evloop.h"
#include "load.h"

#define FRAME_MAX (64 * 1024)
#define RX_MAX (4 * 1024 * 1024)
#define OUT_MAX_BYTES (1024 * 1024)

enum {
	LD_OPEN = TC_MSG_APP,
	LD_FRAME,
	LD_CLOSED,
	LD_EDIT_TICK,
	LD_CURSOR_TICK,
	LD_RUN_TICK,
};

enum conn_state {
	CONN_NEW = 0,
	CONN_CONNECTING,
	CONN_OPEN,
	CONN_DONE
};

struct outframe {
	struct outframe *next;
	size_t len;
	uint8_t data[]; /* LWS_PRE bytes of headroom, then the frame */
};

struct run;

struct conn {
	struct run *run;
	uint32_t idx;
	struct tc_addr actor;
	char path[512];
	struct lws *wsi;       /* service thread only */
	uint8_t *rx;           /* service thread only: a frame being assembled */
	size_t rx_len, rx_cap; /* service thread only */
	pthread_mutex_t lock;  /* guards out_* */
	struct outframe *out_head, *out_tail;
	size_t out_bytes;
	bool dirty;        /* on the run's dirty list; guarded by run->dirty_lock */
	_Atomic int armed; /* may connect (cold joins connect one at a time) */
	_Atomic int state;
};

struct user {
	struct run *run;
	uint32_t conn;
	uint32_t client;
	uint64_t clock, aw_clock;
	unsigned room;
	uint64_t *lat;
	size_t nlat, caplat;
	struct yp_buf out; /* the frame being written; reused */
	uint64_t edits, updates, aware, app;
	unsigned step2s;     /* SYNC step 2 messages received */
	uint64_t join_t0_ns; /* cold join: when the connection was started */
};

struct run {
	const struct ld_options *opt;
	struct lws_context *ctx;
	struct gw_evloop *loop; /* the service thread's epoll loop */
	pthread_t thread;
	bool thread_started;
	_Atomic int stop;
	_Atomic int connects_pending;
	struct tc_node *node;
	struct conn *conns;
	struct user *users;
	size_t n;
	pthread_mutex_t dirty_lock;
	uint32_t *dirty;
	size_t ndirty;
	_Atomic uint64_t connected, errors, closed_early;
	_Atomic uint64_t measure_from_ns;
	pthread_mutex_t err_lock;
	char first_error[256];
	/* Cold joins: the writer and each joiner report here. */
	pthread_mutex_t ev_lock;
	pthread_cond_t ev_cv;
	unsigned ev_count;
	uint64_t ev_ns;
};

static void
run_event(struct run *r, uint64_t ns)
{
	pthread_mutex_lock(&r->ev_lock);
	r->ev_count++;
	r->ev_ns = ns;
	pthread_cond_broadcast(&r->ev_cv);
	pthread_mutex_unlock(&r->ev_lock);
}

/* Waits until ev_count reaches want or timeout_s passes; returns ev_ns or 0. */
static uint64_t
run_wait_event(struct run *r, unsigned want, double timeout_s)
{
	struct timespec dl;
	uint64_t ns = 0;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)timeout_s;
	pthread_mutex_lock(&r->ev_lock);
	while (r->ev_count < want) {
		if (pthread_cond_timedwait(&r->ev_cv, &r->ev_lock, &dl) != 0)
			break;
	}
	if (r->ev_count >= want)
		ns = r->ev_ns;
	pthread_mutex_unlock(&r->ev_lock);
	return ns;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
note_error(struct run *r, const char *fmt, const char *detail)
{
	atomic_fetch_add(&r->errors, 1);
	pthread_mutex_lock(&r->err_lock);
	if (r->first_error[0] == '\0')
		snprintf(r->first_error, sizeof(r->first_error), fmt, detail ? detail : "");
	pthread_mutex_unlock(&r->err_lock);
}

/* ---- frames out: any thread -> service thread --------------------------- */

static void
conn_send(struct conn *c, const uint8_t *p, size_t len)
{
	struct run *r = c->run;
	struct outframe *f;
	bool wake = false;

	if (atomic_load(&c->state) != CONN_OPEN)
		return;
	if ((f = malloc(sizeof(*f) + LWS_PRE + len)) == NULL)
		return;
	f->next = NULL;
	f->len = len;
	memcpy(f->data + LWS_PRE, p, len);
	pthread_mutex_lock(&c->lock);
	if (c->out_bytes + len > OUT_MAX_BYTES) {
		pthread_mutex_unlock(&c->lock);
		free(f);
		note_error(r, "client send queue full%s", NULL);
		return;
	}
	if (c->out_tail != NULL)
		c->out_tail->next = f;
	else
		c->out_head = f;
	c->out_tail = f;
	c->out_bytes += len;
	pthread_mutex_unlock(&c->lock);

	pthread_mutex_lock(&r->dirty_lock);
	if (!c->dirty) {
		c->dirty = true;
		wake = r->ndirty == 0;
		r->dirty[r->ndirty++] = c->idx;
	}
	pthread_mutex_unlock(&r->dirty_lock);
	if (wake)
		lws_cancel_service(r->ctx);
}

/* ---- the service thread ------------------------------------------------- */

static void
conn_connect(struct run *r, struct conn *c)
{
	struct lws_client_connect_info ci;
	char origin[160];

	memset(&ci, 0, sizeof(ci));
	/* libwebsockets writes the Origin header as "http://" + this. */
	snprintf(origin, sizeof(origin), "%s:%d", r->opt->host, r->opt->port);
	ci.context = r->ctx;
	ci.address = r->opt->host;
	ci.port = r->opt->port;
	ci.path = c->path;
	ci.host = origin; /* the Host header: host:port, as a browser sends it */
	ci.origin = origin;
	ci.ietf_version_or_minus_one = -1;
	ci.userdata = c;
	ci.pwsi = &c->wsi;
	atomic_store(&c->state, CONN_CONNECTING);
	if (lws_client_connect_via_info(&ci) == NULL) {
		atomic_store(&c->state, CONN_DONE);
		note_error(r, "cannot start a connection%s", NULL);
	}
}

static void
drain_dirty(struct run *r)
{
	uint32_t batch[256];
	size_t n;

	do {
		pthread_mutex_lock(&r->dirty_lock);
		n = r->ndirty < 256 ? r->ndirty : 256;
		memcpy(batch, r->dirty + r->ndirty - n, n * sizeof(*batch));
		r->ndirty -= n;
		for (size_t i = 0; i < n; i++)
			r->conns[batch[i]].dirty = false;
		pthread_mutex_unlock(&r->dirty_lock);
		for (size_t i = 0; i < n; i++) {
			struct conn *c = &r->conns[batch[i]];
			if (c->wsi != NULL && atomic_load(&c->state) == CONN_OPEN)
				lws_callback_on_writable(c->wsi);
		}
	} while (n == 256);
}

static int
write_one(struct conn *c)
{
	struct outframe *f;

	pthread_mutex_lock(&c->lock);
	f = c->out_head;
	if (f != NULL) {
		c->out_head = f->next;
		if (c->out_head == NULL)
			c->out_tail = NULL;
		c->out_bytes -= f->len;
	}
	bool more = c->out_head != NULL;
	pthread_mutex_unlock(&c->lock);
	if (f == NULL)
		return 0;
	int w = lws_write(c->wsi, f->data + LWS_PRE, f->len, LWS_WRITE_BINARY);
	free(f);
	if (w < 0)
		return -1;
	if (more)
		lws_callback_on_writable(c->wsi);
	return 0;
}

static void
post_frame(struct conn *c, const uint8_t *p, size_t len)
{
	struct run *r = c->run;
	uint8_t *body = malloc(8 + len);
	uint64_t now = mono_ns();

	if (body == NULL)
		return;
	memcpy(body, &now, 8);
	memcpy(body + 8, p, len);
	tc_node_send(r->node, c->actor, TC_ADDR_NONE, LD_FRAME, body, 8 + len);
	free(body);
}

static int
client_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct conn *c = user;
	struct run *r = c != NULL ? c->run : NULL;

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
		struct run *rr = lws_context_user(lws_get_context(wsi));
		if (rr != NULL && atomic_exchange(&rr->connects_pending, 0)) {
			for (size_t i = 0; i < rr->n; i++) {
				if (atomic_load(&rr->conns[i].state) == CONN_NEW &&
				    atomic_load(&rr->conns[i].armed))
					conn_connect(rr, &rr->conns[i]);
			}
		}
		if (rr != NULL)
			drain_dirty(rr);
		break;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		atomic_store(&c->state, CONN_OPEN);
		atomic_fetch_add(&r->connected, 1);
		tc_node_send(r->node, c->actor, TC_ADDR_NONE, LD_OPEN, NULL, 0);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_frame_is_binary(wsi) == 0) {
			note_error(r, "server sent a text frame%s", NULL);
			break;
		}
		if (c->rx_len + len > RX_MAX) {
			note_error(r, "frame over the client's cap%s", NULL);
			return -1;
		}
		if (c->rx_len + len > c->rx_cap) {
			size_t nc = c->rx_cap ? c->rx_cap : 4096;
			while (nc < c->rx_len + len)
				nc *= 2;
			uint8_t *nb = realloc(c->rx, nc);
			if (nb == NULL)
				return -1;
			c->rx = nb;
			c->rx_cap = nc;
		}
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
		if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
			post_frame(c, c->rx, c->rx_len);
			c->rx_len = 0;
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (write_one(c) != 0)
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		note_error(r, "connection failed: %s", in != NULL ? (const char *)in : "");
		atomic_store(&c->state, CONN_DONE);
		c->wsi = NULL;
		tc_node_send(r->node, c->actor, TC_ADDR_NONE, LD_CLOSED, NULL, 0);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!atomic_load(&r->stop)) {
			atomic_fetch_add(&r->closed_early, 1);
			note_error(r, "server closed a connection%s", NULL);
		}
		atomic_store(&c->state, CONN_DONE);
		c->wsi = NULL;
		tc_node_send(r->node, c->actor, TC_ADDR_NONE, LD_CLOSED, NULL, 0);
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2 && !atomic_load(&r->stop)) {
			char code[64];
			const uint8_t *b = in;
			snprintf(code, sizeof(code), "%u", (unsigned)(b[0] << 8 | b[1]));
			note_error(r, "server closed with code %s", code);
		}
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
    {"tandem-load", client_cb, 0, FRAME_MAX, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *
service_main(void *arg)
{
	struct run *r = arg;
	gw_evloop_run(r->loop);
	return NULL;
}

/* svc_start: the lws client context on an epoll loop (as the gateway's,
 * gateway/evloop.h), and its thread. */
static enum tc_err
svc_start(struct run *r, struct lws_context_creation_info *info)
{
	if (gw_evloop_new(info, &r->loop) != TC_OK)
		return TC_ENOMEM;
	if ((r->ctx = lws_create_context(info)) == NULL)
		return TC_EIO;
	if (pthread_create(&r->thread, NULL, service_main, r) != 0)
		return TC_ENOMEM;
	r->thread_started = true;
	return TC_OK;
}

/* svc_stop: stops the service thread, then closes every connection (their
 * close callbacks still post to the node) and frees the loop.  Idempotent. */
static void
svc_stop(struct run *r)
{
	atomic_store(&r->stop, 1);
	if (r->thread_started) {
		gw_evloop_break(r->loop);
		pthread_join(r->thread, NULL);
		r->thread_started = false;
	}
	if (r->ctx != NULL)
		lws_context_destroy(r->ctx);
	r->ctx = NULL;
	gw_evloop_free(r->loop);
	r->loop = NULL;
}

/* ---- the user actor ------------------------------------------------------ */

static uint64_t
period_ms(double per_s, double scale)
{
	uint64_t ms = (uint64_t)(scale / per_s + 0.5);
	return ms > 0 ? ms : 1;
}

static enum tc_err
user_init(struct tc_ctx *ctx, void *arg, void **state)
{
	*state = arg;
	return TC_OK;
}

/* Sends u->out to the user's connection and empties it. */
static void
user_flush(struct user *u)
{
	conn_send(&u->run->conns[u->conn], u->out.data, u->out.len);
	yp_buf_reset(&u->out);
}

static void
user_edit(struct user *u)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "t%016" PRIx64 ";", mono_ns());
	if (ld_frame_edit(&u->out, u->client, &u->clock, "monaco", text, (size_t)n) == TC_OK) {
		user_flush(u);
		u->edits++;
	}
	yp_buf_reset(&u->out);
}

static void
user_cursor(struct user *u)
{
	char json[256];
	snprintf(json, sizeof(json),
	    "{\"user\":{\"name\":\"load-%u\",\"color\":\"#3b82f6\"},\"cursor\":{\"anchor\":%" PRIu64
	    ",\"head\":%" PRIu64 "}}",
	    u->conn, u->clock, u->clock);
	if (ld_frame_awareness(&u->out, u->client, ++u->aw_clock, json) == TC_OK)
		user_flush(u);
	yp_buf_reset(&u->out);
}

static void
user_sync(struct user *u, unsigned sub)
{
	enum tc_err rv =
	    sub == YP_SYNC_STEP1
	        ? yp_frame_sync_encode(
	              &u->out, sub, yp_empty_state_vector, sizeof(yp_empty_state_vector))
	        : yp_frame_sync_encode(&u->out, sub, yp_empty_update, sizeof(yp_empty_update));
	if (rv == TC_OK)
		user_flush(u);
	yp_buf_reset(&u->out);
}

static void
user_run_request(struct user *u)
{
	static const char code[] = "class Solution:\n    def twoSum(self, nums, target):\n"
	                           "        seen = {}\n        for i, x in enumerate(nums):\n"
	                           "            if target - x in seen:\n"
	                           "                return [seen[target - x], i]\n"
	                           "            seen[x] = i\n";
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "code", 4);
	msgpack_pack_str_with_body(&pk, code, sizeof(code) - 1);
	msgpack_pack_str_with_body(&pk, "lang", 4);
	msgpack_pack_str_with_body(&pk, "python", 6);
	if (sb.data != NULL &&
	    yp_frame_app_encode(&u->out, ROOM_FRAME_RUN, sb.data, sb.size) == TC_OK)
		user_flush(u);
	yp_buf_reset(&u->out);
	msgpack_sbuffer_destroy(&sb);
}

static void
user_frame(struct user *u, const uint8_t *body, size_t len)
{
	struct yp_frame f;
	uint64_t recv_ns;

	if (len < 8)
		return;
	memcpy(&recv_ns, body, 8);
	if (yp_frame_parse(body + 8, len - 8, &f) != TC_OK)
		return;
	if (f.type == YP_FRAME_SYNC) {
		if (f.sub == YP_SYNC_STEP1) { /* the server asks for what we have */
			user_sync(u, YP_SYNC_STEP2);
			return;
		}
		u->updates++;
		if (f.sub == YP_SYNC_STEP2 && u->run->opt->cold_join > 0) {
			u->step2s++;
			/* The writer: its second step 2 answers the step 1 it sent after
			 * its edits.  A joiner: its first step 2 completes the join. */
			if (u->conn == 0 ? u->step2s == 2 : u->step2s == 1)
				run_event(u->run, recv_ns);
			return;
		}
		uint32_t client;
		const char *text;
		size_t tlen;
		if (f.sub == YP_SYNC_UPDATE &&
		    ld_update_probe(f.data, f.len, &client, &text, &tlen) == 0 &&
		    client != u->client && tlen == 18 && text[0] == 't') {
			char hex[17];
			memcpy(hex, text + 1, 16);
			hex[16] = '\0';
			uint64_t sent = strtoull(hex, NULL, 16);
			if (sent >= atomic_load(&u->run->measure_from_ns) && recv_ns >= sent &&
			    u->nlat < u->caplat)
				u->lat[u->nlat++] = recv_ns - sent;
		}
	} else if (f.type == YP_FRAME_AWARENESS) {
		u->aware++;
	} else {
		u->app++;
	}
}

static enum tc_err
user_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct user *u = state;
	const struct ld_options *o = u->run->opt;

	switch (msg->type) {
	case LD_OPEN: {
		user_sync(u, YP_SYNC_STEP1);
		if (o->cold_join > 0) {
			if (u->conn == 0) {
				for (unsigned i = 0; i < o->cold_join; i++)
					user_edit(u);
				user_sync(u, YP_SYNC_STEP1);
			}
			break;
		}
		if (o->edits_per_s > 0)
			tc_send_every(
			    ctx, period_ms(o->edits_per_s, 1000.0), LD_EDIT_TICK, NULL, 0, NULL);
		if (o->cursors_per_s > 0)
			tc_send_every(ctx, period_ms(o->cursors_per_s, 1000.0), LD_CURSOR_TICK,
			    NULL, 0, NULL);
		if (o->runs_per_min > 0 && o->server == LD_SERVER_TANDEM && u->conn % o->users == 0)
			tc_send_every(
			    ctx, period_ms(o->runs_per_min, 60000.0), LD_RUN_TICK, NULL, 0, NULL);
		break;
	}
	case LD_EDIT_TICK:
		if (!atomic_load(&u->run->stop))
			user_edit(u);
		break;
	case LD_CURSOR_TICK:
		if (!atomic_load(&u->run->stop))
			user_cursor(u);
		break;
	case LD_RUN_TICK:
		if (!atomic_load(&u->run->stop))
			user_run_request(u);
		break;
	case LD_FRAME:
		user_frame(u, msg->body, msg->len);
		break;
	default:
		break;
	}
	return TC_OK;
}

static const struct tc_behaviour user_beh = {"load-user", user_init, user_handle, NULL};

/* ---- rooms and tokens from the REST API --------------------------------- */

struct membuf {
	char *p;
	size_t len;
};

static size_t
membuf_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct membuf *m = userdata;
	size_t n = size * nmemb;
	if (m->len + n > 65536)
		return 0;
	char *np = realloc(m->p, m->len + n + 1);
	if (np == NULL)
		return 0;
	memcpy(np + m->len, ptr, n);
	m->p = np;
	m->len += n;
	m->p[m->len] = '\0';
	return n;
}

static json_t *
post_json(CURL *curl, const char *url, json_t *body, char *err, size_t errlen)
{
	struct membuf m = {NULL, 0};
	char *text = json_dumps(body, JSON_COMPACT);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	long status = 0;
	json_t *out = NULL;

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, membuf_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &m);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	CURLcode rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(rc));
	else if (status < 200 || status >= 300)
		snprintf(err, errlen, "%s: HTTP %ld %s", url, status, m.p ? m.p : "");
	else if ((out = json_loads(m.p ? m.p : "", 0, NULL)) == NULL)
		snprintf(err, errlen, "%s: answer is not JSON", url);
	curl_slist_free_all(h);
	free(text);
	free(m.p);
	return out;
}

static enum tc_err
tandem_rooms(struct run *r, char *err, size_t errlen)
{
	const struct ld_options *o = r->opt;
	CURL *curl = curl_easy_init();
	char url[512];
	enum tc_err rv = TC_OK;

	if (curl == NULL)
		return TC_ENOMEM;
	for (unsigned room = 0; room < o->rooms && rv == TC_OK; room++) {
		snprintf(url, sizeof(url), "http://%s:%d/api/rooms", o->host, o->port);
		json_t *req = json_pack("{s:s, s:s}", "problem", o->problem, "name", "load-0");
		json_t *ans = post_json(curl, url, req, err, errlen);
		json_decref(req);
		const char *id = NULL, *invite = NULL, *token = NULL;
		if (ans == NULL || json_unpack(ans, "{s:s, s:s, s:s}", "room", &id, "invite",
		                       &invite, "token", &token) != 0) {
			if (ans != NULL)
				snprintf(err, errlen, "POST /api/rooms: unexpected answer");
			json_decref(ans);
			rv = TC_ECONNREFUSED;
			break;
		}
		for (unsigned k = 0; k < o->users && rv == TC_OK; k++) {
			struct conn *c = &r->conns[room * o->users + k];
			const char *tok = token;
			json_t *jans = NULL;
			if (k > 0) {
				char name[32];
				snprintf(name, sizeof(name), "load-%u", k);
				snprintf(url, sizeof(url), "http://%s:%d/api/rooms/%s/join",
				    o->host, o->port, id);
				/* Two editors per room; anyone after them watches. */
				json_t *jreq = json_pack("{s:s, s:s, s:s}", "invite", invite,
				    "name", name, "role", k < 2 ? "editor" : "observer");
				jans = post_json(curl, url, jreq, err, errlen);
				json_decref(jreq);
				if (jans == NULL ||
				    json_unpack(jans, "{s:s}", "token", &tok) != 0) {
					json_decref(jans);
					rv = TC_ECONNREFUSED;
					break;
				}
			}
			snprintf(c->path, sizeof(c->path), "/ws/rooms/%s?token=%s", id, tok);
			json_decref(jans);
		}
		json_decref(ans);
	}
	curl_easy_cleanup(curl);
	return rv;
}

/* ---- the run ------------------------------------------------------------ */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1e6;
}

static void
wait_seconds(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void
collect(struct run *r, struct ld_report *out, double measured_s)
{
	size_t total = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct user *u = &r->users[i];
		total += u->nlat;
		out->edits_sent += u->edits;
		out->updates_received += u->updates;
		out->awareness_received += u->aware;
		out->app_frames += u->app;
	}
	uint64_t *all = malloc((total + 1) * sizeof(*all));
	size_t k = 0;
	for (size_t i = 0; all != NULL && i < r->n; i++) {
		memcpy(all + k, r->users[i].lat, r->users[i].nlat * sizeof(*all));
		k += r->users[i].nlat;
	}
	if (all != NULL) {
		qsort(all, k, sizeof(*all), cmp_u64);
		out->samples = k;
		out->p50_ms = pct(all, k, 0.50);
		out->p90_ms = pct(all, k, 0.90);
		out->p99_ms = pct(all, k, 0.99);
		out->p999_ms = pct(all, k, 0.999);
		out->max_ms = k ? (double)all[k - 1] / 1e6 : 0;
	}
	free(all);
	out->delivered_per_s = measured_s > 0 ? (double)k / measured_s : 0;
	out->connected = atomic_load(&r->connected);
	out->errors = atomic_load(&r->errors);
	out->closed_early = atomic_load(&r->closed_early);
	snprintf(out->first_error, sizeof(out->first_error), "%s", r->first_error);
}

static void
run_free(struct run *r)
{
	svc_stop(r);
	for (size_t i = 0; r->conns != NULL && i < r->n; i++) {
		struct conn *c = &r->conns[i];
		struct outframe *f = c->out_head;
		while (f != NULL) {
			struct outframe *next = f->next;
			free(f);
			f = next;
		}
		free(c->rx);
		pthread_mutex_destroy(&c->lock);
	}
	for (size_t i = 0; r->users != NULL && i < r->n; i++) {
		free(r->users[i].lat);
		yp_buf_fini(&r->users[i].out);
	}
	free(r->conns);
	free(r->users);
	free(r->dirty);
	pthread_mutex_destroy(&r->dirty_lock);
	pthread_mutex_destroy(&r->err_lock);
	pthread_mutex_destroy(&r->ev_lock);
	pthread_cond_destroy(&r->ev_cv);
}

static void
cold_joins(struct run *r, struct ld_report *out)
{
	unsigned joins = (unsigned)r->n - 1;
	uint64_t *t = calloc(joins + 1, sizeof(*t));
	unsigned done = 0;

	atomic_store(&r->conns[0].armed, 1);
	atomic_store(&r->connects_pending, 1);
	lws_cancel_service(r->ctx);
	if (t != NULL && run_wait_event(r, 1, 120) != 0) {
		for (unsigned j = 1; j <= joins; j++) {
			uint64_t t0 = mono_ns();
			atomic_store(&r->conns[j].armed, 1);
			atomic_store(&r->connects_pending, 1);
			lws_cancel_service(r->ctx);
			uint64_t t1 = run_wait_event(r, j + 1, 30);
			if (t1 == 0)
				break;
			t[done++] = t1 - t0;
		}
	} else {
		note_error(r, "the writer's updates were not acknowledged%s", NULL);
	}
	if (done > 0) {
		qsort(t, done, sizeof(*t), cmp_u64);
		out->join_p50_ms = pct(t, done, 0.5);
		out->join_p90_ms = pct(t, done, 0.9);
		out->join_max_ms = (double)t[done - 1] / 1e6;
	}
	out->joined = done;
	free(t);
}

void
ld_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

enum tc_err
ld_run(const struct ld_options *opt, struct ld_report *out)
{
	struct run r;
	enum tc_err rv = TC_OK;
	struct ld_options cold;
	const struct ld_options *o = opt;

	if (opt->cold_join > 0) {
		/* One room: a writer, then joiners one at a time. */
		cold = *opt;
		cold.rooms = 1;
		cold.users = 1 + (opt->joins > 0 ? opt->joins : 20);
		cold.cursors_per_s = 0;
		cold.runs_per_min = 0;
		o = &cold;
	}
	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.opt = o;
	pthread_mutex_init(&r.ev_lock, NULL);
	pthread_cond_init(&r.ev_cv, NULL);
	r.n = (size_t)o->rooms * o->users;
	pthread_mutex_init(&r.dirty_lock, NULL);
	pthread_mutex_init(&r.err_lock, NULL);
	atomic_store(&r.measure_from_ns, UINT64_MAX);
	ld_raise_nofile();

	uint32_t nonce = 0;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint32_t)mono_ns();
	r.conns = calloc(r.n, sizeof(*r.conns));
	r.users = calloc(r.n, sizeof(*r.users));
	r.dirty = calloc(r.n, sizeof(*r.dirty));
	if (r.conns == NULL || r.users == NULL || r.dirty == NULL) {
		run_free(&r);
		return TC_ENOMEM;
	}
	size_t cap =
	    (size_t)((o->duration_s + 1) * o->edits_per_s * (o->users - 1 ? o->users - 1 : 1)) + 64;
	for (size_t i = 0; i < r.n; i++) {
		struct conn *c = &r.conns[i];
		struct user *u = &r.users[i];
		c->run = &r;
		c->idx = (uint32_t)i;
		pthread_mutex_init(&c->lock, NULL);
		unsigned room = (unsigned)(i / o->users);
		if (o->server == LD_SERVER_YWS)
			snprintf(c->path, sizeof(c->path), "/load-%08x-%u", nonce, room);
		u->run = &r;
		u->conn = (uint32_t)i;
		u->room = room;
		/* Fresh Yjs client ids every run: a server keeps old documents. */
		u->client = (uint32_t)((nonce + i * 2654435761u) % 2147483647u) + 1;
		u->caplat = cap;
		yp_buf_init(&u->out, FRAME_MAX);
		u->lat = malloc(cap * sizeof(*u->lat));
		if (u->lat == NULL) {
			run_free(&r);
			return TC_ENOMEM;
		}
	}
	if (o->server == LD_SERVER_TANDEM &&
	    (rv = tandem_rooms(&r, out->first_error, sizeof(out->first_error))) != TC_OK) {
		run_free(&r);
		return rv;
	}

	struct tc_node_config cfg = {.id = 1, .name = "load", .workers = o->workers};
	if ((rv = tc_node_new(&cfg, &r.node)) != TC_OK || (rv = tc_node_start(r.node)) != TC_OK) {
		tc_node_free(r.node);
		run_free(&r);
		return rv;
	}
	for (size_t i = 0; i < r.n; i++) {
		if ((rv = tc_spawn(r.node, &user_beh, &r.users[i], &r.conns[i].actor)) != TC_OK)
			break;
	}

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = &r;
	info.fd_limit_per_thread = (unsigned)(r.n + 64);
	info.pt_serv_buf_size = 256 * 1024;
	lws_set_log_level(LLL_ERR, NULL);
	if (rv == TC_OK)
		rv = svc_start(&r, &info);
	if (rv == TC_OK && o->cold_join > 0) {
		cold_joins(&r, out);
		svc_stop(&r);
		tc_node_stop(r.node, 2000, NULL);
		unsigned joined = out->joined;
		double j50 = out->join_p50_ms, j90 = out->join_p90_ms, jmax = out->join_max_ms;
		collect(&r, out, 0);
		out->joined = joined, out->join_p50_ms = j50, out->join_p90_ms = j90;
		out->join_max_ms = jmax;
	} else if (rv == TC_OK) {
		for (size_t i = 0; i < r.n; i++)
			atomic_store(&r.conns[i].armed, 1);
		atomic_store(&r.connects_pending, 1);
		lws_cancel_service(r.ctx); /* the service thread starts the connections */
		wait_seconds(o->warmup_s);
		if (o->on_measure != NULL)
			o->on_measure(o->on_measure_arg);
		atomic_store(&r.measure_from_ns, mono_ns());
		uint64_t t0 = mono_ns();
		wait_seconds(o->duration_s);
		uint64_t t1 = mono_ns();
		atomic_store(&r.measure_from_ns, UINT64_MAX); /* edits sent now are not counted */
		wait_seconds(0.5);                            /* let in-flight edits land */
		svc_stop(&r);
		tc_node_stop(r.node, 2000, NULL);
		out->elapsed_s = (double)(t1 - t0) / 1e9;
		collect(&r, out, out->elapsed_s);
		uint64_t sent = 0;
		for (size_t i = 0; i < r.n; i++)
			sent += r.users[i].edits;
		out->sent_per_s = (double)sent / (o->warmup_s + out->elapsed_s + 0.5);
		if (out->connected == 0 && out->errors > 0)
			rv = TC_ECONNREFUSED;
	}
	svc_stop(&r);
	tc_node_free(r.node);
	run_free(&r);
	return rv;
}
