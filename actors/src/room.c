/*
 * room.c - the room actor (actors/room.h, docs/protocol.md section 2).
 *
 * Design notes.
 * - One actor per live room, spawned by the first message to "room/<id>".
 *   Its configuration comes from room_register(): a node has no slot for
 *   per-kind data, so a small list keyed by node (kinds_lock) maps a node to
 *   its rooms' configuration and metric handles.  It is read once, in init.
 * - Phases: LOADING then LIVE.  With a store, init starts a load on the
 *   worker pool (the room's row and its whole timeline); every message that
 *   arrives meanwhile is copied and deferred (bounded), then replayed in
 *   order once the log, chat and runs are rebuilt.  Without a store the
 *   room is LIVE at once.  The load job is reference counted so a room
 *   stopped mid-load never frees memory the pool still writes.
 * - The update log holds each accepted update as the SYNC update frame the
 *   room relays (built once).  The room never applies updates: it validates
 *   their structure (yproto) and keeps them in arrival order (ADR-0040),
 *   and compacts the log by merging it structurally into one update
 *   (yp_update_merge, ADR-0043) when a member joins and as it grows, so a
 *   joiner gets one step 2 and the room's real state vector.
 * - Durability (ADR-0041): every event gets the next seq and goes to the
 *   recorder; a copy waits in `unacked` until RECORDER_MSG_ACK covers it.
 *   Refusals other than malformed-input are resent with backoff.  The
 *   idle stop happens only with no members, no run and nothing unacked.
 * - Members are keyed by their session's address.  A second session of
 *   the same user replaces the first (the first is closed), so a
 *   reconnecting editor never finds the room full of its own ghost.
 * - Every handler returns TC_OK for bad input: a client's frame never fails
 *   the room.  Only a failed load fails it (the sessions see DOWN, close,
 *   and reconnect to a fresh room that loads again).
 */
#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actors/protocol.h"
#include "actors/recorder.h"
#include "actors/room.h"
#include "actors/yproto.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/node.h"
#include "mp_priv.h"

#define MAX_DEFERRED 4096u
#define MAX_DEFERRED_BYTES (32u << 20)
#define MAX_AW_PER_MEMBER 8u
#define MAX_AW_STATE 16384u
#define MAX_KNOWN 64u
#define RESEND_MIN_MS 100u
#define RESEND_MAX_MS 5000u
#define RUN_DEADLINE_MS (15u * 60u * 1000u)

/* ---- per-node configuration ------------------------------------------- */

struct room_metrics {
	struct tc_metric *live, *members, *updates, *update_bytes, *relayed, *bad_updates, *errors,
	    *chats, *runs, *verdicts, *rehydrations, *inserted, *deleted, *refused, *stops;
};

struct room_kind {
	struct tc_node *node;
	struct room_config cfg;
	char *recorder_name;
	char *runner_name;
	char *problem;
	struct room_metrics m;
	/* Events numbered by this node's rooms and not yet acknowledged by the
	 * recorder, and runs sent to a runner that have no verdict yet;
	 * room_drain waits for both to be zero (signalled under drain_lock). */
	atomic_size_t unacked;
	atomic_size_t runs;
	pthread_mutex_t drain_lock;
	pthread_cond_t drain_cv;
	struct room_kind *next;
};

static pthread_mutex_t kinds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct room_kind *kinds; /* guarded by kinds_lock */

static struct room_kind *
kind_find(struct tc_node *node)
{
	struct room_kind *k;
	pthread_mutex_lock(&kinds_lock);
	for (k = kinds; k != NULL && k->node != node; k = k->next)
		;
	pthread_mutex_unlock(&kinds_lock);
	return k;
}

/* ---- state ------------------------------------------------------------- */

struct aw_entry {
	uint64_t client;
	uint64_t clock;
	char *state;
	size_t len;
};

struct member {
	struct tc_addr addr;
	char user[ST_ID_MAX + 1];
	char name[ST_NAME_MAX + 1];
	bool editor;
	struct aw_entry *aw; /* grows to MAX_AW_PER_MEMBER (usually one) */
	size_t naw, awcap;
};

struct known {
	char user[ST_ID_MAX + 1];
	char name[ST_NAME_MAX + 1];
	bool editor;
	uint64_t runs;
};

struct bytes {
	uint8_t *p;
	uint32_t len;
};

struct pending {
	uint64_t seq;
	int64_t ts_ms;
	uint16_t type;
	struct bytes payload;
};

struct load_job {
	atomic_int refs;
	struct st_store *st;
	char room[ST_ID_MAX + 1];
	char problem[ST_ID_MAX + 1];
	uint64_t last_seq;
	struct st_timeline *tl;
	enum tc_err rv;
};

enum phase {
	PHASE_LOADING,
	PHASE_LIVE
};

struct run {
	bool active;
	char id[ST_ID_MAX + 1];
	char by[ST_ID_MAX + 1];
	char state[16];
	uint64_t done, total;
	uint64_t gen;
	uint64_t timer;
	bool timer_armed;
};

struct room {
	struct room_kind *kind;
	const struct room_config *cfg;
	struct room_metrics *m;
	char id[ST_ID_MAX + 1];
	char name[TC_NAME_MAX]; /* "room/<id>" */
	char problem[ST_ID_MAX + 1];
	enum phase phase;
	struct load_job *job;
	struct tc_msg **deferred;
	size_t ndeferred, deferred_bytes;

	struct member *members;
	size_t nmembers, memcap;
	struct known *known; /* grows to MAX_KNOWN */
	size_t nknown, knowncap;

	struct bytes *log;
	size_t nlog, logcap, log_bytes;
	size_t log_compacted; /* nlog after the last compaction attempt */
	struct bytes sv;      /* the log's state vector, when sv_valid */
	bool sv_valid;        /* the log is one merged entry, sv its state vector */
	struct bytes *chat;   /* ROOM_CHAT_HISTORY slots, made by the first chat */
	size_t chat_head, nchat;
	struct bytes last_verdict;

	uint64_t seq; /* the last seq numbered */
	uint64_t durable;
	struct pending *unacked;
	size_t nunacked, unackcap;
	bool resend_armed;
	unsigned resend_ms;
	uint64_t resend_timer;

	struct run run;
	uint64_t runs;

	uint64_t idle_gen;
	bool idle_armed;
	uint64_t idle_timer;
	bool stop_when_durable;
};

/* ---- small helpers ----------------------------------------------------- */

static int64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > ST_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '_' || c == '.' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

static const char *
color_of(const char *user)
{
	static const char *const palette[] = {
	    "#30bced", "#6eeb83", "#ffbc42", "#ecd444", "#ee6352", "#9ac2c9", "#8acb88", "#1be7ff"};
	return palette[tc_hash_str(user) % (sizeof(palette) / sizeof(palette[0]))];
}

static bool
bytes_set(struct bytes *b, const void *p, size_t len)
{
	uint8_t *n = malloc(len > 0 ? len : 1);
	if (n == NULL)
		return false;
	if (len > 0)
		memcpy(n, p, len);
	free(b->p);
	b->p = n;
	b->len = (uint32_t)len;
	return true;
}

