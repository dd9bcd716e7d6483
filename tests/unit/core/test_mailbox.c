/*
 * Mailboxes: per-sender ordering, no loss and no duplicates under eight
 * concurrent sender threads, and sending from threads that are not actors.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/valgrind.h>

#include "core/actor.h"
#include "core/node.h"
#include "ct.h"
#include "xt.h"

#define MAX_SENDERS 16

struct seqbody {
	uint32_t sender;
	uint32_t seq;
};

/*
 * The receiver checks, per sender, that sequence numbers arrive in order
 * with none missing or repeated.  Its fields are touched only by the
 * actor; `total` (seq_cst) publishes them to the test thread.
 */
struct receiver {
	uint32_t nsenders;
	uint32_t per_sender;
	uint64_t next[MAX_SENDERS];
	uint8_t *seen[MAX_SENDERS]; /* bitmap of seqs received */
	uint64_t out_of_order, duplicates, bad;
	struct tc_addr last_from[MAX_SENDERS];
	_Atomic uint64_t total;
};

static enum tc_err
recv_init(struct tc_ctx *ctx, void *arg, void **state)
{
	*state = arg;
	return TC_OK;
}

static enum tc_err
recv_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *m)
{
	struct receiver *r = state;
	struct seqbody b;

	if (m->type != TC_MSG_APP || m->len != sizeof(b)) {
		r->bad++;
		return TC_OK;
	}
	memcpy(&b, m->body, sizeof(b));
	if (b.sender >= r->nsenders || b.seq >= r->per_sender) {
		r->bad++;
	} else {
		if (b.seq != r->next[b.sender])
			r->out_of_order++;
		r->next[b.sender] = (uint64_t)b.seq + 1;
		uint8_t bit = (uint8_t)(1u << (b.seq & 7));
		if (r->seen[b.sender][b.seq >> 3] & bit)
			r->duplicates++;
		r->seen[b.sender][b.seq >> 3] |= bit;
		r->last_from[b.sender] = m->from;
	}
	atomic_fetch_add(&r->total, 1);
	return TC_OK;
}

static const struct tc_behaviour receiver_b = {
    .kind = "receiver", .init = recv_init, .handle = recv_handle};

static struct receiver *
receiver_new(uint32_t nsenders, uint32_t per_sender)
{
	struct receiver *r = calloc(1, sizeof(*r));
	cr_assert_not_null(r);
	r->nsenders = nsenders;
	r->per_sender = per_sender;
	for (uint32_t i = 0; i < nsenders; i++) {
		r->seen[i] = calloc((per_sender + 7) / 8, 1);
		cr_assert_not_null(r->seen[i]);
	}
	atomic_init(&r->total, 0);
	return r;
}

/* Asserts every sender's every sequence number arrived exactly once, in order. */
static void
receiver_check(struct receiver *r)
{
	cr_assert_eq(atomic_load(&r->total), (uint64_t)r->nsenders * r->per_sender);
	cr_assert_eq(r->bad, 0);
	cr_assert_eq(
	    r->out_of_order, 0, "%llu messages out of order", (unsigned long long)r->out_of_order);
	cr_assert_eq(r->duplicates, 0, "%llu duplicates", (unsigned long long)r->duplicates);
	for (uint32_t s = 0; s < r->nsenders; s++) {
		cr_assert_eq(r->next[s], r->per_sender, "sender %u ended at %llu", s,
		    (unsigned long long)r->next[s]);
		for (uint32_t q = 0; q < r->per_sender; q++)
			cr_assert(
			    r->seen[s][q >> 3] & (1u << (q & 7)), "sender %u seq %u lost", s, q);
	}
}

static void
receiver_free(struct receiver *r)
{
	for (uint32_t i = 0; i < r->nsenders; i++)
		free(r->seen[i]);
	free(r);
}

/* ---- sender threads ---------------------------------------------------- */

struct sender_thread {
	struct tc_node *node;
	struct tc_addr to;
	uint32_t index, count;
	pthread_barrier_t *go;
	uint64_t failures;
};

static void *
sender_main(void *arg)
{
	struct sender_thread *s = arg;
	struct tc_addr from = {0x100000000ull + s->index + 1, 0};

	pthread_barrier_wait(s->go);
	for (uint32_t i = 0; i < s->count; i++) {
		struct seqbody b = {s->index, i};
		if (tc_node_send(s->node, s->to, from, TC_MSG_APP, &b, sizeof(b)) != TC_OK)
			s->failures++;
	}
	return NULL;
}

static void
run_sender_threads(unsigned nthreads, uint32_t count, unsigned workers)
{
	struct tc_node *n = ct_node(1, "mbox", workers, NULL);
	struct receiver *r = receiver_new(nthreads, count);
	struct tc_addr to;
	pthread_t th[MAX_SENDERS];
	struct sender_thread st[MAX_SENDERS];
	pthread_barrier_t go;

	XT_OK(tc_spawn(n, &receiver_b, r, &to));
	pthread_barrier_init(&go, NULL, nthreads);
	for (unsigned i = 0; i < nthreads; i++) {
		st[i] = (struct sender_thread){n, to, i, count, &go, 0};
		cr_assert_eq(pthread_create(&th[i], NULL, sender_main, &st[i]), 0);
	}
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(st[i].failures, 0, "thread %u: %llu sends failed", i,
		    (unsigned long long)st[i].failures);
	}
	pthread_barrier_destroy(&go);
	cr_assert(ct_wait_ge(&r->total, (uint64_t)nthreads * count), "only %llu of %llu arrived",
	    (unsigned long long)atomic_load(&r->total), (unsigned long long)nthreads * count);
	ct_node_stop_clean(n);
	/* Stopped: nothing more can arrive, so the counts are final. */
	receiver_check(r);
	for (unsigned i = 0; i < nthreads; i++)
		cr_assert_eq(r->last_from[i].id, 0x100000000ull + i + 1, "from not carried");
	receiver_free(r);
}

