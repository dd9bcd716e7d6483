/*
 * tandem bench core - actor messaging figures beside their baselines,
 * measured in the same run:
 *   1. same-node actor -> actor messages/s, beside the bare MPSC queue
 *      between two threads (the ceiling);
 *   2. cross-node messages/s over inproc and tcp, beside raw nng pair0
 *      sockets sending one message per nng message;
 *   3. cross-node round trips (p50/p99) over tcp, beside raw nng pair0.
 * Each figure is the best of --reps runs (noise only ever slows a run).
 */
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/node.h"
#include "core_priv.h"
#include "tandem.h"

#define BODY_LEN 16
#define BURST 512

enum {
	MSG_GO = TC_MSG_APP,
	MSG_DATA,
	MSG_MORE,
	MSG_PING,
	MSG_PONG
};

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A one-shot event the main thread waits on. */
struct done {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool set;
	uint64_t at_ns;
};

static void
done_init(struct done *d)
{
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->set = false;
}

static void
done_fire(struct done *d)
{
	pthread_mutex_lock(&d->lock);
	d->at_ns = now_ns();
	d->set = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->lock);
}

static uint64_t
done_wait(struct done *d)
{
	pthread_mutex_lock(&d->lock);
	while (!d->set)
		pthread_cond_wait(&d->cv, &d->lock);
	pthread_mutex_unlock(&d->lock);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cv);
	return d->at_ns;
}

/* ---- 1a. the ceiling: a bare MPSC queue between two threads ------------ */

struct qbench {
	struct tc__mpsc q;
	uint64_t n;
};

static void *
q_producer(void *arg)
{
	struct qbench *b = arg;
	uint8_t body[BODY_LEN] = {0};
	for (uint64_t i = 0; i < b->n; i++) {
		struct tc_msg *m;
		if (tc_msg_new(MSG_DATA, body, sizeof(body), &m) != TC_OK)
			abort();
		tc__mpsc_push(&b->q, m);
	}
	return NULL;
}

static double
bench_queue(uint64_t n)
{
	struct qbench b = {.n = n};
	pthread_t t;
	uint64_t got = 0;

	if (tc__mpsc_init(&b.q) != TC_OK)
		return 0;
	uint64_t t0 = now_ns();
	pthread_create(&t, NULL, q_producer, &b);
	while (got < n) {
		struct tc_msg *m = tc__mpsc_pop(&b.q);
		if (m == NULL)
			continue;
		got++;
		tc_msg_free(m);
	}
	uint64_t t1 = now_ns();
	pthread_join(t, NULL);
	tc__mpsc_fini(&b.q);
	return (double)n * 1e9 / (double)(t1 - t0);
}

/* ---- actors for throughput --------------------------------------------- */

struct sink {
	uint64_t want, got;
	struct done *done;
};

static enum tc_err
sink_init(struct tc_ctx *ctx, void *arg, void **state)
{
	*state = arg;
	return TC_OK;
}

static enum tc_err
sink_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct sink *s = state;
	if (msg->type == MSG_DATA && ++s->got == s->want)
		done_fire(s->done);
	return TC_OK;
}

static const struct tc_behaviour sink_beh = {"sink", sink_init, sink_handle, NULL};

struct source {
	struct tc_addr to;
	uint64_t left;
};

static enum tc_err
source_init(struct tc_ctx *ctx, void *arg, void **state)
{
	*state = arg;
	return TC_OK;
}

static enum tc_err
source_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct source *s = state;
	uint8_t body[BODY_LEN] = {0};
	if (msg->type != MSG_GO && msg->type != MSG_MORE)
		return TC_OK;
	for (int i = 0; i < BURST && s->left > 0; i++, s->left--) {
		enum tc_err rv = tc_send(ctx, s->to, MSG_DATA, body, sizeof(body));
		if (rv != TC_OK)
			return rv;
	}
	if (s->left > 0)
		return tc_send(ctx, tc_self(ctx), MSG_MORE, NULL, 0);
	return TC_OK;
}

static const struct tc_behaviour source_beh = {"source", source_init, source_handle, NULL};

static unsigned poll_yields; /* --poll */

