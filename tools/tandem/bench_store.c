/*
 * tandem bench store - the store's figures, for SQLite and PostgreSQL in
 * one run:
 *   1. events/s recorded durably in batches of --batch events across
 *      rooms, beside the baseline of one event per commit;
 *   2. event -> durable ack latency (p50/p99) for events arriving at
 *      --rate events/s, flushed as the recorder does (at 1,000 events or
 *      50 ms, whichever first);
 *   3. the time to load a one-hour two-person session (10,000 edits, 500
 *      chat messages, 50 runs with their verdicts) written as the recorder
 *      writes it, and that timeline's compression ratio;
 *   4. a zstd dictionary experiment on the same session's Yjs updates.
 * Payloads are synthetic Yjs v1 updates (keystrokes, pastes, deletes) and
 * JSON chat/run bodies.  PostgreSQL comes from --pg or TANDEM_PG_URL.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zdict.h>
#include <zstd.h>

#include "core/log.h"
#include "store/store.h"
#include "tandem.h"

#define NROOMS 8
#define FLUSH_EVENTS 1000
#define FLUSH_MS 50
#define COMPACT_ROWS 256

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint8_t *
put_var(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* A synthetic Yjs v1 update from client (insert, paste or delete). */
static uint32_t
yjs_update(uint8_t *buf, uint64_t client, uint64_t *clock)
{
	static const char code[] = "for (int i = 0; i < n; i++) { sum += a[i]; }\n"
	                           "def solve(xs):\n    return sorted(set(xs))\n";
	uint8_t *p = buf;
	uint64_t r = rng() % 100;
	if (r < 8) { /* delete a few characters: empty structs, one delete set */
		*p++ = 0;
		*p++ = 1;
		p = put_var(p, client);
		*p++ = 1;
		p = put_var(p, *clock > 5 ? *clock - 5 : 0);
		p = put_var(p, 1 + rng() % 4);
		return (uint32_t)(p - buf);
	}
	size_t len = r < 92 ? 1 : 5 + rng() % 60;
	size_t off = rng() % (sizeof(code) - 1 - len < 1 ? 1 : sizeof(code) - 1 - len);
	*p++ = 1; /* one client's structs */
	*p++ = 1; /* one struct */
	p = put_var(p, client);
	p = put_var(p, *clock);
	*p++ = 0x84; /* item with an origin, string content */
	p = put_var(p, client);
	p = put_var(p, *clock > 0 ? *clock - 1 : 0);
	p = put_var(p, len);
	memcpy(p, code + off, len);
	p += len;
	*p++ = 0; /* empty delete set */
	*clock += len;
	return (uint32_t)(p - buf);
}

/* ---- 1. throughput ------------------------------------------------------ */

struct pool {
	uint8_t *bytes;
	struct st_event *evs;
	size_t n;
};

static void
pool_make(struct pool *pl, size_t n)
{
	pl->bytes = malloc(n * 128);
	pl->evs = calloc(n, sizeof(*pl->evs));
	pl->n = n;
	uint64_t clocks[2] = {0, 0};
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = pl->bytes + i * 128;
		struct st_event *e = &pl->evs[i];
		e->ts_ms = 1700000000000 + (int64_t)i;
		e->payload = b;
		if (i % 10 == 9) {
			e->type = ST_EV_CHAT;
			e->len = (uint32_t)snprintf((char *)b, 128,
			    "{\"user\":\"u%zu\",\"text\":\"message number %zu, looks right?\"}",
			    i % 2, i);
		} else {
			e->type = ST_EV_YJS;
			e->len = yjs_update(b, 1000003 + i % 2, &clocks[i % 2]);
		}
	}
}

