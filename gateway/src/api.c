/*
 * api.c - the REST API (docs/protocol.md section 3) with jansson.
 *
 * Design notes: a handler that needs nothing but memory (problems, guest
 * sign-in) answers at once on the service thread.  A handler that needs
 * the store prepares a job here (parsing and checking everything first),
 * spawns a short-lived "api" actor that runs the job through tc_work on
 * the node's worker pool, and the actor hands the reply to the connection
 * through the hub (ADR-0030).  A connection that went away meanwhile just
 * drops the reply: the job refers to it by a generation-tagged id.
 * Rooms, invites and room-bound tokens need no storage of their own: an
 * invite is a MAC of the room id (ADR-0031).
 */
#include <jansson.h>
#include <msgpack.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actors/protocol.h"
#include "core/log.h"
#include "core/node.h"
#include "gw_priv.h"

#ifdef GW_HAVE_STORE
#include "store/store.h"
#ifdef GW_HAVE_ACTORS
#include "actors/room.h"
#include "actors/yproto.h"
#endif
#endif

#define JSON_CT "application/json"
#define MEMBERS_MAX 256
#define TIMELINE_DEFAULT 500
#define TIMELINE_MAX 5000

struct gw_reply *
gw__reply_new(int status, const char *ctype, const char *body, size_t len)
{
	struct gw_reply *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->status = status;
	r->ctype = ctype;
	r->len = len;
	if ((r->body = malloc(len + 1)) == NULL) {
		free(r);
		return NULL;
	}
	if (len > 0)
		memcpy(r->body, body, len);
	r->body[len] = '\0';
	return r;
}

/* Takes j (decref'd here). */
static struct gw_reply *
reply_json(int status, json_t *j)
{
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL)
		return NULL;
	struct gw_reply *r = gw__reply_new(status, JSON_CT, text, strlen(text));
	free(text);
	return r;
}

