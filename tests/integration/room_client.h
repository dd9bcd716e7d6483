/*
 * room_client.h - test clients that play sessions against a real room
 * actor: each is an actor that joins "room/<id>" with ROOM_MSG_JOIN, sends
 * client frames as ROOM_MSG_FRAME, and records every SESSION_MSG_FRAME and
 * SESSION_MSG_CLOSE it receives.  The test thread waits on what a client
 * received (with a deadline), never on time.  Header-only (static
 * functions) so each scenario stays one file.
 */
#ifndef ROOM_CLIENT_H
#define ROOM_CLIENT_H

#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/protocol.h"
#include "actors/yproto.h"
#include "core/actor.h"
#include "core/node.h"
#include "xt.h"

#define RC_DEADLINE_MS 20000u
#define RC_MAX_FRAMES 4096

struct rc_frame {
	uint64_t type; /* the frame's first varUint */
	uint64_t sub;  /* SYNC subtype */
	uint8_t *data;
	size_t len;
};

struct rc_client {
	char room[128]; /* "room/<id>" */
	char user[64];
	struct tc_addr addr;
	pthread_mutex_t lock;
	struct rc_frame frames[RC_MAX_FRAMES];
	size_t nframes;
	_Atomic int closed; /* the close code, 0 until closed */
	_Atomic int inited;
	_Atomic uint64_t count; /* frames and closes received */
};

static inline enum tc_err
rc_init_cb(struct tc_ctx *ctx, void *arg, void **state)
{
	struct rc_client *c = arg;
	c->addr = tc_self(ctx);
	*state = c;
	atomic_store(&c->inited, 1);
	return TC_OK;
}