static double
throughput(struct st_store *st, const char *tag, const struct pool *pl, size_t total, size_t batch,
    bool *ok)
{
	uint64_t seq[NROOMS] = {0};
	char room[NROOMS][64];
	struct st_event *b = malloc(batch * sizeof(*b));
	for (int r = 0; r < NROOMS; r++)
		snprintf(room[r], sizeof(room[r]), "bench-%s-%ld-%d", tag, (long)getpid(), r);
	uint64_t t0 = now_ns();
	size_t done = 0;
	for (int r = 0; done < total; r = (r + 1) % NROOMS) {
		size_t n = total - done < batch ? total - done : batch;
		for (size_t i = 0; i < n; i++) {
			b[i] = pl->evs[(done + i) % pl->n];
			b[i].seq = ++seq[r];
		}
		if (st_events_append(st, room[r], b, n) != TC_OK) {
			*ok = false;
			break;
		}
		done += n;
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	free(b);
	return (double)done / secs;
}

/* ---- 2. ack latency ----------------------------------------------------- */

struct lat {
	struct st_store *st;
	const struct pool *pl;
	size_t total;
	unsigned rate;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	size_t produced;  /* guarded by lock */
	uint64_t *enq_ns; /* per event: when it arrived */
	double *lat_ms;   /* per event: arrival -> durable */
	char room[NROOMS][64];
	bool ok;
};

static void *
producer(void *arg)
{
	struct lat *l = arg;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < l->total; i++) {
		/* Pace arrivals without spinning (the writer needs the CPU). */
		uint64_t due = t0 + (uint64_t)((double)i * 1e9 / l->rate);
		if (due > now_ns()) {
			struct timespec ts = {
			    (time_t)(due / 1000000000u), (long)(due % 1000000000u)};
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
		pthread_mutex_lock(&l->lock);
		l->enq_ns[i] = now_ns();
		l->produced = i + 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->lock);
	}
	return NULL;
}

static void
latency(struct lat *l)
{
	pthread_t th;
	size_t flushed = 0;
	uint64_t seq[NROOMS] = {0};
	struct st_event *b = malloc(FLUSH_EVENTS * sizeof(*b));
	pthread_create(&th, NULL, producer, l);
	while (flushed < l->total) {
		/* Wait for 1,000 events or 50 ms after the oldest unflushed one. */
		pthread_mutex_lock(&l->lock);
		while (l->produced == flushed)
			pthread_cond_wait(&l->cv, &l->lock);
		uint64_t deadline = l->enq_ns[flushed] + FLUSH_MS * 1000000ull;
		while (l->produced - flushed < FLUSH_EVENTS && l->produced < l->total) {
			uint64_t now = now_ns();
			if (now >= deadline)
				break;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			uint64_t wait = deadline - now;
			ts.tv_sec += (time_t)(wait / 1000000000u);
			ts.tv_nsec += (long)(wait % 1000000000u);
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&l->cv, &l->lock, &ts);
		}
		size_t upto = l->produced;
		if (upto - flushed > FLUSH_EVENTS)
			upto = flushed + FLUSH_EVENTS;
		pthread_mutex_unlock(&l->lock);
		/* One transaction for every room's events, as the recorder does. */
		struct st_batch bt[NROOMS];
		size_t nb = 0, n = 0;
		for (int r = 0; r < NROOMS; r++) {
			size_t first = n;
			for (size_t i = flushed; i < upto; i++) {
				if (i % NROOMS != (size_t)r)
					continue;
				b[n] = l->pl->evs[i % l->pl->n];
				b[n].seq = ++seq[r];
				n++;
			}
			if (n > first)
				bt[nb++] =
				    (struct st_batch){l->room[r], b + first, n - first, TC_OK};
		}
		if (nb > 0 && st_events_append_batches(l->st, bt, nb) != TC_OK)
			l->ok = false;
		uint64_t end = now_ns();
		for (size_t i = flushed; i < upto; i++)
			l->lat_ms[i] = (double)(end - l->enq_ns[i]) / 1e6;
		flushed = upto;
	}
	pthread_join(th, NULL);
	free(b);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---- 3. the one-hour session -------------------------------------------- */

struct session {
	struct st_event *evs;
	uint8_t *bytes;
	size_t n;
};

/* session_make: 10,000 edits, 500 chats, 50 runs + 50 verdicts over an
 * hour, two users, in time order. */
