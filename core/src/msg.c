/*
 * Design notes: messages are one allocation each (struct + inline body).
 * The wire envelope is written with msgpack-c's packer.  Decoding outside
 * bytes first walks them with tc_mp_check(), which allocates nothing and
 * proves every declared count and length fits in the bytes received; only
 * then does msgpack-c unpack them (it allocates per declared count, so it
 * must never see an unchecked header).
 */
#include <msgpack.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core_priv.h"

/*
 * Small messages are recycled through per-thread magazines: a thread frees
 * into its own list and allocates from it; a list that grows past MAG_MAX
 * hands MAG_SIZE blocks to a global depot in one locked step, and a thread
 * whose list is empty takes a whole magazine from the depot.  Messages
 * mostly flow one way (a producer allocates, a consumer frees), so blocks
 * travel back in batches instead of through the allocator's shared arena
 * one at a time.  A thread's list goes to the depot when the thread exits.
 */
#define MAG_SIZE 64
#define MAG_MAX (2 * MAG_SIZE)
#define DEPOT_MAX 16 /* magazines kept (256 KiB); more are freed */
#define SMALL_BLOCK (sizeof(struct tc_msg) + TC_MSG_SMALL_CAP)

struct magazine {
	struct tc_msg *head;
	unsigned n;
};

static pthread_mutex_t depot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tc_msg *depot[DEPOT_MAX]; /* chains of MAG_SIZE blocks */
static unsigned depot_n;
static pthread_once_t mag_once = PTHREAD_ONCE_INIT;
static pthread_key_t mag_key;
static _Thread_local struct magazine mag;
static _Thread_local bool mag_registered;

static struct tc_msg *
chain_next(struct tc_msg *m)
{
	return atomic_load_explicit(&m->next, memory_order_relaxed);
}

static void
chain_free(struct tc_msg *m)
{
	while (m != NULL) {
		struct tc_msg *next = chain_next(m);
		free(m);
		m = next;
	}
}

/* Gives up to n blocks of the thread's list to the depot (or frees them). */
static void
mag_spill(unsigned n)
{
	struct tc_msg *head = mag.head, *last = head;
	for (unsigned i = 1; i < n && last != NULL; i++)
		last = chain_next(last);
	if (last == NULL)
		return;
	mag.head = chain_next(last);
	mag.n -= n;
	atomic_store_explicit(&last->next, NULL, memory_order_relaxed);
	pthread_mutex_lock(&depot_lock);
	if (depot_n < DEPOT_MAX) {
		depot[depot_n++] = head;
		head = NULL;
	}
	pthread_mutex_unlock(&depot_lock);
	chain_free(head);
}

static void
mag_thread_exit(void *arg)
{
	(void)arg;
	while (mag.n >= MAG_SIZE)
		mag_spill(MAG_SIZE);
	chain_free(mag.head);
	mag.head = NULL;
	mag.n = 0;
}

static void
mag_key_init(void)
{
	(void)pthread_key_create(&mag_key, mag_thread_exit);
}

/* On a thread's first use: hand its list back when it exits. */
static void
mag_register(void)
{
	if (!mag_registered) {
		pthread_once(&mag_once, mag_key_init);
		(void)pthread_setspecific(mag_key, &mag);
		mag_registered = true;
	}
}

static struct tc_msg *
small_alloc(void)
{
	struct tc_msg *m = mag.head;
	if (m == NULL) {
		mag_register();
		pthread_mutex_lock(&depot_lock);
		if (depot_n > 0) {
			mag.head = depot[--depot_n];
			mag.n = MAG_SIZE;
		}
		pthread_mutex_unlock(&depot_lock);
		m = mag.head;
		if (m == NULL)
			return malloc(SMALL_BLOCK);
	}
	mag.head = chain_next(m);
	mag.n--;
	return m;
}

static void
small_free(struct tc_msg *m)
{
	mag_register();
	atomic_store_explicit(&m->next, mag.head, memory_order_relaxed);
	mag.head = m;
	if (++mag.n >= MAG_MAX)
		mag_spill(MAG_SIZE);
}

enum tc_err
tc_msg_new(uint32_t type, const void *body, size_t len, struct tc_msg **out)
{
	struct tc_msg *m;

	if (len > UINT32_MAX)
		return TC_ETOOBIG;
	if (len > 0 && body == NULL)
		return TC_EINVAL;
	if (len <= TC_MSG_SMALL_CAP) {
		m = small_alloc();
		if (m != NULL)
			m->cap = TC_MSG_SMALL_CAP;
	} else {
		m = malloc(sizeof(*m) + len);
		if (m != NULL)
			m->cap = (uint32_t)len;
	}
	if (m == NULL)
		return TC_ENOMEM;
	atomic_init(&m->next, NULL);
	m->to = TC_ADDR_NONE;
	m->from = TC_ADDR_NONE;
	m->type = type;
	m->flags = 0;
	m->corr = 0;
	m->len = (uint32_t)len;
	if (len > 0)
		memcpy(m->body, body, len);
	*out = m;
	return TC_OK;
}