/* An app frame: varUint type, then the msgpack the packer writes. */
struct appframe {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void
appframe_begin(struct appframe *f, unsigned type)
{
	uint8_t hdr[4];
	size_t n = 0;
	msgpack_sbuffer_init(&f->sb);
	msgpack_packer_init(&f->pk, &f->sb, msgpack_sbuffer_write);
	do {
		hdr[n] = type & 0x7f;
		type >>= 7;
		if (type != 0)
			hdr[n] |= 0x80;
		n++;
	} while (type != 0);
	msgpack_sbuffer_write(&f->sb, (const char *)hdr, n);
}

static bool
appframe_ok(const struct appframe *f)
{
	return f->sb.data != NULL;
}

static void
appframe_end(struct appframe *f)
{
	msgpack_sbuffer_destroy(&f->sb);
}

static void
send_frame(struct tc_ctx *ctx, struct tc_addr to, const void *frame, size_t len)
{
	enum tc_err rv = tc_send(ctx, to, SESSION_MSG_FRAME, frame, len);
	if (rv != TC_OK && rv != TC_ENOENT)
		tc_log(TC_LOG_WARN, "room", "send to session: %s", tc_strerror(rv));
}

static void
broadcast(
    struct tc_ctx *ctx, struct room *r, const struct member *except, const void *frame, size_t len)
{
	for (size_t i = 0; i < r->nmembers; i++) {
		if (&r->members[i] != except)
			send_frame(ctx, r->members[i].addr, frame, len);
	}
}

static void
send_error(
    struct tc_ctx *ctx, struct room *r, struct tc_addr to, const char *code, const char *message)
{
	struct appframe f;
	appframe_begin(&f, ROOM_FRAME_ERROR);
	msgpack_pack_map(&f.pk, 2);
	act__pack_kv_str(&f.pk, "code", code);
	act__pack_kv_str(&f.pk, "message", message);
	if (appframe_ok(&f))
		send_frame(ctx, to, f.sb.data, f.sb.size);
	appframe_end(&f);
	tc_counter_add(r->m->errors, 1);
}

static void
send_close(struct tc_ctx *ctx, struct tc_addr to, unsigned code, const char *reason)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	act__pack_kv_u64(&pk, "code", code);
	act__pack_kv_str(&pk, "reason", reason);
	if (sb.data != NULL)
		(void)tc_send(ctx, to, SESSION_MSG_CLOSE, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

static struct member *
member_find(struct room *r, struct tc_addr a)
{
	for (size_t i = 0; i < r->nmembers; i++) {
		if (tc_addr_eq(r->members[i].addr, a))
			return &r->members[i];
	}
	return NULL;
}

static size_t
editors(const struct room *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nmembers; i++)
		n += r->members[i].editor;
	return n;
}

static struct known *
known_get(struct room *r, const char *user, bool add)
{
	for (size_t i = 0; i < r->nknown; i++) {
		if (strcmp(r->known[i].user, user) == 0)
			return &r->known[i];
	}
	if (!add)
		return NULL;
	if (r->nknown == MAX_KNOWN) {
		/* Forget the oldest user who is not present. */
		size_t drop = 0;
		for (drop = 0; drop < r->nknown; drop++) {
			bool present = false;
			for (size_t i = 0; i < r->nmembers; i++)
				present |= strcmp(r->members[i].user, r->known[drop].user) == 0;
			if (!present)
				break;
		}
		if (drop == r->nknown)
			return NULL;
		memmove(&r->known[drop], &r->known[drop + 1],
		    (r->nknown - drop - 1) * sizeof(r->known[0]));
		r->nknown--;
	}
	if (r->nknown == r->knowncap) {
		size_t ncap = r->knowncap > 0 ? r->knowncap * 2 : 2;
		if (ncap > MAX_KNOWN)
			ncap = MAX_KNOWN;
		struct known *n = realloc(r->known, ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		r->known = n;
		r->knowncap = ncap;
	}
	struct known *k = &r->known[r->nknown++];
	memset(k, 0, sizeof(*k));
	snprintf(k->user, sizeof(k->user), "%s", user);
	return k;
}

/* ---- recording --------------------------------------------------------- */

static void resend_arm(struct tc_ctx *ctx, struct room *r);
static void maybe_stop(struct tc_ctx *ctx, struct room *r);

static bool
recording(const struct room *r)
{
	return !tc_addr_is_none(r->cfg->recorder) || r->kind->recorder_name != NULL;
}

static enum tc_err
send_to_recorder(struct tc_ctx *ctx, struct room *r, const struct pending *p, size_t n)
{
	struct st_event *evs = malloc(n * sizeof(*evs));
	uint8_t *buf = NULL;
	size_t len = 0;
	enum tc_err rv;

	if (evs == NULL)
		return TC_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		evs[i] = (struct st_event){.seq = p[i].seq,
		    .ts_ms = p[i].ts_ms,
		    .type = p[i].type,
		    .len = p[i].payload.len,
		    .payload = p[i].payload.p};
	}
	rv = recorder_append_encode(r->id, evs, n, &buf, &len);
	free(evs);
	if (rv != TC_OK)
		return rv;
	if (!tc_addr_is_none(r->cfg->recorder))
		rv = tc_send(ctx, r->cfg->recorder, RECORDER_MSG_APPEND, buf, len);
	else
		rv = tc_send_name(ctx, r->kind->recorder_name, RECORDER_MSG_APPEND, buf, len, NULL);
	free(buf);
	return rv;
}

/*
 * record numbers an event and sends it to the recorder; *seq_out (may be
 * NULL) gets its seq.  payload is copied.  Without a recorder the event is
 * durable at once.
 */
static enum tc_err
record(struct tc_ctx *ctx, struct room *r, uint16_t type, const void *payload, size_t len,
    int64_t ts, uint64_t *seq_out)
{
	uint64_t seq = r->seq + 1;

	if (len > ST_EVENT_PAYLOAD_MAX)
		return TC_ETOOBIG;
	if (!recording(r)) {
		r->seq = r->durable = seq;
		if (seq_out != NULL)
			*seq_out = seq;
		return TC_OK;
	}
	if (r->nunacked == r->unackcap) {
		size_t ncap = r->unackcap > 0 ? r->unackcap * 2 : 8;
		struct pending *n = realloc(r->unacked, ncap * sizeof(*n));
		if (n == NULL)
			return TC_ENOMEM;
		r->unacked = n;
		r->unackcap = ncap;
	}
	struct pending *p = &r->unacked[r->nunacked];
	memset(p, 0, sizeof(*p));
	if (!bytes_set(&p->payload, payload, len))
		return TC_ENOMEM;
	p->seq = seq;
	p->ts_ms = ts;
	p->type = type;
	r->nunacked++;
	atomic_fetch_add(&r->kind->unacked, 1);
	r->seq = seq;
	if (seq_out != NULL)
		*seq_out = seq;
	if (!r->resend_armed && send_to_recorder(ctx, r, p, 1) != TC_OK)
		resend_arm(ctx, r);
	return TC_OK;
}

/* unacked_sub: n events of a room were acknowledged, refused for good or
 * given up; wake room_drain when none are left. */
static void
drain_wake(struct room_kind *k)
{
	pthread_mutex_lock(&k->drain_lock);
	pthread_cond_broadcast(&k->drain_cv);
	pthread_mutex_unlock(&k->drain_lock);
}

static void
unacked_sub(struct room_kind *k, size_t n)
{
	if (n > 0 && atomic_fetch_sub(&k->unacked, n) == n)
		drain_wake(k);
}

/* A run of this room ended (verdict recorded first), or the room stopped. */
static void
run_ended(struct room *r)
{
	if (r->run.active && atomic_fetch_sub(&r->kind->runs, 1) == 1)
		drain_wake(r->kind);
}

static void
acked(struct tc_ctx *ctx, struct room *r, uint64_t durable)
{
	size_t k = 0;
	if (durable > r->durable)
		r->durable = durable;
	while (k < r->nunacked && r->unacked[k].seq <= r->durable) {
		free(r->unacked[k].payload.p);
		k++;
	}
	if (k > 0) {
		memmove(r->unacked, r->unacked + k, (r->nunacked - k) * sizeof(*r->unacked));
		r->nunacked -= k;
		r->resend_ms = 0;
		unacked_sub(r->kind, k);
		if (r->nunacked == 0 && r->unackcap > 64) { /* a burst is over: give it back */
			free(r->unacked);
			r->unacked = NULL;
			r->unackcap = 0;
		}
	}
	maybe_stop(ctx, r);
}

static void
resend_arm(struct tc_ctx *ctx, struct room *r)
{
	if (r->resend_armed)
		return;
	r->resend_ms = r->resend_ms == 0 ? RESEND_MIN_MS : r->resend_ms * 2;
	if (r->resend_ms > RESEND_MAX_MS)
		r->resend_ms = RESEND_MAX_MS;
	if (tc_send_after(ctx, r->resend_ms, ROOM_MSG_RESEND, NULL, 0, &r->resend_timer) == TC_OK)
		r->resend_armed = true;
}

static void
resend(struct tc_ctx *ctx, struct room *r)
{
	r->resend_armed = false;
	if (r->nunacked == 0)
		return;
	/* In slices the recorder accepts; everything unacked, in order. */
	for (size_t i = 0; i < r->nunacked; i += ST_BATCH_MAX) {
		size_t n = r->nunacked - i < ST_BATCH_MAX ? r->nunacked - i : ST_BATCH_MAX;
		if (send_to_recorder(ctx, r, r->unacked + i, n) != TC_OK) {
			resend_arm(ctx, r);
			return;
		}
	}
}

static void
rejected(struct tc_ctx *ctx, struct room *r, uint64_t first, uint64_t last, enum tc_err err)
{
	if (err != TC_EINVAL) {
		/* Full, a gap after an earlier refusal, memory: try again later. */
		tc_log(TC_LOG_WARN, "room",
		    "room %s: recorder refused seqs %llu..%llu (%s); resending", r->id,
		    (unsigned long long)first, (unsigned long long)last, tc_errname(err));
		resend_arm(ctx, r);
		return;
	}
	/* Malformed in the recorder's eyes: a bug.  Keep the room usable. */
	tc_log(TC_LOG_ERROR, "room", "room %s: recorder refused seqs %llu..%llu as malformed",
	    r->id, (unsigned long long)first, (unsigned long long)last);
	size_t w = 0;
	for (size_t i = 0; i < r->nunacked; i++) {
		if (r->unacked[i].seq >= first && r->unacked[i].seq <= last)
			free(r->unacked[i].payload.p);
		else
			r->unacked[w++] = r->unacked[i];
	}
	unacked_sub(r->kind, r->nunacked - w);
	r->nunacked = w;
	maybe_stop(ctx, r);
}

/* ---- room state, presence ---------------------------------------------- */

static void
pack_run(msgpack_packer *pk, const struct run *run)
{
	if (!run->active) {
		msgpack_pack_map(pk, 1);
		act__pack_kv_str(pk, "state", "idle");
		return;
	}
	msgpack_pack_map(pk, 3);
	act__pack_kv_str(pk, "state", run->state);
	act__pack_kv_str(pk, "by", run->by);
	act__pack_kv_str(pk, "id", run->id);
}

static void
send_state(struct tc_ctx *ctx, struct room *r, const struct member *to)
{
	struct appframe f;
	size_t nlisted = 0;
	const struct known *offline[MAX_KNOWN];
	size_t noff = 0;

	for (size_t i = 0; i < r->nknown; i++) {
		bool present = false;
		for (size_t k = 0; k < r->nmembers && !present; k++)
			present = strcmp(r->members[k].user, r->known[i].user) == 0;
		if (!present)
			offline[noff++] = &r->known[i];
	}
	appframe_begin(&f, ROOM_FRAME_STATE);
	msgpack_pack_map(&f.pk, 5);
	act__pack_kv_str(&f.pk, "room", r->id);
	act__pack_kv_str(&f.pk, "problem", r->problem);
	act__pack_kv_str(&f.pk, "you", to->user);
	act__pack_str(&f.pk, "members");
	msgpack_pack_array(&f.pk, r->nmembers + noff);
	for (size_t i = 0; i < r->nmembers; i++, nlisted++) {
		const struct member *m = &r->members[i];
		msgpack_pack_map(&f.pk, 5);
		act__pack_kv_str(&f.pk, "user", m->user);
		act__pack_kv_str(&f.pk, "name", m->name);
		act__pack_kv_str(&f.pk, "role", m->editor ? ROOM_ROLE_EDITOR : ROOM_ROLE_OBSERVER);
		act__pack_str(&f.pk, "online");
		msgpack_pack_true(&f.pk);
		act__pack_kv_str(&f.pk, "color", color_of(m->user));
	}
	for (size_t i = 0; i < noff; i++) {
		msgpack_pack_map(&f.pk, 5);
		act__pack_kv_str(&f.pk, "user", offline[i]->user);
		act__pack_kv_str(&f.pk, "name", offline[i]->name);
		act__pack_kv_str(
		    &f.pk, "role", offline[i]->editor ? ROOM_ROLE_EDITOR : ROOM_ROLE_OBSERVER);
		act__pack_str(&f.pk, "online");
		msgpack_pack_false(&f.pk);
		act__pack_kv_str(&f.pk, "color", color_of(offline[i]->user));
	}
	act__pack_str(&f.pk, "run");
	pack_run(&f.pk, &r->run);
	if (appframe_ok(&f))
		send_frame(ctx, to->addr, f.sb.data, f.sb.size);
	appframe_end(&f);
}

static void
broadcast_state(struct tc_ctx *ctx, struct room *r)
{
	for (size_t i = 0; i < r->nmembers; i++)
		send_state(ctx, r, &r->members[i]);
}

/* send_awareness sends every member's last awareness (except `except`'s). */
static void
send_awareness(struct tc_ctx *ctx, struct room *r, struct tc_addr to, const struct member *except)
{
	struct yp_awareness_entry *e;
	size_t n = 0;
	struct yp_buf inner, frame;

	for (size_t i = 0; i < r->nmembers; i++)
		n += &r->members[i] != except ? r->members[i].naw : 0;
	if (n == 0)
		return;
	e = malloc(n * sizeof(*e));
	if (e == NULL)
		return;
	n = 0;
	for (size_t i = 0; i < r->nmembers; i++) {
		const struct member *m = &r->members[i];
		for (size_t k = 0; m != except && k < m->naw; k++)
			e[n++] = (struct yp_awareness_entry){
			    m->aw[k].client, m->aw[k].clock, m->aw[k].state, m->aw[k].len};
	}
	yp_buf_init(&inner, r->cfg->max_frame);
	yp_buf_init(&frame, r->cfg->max_frame);
	if (yp_awareness_encode(&inner, e, n) == TC_OK &&
	    yp_frame_awareness_encode(&frame, inner.data, inner.len) == TC_OK)
		send_frame(ctx, to, frame.data, frame.len);
	yp_buf_fini(&inner);
	yp_buf_fini(&frame);
	free(e);
}

static void
aw_clear(struct member *m)
{
	for (size_t k = 0; k < m->naw; k++)
		free(m->aw[k].state);
	free(m->aw);
	m->aw = NULL;
	m->naw = m->awcap = 0;
}

/* remove_member tells the others it left (awareness removal, state). */
static void
remove_member(struct tc_ctx *ctx, struct room *r, struct member *m, bool record_leave)
{
	struct member gone = *m;
	size_t i = (size_t)(m - r->members);

	(void)tc_demonitor(ctx, gone.addr);
	memmove(&r->members[i], &r->members[i + 1], (r->nmembers - i - 1) * sizeof(*m));
	r->nmembers--;
	tc_gauge_add(r->m->members, -1);

	if (gone.naw > 0) {
		/* The awareness protocol's removal: clock + 1, state null. */
		struct yp_awareness_entry e[MAX_AW_PER_MEMBER];
		for (size_t k = 0; k < gone.naw; k++)
			e[k] = (struct yp_awareness_entry){
			    gone.aw[k].client, gone.aw[k].clock + 1, "null", 4};
		struct yp_buf inner, frame;
		yp_buf_init(&inner, 1 << 16);
		yp_buf_init(&frame, 1 << 16);
		if (yp_awareness_encode(&inner, e, gone.naw) == TC_OK &&
		    yp_frame_awareness_encode(&frame, inner.data, inner.len) == TC_OK)
			broadcast(ctx, r, NULL, frame.data, frame.len);
		yp_buf_fini(&inner);
		yp_buf_fini(&frame);
	}
	aw_clear(&gone);

	if (record_leave) {
		msgpack_sbuffer sb;
		msgpack_packer pk;
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 4);
		act__pack_kv_str(&pk, "op", "leave");
		act__pack_kv_str(&pk, "user", gone.user);
		act__pack_kv_str(&pk, "name", gone.name);
		act__pack_kv_str(&pk, "role", gone.editor ? ROOM_ROLE_EDITOR : ROOM_ROLE_OBSERVER);
		if (sb.data != NULL)
			(void)record(ctx, r, ST_EV_PRESENCE, sb.data, sb.size, wall_ms(), NULL);
		msgpack_sbuffer_destroy(&sb);
	}
}

