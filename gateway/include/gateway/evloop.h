/*
 * gateway/evloop.h - a libwebsockets context on an epoll loop of its own
 * (ADR-0035), for the gateway's server and for WebSocket clients such as
 * `tandem load`.
 *
 * lws's default poll() backend scans every socket on every wake-up; with
 * this, lws runs on a libev loop with the epoll backend that the caller
 * owns (a "foreign" loop, which also keeps lws from installing signal
 * handlers).  One thread runs the loop; any thread may break it.
 *
 *   gw_evloop_new(&info, &l);        before lws_create_context(&info)
 *   gw_evloop_run(l);                on the service thread, until broken
 *   gw_evloop_break(l);              any thread; then join the service thread
 *   lws_context_destroy(ctx);
 *   gw_evloop_free(l);               after the context
 */
#ifndef GATEWAY_EVLOOP_H
#define GATEWAY_EVLOOP_H

#include <libwebsockets.h>

#include "core/err.h"

struct gw_evloop;

/*
 * gw_evloop_new makes the loop and points info at it (adds
 * LWS_SERVER_OPTION_LIBEV, sets foreign_loops; info must not outlive *out).
 * The caller owns *out.  TC_ENOMEM.  Thread: any.  Blocks: no.
 */
enum tc_err gw_evloop_new(struct lws_context_creation_info *info, struct gw_evloop **out);

/* gw_evloop_run runs the loop until gw_evloop_break.  Blocks: yes. */
void gw_evloop_run(struct gw_evloop *l);

/* gw_evloop_break makes gw_evloop_run return.  Thread: any.  Blocks: no. */
void gw_evloop_break(struct gw_evloop *l);

/* gw_evloop_free frees the loop, after its lws context; NULL is a no-op. */
void gw_evloop_free(struct gw_evloop *l);

#endif /* GATEWAY_EVLOOP_H */