struct gw_reply *
gw__reply_error(int status, const char *code, const char *message)
{
	return reply_json(status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

static void
random_id(const char *prefix, size_t n, char *out)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789"; /* 32 symbols */
	uint8_t rnd[32];
	size_t p = strlen(prefix);
	memcpy(out, prefix, p);
	if (RAND_bytes(rnd, (int)n) != 1)
		abort(); /* no randomness: a broken system, not a condition */
	for (size_t i = 0; i < n; i++)
		out[p + i] = alphabet[rnd[i] & 31];
	out[p + n] = '\0';
}

/* ---- request helpers -------------------------------------------------------- */

/* Parses a JSON object body; NULL if absent or malformed. */
static json_t *
body_object(const struct gw_request *rq)
{
	if (rq->body == NULL || rq->blen == 0)
		return NULL;
	json_t *j = json_loadb(rq->body, rq->blen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A string member, refusing embedded NULs; NULL when absent or not a string. */
static const char *
member_str(json_t *o, const char *k, size_t *len)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	if (len != NULL)
		*len = json_string_length(v);
	return json_string_value(v);
}

/*
 * Who is calling: the bearer token's identity, or a new guest named in
 * the body.  Returns NULL with *err set (a reply) on refusal.
 */
static bool
caller_identity(struct gw_server *s, const struct gw_request *rq, json_t *body,
    struct gw_identity *id, struct gw_reply **err)
{
	enum gw_auth_fail why = GW_AUTH_OK;
	size_t nlen = 0;
	const char *name = member_str(body, "name", &nlen);
	char clean[GW_NAME_MAX + 1];

	memset(id, 0, sizeof(*id));
	if (name != NULL && gw_name_clean(name, nlen, clean) != TC_OK) {
		*err = gw__reply_error(
		    400, "BAD_NAME", "a name is 1 to 64 bytes of text without control characters");
		return false;
	}
	if (rq->bearer != NULL) {
		if (gw_auth_verify(s->auth, rq->bearer, strlen(rq->bearer), (int64_t)time(NULL), id,
		        &why) != TC_OK) {
			tc_counter_add(s->m.auth_fail[why], 1);
			*err = gw__reply_error(
			    401, "UNAUTHORIZED", "token missing, expired or invalid");
			return false;
		}
		id->room[0] = id->role[0] = '\0';
		if (name != NULL)
			strcpy(id->name, clean);
		return true;
	}
	if (!gw_auth_guest_enabled(s->auth)) {
		tc_counter_add(s->m.auth_fail[GW_AUTH_MISSING], 1);
		*err =
		    gw__reply_error(401, "UNAUTHORIZED", "sign in first (Authorization: Bearer)");
		return false;
	}
	if (name == NULL) {
		*err = gw__reply_error(400, "BAD_NAME", "a name is required");
		return false;
	}
	id->provider = GW_PROVIDER_GUEST;
	random_id("g-", 16, id->user);
	strcpy(id->name, clean);
	return true;
}

/* Splits "/api/rooms/{room}/rest" into room and rest. */
static bool
path_room(const char *path, const char *prefix, char room[GW_ROOM_MAX + 1], const char **rest)
{
	size_t p = strlen(prefix);
	if (strncmp(path, prefix, p) != 0)
		return false;
	const char *start = path + p;
	const char *slash = strchr(start, '/');
	size_t n = slash != NULL ? (size_t)(slash - start) : strlen(start);
	if (n == 0 || n > GW_ROOM_MAX)
		return false;
	memcpy(room, start, n);
	room[n] = '\0';
	if (!gw_id_valid(room, GW_ROOM_MAX))
		return false;
	*rest = slash != NULL ? slash : "";
	return true;
}

static bool
query_u64(const struct gw_request *rq, const char *name, uint64_t dflt, uint64_t max, uint64_t *out)
{
	char buf[32];
	size_t len = 0;
	enum tc_err rv = gw__query_get(rq->query, strlen(rq->query), name, buf, sizeof(buf), &len);
	if (rv == TC_ENOENT) {
		*out = dflt;
		return true;
	}
	if (rv != TC_OK || len == 0 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return false;
	*out = strtoull(buf, NULL, 10);
	if (*out > max)
		*out = max;
	return true;
}

/* Signs a room-bound token and builds the common part of the answer. */
static json_t *
room_answer(
    struct gw_server *s, const struct gw_identity *caller, const char *room, const char *role)
{
	struct gw_identity bound = *caller;
	char token[2048];

	snprintf(bound.room, sizeof(bound.room), "%s", room);
	snprintf(bound.role, sizeof(bound.role), "%s", role);
	if (gw_auth_issue(s->auth, &bound, (int64_t)time(NULL), token, sizeof(token)) != TC_OK)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "room", room, "token", token, "user",
	    caller->user, "name", caller->name, "role", role);
}

/* ---- jobs on the worker pool ------------------------------------------------- */

enum job_op {
	JOB_ROOM_CREATE = 1,
	JOB_ROOM_GET,
	JOB_ROOM_JOIN,
	JOB_TIMELINE,
	JOB_SUMMARY,
	JOB_SUBMISSION,
};

struct job {
	struct gw_hub *hub; /* a reference */
	uint64_t conn;
	struct st_store *store;
	enum job_op op;
	char room[GW_ROOM_MAX + 1];
	char user[GW_USER_MAX + 1];
	char name[GW_NAME_MAX + 1];
	char role[16];
	char problem[GW_ROOM_MAX + 1];
	char title[129];
	int64_t time_ms, mem_mb;
	char id[GW_ROOM_MAX + 1];
	uint64_t from, limit;
	json_t *answer; /* prepared answer (room create / join), owned */
	struct gw_reply *reply;
	bool done;
};

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	json_decref(j->answer);
	gw__reply_free(j->reply);
	gw__hub_unref(j->hub);
	free(j);
}

#ifdef GW_HAVE_STORE

static struct gw_reply *
store_error(struct job *j, enum tc_err rv, const char *what)
{
	char detail[ST_ERRMSG_MAX];
	st_last_error(j->store, detail, sizeof(detail));
	tc_log(TC_LOG_ERROR, "gateway", "%s: %s (%s)", what, tc_strerror(rv), detail);
	return gw__reply_error(503, "STORE", "the database is unavailable; retry shortly");
}

static const char *
role_name(enum st_role r)
{
	return r == ST_ROLE_VIEWER ? ROOM_ROLE_OBSERVER : ROOM_ROLE_EDITOR;
}

static struct gw_reply *
do_room_create(struct job *j)
{
	enum tc_err rv;
	if (j->problem[0] != '\0') {
		struct st_problem p;
		memset(&p, 0, sizeof(p));
		snprintf(p.id, sizeof(p.id), "%s", j->problem);
		snprintf(p.title, sizeof(p.title), "%s", j->title);
		p.time_limit_ms = j->time_ms;
		p.mem_limit_mb = j->mem_mb;
		if ((rv = st_problem_put(j->store, &p)) != TC_OK)
			return store_error(j, rv, "problem put");
	}
	if ((rv = st_user_put(j->store, j->user, j->name)) != TC_OK)
		return store_error(j, rv, "user put");
	rv = st_room_create(j->store, j->room, j->problem[0] ? j->problem : NULL);
	if (rv == TC_EEXIST)
		return gw__reply_error(409, "ROOM_EXISTS", "that room id is taken; retry");
	if (rv != TC_OK)
		return store_error(j, rv, "room create");
	if ((rv = st_member_set(j->store, j->room, j->user, ST_ROLE_OWNER)) != TC_OK)
		return store_error(j, rv, "member set");
	json_t *a = j->answer;
	j->answer = NULL;
	return reply_json(201, a);
}

static struct gw_reply *
do_room_join(struct job *j)
{
	struct st_room room;
	enum tc_err rv = st_room_get(j->store, j->room, &room);
	if (rv == TC_ENOENT)
		return gw__reply_error(404, "NO_ROOM", "no such room");
	if (rv != TC_OK)
		return store_error(j, rv, "room get");
	if ((rv = st_user_put(j->store, j->user, j->name)) != TC_OK)
		return store_error(j, rv, "user put");
	enum st_role role =
	    strcmp(j->role, ROOM_ROLE_OBSERVER) == 0 ? ST_ROLE_VIEWER : ST_ROLE_EDITOR;
	/* Rejoining keeps an owner an owner. */
	struct st_member *ms = calloc(MEMBERS_MAX, sizeof(*ms));
	size_t n = 0;
	if (ms == NULL)
		return NULL;
	if (st_members_list(j->store, j->room, ms, MEMBERS_MAX, &n) == TC_OK)
		for (size_t i = 0; i < n; i++)
			if (strcmp(ms[i].user_id, j->user) == 0 && ms[i].role == ST_ROLE_OWNER)
				role = ST_ROLE_OWNER;
	free(ms);
	if ((rv = st_member_set(j->store, j->room, j->user, role)) != TC_OK)
		return store_error(j, rv, "member set");
	json_t *a = j->answer;
	j->answer = NULL;
	json_object_set_new(
	    a, "problem", room.problem_id[0] ? json_string(room.problem_id) : json_null());
	return reply_json(200, a);
}

static struct gw_reply *
do_room_get(struct job *j)
{
	struct st_room room;
	struct st_member *ms = NULL;
	size_t n = 0;
	enum tc_err rv = st_room_get(j->store, j->room, &room);
	if (rv == TC_ENOENT)
		return gw__reply_error(404, "NO_ROOM", "no such room");
	if (rv != TC_OK)
		return store_error(j, rv, "room get");
	if ((ms = calloc(MEMBERS_MAX, sizeof(*ms))) == NULL)
		return NULL;
	if ((rv = st_members_list(j->store, j->room, ms, MEMBERS_MAX, &n)) != TC_OK) {
		free(ms);
		return store_error(j, rv, "members list");
	}
	json_t *members = json_array();
	for (size_t i = 0; i < n; i++) {
		struct st_user u;
		const char *name = st_user_get(j->store, ms[i].user_id, &u) == TC_OK ? u.name : "";
		json_array_append_new(members,
		    json_pack("{s:s, s:s, s:s, s:b, s:I}", "user", ms[i].user_id, "name", name,
		        "role", role_name(ms[i].role), "owner", ms[i].role == ST_ROLE_OWNER,
		        "joined", (json_int_t)ms[i].joined_ms));
	}
	free(ms);
	return reply_json(200, json_pack("{s:s, s:o, s:I, s:o}", "room", room.id, "problem",
	                           room.problem_id[0] ? json_string(room.problem_id) : json_null(),
	                           "created", (json_int_t)room.created_ms, "members", members));
}

static const char *
event_type_name(uint16_t t)
{
	switch (t) {
	case ST_EV_YJS:
		return "yjs";
	case ST_EV_CHAT:
		return "chat";
	case ST_EV_PRESENCE:
		return "presence";
	case ST_EV_RUN:
		return "run";
	case ST_EV_VERDICT:
		return "verdict";
	case ST_EV_AWARENESS:
		return "awareness";
	default:
		return NULL;
	}
}

/* Standard base64 (with padding), which browsers decode with atob(). */
static char *
b64_std(const uint8_t *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((n + 2) / 3 * 4 + 1);
	size_t o = 0, i = 0;
	if (out == NULL)
		return NULL;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = t[v >> 6 & 63];
		out[o++] = t[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = t[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

/* msgpack (checked with tc_mp_check first) to JSON; bin becomes base64. */
static json_t *
mp_to_json(const msgpack_object *o, unsigned depth)
{
	if (depth > 16)
		return json_null();
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return json_integer(o->via.u64 > INT64_MAX ? INT64_MAX : (json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer(o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR: {
		json_t *j = json_stringn(o->via.str.ptr, o->via.str.size);
		if (j == NULL) { /* not UTF-8: keep the bytes, as base64 */
			char *b = b64_std((const uint8_t *)o->via.str.ptr, o->via.str.size);
			j = json_string(b != NULL ? b : "");
			free(b);
		}
		return j;
	}
	case MSGPACK_OBJECT_BIN: {
		char *b = b64_std((const uint8_t *)o->via.bin.ptr, o->via.bin.size);
		json_t *j = json_string(b != NULL ? b : "");
		free(b);
		return j;
	}
	case MSGPACK_OBJECT_ARRAY: {
		json_t *a = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++)
			json_array_append_new(a, mp_to_json(&o->via.array.ptr[i], depth + 1));
		return a;
	}
	case MSGPACK_OBJECT_MAP: {
		json_t *m = json_object();
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			if (k->type != MSGPACK_OBJECT_STR || k->via.str.size > 64)
				continue;
			char key[65];
			memcpy(key, k->via.str.ptr, k->via.str.size);
			key[k->via.str.size] = '\0';
			if (strlen(key) == k->via.str.size)
				json_object_set_new(
				    m, key, mp_to_json(&o->via.map.ptr[i].val, depth + 1));
		}
		return m;
	}
	default:
		return json_null();
	}
}

/* An event payload as JSON (a msgpack map per docs/protocol.md section
 * 4), or its bytes as base64 when it is not msgpack. */
static json_t *
payload_json(const uint8_t *p, size_t n)
{
	size_t used = 0;
	json_t *j = NULL;
	if (tc_mp_check(p, n, 16, &used) == TC_OK && used == n) {
		msgpack_unpacked u;
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, (const char *)p, n, NULL) == MSGPACK_UNPACK_SUCCESS)
			j = mp_to_json(&u.data, 0);
		msgpack_unpacked_destroy(&u);
	}
	if (j == NULL) {
		char *b = b64_std(p, n);
		j = json_string(b != NULL ? b : "");
		free(b);
	}
	return j;
}

static struct gw_reply *
do_timeline(struct job *j)
{
	struct st_room room;
	struct st_timeline *tl = NULL;
	enum tc_err rv = st_room_get(j->store, j->room, &room);
	if (rv == TC_ENOENT)
		return gw__reply_error(404, "NO_ROOM", "no such room");
	if (rv != TC_OK)
		return store_error(j, rv, "room get");
	rv = st_timeline_read(j->store, j->room, j->from, j->from + j->limit - 1, &tl);
	if (rv != TC_OK && rv != TC_ECORRUPT)
		return store_error(j, rv, "timeline read");
	json_t *events = json_array();
	for (size_t i = 0; i < tl->n; i++) {
		const struct st_event *e = &tl->ev[i];
		const char *tname = event_type_name(e->type);
		json_t *data = payload_json(e->payload, e->len);
		json_t *user = json_object_get(data, "user");
		json_t *ev = json_pack("{s:I, s:I, s:o, s:O, s:o}", "seq", (json_int_t)e->seq, "ts",
		    (json_int_t)e->ts_ms, "type",
		    tname != NULL ? json_string(tname) : json_integer(e->type), "user",
		    json_is_string(user) ? user : json_null(), "data", data);
		json_array_append_new(events, ev);
	}
	json_t *ans = json_pack("{s:s, s:o, s:o}", "room", j->room, "events", events, "next",
	    tl->n == j->limit ? json_integer((json_int_t)(tl->ev[tl->n - 1].seq + 1))
	                      : json_null());
	if (tl->nbad > 0)
		json_object_set_new(ans, "damaged", json_string(tl->msg));
	st_timeline_free(tl);
	return reply_json(200, ans);
}

#ifdef GW_HAVE_ACTORS
/*
 * attribute sets each person's "inserted", "deleted" and "in_document"
 * from the document's structure (yp_update_authorship): a resent update
 * counts once, a deletion goes to whoever deleted first, and in_document
 * is what of their typing is still in the text.  people maps user ids to
 * their objects.  Returns the document's text length, or -1 when the
 * history does not attribute (the recorded counts stay).
 */
static json_int_t
attribute(const struct st_timeline *tl, json_t *people)
{
	size_t n = 0;
	struct yp_span *in = calloc(tl->n + 1, sizeof(*in));
	uint32_t *author = calloc(tl->n + 1, sizeof(*author));
	size_t np = json_object_size(people);
	const char **users = calloc(np + 1, sizeof(*users));
	struct yp_author_stat *st = calloc(np + 1, sizeof(*st));
	uint64_t doc_len = 0;
	json_int_t rv = -1;

	if (in == NULL || author == NULL || users == NULL || st == NULL)
		goto out;
	size_t k = 0;
	const char *key;
	json_t *v;
	json_object_foreach(people, key, v) users[k++] = key;
	for (size_t i = 0; i < tl->n; i++) {
		const struct st_event *e = &tl->ev[i];
		char user[ST_ID_MAX + 1];
		const uint8_t *u;
		size_t ulen, a;
		if (e->type != ST_EV_YJS)
			continue;
		if (room_update_event_decode(e->payload, e->len, user, &u, &ulen) != TC_OK)
			goto out; /* not a recorded update: attribute nothing */
		for (a = 0; a < np && strcmp(users[a], user) != 0; a++)
			;
		in[n] = (struct yp_span){u, ulen};
		author[n++] = (uint32_t)a; /* a == np: nobody we list */
	}
	if (n == 0 || yp_update_authorship(in, author, n, st, np, &doc_len) != TC_OK)
		goto out;
	for (size_t a = 0; a < np; a++) {
		json_t *p = json_object_get(people, users[a]);
		json_object_set_new(p, "inserted", json_integer((json_int_t)st[a].typed));
		json_object_set_new(p, "deleted", json_integer((json_int_t)st[a].deleted));
		json_object_set_new(p, "in_document", json_integer((json_int_t)st[a].live));
	}
	rv = (json_int_t)doc_len;
out:
	free(in);
	free(author);
	free(users);
	free(st);
	return rv;
}
#endif

/*
 * Per person: characters inserted and deleted, how much of the document
 * they wrote, runs, chats; and a typing timeline of inserted characters
 * per minute.
 */
static struct gw_reply *
do_summary(struct job *j)
{
	struct st_room room;
	struct st_timeline *tl = NULL;
	enum tc_err rv = st_room_get(j->store, j->room, &room);
	if (rv == TC_ENOENT)
		return gw__reply_error(404, "NO_ROOM", "no such room");
	if (rv != TC_OK)
		return store_error(j, rv, "room get");
	rv = st_timeline_read(j->store, j->room, 1, UINT64_MAX, &tl);
	if (rv == TC_ETOOBIG)
		return gw__reply_error(
		    413, "TOO_LARGE", "this room's history is too long to sum up");
	if (rv != TC_OK && rv != TC_ECORRUPT)
		return store_error(j, rv, "timeline read");
	json_t *people = json_object(), *typing = json_object();
	json_int_t total = 0;
	for (size_t i = 0; i < tl->n; i++) {
		const struct st_event *e = &tl->ev[i];
		json_t *data = payload_json(e->payload, e->len);
		const char *user = json_string_value(json_object_get(data, "user"));
		if (user == NULL) {
			json_decref(data);
			continue;
		}
		json_t *p = json_object_get(people, user);
		if (p == NULL) {
			p = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "user", user, "name",
			    user, "inserted", (json_int_t)0, "deleted", (json_int_t)0,
			    "in_document", (json_int_t)0, "runs", (json_int_t)0, "chats",
			    (json_int_t)0);
			json_object_set_new(people, user, p);
		}
		const char *name = json_string_value(json_object_get(data, "name"));
		if (name != NULL)
			json_object_set_new(p, "name", json_string(name));
		const char *field = NULL;
		json_int_t add = 1;
		if (e->type == ST_EV_YJS) {
			json_int_t ins = json_integer_value(json_object_get(data, "inserted"));
			json_int_t del = json_integer_value(json_object_get(data, "deleted"));
			json_object_set_new(p, "deleted",
			    json_integer(json_integer_value(json_object_get(p, "deleted")) + del));
			field = "inserted";
			add = ins;
			total += ins;
			if (ins > 0) {
				char k[96];
				snprintf(k, sizeof(k), "%lld\t%s",
				    (long long)(e->ts_ms / 60000 * 60000), user);
				json_t *t = json_object_get(typing, k);
				json_object_set_new(typing, k,
				    json_integer((t != NULL ? json_integer_value(t) : 0) + ins));
			}
		} else if (e->type == ST_EV_CHAT) {
			field = "chats";
		} else if (e->type == ST_EV_RUN) {
			field = "runs";
		}
		if (field != NULL)
			json_object_set_new(p, field,
			    json_integer(json_integer_value(json_object_get(p, field)) + add));
		json_decref(data);
	}
	/* Shares of the document as it stands; without the codec (or when the
	 * history does not attribute), shares of what was typed. */
	const char *share_of = "in_document";
	json_int_t doc_len = -1;
#ifdef GW_HAVE_ACTORS
	doc_len = attribute(tl, people);
#endif
	if (doc_len < 0) {
		share_of = "inserted";
		doc_len = total;
	}
	st_timeline_free(tl);
	json_t *plist = json_array(), *tlist = json_array();
	const char *key;
	json_t *v;
	json_object_foreach(people, key, v)
	{
		json_int_t part = json_integer_value(json_object_get(v, share_of));
		json_object_set_new(
		    v, "share", json_real(doc_len > 0 ? (double)part / (double)doc_len : 0));
		json_array_append(plist, v);
	}
	json_object_foreach(typing, key, v)
	{
		const char *tab = strchr(key, '\t');
		json_array_append_new(tlist,
		    json_pack("{s:I, s:s, s:O}", "minute", (json_int_t)strtoll(key, NULL, 10),
		        "user", tab != NULL ? tab + 1 : "", "inserted", v));
	}
	json_decref(people);
	json_decref(typing);
	return reply_json(200, json_pack("{s:s, s:o, s:o, s:I}", "room", j->room, "people", plist,
	                           "typing", tlist, "document_length", doc_len));
}

static struct gw_reply *
do_submission(struct job *j)
{
	struct st_submission *sub = calloc(1, sizeof(*sub));
	if (sub == NULL)
		return NULL;
	enum tc_err rv = st_submission_get(j->store, j->id, sub);
	if (rv != TC_OK) {
		free(sub);
		if (rv == TC_ENOENT)
			return gw__reply_error(404, "NO_SUBMISSION", "no such submission");
		return store_error(j, rv, "submission get");
	}
	static const char *const status[] = {"", "queued", "running", "done"};
	json_t *result = json_null();
	json_t *finished = json_null();
	if (sub->has_verdict) {
		result = json_pack("{s:s, s:I, s:I, s:I}", "status", sub->verdict.status, "passed",
		    (json_int_t)sub->verdict.passed, "total", (json_int_t)sub->verdict.total,
		    "time_ms", (json_int_t)sub->verdict.time_ms);
		finished = json_integer((json_int_t)sub->verdict.finished_ms);
	}
	json_t *ans = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:o, s:o}", "id", sub->id,
	    "room", sub->room_id, "user", sub->user_id, "problem", sub->problem_id, "attempt",
	    (json_int_t)sub->attempt, "lang", sub->lang, "status",
	    (unsigned)sub->status < 4 ? status[sub->status] : "unknown", "created",
	    (json_int_t)sub->created_ms, "finished", finished, "result", result);
	free(sub);
	return reply_json(200, ans);
}

