/*
 * core/supervisor.h - a supervisor actor that restarts failed children.
 *
 * The supervisor spawns its children (registered by name, so others find
 * a restarted child by its name), monitors them and, when one stops,
 * applies its restart policy (one-for-one).  More than max_restarts
 * restarts within within_ms make the supervisor give up: it stops every
 * remaining child and fails with TC_EINTERNAL, so its own monitor (another
 * supervisor, or the process) learns of it.
 */
#ifndef CORE_SUPERVISOR_H
#define CORE_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"

enum tc_restart {
	TC_RESTART_PERMANENT = 0, /* always restarted */
	TC_RESTART_TRANSIENT = 1, /* restarted only when it failed (reason != TC_OK) */
	TC_RESTART_TEMPORARY = 2, /* never restarted */
};

struct tc_child_spec {
	const char *name; /* registered name, "kind/id" */
	const struct tc_behaviour *behaviour;
	void *arg; /* passed to init on every start; must outlive the supervisor */
	enum tc_restart restart;
};

struct tc_sup_spec {
	const struct tc_child_spec *children; /* copied at spawn */
	size_t nchildren;
	unsigned max_restarts; /* restarts allowed within within_ms */
	uint64_t within_ms;
};

/*
 * tc_supervisor_spawn starts a supervisor on node.  *out (may be NULL)
 * receives its address.  Thread: any.  Blocks: no.
 */
enum tc_err tc_supervisor_spawn(
    struct tc_node *node, const char *name, const struct tc_sup_spec *spec, struct tc_addr *out);

#endif /* CORE_SUPERVISOR_H */
