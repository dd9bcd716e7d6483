/*
 * actors/room.h - the room actor: one per live room, named "room/<id>" and
 * spawned by the first message sent to that name (prefix `room_`).
 *
 * It owns the room's members and roles, presence (the last awareness state
 * of each member), the ordered Yjs update log (in memory while live), the
 * chat, the room's one run at a time, and the room's metrics.  It relays
 * document updates without understanding the document: each update's
 * structure is parsed (actors/yproto.h) to refuse malformed ones and count
 * who inserted and deleted how much.  The protocol it speaks with sessions
 * is docs/protocol.md section 2; the message numbers are in
 * actors/protocol.h.
 *
 * Durability: every event (document update, chat line, join and leave, run
 * and verdict) is numbered 1, 2, ... per room and sent to the recorder
 * (actors/recorder.h), which acknowledges the highest durable seq.  A room
 * with no members for idle_ms stops once everything it numbered is
 * acknowledged; the next message to its name starts a new room actor that
 * rehydrates from the store (document log, chat, runs) on the worker pool
 * before handling anything.  Recorded payloads: docs/protocol.md section 4.
 *
 * Threads: the room runs on scheduler threads like every actor; store reads
 * run through tc_work() on the node's pool.
 */
#ifndef ACTORS_ROOM_H
#define ACTORS_ROOM_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/msg.h"
#include "store/store.h"

struct tc_node;
struct tc_metrics;

/* Defaults for zero fields of struct room_config. */
#define ROOM_DEFAULT_MAX_MEMBERS 32u
#define ROOM_DEFAULT_IDLE_MS 60000u
#define ROOM_DEFAULT_MAX_LOG_BYTES (256u << 20)
#define ROOM_DEFAULT_MAX_FRAME (1u << 20)
#define ROOM_DEFAULT_MAX_CODE (256u << 10)
#define ROOM_DEFAULT_MAX_CHAT 4096u
#define ROOM_CHAT_HISTORY 100u /* chat lines a late joiner receives */

struct room_config {
	/* The store rooms rehydrate from (borrowed; must outlive the node's
	 * rooms).  NULL: rooms start empty and nothing is loaded. */
	struct st_store *store;
	/* The recorder every event goes to: its address, or when that is
	 * TC_ADDR_NONE its registered name.  Neither: nothing is recorded and
	 * every event counts as durable at once (tests, demos). */
	struct tc_addr recorder;
	const char *recorder_name;
	/* The problem of rooms the store does not know (or with no store);
	 * NULL: none, and such rooms refuse runs. */
	const char *problem;
	/* Where RUNNER_MSG_RUN goes; NULL: RUNNER_QUEUE_NAME. */
	const char *runner_name;
	unsigned max_members;       /* sessions in one room, editors and observers */
	uint64_t idle_ms;           /* no members this long: stop once durable */
	size_t max_log_bytes;       /* the in-memory update log; past it: TOO_LARGE */
	size_t max_frame;           /* a client frame over this: TOO_LARGE */
	size_t max_code;            /* a RUN's code over this: RUN_REJECTED */
	size_t max_chat;            /* a chat text over this: TOO_LARGE */
	struct tc_metrics *metrics; /* NULL: the node's registry */
};

/*
 * room_register lets messages to "room/<id>" on node start room actors
 * configured by cfg (copied; strings copied).  Call it once per node,
 * before the node receives room messages.  Returns TC_EEXIST when node
 * already has rooms registered, TC_ENOMEM, or what tc_node_register_kind
 * returns.  Thread: any.  Blocks: no.
 */
enum tc_err room_register(struct tc_node *node, const struct room_config *cfg);

/*
 * room_unregister forgets node's configuration; call it after the node has
 * stopped (tc_node_stop) and before tc_node_free.  Unknown nodes are a
 * no-op.  Thread: any.  Blocks: no.
 */
void room_unregister(struct tc_node *node);

/*
 * room_drain waits up to timeout_ms until every run the node's rooms sent
 * to a runner has its verdict and every event they numbered (verdicts
 * included) has been acknowledged by the recorder: a graceful stop calls it
 * after the gateway stopped taking input and before tc_node_stop, so
 * nothing a client saw acknowledged-in-flight is cut off and no run
 * already started loses its verdict.  TC_OK when none are left (also for
 * a node without rooms), TC_ETIMEDOUT otherwise; *left and *runs_left
 * (either may be NULL) get the events and the runs still waiting.
 * Thread: not a room's.  Blocks: yes.
 */
enum tc_err room_drain(struct tc_node *node, uint32_t timeout_ms, size_t *left, size_t *runs_left);

/*
 * Recorded event payloads (msgpack maps), for tests and readers of the
 * timeline.  room_update_event_decode extracts the Yjs update (borrowing
 * payload) and the user who sent it (user: ST_ID_MAX + 1 bytes).
 */
enum tc_err room_update_event_decode(
    const uint8_t *payload, size_t len, char *user, const uint8_t **update, size_t *update_len);

#endif /* ACTORS_ROOM_H */