static enum tc_err
job_run(void *arg)
{
	struct job *j = arg;
	switch (j->op) {
	case JOB_ROOM_CREATE:
		j->reply = do_room_create(j);
		break;
	case JOB_ROOM_JOIN:
		j->reply = do_room_join(j);
		break;
	case JOB_ROOM_GET:
		j->reply = do_room_get(j);
		break;
	case JOB_TIMELINE:
		j->reply = do_timeline(j);
		break;
	case JOB_SUMMARY:
		j->reply = do_summary(j);
		break;
	case JOB_SUBMISSION:
		j->reply = do_submission(j);
		break;
	}
	return j->reply != NULL ? TC_OK : TC_ENOMEM;
}

#else /* no store library in this build */

static enum tc_err
job_run(void *arg)
{
	struct job *j = arg;
	j->reply = gw__reply_error(503, "NO_STORE", "this server runs without a database");
	return TC_OK;
}

#endif

/* The api actor: runs one job on the pool, hands over its reply, stops. */
static enum tc_err
api_init(struct tc_ctx *ctx, void *arg, void **state)
{
	struct job *j = arg;
	*state = j;
	enum tc_err rv = tc_work(ctx, job_run, j, 0);
	if (rv != TC_OK) {
		(void)gw__hub_reply(
		    j->hub, j->conn, gw__reply_error(503, "BUSY", "server busy, retry"));
		j->done = true;
		tc_stop_self(ctx);
	}
	return TC_OK;
}