static void
session_make(struct session *s, uint64_t seed)
{
	size_t n = 10000 + 500 + 100;
	rng_state = seed;
	s->evs = calloc(n, sizeof(*s->evs));
	s->bytes = malloc(n * 256);
	s->n = n;
	uint64_t clocks[2] = {0, 0};
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = s->bytes + i * 256;
		struct st_event *e = &s->evs[i];
		e->payload = b;
		e->ts_ms = 1700000000000 + (int64_t)(i * 3600000 / n);
		size_t user = rng() % 2;
		size_t pick = i % 106; /* 100 edits, 5 chats, 1 run-or-verdict */
		if (pick < 100) {
			e->type = ST_EV_YJS;
			e->len = yjs_update(b, 2000003 + user, &clocks[user]);
		} else if (pick < 105) {
			e->type = ST_EV_CHAT;
			e->len = (uint32_t)snprintf((char *)b, 256,
			    "{\"user\":\"u%zu\",\"text\":\"try the two-pointer idea on line "
			    "%zu?\"}",
			    user, i % 80);
		} else if ((i / 106) % 2 == 0) {
			e->type = ST_EV_RUN;
			e->len = (uint32_t)snprintf((char *)b, 256,
			    "{\"user\":\"u%zu\",\"submission\":\"s%zu\",\"lang\":\"python\"}", user,
			    i);
		} else {
			e->type = ST_EV_VERDICT;
			e->len = (uint32_t)snprintf((char *)b, 256,
			    "{\"submission\":\"s%zu\",\"status\":\"WRONG_ANSWER\",\"passed\":7,"
			    "\"total\":12,\"time_ms\":%zu,\"result\":"
			    "\"0f343b0931126a20f133d67c2b018a3b5c3e9b1c2d7e8f90a1b2c3d4e5f60718\"}",
			    i, 40 + i % 300);
		}
	}
}

/* session_write: batches of 10 s of session time (the recorder's 50 ms
 * windows hold one event or two at human speed: rows), compacting after
 * every COMPACT_ROWS edits as the recorder does.  Returns false on error. */
static bool
session_write(struct st_store *st, const char *room, struct session *s)
{
	size_t i = 0, rows = 0;
	uint64_t seq = 0;
	while (i < s->n) {
		size_t j = i;
		while (j < s->n && s->evs[j].ts_ms - s->evs[i].ts_ms < 10000)
			j++;
		for (size_t k = i; k < j; k++) {
			s->evs[k].seq = ++seq;
			rows += s->evs[k].type == ST_EV_YJS;
		}
		if (st_events_append(st, room, s->evs + i, j - i) != TC_OK)
			return false;
		if (rows >= COMPACT_ROWS) {
			if (st_events_compact(st, room, NULL) != TC_OK)
				return false;
			rows = 0;
		}
		i = j;
	}
	return st_events_compact(st, room, NULL) == TC_OK;
}

/* ---- 4. the dictionary experiment --------------------------------------- */

static size_t
compress_groups(const struct session *s, const void *dict, size_t dlen, size_t group)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ZSTD_CDict *cd = dict != NULL ? ZSTD_createCDict(dict, dlen, 3) : NULL;
	uint8_t *raw = malloc(group * 256), *out = malloc(ZSTD_compressBound(group * 256));
	size_t total = 0, i = 0;
	while (i < s->n) {
		size_t len = 0, k = 0;
		for (; i < s->n && k < group; i++) {
			if (s->evs[i].type != ST_EV_YJS)
				continue;
			memcpy(raw + len, s->evs[i].payload, s->evs[i].len);
			len += s->evs[i].len;
			k++;
		}
		if (len == 0)
			break;
		size_t z = cd != NULL ? ZSTD_compress_usingCDict(cctx, out,
		                            ZSTD_compressBound(group * 256), raw, len, cd)
		                      : ZSTD_compressCCtx(cctx, out,
		                            ZSTD_compressBound(group * 256), raw, len, 3);
		total += ZSTD_isError(z) ? len : z;
	}
	free(raw);
	free(out);
	ZSTD_freeCDict(cd);
	ZSTD_freeCCtx(cctx);
	return total;
}

