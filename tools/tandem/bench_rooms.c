/*
 * tandem bench rooms - our room server beside a stock y-websocket server
 * (@y/websocket-server from npm), measured in one run with `tandem load`:
 *   1. the highest sustained updates/s with p99 edit latency under 50 ms
 *      at ROOMS rooms x 2 users (rates stepped up until one fails);
 *   2. server RSS per 1,000 connections (idle users, RSS before and after);
 *   3. cold-join time for a document with 10,000 prior updates.
 * Both servers run as child processes on free loopback ports.  First, the
 * floor under both: the same traffic through a bare relay (bench_relay.c),
 * what this host can move at all, and at what CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "load.h"
#include "tandem.h"

extern char **environ;

struct server {
	const char *label;
	pid_t pid;
	int port;
	int out_fd;
	char url[128];
	pthread_t drain;
	bool draining;
};

/* Keeps reading a server's output after it is ready: a full pipe would
 * stop the server at its next log line. */
static void *
drain_main(void *arg)
{
	struct server *s = arg;
	char buf[4096];
	while (read(s->out_fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

static int
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Starts argv with stdout+stderr on a pipe and waits for `ready` in it. */
static int
server_start(struct server *s, char *const argv[], const char *ready, char *const env[])
{
	int p[2];
	posix_spawn_file_actions_t fa;
	char buf[4096];
	size_t have = 0;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	int rc = posix_spawn(&s->pid, argv[0], &fa, NULL, argv, env != NULL ? env : environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		fprintf(stderr, "tandem bench rooms: cannot start %s: %s\n", argv[0], strerror(rc));
		close(p[0]);
		return -1;
	}
	s->out_fd = p[0];
	uint64_t deadline = now_ms() + 20000;
	while (now_ms() < deadline) {
		struct pollfd pfd = {s->out_fd, POLLIN, 0};
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		ssize_t n = read(s->out_fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, ready) != NULL) {
			s->draining = pthread_create(&s->drain, NULL, drain_main, s) == 0;
			return 0;
		}
		if (have > sizeof(buf) / 2) {
			memmove(buf, buf + have / 2, have - have / 2);
			have -= have / 2;
		}
	}
	fprintf(stderr, "tandem bench rooms: %s did not become ready; its output:\n%s\n", s->label,
	    buf);
	return -1;
}

static void
server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->draining) {
		pthread_join(s->drain, NULL); /* the pipe is at EOF once the server is gone */
		s->draining = false;
	}
	if (s->out_fd > 0)
		close(s->out_fd);
	s->out_fd = 0;
}

static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	return kib;
}

struct rss_probe {
	pid_t pid;
	long kib;
};

static void
probe_rss(void *arg)
{
	struct rss_probe *p = arg;
	p->kib = rss_kib(p->pid);
}

struct figures {
	double best_rate; /* updates/s delivered at the best passing step */
	double best_p99;
	double rss_per_1000_mib;
	double join_p50, join_p90;
	int ok;
};

static void
measure(struct server *s, unsigned rooms, double step_s, const double *rates, size_t nrates,
    struct figures *f)
{
	struct ld_options o = {.rooms = rooms,
	    .users = 2,
	    .cursors_per_s = 0,
	    .duration_s = step_s,
	    .warmup_s = 2,
	    .problem = "two-sum"};
	struct ld_report rep;
	char url[160];

	snprintf(url, sizeof(url), "%s", s->url);
	o.server = strncmp(url, "ws://", 5) == 0 ? LD_SERVER_YWS : LD_SERVER_TANDEM;
	snprintf(o.host, sizeof(o.host), "127.0.0.1");
	o.port = s->port;

	/* Memory: idle connections. */
	struct rss_probe probe = {s->pid, -1};
	long before = rss_kib(s->pid);
	o.edits_per_s = 0.2;
	o.on_measure = probe_rss;
	o.on_measure_arg = &probe;
	o.duration_s = 1;
	enum tc_err lrv = ld_run(&o, &rep);
	if (lrv != TC_OK)
		printf("  %-12s load failed: %s %s\n", s->label, tc_strerror(lrv), rep.first_error);
	if (lrv == TC_OK && probe.kib > 0 && before > 0 && rep.connected > 0)
		f->rss_per_1000_mib =
		    (double)(probe.kib - before) / 1024.0 * 1000.0 / (double)rep.connected;
	if (rep.errors > 0)
		printf("  %-12s errors: %s\n", s->label, rep.first_error);
	printf("  %-12s RSS %ld KiB idle, %ld KiB with %llu connections: %.1f MiB per 1,000\n",
	    s->label, before, probe.kib, (unsigned long long)rep.connected, f->rss_per_1000_mib);
	o.on_measure = NULL;
	o.duration_s = step_s;