void
tc_msg_free(struct tc_msg *msg)
{
	if (msg == NULL)
		return;
	if (msg->cap == TC_MSG_SMALL_CAP)
		small_free(msg);
	else
		free(msg);
}

/* ---- encoding ---------------------------------------------------------- */

struct growbuf {
	uint8_t **buf;
	size_t *len;
	size_t *cap;
	int failed;
};

static int
growbuf_write(void *data, const char *p, size_t n)
{
	struct growbuf *g = data;
	if (g->failed)
		return -1;
	if (*g->len + n > *g->cap) {
		size_t ncap = *g->cap ? *g->cap : 256;
		while (ncap < *g->len + n)
			ncap *= 2;
		uint8_t *nb = realloc(*g->buf, ncap);
		if (nb == NULL) {
			g->failed = 1;
			return -1;
		}
		*g->buf = nb;
		*g->cap = ncap;
	}
	memcpy(*g->buf + *g->len, p, n);
	*g->len += n;
	return 0;
}

static void
pack_envelope(msgpack_packer *pk, const struct tc_msg *msg, const char *to_name)
{
	msgpack_pack_array(pk, 10);
	msgpack_pack_uint8(pk, TC_ENVELOPE_VERSION);
	msgpack_pack_uint16(pk, msg->to.node);
	msgpack_pack_uint64(pk, msg->to.id);
	if (to_name != NULL && to_name[0] != '\0') {
		size_t n = strlen(to_name);
		msgpack_pack_str(pk, n);
		msgpack_pack_str_body(pk, to_name, n);
	} else {
		msgpack_pack_nil(pk);
	}
	msgpack_pack_uint16(pk, msg->from.node);
	msgpack_pack_uint64(pk, msg->from.id);
	msgpack_pack_uint32(pk, msg->type);
	msgpack_pack_uint32(pk, msg->flags);
	msgpack_pack_uint64(pk, msg->corr);
	msgpack_pack_bin(pk, msg->len);
	msgpack_pack_bin_body(pk, msg->body, msg->len);
}

enum tc_err
tc_envelope_encode(
    const struct tc_msg *msg, const char *to_name, uint8_t **buf, size_t *len, size_t *cap)
{
	struct growbuf g = {buf, len, cap, 0};
	msgpack_packer pk;
	size_t start = *len;

	msgpack_packer_init(&pk, &g, growbuf_write);
	pack_envelope(&pk, msg, to_name);
	if (g.failed) {
		*len = start;
		return TC_ENOMEM;
	}
	return TC_OK;
}

struct fixbuf {
	uint8_t *p;
	size_t len, cap;
	int overflow;
};

static int
fixbuf_write(void *data, const char *p, size_t n)
{
	struct fixbuf *f = data;
	if (f->overflow || n > f->cap - f->len) {
		f->overflow = 1;
		return -1;
	}
	memcpy(f->p + f->len, p, n);
	f->len += n;
	return 0;
}

enum tc_err
tc__envelope_encode_msg(const struct tc_msg *msg, const char *to_name, struct tc_msg **out)
{
	size_t nlen = to_name != NULL ? strlen(to_name) : 0;
	size_t cap = (size_t)msg->len + nlen + TC_ENVELOPE_OVERHEAD;
	struct tc_msg *e = malloc(sizeof(*e) + cap);
	msgpack_packer pk;

	if (e == NULL)
		return TC_ENOMEM;
	struct fixbuf f = {e->body, 0, cap, 0};
	msgpack_packer_init(&pk, &f, fixbuf_write);
	pack_envelope(&pk, msg, to_name);
	if (f.overflow) {
		free(e);
		return TC_EINTERNAL;
	}
	atomic_init(&e->next, NULL);
	e->to = msg->to;
	e->from = msg->from;
	e->type = msg->type;
	e->flags = msg->flags;
	e->corr = msg->corr;
	e->len = (uint32_t)f.len;
	e->cap = (uint32_t)cap;
	*out = e;
	return TC_OK;
}

/* ---- validation -------------------------------------------------------- */

static uint64_t
be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * mp_walk checks one object; *pos advances past it.  Containers are walked
 * iteratively per level with recursion bounded by max_depth.
 */
