/*
 * sandbox/src/exec.c - running one request in a box and measuring it from
 * outside.
 *
 * Design notes
 * - Every run gets five fresh pipes: stdin, stdout, stderr, the request and
 *   the result.  With a zygote the child ends travel to it by SCM_RIGHTS
 *   and it forks the child that receives them; on the fresh path they
 *   become fds 0..4 of a new box.  Either way only the process that runs
 *   the test ever holds its input.
 * - One poll loop feeds the request and stdin, drains stdout, stderr and
 *   the result under hard caps, and watches the end of the run: the
 *   zygote's "done" frame, or the box's pidfd on the fresh path.  A wall
 *   deadline or an output cap kills the whole box; a zygote is then gone
 *   and the executor reports it is not running.
 * - CPU time and peak memory come from the worker's cgroup around the run
 *   (zygote) or from wait4's rusage (fresh path), never from inside.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "sbx_priv.h"

#define RESULT_CAP (48u << 20)
#define FRAME_CAP (64u << 20)
#define ZERR_CAP 4096

struct buf {
	char *data;
	size_t len, cap, limit;
	bool over;
};

/* Read what is there; false at end of file or error, and when drained
 * (EAGAIN) if drain is set. */
static bool
buf_read_(struct buf *b, int fd, bool drain)
{
	char tmp[65536];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n < 0)
		return !drain && (errno == EAGAIN || errno == EINTR);
	if (n == 0)
		return false;
	size_t keep = (size_t)n;
	if (b->len + keep > b->limit) {
		keep = b->limit - b->len;
		b->over = true;
	}
	if (b->len + keep + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->len + keep + 1)
			nc *= 2;
		if (nc > b->limit + 1)
			nc = b->limit + 1;
		char *d = realloc(b->data, nc);
		if (d == NULL) {
			b->over = true;
			return true;
		}
		b->data = d;
		b->cap = nc;
	}
	memcpy(b->data + b->len, tmp, keep);
	b->len += keep;
	b->data[b->len] = '\0';
	return true;
}

static bool
buf_read(struct buf *b, int fd)
{
	return buf_read_(b, fd, false);
}

void
sbx__exec_fini(struct sbx_exec *e)
{
	free(e->result);
	free(e->out);
	free(e->err);
	memset(e, 0, sizeof(*e));
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- frames on the zygote's control socket -------------------------------- */

static enum tc_err
send_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return TC_ECLOSED;
		}
		p += n;
		len -= (size_t)n;
	}
	return TC_OK;
}

static enum tc_err
send_frame(int sock, const char *json, const int *fds, int nfds)
{
	size_t len = strlen(json);
	unsigned char hdr[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
	    (unsigned char)(len >> 8), (unsigned char)len};
	if (nfds > 0) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * 8)];
			struct cmsghdr align;
		} u;
		memset(&u, 0, sizeof(u));
		/* The header and the body in one message: the zygote reads both
		 * with one recvmsg. */
		struct iovec iov[2] = {{hdr, 4}, {(void *)json, len}};
		struct msghdr m = {0};
		m.msg_iov = iov;
		m.msg_iovlen = 2;
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
		ssize_t n;
		do
			n = sendmsg(sock, &m, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 4)
			return TC_ECLOSED;
		return send_all(sock, json + (n - 4), len - (size_t)(n - 4));
	}
	if (send_all(sock, hdr, 4) != TC_OK)
		return TC_ECLOSED;
	return send_all(sock, json, len);
}

/* Frame reader state: header then payload, non-blocking. */
struct frame_rd {
	unsigned char hdr[4];
	size_t got;
	size_t need;
	char *data;
	bool done, bad;
};

