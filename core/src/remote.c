/*
 * remote.c - delivery between nodes over nng.
 *
 * Design notes
 * - Each node receives on one pull0 socket listening at its URL; it sends
 *   to each peer on a push0 socket dialing the peer's URL.  Push/pull
 *   fans in many senders without one listener per pair (pair0 takes one
 *   peer per listener).  See ADR-0002 for nng 1.5.2's pitfalls we avoid.
 * - Sending encodes the envelope on the sender's thread into a queue item
 *   and pushes it on the peer's MPSC queue.  Whoever sets the peer's
 *   `busy` flag drains the queue into ONE nng message (up to max_batch
 *   bytes) and starts an aio send; the aio callback sends the next batch.
 *   So a lone message goes out at once, and messages that arrive while a
 *   send is in flight ride together in the next one.
 * - Receiving decodes every envelope in an nng message on nng's callback
 *   thread and posts them; a malformed or oversized envelope is counted
 *   and the rest of that nng message dropped (it cannot be resynchronised);
 *   the socket keeps serving.
 */
#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core_priv.h"

#define PEER_SENDBUF 256           /* nng messages buffered per peer */
#define PEER_QUEUE_MAX (64u << 20) /* bytes queued per peer before TC_EFULL */
#define MAX_PEERS 256

struct peer {
	struct tc__remote *r;
	uint16_t id;
	char name[64];
	nng_socket sock;
	nng_dialer dialer;
	nng_aio *aio;
	struct tc__mpsc q;
	_Atomic int busy;
	_Atomic size_t queued_bytes;
	struct tc_msg *carry; /* consumer-owned: popped but not yet sent */
	uint32_t inflight;    /* envelopes in the nng message in flight */
	_Atomic int stopping;
};

struct tc__remote {
	struct tc_node *node;
	struct tc__node_counters *ctr;
	size_t max_body, max_batch;
	bool listening;
	nng_socket lsock;
	nng_aio *raio;
	_Atomic int stopping;
	pthread_mutex_t lock; /* guards peers[] insertion and npeers */
	_Atomic(struct peer *) by_id[UINT16_MAX + 1];
	struct peer *peers[MAX_PEERS];
	size_t npeers;
};

static enum tc_err
err_from_nng(int rv)
{
	switch (rv) {
	case 0:
		return TC_OK;
	case NNG_ENOMEM:
		return TC_ENOMEM;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
		return TC_EINVAL;
	case NNG_EADDRINUSE:
		return TC_EEXIST;
	case NNG_ECONNREFUSED:
	case NNG_EUNREACHABLE:
		return TC_ECONNREFUSED;
	case NNG_ETIMEDOUT:
		return TC_ETIMEDOUT;
	case NNG_ECLOSED:
		return TC_ECLOSED;
	case NNG_ENOTSUP:
		return TC_ENOTSUP;
	case NNG_EPERM:
		return TC_EPERM;
	default:
		return TC_EIO;
	}
}

/* ---- sending ----------------------------------------------------------- */

static bool
peer_send_batch(struct peer *p)
{
	struct tc__remote *r = p->r;
	struct tc_msg *first = NULL, *last = NULL;
	nng_msg *nm;
	uint32_t n = 0;
	size_t bytes = 0;

	/* Take up to max_batch bytes off the queue, then copy them once. */
	for (;;) {
		struct tc_msg *m = p->carry != NULL ? p->carry : tc__mpsc_pop(&p->q);
		p->carry = NULL;
		if (m == NULL)
			break;
		if (n > 0 && bytes + m->len > r->max_batch) {
			p->carry = m;
			break;
		}
		atomic_store_explicit(&m->next, NULL, memory_order_relaxed);
		if (last != NULL)
			atomic_store_explicit(&last->next, m, memory_order_relaxed);
		else
			first = m;
		last = m;
		bytes += m->len;
		n++;
	}
	if (n == 0)
		return false;
	atomic_fetch_sub(&p->queued_bytes, bytes);
	bool ok = nng_msg_alloc(&nm, bytes) == 0;
	uint8_t *dst = ok ? nng_msg_body(nm) : NULL;
	while (first != NULL) {
		struct tc_msg *next = atomic_load_explicit(&first->next, memory_order_relaxed);
		if (ok) {
			memcpy(dst, first->body, first->len);
			dst += first->len;
		}
		tc_msg_free(first);
		first = next;
	}
	if (!ok) {
		tc_counter_add(r->ctr->remote_dropped, n);
		tc_log(TC_LOG_ERROR, "remote", "out of memory: %u envelopes to node %u lost", n,
		    p->id);
		return false;
	}
	p->inflight = n;
	tc_counter_add(r->ctr->remote_sent, n);
	tc_counter_add(r->ctr->remote_batches, 1);
	nng_aio_set_msg(p->aio, nm);
	nng_send_aio(p->sock, p->aio);
	return true;
}

