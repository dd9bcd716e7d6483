/*
 * tests/integration/gw_client.h - clients for the gateway tests: HTTP with
 * libcurl, WebSocket with a libwebsockets client whose one service thread
 * does every lws call (the test thread posts commands and waits for state
 * with a deadline).
 */
#ifndef GW_CLIENT_H
#define GW_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- HTTP ---- */

struct gwc_http {
	long status;
	char *body; /* NUL-terminated; free with gwc_http_free */
	size_t len;
	char ctype[128];
	char cache[128];
};

/* gwc_http performs one request; returns 0, or -1 when no answer came.
 * extra_header (may be NULL) is one "Name: value" line. */
int gwc_http(const char *method, int port, const char *path, const char *body,
    const char *extra_header, struct gwc_http *out);
void gwc_http_free(struct gwc_http *r);

/* ---- WebSocket ---- */

enum gwc_state {
	GWC_CONNECTING = 0,
	GWC_OPEN,
	GWC_REFUSED, /* the handshake failed */
	GWC_CLOSED,
};

struct gwc_ws;

/* gwc_ws_open starts connecting to ws://127.0.0.1:port + path (which holds
 * the query); origin may be NULL (no Origin header). */
struct gwc_ws *gwc_ws_open(int port, const char *path, const char *origin);
/* gwc_ws_wait waits up to timeout_ms until the state is no longer
 * CONNECTING and returns it. */
enum gwc_state gwc_ws_wait_open(struct gwc_ws *ws, unsigned timeout_ms);
enum gwc_state gwc_ws_state(struct gwc_ws *ws);
/* gwc_ws_send queues one message (a copy). */
void gwc_ws_send(struct gwc_ws *ws, const void *data, size_t len, bool binary);
/* gwc_ws_pause stops (true) or resumes (false) reading from the socket. */
void gwc_ws_pause(struct gwc_ws *ws, bool pause);
/* gwc_ws_close starts a normal close (1000). */
void gwc_ws_close(struct gwc_ws *ws);
/* Messages received so far; the pointer stays valid until gwc_ws_free. */
size_t gwc_ws_count(struct gwc_ws *ws);
bool gwc_ws_get(struct gwc_ws *ws, size_t i, const uint8_t **data, size_t *len);
/* gwc_ws_wait_count waits until at least n messages came; returns the count. */
size_t gwc_ws_wait_count(struct gwc_ws *ws, size_t n, unsigned timeout_ms);
/* The close code the server sent (0: none yet / none given). */
int gwc_ws_close_code(struct gwc_ws *ws);
/* gwc_ws_wait_closed waits for the CLOSED state; returns the close code
 * (0 if none came, -1 on timeout). */
int gwc_ws_wait_closed(struct gwc_ws *ws, unsigned timeout_ms);
/* gwc_ws_find_error: the index of the first ERROR frame with code, or -1. */
long gwc_ws_find_error(struct gwc_ws *ws, const char *code);
void gwc_ws_free(struct gwc_ws *ws);

/* gwc_shutdown stops the client thread (call once at the end). */
void gwc_shutdown(void);

#endif /* GW_CLIENT_H */