/* ---- idle stop --------------------------------------------------------- */

static void
idle_cancel(struct tc_ctx *ctx, struct room *r)
{
	r->idle_gen++;
	r->stop_when_durable = false;
	if (r->idle_armed) {
		(void)tc_timer_cancel(ctx, r->idle_timer);
		r->idle_armed = false;
	}
}

static void
idle_arm(struct tc_ctx *ctx, struct room *r)
{
	idle_cancel(ctx, r);
	uint64_t gen = r->idle_gen;
	if (tc_send_after(ctx, r->cfg->idle_ms, ROOM_MSG_IDLE, &gen, sizeof(gen), &r->idle_timer) ==
	    TC_OK)
		r->idle_armed = true;
}

static void
maybe_stop(struct tc_ctx *ctx, struct room *r)
{
	if (!r->stop_when_durable || r->nmembers > 0 || r->run.active || r->nunacked > 0)
		return;
	tc_log(TC_LOG_INFO, "room", "room %s: idle and durable through seq %llu: stopping", r->id,
	    (unsigned long long)r->durable);
	if (r->resend_armed) {
		(void)tc_timer_cancel(ctx, r->resend_timer);
		r->resend_armed = false;
	}
	tc_counter_add(r->m->stops, 1);
	tc_stop_self(ctx);
}

static void
on_idle(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg)
{
	uint64_t gen;
	if (msg->len != sizeof(gen))
		return;
	memcpy(&gen, msg->body, sizeof(gen));
	if (gen != r->idle_gen)
		return; /* a timer from before a later join */
	r->idle_armed = false;
	if (r->nmembers > 0)
		return;
	r->stop_when_durable = true;
	maybe_stop(ctx, r);
}

/* ---- joining and leaving ----------------------------------------------- */

static void
send_history(struct tc_ctx *ctx, struct room *r, const struct member *m)
{
	size_t first = (r->chat_head + ROOM_CHAT_HISTORY - r->nchat) % ROOM_CHAT_HISTORY;
	for (size_t i = 0; i < r->nchat; i++) {
		const struct bytes *b = &r->chat[(first + i) % ROOM_CHAT_HISTORY];
		send_frame(ctx, m->addr, b->p, b->len);
	}
	if (r->last_verdict.p != NULL)
		send_frame(ctx, m->addr, r->last_verdict.p, r->last_verdict.len);
}

static void
send_progress(struct tc_ctx *ctx, struct room *r, const struct member *to)
{
	struct appframe f;
	appframe_begin(&f, ROOM_FRAME_RUN_PROGRESS);
	msgpack_pack_map(&f.pk, 5);
	act__pack_kv_str(&f.pk, "id", r->run.id);
	act__pack_kv_str(&f.pk, "by", r->run.by);
	act__pack_kv_str(&f.pk, "state", r->run.state);
	act__pack_kv_u64(&f.pk, "done", r->run.done);
	act__pack_kv_u64(&f.pk, "total", r->run.total);
	if (appframe_ok(&f)) {
		if (to != NULL)
			send_frame(ctx, to->addr, f.sb.data, f.sb.size);
		else
			broadcast(ctx, r, NULL, f.sb.data, f.sb.size);
	}
	appframe_end(&f);
}