static bool
frame_feed(struct frame_rd *f, int fd)
{
	if (f->got < 4) {
		ssize_t n = read(fd, f->hdr + f->got, 4 - f->got);
		if (n <= 0)
			return n < 0 && (errno == EAGAIN || errno == EINTR);
		f->got += (size_t)n;
		if (f->got == 4) {
			f->need = (size_t)f->hdr[0] << 24 | (size_t)f->hdr[1] << 16 |
			          (size_t)f->hdr[2] << 8 | f->hdr[3];
			if (f->need > FRAME_CAP) {
				f->bad = true;
				return false;
			}
			f->data = malloc(f->need + 1);
			if (f->data == NULL) {
				f->bad = true;
				return false;
			}
			if (f->need == 0) {
				f->data[0] = '\0';
				f->done = true;
			}
		}
		return true;
	}
	size_t have = f->got - 4;
	ssize_t n = read(fd, f->data + have, f->need - have);
	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	f->got += (size_t)n;
	if (f->got - 4 == f->need) {
		f->data[f->need] = '\0';
		f->done = true;
	}
	return true;
}

/* Blocking read of one frame with a deadline. */
static enum tc_err
recv_frame(int sock, unsigned timeout_ms, char **out)
{
	struct frame_rd f = {0};
	uint64_t end = sbx__now_ms() + timeout_ms;
	while (!f.done) {
		uint64_t now = sbx__now_ms();
		if (now >= end) {
			free(f.data);
			return TC_ETIMEDOUT;
		}
		struct pollfd p = {sock, POLLIN, 0};
		int rc = poll(&p, 1, (int)(end - now));
		if (rc < 0 && errno != EINTR) {
			free(f.data);
			return TC_EIO;
		}
		if (rc > 0 && !frame_feed(&f, sock)) {
			free(f.data);
			return TC_ECLOSED;
		}
	}
	*out = f.data;
	return TC_OK;
}

/* Start a zygote box: x->box, x->ctl and x->zerr on success. */
static enum tc_err
zygote_box(struct sbx_worker *w, unsigned lane, const struct sbx_policy *policy,
    struct sbx_box *box, int *ctl, int *zerr)
{
	int sv[2] = {-1, -1}, ep[2] = {-1, -1};
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    pipe2(ep, O_CLOEXEC) != 0) {
		close_fd(&sv[0]);
		close_fd(&sv[1]);
		return TC_EIO;
	}
	struct sbx_box_spec spec = {policy, "zygote", {-1, -1, ep[1], sv[1], -1}, false, lane};
	enum tc_err err = sbx__box_start(w, &spec, box);
	close(sv[1]);
	close(ep[1]);
	if (err != TC_OK) {
		close(sv[0]);
		close(ep[0]);
		return err;
	}
	*ctl = sv[0];
	*zerr = ep[0];
	return TC_OK;
}

/* ---- warm zygotes ----------------------------------------------------------- */

static bool
same_strings(const char *const *a, const char *const *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return false;
	}
	return true;
}

/* Whether boxes started with a and with b are alike (what a zygote box takes from a policy). */
static bool
same_box_shape(const struct sbx_policy *a, const struct sbx_policy *b)
{
	return a->max_files == b->max_files && a->max_file_bytes == b->max_file_bytes &&
	       a->max_procs == b->max_procs && a->tmpfs_kb == b->tmpfs_kb && a->uid == b->uid &&
	       a->nbinds == b->nbinds && a->nenv == b->nenv &&
	       same_strings(a->ro_binds, b->ro_binds, a->nbinds) &&
	       same_strings(a->env, b->env, a->nenv);
}

