/*
 * sandbox/src/cgroup.c - one cgroup per worker, for memory, pids, CPU
 * accounting and kill; cgroup v1, v2 or a mix of both.
 *
 * Design notes
 * - Each controller is looked up on its own: a host may bind memory and
 *   pids to v1 hierarchies and still mount a v2 hierarchy (which then
 *   carries cgroup.kill and cpu.stat).  v1 is preferred for a controller
 *   bound there, because the kernel allows a controller in one place only.
 * - The worker's cgroups are created once, under the cgroup the judge runs
 *   in, and reused by every run: attaching to a fresh v1 cgroup costs ~10 ms.
 * - Kill: v2 cgroup.kill when present; otherwise SIGKILL every pid listed,
 *   repeated until the group is empty (the pids limit bounds a fork bomb's
 *   race).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "sbx_priv.h"

static bool
has_token(const char *list, size_t len, const char *tok)
{
	size_t tl = strlen(tok);
	const char *p = list, *end = list + len;
	while (p < end) {
		const char *q = memchr(p, ',', (size_t)(end - p));
		if (q == NULL)
			q = end;
		if ((size_t)(q - p) == tl && memcmp(p, tok, tl) == 0)
			return true;
		p = q + 1;
	}
	return false;
}

/* The path of our cgroup in the v1 hierarchy holding ctrl, or in v2 (ctrl NULL). */
static bool
self_path(const char *self, const char *ctrl, char *out, size_t outlen)
{
	const char *line = self;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', ll);
		const char *c2 = c1 ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line)) : NULL;
		if (c2) {
			size_t cl = (size_t)(c2 - c1 - 1);
			bool match = ctrl == NULL ? cl == 0 : has_token(c1 + 1, cl, ctrl);
			if (match) {
				size_t pl = ll - (size_t)(c2 + 1 - line);
				if (pl >= outlen)
					return false;
				memcpy(out, c2 + 1, pl);
				out[pl] = '\0';
				return true;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static void
set_base(struct sbx_cg_layout *o, int k, const char *mnt, const char *path, bool v2)
{
	if (strcmp(path, "/") == 0)
		path = "";
	int n = snprintf(o->base[k], sizeof(o->base[k]), "%s%s", mnt, path);
	if (n < 0 || (size_t)n >= sizeof(o->base[k]))
		o->base[k][0] = '\0';
	o->v2[k] = v2;
}

enum tc_err
sbx__cg_discover_text(const char *mounts, const char *self, struct sbx_cg_layout *out)
{
	static const char *const v1name[SBX_CG_N] = {"memory", "pids", "cpuacct", NULL};
	memset(out, 0, sizeof(*out));
	char v2mnt[256] = "";
	const char *line = mounts;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		char dev[64], mnt[256], type[32], opts[512];
		char buf[1024];
		if (ll < sizeof(buf)) {
			memcpy(buf, line, ll);
			buf[ll] = '\0';
			if (sscanf(buf, "%63s %255s %31s %511s", dev, mnt, type, opts) == 4) {
				char path[512];
				if (strcmp(type, "cgroup2") == 0 && v2mnt[0] == '\0') {
					snprintf(v2mnt, sizeof(v2mnt), "%s", mnt);
				} else if (strcmp(type, "cgroup") == 0) {
					for (int k = 0; k < SBX_CG_N; k++) {
						if (v1name[k] == NULL || out->base[k][0])
							continue;
						if (has_token(opts, strlen(opts), v1name[k]) &&
						    self_path(self, v1name[k], path, sizeof(path)))
							set_base(out, k, mnt, path, false);
					}
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	if (v2mnt[0]) {
		char path[512];
		if (self_path(self, NULL, path, sizeof(path))) {
			/* memory and pids on v2 only when no v1 hierarchy has them; the
			 * caller checks cgroup.controllers before using them. */
			for (int k = 0; k < SBX_CG_N; k++) {
				if (out->base[k][0] == '\0')
					set_base(out, k, v2mnt, path, true);
			}
		}
	}
	return out->base[SBX_CG_MEMORY][0] && out->base[SBX_CG_PIDS][0] ? TC_OK : TC_ENOTSUP;
}

enum tc_err
sbx__cg_discover(struct sbx_cg_layout *out)
{
	char *mounts = NULL, *self = NULL;
	size_t len;
	enum tc_err err = sbx__read_file("/proc/self/mounts", 1 << 20, &mounts, &len);
	if (err == TC_OK)
		err = sbx__read_file("/proc/self/cgroup", 1 << 16, &self, &len);
	if (err == TC_OK)
		err = sbx__cg_discover_text(mounts, self, out);
	/* A v2 memory or pids controller must be available where we are. */
	for (int k = SBX_CG_MEMORY; err == TC_OK && k <= SBX_CG_PIDS; k++) {
		if (!out->v2[k])
			continue;
		char path[600], *ctl = NULL;
		snprintf(path, sizeof(path), "%s/cgroup.controllers", out->base[k]);
		if (sbx__read_file(path, 4096, &ctl, &len) != TC_OK ||
		    strstr(ctl, k == SBX_CG_MEMORY ? "memory" : "pids") == NULL)
			err = TC_ENOTSUP;
		free(ctl);
	}
	free(mounts);
	free(self);
	return err;
}

static enum tc_err
put(const char *dir, const char *file, const char *text)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return tc_err_from_errno(errno);
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	return n == (ssize_t)strlen(text) ? TC_OK : tc_err_from_errno(e);
}

static bool
get(const char *dir, const char *file, char *buf, size_t len)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

static uint64_t
get_u64(const char *dir, const char *file)
{
	char buf[64];
	if (!get(dir, file, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10);
}

/* The value of "key N" in a flat-keyed file (cpu.stat, memory.events). */
static uint64_t
get_key(const char *dir, const char *file, const char *key)
{
	char buf[2048];
	if (!get(dir, file, buf, sizeof(buf)))
		return 0;
	size_t kl = strlen(key);
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
	}
	return 0;
}

/* Remove the cgroups of judges that died without cleaning up. */
static void
reap_stale(const char *base)
{
	DIR *d = opendir(base);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		int pid = 0;
		unsigned id = 0;
		if (sscanf(de->d_name, "tandem-sbx-%d-%u", &pid, &id) != 2 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		struct sbx_cgroup stale;
		memset(&stale, 0, sizeof(stale));
		snprintf(stale.dir[SBX_CG_PIDS], sizeof(stale.dir[SBX_CG_PIDS]), "%.400s/%.100s",
		    base, de->d_name);
		sbx__cg_kill_all(&stale);
		if (rmdir(stale.dir[SBX_CG_PIDS]) == 0)
			tc_log(TC_LOG_INFO, "sandbox", "removed stale cgroup %s",
			    stale.dir[SBX_CG_PIDS]);
	}
	closedir(d);
}

enum tc_err
sbx__cg_create(const char *name, struct sbx_cgroup *cg)
{
	struct sbx_cg_layout lay;
	memset(cg, 0, sizeof(*cg));
	enum tc_err err = sbx__cg_discover(&lay);
	if (err != TC_OK)
		return err;
	for (int k = 0; k < SBX_CG_N; k++) {
		if (lay.base[k][0] == '\0')
			continue;
		/* Share the directory when two controllers live in the same place. */
		bool dup = false;
		for (int j = 0; j < k; j++)
			if (strcmp(lay.base[j], lay.base[k]) == 0) {
				snprintf(cg->dir[k], sizeof(cg->dir[k]), "%s", cg->dir[j]);
				cg->v2[k] = cg->v2[j];
				dup = true;
			}
		if (dup)
			continue;
		reap_stale(lay.base[k]);
		snprintf(cg->dir[k], sizeof(cg->dir[k]), "%s/%s", lay.base[k], name);
		cg->v2[k] = lay.v2[k];
		if (mkdir(cg->dir[k], 0755) != 0 && errno != EEXIST) {
			tc_log(
			    TC_LOG_ERROR, "sandbox", "mkdir %s: %s", cg->dir[k], strerror(errno));
			cg->dir[k][0] = '\0';
			if (k <= SBX_CG_PIDS) {
				sbx__cg_destroy(cg);
				return TC_ESANDBOX;
			}
		}
	}
	if (cg->v2[SBX_CG_KILL]) {
		char probe[700];
		snprintf(probe, sizeof(probe), "%s/cgroup.kill", cg->dir[SBX_CG_KILL]);
		if (access(probe, W_OK) != 0)
			cg->dir[SBX_CG_KILL][0] = '\0';
	} else {
		cg->dir[SBX_CG_KILL][0] = '\0';
	}
	return TC_OK;
}

enum tc_err
sbx__cg_set_limits(struct sbx_cgroup *cg, uint64_t mem_bytes, unsigned pids)
{
	char v[32];
	snprintf(v, sizeof(v), "%" PRIu64, mem_bytes);
	enum tc_err err;
	if (cg->v2[SBX_CG_MEMORY]) {
		err = put(cg->dir[SBX_CG_MEMORY], "memory.max", v);
		if (err == TC_OK)
			put(cg->dir[SBX_CG_MEMORY], "memory.swap.max", "0");
	} else {
		/* memsw must stay >= limit: raise it first when it exists. */
		put(cg->dir[SBX_CG_MEMORY], "memory.memsw.limit_in_bytes", "-1");
		err = put(cg->dir[SBX_CG_MEMORY], "memory.limit_in_bytes", v);
		if (err == TC_OK)
			put(cg->dir[SBX_CG_MEMORY], "memory.memsw.limit_in_bytes", v);
	}
	if (err != TC_OK)
		return TC_ESANDBOX;
	snprintf(v, sizeof(v), "%u", pids);
	if (put(cg->dir[SBX_CG_PIDS], "pids.max", v) != TC_OK)
		return TC_ESANDBOX;
	return TC_OK;
}

enum tc_err
sbx__cg_attach(struct sbx_cgroup *cg, pid_t pid)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (int k = 0; k < SBX_CG_N; k++) {
		if (cg->dir[k][0] == '\0')
			continue;
		bool seen = false;
		for (int j = 0; j < k; j++)
			seen = seen || strcmp(cg->dir[j], cg->dir[k]) == 0;
		if (seen)
			continue;
		enum tc_err err = put(cg->dir[k], "cgroup.procs", v);
		if (err != TC_OK && k <= SBX_CG_PIDS)
			return err;
	}
	return TC_OK;
}

enum tc_err
sbx__cg_cpu_ns(const struct sbx_cgroup *cg, uint64_t *ns)
{
	const char *d = cg->dir[SBX_CG_CPU];
	if (d[0] == '\0')
		return TC_ENOTSUP;
	if (cg->v2[SBX_CG_CPU])
		*ns = get_key(d, "cpu.stat", "usage_usec") * 1000;
	else
		*ns = get_u64(d, "cpuacct.usage");
	return TC_OK;
}

enum tc_err
sbx__cg_mem_peak(const struct sbx_cgroup *cg, uint64_t *bytes)
{
	const char *d = cg->dir[SBX_CG_MEMORY];
	*bytes = get_u64(d, cg->v2[SBX_CG_MEMORY] ? "memory.peak" : "memory.max_usage_in_bytes");
	return TC_OK;
}

enum tc_err
sbx__cg_mem_current(const struct sbx_cgroup *cg, uint64_t *bytes)
{
	const char *d = cg->dir[SBX_CG_MEMORY];
	*bytes = get_u64(d, cg->v2[SBX_CG_MEMORY] ? "memory.current" : "memory.usage_in_bytes");
	return TC_OK;
}

void
sbx__cg_mem_peak_reset(struct sbx_cgroup *cg)
{
	const char *d = cg->dir[SBX_CG_MEMORY];
	if (cg->v2[SBX_CG_MEMORY])
		put(d, "memory.peak", "reset");
	else
		put(d, "memory.max_usage_in_bytes", "0");
}

uint64_t
sbx__cg_oom_count(const struct sbx_cgroup *cg)
{
	const char *d = cg->dir[SBX_CG_MEMORY];
	if (cg->v2[SBX_CG_MEMORY])
		return get_key(d, "memory.events", "oom_kill");
	return get_key(d, "memory.oom_control", "oom_kill") + get_u64(d, "memory.failcnt");
}

static unsigned
count_procs(const char *dir, const pid_t *keep, unsigned nkeep)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	unsigned n = 0;
	int pid;
	while (fscanf(f, "%d", &pid) == 1) {
		bool kept = false;
		for (unsigned i = 0; i < nkeep && !kept; i++)
			kept = keep[i] == pid;
		n += !kept;
	}
	fclose(f);
	return n;
}

unsigned
sbx__cg_nprocs_except(const struct sbx_cgroup *cg, const pid_t *keep, unsigned nkeep)
{
	unsigned most = 0;
	for (int k = 0; k < SBX_CG_N; k++) {
		if (cg->dir[k][0]) {
			unsigned n = count_procs(cg->dir[k], keep, nkeep);
			most = n > most ? n : most;
		}
	}
	return most;
}

unsigned
sbx__cg_nprocs(const struct sbx_cgroup *cg)
{
	return sbx__cg_nprocs_except(cg, NULL, 0);
}

static void
kill_listed(const char *dir)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return;
	int pid;
	while (fscanf(f, "%d", &pid) == 1) {
		if (pid > 0)
			kill(pid, SIGKILL);
	}
	fclose(f);
}

enum tc_err
sbx__cg_kill_all(struct sbx_cgroup *cg)
{
	if (cg->dir[SBX_CG_KILL][0])
		put(cg->dir[SBX_CG_KILL], "cgroup.kill", "1");
	/* Wait (bounded, ~2 s) until every hierarchy reports the group empty. */
	for (int round = 0; round < 2000; round++) {
		if (sbx__cg_nprocs(cg) == 0)
			return TC_OK;
		for (int k = 0; k <= SBX_CG_PIDS; k++)
			kill_listed(cg->dir[k]);
		if (cg->dir[SBX_CG_KILL][0])
			put(cg->dir[SBX_CG_KILL], "cgroup.kill", "1");
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	tc_log(TC_LOG_ERROR, "sandbox", "cgroup %s did not empty", cg->dir[SBX_CG_MEMORY]);
	return TC_EBUSY;
}

void
sbx__cg_destroy(struct sbx_cgroup *cg)
{
	sbx__cg_kill_all(cg);
	for (int k = SBX_CG_N - 1; k >= 0; k--) {
		if (cg->dir[k][0] == '\0')
			continue;
		bool later = false;
		for (int j = 0; j < k; j++)
			later = later || strcmp(cg->dir[j], cg->dir[k]) == 0;
		if (!later && rmdir(cg->dir[k]) != 0 && errno != ENOENT)
			tc_log(TC_LOG_WARN, "sandbox", "rmdir %s: %s", cg->dir[k], strerror(errno));
		cg->dir[k][0] = '\0';
	}
}