static void
refuse_join(struct tc_ctx *ctx, struct room *r, struct tc_addr who, const char *message)
{
	send_error(ctx, r, who, ROOM_ERR_ROOM_FULL, message);
	send_close(ctx, who, ROOM_CLOSE_ROOM_FULL, "room full");
	tc_counter_add(r->m->refused, 1);
}

static bool log_compact(struct room *r);
static void send_step2(
    struct tc_ctx *ctx, struct room *r, struct member *m, const uint8_t *have, size_t have_len);

static void
on_join(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	struct member m;
	char role[16] = "";

	memset(&m, 0, sizeof(m));
	m.addr = msg->from;
	if (act__map_open(msg->body, msg->len, &u, &map) != TC_OK ||
	    !act__get_str(map, "user", m.user, sizeof(m.user)) || !valid_id(m.user)) {
		msgpack_unpacked_destroy(&u);
		tc_log(TC_LOG_WARN, "room", "room %s: malformed join refused", r->id);
		send_close(ctx, msg->from, ROOM_CLOSE_POLICY, "malformed join");
		return;
	}
	if (!act__get_str(map, "name", m.name, sizeof(m.name)) || m.name[0] == '\0')
		snprintf(m.name, sizeof(m.name), "%s", m.user);
	(void)act__get_str(map, "role", role, sizeof(role));
	msgpack_unpacked_destroy(&u);
	m.editor = strcmp(role, ROOM_ROLE_EDITOR) == 0; /* anything else watches */

	if (member_find(r, msg->from) != NULL)
		return; /* a duplicate join of the same connection */
	/* A newer connection of the same user replaces the older one. */
	for (size_t i = 0; i < r->nmembers; i++) {
		if (strcmp(r->members[i].user, m.user) == 0) {
			struct tc_addr old = r->members[i].addr;
			send_close(ctx, old, ROOM_CLOSE_POLICY, "replaced by a newer connection");
			remove_member(ctx, r, &r->members[i], false);
			break;
		}
	}
	if (r->nmembers >= r->cfg->max_members) {
		refuse_join(ctx, r, msg->from, "the room is full");
		return;
	}
	if (m.editor && editors(r) >= ROOM_MAX_EDITORS) {
		refuse_join(ctx, r, msg->from,
		    "the room already has two editors; join as an observer to watch");
		return;
	}
	if (r->nmembers == r->memcap) {
		size_t ncap = r->memcap > 0 ? r->memcap * 2 : 2;
		struct member *n = realloc(r->members, ncap * sizeof(*n));
		if (n == NULL) {
			send_close(ctx, msg->from, ROOM_CLOSE_POLICY, "server out of memory");
			return;
		}
		r->members = n;
		r->memcap = ncap;
	}
	r->members[r->nmembers++] = m;
	struct member *me = &r->members[r->nmembers - 1];
	tc_gauge_add(r->m->members, 1);
	(void)tc_monitor(ctx, m.addr); /* other nodes: ENOTSUP, LEAVE suffices */
	idle_cancel(ctx, r);

	struct known *k = known_get(r, m.user, true);
	if (k != NULL) {
		snprintf(k->name, sizeof(k->name), "%s", m.name);
		k->editor = m.editor;
	}

	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	act__pack_kv_str(&pk, "op", "join");
	act__pack_kv_str(&pk, "user", m.user);
	act__pack_kv_str(&pk, "name", m.name);
	act__pack_kv_str(&pk, "role", m.editor ? ROOM_ROLE_EDITOR : ROOM_ROLE_OBSERVER);
	if (sb.data != NULL)
		(void)record(ctx, r, ST_EV_PRESENCE, sb.data, sb.size, wall_ms(), NULL);
	msgpack_sbuffer_destroy(&sb);

	broadcast_state(ctx, r);
	/*
	 * Ask the client for what the room lacks: the merged log's state
	 * vector, or the empty one (everything) if the log does not merge.
	 */
	const uint8_t *sv = yp_empty_state_vector;
	size_t svlen = sizeof(yp_empty_state_vector);
	if (r->nlog > 0 && log_compact(r)) {
		sv = r->sv.p;
		svlen = r->sv.len;
	}
	struct yp_buf b;
	yp_buf_init(&b, svlen + 16);
	if (yp_frame_sync_encode(&b, YP_SYNC_STEP1, sv, svlen) == TC_OK)
		send_frame(ctx, me->addr, b.data, b.len);
	yp_buf_fini(&b);
	send_awareness(ctx, r, me->addr, me);
	send_history(ctx, r, me);
	if (r->run.active)
		send_progress(ctx, r, me);
}

static void
on_leave(struct tc_ctx *ctx, struct room *r, struct tc_addr who)
{
	struct member *m = member_find(r, who);
	if (m == NULL)
		return;
	remove_member(ctx, r, m, true);
	broadcast_state(ctx, r);
	if (r->nmembers == 0)
		idle_arm(ctx, r);
}

/* ---- document sync ----------------------------------------------------- */

static void
answer_step1(struct tc_ctx *ctx, struct room *r, struct member *m, const struct yp_frame *f)
{
	size_t n;
	if (yp_state_vector_check(f->data, f->len, &n) != TC_OK) {
		send_error(
		    ctx, r, m->addr, ROOM_ERR_BAD_FRAME, "sync step 1: malformed state vector");
		return;
	}
	static const uint8_t step2_empty[] = {YP_FRAME_SYNC, YP_SYNC_STEP2, 2, 0, 0};
	if (r->nlog > 0 && log_compact(r)) {
		send_step2(ctx, r, m, f->data, n > 0 ? f->len : 0);
		return;
	}
	/* Nothing stored, or a log that does not merge: every update, then step 2. */
	for (size_t i = 0; i < r->nlog; i++)
		send_frame(ctx, m->addr, r->log[i].p, r->log[i].len);
	send_frame(ctx, m->addr, step2_empty, sizeof(step2_empty));
}

/*
 * send_step2 answers a step 1 from the compacted log (one entry): one step
 * 2 holding what the member lacks by its state vector have (have_len 0:
 * the whole update).  A client's run it has wholly is left out; Yjs skips
 * the rest it has.
 */
static void
send_step2(
    struct tc_ctx *ctx, struct room *r, struct member *m, const uint8_t *have, size_t have_len)
{
	struct yp_frame f;
	struct yp_buf diff, b;
	const uint8_t *upd;
	size_t len;

	if (yp_frame_parse(r->log[0].p, r->log[0].len, &f) != TC_OK)
		return; /* cannot happen: the room built the frame */
	upd = f.data;
	len = f.len;
	yp_buf_init(&diff, f.len + 16);
	if (have_len > 0) {
		struct yp_span in = {f.data, f.len};
		if (yp_update_merge(&in, 1, have, have_len, &diff, NULL) == TC_OK) {
			upd = diff.data;
			len = diff.len;
		}
	}
	yp_buf_init(&b, len + 16);
	if (yp_frame_sync_encode(&b, YP_SYNC_STEP2, upd, len) == TC_OK)
		send_frame(ctx, m->addr, b.data, b.len);
	else
		send_error(ctx, r, m->addr, ROOM_ERR_TOO_LARGE, "out of memory");
	yp_buf_fini(&b);
	yp_buf_fini(&diff);
}

/*
 * log_compact merges the whole log into one update (ADR-0043), replaces
 * the entries with its SYNC update frame and keeps its state vector in
 * r->sv.  Returns true when the log is that one entry and r->sv is
 * current; false when the merge gave up or failed: the log is as it was.
 */
static bool
log_compact(struct room *r)
{
	struct yp_span *in;
	struct yp_buf upd, sv, fr;
	struct yp_frame f;
	enum tc_err rv = TC_OK;

	if (r->sv_valid)
		return true;
	r->log_compacted = r->nlog;
	if (r->nlog == 0 || (in = malloc(r->nlog * sizeof(*in))) == NULL)
		return false;
	for (size_t i = 0; i < r->nlog && rv == TC_OK; i++) {
		if ((rv = yp_frame_parse(r->log[i].p, r->log[i].len, &f)) == TC_OK)
			in[i] = (struct yp_span){f.data, f.len};
	}
	yp_buf_init(&upd, r->cfg->max_log_bytes);
	yp_buf_init(&sv, r->cfg->max_log_bytes);
	yp_buf_init(&fr, (size_t)UINT32_MAX);
	if (rv == TC_OK)
		rv = yp_update_merge(in, r->nlog, NULL, 0, &upd, &sv);
	free(in);
	if (rv == TC_OK)
		rv = yp_frame_sync_encode(&fr, YP_SYNC_UPDATE, upd.data, upd.len);
	yp_buf_fini(&upd);
	if (rv != TC_OK) {
		tc_log(TC_LOG_INFO, "room", "room %s: %zu updates kept unmerged: %s", r->id,
		    r->nlog, tc_errname(rv));
		yp_buf_fini(&sv);
		yp_buf_fini(&fr);
		return false;
	}
	for (size_t i = 0; i < r->nlog; i++)
		free(r->log[i].p);
	r->log[0] = (struct bytes){fr.data, (uint32_t)fr.len};
	r->nlog = 1;
	r->log_bytes = fr.len;
	r->log_compacted = 1;
	free(r->sv.p);
	r->sv = (struct bytes){sv.data, (uint32_t)sv.len};
	r->sv_valid = true;
	return true;
}