static enum tc_err
mp_walk(const uint8_t *buf, size_t len, size_t *pos, unsigned depth)
{
	size_t p = *pos;
	uint64_t count = 0, skip = 0;
	int is_map = 0, container = 0;

	if (p >= len)
		return TC_EPROTO;
	uint8_t b = buf[p++];
	size_t left = len - p;

	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
		/* fixint, nil, bool */
	} else if ((b & 0xf0) == 0x80) {
		count = b & 0x0f, is_map = 1, container = 1;
	} else if ((b & 0xf0) == 0x90) {
		count = b & 0x0f, container = 1;
	} else if ((b & 0xe0) == 0xa0) {
		skip = b & 0x1f;
	} else {
		static const int hdr[] = {/* c4 bin8 */ 1, 2, 4,
		    /* c7 ext8 */ 1, 2, 4,
		    /* ca float32 */ 4, 8,
		    /* cc uint8 */ 1, 2, 4, 8,
		    /* d0 int8 */ 1, 2, 4, 8,
		    /* d4 fixext */ 2, 3, 5, 9, 17,
		    /* d9 str8 */ 1, 2, 4,
		    /* dc array16 */ 2, 4,
		    /* de map16 */ 2, 4};
		if (b == 0xc1)
			return TC_EPROTO;
		int n = hdr[b - 0xc4];
		if (left < (size_t)n)
			return TC_EPROTO;
		if ((b >= 0xc4 && b <= 0xc6) || (b >= 0xd9 && b <= 0xdb)) {
			skip = be(buf + p, n);
			p += (size_t)n;
		} else if (b >= 0xc7 && b <= 0xc9) {
			skip = be(buf + p, n) + 1; /* + the type byte */
			p += (size_t)n;
		} else if (b >= 0xdc && b <= 0xdf) {
			count = be(buf + p, n);
			p += (size_t)n;
			container = 1;
			is_map = b >= 0xde;
		} else {
			p += (size_t)n; /* fixed-size scalar or fixext */
		}
	}
	if (skip > len - p)
		return TC_EPROTO;
	p += skip;
	if (container) {
		if (depth == 0)
			return TC_EPROTO;
		uint64_t items = is_map ? count * 2 : count;
		/* Every item takes at least one byte. */
		if (count > len - p || items > len - p)
			return TC_EPROTO;
		for (uint64_t i = 0; i < items; i++) {
			enum tc_err rv = mp_walk(buf, len, &p, depth - 1);
			if (rv != TC_OK)
				return rv;
		}
	}
	*pos = p;
	return TC_OK;
}

enum tc_err
tc_mp_check(const uint8_t *buf, size_t len, unsigned max_depth, size_t *consumed)
{
	size_t pos = 0;
	enum tc_err rv;

	if (buf == NULL && len > 0)
		return TC_EINVAL;
	rv = mp_walk(buf, len, &pos, max_depth);
	if (rv == TC_OK && consumed != NULL)
		*consumed = pos;
	return rv;
}

/* ---- decoding ---------------------------------------------------------- */

static int
obj_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return -1;
	*out = o->via.u64;
	return 0;
}

enum tc_err
tc_envelope_decode(const uint8_t *buf, size_t len, size_t max_body, struct tc_msg **out,
    size_t *consumed, char name[TC_NAME_MAX])
{
	size_t used = 0, off = 0;
	msgpack_unpacked up;
	enum tc_err rv;
	uint64_t v[9];

	rv = tc_mp_check(buf, len, 2, &used);
	if (rv != TC_OK)
		return rv;
	/* Cheap size guard before unpacking: an envelope is its body plus < 128 bytes. */
	if (used > max_body + TC_ENVELOPE_OVERHEAD + TC_NAME_MAX)
		return TC_ETOOBIG;

	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)buf, used, &off) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(&up);
		return TC_EPROTO;
	}
	const msgpack_object *o = &up.data;
	rv = TC_EPROTO;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 10)
		goto done;
	const msgpack_object *f = o->via.array.ptr;
	if (obj_uint(&f[0], 255, &v[0]) != 0 || v[0] != TC_ENVELOPE_VERSION)
		goto done;
	if (obj_uint(&f[1], UINT16_MAX, &v[1]) != 0 || obj_uint(&f[2], UINT64_MAX, &v[2]) != 0 ||
	    obj_uint(&f[4], UINT16_MAX, &v[4]) != 0 || obj_uint(&f[5], UINT64_MAX, &v[5]) != 0 ||
	    obj_uint(&f[6], UINT32_MAX, &v[6]) != 0 || obj_uint(&f[7], UINT32_MAX, &v[7]) != 0 ||
	    obj_uint(&f[8], UINT64_MAX, &v[8]) != 0)
		goto done;
	name[0] = '\0';
	if (f[3].type == MSGPACK_OBJECT_STR) {
		if (f[3].via.str.size == 0 || f[3].via.str.size >= TC_NAME_MAX ||
		    memchr(f[3].via.str.ptr, '\0', f[3].via.str.size) != NULL)
			goto done;
		memcpy(name, f[3].via.str.ptr, f[3].via.str.size);
		name[f[3].via.str.size] = '\0';
	} else if (f[3].type != MSGPACK_OBJECT_NIL) {
		goto done;
	}
	if (f[9].type != MSGPACK_OBJECT_BIN)
		goto done;
	if (f[9].via.bin.size > max_body) {
		rv = TC_ETOOBIG;
		goto done;
	}
	struct tc_msg *m;
	rv = tc_msg_new((uint32_t)v[6], f[9].via.bin.ptr, f[9].via.bin.size, &m);
	if (rv != TC_OK)
		goto done;
	m->to.node = (uint16_t)v[1];
	m->to.id = v[2];
	m->from.node = (uint16_t)v[4];
	m->from.id = v[5];
	m->flags = (uint32_t)v[7];
	m->corr = v[8];
	*out = m;
	*consumed = used;