	/* Throughput: step the rate up until p99 >= 50 ms or updates go missing. */
	for (size_t i = 0; i < nrates; i++) {
		o.edits_per_s = rates[i];
		enum tc_err rv = ld_run(&o, &rep);
		double expected = rates[i] * rooms * 2.0;
		bool pass = rv == TC_OK && rep.errors == 0 && rep.p99_ms < 50.0 &&
		            rep.delivered_per_s >= 0.95 * expected;
		printf("  %-12s %6.0f updates/s offered: delivered %8.0f/s  p50 %6.2f  p99 %7.2f  "
		       "p99.9 %7.2f ms  errors %llu  %s\n",
		    s->label, expected, rep.delivered_per_s, rep.p50_ms, rep.p99_ms, rep.p999_ms,
		    (unsigned long long)rep.errors, pass ? "ok" : "FAIL");
		fflush(stdout);
		if (!pass)
			break;
		f->best_rate = rep.delivered_per_s;
		f->best_p99 = rep.p99_ms;
		f->ok = 1;
	}

	/* Cold join of a document with 10,000 prior updates. */
	struct ld_options c = o;
	c.cold_join = 10000;
	c.joins = 20;
	if (ld_run(&c, &rep) == TC_OK && rep.joined > 0) {
		f->join_p50 = rep.join_p50_ms;
		f->join_p90 = rep.join_p90_ms;
	}
	printf("  %-12s cold join, 10,000 prior updates: p50 %.2f ms  p90 %.2f ms (%u joins)\n",
	    s->label, f->join_p50, f->join_p90, rep.joined);
}

/* The bare relay's steps, from 10 updates/s per user (it passes the lower
 * rates with room to spare); returns the highest passing rate. */
static double
floor_steps(unsigned rooms, double step_s, const double *per_user, size_t nrates, bool quick)
{
	double rates[16];
	struct relay_step st[16];
	size_t n = 0;
	for (size_t i = 0; i < nrates && n < 16; i++)
		if (quick || per_user[i] >= 10)
			rates[n++] = per_user[i] * rooms * 2.0;
	size_t ran = relay_floor(rooms, rates, n, 1.0, step_s, st);
	double best = 0;
	if (ran == 0)
		printf("  bare relay   could not start\n");
	for (size_t i = 0; i < ran; i++) {
		printf("  bare relay   %6.0f updates/s offered: delivered %8.0f/s  "
		       "p50 %6.2f  p99 %7.2f ms  CPU: client %3.0f%%, relay %3.0f%%  %s\n",
		    st[i].offered, st[i].delivered_per_s, st[i].p50_ms, st[i].p99_ms,
		    st[i].client_cpu * 100, st[i].relay_cpu * 100, st[i].pass ? "ok" : "FAIL");
		if (st[i].pass)
			best = st[i].delivered_per_s;
	}
	fflush(stdout);
	return best;
}