static bool
log_append(struct room *r, const uint8_t *update, size_t len)
{
	struct yp_buf b;
	/* Compact as the log grows (before appending: the caller relays the
	 * new entry); a log that did not merge is tried again at twice its size. */
	if (r->nlog >= 256 && r->nlog >= 2 * r->log_compacted)
		(void)log_compact(r);
	if (r->nlog == r->logcap) {
		size_t ncap = r->logcap > 0 ? r->logcap * 2 : 8;
		struct bytes *n = realloc(r->log, ncap * sizeof(*n));
		if (n == NULL)
			return false;
		r->log = n;
		r->logcap = ncap;
	}
	yp_buf_init(&b, len + 16);
	if (yp_frame_sync_encode(&b, YP_SYNC_UPDATE, update, len) != TC_OK) {
		yp_buf_fini(&b);
		return false;
	}
	r->log[r->nlog++] = (struct bytes){b.data, (uint32_t)b.len};
	r->log_bytes += b.len;
	r->sv_valid = false;
	return true;
}

static void
on_update(struct tc_ctx *ctx, struct room *r, struct member *m, const struct yp_frame *f)
{
	struct yp_update_info info;
	enum tc_err rv = yp_update_parse(f->data, f->len, &info);

	if (rv != TC_OK) {
		tc_counter_add(r->m->bad_updates, 1);
		tc_log(TC_LOG_INFO, "room", "room %s: bad update from %s refused: %s", r->id,
		    m->user, tc_errname(rv));
		send_error(ctx, r, m->addr, ROOM_ERR_BAD_UPDATE,
		    "the document update does not parse; it was not applied");
		return;
	}
	bool empty = info.nclients == 0;
	uint64_t ins = info.inserted, del = info.deleted;
	yp_update_info_fini(&info);
	if (empty)
		return; /* nothing to store or relay (an empty doc's step 2) */
	if (!m->editor) {
		send_error(
		    ctx, r, m->addr, ROOM_ERR_READ_ONLY, "observers cannot edit the document");
		return;
	}
	if (r->log_bytes + f->len + 16 > r->cfg->max_log_bytes) {
		send_error(ctx, r, m->addr, ROOM_ERR_TOO_LARGE,
		    "the room's document history is at its size limit");
		return;
	}
	if (!log_append(r, f->data, f->len)) {
		send_error(ctx, r, m->addr, ROOM_ERR_TOO_LARGE, "out of memory");
		return;
	}
	const struct bytes *e = &r->log[r->nlog - 1];

	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	act__pack_kv_str(&pk, "user", m->user);
	act__pack_kv_raw(&pk, "update", f->data, f->len, true);
	act__pack_kv_u64(&pk, "inserted", ins);
	act__pack_kv_u64(&pk, "deleted", del);
	if (sb.data != NULL &&
	    record(ctx, r, ST_EV_YJS, sb.data, sb.size, wall_ms(), NULL) != TC_OK)
		tc_log(TC_LOG_WARN, "room", "room %s: update not recorded", r->id);
	msgpack_sbuffer_destroy(&sb);

	broadcast(ctx, r, m, e->p, e->len);
	tc_counter_add(r->m->updates, 1);
	tc_counter_add(r->m->update_bytes, f->len);
	tc_counter_add(r->m->relayed, r->nmembers - 1);
	tc_counter_add(r->m->inserted, ins);
	tc_counter_add(r->m->deleted, del);
}

static void
on_awareness(struct tc_ctx *ctx, struct room *r, struct member *m, const uint8_t *frame,
    size_t flen, const struct yp_frame *f)
{
	struct yp_awareness_entry e[MAX_AW_PER_MEMBER];
	size_t n;
	enum tc_err rv = yp_awareness_parse(f->data, f->len, e, MAX_AW_PER_MEMBER, &n);

	if (rv != TC_OK) {
		send_error(ctx, r, m->addr, ROOM_ERR_BAD_FRAME, "awareness update does not parse");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < m->naw && m->aw[k].client != e[i].client; k++)
			;
		if (yp_awareness_is_removal(&e[i])) {
			if (k < m->naw) {
				free(m->aw[k].state);
				m->aw[k] = m->aw[--m->naw];
			}
			continue;
		}
		if (e[i].state_len > MAX_AW_STATE) {
			send_error(
			    ctx, r, m->addr, ROOM_ERR_TOO_LARGE, "awareness state too large");
			return;
		}
		if (k == m->naw) {
			if (m->naw == MAX_AW_PER_MEMBER)
				continue;
			if (m->naw == m->awcap) {
				size_t ncap = m->awcap > 0 ? 2 * m->awcap : 1;
				struct aw_entry *g = realloc(m->aw, ncap * sizeof(*g));
				if (g == NULL)
					continue;
				m->aw = g;
				m->awcap = ncap;
			}
			m->aw[m->naw++] = (struct aw_entry){e[i].client, 0, NULL, 0};
		}
		char *s = malloc(e[i].state_len + 1);
		if (s == NULL)
			continue;
		memcpy(s, e[i].state, e[i].state_len);
		s[e[i].state_len] = '\0';
		free(m->aw[k].state);
		m->aw[k].state = s;
		m->aw[k].len = e[i].state_len;
		m->aw[k].clock = e[i].clock;
	}
	broadcast(ctx, r, m, frame, flen);
	tc_counter_add(r->m->relayed, r->nmembers - 1);
}

/* ---- chat -------------------------------------------------------------- */

static bool
chat_frame(struct room *r, uint64_t seq, const char *user, const char *name, const uint8_t *text,
    size_t tlen, int64_t ts, struct bytes *out)
{
	struct appframe f;
	bool ok;
	appframe_begin(&f, ROOM_FRAME_CHAT);
	msgpack_pack_map(&f.pk, 5);
	act__pack_kv_u64(&f.pk, "seq", seq);
	act__pack_kv_str(&f.pk, "user", user);
	act__pack_kv_str(&f.pk, "name", name);
	act__pack_kv_raw(&f.pk, "text", text, tlen, false);
	act__pack_str(&f.pk, "ts");
	msgpack_pack_int64(&f.pk, ts);
	ok = appframe_ok(&f) && bytes_set(out, f.sb.data, f.sb.size);
	appframe_end(&f);
	return ok;
}

static void
chat_keep(struct room *r, struct bytes *b)
{
	if (r->chat == NULL && (r->chat = calloc(ROOM_CHAT_HISTORY, sizeof(*r->chat))) == NULL) {
		free(b->p); /* out of memory: the line was sent and recorded, not kept */
		*b = (struct bytes){NULL, 0};
		return;
	}
	struct bytes *slot = &r->chat[r->chat_head];
	free(slot->p);
	*slot = *b;
	r->chat_head = (r->chat_head + 1) % ROOM_CHAT_HISTORY;
	if (r->nchat < ROOM_CHAT_HISTORY)
		r->nchat++;
}

static void
on_chat(struct tc_ctx *ctx, struct room *r, struct member *m, const struct yp_frame *f)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	const uint8_t *text;
	size_t tlen;

	if (act__map_open(f->data, f->len, &u, &map) != TC_OK ||
	    !act__get_raw(map, "text", &text, &tlen) ||
	    act__map_get(map, "text")->type != MSGPACK_OBJECT_STR ||
	    yp_utf8_check((const char *)text, tlen, NULL) != TC_OK) {
		msgpack_unpacked_destroy(&u);
		send_error(ctx, r, m->addr, ROOM_ERR_BAD_FRAME, "chat: expected {text: string}");
		return;
	}
	if (tlen == 0 || tlen > r->cfg->max_chat) {
		msgpack_unpacked_destroy(&u);
		send_error(ctx, r, m->addr, tlen == 0 ? ROOM_ERR_BAD_FRAME : ROOM_ERR_TOO_LARGE,
		    tlen == 0 ? "chat: empty message" : "chat: message too long");
		return;
	}
	int64_t ts = wall_ms();
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	act__pack_kv_str(&pk, "user", m->user);
	act__pack_kv_str(&pk, "name", m->name);
	act__pack_kv_raw(&pk, "text", text, tlen, false);
	uint64_t seq = 0;
	enum tc_err rv =
	    sb.data != NULL ? record(ctx, r, ST_EV_CHAT, sb.data, sb.size, ts, &seq) : TC_ENOMEM;
	msgpack_sbuffer_destroy(&sb);
	struct bytes b = {0};
	if (rv == TC_OK && chat_frame(r, seq, m->user, m->name, text, tlen, ts, &b)) {
		broadcast(ctx, r, NULL, b.p, b.len);
		chat_keep(r, &b);
		tc_counter_add(r->m->chats, 1);
	} else {
		send_error(ctx, r, m->addr, ROOM_ERR_TOO_LARGE, "chat: could not be stored");
	}
	msgpack_unpacked_destroy(&u);
}

/* ---- runs -------------------------------------------------------------- */

static void
run_clear(struct tc_ctx *ctx, struct room *r)
{
	run_ended(r);
	r->run.active = false;
	r->run.gen++;
	if (r->run.timer_armed) {
		(void)tc_timer_cancel(ctx, r->run.timer);
		r->run.timer_armed = false;
	}
	broadcast_state(ctx, r);
	if (r->nmembers == 0)
		idle_arm(ctx, r);
}

