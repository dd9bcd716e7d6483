/*
 * sandbox/src/sbx_priv.h - internals shared by the sandbox's files.
 */
#ifndef SANDBOX_SBX_PRIV_H
#define SANDBOX_SBX_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "core/err.h"
#include "sandbox/judge.h"
#include "sandbox/sandbox.h"

#define SBX_PYTHON "/usr/bin/python3.11"

/* The embedded harness (generated from harness.py at build time). */
extern const char sbx__harness_py[];

/* ---- seccomp ------------------------------------------------------------ */

/* A compiled classic-BPF seccomp program. */
struct sbx_bpf {
	unsigned char *data; /* owned */
	size_t len;
};

/*
 * sbx__filter_build compiles the allow-list filter for the native
 * architecture.  allow_exec keeps execve (the launcher's outer filter, which
 * must exec the interpreter); the harness installs a second filter without
 * it before user code runs.
 */
enum tc_err sbx__filter_build(bool allow_exec, struct sbx_bpf *out);
void sbx__bpf_fini(struct sbx_bpf *b);

/* ---- cgroups ------------------------------------------------------------ */

enum sbx_cg_kind {
	SBX_CG_MEMORY = 0,
	SBX_CG_PIDS,
	SBX_CG_CPU,
	SBX_CG_KILL,
	SBX_CG_N
};

/* Where each controller lives: a directory and whether it is cgroup v2. */
struct sbx_cg_layout {
	char base[SBX_CG_N][512]; /* our own cgroup directory in that hierarchy, "" = none */
	bool v2[SBX_CG_N];
};

/*
 * sbx__cg_discover_text finds, from the text of /proc/self/mounts and
 * /proc/self/cgroup, where memory, pids, cpu accounting and kill live.
 * Pure: used by sbx__cg_discover and by the unit tests.
 */
enum tc_err sbx__cg_discover_text(
    const char *mounts, const char *self_cgroup, struct sbx_cg_layout *out);
enum tc_err sbx__cg_discover(struct sbx_cg_layout *out);

struct sbx_cgroup {
	char dir[SBX_CG_N][600]; /* "" = controller not used */
	bool v2[SBX_CG_N];
	uint64_t cpu_ns_mark;
	uint64_t oom_mark;
};

enum tc_err sbx__cg_create(const char *name, struct sbx_cgroup *cg);
enum tc_err sbx__cg_set_limits(struct sbx_cgroup *cg, uint64_t mem_bytes, unsigned pids);
enum tc_err sbx__cg_attach(struct sbx_cgroup *cg, pid_t pid);
enum tc_err sbx__cg_cpu_ns(const struct sbx_cgroup *cg, uint64_t *ns);
enum tc_err sbx__cg_mem_peak(const struct sbx_cgroup *cg, uint64_t *bytes);
enum tc_err sbx__cg_mem_current(const struct sbx_cgroup *cg, uint64_t *bytes);
void sbx__cg_mem_peak_reset(struct sbx_cgroup *cg);
uint64_t sbx__cg_oom_count(const struct sbx_cgroup *cg);
unsigned sbx__cg_nprocs(const struct sbx_cgroup *cg);
/* Processes in the cgroup other than the nkeep pids in keep. */
unsigned sbx__cg_nprocs_except(const struct sbx_cgroup *cg, const pid_t *keep, unsigned nkeep);
/* Kill every process in the cgroup and wait (bounded) until it is empty. */
enum tc_err sbx__cg_kill_all(struct sbx_cgroup *cg);
void sbx__cg_destroy(struct sbx_cgroup *cg);

/* ---- boxes -------------------------------------------------------------- */

struct sbx_box {
	pid_t pid; /* host pid of the box's first process */
	bool reaped;
};

/*
 * A warm zygote: a box started in zygote mode ahead of a submission.  Its
 * interpreter has started and imported the common modules, and it blocks
 * on its first frame; it has seen no code.  It serves one submission (the
 * executor that takes it owns it from then on) and is never returned.
 */
