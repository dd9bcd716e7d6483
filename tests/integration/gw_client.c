/*
 * gw_client.c - HTTP (libcurl) and WebSocket (libwebsockets) clients for
 * the gateway integration tests.  See gw_client.h.
 */
#include <curl/curl.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_client.h"
#include "xt.h"

/* ---- HTTP ---- */

static size_t
http_write(char *p, size_t sz, size_t n, void *arg)
{
	struct gwc_http *r = arg;
	char *b = realloc(r->body, r->len + sz * n + 1);
	if (b == NULL)
		return 0;
	memcpy(b + r->len, p, sz * n);
	r->body = b;
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

static size_t
http_header(char *p, size_t sz, size_t n, void *arg)
{
	struct gwc_http *r = arg;
	size_t len = sz * n;
	if (len > 13 && strncasecmp(p, "content-type:", 13) == 0)
		snprintf(r->ctype, sizeof(r->ctype), "%.*s", (int)(len - 13), p + 13);
	if (len > 14 && strncasecmp(p, "cache-control:", 14) == 0)
		snprintf(r->cache, sizeof(r->cache), "%.*s", (int)(len - 14), p + 14);
	/* trim */
	for (char *s = r->ctype; *s != '\0'; s++)
		if (*s == '\r' || *s == '\n')
			*s = '\0';
	char *t = r->ctype;
	while (*t == ' ')
		memmove(t, t + 1, strlen(t));
	return len;
}

int
gwc_http(const char *method, int port, const char *path, const char *body, const char *extra_header,
    struct gwc_http *out)
{
	char url[4096];
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L); /* keep ../ for traversal tests */
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	}
	if (extra_header != NULL)
		hdrs = curl_slist_append(hdrs, extra_header);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (out->body == NULL)
		out->body = calloc(1, 1);
	return cc == CURLE_OK ? 0 : -1;
}

void
gwc_http_free(struct gwc_http *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- WebSocket ---- */

struct msg {
	uint8_t *data;
	size_t len;
	bool binary;
};

struct gwc_ws {
	pthread_mutex_t lock;
	int port;
	char path[8192];
	char origin[256];
	bool has_origin;
	struct lws *wsi; /* client thread only */
	enum gwc_state state;
	int close_code;
	/* received */
	struct msg *in;
	size_t nin, capin;
	uint8_t *rx;
	size_t rxlen;
	/* to send */
	struct msg *out;
	size_t nout, capout, outpos;
	/* commands */
	bool want_connect, want_close, want_write;
	int want_pause; /* 0 none, 1 pause, 2 resume */
	bool freed;
	struct gwc_ws *next_cmd;
};

static pthread_mutex_t cmd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gwc_ws *live[256];
static size_t nlive;
static struct lws_context *cctx;
static pthread_t cthread;
static atomic_bool cstop;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
push_msg(struct msg **arr, size_t *n, size_t *cap, const uint8_t *d, size_t len, bool bin)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*arr = realloc(*arr, *cap * sizeof(**arr));
	}
	(*arr)[*n].data = malloc(len + LWS_PRE + 1);
	memcpy((*arr)[*n].data + LWS_PRE, d, len);
	(*arr)[*n].len = len;
	(*arr)[*n].binary = bin;
	(*n)++;
}