static void
on_run(struct tc_ctx *ctx, struct room *r, struct member *m, const struct yp_frame *f)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	const uint8_t *code;
	size_t clen;
	char lang[32];

	if (!m->editor) {
		send_error(ctx, r, m->addr, ROOM_ERR_READ_ONLY, "observers cannot start runs");
		return;
	}
	if (r->run.active) {
		send_error(
		    ctx, r, m->addr, ROOM_ERR_RUN_BUSY, "a run is already queued or running");
		return;
	}
	if (act__map_open(f->data, f->len, &u, &map) != TC_OK ||
	    !act__get_raw(map, "code", &code, &clen) ||
	    !act__get_str(map, "lang", lang, sizeof(lang))) {
		msgpack_unpacked_destroy(&u);
		send_error(ctx, r, m->addr, ROOM_ERR_BAD_FRAME, "run: expected {code, lang}");
		return;
	}
	const char *why = NULL;
	if (strcmp(lang, "python") != 0)
		why = "only python can be run";
	else if (r->problem[0] == '\0')
		why = "this room has no problem to run against";
	else if (clen > r->cfg->max_code)
		why = "the code is too large to run";
	if (why != NULL) {
		msgpack_unpacked_destroy(&u);
		send_error(ctx, r, m->addr, ROOM_ERR_RUN_REJECTED, why);
		return;
	}

	struct known *k = known_get(r, m->user, true);
	uint64_t attempt = k != NULL ? ++k->runs : r->runs + 1;
	r->runs++;
	uint64_t run_gen = r->run.gen;
	memset(&r->run, 0, sizeof(r->run));
	r->run.gen = run_gen;
	snprintf(r->run.id, sizeof(r->run.id), "%.40s.%llu", r->id, (unsigned long long)r->runs);
	snprintf(r->run.by, sizeof(r->run.by), "%s", m->user);
	snprintf(r->run.state, sizeof(r->run.state), "queued");

	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 7);
	act__pack_kv_str(&pk, "run", r->run.id);
	act__pack_kv_str(&pk, "room", r->id);
	act__pack_kv_str(&pk, "user", m->user);
	act__pack_kv_str(&pk, "problem", r->problem);
	act__pack_kv_raw(&pk, "code", code, clen, false);
	act__pack_kv_str(&pk, "lang", lang);
	act__pack_kv_u64(&pk, "attempt", attempt);
	msgpack_unpacked_destroy(&u);
	enum tc_err rv = sb.data != NULL ? TC_OK : TC_ENOMEM;
	if (rv == TC_OK)
		rv = record(ctx, r, ST_EV_RUN, sb.data, sb.size, wall_ms(), NULL);
	if (rv == TC_OK)
		rv =
		    tc_send_name(ctx, r->kind->runner_name, RUNNER_MSG_RUN, sb.data, sb.size, NULL);
	msgpack_sbuffer_destroy(&sb);
	if (rv != TC_OK) {
		tc_log(TC_LOG_WARN, "room", "room %s: run %s not started: %s", r->id, r->run.id,
		    tc_strerror(rv));
		send_error(ctx, r, m->addr, ROOM_ERR_RUN_REJECTED, "the judge is not available");
		return;
	}
	r->run.active = true;
	atomic_fetch_add(&r->kind->runs, 1);
	r->run.gen++;
	uint64_t gen = r->run.gen;
	r->run.timer_armed = tc_send_after(ctx, RUN_DEADLINE_MS, ROOM_MSG_RUN_DEADLINE, &gen,
	                         sizeof(gen), &r->run.timer) == TC_OK;
	tc_counter_add(r->m->runs, 1);
	send_progress(ctx, r, NULL);
	broadcast_state(ctx, r);
}

static bool
run_matches(struct room *r, const msgpack_object *map)
{
	char id[ST_ID_MAX + 1];
	return r->run.active && act__get_str(map, "run", id, sizeof(id)) &&
	       strcmp(id, r->run.id) == 0;
}

static void
on_progress(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	char state[16];

	if (act__map_open(msg->body, msg->len, &u, &map) == TC_OK && run_matches(r, map) &&
	    act__get_str(map, "state", state, sizeof(state))) {
		snprintf(r->run.state, sizeof(r->run.state), "%s", state);
		(void)act__get_u64(map, "done", &r->run.done);
		(void)act__get_u64(map, "total", &r->run.total);
		send_progress(ctx, r, NULL);
	}
	msgpack_unpacked_destroy(&u);
}

/* verdict_frame builds the VERDICT frame {id, by, result} into out. */
static bool
verdict_frame(const char *id, const char *by, const uint8_t *result, size_t rlen, struct bytes *out)
{
	struct appframe f;
	bool ok;
	appframe_begin(&f, ROOM_FRAME_VERDICT);
	msgpack_pack_map(&f.pk, 3);
	act__pack_kv_str(&f.pk, "id", id);
	act__pack_kv_str(&f.pk, "by", by);
	act__pack_kv_raw(&f.pk, "result", result, rlen, false);
	ok = appframe_ok(&f) && bytes_set(out, f.sb.data, f.sb.size);
	appframe_end(&f);
	return ok;
}

static void
on_verdict(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	const uint8_t *result;
	size_t rlen;

	if (act__map_open(msg->body, msg->len, &u, &map) != TC_OK || !run_matches(r, map) ||
	    !act__get_raw(map, "result", &result, &rlen)) {
		msgpack_unpacked_destroy(&u);
		tc_log(TC_LOG_INFO, "room", "room %s: verdict for no current run ignored", r->id);
		return;
	}
	if (verdict_frame(r->run.id, r->run.by, result, rlen, &r->last_verdict))
		broadcast(ctx, r, NULL, r->last_verdict.p, r->last_verdict.len);

	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	act__pack_kv_str(&pk, "id", r->run.id);
	act__pack_kv_str(&pk, "user", r->run.by);
	act__pack_kv_raw(&pk, "result", result, rlen, false);
	if (sb.data != NULL)
		(void)record(ctx, r, ST_EV_VERDICT, sb.data, sb.size, wall_ms(), NULL);
	msgpack_sbuffer_destroy(&sb);
	msgpack_unpacked_destroy(&u);
	tc_counter_add(r->m->verdicts, 1);
	run_clear(ctx, r);
}

static void
on_run_refused(struct tc_ctx *ctx, struct room *r, const char *message)
{
	for (size_t i = 0; i < r->nmembers; i++)
		send_error(ctx, r, r->members[i].addr, ROOM_ERR_RUN_REJECTED, message);
	run_clear(ctx, r);
}

static void
on_runner_rejected(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	char message[256] = "the run could not be started";

	if (act__map_open(msg->body, msg->len, &u, &map) == TC_OK && run_matches(r, map)) {
		(void)act__get_str(map, "message", message, sizeof(message));
		on_run_refused(ctx, r, message);
	}
	msgpack_unpacked_destroy(&u);
}

static void
on_run_deadline(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg)
{
	uint64_t gen;
	if (msg->len != sizeof(gen))
		return;
	memcpy(&gen, msg->body, sizeof(gen));
	if (!r->run.active || gen != r->run.gen)
		return;
	r->run.timer_armed = false;
	tc_log(TC_LOG_WARN, "room", "room %s: run %s got no verdict in time", r->id, r->run.id);
	on_run_refused(ctx, r, "the run got no verdict in time");
}

/* ---- frames ------------------------------------------------------------ */

static void
on_frame(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg)
{
	struct member *m = member_find(r, msg->from);
	struct yp_frame f;

	if (m == NULL)
		return; /* not joined (or refused): nothing to answer */
	if (msg->len > r->cfg->max_frame) {
		send_error(ctx, r, m->addr, ROOM_ERR_TOO_LARGE, "frame too large");
		return;
	}
	if (yp_frame_parse(msg->body, msg->len, &f) != TC_OK) {
		send_error(ctx, r, m->addr, ROOM_ERR_BAD_FRAME, "the frame does not parse");
		return;
	}
	switch (f.type) {
	case ROOM_FRAME_SYNC:
		if (f.sub == YP_SYNC_STEP1)
			answer_step1(ctx, r, m, &f);
		else
			on_update(ctx, r, m, &f);
		break;
	case ROOM_FRAME_AWARENESS:
		on_awareness(ctx, r, m, msg->body, msg->len, &f);
		break;
	case ROOM_FRAME_QUERY_AWARENESS:
		send_awareness(ctx, r, m->addr, NULL);
		break;
	case ROOM_FRAME_CHAT:
		on_chat(ctx, r, m, &f);
		break;
	case ROOM_FRAME_RUN:
		on_run(ctx, r, m, &f);
		break;
	default:
		send_error(ctx, r, m->addr, ROOM_ERR_BAD_FRAME, "unknown frame type");
		break;
	}
}

/* ---- rehydration ------------------------------------------------------- */