struct sbx_warm {
	struct sbx_box box;
	int ctl;       /* control socket, -1 when the slot is empty */
	int zerr;      /* its stderr */
	unsigned lane; /* the cgroup it runs in */
	bool booted;   /* its {"booted":true} frame was read */
};

/*
 * Lanes: a worker runs the tests of one submission in up to SBX_LANES
 * zygote boxes at once, each in a cgroup of its own, so a test's CPU time
 * and memory are its box's alone (ADR-0026).
 */
#define SBX_LANES 2

/* Lanes a full-level worker gets: SANDBOX_LANES, else two with two CPUs. */
unsigned sbx__default_lanes(void);

/* Warm slots per worker: the user's zygote and the author's (lane 0), the
 * user's second zygote (lane 1). */
#define SBX_WARM_N 3

struct sbx_worker {
	enum sbx_level level;
	unsigned id;
	unsigned uid; /* container level: this worker's own uid, so kill(-1) hits only its boxes */
	char scratch[256]; /* host directory: root mount point (full), work dir (container) */
	char root[300];
	bool have_cg;
	unsigned lanes;                  /* 1..SBX_LANES (SANDBOX_LANES, default by CPUs) */
	struct sbx_cgroup cg[SBX_LANES]; /* one per lane; lane 0 also holds the author */
	struct sbx_bpf outer;            /* launcher filter (execve allowed) */
	struct sbx_bpf inner;            /* harness filter (no execve) */
	char *inner_hex;                 /* inner as hex text for the harness */
	struct sbx_warm warm[SBX_WARM_N];
	struct sbx_policy warm_policy; /* the box shape warm zygotes were started with */
	char *warm_strs;               /* owned storage of warm_policy's strings */
	bool warm_off;                 /* SANDBOX_WARM=0: every zygote starts cold */
	pthread_t filler;              /* starts the warm zygotes after a judging */
	bool filling;                  /* filler runs; joined by sbx__warm_wait */
};

/* What to start: the harness in one mode, with descriptors for fds 0..4. */
struct sbx_box_spec {
	const struct sbx_policy *policy;
	const char *mode;     /* "zygote" or "single" */
	int fds[5];           /* parent descriptors to become 0..4 in the box (-1 = /dev/null) */
	bool per_test_limits; /* single mode: CPU/AS limits of one test on the whole box */
	unsigned lane;        /* the worker's cgroup to attach to */
};

enum tc_err sbx__box_start(
    struct sbx_worker *w, const struct sbx_box_spec *spec, struct sbx_box *b);
/* Kill everything of the box (pid 1 of its namespace, the cgroup) and reap it. */
void sbx__box_kill(struct sbx_worker *w, struct sbx_box *b);
/* Kill whatever is left of every box of the worker (end of a judging). */
void sbx__worker_sweep(struct sbx_worker *w);

/*
 * sbx__warm_fill starts a zygote in every empty warm slot, with the box
 * shape of p (its strings are copied).  A slot that fails to start stays
 * empty (logged); the next executor then starts cold.  Blocks: on clone
 * and exec, not on the interpreter's start-up.
 */
void sbx__warm_fill(struct sbx_worker *w, const struct sbx_policy *p);
/*
 * sbx__warm_fill_async does the same on a thread of the worker's, so a
 * judging returns its verdict without waiting for the next one's zygotes;
 * sbx__warm_wait joins that thread.  Every entry point that touches the
 * worker waits first.
 */
void sbx__warm_fill_async(struct sbx_worker *w, const struct sbx_policy *p);
void sbx__warm_wait(struct sbx_worker *w);
/* Kill and reap every warm zygote. */
void sbx__warm_drop(struct sbx_worker *w);
/* The host pids of the warm zygotes (at most SBX_WARM_N); returns the count. */
unsigned sbx__warm_pids(const struct sbx_worker *w, pid_t *pids);
/* Reap the box's first process, non-blocking when block is false; true when reaped. */
bool sbx__box_reap(struct sbx_box *b, bool block, int *status, struct rusage *ru);

/* ---- executing requests ------------------------------------------------- */