/* The full 8 x 100k under plain and ASan builds; valgrind runs a tenth of it. */
static uint32_t
per_thread_count(void)
{
	return RUNNING_ON_VALGRIND ? 10000u : 100000u;
}

Test(core_mailbox, eight_threads_lose_and_duplicate_nothing_into_one_actor, .timeout = 110)
{
	run_sender_threads(8, per_thread_count(), 2);
}

Test(core_mailbox, senders_outnumbering_workers_keep_order_on_one_worker)
{
	run_sender_threads(4, 5000, 1);
}

/* ---- sender actors ----------------------------------------------------- */

struct sender_actor {
	struct tc_addr to;
	uint32_t index, count;
	_Atomic uint64_t *failures;
};

static enum tc_err
sa_init(struct tc_ctx *ctx, void *arg, void **state)
{
	*state = arg;
	return TC_OK;
}

static enum tc_err
sa_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *m)
{
	struct sender_actor *s = state;
	/* Each "go" sends a slice; the slices interleave with other senders'. */
	uint32_t from, upto;
	if (m->len != sizeof(from)) {
		atomic_fetch_add(s->failures, 1);
		return TC_OK;
	}
	memcpy(&from, m->body, sizeof(from));
	upto = from + 100 < s->count ? from + 100 : s->count;
	for (uint32_t i = from; i < upto; i++) {
		struct seqbody b = {s->index, i};
		if (tc_send(ctx, s->to, TC_MSG_APP, &b, sizeof(b)) != TC_OK)
			atomic_fetch_add(s->failures, 1);
	}
	if (upto < s->count && tc_send(ctx, tc_self(ctx), TC_MSG_APP, &upto, sizeof(upto)) != TC_OK)
		atomic_fetch_add(s->failures, 1);
	return TC_OK;
}

static const struct tc_behaviour sender_b = {
    .kind = "sender", .init = sa_init, .handle = sa_handle};

Test(core_mailbox, several_sender_actors_each_arrive_in_order)
{
	enum {
		NSEND = 6,
		COUNT = 3000
	};
	struct tc_node *n = ct_node(1, "mbox", 2, NULL);
	struct receiver *r = receiver_new(NSEND, COUNT);
	struct sender_actor sa[NSEND];
	struct tc_addr to, sender[NSEND];
	_Atomic uint64_t failures;

	atomic_init(&failures, 0);
	XT_OK(tc_spawn(n, &receiver_b, r, &to));
	for (uint32_t i = 0; i < NSEND; i++) {
		sa[i] = (struct sender_actor){to, i, COUNT, &failures};
		XT_OK(tc_spawn(n, &sender_b, &sa[i], &sender[i]));
	}
	for (uint32_t i = 0; i < NSEND; i++) {
		uint32_t zero = 0;
		XT_OK(tc_node_send(n, sender[i], TC_ADDR_NONE, TC_MSG_APP, &zero, sizeof(zero)));
	}
	cr_assert(ct_wait_ge(&r->total, (uint64_t)NSEND * COUNT));
	ct_node_stop_clean(n);
	cr_assert_eq(atomic_load(&failures), 0);
	receiver_check(r);
	for (uint32_t i = 0; i < NSEND; i++)
		cr_assert(tc_addr_eq(r->last_from[i], sender[i]), "from is not the sending actor");
	receiver_free(r);
}

Test(core_mailbox, node_send_checks_its_arguments)
{
	struct tc_node *n = ct_node(1, "mbox", 1, NULL);
	struct receiver *r = receiver_new(1, 1);
	struct tc_addr to;
	static uint8_t big[TC_MSG_BODY_MAX_DEFAULT + 1];
	struct seqbody b = {0, 0};

	XT_OK(tc_spawn(n, &receiver_b, r, &to));
	XT_ERR(tc_node_send(n, TC_ADDR_NONE, TC_ADDR_NONE, TC_MSG_APP, &b, sizeof(b)), TC_EINVAL);
	XT_ERR(tc_node_send(n, to, TC_ADDR_NONE, TC_MSG_INIT, NULL, 0), TC_EINVAL);
	XT_ERR(tc_node_send(n, to, TC_ADDR_NONE, TC_MSG_APP, big, sizeof(big)), TC_ETOOBIG);
	/* An id on this node whose slot was never used. */
	struct tc_addr nobody = {0x0000000100000fffull, 1};
	XT_ERR(tc_node_send(n, nobody, TC_ADDR_NONE, TC_MSG_APP, &b, sizeof(b)), TC_ENOENT);
	/* An unknown node. */
	struct tc_addr far = {to.id, 77};
	XT_ERR(tc_node_send(n, far, TC_ADDR_NONE, TC_MSG_APP, &b, sizeof(b)), TC_ENOENT);

	XT_OK(tc_node_send(n, to, TC_ADDR_NONE, TC_MSG_APP, &b, sizeof(b)));
	cr_assert(ct_wait_ge(&r->total, 1));
	ct_node_stop_clean(n);
	receiver_check(r);
	receiver_free(r);
}
