/*
 * bench_relay.c - the floor under any room server on this host, for
 * `tandem bench rooms`.
 *
 * Design notes
 * - The same traffic as the rooms' throughput steps (ROOMS rooms x 2 users,
 *   each user sending R updates/s to the other member) through the least a
 *   relay can do: a child process with one epoll loop that copies the bytes
 *   each loopback TCP connection receives to its partner's.  No WebSocket,
 *   no parsing, no rooms, no storage; the client is one epoll loop too,
 *   with no actors.
 * - Messages are MSG_BYTES long, about an edit's frame, and carry their send
 *   time; latency runs from the write to the partner's read, in this
 *   process's clock, as `tandem load` measures it.
 * - Each step reports delivered messages/s, p50/p99 latency, and the CPU
 *   the client and the relay used (a share of one CPU): what is left of
 *   the host for the work a real server and load generator do on top.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

#define MSG_BYTES 40
#define TICK_NS 1000000ull /* the client's send clock: 1 ms */
#define MAX_SAMPLES (4u << 20)

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void
tune(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
}

/* The relay: accept n connections into conn (allocated before the fork),
 * then copy what 2k receives to 2k+1 and back until the client hangs up.
 * Runs in its own process. */
static void
relay_main(int lfd, int *conn, unsigned n)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	static char buf[1 << 16];
	if (ep < 0)
		_exit(1);
	for (unsigned i = 0; i < n;) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		tune(c);
		conn[i] = c;
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &e) != 0)
			_exit(1);
		i++;
	}
	for (;;) {
		struct epoll_event ev[256];
		int k = epoll_wait(ep, ev, 256, -1);
		for (int i = 0; i < k; i++) {
			unsigned id = ev[i].data.u32;
			ssize_t r = read(conn[id], buf, sizeof(buf));
			if (r == 0)
				_exit(0);
			for (ssize_t off = 0; off < r;) {
				ssize_t w = write(conn[id ^ 1u], buf + off, (size_t)(r - off));
				if (w < 0 && errno != EAGAIN && errno != EINTR)
					_exit(1);
				off += w > 0 ? w : 0;
			}
		}
	}
}

struct client {
	unsigned n;
	int *fd;
	unsigned char (*part)[MSG_BYTES]; /* a message cut between reads */
	unsigned *plen;
	int ep, timer;
	double *lat;
	size_t nlat;
	uint64_t delivered;
};

/* Reads what connection id has; measures the messages sent in [from, end),
 * whenever they arrive. */
static void
client_read(struct client *c, unsigned id, uint64_t from, uint64_t end)
{
	static unsigned char buf[1 << 16];
	ssize_t r = read(c->fd[id], buf, sizeof(buf));
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	for (ssize_t off = 0; off < r;) {
		size_t take = MSG_BYTES - c->plen[id];
		if ((size_t)(r - off) < take)
			take = (size_t)(r - off);
		memcpy(c->part[id] + c->plen[id], buf + off, take);
		c->plen[id] += (unsigned)take;
		off += (ssize_t)take;
		if (c->plen[id] < MSG_BYTES)
			break;
		c->plen[id] = 0;
		uint64_t sent;
		memcpy(&sent, c->part[id], sizeof(sent));
		if (sent < from || sent >= end)
			continue;
		c->delivered++;
		if (c->nlat < MAX_SAMPLES)
			c->lat[c->nlat++] = (double)(now - sent) / 1e6;
	}
}

/* One step: send rate msgs/s round-robin over every connection for
 * warm_s + step_s, measuring the last step_s; then drain. */