static void
dictionary_experiment(void)
{
	struct session train, test;
	session_make(&train, 11);
	session_make(&test, 12);
	size_t nsamples = 0, total = 0;
	size_t *sizes = calloc(train.n, sizeof(size_t));
	uint8_t *samples = malloc(train.n * 256);
	for (size_t i = 0; i < train.n; i++) {
		if (train.evs[i].type != ST_EV_YJS)
			continue;
		memcpy(samples + total, train.evs[i].payload, train.evs[i].len);
		sizes[nsamples++] = train.evs[i].len;
		total += train.evs[i].len;
	}
	uint8_t dict[8192];
	size_t dlen = ZDICT_trainFromBuffer(dict, sizeof(dict), samples, sizes, (unsigned)nsamples);
	size_t raw = 0;
	for (size_t i = 0; i < test.n; i++)
		raw += test.evs[i].type == ST_EV_YJS ? test.evs[i].len : 0;
	printf("\nzstd dictionary experiment (Yjs updates of a second session; dictionary "
	       "trained on a first):\n");
	printf("  %-22s %12s %12s\n", "chunk size (edits)", "no dict", "8 KiB dict");
	static const size_t groups[] = {1, 8, 64, 256};
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		size_t plain = compress_groups(&test, NULL, 0, groups[g]);
		size_t withd =
		    ZDICT_isError(dlen) ? 0 : compress_groups(&test, dict, dlen, groups[g]);
		printf("  %-22zu %11.2fx %11.2fx\n", groups[g], (double)raw / (double)plain,
		    withd > 0 ? (double)raw / (double)withd : 0.0);
	}
	free(sizes);
	free(samples);
	free(train.evs);
	free(train.bytes);
	free(test.evs);
	free(test.bytes);
}

/* ---- the run ------------------------------------------------------------ */

struct opts {
	const char *pg;
	const char *sqlite;
	size_t events;
	size_t batch;
	unsigned rate;
	double seconds;
};

static int
run_backend(const char *label, const char *target, const struct opts *o, const struct pool *pl)
{
	struct st_store *st = NULL;
	char err[ST_ERRMSG_MAX];
	if (st_open(target, &st, err, sizeof(err)) != TC_OK) {
		fprintf(stderr, "tandem bench store: %s: %s\n", label, err);
		return TANDEM_EXIT_ENV;
	}
	bool ok = true;
	double batched = throughput(st, "t", pl, o->events, o->batch, &ok);
	double single = throughput(st, "u", pl, 500, 1, &ok);

	struct lat l = {.st = st, .pl = pl, .rate = o->rate, .ok = true};
	l.total = (size_t)(o->rate * o->seconds);
	l.enq_ns = calloc(l.total, sizeof(uint64_t));
	l.lat_ms = calloc(l.total, sizeof(double));
	pthread_mutex_init(&l.lock, NULL);
	pthread_cond_init(&l.cv, NULL);
	for (int r = 0; r < NROOMS; r++)
		snprintf(l.room[r], sizeof(l.room[r]), "bench-l-%ld-%d", (long)getpid(), r);
	latency(&l);
	qsort(l.lat_ms, l.total, sizeof(double), cmp_double);
	double p50 = l.lat_ms[l.total / 2], p99 = l.lat_ms[l.total * 99 / 100];

	struct session s;
	session_make(&s, 7);
	char room[64];
	snprintf(room, sizeof(room), "bench-s-%ld", (long)getpid());
	ok = ok && l.ok && session_write(st, room, &s);
	double best = 1e9;
	size_t nev = 0;
	double ratio = 0;
	for (int rep = 0; ok && rep < 5; rep++) {
		struct st_timeline *tl = NULL;
		uint64_t t0 = now_ns();
		if (st_timeline_read(st, room, 1, UINT64_MAX, &tl) != TC_OK) {
			ok = false;
			break;
		}
		double ms = (double)(now_ns() - t0) / 1e6;
		best = ms < best ? ms : best;
		nev = tl->n;
		ratio = (double)tl->raw_bytes / (double)tl->stored_bytes;
		st_timeline_free(tl);
	}
	if (!ok) {
		st_last_error(st, err, sizeof(err));
		fprintf(stderr, "tandem bench store: %s: %s\n", label, err);
	} else {
		printf("%-9s %12.0f %12.0f %9.1f %9.1f %9.2f ms %8zu %8.2fx\n", label, batched,
		    single, p50, p99, best, nev, ratio);
	}
	free(s.evs);
	free(s.bytes);
	free(l.enq_ns);
	free(l.lat_ms);
	pthread_mutex_destroy(&l.lock);
	pthread_cond_destroy(&l.cv);
	st_free(st);
	return ok ? TANDEM_EXIT_OK : TANDEM_EXIT_FAIL;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: tandem bench store [--pg URL | --no-pg] [--sqlite PATH] [--events N]\n"
	           "                          [--batch N] [--rate N] [--seconds S]\n\n"
	           "Records events durably on SQLite and PostgreSQL and prints, per backend:\n"
	           "events/s in batches (and one per commit, the baseline), event -> durable ack\n"
	           "p50/p99 in ms at --rate events/s with the recorder's flush rule (1,000 events\n"
	           "or 50 ms), the time to load a one-hour two-person session's timeline, and its\n"
	           "compression ratio; then a zstd dictionary experiment.\n\n"
	           "  --pg URL       PostgreSQL database (default: $TANDEM_PG_URL)\n"
	           "  --no-pg        SQLite only\n"
	           "  --sqlite PATH  SQLite file (default: a new file in a temp directory)\n"
	           "  --events N     events for the throughput figure (default 200000)\n"
	           "  --batch N      events per append (default 1000)\n"
	           "  --rate N       arrival rate for the latency figure (default 20000)\n"
	           "  --seconds S    duration of the latency run (default 2)\n");
}