static enum tc_err
api_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct job *j = state;
	if (msg->type != TC_MSG_WORK_DONE)
		return TC_OK;
	struct gw_reply *r = j->reply;
	j->reply = NULL;
	if (r == NULL)
		r = gw__reply_error(500, "INTERNAL", "out of memory");
	(void)gw__hub_reply(j->hub, j->conn, r);
	j->done = true;
	tc_stop_self(ctx);
	return TC_OK;
}

static void
api_fini(void *state, enum tc_err reason)
{
	struct job *j = state;
	/* The pool borrows the job until WORK_DONE: never free it before. */
	if (j->done)
		job_free(j);
}

static const struct tc_behaviour api_behaviour = {
    .kind = "api",
    .init = api_init,
    .handle = api_handle,
    .fini = api_fini,
};

/* Starts job j (taken): *out stays NULL, or gets an error reply. */
static void
defer(struct gw_server *s, const struct gw_request *rq, struct job *j, struct gw_reply **out)
{
	if (s->store == NULL) {
		job_free(j);
		*out = gw__reply_error(503, "NO_STORE", "this server runs without a database");
		return;
	}
	gw__hub_ref(s->hub);
	j->hub = s->hub;
	j->conn = rq->conn;
	j->store = s->store;
	if (tc_spawn(s->node, &api_behaviour, j, NULL) != TC_OK) {
		job_free(j);
		*out = gw__reply_error(503, "BUSY", "server busy, retry");
	}
}

