/*
 * core/node.h - a node: a scheduler with worker threads hosting actors,
 * a timer service, a blocking-work pool and one nng endpoint.
 *
 * Thread model (core/README.md): `workers` scheduler threads run actors
 * (M:N; an actor runs on one thread at a time); one timer thread; `pool`
 * threads for blocking work; nng's own threads run transport callbacks,
 * which only decode and post.  tc_node_send and tc_node_post are the only
 * ways in from a thread that is not an actor's, and are safe from any.
 */
#ifndef CORE_NODE_H
#define CORE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/msg.h"

struct tc_metrics;

struct tc_node_config {
	uint16_t id;            /* this node's number in the topology (1..65535) */
	const char *name;       /* its name ("gw1"), used in "kind/id@name" */
	unsigned workers;       /* scheduler threads; 0: one per core */
	unsigned pool_threads;  /* blocking-work threads; 0: 2 */
	const char *listen_url; /* nng URL to receive on (inproc/ipc/tcp), or NULL */
	struct tc_clock *clock; /* NULL: the real clock */
	size_t max_body;        /* body cap; 0: TC_MSG_BODY_MAX_DEFAULT */
	size_t max_batch;       /* bytes per nng message; 0: 256 KiB */
	unsigned throughput;    /* messages an actor handles per turn; 0: 256 */
	unsigned poll_yields;   /* sched_yield polls of an idle worker before it sleeps: 0 sleeps
	                        at once (lowest cross-node latency); 64 or so trades CPU for
	                        same-node throughput */
	struct tc_metrics *metrics; /* where node metrics go; NULL: a node-owned registry */
};

/* What a node counted; read with tc_node_stats(). */
struct tc_node_stats {
	uint64_t delivered;    /* messages handled by actors */
	uint64_t dead_letters; /* messages to actors that stopped first */
	uint64_t rejected;     /* incoming envelopes refused: malformed, oversized, misaddressed */
	uint64_t remote_sent;  /* envelopes sent to other nodes */
	uint64_t remote_batches;  /* nng messages sent */
	uint64_t remote_received; /* envelopes received from other nodes */
	uint64_t remote_dropped;  /* envelopes lost because a send to a peer failed */
	uint64_t late_replies;    /* replies that came after their ask timed out */
	uint32_t actors;          /* live actors */
};

/*
 * What tc_node_stop found still alive; all zero is a clean shutdown.
 */
struct tc_shutdown_report {
	uint32_t actors_alive;   /* actors that did not stop in time */
	uint32_t timers_pending; /* timers of live actors still armed */
	uint32_t work_pending;   /* blocking work still queued or running */
	uint32_t msgs_discarded; /* messages still queued, freed unread */
};

/*
 * tc_node_new creates a node from cfg (copied).  The caller owns it.
 * Thread: any.  Blocks: no.
 */
enum tc_err tc_node_new(const struct tc_node_config *cfg, struct tc_node **out);

/*
 * tc_node_start starts the threads and, if configured, listens on
 * listen_url.  Returns TC_EIO or TC_EEXIST (address in use) for the
 * listener, with detail in the log.
 */
enum tc_err tc_node_start(struct tc_node *node);

/*
 * tc_node_connect makes node `peer_id` named peer_name reachable at url
 * (the peer's listen_url).  Messages to it are batched per nng message.
 * Dialing is asynchronous and retried; messages wait in nng's buffers.
 */
enum tc_err tc_node_connect(
    struct tc_node *node, uint16_t peer_id, const char *peer_name, const char *url);

/*
 * tc_node_register_kind lets messages to "kind/ID" names spawn an actor of
 * behaviour b on first use (as rooms do).
 */
enum tc_err tc_node_register_kind(
    struct tc_node *node, const char *kind, const struct tc_behaviour *b);

/* tc_node_whereis resolves a local name.  Returns TC_ENOENT. */
enum tc_err tc_node_whereis(struct tc_node *node, const char *name, struct tc_addr *out);

/*
 * tc_node_send posts a message from outside any actor (from may be
 * TC_ADDR_NONE).  Thread: any.  Blocks: no.
 */
enum tc_err tc_node_send(struct tc_node *node, struct tc_addr to, struct tc_addr from,
    uint32_t type, const void *body, size_t len);

/* tc_node_send_name is tc_send_name from outside any actor. */
enum tc_err tc_node_send_name(struct tc_node *node, const char *name, struct tc_addr from,
    uint32_t type, const void *body, size_t len, struct tc_addr *to_out);

/*
 * tc_node_post hands a ready message to the node for delivery; the node
 * takes ownership of msg in every case.  Thread: any.  Blocks: no.
 */
enum tc_err tc_node_post(struct tc_node *node, struct tc_msg *msg);

/* tc_node_stop_actor asks a local actor to stop normally (TC_MSG_STOP). */
enum tc_err tc_node_stop_actor(struct tc_node *node, struct tc_addr who);

/* tc_node_id, tc_node_name, tc_node_clock, tc_node_metrics: accessors. */
uint16_t tc_node_id(const struct tc_node *node);
struct tc_clock *tc_node_clock(const struct tc_node *node);
const char *tc_node_name(const struct tc_node *node);
struct tc_metrics *tc_node_metrics(struct tc_node *node);

/* tc_node_stats copies the node's counters.  Thread: any. */
void tc_node_stats(struct tc_node *node, struct tc_node_stats *out);

/*
 * tc_node_stop asks every actor to stop, waits up to timeout_ms for them,
 * then stops the threads and the endpoint and fills *report (may be NULL)
 * with what was still alive, also logging it.  Idempotent.
 * Thread: any but the node's own.  Blocks: until stopped.
 */
enum tc_err tc_node_stop(
    struct tc_node *node, uint32_t timeout_ms, struct tc_shutdown_report *report);

/* tc_node_free stops (if needed) and frees the node.  NULL is a no-op. */
void tc_node_free(struct tc_node *node);

#endif /* CORE_NODE_H */
