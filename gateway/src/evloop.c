/*
 * evloop.c - lws on a libev epoll loop (gateway/evloop.h, ADR-0035).
 */
#include <ev.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "gateway/evloop.h"

struct gw_evloop {
	struct ev_loop *loop;
	ev_async wake;    /* breaks the loop */
	atomic_bool stop; /* set before wake is sent */
	void *loops[1];   /* what lws_create_context reads through info */
};

static void
on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

enum tc_err
gw_evloop_new(struct lws_context_creation_info *info, struct gw_evloop **out)
{
	struct gw_evloop *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (l == NULL)
		return TC_ENOMEM;
	if ((l->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK)) == NULL) {
		free(l);
		return TC_ENOMEM;
	}
	atomic_init(&l->stop, false);
	ev_async_init(&l->wake, on_wake);
	ev_async_start(l->loop, &l->wake);
	l->loops[0] = l->loop;
	info->options |= LWS_SERVER_OPTION_LIBEV;
	info->foreign_loops = l->loops;
	*out = l;
	return TC_OK;
}

void
gw_evloop_run(struct gw_evloop *l)
{
	/* Every lws callback runs in here, until gw_evloop_break. */
	while (!atomic_load(&l->stop))
		ev_run(l->loop, 0);
}

void
gw_evloop_break(struct gw_evloop *l)
{
	atomic_store(&l->stop, true);
	ev_async_send(l->loop, &l->wake);
}

void
gw_evloop_free(struct gw_evloop *l)
{
	if (l == NULL)
		return;
	ev_async_stop(l->loop, &l->wake);
	ev_loop_destroy(l->loop);
	free(l);
}
