/*
 * test_jwks_watch.c - a JWKS URL is watched: a rotated key is picked up
 * when a token names it, early fetches are rate limited, and a provider
 * that was down at start is tried again.  The provider is a small HTTP
 * server on loopback in this process whose document the test swaps.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gateway/auth.h"
#include "gwt.h"
#include "xt.h"

/* ---- a JWKS provider ---------------------------------------------------- */

struct provider {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t lock;
	char *doc;        /* the JWKS served; NULL answers 503 */
	atomic_uint hits; /* requests answered */
	atomic_bool stop;
};

static void
provider_answer(struct provider *p, int c)
{
	char req[4096], head[256];
	size_t got = 0;
	/* read the request head (curl sends it in one go; no body) */
	while (got < sizeof(req) - 1) {
		ssize_t n = read(c, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	pthread_mutex_lock(&p->lock);
	char *body = p->doc != NULL ? strdup(p->doc) : NULL;
	pthread_mutex_unlock(&p->lock);
	if (body != NULL)
		snprintf(head, sizeof(head),
		    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		    strlen(body));
	else
		snprintf(head, sizeof(head),
		    "HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	if (write(c, head, strlen(head)) < 0 || (body != NULL && write(c, body, strlen(body)) < 0))
		fprintf(stderr, "provider: write failed\n");
	free(body);
	atomic_fetch_add(&p->hits, 1);
}

static void *
provider_main(void *arg)
{
	struct provider *p = arg;
	while (!atomic_load(&p->stop)) {
		struct pollfd pfd = {p->fd, POLLIN, 0};
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		int c = accept(p->fd, NULL, NULL);
		if (c < 0)
			continue;
		provider_answer(p, c);
		close(c);
	}
	return NULL;
}

static void
provider_start(struct provider *p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t sl = sizeof(sa);
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(p->fd >= 0);
	cr_assert_eq(bind(p->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(p->fd, 16), 0);
	cr_assert_eq(getsockname(p->fd, (struct sockaddr *)&sa, &sl), 0);
	p->port = ntohs(sa.sin_port);
	cr_assert_eq(pthread_create(&p->thread, NULL, provider_main, p), 0);
}

static void
provider_serve(struct provider *p, char *doc)
{
	pthread_mutex_lock(&p->lock);
	free(p->doc);
	p->doc = doc;
	pthread_mutex_unlock(&p->lock);
}

static void
provider_stop(struct provider *p)
{
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	close(p->fd);
	free(p->doc);
	pthread_mutex_destroy(&p->lock);
}

/* ---- fixtures ----------------------------------------------------------- */

static EVP_PKEY *k1, *k2;

static void
keys_up(void)
{
	k1 = gwt_key_cached(GWT_EC, "watch-1");
	k2 = gwt_key_cached(GWT_EC, "watch-2");
	cr_assert(k1 != NULL && k2 != NULL);
}

static void
keys_down(void)
{
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static char *
jwks_of(EVP_PKEY *k, const char *kid)
{
	EVP_PKEY *keys[1] = {k};
	const char *kids[1] = {kid};
	return gwt_jwks(keys, kids, 1);
}

static char *
token_of(EVP_PKEY *k, const char *kid)
{
	char claims[256];
	snprintf(claims, sizeof(claims), "{\"sub\":\"u-1\",\"name\":\"Ada\",\"exp\":%lld}",
	    (long long)time(NULL) + 600);
	return gwt_jwt(k, "ES256", kid, claims, NULL);
}

static enum gw_auth_fail
verify(struct gw_auth *a, const char *tok)
{
	struct gw_identity id;
	enum gw_auth_fail why = GW_AUTH_OK;
	gw_auth_verify(a, tok, strlen(tok), time(NULL), &id, &why);
	return why;
}

struct verified {
	struct gw_auth *a;
	const char *tok;
};

static bool
now_verifies(void *arg)
{
	struct verified *v = arg;
	return verify(v->a, v->tok) == GW_AUTH_OK;
}

static struct gw_auth *
auth_for(struct provider *p, unsigned min_gap_s, char *url, size_t cap)
{
	struct gw_auth *a;
	snprintf(url, cap, "http://127.0.0.1:%d/.well-known/jwks.json", p->port);
	struct gw_auth_config cfg = {.guest_secret = "x",
	    .jwks_url = url,
	    .jwks_refresh_s = 3600,
	    .jwks_min_gap_s = min_gap_s};
	XT_OK(gw_auth_new(&cfg, NULL, &a, NULL, 0));
	return a;
}

/* watched: a provider serving doc, and an auth service that fetched it
 * once and watches it. */
static struct gw_auth *
watched(struct provider *p, char *doc, unsigned min_gap_s, char *url, size_t cap)
{
	provider_start(p);
	provider_serve(p, doc);
	struct gw_auth *a = auth_for(p, min_gap_s, url, cap);
	XT_OK(gw_auth_refresh(a));
	XT_OK(gw_auth_watch(a));
	return a;
}

TestSuite(gateway_jwks_watch, .init = keys_up, .fini = keys_down, .timeout = 60);

Test(gateway_jwks_watch, rotated_key_is_fetched_when_a_token_names_it)
{
	struct provider p;
	char url[128];
	struct gw_auth *a = watched(&p, jwks_of(k1, "old"), 1, url, sizeof(url));
	XT_ERR(gw_auth_watch(a), TC_ESTATE);

	char *t1 = token_of(k1, "old"), *t2 = token_of(k2, "new");
	cr_assert_eq(verify(a, t1), GW_AUTH_OK);
	/* the provider rotates: the new key is published, then used */
	provider_serve(&p, jwks_of(k2, "new"));
	/* the first token naming it is refused and asks for a fetch */
	cr_assert_eq(verify(a, t2), GW_AUTH_KEY);
	struct verified v = {a, t2};
	cr_assert(xt_wait_until(now_verifies, &v, 10000), "the rotated key was never fetched");
	/* the old key is gone from the set now */
	cr_assert_eq(verify(a, t1), GW_AUTH_KEY);

	struct gw_auth_stats st;
	gw_auth_stats_get(a, &st);
	cr_assert_geq(st.fetches, 2);
	cr_assert_geq(st.early_asked, 1);
	cr_assert_eq(st.fetch_failures, 0);
	free(t1);
	free(t2);
	gw_auth_free(a);
	provider_stop(&p);
}

Test(gateway_jwks_watch, forged_kids_do_not_hammer_the_provider)
{
	struct provider p;
	char url[128];
	/* a long minimum gap: the start's fetch blocks every early one */
	struct gw_auth *a = watched(&p, jwks_of(k1, "k1"), 3600, url, sizeof(url));

	char *forged = token_of(k2, "nope");
	for (int i = 0; i < 50; i++)
		cr_assert_eq(verify(a, forged), GW_AUTH_KEY);
	struct gw_auth_stats st;
	gw_auth_stats_get(a, &st);
	cr_assert_eq(st.early_asked, 0);
	cr_assert_eq(st.early_dropped, 50);
	cr_assert_eq(st.fetches, 1);
	free(forged);
	gw_auth_free(a); /* joins the watcher */
	cr_assert_eq(
	    atomic_load(&p.hits), 1, "the provider was asked %u times", atomic_load(&p.hits));
	provider_stop(&p);
}

Test(gateway_jwks_watch, provider_down_at_start_is_tried_again)
{
	struct provider p;
	char url[128];
	provider_start(&p); /* serves 503 until a document is set */
	struct gw_auth *a = auth_for(&p, 1, url, sizeof(url));
	cr_assert_neq(gw_auth_refresh(a), TC_OK);
	XT_OK(gw_auth_watch(a));

	char *t = token_of(k1, "k1");
	cr_assert_eq(verify(a, t), GW_AUTH_DISABLED);
	provider_serve(&p, jwks_of(k1, "k1"));
	struct verified v = {a, t};
	cr_assert(xt_wait_until(now_verifies, &v, 10000), "never recovered from the failed start");
	struct gw_auth_stats st;
	gw_auth_stats_get(a, &st);
	cr_assert_geq(st.fetch_failures, 1);
	cr_assert_geq(st.fetches, 1);
	free(t);
	gw_auth_free(a);
	provider_stop(&p);
}

Test(gateway_jwks_watch, no_url_no_watcher)
{
	struct gw_auth *a;
	struct gw_auth_config cfg = {.guest_secret = "x"};
	XT_OK(gw_auth_new(&cfg, NULL, &a, NULL, 0));
	XT_OK(gw_auth_watch(a));
	XT_OK(gw_auth_refresh(a));
	struct gw_auth_stats st;
	gw_auth_stats_get(a, &st);
	cr_assert_eq(st.fetches, 0);
	gw_auth_free(a);
}