/* Copy p into the worker, with its strings in one owned block. */
static enum tc_err
keep_warm_policy(struct sbx_worker *w, const struct sbx_policy *p)
{
	if (w->warm_strs != NULL && same_box_shape(&w->warm_policy, p))
		return TC_OK;
	size_t need = 1;
	for (unsigned i = 0; i < p->nbinds && i < SBX_MAX_BINDS; i++)
		need += strlen(p->ro_binds[i]) + 1;
	for (unsigned i = 0; i < p->nenv && i < SBX_MAX_ENV; i++)
		need += strlen(p->env[i]) + 1;
	char *blob = malloc(need), *o = blob;
	if (blob == NULL)
		return TC_ENOMEM;
	struct sbx_policy c = *p;
	for (unsigned i = 0; i < p->nbinds && i < SBX_MAX_BINDS; i++) {
		c.ro_binds[i] = strcpy(o, p->ro_binds[i]);
		o += strlen(o) + 1;
	}
	for (unsigned i = 0; i < p->nenv && i < SBX_MAX_ENV; i++) {
		c.env[i] = strcpy(o, p->env[i]);
		o += strlen(o) + 1;
	}
	free(w->warm_strs);
	w->warm_strs = blob;
	w->warm_policy = c;
	return TC_OK;
}

/* zygote_kill ends a zygote box and closes its control and stderr ends. */
static void
zygote_kill(struct sbx_worker *w, struct sbx_box *box, int *ctl, int *zerr)
{
	sbx__box_kill(w, box);
	close_fd(ctl);
	close_fd(zerr);
	memset(box, 0, sizeof(*box));
}

static void
warm_kill(struct sbx_worker *w, struct sbx_warm *z)
{
	if (z->ctl >= 0)
		zygote_kill(w, &z->box, &z->ctl, &z->zerr);
	z->booted = false;
}

void
sbx__warm_drop(struct sbx_worker *w)
{
	for (int i = 0; i < SBX_WARM_N; i++)
		warm_kill(w, &w->warm[i]);
}

void
sbx__warm_fill(struct sbx_worker *w, const struct sbx_policy *p)
{
	if (w->warm_off)
		return;
	if (keep_warm_policy(w, p) != TC_OK)
		return;
	for (int i = 0; i < SBX_WARM_N; i++) {
		struct sbx_warm *z = &w->warm[i];
		if (z->ctl >= 0 || z->lane >= w->lanes)
			continue;
		if (zygote_box(w, z->lane, &w->warm_policy, &z->box, &z->ctl, &z->zerr) != TC_OK) {
			tc_log(TC_LOG_WARN, "sandbox", "worker %u: a warm zygote did not start",
			    w->id);
			z->ctl = z->zerr = -1;
			memset(&z->box, 0, sizeof(z->box));
			return;
		}
	}
}

static void *
fill_main(void *arg)
{
	struct sbx_worker *w = arg;
	sbx__warm_fill(w, &w->warm_policy);
	return NULL;
}

void
sbx__warm_fill_async(struct sbx_worker *w, const struct sbx_policy *p)
{
	sbx__warm_wait(w);
	if (w->warm_off || keep_warm_policy(w, p) != TC_OK)
		return;
	if (pthread_create(&w->filler, NULL, fill_main, w) == 0)
		w->filling = true;
	else
		sbx__warm_fill(w, &w->warm_policy);
}

void
sbx__warm_wait(struct sbx_worker *w)
{
	if (w->filling) {
		pthread_join(w->filler, NULL);
		w->filling = false;
	}
}

unsigned
sbx__warm_pids(const struct sbx_worker *w, pid_t *pids)
{
	unsigned n = 0;
	for (int i = 0; i < SBX_WARM_N; i++) {
		if (w->warm[i].ctl >= 0 && w->warm[i].box.pid > 0)
			pids[n++] = w->warm[i].box.pid;
	}
	return n;
}

/* Whether a frame is a zygote's {"booted":true}. */
static bool
is_booted(const char *frame)
{
	return strstr(frame, "\"booted\"") != NULL;
}

/*
 * The state of a warm zygote: -1 dead, 0 still starting, 1 booted.  A warm
 * zygote writes its booted frame and then nothing before its first frame,
 * so a readable socket after that frame is its end.  Waits up to
 * timeout_ms for the booted frame.
 */
