/*
 * Cross-node delivery: two nodes in one process over inproc://, ipc:// and
 * tcp://; a raw nng peer sending hostile bytes; and two processes (this
 * one and xt_core_peer) talking by name over tcp://.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/actor.h"
#include "core/node.h"
#include "ct.h"
#include "xt.h"

enum {
	T_PING = TC_MSG_APP + 10,
	T_ECHO = TC_MSG_APP + 11, /* the echo's answer: type + 1 */
	T_SEQ = TC_MSG_APP + 20,
};

/* A free TCP port on 127.0.0.1 (bound to port 0, then released). */
static unsigned
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

enum transport {
	INPROC,
	IPC,
	TCP
};

struct site {
	enum transport tr;
	char *dir; /* ipc: the socket's temp dir */
};

/* Makes a URL for node `id` on transport tr. */
static void
make_url(struct site *s, int id, char *url, size_t len)
{
	static unsigned seq;
	switch (s->tr) {
	case INPROC:
		snprintf(url, len, "inproc://tc-core-remote-%d-%d-%u", (int)getpid(), id, seq++);
		break;
	case IPC:
		if (s->dir == NULL)
			cr_assert_not_null(s->dir = xt_tmpdir("core-remote"));
		snprintf(url, len, "ipc://%s/node%d-%u.sock", s->dir, id, seq++);
		break;
	case TCP:
		snprintf(url, len, "tcp://127.0.0.1:%u", free_port());
		break;
	}
}

/* Starts node id listening on a fresh URL; retries when a port was taken. */
static struct tc_node *
start_node(struct site *s, uint16_t id, const char *name, size_t max_body, char *url, size_t urllen)
{
	for (int attempt = 0; attempt < 10; attempt++) {
		struct tc_node_config cfg = {
		    .id = id, .name = name, .workers = 2, .max_body = max_body};
		struct tc_node *n;
		make_url(s, id, url, urllen);
		cfg.listen_url = url;
		XT_OK(tc_node_new(&cfg, &n));
		enum tc_err rv = tc_node_start(n);
		if (rv == TC_OK)
			return n;
		tc_node_free(n);
		cr_assert_eq(rv, TC_EEXIST, "listen on %s: %s", url, tc_strerror(rv));
	}
	cr_assert_fail("no free address after 10 attempts");
	return NULL;
}

static void
site_fini(struct site *s)
{
	if (s->dir != NULL) {
		xt_rmtree(s->dir);
		free(s->dir);
	}
}

/* The far side's echo: answers every message to its sender, type + 1. */
static enum tc_err
echo_script(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	if (m->type >= TC_MSG_APP && m->type != CT_SYNC && !tc_addr_is_none(m->from))
		return tc_send(ctx, m->from, m->type + 1, m->body, m->len);
	return TC_OK;
}

static struct ct_probe echo_probe; /* all echo/<id> actors share it */

static enum tc_err
echo_init(struct tc_ctx *ctx, void *arg, void **state)
{
	return ct_probe_on_init(ctx, &echo_probe, state);
}

static const struct tc_behaviour echo_b = {
    .kind = "echo", .init = echo_init, .handle = ct_probe_on_msg, .fini = ct_probe_on_fini};

/* A sequence receiver: counts out-of-order arrivals per message stream. */
static enum tc_err
seq_script(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	uint32_t seq;
	if (m->type == T_SEQ && m->len == sizeof(seq)) {
		memcpy(&seq, m->body, sizeof(seq));
		if (seq != p->u)
			atomic_fetch_add(&p->errors, 1);
		p->u = (uint64_t)seq + 1;
	}
	return TC_OK;
}

struct flood {
	struct tc_node *from_node;
	struct tc_addr to, from;
	uint32_t count;
	uint64_t failures;
};

static void *
flood_main(void *arg)
{
	struct flood *f = arg;
	for (uint32_t i = 0; i < f->count; i++) {
		if (tc_node_send(f->from_node, f->to, f->from, T_SEQ, &i, sizeof(i)) != TC_OK)
			f->failures++;
	}
	return NULL;
}