int
tandem_bench_rooms(int argc, char **argv)
{
	const char *yws = "tests/node/node_modules/@y/websocket-server/src/server.js";
	const char *node = "/usr/bin/node";
	unsigned rooms = 500;
	double step_s = 5;
	static const double all_rates[] = {1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200};
	size_t nrates = sizeof(all_rates) / sizeof(all_rates[0]);
	bool quick = false;
	char self[4096];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf(
			    "usage: tandem bench rooms [--rooms N] [--step S] [--quick]\n"
			    "                          [--yws PATH] [--node PATH]\n\n"
			    "Runs our server and a stock y-websocket server (@y/websocket-server,\n"
			    "installed by tools/setup under tests/node) as child processes and\n"
			    "drives both with `tandem load`: the highest sustained updates/s with\n"
			    "p99 under 50 ms at N rooms x 2 users (default 500), server RSS per\n"
			    "1,000 connections, and cold-join time for 10,000 prior updates.\n"
			    "First the floor: the same traffic through a bare relay (one epoll\n"
			    "loop copying bytes between loopback connections), with the CPU\n"
			    "its client and the relay used.\n"
			    "Run it from the repository's top directory.\n");
			return TANDEM_EXIT_OK;
		} else if (strcmp(a, "--quick") == 0) {
			rooms = 20, step_s = 1, nrates = 3, quick = true;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "tandem bench rooms: %s needs a value\n", a);
			return TANDEM_EXIT_USAGE;
		}
		i++;
		if (strcmp(a, "--rooms") == 0)
			rooms = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--step") == 0)
			step_s = strtod(v, NULL);
		else if (strcmp(a, "--yws") == 0)
			yws = v;
		else if (strcmp(a, "--node") == 0)
			node = v;
		else {
			fprintf(stderr, "tandem bench rooms: unknown option '%s'\n", a);
			return TANDEM_EXIT_USAGE;
		}
	}
	if (access(yws, R_OK) != 0 || access(node, X_OK) != 0) {
		fprintf(stderr,
		    "tandem bench rooms: needs %s and %s (run tools/setup, and run "
		    "from the repository's top directory)\n",
		    node, yws);
		return TANDEM_EXIT_ENV;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return TANDEM_EXIT_ENV;
	self[n] = '\0';
	tc_log_set_level(TC_LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);

	char datadir[] = "/tmp/tandem-bench-rooms-XXXXXX";
	if (mkdtemp(datadir) == NULL)
		return TANDEM_EXIT_ENV;
	struct server ours = {.label = "tandem"}, theirs = {.label = "y-websocket"};
	char port_s[16], yport_s[16], host_env[] = "HOST=127.0.0.1", yport_env[32];
	ours.port = free_port();
	theirs.port = free_port();
	snprintf(port_s, sizeof(port_s), "%d", ours.port);
	snprintf(yport_s, sizeof(yport_s), "%d", theirs.port);
	snprintf(yport_env, sizeof(yport_env), "PORT=%d", theirs.port);
	snprintf(ours.url, sizeof(ours.url), "http://127.0.0.1:%d", ours.port);
	snprintf(theirs.url, sizeof(theirs.url), "ws://127.0.0.1:%d", theirs.port);

	/* y-websocket has no per-connection rate limit: lift ours for the
	 * measurement (the cold-join writer sends 10,000 updates at once). */
	char *our_argv[] = {self, "serve", "--port", port_s, "--data", datadir, "--rate", "20000",
	    "--burst", "20000", NULL};
	char *their_argv[] = {(char *)node, (char *)yws, NULL};
	char *their_env[] = {host_env, yport_env, "NODE_ENV=production", NULL};
	struct figures fo = {0}, ft = {0};
	int status = TANDEM_EXIT_OK;

	printf("tandem bench rooms: %u rooms x 2 users, %.0f s per step\n\n", rooms, step_s);
	/* Before any server or thread of ours exists (the relay is forked). */
	double floor_rate = floor_steps(rooms, step_s, all_rates, nrates, quick);
	printf("\n");
	if (server_start(&theirs, their_argv, "running at", their_env) == 0)
		measure(&theirs, rooms, step_s, all_rates, nrates, &ft);
	else
		status = TANDEM_EXIT_ENV;
	server_stop(&theirs);
	printf("\n");
	if (server_start(&ours, our_argv, "TandemCode listening on", NULL) == 0)
		measure(&ours, rooms, step_s, all_rates, nrates, &fo);
	else
		status = TANDEM_EXIT_ENV;
	server_stop(&ours);

	printf("\nsummary (%u rooms x 2 users):\n", rooms);
	printf("  sustained updates/s, p99 < 50 ms   tandem %8.0f   y-websocket %8.0f   (%.1fx)\n",
	    fo.best_rate, ft.best_rate, ft.best_rate > 0 ? fo.best_rate / ft.best_rate : 0);
	printf("  the floor: a bare relay            %8.0f updates/s (no WebSocket, parsing or "
	       "storage)\n",
	    floor_rate);
	printf("  RSS per 1,000 connections          tandem %6.1f MiB  y-websocket %6.1f MiB  "
	       "(%.2fx)\n",
	    fo.rss_per_1000_mib, ft.rss_per_1000_mib,
	    ft.rss_per_1000_mib > 0 ? fo.rss_per_1000_mib / ft.rss_per_1000_mib : 0);
	printf("  cold join, 10,000 updates, p50     tandem %6.2f ms   y-websocket %6.2f ms   "
	       "(%.2fx)\n",
	    fo.join_p50, ft.join_p50, ft.join_p50 > 0 ? fo.join_p50 / ft.join_p50 : 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", datadir);
	if (system(cmd) != 0)
		fprintf(stderr, "tandem bench rooms: could not remove %s\n", datadir);
	return status;
}
