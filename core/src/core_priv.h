/*
 * core_priv.h - structures shared by the files of the core library.
 * Nothing here is visible outside core/.
 */
#ifndef CORE_PRIV_H
#define CORE_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/msg.h"
#include "core/node.h"

/*
 * An intrusive multi-producer single-consumer queue of messages (Vyukov).
 * Push is wait-free (one exchange); pop belongs to whoever holds the
 * queue's consumer flag (an actor's `scheduled`, a peer's `busy`).
 */
struct tc__mpsc {
	_Atomic(struct tc_msg *) head; /* producers swap here */
	struct tc_msg *tail;           /* consumer only */
	struct tc_msg *stub;
};

enum tc_err tc__mpsc_init(struct tc__mpsc *q);
void tc__mpsc_fini(struct tc__mpsc *q); /* frees the stub only */
void tc__mpsc_push(struct tc__mpsc *q, struct tc_msg *m);
struct tc_msg *tc__mpsc_pop(struct tc__mpsc *q);
/* True when nothing is queued or a push is half done (the pusher then acts). */
bool tc__mpsc_idle(struct tc__mpsc *q);

/* Actor ids: slot index in the low 32 bits, generation in the high 32. */
static inline uint32_t
tc__id_index(uint64_t id)
{
	return (uint32_t)(id & 0xffffffffu);
}

static inline uint32_t
tc__id_gen(uint64_t id)
{
	return (uint32_t)(id >> 32);
}

static inline uint64_t
tc__id_make(uint32_t index, uint32_t gen)
{
	return ((uint64_t)gen << 32) | index;
}

/* Timer service (timer.c): one per node, driven by the node's clock. */
struct tc__timers;

enum tc_err tc__timers_new(struct tc_node *node, struct tc_clock *clock, struct tc__timers **out);
enum tc_err tc__timers_start(struct tc__timers *t);
/* Stops the thread; returns how many timers were still armed. */
uint32_t tc__timers_stop(struct tc__timers *t);
void tc__timers_free(struct tc__timers *t);
enum tc_err tc__timers_add(struct tc__timers *t, struct tc_addr owner, uint64_t delay_ms,
    uint64_t period_ms, uint32_t type, uint64_t corr, const void *body, size_t len,
    uint64_t *id_out);
enum tc_err tc__timers_cancel(struct tc__timers *t, struct tc_addr owner, uint64_t id);
void tc__timers_cancel_owner(struct tc__timers *t, struct tc_addr owner);
/* Fires every due timer (the timer thread, or a fake clock's advance). */
void tc__timers_run_due(struct tc__timers *t);

/* Fake clocks tell their timer services when they move (clock.c). */
void tc__clock_listen(struct tc_clock *c, struct tc__timers *t);
void tc__clock_unlisten(struct tc_clock *c, struct tc__timers *t);
bool tc__clock_is_fake(const struct tc_clock *c);

/* Blocking-work pool (pool.c). */
struct tc__pool;

enum tc_err tc__pool_new(struct tc_node *node, unsigned threads, struct tc__pool **out);
enum tc_err tc__pool_submit(
    struct tc__pool *p, struct tc_addr owner, tc_work_fn fn, void *arg, uint64_t tag);
/* Waits up to timeout_ms until no job is queued or running. */
void tc__pool_wait_idle(struct tc__pool *p, uint32_t timeout_ms);
/* Stops the threads after their current job; returns jobs queued or running. */
uint32_t tc__pool_stop(struct tc__pool *p);
void tc__pool_free(struct tc__pool *p);

/* Bytes an envelope adds to its body and name, at most. */
#define TC_ENVELOPE_OVERHEAD 64

/* Encodes msg into a new message whose body is the envelope (msg.c). */
enum tc_err tc__envelope_encode_msg(
    const struct tc_msg *msg, const char *to_name, struct tc_msg **out);

/* Remote transport (remote.c). */
struct tc__remote;

enum tc_err tc__remote_new(struct tc_node *node, struct tc__remote **out);
enum tc_err tc__remote_listen(struct tc__remote *r, const char *url);
enum tc_err tc__remote_connect(
    struct tc__remote *r, uint16_t peer, const char *peer_name, const char *url);
/* Looks up a connected peer by name. */
enum tc_err tc__remote_peer_id(struct tc__remote *r, const char *name, uint16_t *id);
/* Encodes msg for its node and queues it; takes ownership of msg. */
enum tc_err tc__remote_send(struct tc__remote *r, struct tc_msg *msg, const char *to_name);
/* True when no peer has envelopes queued or in flight. */
bool tc__remote_idle(struct tc__remote *r);
/* Closes sockets; returns envelopes discarded unsent. */
uint32_t tc__remote_stop(struct tc__remote *r);
void tc__remote_free(struct tc__remote *r);

/* Node internals used by the other files. */
struct tc__node_counters {
	struct tc_metric *delivered;
	struct tc_metric *dead_letters;
	struct tc_metric *rejected_malformed;
	struct tc_metric *rejected_oversized;
	struct tc_metric *rejected_misaddressed;
	struct tc_metric *remote_sent;
	struct tc_metric *remote_batches;
	struct tc_metric *remote_received;
	struct tc_metric *remote_dropped;
	struct tc_metric *late_replies;
	struct tc_metric *actors;
	struct tc_metric *spawned;
	struct tc_metric *failed;
};

struct tc__node_counters *tc__node_counters(struct tc_node *node);
size_t tc__node_max_body(const struct tc_node *node);
size_t tc__node_max_batch(const struct tc_node *node);
/* Resolves a name on this node (spawning for registered kinds) and delivers. */
enum tc_err tc__node_deliver_name(
    struct tc_node *node, struct tc_msg *msg, const char *name, struct tc_addr *to_out);
/* Delivers a message whose to is set; takes ownership. */
enum tc_err tc__node_deliver(struct tc_node *node, struct tc_msg *msg);

#endif /* CORE_PRIV_H */
