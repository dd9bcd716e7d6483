/*
 * sandbox/src/worker.c - a worker slot: scratch directory, cgroups and
 * compiled filters, set up once and reused by every run.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "sbx_priv.h"

static char *
to_hex(const unsigned char *d, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char *s = malloc(n * 2 + 1);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = hx[d[i] >> 4];
		s[2 * i + 1] = hx[d[i] & 15];
	}
	s[n * 2] = '\0';
	return s;
}

/* Remove scratch directories of judges that died without cleaning up. */
static void
reap_stale_scratch(const char *tmp)
{
	DIR *d = opendir(tmp);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		int pid = 0;
		unsigned id = 0;
		char end = 0;
		if (sscanf(de->d_name, "tandem-sbx-%d-%u%c", &pid, &id, &end) != 2 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%.200s/%.200s", tmp, de->d_name);
		sbx__rmtree(path);
	}
	closedir(d);
}

/*
 * Lanes by default: two where the host has two CPUs or more, so one
 * submission's tests run two at a time; SANDBOX_LANES=1 or 2 overrides.
 */
unsigned
sbx__default_lanes(void)
{
	const char *env = getenv("SANDBOX_LANES");
	if (env != NULL && (strcmp(env, "1") == 0 || strcmp(env, "2") == 0))
		return (unsigned)(env[0] - '0');
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus >= 2 ? SBX_LANES : 1;
}

enum tc_err
sbx_worker_new(enum sbx_level level, unsigned id, struct sbx_worker **out)
{
	*out = NULL;
	if (level == SBX_LEVEL_NONE || level > SBX_LEVEL_FULL)
		return TC_ESANDBOX;
	struct sbx_worker *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return TC_ENOMEM;
	w->level = level;
	w->id = id;
	w->uid = 61000 + id % 1000;
	w->lanes = level == SBX_LEVEL_FULL ? sbx__default_lanes() : 1;
	for (int i = 0; i < SBX_WARM_N; i++) {
		w->warm[i].ctl = w->warm[i].zerr = -1;
		w->warm[i].lane = i == 2 ? 1 : 0;
	}
	const char *warm = getenv("SANDBOX_WARM");
	w->warm_off = warm != NULL && strcmp(warm, "0") == 0;
	/* A judge writes to pipes whose readers may die: never be killed by it. */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	enum tc_err err = sbx__filter_build(true, &w->outer);
	if (err == TC_OK)
		err = sbx__filter_build(false, &w->inner);
	if (err == TC_OK && (w->inner_hex = to_hex(w->inner.data, w->inner.len)) == NULL)
		err = TC_ENOMEM;
	if (err != TC_OK)
		goto fail;
	const char *tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 100)
		tmp = "/tmp";
	reap_stale_scratch(tmp);
	snprintf(w->scratch, sizeof(w->scratch), "%s/tandem-sbx-%d-%u", tmp, (int)getpid(), id);
	if (mkdir(w->scratch, 0711) != 0 && errno != EEXIST) {
		err = TC_ESANDBOX;
		goto fail;
	}
	snprintf(w->root, sizeof(w->root), "%s/root", w->scratch);
	if (level == SBX_LEVEL_FULL) {
		if (mkdir(w->root, 0700) != 0 && errno != EEXIST) {
			err = TC_ESANDBOX;
			goto fail;
		}
		for (unsigned i = 0; i < w->lanes; i++) {
			char name[64];
			if (i == 0)
				snprintf(name, sizeof(name), "tandem-sbx-%d-%u", (int)getpid(), id);
			else
				snprintf(name, sizeof(name), "tandem-sbx-%d-%u-%u", (int)getpid(),
				    id, i);
			if (sbx__cg_create(name, &w->cg[i]) != TC_OK) {
				tc_log(TC_LOG_ERROR, "sandbox", "worker %u: no usable cgroups", id);
				for (unsigned k = 0; k < i; k++)
					sbx__cg_destroy(&w->cg[k]);
				err = TC_ESANDBOX;
				goto fail;
			}
		}
		w->have_cg = true;
	} else {
		/* The box's working directory: owned by the worker's uid, private. */
		if (chown(w->scratch, w->uid, w->uid) != 0 || chmod(w->scratch, 0700) != 0) {
			err = TC_ESANDBOX;
			goto fail;
		}
	}
	/* Zygotes for the first submission start now, with the default box. */
	struct sbx_policy p;
	sbx_policy_init(&p);
	sbx__warm_fill(w, &p);
	*out = w;
	return TC_OK;
fail:
	sbx_worker_free(w);
	return err;
}

void
sbx_worker_free(struct sbx_worker *w)
{
	if (w == NULL)
		return;
	sbx__warm_wait(w);
	sbx__warm_drop(w);
	free(w->warm_strs);
	for (unsigned i = 0; w->have_cg && i < w->lanes; i++)
		sbx__cg_destroy(&w->cg[i]);
	if (w->scratch[0])
		sbx__rmtree(w->scratch);
	sbx__bpf_fini(&w->outer);
	sbx__bpf_fini(&w->inner);
	free(w->inner_hex);
	free(w);
}

enum sbx_level
sbx_worker_level(const struct sbx_worker *w)
{
	return w->level;
}

unsigned
sbx_worker_lanes(const struct sbx_worker *w)
{
	return w->lanes;
}

bool
sbx_worker_clean(struct sbx_worker *w)
{
	sbx__warm_wait(w);
	pid_t warm[SBX_WARM_N];
	unsigned nwarm = sbx__warm_pids(w, warm);
	for (unsigned i = 0; w->have_cg && i < w->lanes; i++)
		if (sbx__cg_nprocs_except(&w->cg[i], warm, nwarm) != 0)
			return false;
	const char *dir = w->level == SBX_LEVEL_FULL ? w->root : w->scratch;
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	bool empty = true;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	}
	closedir(d);
	return empty;
}