static int
warm_state(struct sbx_warm *z, unsigned timeout_ms)
{
	struct pollfd pf = {z->ctl, POLLIN, 0};
	int rc = poll(&pf, 1, z->booted ? 0 : (int)timeout_ms);
	if (rc > 0 && !z->booted) {
		char *frame = NULL;
		if (recv_frame(z->ctl, 1000, &frame) != TC_OK || !is_booted(frame)) {
			free(frame);
			return -1;
		}
		free(frame);
		z->booted = true;
		return warm_state(z, 0);
	}
	if (rc != 0 || sbx__box_reap(&z->box, false, NULL, NULL))
		return -1;
	return z->booted ? 1 : 0;
}

/*
 * Take a live warm zygote of the right shape into x.  One that died is
 * reaped and skipped.
 */
static bool
warm_take(struct sbx_executor *x)
{
	struct sbx_worker *w = x->w;
	for (int i = 0; i < SBX_WARM_N; i++) {
		struct sbx_warm *z = &w->warm[i];
		if (z->ctl < 0 || z->lane != x->lane)
			continue;
		bool dead = warm_state(z, 0) < 0;
		if (dead || !same_box_shape(&w->warm_policy, &x->policy)) {
			if (dead)
				tc_log(TC_LOG_WARN, "sandbox",
				    "worker %u: a warm zygote died before use; starting another",
				    w->id);
			warm_kill(w, z);
			continue;
		}
		x->box = z->box;
		x->ctl = z->ctl;
		x->zerr = z->zerr;
		x->booted = z->booted;
		z->ctl = z->zerr = -1;
		z->booted = false;
		memset(&z->box, 0, sizeof(z->box));
		return true;
	}
	return false;
}

enum tc_err
sbx_worker_settle(struct sbx_worker *w, unsigned timeout_ms)
{
	sbx__warm_wait(w);
	uint64_t end = sbx__now_ms() + timeout_ms;
	for (int i = 0; i < SBX_WARM_N; i++) {
		struct sbx_warm *z = &w->warm[i];
		while (z->ctl >= 0 && !z->booted) {
			uint64_t now = sbx__now_ms();
			if (now >= end)
				return TC_ETIMEDOUT;
			if (warm_state(z, (unsigned)(end - now)) < 0) {
				warm_kill(w, z); /* the next judging starts one cold */
				break;
			}
		}
	}
	return TC_OK;
}

/* ---- the executor ----------------------------------------------------------- */

static char *
make_init(struct sbx_worker *w, const struct sbx_policy *p, const char *modules, const char *entry,
    bool zygote)
{
	char limits[256];
	if (zygote)
		snprintf(limits, sizeof(limits),
		    "{\"cpu_s\":%u,\"as_bytes\":%llu,\"fsize\":%llu,\"nofile\":%u,\"nproc\":%u,"
		    "\"stack\":%llu}",
		    (p->cpu_ms + 999) / 1000 + 1, ((unsigned long long)p->mem_mb + 64) << 20,
		    p->max_file_bytes, p->max_files, p->max_procs, 64ull << 20);
	else
		snprintf(limits, sizeof(limits), "{}");
	size_t n = strlen(modules) + strlen(entry) + strlen(limits) + strlen(w->inner_hex) + 128;
	char *s = malloc(n);
	if (s == NULL)
		return NULL;
	snprintf(s, n, "{\"modules\":%s,\"entry\":%s,\"limits\":%s,\"bpf\":\"%s\"}", modules, entry,
	    limits, w->inner_hex);
	return s;
}