static struct job *
job_new(enum job_op op)
{
	struct job *j = calloc(1, sizeof(*j));
	if (j != NULL)
		j->op = op;
	return j;
}

/* ---- handlers -------------------------------------------------------------------- */

static void
h_guest(struct gw_server *s, const struct gw_request *rq, struct gw_reply **out)
{
	json_t *body = body_object(rq);
	struct gw_identity id;
	char token[2048];

	if (!gw_auth_guest_enabled(s->auth)) {
		*out = gw__reply_error(403, "GUEST_DISABLED", "guest sign-in is disabled here");
	} else if (body == NULL) {
		*out = gw__reply_error(400, "BAD_JSON", "send a JSON object: {\"name\": ...}");
	} else if (caller_identity(s, &(struct gw_request){.body = rq->body, .blen = rq->blen},
	               body, &id, out)) {
		if (gw_auth_issue(s->auth, &id, (int64_t)time(NULL), token, sizeof(token)) != TC_OK)
			*out = gw__reply_error(500, "INTERNAL", "cannot sign a token");
		else
			*out = reply_json(200, json_pack("{s:s, s:s, s:s}", "token", token, "user",
			                           id.user, "name", id.name));
	}
	json_decref(body);
}

static void
h_room_create(struct gw_server *s, const struct gw_request *rq, struct gw_reply **out)
{
	json_t *body = body_object(rq);
	struct gw_identity id;
	struct job *j = NULL;
	char room[GW_ROOM_MAX + 1], invite[GW_INVITE_LEN + 1];

	if (body == NULL) {
		*out = gw__reply_error(400, "BAD_JSON", "send a JSON object: {problem, name}");
		return;
	}
	if (!caller_identity(s, rq, body, &id, out))
		goto done;
	const char *problem = member_str(body, "problem", NULL);
	if ((j = job_new(JOB_ROOM_CREATE)) == NULL) {
		*out = gw__reply_error(500, "INTERNAL", "out of memory");
		goto done;
	}
	if (problem != NULL && problem[0] != '\0') {
		if (!gw__problem_info(s->problems, problem, j->title, sizeof(j->title), &j->time_ms,
		        &j->mem_mb)) {
			*out = gw__reply_error(400, "UNKNOWN_PROBLEM", "no such problem");
			goto done;
		}
		snprintf(j->problem, sizeof(j->problem), "%s", problem);
	}
	random_id("", 12, room);
	if (gw_auth_invite(s->auth, room, invite) != TC_OK ||
	    (j->answer = room_answer(s, &id, room, ROOM_ROLE_EDITOR)) == NULL) {
		*out = gw__reply_error(500, "INTERNAL", "cannot sign a token");
		goto done;
	}
	json_object_set_new(j->answer, "invite", json_string(invite));
	json_object_set_new(
	    j->answer, "problem", j->problem[0] ? json_string(j->problem) : json_null());
	snprintf(j->room, sizeof(j->room), "%s", room);
	snprintf(j->user, sizeof(j->user), "%s", id.user);
	snprintf(j->name, sizeof(j->name), "%s", id.name);
	if (s->store == NULL) {
		/* No database: the room lives only while its actor does. */
		*out = reply_json(201, j->answer);
		j->answer = NULL;
		goto done;
	}
	defer(s, rq, j, out);
	j = NULL;
done:
	job_free(j);
	json_decref(body);
}