enum sbx_exec_state {
	SBX_EXEC_DONE = 0, /* a result frame arrived and parsed */
	SBX_EXEC_TIMEOUT,
	SBX_EXEC_OUTPUT, /* stdout/stderr over the cap */
	SBX_EXEC_MEMORY,
	SBX_EXEC_CRASH,    /* no usable result: signal, exit, closed channel */
	SBX_EXEC_INTERNAL, /* the sandbox failed */
};

/* One run's outcome, measured outside the box. */
struct sbx_exec {
	enum sbx_exec_state state;
	char *result; /* the result frame (JSON text), owned; NULL unless DONE */
	char *out;    /* stdout bytes (capped), owned */
	size_t outlen;
	char *err; /* stderr bytes (capped), owned */
	size_t errlen;
	unsigned cpu_ms;
	uint64_t cpu_us;
	unsigned wall_ms;
	unsigned mem_kb;
	int exit_code; /* -1 unknown */
	int signal;    /* 0 none */
	char detail[200];
};

void sbx__exec_fini(struct sbx_exec *e);

/*
 * An executor holds a set of compiled modules in a box: a zygote, or the
 * recipe to start a fresh box per request.
 */
struct sbx_executor {
	struct sbx_worker *w;
	struct sbx_policy policy;
	bool zygote;
	unsigned lane;   /* the worker's cgroup this executor's boxes run in */
	char *init_json; /* {"modules":..,"entry":..,"limits":..,"bpf":..} */
	struct sbx_box box;
	bool running;
	int ctl;                    /* zygote control socket */
	int zerr;                   /* zygote stderr */
	bool warm;                  /* the zygote was taken from a warm slot */
	bool booted;                /* the zygote's booted frame was read */
	bool pending;               /* init sent, reply not read yet */
	char run_limits[160];       /* "" or a JSON object replacing the init's limits for runs */
	unsigned cpu_ms0, wall_ms0; /* the policy's limits, for sbx__executor_set_limits(0) */
};

/*
 * sbx__executor_start compiles modules (a JSON object text name -> source)
 * in a new box.  On a syntax error, *compile_error receives
 * {"compile_error":..,"line":..} (owned) and TC_OK is returned.
 */
enum tc_err sbx__executor_start(struct sbx_executor *x, struct sbx_worker *w, unsigned lane,
    const struct sbx_policy *policy, bool zygote, const char *modules_json, const char *entry_json,
    char **compile_error);
/*
 * The two halves of sbx__executor_start, so that two zygotes compile at
 * once: begin takes a warm zygote (or starts one) and sends the modules;
 * ready waits for the answer, starting a cold zygote once if a warm one
 * turns out dead.  After begin fails, or after ready, x is as after start.
 */
enum tc_err sbx__executor_begin(struct sbx_executor *x, struct sbx_worker *w, unsigned lane,
    const struct sbx_policy *policy, bool zygote, const char *modules_json, const char *entry_json);
enum tc_err sbx__executor_ready(struct sbx_executor *x, char **compile_error);
/*
 * Limits for the following runs: cpu_ms and wall_ms replace the policy's
 * (0 = back to the policy given at start).
 */
void sbx__executor_set_limits(struct sbx_executor *x, unsigned cpu_ms, unsigned wall_ms);
/* Run one request (JSON text; stdin_data is fed to fd 0). */
enum tc_err sbx__executor_run(struct sbx_executor *x, const char *req_json, const char *stdin_data,
    size_t stdin_len, struct sbx_exec *out);
void sbx__executor_stop(struct sbx_executor *x);

/* ---- misc --------------------------------------------------------------- */

/* Read a whole file up to cap bytes (NUL-terminated).  TC_ETOOBIG above cap. */
enum tc_err sbx__read_file(const char *path, size_t cap, char **out, size_t *len);

/* Copy at most cap bytes of s into a NUL-terminated, valid UTF-8 string. */
char *sbx__utf8_excerpt(const char *s, size_t len, size_t cap);

uint64_t sbx__now_ms(void);

/* Remove path and everything below without following symlinks. */
void sbx__rmtree(const char *path);

#endif /* SANDBOX_SBX_PRIV_H */