static struct tc_node *
node_up(uint16_t id, const char *name, const char *url, unsigned workers)
{
	struct tc_node *n = NULL;
	struct tc_node_config cfg = {.id = id,
	    .name = name,
	    .workers = workers,
	    .listen_url = url,
	    .poll_yields = poll_yields};
	if (tc_node_new(&cfg, &n) != TC_OK || tc_node_start(n) != TC_OK) {
		fprintf(stderr, "tandem bench core: cannot start node %s%s%s\n", name,
		    url ? " at " : "", url ? url : "");
		tc_node_free(n);
		return NULL;
	}
	return n;
}

/* Messages/s from a source on node a to a sink on node b (a may be b). */
static double
bench_actors(struct tc_node *a, struct tc_node *b, uint64_t n)
{
	struct done done;
	struct sink sink = {.want = n, .done = &done};
	struct source src = {.left = n};
	struct tc_addr sa, ra;

	done_init(&done);
	if (tc_spawn(b, &sink_beh, &sink, &ra) != TC_OK)
		return 0;
	src.to = ra;
	if (tc_spawn(a, &source_beh, &src, &sa) != TC_OK)
		return 0;
	uint64_t t0 = now_ns();
	tc_node_send(a, sa, TC_ADDR_NONE, MSG_GO, NULL, 0);
	uint64_t t1 = done_wait(&done);
	tc_node_stop_actor(a, sa);
	tc_node_stop_actor(b, ra);
	return (double)n * 1e9 / (double)(t1 - t0);
}

/* ---- raw nng pair0 baselines ------------------------------------------- */

struct raw {
	nng_socket s;
	uint64_t n;
	uint64_t *rtt;
};

static void *
raw_sender(void *arg)
{
	struct raw *r = arg;
	uint8_t body[BODY_LEN + 48] = {0}; /* about an envelope's size */
	for (uint64_t i = 0; i < r->n; i++)
		nng_send(r->s, body, sizeof(body), 0);
	return NULL;
}

static int
raw_pair(const char *url, nng_socket *l, nng_socket *d)
{
	if (nng_pair0_open(l) != 0 || nng_pair0_open(d) != 0)
		return -1;
	nng_socket_set_int(*l, NNG_OPT_RECVBUF, 256);
	nng_socket_set_int(*l, NNG_OPT_SENDBUF, 256);
	nng_socket_set_int(*d, NNG_OPT_RECVBUF, 256);
	nng_socket_set_int(*d, NNG_OPT_SENDBUF, 256);
	nng_socket_set_size(*l, NNG_OPT_RECVMAXSZ, 1 << 20);
	nng_socket_set_size(*d, NNG_OPT_RECVMAXSZ, 1 << 20);
	if (nng_listen(*l, url, NULL, 0) != 0 || nng_dial(*d, url, NULL, 0) != 0)
		return -1;
	return 0;
}

static double
bench_raw_throughput(const char *url, uint64_t n)
{
	nng_socket l, d;
	struct raw r;
	pthread_t t;
	char buf[256];

	if (raw_pair(url, &l, &d) != 0)
		return 0;
	r.s = d;
	r.n = n;
	uint64_t t0 = now_ns();
	pthread_create(&t, NULL, raw_sender, &r);
	for (uint64_t i = 0; i < n; i++) {
		size_t sz = sizeof(buf);
		if (nng_recv(l, buf, &sz, 0) != 0)
			break;
	}
	uint64_t t1 = now_ns();
	pthread_join(t, NULL);
	nng_close(d);
	nng_close(l);
	return (double)n * 1e9 / (double)(t1 - t0);
}

static void *
raw_echo(void *arg)
{
	struct raw *r = arg;
	char buf[256];
	for (uint64_t i = 0; i < r->n; i++) {
		size_t sz = sizeof(buf);
		if (nng_recv(r->s, buf, &sz, 0) != 0 || nng_send(r->s, buf, sz, 0) != 0)
			break;
	}
	return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void
percentiles(uint64_t *v, uint64_t n, double *p50, double *p99)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	*p50 = (double)v[n / 2] / 1000.0;
	*p99 = (double)v[(n * 99) / 100] / 1000.0;
}

static int
bench_raw_rtt(const char *url, uint64_t n, double *p50, double *p99)
{
	nng_socket l, d;
	struct raw r;
	pthread_t t;
	uint8_t body[BODY_LEN + 48] = {0};
	char buf[256];
	uint64_t *rtt = calloc(n, sizeof(*rtt));

	if (rtt == NULL || raw_pair(url, &l, &d) != 0) {
		free(rtt);
		return -1;
	}
	r.s = l;
	r.n = n;
	pthread_create(&t, NULL, raw_echo, &r);
	for (uint64_t i = 0; i < n; i++) {
		size_t sz = sizeof(buf);
		uint64_t t0 = now_ns();
		if (nng_send(d, body, sizeof(body), 0) != 0 || nng_recv(d, buf, &sz, 0) != 0)
			break;
		rtt[i] = now_ns() - t0;
	}
	pthread_join(t, NULL);
	nng_close(d);
	nng_close(l);
	percentiles(rtt, n, p50, p99);
	free(rtt);
	return 0;
}