enum tc_err
sbx__executor_begin(struct sbx_executor *x, struct sbx_worker *w, unsigned lane,
    const struct sbx_policy *policy, bool zygote, const char *modules_json, const char *entry_json)
{
	memset(x, 0, sizeof(*x));
	x->ctl = x->zerr = -1;
	x->w = w;
	x->lane = lane < w->lanes ? lane : 0;
	x->policy = *policy;
	x->cpu_ms0 = policy->cpu_ms;
	x->wall_ms0 = policy->wall_ms;
	x->zygote = zygote;
	x->init_json = make_init(w, policy, modules_json, entry_json, zygote);
	if (x->init_json == NULL)
		return TC_ENOMEM;
	if (w->have_cg &&
	    sbx__cg_set_limits(&w->cg[x->lane], ((uint64_t)policy->mem_mb + 128) << 20,
	        policy->max_procs + 8) != TC_OK) {
		tc_log(TC_LOG_ERROR, "sandbox", "cannot set cgroup limits");
		return TC_ESANDBOX;
	}
	if (!zygote)
		return TC_OK;
	x->warm = warm_take(x);
	if (!x->warm) {
		enum tc_err err = zygote_box(w, x->lane, policy, &x->box, &x->ctl, &x->zerr);
		if (err != TC_OK) {
			sbx__executor_stop(x);
			return err;
		}
	}
	x->running = true;
	x->pending = true;
	/* A failed send shows in ready(), which retries a warm zygote once. */
	(void)send_frame(x->ctl, x->init_json, NULL, 0);
	return TC_OK;
}

/* The zygote's answer to its init frame, past its booted frame. */
static enum tc_err
recv_reply(struct sbx_executor *x, char **reply)
{
	enum tc_err err = recv_frame(x->ctl, 15000, reply);
	if (err == TC_OK && !x->booted && is_booted(*reply)) {
		x->booted = true;
		free(*reply);
		*reply = NULL;
		err = recv_frame(x->ctl, 15000, reply);
	}
	return err;
}

enum tc_err
sbx__executor_ready(struct sbx_executor *x, char **compile_error)
{
	*compile_error = NULL;
	if (!x->zygote || !x->pending)
		return TC_OK;
	x->pending = false;
	char *reply = NULL;
	enum tc_err err = recv_reply(x, &reply);
	if (err != TC_OK && x->warm) {
		/* The warm zygote died between its check and its first frame. */
		tc_log(TC_LOG_WARN, "sandbox", "a warm zygote failed (%s); starting a cold one",
		    tc_strerror(err));
		zygote_kill(x->w, &x->box, &x->ctl, &x->zerr);
		x->warm = false;
		err = zygote_box(x->w, x->lane, &x->policy, &x->box, &x->ctl, &x->zerr);
		x->booted = false;
		if (err == TC_OK)
			err = send_frame(x->ctl, x->init_json, NULL, 0);
		if (err == TC_OK)
			err = recv_reply(x, &reply);
	}
	if (err != TC_OK) {
		char zbuf[512] = "";
		if (x->zerr >= 0) {
			fcntl(x->zerr, F_SETFL, O_NONBLOCK);
			ssize_t n = read(x->zerr, zbuf, sizeof(zbuf) - 1);
			if (n > 0)
				zbuf[n] = '\0';
		}
		tc_log(
		    TC_LOG_ERROR, "sandbox", "zygote did not start: %s %s", tc_strerror(err), zbuf);
		sbx__executor_stop(x);
		return TC_ESANDBOX;
	}
	if (strstr(reply, "\"compile_error\"") != NULL) {
		*compile_error = reply;
		sbx__executor_stop(x);
		return TC_OK;
	}
	free(reply);
	return TC_OK;
}

enum tc_err
sbx__executor_start(struct sbx_executor *x, struct sbx_worker *w, unsigned lane,
    const struct sbx_policy *policy, bool zygote, const char *modules_json, const char *entry_json,
    char **compile_error)
{
	*compile_error = NULL;
	enum tc_err err = sbx__executor_begin(x, w, lane, policy, zygote, modules_json, entry_json);
	if (err != TC_OK)
		return err;
	return sbx__executor_ready(x, compile_error);
}

