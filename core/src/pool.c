/*
 * pool.c - the blocking-work pool.  A fixed set of threads takes jobs from
 * a mutex-protected FIFO, runs them (they may block: database calls,
 * waiting on child processes) and posts TC_MSG_WORK_DONE {tag, rc} to the
 * actor that submitted them.  Scheduler threads never wait here.
 */
#include <msgpack.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"
#include "core_priv.h"

struct job {
	struct job *next;
	struct tc_addr owner;
	tc_work_fn fn;
	void *arg;
	uint64_t tag;
};

struct tc__pool {
	struct tc_node *node;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	pthread_cond_t idle_cv; /* signalled when nothing is queued or running */
	struct job *head, *tail;
	uint32_t queued, running;
	bool stop;
	pthread_t *threads;
	unsigned nthreads;
	bool started;
	unsigned want;
};

static void
post_done(struct tc__pool *p, const struct job *j, enum tc_err rc)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, j->tag);
	msgpack_pack_uint32(&pk, (uint32_t)rc);
	if (sb.data == NULL || tc_node_send(p->node, j->owner, TC_ADDR_NONE, TC_MSG_WORK_DONE,
	                           sb.data, sb.size) != TC_OK)
		tc_log(TC_LOG_DEBUG, "pool", "work done for an actor that is gone");
	msgpack_sbuffer_destroy(&sb);
}

static void *
pool_main(void *arg)
{
	struct tc__pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->head == NULL && !p->stop)
			pthread_cond_wait(&p->cv, &p->lock);
		if (p->stop)
			break;
		struct job *j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		p->running++;
		pthread_mutex_unlock(&p->lock);
		enum tc_err rc = j->fn(j->arg);
		post_done(p, j, rc);
		free(j);
		pthread_mutex_lock(&p->lock);
		p->running--;
		if (p->running == 0 && p->head == NULL)
			pthread_cond_broadcast(&p->idle_cv);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

enum tc_err
tc__pool_new(struct tc_node *node, unsigned threads, struct tc__pool **out)
{
	struct tc__pool *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return TC_ENOMEM;
	p->node = node;
	p->want = threads;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->idle_cv, NULL);
	*out = p;
	return TC_OK;
}

/* Threads start with the first job, so nodes that never block cost none. */
static enum tc_err
pool_start_locked(struct tc__pool *p)
{
	p->threads = calloc(p->want, sizeof(*p->threads));
	if (p->threads == NULL)
		return TC_ENOMEM;
	p->started = true;
	for (unsigned i = 0; i < p->want; i++) {
		if (pthread_create(&p->threads[i], NULL, pool_main, p) != 0)
			break;
		p->nthreads++;
	}
	return p->nthreads > 0 ? TC_OK : TC_ENOMEM;
}

enum tc_err
tc__pool_submit(struct tc__pool *p, struct tc_addr owner, tc_work_fn fn, void *arg, uint64_t tag)
{
	struct job *j = malloc(sizeof(*j));
	enum tc_err rv = TC_OK;

	if (j == NULL)
		return TC_ENOMEM;
	j->next = NULL;
	j->owner = owner;
	j->fn = fn;
	j->arg = arg;
	j->tag = tag;
	pthread_mutex_lock(&p->lock);
	if (p->stop)
		rv = TC_ESTOPPED;
	else if (!p->started)
		rv = pool_start_locked(p);
	if (rv == TC_OK) {
		if (p->tail != NULL)
			p->tail->next = j;
		else
			p->head = j;
		p->tail = j;
		p->queued++;
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&p->lock);
	if (rv != TC_OK)
		free(j);
	return rv;
}

void
tc__pool_wait_idle(struct tc__pool *p, uint32_t timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	while (p->queued + p->running > 0 && p->nthreads > 0) {
		if (pthread_cond_timedwait(&p->idle_cv, &p->lock, &dl) != 0)
			break;
	}
	pthread_mutex_unlock(&p->lock);
}

uint32_t
tc__pool_stop(struct tc__pool *p)
{
	uint32_t pending;

	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pending = p->queued + p->running;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
	return pending;
}

void
tc__pool_free(struct tc__pool *p)
{
	if (p == NULL)
		return;
	(void)tc__pool_stop(p);
	struct job *j = p->head;
	while (j != NULL) {
		struct job *next = j->next;
		free(j);
		j = next;
	}
	free(p->threads);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->idle_cv);
	free(p);
}
