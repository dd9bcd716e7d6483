/*
 * actors/recorder.h - the recorder: the store writer rooms send their
 * events to.  It batches them (flushing at flush_events events or
 * flush_ms after the oldest, whichever first), commits each flush in one
 * store transaction on the node's worker pool, and then acknowledges to
 * each room the highest seq that is durable.
 *
 * The promise (docs/bench/store-architecture-section.md): an event
 * acknowledged durable is never lost.  An event is never dropped silently:
 * it is either acknowledged, or rejected back to its room with a reason.
 *
 * Messages (types from actors/protocol.h; msgpack bodies):
 *   RECORDER_MSG_APPEND  room -> recorder
 *       [room, [[seq, ts_ms, type, payload(bin)], ...]]
 *       seqs consecutive per room (the room numbers its events 1, 2, ...)
 *   RECORDER_MSG_ACK     recorder -> room: [room, durable_seq]
 *   RECORDER_MSG_BEHIND  recorder -> room: [room, pending_events, behind(bool)]
 *       sent when the store fails or the buffer passes half its bound
 *       (behind = true) and again when the recorder has caught up (false)
 *   RECORDER_MSG_REJECT  recorder -> room: [room, first_seq, last_seq, err]
 *       those events were NOT taken: TC_EFULL (buffer bound), TC_ESTATE
 *       (they leave a gap after the stored seqs), TC_EINVAL (malformed)
 * Replies go to the APPEND's sender (msg->from).
 *
 * Backpressure: while the store is slow or down, events wait in a buffer
 * bounded by max_events and max_bytes; failed flushes are retried with
 * exponential backoff (backoff_min_ms doubling to backoff_max_ms), logged,
 * and counted in metrics (recorder_buffered_events, recorder_behind,
 * recorder_store_errors_total, recorder_events_rejected_total,
 * recorder_events_committed_total, recorder_flush_seconds).
 */
#ifndef ACTORS_RECORDER_H
#define ACTORS_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "actors/protocol.h"
#include "core/actor.h"
#include "core/err.h"
#include "store/store.h"

enum recorder_msg {
	RECORDER_MSG_APPEND = RECORDER_MSG_BASE + 0,
	RECORDER_MSG_ACK = RECORDER_MSG_BASE + 1,
	RECORDER_MSG_BEHIND = RECORDER_MSG_BASE + 2,
	RECORDER_MSG_REJECT = RECORDER_MSG_BASE + 3,
	RECORDER_MSG_FLUSH = RECORDER_MSG_BASE + 10, /* internal: the flush timer */
	RECORDER_MSG_RETRY = RECORDER_MSG_BASE + 11, /* internal: the backoff timer */
};

#define RECORDER_KIND "recorder"

/* Spawn argument; zero fields take the defaults shown. */
struct recorder_config {
	struct st_store *store;  /* borrowed; must outlive the actor */
	unsigned flush_ms;       /* 50 */
	size_t flush_events;     /* 1000 */
	size_t max_events;       /* 200000 buffered events */
	size_t max_bytes;        /* 64 MiB of buffered payload */
	unsigned backoff_min_ms; /* 50 */
	unsigned backoff_max_ms; /* 5000 */
};

/*
 * recorder_behaviour: spawn with tc_spawn(node, &recorder_behaviour, &cfg,
 * &addr); cfg is copied by init.
 */
extern const struct tc_behaviour recorder_behaviour;

/*
 * recorder_append_encode builds an APPEND body for n events of room; *buf
 * is malloc'd, owned by the caller.  Thread: any.  Blocks: no.
 */
enum tc_err recorder_append_encode(
    const char *room, const struct st_event *evs, size_t n, uint8_t **buf, size_t *len);

/* Decoders for the recorder's replies (bodies borrowed).  TC_EPROTO when
 * malformed.  room receives the room id (ST_ID_MAX + 1 bytes). */
enum tc_err recorder_ack_decode(const uint8_t *body, size_t len, char *room, uint64_t *seq);
enum tc_err recorder_behind_decode(
    const uint8_t *body, size_t len, char *room, uint64_t *pending, int *behind);
enum tc_err recorder_reject_decode(
    const uint8_t *body, size_t len, char *room, uint64_t *first, uint64_t *last, enum tc_err *err);

#endif /* ACTORS_RECORDER_H */