static void
two_nodes(enum transport tr)
{
	struct site s = {tr, NULL};
	char ua[512], ub[512];
	struct tc_node *a = start_node(&s, 1, "alpha", 0, ua, sizeof(ua));
	struct tc_node *b = start_node(&s, 2, "beta", 0, ub, sizeof(ub));
	struct ct_probe sa, sb;
	const uint32_t count = 20000;

	XT_OK(tc_node_connect(a, 2, "beta", ub));
	XT_OK(tc_node_connect(b, 1, "alpha", ua));
	XT_ERR(tc_node_connect(a, 2, "beta", ub), TC_EEXIST);
	ct_probe_init(&sa);
	ct_probe_init(&sb);
	ct_probe_init(&echo_probe);
	echo_probe.on_msg = echo_script;
	sa.on_msg = sb.on_msg = seq_script;
	struct tc_addr aa = ct_spawn_probe(a, &sa);
	struct tc_addr ba = ct_spawn_probe(b, &sb);
	cr_assert_eq(aa.node, 1);
	cr_assert_eq(ba.node, 2);

	/* Both ways, by address. */
	XT_OK(tc_node_send(a, ba, aa, T_PING, "a>b", 3));
	XT_OK(tc_node_send(b, aa, ba, T_PING, "b>a", 3));
	struct ct_rec r = ct_probe_rec(&sb, (size_t)ct_wait_type(&sb, T_PING));
	cr_assert(tc_addr_eq(r.from, aa));
	cr_assert_arr_eq(r.body, "a>b", 3);
	r = ct_probe_rec(&sa, (size_t)ct_wait_type(&sa, T_PING));
	cr_assert(tc_addr_eq(r.from, ba));
	cr_assert_arr_eq(r.body, "b>a", 3);

	/* By name, spawning on the far node; by node name and by node id. */
	XT_OK(tc_node_register_kind(b, "echo", &echo_b));
	XT_OK(tc_node_send_name(a, "echo/7@beta", aa, T_PING, "hello", 5, NULL));
	r = ct_probe_rec(&sa, (size_t)ct_wait_type(&sa, T_ECHO));
	cr_assert_arr_eq(r.body, "hello", 5);
	cr_assert_eq(r.from.node, 2);
	struct tc_addr echo7;
	XT_OK(tc_node_whereis(b, "echo/7", &echo7));
	cr_assert(tc_addr_eq(r.from, echo7));
	XT_OK(tc_node_send_name(a, "echo/7@2", aa, T_PING, "again", 5, NULL));
	cr_assert(ct_wait_count(&sa, T_ECHO, 2));
	cr_assert_eq(atomic_load(&echo_probe.inits), 1, "echo/7 was spawned twice");
	XT_ERR(tc_node_send_name(a, "echo/7@gamma", aa, T_PING, "x", 1, NULL), TC_ENOENT);

	/* Many messages each way at once: per-sender order holds, and they batch. */
	struct flood fa = {a, ba, aa, count, 0}, fb = {b, aa, ba, count, 0};
	pthread_t ta, tb;
	cr_assert_eq(pthread_create(&ta, NULL, flood_main, &fa), 0);
	cr_assert_eq(pthread_create(&tb, NULL, flood_main, &fb), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	cr_assert_eq(fa.failures + fb.failures, 0);
	cr_assert(ct_wait_ge(&sb.count, count + 1), "beta got %llu of %u",
	    (unsigned long long)atomic_load(&sb.count) - 1, count);
	cr_assert(ct_wait_ge(&sa.count, count + 3), "alpha got %llu of %u",
	    (unsigned long long)atomic_load(&sa.count) - 3, count);

	struct tc_node_stats st_a, st_b;
	tc_node_stats(a, &st_a);
	tc_node_stats(b, &st_b);
	cr_assert_geq(st_a.remote_sent, count + 3);
	cr_assert_lt(st_a.remote_batches, st_a.remote_sent, "no batching: %llu batches for %llu",
	    (unsigned long long)st_a.remote_batches, (unsigned long long)st_a.remote_sent);
	cr_assert_lt(st_b.remote_batches, st_b.remote_sent);
	cr_assert_geq(st_b.remote_received, count + 3);
	cr_assert_eq(st_a.rejected + st_b.rejected, 0);
	cr_assert_eq(st_a.remote_dropped + st_b.remote_dropped, 0);

	ct_node_stop_clean(a);
	ct_node_stop_clean(b);
	cr_assert_eq(atomic_load(&sa.errors), 0, "alpha saw messages out of order");
	cr_assert_eq(atomic_load(&sb.errors), 0, "beta saw messages out of order");
	cr_assert_eq(sa.u, count);
	cr_assert_eq(sb.u, count);
	ct_probe_fini(&sa);
	ct_probe_fini(&sb);
	ct_probe_fini(&echo_probe);
	site_fini(&s);
}

Test(core_remote, two_nodes_over_inproc, .timeout = 60)
{
	two_nodes(INPROC);
}

Test(core_remote, two_nodes_over_ipc, .timeout = 60)
{
	two_nodes(IPC);
}

Test(core_remote, two_nodes_over_tcp, .timeout = 60)
{
	two_nodes(TCP);
}

/* ---- a raw nng peer ---------------------------------------------------- */

static void
raw_send(nng_socket sock, const void *buf, size_t len)
{
	int rv = nng_send(sock, (void *)buf, len, 0);
	cr_assert_eq(rv, 0, "nng_send: %s", nng_strerror(rv));
}

static void
envelope(struct tc_addr to, const char *name, size_t body_len, uint8_t **buf, size_t *len)
{
	struct tc_msg *m;
	uint8_t *body = calloc(1, body_len + 1);
	size_t cap = 0;
	cr_assert_not_null(body);
	memcpy(body, "raw!", body_len < 4 ? body_len : 4);
	XT_OK(tc_msg_new(T_PING, body, body_len, &m));
	free(body);
	m->to = to;
	*buf = NULL;
	*len = 0;
	XT_OK(tc_envelope_encode(m, name, buf, len, &cap));
	tc_msg_free(m);
}

static void
raw_peer(enum transport tr)
{
	struct site s = {tr, NULL};
	char url[512];
	struct tc_node *n = start_node(&s, 2, "beta", 1024, url, sizeof(url));
	struct ct_probe sink;
	nng_socket sock;
	uint8_t *good, *trunc, *big, *other, *named, *batch = NULL;
	size_t lgood, ltrunc, lbig, lother, lnamed, lbatch = 0, cbatch = 0;
	struct tc_node_stats st;

	ct_probe_init(&sink);
	struct tc_addr sa;
	XT_OK(tc_spawn_named(n, "sink/1", &ct_probe_b, &sink, &sa));
	cr_assert(ct_wait_ge(&sink.inits, 1));

	envelope(sa, NULL, 16, &good, &lgood);
	envelope(sa, NULL, 16, &trunc, &ltrunc);
	ltrunc -= 5;
	envelope(sa, NULL, 2000, &big, &lbig);
	envelope((struct tc_addr){sa.id, 9}, NULL, 16, &other, &lother);
	envelope((struct tc_addr){0, 2}, "sink/1", 4, &named, &lnamed);

	cr_assert_eq(nng_push0_open(&sock), 0);
	int rv = nng_dial(sock, url, NULL, 0);
	cr_assert_eq(rv, 0, "dial %s: %s", url, nng_strerror(rv));

	raw_send(sock, "\xc1garbage", 8);
	raw_send(sock, trunc, ltrunc);
	raw_send(sock, big, lbig);
	raw_send(sock, other, lother);
	raw_send(sock, good, lgood);
	ct_wait_type(&sink, T_PING);
	/* One pipe, one receive at a time: the bad ones were all seen first. */
	tc_node_stats(n, &st);
	cr_assert_eq(st.rejected, 4, "rejected %llu", (unsigned long long)st.rejected);
	cr_assert_eq(st.remote_received, 1);
	cr_assert_eq(atomic_load(&sink.count), 1);

	/* Still serving: a named envelope, then a batch whose middle is bad. */
	raw_send(sock, named, lnamed);
	cr_assert(ct_wait_count(&sink, T_PING, 2));
	XT_OK(tc_envelope_encode(
	    &(struct tc_msg){.to = sa, .type = T_PING + 1}, NULL, &batch, &lbatch, &cbatch));
	size_t mid = lbatch;
	XT_OK(tc_envelope_encode(
	    &(struct tc_msg){.to = sa, .type = T_PING + 1}, NULL, &batch, &lbatch, &cbatch));
	batch[mid] = 0xc1; /* the second envelope is broken: it and the rest are dropped */
	XT_OK(tc_envelope_encode(
	    &(struct tc_msg){.to = sa, .type = T_PING + 1}, NULL, &batch, &lbatch, &cbatch));
	raw_send(sock, batch, lbatch);
	raw_send(sock, good, lgood);
	cr_assert(ct_wait_count(&sink, T_PING, 3));
	cr_assert_eq(ct_probe_count(&sink, T_PING + 1), 1);
	tc_node_stats(n, &st);
	cr_assert_eq(st.rejected, 5);
	cr_assert_eq(st.remote_received, 4);

	nng_close(sock);
	ct_node_stop_clean(n);
	free(good);
	free(trunc);
	free(big);
	free(other);
	free(named);
	free(batch);
	ct_probe_fini(&sink);
	site_fini(&s);
}

Test(core_remote, raw_peer_garbage_is_rejected_over_tcp, .timeout = 60)
{
	raw_peer(TCP);
}

Test(core_remote, raw_peer_garbage_is_rejected_over_inproc, .timeout = 60)
{
	raw_peer(INPROC);
}

/* ---- two processes ----------------------------------------------------- */

static pid_t peer_pid = -1;
static int peer_in = -1, peer_out = -1;

/* Always reaps the peer: closing its stdin asks it to stop; kill if it hangs. */
static void
reap_peer(void)
{
	if (peer_in >= 0)
		close(peer_in);
	peer_in = -1;
	if (peer_pid > 0) {
		int status;
		uint64_t end = xt_now_ms() + CT_DEADLINE_MS;
		while (waitpid(peer_pid, &status, WNOHANG) == 0) {
			if (xt_now_ms() > end) {
				kill(peer_pid, SIGKILL);
				waitpid(peer_pid, &status, 0);
				break;
			}
			poll(NULL, 0, 10);
		}
		peer_pid = -1;
	}
	if (peer_out >= 0)
		close(peer_out);
	peer_out = -1;
}

static const char *
peer_path(char *buf, size_t len)
{
	const char *env = getenv("XT_CORE_PEER");
	if (env != NULL && env[0] != '\0')
		return env;
	snprintf(buf, len, "%s/tests/integration/xt_core_peer", xt_build_root());
	return buf;
}

/* Starts the peer and reads its first line (bounded by the deadline). */
static void
spawn_peer(const char *listen, const char *test_url, char *line, size_t len)
{
	char path[4096];
	int in[2], out[2];
	const char *exe = peer_path(path, sizeof(path));

	cr_assert_eq(access(exe, X_OK), 0, "no peer program at %s", exe);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	peer_pid = fork();
	cr_assert_geq(peer_pid, 0);
	if (peer_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execl(exe, exe, listen, test_url, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	peer_in = in[1];
	peer_out = out[0];

	size_t got = 0;
	uint64_t end = xt_now_ms() + CT_DEADLINE_MS;
	while (got + 1 < len && memchr(line, '\n', got) == NULL) {
		struct pollfd pfd = {peer_out, POLLIN, 0};
		uint64_t now = xt_now_ms();
		cr_assert_lt(now, end, "the peer did not answer");
		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			continue;
		ssize_t k = read(peer_out, line + got, len - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	line[got] = '\0';
}

static void
reap_fini(void)
{
	reap_peer();
}

Test(core_remote, two_processes_talk_by_name_over_tcp, .timeout = 60, .fini = reap_fini)
{
	struct site s = {TCP, NULL};
	char url[512], peer_url[512], line[256];
	struct tc_node *n = NULL;
	struct ct_probe sink;

	signal(SIGPIPE, SIG_IGN);
	n = start_node(&s, 1, "test", 0, url, sizeof(url));
	for (int attempt = 0; attempt < 5; attempt++) {
		make_url(&s, 2, peer_url, sizeof(peer_url));
		spawn_peer(peer_url, url, line, sizeof(line));
		if (strcmp(line, "ready\n") == 0)
			break;
		reap_peer(); /* the port was taken meanwhile: try another */
	}
	cr_assert_str_eq(line, "ready\n");
	XT_OK(tc_node_connect(n, 2, "peer", peer_url));
	ct_probe_init(&sink);
	sink.on_msg = seq_script;
	struct tc_addr sa = ct_spawn_probe(n, &sink);

	XT_OK(tc_node_send_name(n, "echo/1@peer", sa, T_PING, "over tcp", 8, NULL));
	struct ct_rec r = ct_probe_rec(&sink, (size_t)ct_wait_type(&sink, T_PING + 1));
	cr_assert_eq(r.len, 8);
	cr_assert_arr_eq(r.body, "over tcp", 8);
	cr_assert_eq(r.from.node, 2);

	/* Echoed in order: T_SEQ comes back as T_SEQ + 1, so send T_SEQ - 1. */
	for (uint32_t i = 0; i < 1000; i++)
		XT_OK(tc_node_send_name(n, "echo/1@peer", sa, T_SEQ - 1, &i, sizeof(i), NULL));
	cr_assert(ct_wait_ge(&sink.count, 1001));
	cr_assert_eq(sink.u, 1000);
	cr_assert_eq(atomic_load(&sink.errors), 0, "echoes out of order");

	reap_peer();
	ct_node_stop_clean(n);
	ct_probe_fini(&sink);
	site_fini(&s);
}