/* Takes the peer's consumer role if free and sends what is queued. */
static void
peer_kick(struct peer *p)
{
	for (;;) {
		if (atomic_load(&p->busy) || atomic_exchange(&p->busy, 1))
			return;
		if (atomic_load(&p->stopping) || peer_send_batch(p)) {
			if (atomic_load(&p->stopping))
				atomic_store(&p->busy, 0);
			return;
		}
		atomic_store(&p->busy, 0);
		if (tc__mpsc_idle(&p->q))
			return;
	}
}

static void
peer_sent_cb(void *arg)
{
	struct peer *p = arg;
	int rv = nng_aio_result(p->aio);

	if (rv != 0) {
		nng_msg *nm = nng_aio_get_msg(p->aio);
		if (nm != NULL)
			nng_msg_free(nm);
		tc_counter_add(p->r->ctr->remote_dropped, p->inflight);
		if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
			tc_log(TC_LOG_WARN, "remote",
			    "send to node %u failed (%u envelopes lost): %s", p->id, p->inflight,
			    nng_strerror(rv));
	}
	p->inflight = 0;
	if (atomic_load(&p->stopping)) {
		atomic_store(&p->busy, 0);
		return;
	}
	if (peer_send_batch(p))
		return;
	atomic_store(&p->busy, 0);
	if (!tc__mpsc_idle(&p->q))
		peer_kick(p);
}

enum tc_err
tc__remote_send(struct tc__remote *r, struct tc_msg *msg, const char *to_name)
{
	struct peer *p = atomic_load(&r->by_id[msg->to.node]);
	struct tc_msg *e;
	enum tc_err rv;

	if (p == NULL || atomic_load(&p->stopping)) {
		tc_msg_free(msg);
		return p == NULL ? TC_ENOENT : TC_ESTOPPED;
	}
	if (atomic_load(&p->queued_bytes) > PEER_QUEUE_MAX) {
		tc_msg_free(msg);
		return TC_EFULL;
	}
	rv = tc__envelope_encode_msg(msg, to_name, &e);
	tc_msg_free(msg);
	if (rv != TC_OK)
		return rv;
	atomic_fetch_add(&p->queued_bytes, e->len);
	tc__mpsc_push(&p->q, e);
	peer_kick(p);
	return TC_OK;
}

/* ---- receiving --------------------------------------------------------- */

static void
recv_batch(struct tc__remote *r, const uint8_t *b, size_t len)
{
	uint16_t self = tc_node_id(r->node);
	size_t off = 0;

	while (off < len) {
		struct tc_msg *m;
		size_t used;
		char name[TC_NAME_MAX];
		enum tc_err rv =
		    tc_envelope_decode(b + off, len - off, r->max_body, &m, &used, name);
		if (rv != TC_OK) {
			tc_counter_add(rv == TC_ETOOBIG ? r->ctr->rejected_oversized
			                                : r->ctr->rejected_malformed,
			    1);
			tc_log(TC_LOG_WARN, "remote",
			    "node %u rejected an envelope at byte %zu of %zu: %s; rest of batch "
			    "dropped",
			    self, off, len, tc_strerror(rv));
			return;
		}
		off += used;
		if (m->to.node != self || m->type == TC_MSG_INIT ||
		    (name[0] == '\0' && m->to.id == 0)) {
			tc_counter_add(r->ctr->rejected_misaddressed, 1);
			tc_msg_free(m);
			continue;
		}
		tc_counter_add(r->ctr->remote_received, 1);
		rv = name[0] != '\0' ? tc__node_deliver_name(r->node, m, name, NULL)
		                     : tc__node_deliver(r->node, m);
		if (rv != TC_OK)
			tc_counter_add(r->ctr->dead_letters, 1);
	}
}

static void
recv_cb(void *arg)
{
	struct tc__remote *r = arg;
	int rv = nng_aio_result(r->raio);

	if (rv == 0) {
		nng_msg *nm = nng_aio_get_msg(r->raio);
		recv_batch(r, nng_msg_body(nm), nng_msg_len(nm));
		nng_msg_free(nm);
	} else if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		return;
	} else if (rv == NNG_EMSGSIZE) {
		tc_counter_add(r->ctr->rejected_oversized, 1);
	} else {
		tc_log(TC_LOG_WARN, "remote", "receive failed: %s", nng_strerror(rv));
	}
	if (!atomic_load(&r->stopping))
		nng_recv_aio(r->lsock, r->raio);
}

/* ---- set-up and teardown ----------------------------------------------- */

enum tc_err
tc__remote_new(struct tc_node *node, struct tc__remote **out)
{
	struct tc__remote *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return TC_ENOMEM;
	r->node = node;
	r->ctr = tc__node_counters(node);
	r->max_body = tc__node_max_body(node);
	r->max_batch = tc__node_max_batch(node);
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return TC_OK;
}

