/*
 * core/msg.h - addresses, messages and the wire envelope.
 *
 * A message is an envelope {to, from, type, flags, correlation id} and a
 * body of msgpack bytes.  Between actors of one node the envelope is never
 * encoded: the struct moves through the target's mailbox.  Between nodes it
 * is encoded with msgpack-c as one array per envelope (docs/protocol.md):
 *
 *   [1, to_node, to_id, to_name|nil, from_node, from_id, type, flags, corr, body]
 *
 * and several envelopes may follow each other in one nng message.
 */
#ifndef CORE_MSG_H
#define CORE_MSG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The envelope version written first in every encoded envelope. */
#define TC_ENVELOPE_VERSION 1

/* Default hard caps (a node's configuration may lower or raise them). */
#define TC_MSG_BODY_MAX_DEFAULT (1u << 20) /* 1 MiB body */
#define TC_NAME_MAX 128                    /* "kind/id" names */

/*
 * An actor's address: the node that hosts it and a generation-tagged id on
 * that node (the slot index in the low 32 bits, the slot's generation in the
 * high 32).  A stale id never reaches a newer actor in the same slot.
 */
struct tc_addr {
	uint64_t id;
	uint16_t node;
};

/* The null address: sends to it fail with TC_EINVAL. */
#define TC_ADDR_NONE ((struct tc_addr){0, 0})

static inline bool
tc_addr_eq(struct tc_addr a, struct tc_addr b)
{
	return a.id == b.id && a.node == b.node;
}

static inline bool
tc_addr_is_none(struct tc_addr a)
{
	return a.id == 0;
}

/* System message types; application types start at TC_MSG_APP. */
enum tc_msg_type {
	TC_MSG_INIT = 1,        /* internal: runs the behaviour's init */
	TC_MSG_STOP = 2,        /* a request to stop normally */
	TC_MSG_DOWN = 3,        /* a monitored actor stopped: body tc_down */
	TC_MSG_ASK_TIMEOUT = 4, /* an ask's deadline passed: corr names it */
	TC_MSG_WORK_DONE = 5,   /* blocking work finished: body [tag, rc] */
	TC_MSG_APP = 256,
};

/* Message flags. */
enum tc_msg_flags {
	TC_MSG_F_ASK = 1u << 0,   /* the sender expects a reply with corr */
	TC_MSG_F_REPLY = 1u << 1, /* a reply to the ask with corr */
};

/*
 * struct tc_msg: one message.  The body is inline after the struct.
 * A handler borrows the message for the duration of the call.
 */
struct tc_msg {
	_Atomic(struct tc_msg *) next; /* internal: mailbox link */
	struct tc_addr to;
	struct tc_addr from;
	uint32_t type;
	uint32_t flags;
	uint64_t corr;
	uint32_t len;
	uint32_t cap; /* internal: body capacity; TC_MSG_SMALL_CAP marks a cached block */
	uint8_t body[];
};

/* Bodies up to this size live in blocks recycled per thread (msg.c). */
#define TC_MSG_SMALL_CAP 192

/*
 * tc_msg_new allocates a message with a copy of body (len bytes; body may
 * be NULL when len is 0).  The caller owns the result and frees it with
 * tc_msg_free() unless it hands it to a send function that takes it.
 * Returns TC_ETOOBIG when len exceeds UINT32_MAX.
 */
enum tc_err tc_msg_new(uint32_t type, const void *body, size_t len, struct tc_msg **out);
void tc_msg_free(struct tc_msg *msg);

/*
 * tc_envelope_encode appends msg, encoded, to *buf (a malloc'd buffer of
 * *len bytes used, *cap allocated), growing it as needed.  to_name, when
 * not NULL, is a registered name the receiving node resolves instead of
 * to.id.  Returns TC_ENOMEM.  Thread: any.  Blocks: no.
 */
enum tc_err tc_envelope_encode(
    const struct tc_msg *msg, const char *to_name, uint8_t **buf, size_t *len, size_t *cap);

/*
 * tc_envelope_decode decodes the envelope that starts at buf (len bytes
 * available).  Every length and count is checked against the bytes left
 * and against max_body before anything is allocated.  On success *out is a
 * new message the caller owns, *consumed the bytes used, and name (a
 * caller buffer of TC_NAME_MAX bytes) the target name or "".
 * Returns TC_EPROTO for malformed input, TC_ETOOBIG for a body over
 * max_body, TC_ENOMEM.  Thread: any.  Blocks: no.
 */
enum tc_err tc_envelope_decode(const uint8_t *buf, size_t len, size_t max_body, struct tc_msg **out,
    size_t *consumed, char name[TC_NAME_MAX]);

/*
 * tc_mp_check walks one msgpack object at buf without allocating: every
 * container count and string/binary length must fit in the bytes left,
 * and nesting may not exceed max_depth.  On success *consumed is the
 * object's size.  Returns TC_EPROTO otherwise.  Use it before handing
 * outside bytes to msgpack_unpack, which allocates per declared count.
 */
enum tc_err tc_mp_check(const uint8_t *buf, size_t len, unsigned max_depth, size_t *consumed);

/*
 * struct tc_down: the body of TC_MSG_DOWN, decoded with tc_down_decode().
 * reason is TC_OK for a normal stop, TC_ENOENT when the monitored actor
 * did not exist, or the error its handler returned.
 */
struct tc_down {
	struct tc_addr who;
	enum tc_err reason;
};

enum tc_err tc_down_decode(const struct tc_msg *msg, struct tc_down *out);

/* struct tc_work_done: the body of TC_MSG_WORK_DONE. */
struct tc_work_done {
	uint64_t tag;
	enum tc_err rc;
};

enum tc_err tc_work_done_decode(const struct tc_msg *msg, struct tc_work_done *out);

/*
 * tc_hash_str is the 64-bit FNV-1a hash of a NUL-terminated string, for the
 * hash tables of names and ids (the node's names, the recorder's rooms).
 * Thread: any.  Blocks: no.
 */
uint64_t tc_hash_str(const char *s);

#endif /* CORE_MSG_H */