done:
	msgpack_unpacked_destroy(&up);
	return rv;
}

/* ---- system bodies ----------------------------------------------------- */

static enum tc_err
decode_uints(const struct tc_msg *msg, uint64_t *vals, size_t n)
{
	msgpack_unpacked up;
	size_t off = 0;
	enum tc_err rv = TC_EPROTO;

	if (tc_mp_check(msg->body, msg->len, 1, NULL) != TC_OK)
		return TC_EPROTO;
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)msg->body, msg->len, &off) ==
	        MSGPACK_UNPACK_SUCCESS &&
	    up.data.type == MSGPACK_OBJECT_ARRAY && up.data.via.array.size == n) {
		rv = TC_OK;
		for (size_t i = 0; i < n; i++) {
			if (obj_uint(&up.data.via.array.ptr[i], UINT64_MAX, &vals[i]) != 0)
				rv = TC_EPROTO;
		}
	}
	msgpack_unpacked_destroy(&up);
	return rv;
}

enum tc_err
tc_down_decode(const struct tc_msg *msg, struct tc_down *out)
{
	uint64_t v[3];
	if (msg->type != TC_MSG_DOWN || decode_uints(msg, v, 3) != TC_OK || v[0] > UINT16_MAX)
		return TC_EPROTO;
	out->who.node = (uint16_t)v[0];
	out->who.id = v[1];
	out->reason = (enum tc_err)v[2];
	return TC_OK;
}

enum tc_err
tc_work_done_decode(const struct tc_msg *msg, struct tc_work_done *out)
{
	uint64_t v[2];
	if (msg->type != TC_MSG_WORK_DONE || decode_uints(msg, v, 2) != TC_OK)
		return TC_EPROTO;
	out->tag = v[0];
	out->rc = (enum tc_err)v[1];
	return TC_OK;
}

/* ---- MPSC queue -------------------------------------------------------- */

enum tc_err
tc__mpsc_init(struct tc__mpsc *q)
{
	struct tc_msg *stub;
	enum tc_err rv = tc_msg_new(0, NULL, 0, &stub);
	if (rv != TC_OK)
		return rv;
	atomic_store(&q->head, stub);
	q->tail = stub;
	q->stub = stub;
	return TC_OK;
}

void
tc__mpsc_fini(struct tc__mpsc *q)
{
	tc_msg_free(q->stub);
	q->stub = NULL;
}

void
tc__mpsc_push(struct tc__mpsc *q, struct tc_msg *m)
{
	atomic_store_explicit(&m->next, NULL, memory_order_relaxed);
	struct tc_msg *prev = atomic_exchange_explicit(&q->head, m, memory_order_acq_rel);
	atomic_store_explicit(&prev->next, m, memory_order_release);
}

static struct tc_msg *
next_of(struct tc_msg *m)
{
	return atomic_load_explicit(&m->next, memory_order_acquire);
}

struct tc_msg *
tc__mpsc_pop(struct tc__mpsc *q)
{
	struct tc_msg *tail = q->tail;
	struct tc_msg *next = next_of(tail);

	if (tail == q->stub) {
		if (next == NULL)
			return NULL;
		q->tail = next;
		tail = next;
		next = next_of(next);
	}
	if (next != NULL) {
		q->tail = next;
		return tail;
	}
	if (tail != atomic_load(&q->head))
		return NULL; /* a push is half done; its pusher will reschedule */
	tc__mpsc_push(q, q->stub);
	next = next_of(tail);
	if (next != NULL) {
		q->tail = next;
		return tail;
	}
	return NULL;
}

bool
tc__mpsc_idle(struct tc__mpsc *q)
{
	return q->tail == q->stub && atomic_load(&q->head) == q->stub;
}

uint64_t
tc_hash_str(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}