enum tc_err
tc__remote_listen(struct tc__remote *r, const char *url)
{
	int rv;

	if (r->listening)
		return TC_ESTATE;
	if ((rv = nng_pull0_open(&r->lsock)) != 0)
		return err_from_nng(rv);
	/* nng 1.5.2 has no receive cap by default: set one on every socket. */
	if ((rv = nng_socket_set_size(r->lsock, NNG_OPT_RECVMAXSZ, r->max_batch + 4096)) != 0 ||
	    (rv = nng_aio_alloc(&r->raio, recv_cb, r)) != 0) {
		nng_close(r->lsock);
		return err_from_nng(rv);
	}
	if ((rv = nng_listen(r->lsock, url, NULL, 0)) != 0) {
		tc_log(TC_LOG_ERROR, "remote", "cannot listen on %s: %s", url, nng_strerror(rv));
		nng_aio_free(r->raio);
		r->raio = NULL;
		nng_close(r->lsock);
		return err_from_nng(rv);
	}
	r->listening = true;
	nng_recv_aio(r->lsock, r->raio);
	return TC_OK;
}

static void
peer_free(struct peer *p)
{
	if (p->aio != NULL)
		nng_aio_free(p->aio);
	tc__mpsc_fini(&p->q);
	free(p);
}

enum tc_err
tc__remote_connect(struct tc__remote *r, uint16_t id, const char *name, const char *url)
{
	struct peer *p;
	int rv;
	enum tc_err err;

	if (atomic_load(&r->stopping))
		return TC_ESTOPPED;
	if (atomic_load(&r->by_id[id]) != NULL)
		return TC_EEXIST;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return TC_ENOMEM;
	p->r = r;
	p->id = id;
	snprintf(p->name, sizeof(p->name), "%s", name != NULL ? name : "");
	if ((err = tc__mpsc_init(&p->q)) != TC_OK) {
		free(p);
		return err;
	}
	if ((rv = nng_push0_open(&p->sock)) != 0) {
		peer_free(p);
		return err_from_nng(rv);
	}
	if ((rv = nng_socket_set_int(p->sock, NNG_OPT_SENDBUF, PEER_SENDBUF)) != 0 ||
	    (rv = nng_socket_set_size(p->sock, NNG_OPT_RECVMAXSZ, r->max_batch + 4096)) != 0 ||
	    (rv = nng_socket_set_ms(p->sock, NNG_OPT_RECONNMINT, 10)) != 0 ||
	    (rv = nng_socket_set_ms(p->sock, NNG_OPT_RECONNMAXT, 1000)) != 0 ||
	    (rv = nng_aio_alloc(&p->aio, peer_sent_cb, p)) != 0 ||
	    (rv = nng_dial(p->sock, url, &p->dialer, NNG_FLAG_NONBLOCK)) != 0) {
		tc_log(TC_LOG_ERROR, "remote", "cannot dial node %u at %s: %s", id, url,
		    nng_strerror(rv));
		nng_close(p->sock);
		peer_free(p);
		return err_from_nng(rv);
	}
	pthread_mutex_lock(&r->lock);
	if (r->npeers == MAX_PEERS || atomic_load(&r->by_id[id]) != NULL) {
		pthread_mutex_unlock(&r->lock);
		nng_close(p->sock);
		peer_free(p);
		return r->npeers == MAX_PEERS ? TC_EFULL : TC_EEXIST;
	}
	r->peers[r->npeers++] = p;
	atomic_store(&r->by_id[id], p);
	pthread_mutex_unlock(&r->lock);
	return TC_OK;
}

enum tc_err
tc__remote_peer_id(struct tc__remote *r, const char *name, uint16_t *id)
{
	enum tc_err rv = TC_ENOENT;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->npeers; i++) {
		if (r->peers[i]->name[0] != '\0' && strcmp(r->peers[i]->name, name) == 0) {
			*id = r->peers[i]->id;
			rv = TC_OK;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rv;
}

bool
tc__remote_idle(struct tc__remote *r)
{
	bool idle = true;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->npeers && idle; i++) {
		struct peer *p = r->peers[i];
		idle = !atomic_load(&p->busy) && tc__mpsc_idle(&p->q);
	}
	pthread_mutex_unlock(&r->lock);
	return idle;
}

uint32_t
tc__remote_stop(struct tc__remote *r)
{
	uint32_t discarded = 0;

	if (atomic_exchange(&r->stopping, 1))
		return 0;
	if (r->listening) {
		nng_aio_stop(r->raio);
		nng_close(r->lsock);
	}
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->npeers; i++) {
		struct peer *p = r->peers[i];
		atomic_store(&p->stopping, 1);
		nng_aio_stop(p->aio);
		nng_close(p->sock);
		/* Take the consumer role from any sender still inside a kick. */
		while (atomic_exchange(&p->busy, 1))
			sched_yield();
		struct tc_msg *m = p->carry;
		p->carry = NULL;
		if (m == NULL)
			m = tc__mpsc_pop(&p->q);
		while (m != NULL) {
			discarded++;
			tc_msg_free(m);
			m = tc__mpsc_pop(&p->q);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return discarded;
}

void
tc__remote_free(struct tc__remote *r)
{
	if (r == NULL)
		return;
	(void)tc__remote_stop(r);
	for (size_t i = 0; i < r->npeers; i++)
		peer_free(r->peers[i]);
	if (r->raio != NULL)
		nng_aio_free(r->raio);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
