/*
 * supervisor.c - one-for-one supervision.
 *
 * The supervisor is an ordinary actor: it spawns its children under their
 * names, monitors them, and handles their DOWN messages.  Restart
 * intensity is measured on the node's clock, so tests drive it with a
 * fake clock.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/node.h"
#include "core/supervisor.h"

struct sup {
	struct tc_node *node;
	struct tc_child_spec *children;
	struct tc_addr *addrs;
	size_t n;
	unsigned max_restarts;
	uint64_t within_ms;
	uint64_t *restarts; /* ring of the last max_restarts+1 restart times */
	size_t nrestarts, ring_pos;
};

static void
sup_free(struct sup *s)
{
	if (s == NULL)
		return;
	free(s->children);
	free(s->addrs);
	free(s->restarts);
	free(s);
}

static enum tc_err
start_child(struct tc_ctx *ctx, struct sup *s, size_t i)
{
	enum tc_err rv = tc_spawn_named(s->node, s->children[i].name, s->children[i].behaviour,
	    s->children[i].arg, &s->addrs[i]);
	if (rv == TC_OK)
		rv = tc_monitor(ctx, s->addrs[i]);
	if (rv != TC_OK) {
		tc_log(TC_LOG_ERROR, "supervisor", "cannot start %s: %s", s->children[i].name,
		    tc_strerror(rv));
		s->addrs[i] = TC_ADDR_NONE;
	}
	return rv;
}

static void
stop_children(struct sup *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!tc_addr_is_none(s->addrs[i]))
			(void)tc_node_stop_actor(s->node, s->addrs[i]);
		s->addrs[i] = TC_ADDR_NONE;
	}
}

static enum tc_err
sup_init(struct tc_ctx *ctx, void *arg, void **state)
{
	struct sup *s = arg;
	*state = s;
	for (size_t i = 0; i < s->n; i++) {
		enum tc_err rv = start_child(ctx, s, i);
		if (rv != TC_OK) {
			stop_children(s);
			sup_free(s);
			*state = NULL;
			return rv;
		}
	}
	return TC_OK;
}

/* Records a restart now; false when that is more than the intensity allows. */
static bool
restart_allowed(struct sup *s)
{
	uint64_t now = tc_clock_now_ms(tc_node_clock(s->node));
	size_t cap = (size_t)s->max_restarts + 1;
	s->restarts[s->ring_pos] = now;
	s->ring_pos = (s->ring_pos + 1) % cap;
	if (s->nrestarts < cap)
		s->nrestarts++;
	size_t recent = 0;
	for (size_t i = 0; i < s->nrestarts; i++) {
		if (now - s->restarts[i] <= s->within_ms)
			recent++;
	}
	return recent <= s->max_restarts;
}

static enum tc_err
sup_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct sup *s = state;
	struct tc_down down;

	if (msg->type != TC_MSG_DOWN || tc_down_decode(msg, &down) != TC_OK)
		return TC_OK;
	for (size_t i = 0; i < s->n; i++) {
		if (!tc_addr_eq(s->addrs[i], down.who))
			continue;
		s->addrs[i] = TC_ADDR_NONE;
		enum tc_restart r = s->children[i].restart;
		if (r == TC_RESTART_TEMPORARY ||
		    (r == TC_RESTART_TRANSIENT && down.reason == TC_OK))
			return TC_OK;
		if (!restart_allowed(s)) {
			tc_log(TC_LOG_ERROR, "supervisor",
			    "%s stopped (%s): more than %u restarts in %llu ms, giving up",
			    s->children[i].name, tc_strerror(down.reason), s->max_restarts,
			    (unsigned long long)s->within_ms);
			stop_children(s);
			return TC_EINTERNAL;
		}
		tc_log(TC_LOG_INFO, "supervisor", "restarting %s after %s", s->children[i].name,
		    tc_strerror(down.reason));
		return start_child(ctx, s, i);
	}
	return TC_OK;
}

static void
sup_fini(void *state, enum tc_err reason)
{
	struct sup *s = state;
	(void)reason;
	stop_children(s);
	sup_free(s);
}

static const struct tc_behaviour sup_behaviour = {
    .kind = "supervisor",
    .init = sup_init,
    .handle = sup_handle,
    .fini = sup_fini,
};

enum tc_err
tc_supervisor_spawn(
    struct tc_node *node, const char *name, const struct tc_sup_spec *spec, struct tc_addr *out)
{
	struct sup *s;
	enum tc_err rv;

	if (spec == NULL || (spec->nchildren > 0 && spec->children == NULL))
		return TC_EINVAL;
	for (size_t i = 0; i < spec->nchildren; i++) {
		if (spec->children[i].name == NULL || spec->children[i].behaviour == NULL)
			return TC_EINVAL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return TC_ENOMEM;
	s->node = node;
	s->n = spec->nchildren;
	s->max_restarts = spec->max_restarts;
	s->within_ms = spec->within_ms;
	s->children = calloc(s->n + 1, sizeof(*s->children));
	s->addrs = calloc(s->n + 1, sizeof(*s->addrs));
	s->restarts = calloc((size_t)s->max_restarts + 1, sizeof(*s->restarts));
	if (s->children == NULL || s->addrs == NULL || s->restarts == NULL) {
		sup_free(s);
		return TC_ENOMEM;
	}
	if (s->n > 0)
		memcpy(s->children, spec->children, s->n * sizeof(*s->children));
	rv = name != NULL ? tc_spawn_named(node, name, &sup_behaviour, s, out)
	                  : tc_spawn(node, &sup_behaviour, s, out);
	if (rv != TC_OK)
		sup_free(s);
	return rv;
}