static enum tc_err
load_work(void *arg)
{
	struct load_job *j = arg;
	struct st_room row;

	j->rv = st_room_get(j->st, j->room, &row);
	if (j->rv == TC_OK)
		snprintf(j->problem, sizeof(j->problem), "%s", row.problem_id);
	else if (j->rv == TC_ENOENT)
		j->rv = TC_OK; /* a room the store does not know: no problem */
	if (j->rv == TC_OK)
		j->rv = st_events_last_seq(j->st, j->room, &j->last_seq);
	if (j->rv == TC_OK && j->last_seq > 0) {
		j->rv = st_timeline_read(j->st, j->room, 1, j->last_seq, &j->tl);
		if (j->rv == TC_ECORRUPT && j->tl != NULL) {
			tc_log(TC_LOG_ERROR, "room", "room %s: timeline partly corrupt: %s",
			    j->room, j->tl->msg);
			j->rv = TC_OK; /* serve what is readable */
		}
	}
	enum tc_err rv = j->rv;
	if (atomic_fetch_sub(&j->refs, 1) == 1) {
		st_timeline_free(j->tl);
		free(j);
	}
	return rv;
}

static void
job_unref(struct load_job *j)
{
	if (j != NULL && atomic_fetch_sub(&j->refs, 1) == 1) {
		st_timeline_free(j->tl);
		free(j);
	}
}

static void
replay_event(struct room *r, const struct st_event *ev)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	char user[ST_ID_MAX + 1] = "", name[ST_NAME_MAX + 1] = "", id[ST_ID_MAX + 1] = "";
	char role[16] = "", op[8] = "";
	const uint8_t *p;
	size_t len;

	if (act__map_open(ev->payload, ev->len, &u, &map) != TC_OK) {
		msgpack_unpacked_destroy(&u);
		tc_log(TC_LOG_WARN, "room", "room %s: event %llu unreadable, skipped", r->id,
		    (unsigned long long)ev->seq);
		return;
	}
	(void)act__get_str(map, "user", user, sizeof(user));
	switch (ev->type) {
	case ST_EV_YJS:
		if (act__get_raw(map, "update", &p, &len))
			(void)log_append(r, p, len);
		break;
	case ST_EV_CHAT:
		if (act__get_str(map, "name", name, sizeof(name)) &&
		    act__get_raw(map, "text", &p, &len)) {
			struct bytes b = {0};
			if (chat_frame(r, ev->seq, user, name, p, len, ev->ts_ms, &b))
				chat_keep(r, &b);
		}
		break;
	case ST_EV_PRESENCE:
		if (act__get_str(map, "op", op, sizeof(op)) && valid_id(user)) {
			struct known *k = known_get(r, user, true);
			if (k != NULL) {
				(void)act__get_str(map, "name", k->name, sizeof(k->name));
				(void)act__get_str(map, "role", role, sizeof(role));
				k->editor = strcmp(role, ROOM_ROLE_EDITOR) == 0;
			}
		}
		break;
	case ST_EV_RUN:
		r->runs++;
		if (valid_id(user)) {
			struct known *k = known_get(r, user, true);
			if (k != NULL)
				k->runs++;
		}
		break;
	case ST_EV_VERDICT:
		if (act__get_str(map, "id", id, sizeof(id)) &&
		    act__get_raw(map, "result", &p, &len))
			(void)verdict_frame(id, user, p, len, &r->last_verdict);
		break;
	default:
		break;
	}
	msgpack_unpacked_destroy(&u);
}

static enum tc_err room_live(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg);

static enum tc_err
load_done(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg)
{
	struct load_job *j = r->job;
	enum tc_err rv = j->rv;

	r->job = NULL;
	if (rv != TC_OK) {
		tc_log(TC_LOG_ERROR, "room", "room %s: load failed: %s", r->id, tc_strerror(rv));
		job_unref(j);
		return rv; /* fail: sessions see DOWN and reconnect to a fresh room */
	}
	if (j->problem[0] != '\0')
		snprintf(r->problem, sizeof(r->problem), "%s", j->problem);
	r->seq = r->durable = j->last_seq;
	if (j->tl != NULL) {
		for (size_t i = 0; i < j->tl->n; i++)
			replay_event(r, &j->tl->ev[i]);
	}
	job_unref(j);
	tc_counter_add(r->m->rehydrations, 1);
	tc_log(TC_LOG_INFO, "room", "room %s: loaded %zu updates through seq %llu", r->id, r->nlog,
	    (unsigned long long)r->seq);
	r->phase = PHASE_LIVE;

	/* Replay what waited, in arrival order. */
	struct tc_msg **d = r->deferred;
	size_t n = r->ndeferred;
	r->deferred = NULL;
	r->ndeferred = r->deferred_bytes = 0;
	for (size_t i = 0; i < n; i++) {
		if (rv == TC_OK)
			rv = room_live(ctx, r, d[i]);
		tc_msg_free(d[i]);
	}
	free(d);
	if (rv == TC_OK && r->nmembers == 0 && !r->idle_armed)
		idle_arm(ctx, r); /* started by a stray message: do not linger */
	return rv;
}

static void
defer(struct room *r, const struct tc_msg *msg)
{
	struct tc_msg *copy;

	if (r->ndeferred >= MAX_DEFERRED || r->deferred_bytes + msg->len > MAX_DEFERRED_BYTES ||
	    tc_msg_new(msg->type, msg->body, msg->len, &copy) != TC_OK) {
		tc_log(TC_LOG_WARN, "room", "room %s: message %u dropped while loading", r->id,
		    msg->type);
		return;
	}
	if (r->ndeferred % 64 == 0) {
		struct tc_msg **n = realloc(r->deferred, (r->ndeferred + 64) * sizeof(*n));
		if (n == NULL) {
			tc_msg_free(copy);
			return;
		}
		r->deferred = n;
	}
	copy->to = msg->to;
	copy->from = msg->from;
	copy->flags = msg->flags;
	copy->corr = msg->corr;
	r->deferred[r->ndeferred++] = copy;
	r->deferred_bytes += msg->len;
}

/* ---- the behaviour ----------------------------------------------------- */

static enum tc_err
room_init(struct tc_ctx *ctx, void *arg, void **state)
{
	struct room_kind *k = kind_find(tc_ctx_node(ctx));
	const char *id = arg;
	struct room *r;

	if (k == NULL || id == NULL || !valid_id(id))
		return TC_EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return TC_ENOMEM;
	r->kind = k;
	r->cfg = &k->cfg;
	r->m = &k->m;
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->name, sizeof(r->name), "%s/%s", ROOM_KIND, id);
	snprintf(r->problem, sizeof(r->problem), "%s", k->problem != NULL ? k->problem : "");
	r->phase = PHASE_LIVE;
	if (k->cfg.store != NULL) {
		struct load_job *j = calloc(1, sizeof(*j));
		if (j == NULL) {
			free(r);
			return TC_ENOMEM;
		}
		atomic_init(&j->refs, 2);
		j->st = k->cfg.store;
		snprintf(j->room, sizeof(j->room), "%s", id);
		enum tc_err rv = tc_work(ctx, load_work, j, 1);
		if (rv != TC_OK) {
			free(j);
			free(r);
			return rv;
		}
		r->job = j;
		r->phase = PHASE_LOADING;
	}
	tc_gauge_add(r->m->live, 1);
	*state = r;
	return TC_OK;
}

static enum tc_err
room_live(struct tc_ctx *ctx, struct room *r, const struct tc_msg *msg)
{
	switch (msg->type) {
	case ROOM_MSG_JOIN:
		on_join(ctx, r, msg);
		break;
	case ROOM_MSG_FRAME:
		on_frame(ctx, r, msg);
		break;
	case ROOM_MSG_LEAVE:
		on_leave(ctx, r, msg->from);
		break;
	case TC_MSG_DOWN: {
		struct tc_down d;
		if (tc_down_decode(msg, &d) == TC_OK)
			on_leave(ctx, r, d.who);
		break;
	}
	case ROOM_MSG_IDLE:
		on_idle(ctx, r, msg);
		break;
	case ROOM_MSG_RESEND:
		resend(ctx, r);
		break;
	case ROOM_MSG_RUN_DEADLINE:
		on_run_deadline(ctx, r, msg);
		break;
	case RUNNER_MSG_PROGRESS:
		on_progress(ctx, r, msg);
		break;
	case RUNNER_MSG_VERDICT:
		on_verdict(ctx, r, msg);
		break;
	case RUNNER_MSG_REJECTED:
		on_runner_rejected(ctx, r, msg);
		break;
	case RECORDER_MSG_ACK: {
		char room[ST_ID_MAX + 1];
		uint64_t seq;
		if (recorder_ack_decode(msg->body, msg->len, room, &seq) == TC_OK &&
		    strcmp(room, r->id) == 0)
			acked(ctx, r, seq);
		break;
	}
	case RECORDER_MSG_REJECT: {
		char room[ST_ID_MAX + 1];
		uint64_t first, last;
		enum tc_err err;
		if (recorder_reject_decode(msg->body, msg->len, room, &first, &last, &err) ==
		        TC_OK &&
		    strcmp(room, r->id) == 0)
			rejected(ctx, r, first, last, err);
		break;
	}
	case RECORDER_MSG_BEHIND: {
		char room[ST_ID_MAX + 1];
		uint64_t pending;
		int behind;
		if (recorder_behind_decode(msg->body, msg->len, room, &pending, &behind) == TC_OK)
			tc_log(behind ? TC_LOG_WARN : TC_LOG_INFO, "room",
			    "room %s: recorder %s (%llu events pending)", r->id,
			    behind ? "behind" : "caught up", (unsigned long long)pending);
		break;
	}
	default:
		break; /* unknown messages are ignored */
	}
	return TC_OK;
}