/* ---- actor round trips -------------------------------------------------- */

struct pinger {
	struct tc_addr to;
	uint64_t n, i, t0;
	uint64_t *rtt;
	struct done *done;
};

static enum tc_err
pinger_init(struct tc_ctx *ctx, void *arg, void **state)
{
	*state = arg;
	return TC_OK;
}

static enum tc_err
pinger_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct pinger *p = state;
	uint8_t body[BODY_LEN] = {0};
	if (msg->type == MSG_PONG) {
		p->rtt[p->i++] = now_ns() - p->t0;
		if (p->i == p->n) {
			done_fire(p->done);
			return TC_OK;
		}
	} else if (msg->type != MSG_GO) {
		return TC_OK;
	}
	p->t0 = now_ns();
	return tc_send(ctx, p->to, MSG_PING, body, sizeof(body));
}

static const struct tc_behaviour pinger_beh = {"pinger", pinger_init, pinger_handle, NULL};

static enum tc_err
ponger_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	if (msg->type == MSG_PING)
		return tc_send(ctx, msg->from, MSG_PONG, msg->body, msg->len);
	return TC_OK;
}

static const struct tc_behaviour ponger_beh = {"ponger", NULL, ponger_handle, NULL};

static int
bench_actor_rtt(struct tc_node *a, struct tc_node *b, uint64_t n, double *p50, double *p99)
{
	struct done done;
	struct pinger p = {.n = n};
	struct tc_addr pa, qa;

	p.rtt = calloc(n, sizeof(*p.rtt));
	if (p.rtt == NULL)
		return -1;
	done_init(&done);
	p.done = &done;
	if (tc_spawn(b, &ponger_beh, NULL, &qa) != TC_OK)
		return -1;
	p.to = qa;
	if (tc_spawn(a, &pinger_beh, &p, &pa) != TC_OK)
		return -1;
	tc_node_send(a, pa, TC_ADDR_NONE, MSG_GO, NULL, 0);
	done_wait(&done);
	tc_node_stop_actor(a, pa);
	tc_node_stop_actor(b, qa);
	percentiles(p.rtt, n, p50, p99);
	free(p.rtt);
	return 0;
}

/* ---- the command -------------------------------------------------------- */

static double
best(double a, double b)
{
	return a > b ? a : b;
}

