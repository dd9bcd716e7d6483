/*
 * core/actor.h - actors: behaviours, sending, asking, timers, monitors and
 * blocking work.
 *
 * An actor is a behaviour (callbacks) plus private state, hosted by a node.
 * It handles one message at a time, on whichever scheduler thread runs it;
 * its state is touched by no other thread.  The functions taking a
 * struct tc_ctx may be called only from inside that actor's callbacks.
 *
 * Async contract (core/README.md): when a call that promises a later
 * message (tc_ask, tc_send_after, tc_work, tc_monitor) returns an error,
 * that message never comes; otherwise it comes exactly once (or, for
 * periodic timers, until canceled).
 */
#ifndef CORE_ACTOR_H
#define CORE_ACTOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/msg.h"

struct tc_node;
struct tc_ctx;

/*
 * struct tc_behaviour: what an actor kind does.
 *
 * init    runs first, on a scheduler thread, with the spawn argument (for
 *         spawn-on-first-message kinds, arg is the name's id part, a string
 *         borrowed for the call).  It sets *state.  An error stops the
 *         actor with that reason; fini is then not called.
 * handle  handles one message, borrowed for the call.  Returning an error
 *         fails the actor: it is stopped, and its monitors get DOWN with
 *         that reason.
 * fini    runs once when the actor stops (reason TC_OK for a normal stop),
 *         and releases state.  It has no context: it may use node-level
 *         calls (tc_node_send, tc_node_stop_actor) but not the tc_ctx ones.
 */
struct tc_behaviour {
	const char *kind;
	enum tc_err (*init)(struct tc_ctx *ctx, void *arg, void **state);
	enum tc_err (*handle)(struct tc_ctx *ctx, void *state, const struct tc_msg *msg);
	void (*fini)(void *state, enum tc_err reason);
};

/*
 * tc_spawn starts an actor on node.  arg is passed to init and must stay
 * valid until init has run (the caller keeps ownership).  *out, when not
 * NULL, receives its address.  Thread: any.  Blocks: no.
 * Returns TC_ESTOPPED when the node is stopping, TC_EFULL at capacity.
 */
enum tc_err tc_spawn(
    struct tc_node *node, const struct tc_behaviour *b, void *arg, struct tc_addr *out);

/*
 * tc_spawn_named is tc_spawn plus registering name ("kind/id", at most
 * TC_NAME_MAX-1 bytes) on the node.  Returns TC_EEXIST if the name is taken
 * by a live actor.  The name is released when the actor stops.
 */
enum tc_err tc_spawn_named(struct tc_node *node, const char *name, const struct tc_behaviour *b,
    void *arg, struct tc_addr *out);

/* tc_self is the running actor's address. */
struct tc_addr tc_self(const struct tc_ctx *ctx);

/* tc_ctx_node is the node hosting the running actor. */
struct tc_node *tc_ctx_node(const struct tc_ctx *ctx);

/*
 * tc_send posts a message (a copy of len bytes of body) to an actor on any
 * node.  Returns TC_ENOENT when the target is known to be gone (a local
 * actor whose slot moved on, an unknown node), TC_ETOOBIG over the node's
 * body cap.  A message that races with the target's stop is dropped and
 * counted as a dead letter.  Blocks: no.
 */
enum tc_err tc_send(
    struct tc_ctx *ctx, struct tc_addr to, uint32_t type, const void *body, size_t len);

/*
 * tc_send_name sends to a named actor, "kind/id" on this node or
 * "kind/id@node" on another.  When no actor has the name and its kind was
 * registered with tc_node_register_kind(), one is spawned first.  *to_out,
 * when not NULL and the target is local, receives the resolved address
 * (cache it and fall back to the name on TC_ENOENT).
 */
enum tc_err tc_send_name(struct tc_ctx *ctx, const char *name, uint32_t type, const void *body,
    size_t len, struct tc_addr *to_out);

/*
 * tc_ask sends a request that expects a reply (tc_reply) within
 * timeout_ms.  Exactly one of these comes back to the asking actor, with
 * msg->corr == *corr_out: the reply (flags TC_MSG_F_REPLY), or a
 * TC_MSG_ASK_TIMEOUT message.  A reply after the timeout is dropped.
 */
enum tc_err tc_ask(struct tc_ctx *ctx, struct tc_addr to, uint32_t type, const void *body,
    size_t len, uint32_t timeout_ms, uint64_t *corr_out);

/* tc_reply answers the ask req (its from and corr) with a message. */
enum tc_err tc_reply(
    struct tc_ctx *ctx, const struct tc_msg *req, uint32_t type, const void *body, size_t len);

/*
 * tc_send_after delivers a message (a copy of body) to the running actor
 * after delay_ms on the node's clock; tc_send_every does so every period_ms
 * until canceled or the actor stops.  *timer_out (may be NULL) names the
 * timer for tc_timer_cancel().
 */
enum tc_err tc_send_after(struct tc_ctx *ctx, uint64_t delay_ms, uint32_t type, const void *body,
    size_t len, uint64_t *timer_out);
enum tc_err tc_send_every(struct tc_ctx *ctx, uint64_t period_ms, uint32_t type, const void *body,
    size_t len, uint64_t *timer_out);

/*
 * tc_timer_cancel cancels a timer of the running actor.  Returns TC_ENOENT
 * when it already fired (one-shot) or never existed; a message already
 * posted is not recalled.
 */
enum tc_err tc_timer_cancel(struct tc_ctx *ctx, uint64_t timer);

/*
 * tc_monitor asks for a TC_MSG_DOWN message when target stops (local
 * targets only: TC_ENOTSUP for another node).  If target is already gone,
 * DOWN with reason TC_ENOENT comes at once.  tc_demonitor removes it.
 */
enum tc_err tc_monitor(struct tc_ctx *ctx, struct tc_addr target);
enum tc_err tc_demonitor(struct tc_ctx *ctx, struct tc_addr target);

/*
 * tc_work runs fn(arg) on the node's worker pool, where blocking is
 * allowed (database calls, waiting on children), then posts
 * TC_MSG_WORK_DONE with {tag, fn's return} to the running actor.  arg is
 * borrowed by the pool until that message arrives; the actor keeps
 * ownership.  fn must not touch actor state other than through arg.
 */
typedef enum tc_err (*tc_work_fn)(void *arg);
enum tc_err tc_work(struct tc_ctx *ctx, tc_work_fn fn, void *arg, uint64_t tag);

/*
 * tc_stop_self stops the running actor normally once the current handler
 * returns; messages still queued become dead letters.
 */
void tc_stop_self(struct tc_ctx *ctx);

#endif /* CORE_ACTOR_H */