static void
h_room_join(
    struct gw_server *s, const struct gw_request *rq, const char *room, struct gw_reply **out)
{
	json_t *body = body_object(rq);
	struct gw_identity id;
	struct job *j = NULL;

	if (body == NULL) {
		*out =
		    gw__reply_error(400, "BAD_JSON", "send a JSON object: {invite, name, role?}");
		return;
	}
	const char *invite = member_str(body, "invite", NULL);
	const char *role = member_str(body, "role", NULL);
	if (role == NULL)
		role = ROOM_ROLE_EDITOR;
	if (strcmp(role, ROOM_ROLE_EDITOR) != 0 && strcmp(role, ROOM_ROLE_OBSERVER) != 0) {
		*out = gw__reply_error(400, "BAD_ROLE", "role is \"editor\" or \"observer\"");
		goto done;
	}
	if (!gw_auth_invite_ok(s->auth, room, invite)) {
		*out = gw__reply_error(403, "BAD_INVITE", "that invite is not for this room");
		goto done;
	}
	if (!caller_identity(s, rq, body, &id, out))
		goto done;
	if ((j = job_new(JOB_ROOM_JOIN)) == NULL ||
	    (j->answer = room_answer(s, &id, room, role)) == NULL) {
		*out = gw__reply_error(500, "INTERNAL", "cannot sign a token");
		goto done;
	}
	snprintf(j->room, sizeof(j->room), "%s", room);
	snprintf(j->user, sizeof(j->user), "%s", id.user);
	snprintf(j->name, sizeof(j->name), "%s", id.name);
	snprintf(j->role, sizeof(j->role), "%s", role);
	if (s->store == NULL) {
		*out = reply_json(200, j->answer);
		j->answer = NULL;
		goto done;
	}
	defer(s, rq, j, out);
	j = NULL;
done:
	job_free(j);
	json_decref(body);
}