static inline enum tc_err
rc_handle_cb(struct tc_ctx *ctx, void *state, const struct tc_msg *m)
{
	struct rc_client *c = state;
	if (m->type == SESSION_MSG_FRAME) {
		struct rc_frame f = {0};
		struct yp_frame yf;
		if (yp_frame_parse(m->body, m->len, &yf) == TC_OK) {
			f.type = yf.type;
			f.sub = yf.sub;
		} else {
			f.type = UINT64_MAX;
		}
		f.data = malloc(m->len + 1);
		if (f.data != NULL)
			memcpy(f.data, m->body, m->len);
		f.len = m->len;
		pthread_mutex_lock(&c->lock);
		if (c->nframes < RC_MAX_FRAMES)
			c->frames[c->nframes++] = f;
		else
			free(f.data);
		pthread_mutex_unlock(&c->lock);
	} else if (m->type == SESSION_MSG_CLOSE) {
		msgpack_unpacked u;
		msgpack_unpacked_init(&u);
		int code = 1;
		if (msgpack_unpack_next(&u, (const char *)m->body, m->len, NULL) ==
		        MSGPACK_UNPACK_SUCCESS &&
		    u.data.type == MSGPACK_OBJECT_MAP) {
			for (uint32_t i = 0; i < u.data.via.map.size; i++) {
				const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
				if (kv->key.type == MSGPACK_OBJECT_STR &&
				    kv->key.via.str.size == 4 &&
				    memcmp(kv->key.via.str.ptr, "code", 4) == 0 &&
				    kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
					code = (int)kv->val.via.u64;
			}
		}
		msgpack_unpacked_destroy(&u);
		atomic_store(&c->closed, code);
	}
	atomic_fetch_add(&c->count, 1);
	return TC_OK;
}

static inline void
rc_fini_cb(void *state, enum tc_err reason)
{
}

static const struct tc_behaviour rc_behaviour = {
    .kind = "testclient",
    .init = rc_init_cb,
    .handle = rc_handle_cb,
    .fini = rc_fini_cb,
};

static inline bool
rc_inited(void *arg)
{
	return atomic_load(&((struct rc_client *)arg)->inited) != 0;
}

/* rc_new allocates and spawns a client for room id as user. */
static inline struct rc_client *
rc_new(struct tc_node *n, const char *room_id, const char *user)
{
	struct rc_client *c = calloc(1, sizeof(*c));
	cr_assert_not_null(c);
	snprintf(c->room, sizeof(c->room), "room/%s", room_id);
	snprintf(c->user, sizeof(c->user), "%s", user);
	pthread_mutex_init(&c->lock, NULL);
	XT_OK(tc_spawn(n, &rc_behaviour, c, NULL));
	cr_assert(xt_wait_until(rc_inited, c, RC_DEADLINE_MS), "client init");
	return c;
}

/* rc_free frees a client after its node has stopped. */
static inline void
rc_free(struct rc_client *c)
{
	for (size_t i = 0; i < c->nframes; i++)
		free(c->frames[i].data);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static inline void
rc_pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* rc_join sends ROOM_MSG_JOIN {user, name, role} as a session would. */
static inline void
rc_join(struct tc_node *n, struct rc_client *c, const char *role)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	rc_pack_str(&pk, "user");
	rc_pack_str(&pk, c->user);
	rc_pack_str(&pk, "name");
	rc_pack_str(&pk, c->user);
	rc_pack_str(&pk, "role");
	rc_pack_str(&pk, role);
	XT_OK(tc_node_send_name(n, c->room, c->addr, ROOM_MSG_JOIN, sb.data, sb.size, NULL));
	msgpack_sbuffer_destroy(&sb);
}

static inline void
rc_send(struct tc_node *n, struct rc_client *c, const void *frame, size_t len)
{
	XT_OK(tc_node_send_name(n, c->room, c->addr, ROOM_MSG_FRAME, frame, len, NULL));
}

static inline void
rc_leave(struct tc_node *n, struct rc_client *c)
{
	XT_OK(tc_node_send_name(n, c->room, c->addr, ROOM_MSG_LEAVE, NULL, 0, NULL));
}

/* rc_send_sync sends a SYNC frame of sub carrying data. */
static inline void
rc_send_sync(struct tc_node *n, struct rc_client *c, unsigned sub, const void *data, size_t len)
{
	struct yp_buf b;
	yp_buf_init(&b, len + 32);
	XT_OK(yp_frame_sync_encode(&b, sub, data, len));
	rc_send(n, c, b.data, b.len);
	yp_buf_fini(&b);
}

/* rc_send_app sends an app frame of type with a msgpack map {k1: v1[, k2: v2]}. */
static inline void
rc_send_app(struct tc_node *n, struct rc_client *c, unsigned type, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, k2 != NULL ? 2 : 1);
	rc_pack_str(&pk, k1);
	rc_pack_str(&pk, v1);
	if (k2 != NULL) {
		rc_pack_str(&pk, k2);
		rc_pack_str(&pk, v2);
	}
	struct yp_buf b;
	yp_buf_init(&b, sb.size + 8);
	XT_OK(yp_frame_app_encode(&b, type, sb.data, sb.size));
	rc_send(n, c, b.data, b.len);
	yp_buf_fini(&b);
	msgpack_sbuffer_destroy(&sb);
}

/* rc_count counts received frames of type (and sync sub, unless sub < 0). */
static inline size_t
rc_count(struct rc_client *c, uint64_t type, long sub)
{
	size_t k = 0;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nframes; i++)
		k += c->frames[i].type == type && (sub < 0 || c->frames[i].sub == (uint64_t)sub);
	pthread_mutex_unlock(&c->lock);
	return k;
}

struct rc_wait {
	struct rc_client *c;
	uint64_t type;
	long sub;
	size_t want;
};

static inline bool
rc_reached(void *arg)
{
	struct rc_wait *w = arg;
	return rc_count(w->c, w->type, w->sub) >= w->want;
}

/* rc_wait waits until c has received want frames of type/sub. */
#define rc_wait(c, type, sub, want)                                                               \
	cr_assert(xt_wait_until(                                                                  \
	              rc_reached, &(struct rc_wait){(c), (type), (sub), (want)}, RC_DEADLINE_MS), \
	    "%s: waited for %zu frames of type %d/%ld, have %zu", (c)->user, (size_t)(want),      \
	    (int)(type), (long)(sub), rc_count((c), (type), (sub)))