static enum tc_err
room_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct room *r = state;

	if (msg->type == TC_MSG_WORK_DONE && r->phase == PHASE_LOADING)
		return load_done(ctx, r, msg);
	if (r->phase == PHASE_LOADING) {
		defer(r, msg);
		return TC_OK;
	}
	return room_live(ctx, r, msg);
}

static void
room_fini(void *state, enum tc_err reason)
{
	struct room *r = state;

	job_unref(r->job);
	for (size_t i = 0; i < r->ndeferred; i++)
		tc_msg_free(r->deferred[i]);
	free(r->deferred);
	for (size_t i = 0; i < r->nmembers; i++)
		aw_clear(&r->members[i]);
	tc_gauge_add(r->m->members, -(int64_t)r->nmembers);
	free(r->members);
	for (size_t i = 0; i < r->nlog; i++)
		free(r->log[i].p);
	free(r->log);
	free(r->sv.p);
	for (size_t i = 0; r->chat != NULL && i < ROOM_CHAT_HISTORY; i++)
		free(r->chat[i].p);
	free(r->chat);
	free(r->known);
	free(r->last_verdict.p);
	if (r->nunacked > 0)
		tc_log(TC_LOG_WARN, "room",
		    "room %s: stopped with %zu events not acknowledged (%s)", r->id, r->nunacked,
		    tc_errname(reason));
	for (size_t i = 0; i < r->nunacked; i++)
		free(r->unacked[i].payload.p);
	unacked_sub(r->kind, r->nunacked);
	if (r->run.active)
		tc_log(TC_LOG_WARN, "room", "room %s: stopped with run %s in progress (%s)", r->id,
		    r->run.id, tc_errname(reason));
	run_ended(r);
	free(r->unacked);
	tc_gauge_add(r->m->live, -1);
	free(r);
}

static const struct tc_behaviour room_behaviour = {
    .kind = ROOM_KIND,
    .init = room_init,
    .handle = room_handle,
    .fini = room_fini,
};

/* ---- registration ------------------------------------------------------ */

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void
metrics_init(struct tc_metrics *reg, struct room_metrics *m)
{
	(void)tc_metrics_gauge(reg, "tandem_rooms_live", "Room actors running", NULL, &m->live);
	(void)tc_metrics_gauge(
	    reg, "tandem_room_members", "Sessions joined to rooms", NULL, &m->members);
	(void)tc_metrics_counter(reg, "tandem_room_updates_total",
	    "Document updates accepted into room logs", NULL, &m->updates);
	(void)tc_metrics_counter(reg, "tandem_room_update_bytes_total",
	    "Bytes of accepted document updates", NULL, &m->update_bytes);
	(void)tc_metrics_counter(
	    reg, "tandem_room_relayed_total", "Frames relayed to other members", NULL, &m->relayed);
	(void)tc_metrics_counter(reg, "tandem_room_bad_updates_total",
	    "Document updates refused as malformed", NULL, &m->bad_updates);
	(void)tc_metrics_counter(
	    reg, "tandem_room_errors_total", "Error frames sent to clients", NULL, &m->errors);
	(void)tc_metrics_counter(reg, "tandem_room_chat_total", "Chat lines", NULL, &m->chats);
	(void)tc_metrics_counter(reg, "tandem_room_runs_total", "Runs started", NULL, &m->runs);
	(void)tc_metrics_counter(
	    reg, "tandem_room_verdicts_total", "Verdicts delivered", NULL, &m->verdicts);
	(void)tc_metrics_counter(reg, "tandem_room_rehydrations_total",
	    "Rooms loaded from the store", NULL, &m->rehydrations);
	(void)tc_metrics_counter(reg, "tandem_room_inserted_chars_total",
	    "Characters inserted (UTF-16 units)", NULL, &m->inserted);
	(void)tc_metrics_counter(reg, "tandem_room_deleted_chars_total",
	    "Characters deleted (delete-set lengths)", NULL, &m->deleted);
	(void)tc_metrics_counter(
	    reg, "tandem_room_joins_refused_total", "Joins refused (room full)", NULL, &m->refused);
	(void)tc_metrics_counter(
	    reg, "tandem_room_idle_stops_total", "Rooms stopped when idle", NULL, &m->stops);
}

enum tc_err
room_register(struct tc_node *node, const struct room_config *cfg)
{
	struct room_kind *k;
	enum tc_err rv;

	if (node == NULL || cfg == NULL)
		return TC_EINVAL;
	if (kind_find(node) != NULL)
		return TC_EEXIST;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return TC_ENOMEM;
	k->node = node;
	k->cfg = *cfg;
	k->recorder_name = dup_or_null(cfg->recorder_name);
	k->runner_name = strdup(cfg->runner_name != NULL ? cfg->runner_name : RUNNER_QUEUE_NAME);
	k->problem = dup_or_null(cfg->problem);
	if ((cfg->recorder_name != NULL && k->recorder_name == NULL) || k->runner_name == NULL ||
	    (cfg->problem != NULL && k->problem == NULL)) {
		free(k->recorder_name);
		free(k->runner_name);
		free(k->problem);
		free(k);
		return TC_ENOMEM;
	}
	atomic_init(&k->unacked, 0);
	pthread_mutex_init(&k->drain_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->drain_cv, &ca);
	pthread_condattr_destroy(&ca);
	k->cfg.recorder_name = k->recorder_name;
	k->cfg.runner_name = k->runner_name;
	k->cfg.problem = k->problem;
	if (k->cfg.max_members == 0)
		k->cfg.max_members = ROOM_DEFAULT_MAX_MEMBERS;
	if (k->cfg.idle_ms == 0)
		k->cfg.idle_ms = ROOM_DEFAULT_IDLE_MS;
	if (k->cfg.max_log_bytes == 0)
		k->cfg.max_log_bytes = ROOM_DEFAULT_MAX_LOG_BYTES;
	if (k->cfg.max_frame == 0)
		k->cfg.max_frame = ROOM_DEFAULT_MAX_FRAME;
	if (k->cfg.max_code == 0)
		k->cfg.max_code = ROOM_DEFAULT_MAX_CODE;
	if (k->cfg.max_chat == 0)
		k->cfg.max_chat = ROOM_DEFAULT_MAX_CHAT;
	metrics_init(cfg->metrics != NULL ? cfg->metrics : tc_node_metrics(node), &k->m);

	pthread_mutex_lock(&kinds_lock);
	k->next = kinds;
	kinds = k;
	pthread_mutex_unlock(&kinds_lock);
	rv = tc_node_register_kind(node, ROOM_KIND, &room_behaviour);
	if (rv != TC_OK)
		room_unregister(node);
	return rv;
}

void
room_unregister(struct tc_node *node)
{
	struct room_kind **pp, *k = NULL;

	pthread_mutex_lock(&kinds_lock);
	for (pp = &kinds; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->node == node) {
			k = *pp;
			*pp = k->next;
			break;
		}
	}
	pthread_mutex_unlock(&kinds_lock);
	if (k == NULL)
		return;
	pthread_cond_destroy(&k->drain_cv);
	pthread_mutex_destroy(&k->drain_lock);
	free(k->recorder_name);
	free(k->runner_name);
	free(k->problem);
	free(k);
}

enum tc_err
room_drain(struct tc_node *node, uint32_t timeout_ms, size_t *left, size_t *runs_left)
{
	struct room_kind *k = kind_find(node);
	struct timespec dl;
	size_t n = 0, runs = 0;

	if (k != NULL) {
		/* tc_clock_real is CLOCK_MONOTONIC, drain_cv's clock */
		uint64_t due = tc_clock_now_ms(tc_clock_real()) + timeout_ms;
		dl = (struct timespec){(time_t)(due / 1000), (long)(due % 1000) * 1000000};
		pthread_mutex_lock(&k->drain_lock);
		while ((n = atomic_load(&k->unacked)) > 0 || (runs = atomic_load(&k->runs)) > 0)
			if (pthread_cond_timedwait(&k->drain_cv, &k->drain_lock, &dl) != 0) {
				n = atomic_load(&k->unacked);
				runs = atomic_load(&k->runs);
				break;
			}
		pthread_mutex_unlock(&k->drain_lock);
	}
	if (left != NULL)
		*left = n;
	if (runs_left != NULL)
		*runs_left = runs;
	return n == 0 && runs == 0 ? TC_OK : TC_ETIMEDOUT;
}

enum tc_err
room_update_event_decode(
    const uint8_t *payload, size_t len, char *user, const uint8_t **update, size_t *update_len)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	enum tc_err rv = TC_EPROTO;

	if (act__map_open(payload, len, &u, &map) == TC_OK &&
	    act__get_str(map, "user", user, ST_ID_MAX + 1) &&
	    act__get_raw(map, "update", update, update_len)) {
		/* The update points into payload: msgpack-c references bin bodies. */
		rv = TC_OK;
	}
	msgpack_unpacked_destroy(&u);
	return rv;
}