void
gw__api_handle(struct gw_server *s, const struct gw_request *rq, struct gw_reply **out)
{
	const char *p = rq->path;
	char room[GW_ROOM_MAX + 1];
	const char *rest = NULL;
	struct job *j;

	*out = NULL;
	if (strcmp(p, "/api/auth/guest") == 0) {
		if (rq->method != GW_POST)
			goto method;
		h_guest(s, rq, out);
		return;
	}
	if (strcmp(p, "/api/problems") == 0) {
		if (rq->method != GW_GET)
			goto method;
		const char *list = gw__problems_list_json(s->problems);
		*out = gw__reply_new(200, JSON_CT, list, strlen(list));
		return;
	}
	if (strncmp(p, "/api/problems/", 14) == 0) {
		if (rq->method != GW_GET)
			goto method;
		const char *pj =
		    gw_id_valid(p + 14, GW_ROOM_MAX) ? gw__problem_json(s->problems, p + 14) : NULL;
		*out = pj != NULL ? gw__reply_new(200, JSON_CT, pj, strlen(pj))
		                  : gw__reply_error(404, "NO_PROBLEM", "no such problem");
		return;
	}
	if (strcmp(p, "/api/rooms") == 0) {
		if (rq->method != GW_POST)
			goto method;
		h_room_create(s, rq, out);
		return;
	}
	if (path_room(p, "/api/rooms/", room, &rest)) {
		if (strcmp(rest, "/join") == 0) {
			if (rq->method != GW_POST)
				goto method;
			h_room_join(s, rq, room, out);
			return;
		}
		if (rq->method != GW_GET)
			goto method;
		if (strcmp(rest, "") == 0) {
			if ((j = job_new(JOB_ROOM_GET)) == NULL)
				goto nomem;
		} else if (strcmp(rest, "/timeline") == 0) {
			uint64_t from, limit;
			if (!query_u64(rq, "from", 1, UINT32_MAX, &from) ||
			    !query_u64(rq, "limit", TIMELINE_DEFAULT, TIMELINE_MAX, &limit) ||
			    from == 0 || limit == 0) {
				*out = gw__reply_error(
				    400, "BAD_QUERY", "from and limit are positive integers");
				return;
			}
			if ((j = job_new(JOB_TIMELINE)) == NULL)
				goto nomem;
			j->from = from;
			j->limit = limit;
		} else if (strcmp(rest, "/summary") == 0) {
			if ((j = job_new(JOB_SUMMARY)) == NULL)
				goto nomem;
		} else {
			goto notfound;
		}
		snprintf(j->room, sizeof(j->room), "%s", room);
		defer(s, rq, j, out);
		return;
	}
	if (strncmp(p, "/api/submissions/", 17) == 0) {
		if (rq->method != GW_GET)
			goto method;
		if (!gw_id_valid(p + 17, GW_ROOM_MAX))
			goto notfound;
		if ((j = job_new(JOB_SUBMISSION)) == NULL)
			goto nomem;
		snprintf(j->id, sizeof(j->id), "%s", p + 17);
		defer(s, rq, j, out);
		return;
	}
notfound:
	*out = gw__reply_error(404, "NOT_FOUND", "no such API endpoint");
	return;
method:
	*out = gw__reply_error(405, "METHOD", "method not allowed here");
	return;
nomem:
	*out = gw__reply_error(500, "INTERNAL", "out of memory");
}