static int
client_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct gwc_ws *ws = lws_get_opaque_user_data(wsi);

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		pthread_mutex_lock(&cmd_lock);
		for (size_t i = 0; i < nlive; i++) {
			struct gwc_ws *w = live[i];
			pthread_mutex_lock(&w->lock);
			if (w->want_connect) {
				w->want_connect = false;
				struct lws_client_connect_info ci;
				memset(&ci, 0, sizeof(ci));
				ci.context = cctx;
				ci.address = "127.0.0.1";
				ci.port = w->port;
				ci.path = w->path;
				char host[64];
				snprintf(host, sizeof(host), "127.0.0.1:%d", w->port);
				ci.host = host;
				ci.origin = w->has_origin ? w->origin : NULL;
				ci.protocol = NULL;
				ci.opaque_user_data = w;
				ci.pwsi = &w->wsi;
				if (lws_client_connect_via_info(&ci) == NULL)
					w->state = GWC_REFUSED;
			}
			if (w->wsi != NULL && w->state == GWC_OPEN) {
				if (w->want_pause == 1)
					lws_rx_flow_control(w->wsi, 0);
				else if (w->want_pause == 2)
					lws_rx_flow_control(w->wsi, 1);
				w->want_pause = 0;
				if (w->want_write || w->want_close)
					lws_callback_on_writable(w->wsi);
				w->want_write = false;
			}
			pthread_mutex_unlock(&w->lock);
		}
		pthread_mutex_unlock(&cmd_lock);
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		pthread_mutex_lock(&ws->lock);
		ws->state = GWC_OPEN;
		if (ws->nout > ws->outpos || ws->want_close)
			lws_callback_on_writable(wsi);
		pthread_mutex_unlock(&ws->lock);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (ws != NULL) {
			pthread_mutex_lock(&ws->lock);
			ws->state = GWC_REFUSED;
			ws->wsi = NULL;
			pthread_mutex_unlock(&ws->lock);
		}
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		pthread_mutex_lock(&ws->lock);
		ws->rx = realloc(ws->rx, ws->rxlen + len + 1);
		memcpy(ws->rx + ws->rxlen, in, len);
		ws->rxlen += len;
		if (lws_is_final_fragment(wsi)) {
			push_msg(&ws->in, &ws->nin, &ws->capin, ws->rx, ws->rxlen,
			    lws_frame_is_binary(wsi));
			ws->rxlen = 0;
		}
		pthread_mutex_unlock(&ws->lock);
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		pthread_mutex_lock(&ws->lock);
		if (len >= 2)
			ws->close_code = ((const uint8_t *)in)[0] << 8 | ((const uint8_t *)in)[1];
		pthread_mutex_unlock(&ws->lock);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		pthread_mutex_lock(&ws->lock);
		if (ws->outpos < ws->nout) {
			struct msg *m = &ws->out[ws->outpos++];
			pthread_mutex_unlock(&ws->lock);
			lws_write(wsi, m->data + LWS_PRE, m->len,
			    m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
			lws_callback_on_writable(wsi);
			return 0;
		}
		if (ws->want_close) {
			pthread_mutex_unlock(&ws->lock);
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"bye", 3);
			return -1;
		}
		pthread_mutex_unlock(&ws->lock);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		pthread_mutex_lock(&ws->lock);
		ws->state = GWC_CLOSED;
		ws->wsi = NULL;
		pthread_mutex_unlock(&ws->lock);
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols client_protocols[] = {
    {"tandem-test", client_cb, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *
client_main(void *arg)
{
	while (!atomic_load(&cstop))
		lws_service(cctx, 0);
	return NULL;
}

static void
client_start(void)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = client_protocols;
	info.options = LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN; /* send Origin as given */
	lws_set_log_level(LLL_ERR, NULL);
	cctx = lws_create_context(&info);
	pthread_create(&cthread, NULL, client_main, NULL);
}

void
gwc_shutdown(void)
{
	if (cctx == NULL)
		return;
	atomic_store(&cstop, true);
	lws_cancel_service(cctx);
	pthread_join(cthread, NULL);
	lws_context_destroy(cctx);
	cctx = NULL;
}

static void
wake(void)
{
	lws_cancel_service(cctx);
}

struct gwc_ws *
gwc_ws_open(int port, const char *path, const char *origin)
{
	pthread_once(&once, client_start);
	struct gwc_ws *ws = calloc(1, sizeof(*ws));
	pthread_mutex_init(&ws->lock, NULL);
	ws->port = port;
	snprintf(ws->path, sizeof(ws->path), "%s", path);
	if (origin != NULL) {
		ws->has_origin = true;
		snprintf(ws->origin, sizeof(ws->origin), "%s", origin);
	}
	ws->want_connect = true;
	pthread_mutex_lock(&cmd_lock);
	live[nlive++] = ws;
	pthread_mutex_unlock(&cmd_lock);
	wake();
	return ws;
}

enum gwc_state
gwc_ws_state(struct gwc_ws *ws)
{
	pthread_mutex_lock(&ws->lock);
	enum gwc_state s = ws->state;
	pthread_mutex_unlock(&ws->lock);
	return s;
}

static bool
not_connecting(void *arg)
{
	return gwc_ws_state(arg) != GWC_CONNECTING;
}

enum gwc_state
gwc_ws_wait_open(struct gwc_ws *ws, unsigned timeout_ms)
{
	xt_wait_until(not_connecting, ws, timeout_ms);
	return gwc_ws_state(ws);
}

void
gwc_ws_send(struct gwc_ws *ws, const void *data, size_t len, bool binary)
{
	pthread_mutex_lock(&ws->lock);
	push_msg(&ws->out, &ws->nout, &ws->capout, data, len, binary);
	ws->want_write = true;
	pthread_mutex_unlock(&ws->lock);
	wake();
}

void
gwc_ws_pause(struct gwc_ws *ws, bool pause)
{
	pthread_mutex_lock(&ws->lock);
	ws->want_pause = pause ? 1 : 2;
	pthread_mutex_unlock(&ws->lock);
	wake();
}

void
gwc_ws_close(struct gwc_ws *ws)
{
	pthread_mutex_lock(&ws->lock);
	ws->want_close = true;
	pthread_mutex_unlock(&ws->lock);
	wake();
}

size_t
gwc_ws_count(struct gwc_ws *ws)
{
	pthread_mutex_lock(&ws->lock);
	size_t n = ws->nin;
	pthread_mutex_unlock(&ws->lock);
	return n;
}

bool
gwc_ws_get(struct gwc_ws *ws, size_t i, const uint8_t **data, size_t *len)
{
	pthread_mutex_lock(&ws->lock);
	bool ok = i < ws->nin;
	if (ok) {
		*data = ws->in[i].data + LWS_PRE;
		*len = ws->in[i].len;
	}
	pthread_mutex_unlock(&ws->lock);
	return ok;
}

struct count_arg {
	struct gwc_ws *ws;
	size_t n;
};

static bool
has_count(void *arg)
{
	struct count_arg *a = arg;
	return gwc_ws_count(a->ws) >= a->n || gwc_ws_state(a->ws) == GWC_CLOSED;
}

size_t
gwc_ws_wait_count(struct gwc_ws *ws, size_t n, unsigned timeout_ms)
{
	struct count_arg a = {ws, n};
	xt_wait_until(has_count, &a, timeout_ms);
	return gwc_ws_count(ws);
}

int
gwc_ws_close_code(struct gwc_ws *ws)
{
	pthread_mutex_lock(&ws->lock);
	int c = ws->close_code;
	pthread_mutex_unlock(&ws->lock);
	return c;
}

static bool
is_closed(void *arg)
{
	enum gwc_state s = gwc_ws_state(arg);
	return s == GWC_CLOSED || s == GWC_REFUSED;
}

int
gwc_ws_wait_closed(struct gwc_ws *ws, unsigned timeout_ms)
{
	if (!xt_wait_until(is_closed, ws, timeout_ms))
		return -1;
	return gwc_ws_close_code(ws);
}

long
gwc_ws_find_error(struct gwc_ws *ws, const char *code)
{
	long found = -1;
	pthread_mutex_lock(&ws->lock);
	for (size_t i = 0; i < ws->nin && found < 0; i++) {
		const uint8_t *d = ws->in[i].data + LWS_PRE;
		size_t len = ws->in[i].len;
		/* 105 is one varUint byte; then a msgpack map holding the code text */
		if (len > 1 && d[0] == 105 && memmem(d, len, code, strlen(code)) != NULL)
			found = (long)i;
	}
	pthread_mutex_unlock(&ws->lock);
	return found;
}

void
gwc_ws_free(struct gwc_ws *ws)
{
	if (ws == NULL)
		return;
	/* Close if still open, then forget it once the client thread is done. */
	if (gwc_ws_state(ws) == GWC_OPEN) {
		gwc_ws_close(ws);
		gwc_ws_wait_closed(ws, 10000);
	}
	pthread_mutex_lock(&cmd_lock);
	for (size_t i = 0; i < nlive; i++)
		if (live[i] == ws) {
			live[i] = live[--nlive];
			break;
		}
	pthread_mutex_unlock(&cmd_lock);
	for (size_t i = 0; i < ws->nin; i++)
		free(ws->in[i].data);
	for (size_t i = 0; i < ws->nout; i++)
		free(ws->out[i].data);
	free(ws->in);
	free(ws->out);
	free(ws->rx);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}