void
sbx__executor_set_limits(struct sbx_executor *x, unsigned cpu_ms, unsigned wall_ms)
{
	x->policy.cpu_ms = cpu_ms ? cpu_ms : x->cpu_ms0;
	x->policy.wall_ms = wall_ms ? wall_ms : x->wall_ms0;
	x->run_limits[0] = '\0';
	if (cpu_ms)
		snprintf(x->run_limits, sizeof(x->run_limits), "{\"cpu_s\":%u}",
		    (cpu_ms + 999) / 1000 + 1);
}

void
sbx__executor_stop(struct sbx_executor *x)
{
	if (x->w == NULL)
		return;
	if (x->running || x->box.pid > 0)
		sbx__box_kill(x->w, &x->box);
	x->running = false;
	x->pending = false;
	close_fd(&x->ctl);
	close_fd(&x->zerr);
	free(x->init_json);
	x->init_json = NULL;
	memset(&x->box, 0, sizeof(x->box));
}

static int
pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

enum tc_err
sbx__executor_run(struct sbx_executor *x, const char *req_json, const char *stdin_data,
    size_t stdin_len, struct sbx_exec *e)
{
	memset(e, 0, sizeof(*e));
	e->exit_code = -1;
	struct sbx_worker *w = x->w;
	struct sbx_cgroup *cg = &w->cg[x->lane];
	const struct sbx_policy *p = &x->policy;
	if (x->zygote && (!x->running || x->pending)) {
		e->state = SBX_EXEC_INTERNAL;
		snprintf(e->detail, sizeof(e->detail), "the zygote is not running");
		return TC_OK;
	}
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, rq[2] = {-1, -1},
	    rs[2] = {-1, -1};
	int pidfd = -1;
	char *req_full = NULL;
	enum tc_err rc = TC_OK;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
	    pipe2(rq, O_CLOEXEC) || pipe2(rs, O_CLOEXEC)) {
		rc = TC_EIO;
		goto out;
	}
	const char *req = req_json;
	if (!x->zygote) {
		size_t n = strlen(x->init_json) + strlen(req_json) + 32;
		req_full = malloc(n);
		if (req_full == NULL) {
			rc = TC_ENOMEM;
			goto out;
		}
		snprintf(req_full, n, "{\"init\":%s,\"req\":%s}", x->init_json, req_json);
		req = req_full;
	}
	uint64_t cpu0 = 0, cpu1 = 0, oom0 = 0, mem0 = 0;
	if (w->have_cg) {
		sbx__cg_cpu_ns(cg, &cpu0);
		oom0 = sbx__cg_oom_count(cg);
		sbx__cg_mem_current(cg, &mem0);
		sbx__cg_mem_peak_reset(cg);
	}
	uint64_t t0 = sbx__now_ms();
	struct sbx_box fresh = {0};
	if (x->zygote) {
		int fds[5] = {in[0], out[1], err[1], rq[0], rs[1]};
		char frame[200];
		snprintf(frame, sizeof(frame), "{\"op\":\"run\"%s%s}",
		    x->run_limits[0] ? ",\"limits\":" : "", x->run_limits);
		if (send_frame(x->ctl, frame, fds, 5) != TC_OK) {
			e->state = SBX_EXEC_INTERNAL;
			snprintf(e->detail, sizeof(e->detail), "the zygote is gone");
			goto out;
		}
	} else {
		struct sbx_box_spec spec = {
		    p, "single", {in[0], out[1], err[1], rq[0], rs[1]}, true, x->lane};
		if (sbx__box_start(w, &spec, &fresh) != TC_OK) {
			e->state = SBX_EXEC_INTERNAL;
			snprintf(e->detail, sizeof(e->detail), "the box did not start");
			goto out;
		}
		pidfd = pidfd_open_(fresh.pid);
	}
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	close_fd(&rq[0]);
	close_fd(&rs[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(rq[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	fcntl(rs[0], F_SETFL, O_NONBLOCK);

	struct buf bout = {0}, berr = {0}, bres = {0};
	bout.limit = p->max_output_bytes;
	berr.limit = p->max_output_bytes;
	bres.limit = RESULT_CAP;
	size_t req_off = 0, req_len = strlen(req), in_off = 0;
	if (stdin_len == 0)
		close_fd(&in[1]);
	struct frame_rd done = {0};
	bool ended = !x->zygote && pidfd < 0; /* the run's process is gone */
	uint64_t deadline = t0 + p->wall_ms;
	enum sbx_exec_state state = SBX_EXEC_DONE;
	bool killed = false;
	for (;;) {
		if (ended && out[0] < 0 && err[0] < 0 && rs[0] < 0)
			break;
		if (ended && x->w->level == SBX_LEVEL_CONTAINER) {
			/* Without a pid namespace a daemon may keep the pipes open:
			 * what the run wrote is buffered already, so drain and stop. */
			while (out[0] >= 0 && buf_read_(&bout, out[0], true) && !bout.over) {
			}
			while (err[0] >= 0 && buf_read_(&berr, err[0], true) && !berr.over) {
			}
			while (rs[0] >= 0 && buf_read_(&bres, rs[0], true) && !bres.over) {
			}
			if (bout.over || berr.over)
				state = SBX_EXEC_OUTPUT;
			break;
		}
		struct pollfd pf[7];
		int np = 0, i_rq = -1, i_in = -1, i_out = -1, i_err = -1, i_rs = -1, i_end = -1;
		if (rq[1] >= 0)
			pf[i_rq = np++] = (struct pollfd){rq[1], POLLOUT, 0};
		if (in[1] >= 0)
			pf[i_in = np++] = (struct pollfd){in[1], POLLOUT, 0};
		if (out[0] >= 0)
			pf[i_out = np++] = (struct pollfd){out[0], POLLIN, 0};
		if (err[0] >= 0)
			pf[i_err = np++] = (struct pollfd){err[0], POLLIN, 0};
		if (rs[0] >= 0)
			pf[i_rs = np++] = (struct pollfd){rs[0], POLLIN, 0};
		if (!ended)
			pf[i_end = np++] = (struct pollfd){x->zygote ? x->ctl : pidfd, POLLIN, 0};
		uint64_t now = sbx__now_ms();
		if (now >= deadline && !killed) {
			state = SBX_EXEC_TIMEOUT;
			break;
		}
		int wait = killed ? 200 : (int)(deadline - now);
		int n = poll(pf, (nfds_t)np, wait);
		if (n < 0 && errno != EINTR) {
			state = SBX_EXEC_INTERNAL;
			break;
		}
		if (n <= 0) {
			if (killed)
				break;
			continue;
		}
		if (i_rq >= 0 && pf[i_rq].revents) {
			ssize_t k = write(rq[1], req + req_off, req_len - req_off);
			if (k > 0)
				req_off += (size_t)k;
			if (k < 0 && errno != EAGAIN && errno != EINTR)
				req_off = req_len;
			if (req_off >= req_len)
				close_fd(&rq[1]);
		}
		if (i_in >= 0 && pf[i_in].revents) {
			ssize_t k = write(in[1], stdin_data + in_off, stdin_len - in_off);
			if (k > 0)
				in_off += (size_t)k;
			if (k < 0 && errno != EAGAIN && errno != EINTR)
				in_off = stdin_len;
			if (in_off >= stdin_len)
				close_fd(&in[1]);
		}
		if (i_out >= 0 && pf[i_out].revents && !buf_read(&bout, out[0]))
			close_fd(&out[0]);
		if (i_err >= 0 && pf[i_err].revents && !buf_read(&berr, err[0]))
			close_fd(&err[0]);
		if (i_rs >= 0 && pf[i_rs].revents && !buf_read(&bres, rs[0]))
			close_fd(&rs[0]);
		if (bout.over || berr.over) {
			state = SBX_EXEC_OUTPUT;
			break;
		}
		if (i_end >= 0 && pf[i_end].revents) {
			if (x->zygote) {
				if (!frame_feed(&done, x->ctl) || done.bad) {
					ended = true;
					x->running = false;
					if (state == SBX_EXEC_DONE)
						state = SBX_EXEC_INTERNAL;
					snprintf(e->detail, sizeof(e->detail), "the zygote died");
				} else if (done.done) {
					ended = true;
				}
			} else {
				ended = true;
			}
		}
	}
	e->wall_ms = (unsigned)(sbx__now_ms() - t0);
	if (state == SBX_EXEC_TIMEOUT || state == SBX_EXEC_OUTPUT || state == SBX_EXEC_INTERNAL) {
		/* The run is not over on its own: end it, and with it the box. */
		if (x->zygote) {
			sbx__box_kill(w, &x->box);
			x->running = false;
		} else {
			sbx__box_kill(w, &fresh);
		}
	}
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	if (!x->zygote) {
		sbx__box_reap(&fresh, true, &status, &ru);
		uint64_t us =
		    (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec +
		    (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
		e->cpu_us = us;
		e->cpu_ms = (unsigned)(us / 1000);
		e->mem_kb = (unsigned)ru.ru_maxrss;
		if (WIFEXITED(status))
			e->exit_code = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			e->signal = WTERMSIG(status);
	} else if (done.done) {
		const char *s = strstr(done.data, "\"signal\":");
		if (s && s[9] >= '0' && s[9] <= '9')
			e->signal = atoi(s + 9);
		s = strstr(done.data, "\"exit\":");
		if (s && s[7] >= '0' && s[7] <= '9')
			e->exit_code = atoi(s + 7);
	}
	if (x->zygote && w->have_cg) {
		sbx__cg_cpu_ns(cg, &cpu1);
		e->cpu_us = (cpu1 - cpu0) / 1000;
		e->cpu_ms = (unsigned)((cpu1 - cpu0) / 1000000);
		uint64_t peak = 0;
		sbx__cg_mem_peak(cg, &peak);
		e->mem_kb = peak > mem0 ? (unsigned)((peak - mem0) / 1024) : 0;
	}
	bool oom = w->have_cg && sbx__cg_oom_count(cg) > oom0;
	if (state == SBX_EXEC_TIMEOUT && oom)
		state = SBX_EXEC_MEMORY; /* stalled reclaiming at the memory limit */
	if (state == SBX_EXEC_DONE) {
		if (e->exit_code == 121) {
			state = SBX_EXEC_INTERNAL;
			snprintf(
			    e->detail, sizeof(e->detail), "the child could not lock itself down");
		} else if (bres.len > 0 && !bres.over && e->signal == 0) {
			e->result = bres.data;
			bres.data = NULL;
		} else if (e->signal == SIGKILL && oom) {
			state = SBX_EXEC_MEMORY;
		} else if (e->signal == SIGXCPU ||
		           (e->signal == SIGKILL && e->cpu_ms >= p->cpu_ms)) {
			state = SBX_EXEC_TIMEOUT;
		} else {
			state = SBX_EXEC_CRASH;
			if (e->signal)
				snprintf(e->detail, sizeof(e->detail), "killed by signal %d (%s)",
				    e->signal, strsignal(e->signal));
			else
				snprintf(e->detail, sizeof(e->detail),
				    "exited (status %d) without a result", e->exit_code);
		}
	}
	if (state == SBX_EXEC_DONE && e->cpu_ms > p->cpu_ms)
		state = SBX_EXEC_TIMEOUT;
	e->state = state;
	e->out = bout.data;
	e->outlen = bout.len;
	e->err = berr.data;
	e->errlen = berr.len;
	bout.data = berr.data = NULL;
	free(bres.data);
	free(done.data);
out:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	close_fd(&rq[0]);
	close_fd(&rq[1]);
	close_fd(&rs[0]);
	close_fd(&rs[1]);
	close_fd(&pidfd);
	free(req_full);
	return rc;
}