int
tandem_bench_core(int argc, char **argv)
{
	uint64_t n_local = 5000000, n_remote = 1000000, n_rtt = 20000;
	int reps = 3;
	unsigned port = 47100;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf(
			    "usage: tandem bench core [--quick] [--reps N] [--port P]\n\n"
			    "Measures actor messaging beside its baselines in one run:\n"
			    "same-node messages/s beside a bare lock-free queue, cross-node\n"
			    "messages/s over inproc and tcp beside raw nng pair sockets, and\n"
			    "tcp round trips beside raw nng.  --quick runs small counts.\n"
			    "--port picks the first of the loopback ports used (default 47100).\n");
			return TANDEM_EXIT_OK;
		} else if (strcmp(argv[i], "--quick") == 0) {
			n_local = 200000, n_remote = 50000, n_rtt = 2000, reps = 1;
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1)
				reps = 1;
		} else if (strcmp(argv[i], "--poll") == 0 && i + 1 < argc) {
			poll_yields = (unsigned)atoi(argv[++i]);
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			port = (unsigned)atoi(argv[++i]);
		} else {
			fprintf(stderr, "tandem bench core: unknown option '%s'\n", argv[i]);
			return TANDEM_EXIT_USAGE;
		}
	}
	tc_log_set_level(TC_LOG_WARN);

	char tcp_a[64], tcp_b[64], tcp_raw[64], tcp_raw2[64];
	snprintf(tcp_a, sizeof(tcp_a), "tcp://127.0.0.1:%u", port);
	snprintf(tcp_b, sizeof(tcp_b), "tcp://127.0.0.1:%u", port + 1);
	snprintf(tcp_raw, sizeof(tcp_raw), "tcp://127.0.0.1:%u", port + 2);
	snprintf(tcp_raw2, sizeof(tcp_raw2), "tcp://127.0.0.1:%u", port + 3);

	printf("tandem bench core: best of %d runs; %d-byte bodies\n\n", reps, BODY_LEN);

	/* 1. same node */
	double q = 0, local = 0;
	struct tc_node *solo = node_up(1, "solo", NULL, 0);
	if (solo == NULL)
		return TANDEM_EXIT_FAIL;
	for (int r = 0; r < reps; r++) {
		q = best(q, bench_queue(n_local));
		local = best(local, bench_actors(solo, solo, n_local));
	}
	tc_node_free(solo);
	printf("same node, %llu messages\n", (unsigned long long)n_local);
	printf("  bare MPSC queue, 2 threads (ceiling)  %12.0f msg/s\n", q);
	printf("  actor -> actor                        %12.0f msg/s  (%.0f%% of ceiling)\n\n",
	    local, 100.0 * local / q);

	/* 2. across nodes */
	struct {
		const char *label, *ua, *ub, *raw;
	} links[2] = {{"inproc", "inproc://bench-a", "inproc://bench-b", "inproc://bench-raw"},
	    {"tcp", tcp_a, tcp_b, tcp_raw}};
	double xfer[2] = {0, 0}, raw[2] = {0, 0};
	struct tc_node *na[2], *nb[2];
	for (int l = 0; l < 2; l++) {
		na[l] = node_up(1, "a", links[l].ua, 0);
		nb[l] = node_up(2, "b", links[l].ub, 0);
		if (na[l] == NULL || nb[l] == NULL ||
		    tc_node_connect(na[l], 2, "b", links[l].ub) != TC_OK ||
		    tc_node_connect(nb[l], 1, "a", links[l].ua) != TC_OK) {
			fprintf(stderr, "tandem bench core: cannot join nodes over %s\n",
			    links[l].label);
			return TANDEM_EXIT_ENV;
		}
		for (int r = 0; r < reps; r++) {
			raw[l] = best(raw[l], bench_raw_throughput(links[l].raw, n_remote));
			xfer[l] = best(xfer[l], bench_actors(na[l], nb[l], n_remote));
		}
		struct tc_node_stats st;
		tc_node_stats(na[l], &st);
		printf("across nodes over %s, %llu messages (%.1f envelopes per nng message)\n",
		    links[l].label, (unsigned long long)n_remote,
		    st.remote_batches ? (double)st.remote_sent / (double)st.remote_batches : 0.0);
		printf("  raw nng pair0, one message each       %12.0f msg/s\n", raw[l]);
		printf("  actor -> actor, batched               %12.0f msg/s  (%.1fx raw)\n\n",
		    xfer[l], xfer[l] / raw[l]);
	}

	/* 3. round trips over tcp */
	double rp50 = 1e18, rp99 = 1e18, ap50 = 1e18, ap99 = 1e18;
	for (int r = 0; r < reps; r++) {
		double a50, a99;
		if (bench_raw_rtt(r % 2 ? tcp_raw2 : tcp_raw, n_rtt, &a50, &a99) == 0 && a50 < rp50)
			rp50 = a50, rp99 = a99;
		if (bench_actor_rtt(na[1], nb[1], n_rtt, &a50, &a99) == 0 && a50 < ap50)
			ap50 = a50, ap99 = a99;
	}
	printf("round trip over tcp, %llu pings\n", (unsigned long long)n_rtt);
	printf("  raw nng pair0                         p50 %7.1f us  p99 %7.1f us\n", rp50, rp99);
	printf("  actor <-> actor                       p50 %7.1f us  p99 %7.1f us  (%.2fx, "
	       "%.2fx raw)\n",
	    ap50, ap99, ap50 / rp50, ap99 / rp99);

	for (int l = 0; l < 2; l++) {
		tc_node_free(na[l]);
		tc_node_free(nb[l]);
	}
	printf("\nsummary: same-node %.0f msg/s = %.0f%% of ceiling; inproc %.1fx raw nng; "
	       "tcp %.1fx raw nng; tcp rtt p50 %.2fx raw\n",
	    local, 100.0 * local / q, xfer[0] / raw[0], xfer[1] / raw[1], ap50 / rp50);
	return TANDEM_EXIT_OK;
}
