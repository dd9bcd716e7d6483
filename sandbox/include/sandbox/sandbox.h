/*
 * sandbox/sandbox.h - isolation for untrusted programs: policy, levels,
 * workers.
 *
 * A worker (one per job slot) owns a scratch directory and one cgroup per
 * controller that every run of that worker reuses.  Runs happen through the
 * judge (sandbox/judge.h); this header holds what a host needs to choose and
 * report the isolation level.
 */
#ifndef SANDBOX_SANDBOX_H
#define SANDBOX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

/* Isolation levels, weakest first; the judge refuses to run below the one configured. */
enum sbx_level {
	SBX_LEVEL_NONE = 0,      /* nothing usable: the judge will not run code */
	SBX_LEVEL_CONTAINER = 1, /* rlimits, seccomp, no_new_privs, unprivileged uid */
	SBX_LEVEL_FULL = 2,      /* + user/pid/net/mount/ipc/uts namespaces, cgroups, ro root */
};

#define SBX_MAX_BINDS 8
#define SBX_MAX_ENV 16

/*
 * The limits and shape of one box.  Strings are borrowed: they must outlive
 * every run that uses the policy.
 */
struct sbx_policy {
	unsigned cpu_ms;                     /* CPU time per test */
	unsigned wall_ms;                    /* wall time per test */
	unsigned mem_mb;                     /* memory per test (cgroup and RLIMIT_AS) */
	unsigned max_procs;                  /* processes and threads (cgroup pids, RLIMIT_NPROC) */
	unsigned max_files;                  /* open descriptors (RLIMIT_NOFILE) */
	unsigned long long max_file_bytes;   /* largest file a program may write */
	unsigned long long max_output_bytes; /* stdout + stderr captured per test */
	size_t max_source_bytes;             /* largest accepted submission */
	const char *ro_binds[SBX_MAX_BINDS]; /* host paths bound read-only at the same path
	                                        (absent ones skipped; under /sys, best effort) */
	unsigned nbinds;
	unsigned tmpfs_kb;            /* size of the box's private /tmp */
	const char *env[SBX_MAX_ENV]; /* "K=V" strings; empty by default */
	unsigned nenv;
	unsigned uid;         /* the unprivileged uid (and gid) inside */
	enum sbx_level level; /* the level required; weaker refuses to run */
};

/*
 * sbx_policy_init fills p with the defaults: 2000 ms CPU, 256 MB, 64
 * processes, 64 files, 16 MiB files, 8 MiB output, 1 MiB source, binds
 * /usr /lib /lib64 /etc/ld.so.cache, 16 MiB /tmp, empty env, uid 65534,
 * level full.  Thread: any.  Blocks: no.
 */
void sbx_policy_init(struct sbx_policy *p);

/*
 * sbx_policy_set parses one setting from text: key is "TIME_LIMIT_MS",
 * "MEM_LIMIT_MB", "WALL_LIMIT_MS", "MAX_PROCS", "MAX_FILES", "SANDBOX_LEVEL"
 * (none|container|full), "SANDBOX_UID".  Numbers must be plain decimal and in
 * range.  Returns TC_EINVAL for a bad value or TC_ENOENT for an unknown key;
 * p is unchanged on error.  Thread: any.  Blocks: no.
 */
enum tc_err sbx_policy_set(struct sbx_policy *p, const char *key, const char *value);

/*
 * sbx_policy_from_env applies TIME_LIMIT_MS, MEM_LIMIT_MB and SANDBOX_LEVEL
 * from the process environment when set.  Thread: any.  Blocks: no.
 */
enum tc_err sbx_policy_from_env(struct sbx_policy *p);

const char *sbx_level_name(enum sbx_level level);
enum tc_err sbx_level_parse(const char *name, enum sbx_level *out);

#define SBX_MAX_CHECKS 16

/* What sbx_detect found: each check with its outcome. */
struct sbx_detect_report {
	enum sbx_level level;
	unsigned nchecks;
	struct {
		char name[32];
		bool ok;
		char detail[120];
	} checks[SBX_MAX_CHECKS];
};

/*
 * sbx_detect probes the host (namespaces by a throwaway child, cgroup
 * controllers, seccomp, setuid, python3.11) and reports the strongest
 * level available.  Thread: any.  Blocks: on a short-lived child process.
 */
enum tc_err sbx_detect(struct sbx_detect_report *out);

/*
 * sbx_doctor_print runs sbx_detect and prints the level and every check, one
 * per line, to out.  Thread: any.  Blocks: as sbx_detect.
 */
enum tc_err sbx_doctor_print(FILE *out);

struct sbx_worker;

/*
 * sbx_worker_new prepares worker slot id at the given level: its scratch
 * directory and (full level) its cgroups, created once and reused by every
 * run.  Returns TC_ESANDBOX when the level cannot be set up here.  The
 * caller owns *out and frees it with sbx_worker_free.  Thread: any (one
 * thread uses a worker at a time).  Blocks: on filesystem calls.
 */
enum tc_err sbx_worker_new(enum sbx_level level, unsigned id, struct sbx_worker **out);

/*
 * sbx_worker_free kills anything left in the worker's cgroups, removes them
 * and its scratch directory.  NULL is a no-op.  Thread: the worker's.
 * Blocks: until the cgroups are empty (bounded).
 */
void sbx_worker_free(struct sbx_worker *w);

enum sbx_level sbx_worker_level(const struct sbx_worker *w);

/* The lanes the worker runs a submission's tests in (1 or 2, ADR-0026). */
unsigned sbx_worker_lanes(const struct sbx_worker *w);

/*
 * sbx_worker_settle waits until the zygotes the worker keeps ready for the
 * next submission have started (they start in the background after each
 * judging), so that nothing of the worker uses the CPU afterwards.  For
 * benchmarks, which measure other things next.  TC_ETIMEDOUT after
 * timeout_ms.  Thread: the worker's.
 */
enum tc_err sbx_worker_settle(struct sbx_worker *w, unsigned timeout_ms);

/*
 * sbx_worker_clean reports whether nothing of the worker's runs survives:
 * its cgroups hold no process but its warm zygotes, and its scratch
 * directory is empty.  It first joins the thread that starts the warm
 * zygotes (hence not const).  Thread: the worker's.  Blocks: on that
 * thread and on reading cgroup files.
 */
bool sbx_worker_clean(struct sbx_worker *w);

#endif /* SANDBOX_SANDBOX_H */