/* rc_nth copies the payload of the i-th frame of type/sub (i from 0); NULL if none. */
static inline struct rc_frame
rc_nth(struct rc_client *c, uint64_t type, long sub, size_t i)
{
	struct rc_frame out = {0};
	pthread_mutex_lock(&c->lock);
	for (size_t k = 0; k < c->nframes; k++) {
		if (c->frames[k].type == type && (sub < 0 || c->frames[k].sub == (uint64_t)sub)) {
			if (i-- == 0) {
				out = c->frames[k];
				break;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	return out;
}

/* rc_index is the position of the i-th frame of type/sub in arrival order, or -1. */
static inline long
rc_index(struct rc_client *c, uint64_t type, long sub, size_t i)
{
	long at = -1;
	pthread_mutex_lock(&c->lock);
	for (size_t k = 0; k < c->nframes; k++) {
		if (c->frames[k].type == type && (sub < 0 || c->frames[k].sub == (uint64_t)sub)) {
			if (i-- == 0) {
				at = (long)k;
				break;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	return at;
}

/*
 * rc_app_field finds field key of an app frame's msgpack map and lets
 * take(value, arg) read it; false when absent or when take refuses it.
 */
static inline bool
rc_app_field(const struct rc_frame *f, const char *key,
    bool (*take)(const msgpack_object *v, void *arg), void *arg)
{
	struct yp_frame yf;
	bool found = false;
	if (f->data == NULL || yp_frame_parse(f->data, f->len, &yf) != TC_OK)
		return false;
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)yf.data, yf.len, NULL) ==
	        MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP) {
		for (uint32_t i = 0; i < u.data.via.map.size; i++) {
			const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
			if (kv->key.type == MSGPACK_OBJECT_STR &&
			    kv->key.via.str.size == strlen(key) &&
			    memcmp(kv->key.via.str.ptr, key, strlen(key)) == 0)
				found = take(&kv->val, arg);
		}
	}
	msgpack_unpacked_destroy(&u);
	return found;
}

struct rc_str_out {
	char *out;
	size_t cap;
};

static inline bool
rc_take_str(const msgpack_object *v, void *arg)
{
	struct rc_str_out *o = arg;
	if (v->type != MSGPACK_OBJECT_STR || v->via.str.size >= o->cap)
		return false;
	memcpy(o->out, v->via.str.ptr, v->via.str.size);
	o->out[v->via.str.size] = '\0';
	return true;
}

static inline bool
rc_take_u64(const msgpack_object *v, void *arg)
{
	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return false;
	*(uint64_t *)arg = v->via.u64;
	return true;
}

/* rc_app_str reads string field key into out (cap bytes); false when absent. */
static inline bool
rc_app_str(const struct rc_frame *f, const char *key, char *out, size_t cap)
{
	struct rc_str_out o = {out, cap};
	return rc_app_field(f, key, rc_take_str, &o);
}

/* rc_app_u64 reads unsigned integer field key; false when absent. */
static inline bool
rc_app_u64(const struct rc_frame *f, const char *key, uint64_t *out)
{
	return rc_app_field(f, key, rc_take_u64, out);
}

/* rc_sync_payload: the update (or state vector) inside a SYNC frame. */
static inline void
rc_sync_payload(const struct rc_frame *f, const uint8_t **p, size_t *len)
{
	struct yp_frame yf;
	XT_OK(yp_frame_parse(f->data, f->len, &yf));
	*p = yf.data;
	*len = yf.len;
}

/* rc_load reads tests/data/yjs/<name>; the caller frees the result. */
static inline uint8_t *
rc_load(const char *name, size_t *len)
{
	return xt_read_source(1 << 16, len, "tests/data/yjs/%s", name);
}

struct rc_gone {
	struct tc_node *n;
	const char *name;
};

static inline bool
rc_name_gone(void *arg)
{
	struct rc_gone *g = arg;
	struct tc_addr a;
	return tc_node_whereis(g->n, g->name, &a) != TC_OK;
}

#endif /* ROOM_CLIENT_H */