int
tandem_bench_store(int argc, char **argv)
{
	struct opts o = {.pg = getenv("TANDEM_PG_URL"),
	    .events = 200000,
	    .batch = 1000,
	    .rate = 20000,
	    .seconds = 2};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return TANDEM_EXIT_OK;
		} else if (strcmp(a, "--no-pg") == 0) {
			o.pg = NULL;
		} else if (v != NULL && strcmp(a, "--pg") == 0) {
			o.pg = v, i++;
		} else if (v != NULL && strcmp(a, "--sqlite") == 0) {
			o.sqlite = v, i++;
		} else if (v != NULL && strcmp(a, "--events") == 0) {
			o.events = strtoul(v, NULL, 10), i++;
		} else if (v != NULL && strcmp(a, "--batch") == 0) {
			o.batch = strtoul(v, NULL, 10), i++;
		} else if (v != NULL && strcmp(a, "--rate") == 0) {
			o.rate = (unsigned)strtoul(v, NULL, 10), i++;
		} else if (v != NULL && strcmp(a, "--seconds") == 0) {
			o.seconds = strtod(v, NULL), i++;
		} else {
			usage(stderr);
			return TANDEM_EXIT_USAGE;
		}
	}
	if (o.events == 0 || o.batch == 0 || o.batch > ST_BATCH_MAX || o.rate == 0 ||
	    o.seconds <= 0 || o.seconds > 600) {
		usage(stderr);
		return TANDEM_EXIT_USAGE;
	}
	tc_log_set_level(TC_LOG_WARN);
	char tmpdir[] = "/tmp/tandem-bench-store-XXXXXX";
	char path[512];
	if (o.sqlite == NULL) {
		if (mkdtemp(tmpdir) == NULL) {
			perror("tandem bench store: mkdtemp");
			return TANDEM_EXIT_FAIL;
		}
		snprintf(path, sizeof(path), "%s/tandem.db", tmpdir);
		o.sqlite = path;
	}
	struct pool pl;
	pool_make(&pl, 100000);
	printf("tandem bench store: %zu events in batches of %zu across %d rooms; latency at "
	       "%u events/s for %g s\n\n",
	    o.events, o.batch, NROOMS, o.rate, o.seconds);
	printf("%-9s %12s %12s %9s %9s %12s %8s %9s\n", "backend", "events/s", "1/commit",
	    "ack p50", "ack p99", "session load", "events", "ratio");
	int rc = run_backend("sqlite", o.sqlite, &o, &pl);
	if (o.pg != NULL && o.pg[0] != '\0') {
		int rc2 = run_backend("postgres", o.pg, &o, &pl);
		rc = rc != TANDEM_EXIT_OK ? rc : rc2;
	} else {
		printf("%-9s (skipped: no --pg URL and no TANDEM_PG_URL)\n", "postgres");
	}
	dictionary_experiment();
	if (o.sqlite == path) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "%s-wal", path);
		unlink(cmd);
		snprintf(cmd, sizeof(cmd), "%s-shm", path);
		unlink(cmd);
		unlink(path);
		rmdir(tmpdir);
	}
	free(pl.bytes);
	free(pl.evs);
	return rc;
}