static void
client_step(struct client *c, double rate, double warm_s, double step_s, struct relay_step *st)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	uint64_t from = t0 + (uint64_t)(warm_s * 1e9);
	uint64_t end = from + (uint64_t)(step_s * 1e9);
	uint64_t sent = 0, cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	unsigned next = 0;
	c->nlat = 0;
	c->delivered = 0;
	for (;;) {
		struct epoll_event ev[256];
		int k = epoll_wait(c->ep, ev, 256, 50);
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		if (now >= end + 500000000ull) /* sent until end, drained for 0.5 s */
			break;
		for (int i = 0; i < k; i++) {
			unsigned id = ev[i].data.u32;
			if (id != c->n) {
				client_read(c, id, from, end);
				continue;
			}
			uint64_t ticks;
			if (read(c->timer, &ticks, sizeof(ticks)) < 0 || now >= end)
				continue;
			/* Catch up with the schedule: what a paced sender owes by now. */
			uint64_t due = (uint64_t)(rate * (double)(now - t0) / 1e9);
			unsigned char msg[MSG_BYTES] = {0};
			memcpy(msg, &now, sizeof(now));
			for (; sent < due; sent++, next = (next + 1) % c->n)
				if (write(c->fd[next], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
					st->errors++;
		}
	}
	st->offered = rate;
	st->delivered_per_s = (double)c->delivered / step_s;
	st->client_cpu =
	    (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0) / 1e9 / (warm_s + step_s + 0.5);
	qsort(c->lat, c->nlat, sizeof(double), cmp_double);
	st->p50_ms = c->nlat ? c->lat[c->nlat / 2] : 0;
	st->p99_ms = c->nlat ? c->lat[(size_t)((double)c->nlat * 0.99)] : 0;
}

static double
proc_cpu_s(pid_t pid)
{
	char path[64];
	unsigned long ut = 0, stime = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	/* utime and stime are fields 14 and 15; comm (field 2) has no spaces here */
	if (fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stime) !=
	    2)
		ut = stime = 0;
	fclose(f);
	return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

size_t
relay_floor(unsigned pairs, const double *rates, size_t nrates, double warm_s, double step_s,
    struct relay_step *steps)
{
	struct client c = {.n = 2 * pairs, .ep = -1, .timer = -1};
	size_t done = 0;
	ld_raise_nofile(); /* two descriptors per user, one here, one in the relay */
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(lfd, (int)c.n) != 0 || getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
		if (lfd >= 0)
			close(lfd);
		return 0;
	}
	c.fd = calloc(c.n, sizeof(int));
	pid_t pid = c.fd != NULL ? fork() : -1;
	if (pid == 0)
		relay_main(lfd, c.fd, c.n);
	close(lfd);
	if (pid < 0) {
		free(c.fd);
		return 0;
	}
	c.part = calloc(c.n, MSG_BYTES);
	c.plen = calloc(c.n, sizeof(unsigned));
	c.lat = malloc(MAX_SAMPLES * sizeof(double));
	c.ep = epoll_create1(EPOLL_CLOEXEC);
	c.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	unsigned opened = 0;
	if (c.fd == NULL || c.part == NULL || c.plen == NULL || c.lat == NULL || c.ep < 0 ||
	    c.timer < 0)
		goto out;
	for (; opened < c.n; opened++) {
		c.fd[opened] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c.fd[opened] < 0)
			goto out;
		if (connect(c.fd[opened], (struct sockaddr *)&a, sizeof(a)) != 0) {
			close(c.fd[opened]);
			goto out;
		}
		tune(c.fd[opened]);
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = opened};
		epoll_ctl(c.ep, EPOLL_CTL_ADD, c.fd[opened], &e);
	}
	struct itimerspec its = {{0, TICK_NS}, {0, TICK_NS}};
	struct epoll_event te = {.events = EPOLLIN, .data.u32 = c.n};
	if (timerfd_settime(c.timer, 0, &its, NULL) != 0 ||
	    epoll_ctl(c.ep, EPOLL_CTL_ADD, c.timer, &te) != 0)
		goto out;
	for (; done < nrates; done++) {
		struct relay_step *st = &steps[done];
		memset(st, 0, sizeof(*st));
		double relay0 = proc_cpu_s(pid);
		client_step(&c, rates[done], warm_s, step_s, st);
		st->relay_cpu = (proc_cpu_s(pid) - relay0) / (warm_s + step_s + 0.5);
		st->pass = st->errors == 0 && st->p99_ms < 50.0 &&
		           st->delivered_per_s >= 0.95 * st->offered;
	}
out:
	for (unsigned i = 0; i < opened; i++)
		close(c.fd[i]); /* the relay exits when its first connection ends */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (c.ep >= 0)
		close(c.ep);
	if (c.timer >= 0)
		close(c.timer);
	free(c.fd);
	free(c.part);
	free(c.plen);
	free(c.lat);
	return done;
}
