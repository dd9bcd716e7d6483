/*
 * actors/runner.h - the runner actors (prefix `runner_`): a FIFO
 * dispatcher named RUNNER_QUEUE_NAME ("runner/queue") and `count` job
 * slots named "runner/<n>".
 *
 * A room sends RUNNER_MSG_RUN {run, room, user, problem, code, lang,
 * attempt} to the dispatcher.  The dispatcher keeps one FIFO across rooms
 * and refuses a second run from a room that already has one queued or
 * running (RUNNER_MSG_REJECTED), so every room waits at most for the runs
 * queued before its own: no room starves another (ADR-0042).  It hands a
 * job to an idle slot with the room as the sender, so the slot answers the
 * room directly: RUNNER_MSG_PROGRESS {run, state: "running", done, total},
 * then RUNNER_MSG_VERDICT {run, result (the judge's JSON text)}, then
 * RUNNER_MSG_READY to the dispatcher.
 *
 * A slot runs each job on the node's worker pool (tc_work): it loads the
 * problem, records the submission (code as a blob, then the queued and
 * running states), judges it with the sandbox judge in the slot's own
 * sandbox worker, and records the verdict.  Store failures are logged and
 * never keep a verdict from its room.
 */
#ifndef ACTORS_RUNNER_H
#define ACTORS_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "sandbox/sandbox.h"
#include "store/blob.h"
#include "store/store.h"

struct tc_node;

/* One job as a slot sees it (strings borrowed for the judge call). */
struct runner_job {
	const char *run;
	const char *room;
	const char *user;
	const char *problem;
	const char *lang;
	const char *code;
	size_t code_len;
	uint64_t attempt;
	unsigned slot;              /* the slot's number */
	struct sbx_worker **worker; /* the slot's sandbox worker; created on first use */
	/* A judge calls this as tests end (done of total, one call at a time);
	 * the runner posts it to the room as run progress, at most every
	 * RUNNER_PROGRESS_MS and always the last.  The runner always sets it;
	 * NULL (a tool calling runner_default_judge itself): no progress. */
	void (*progress)(void *ctx, unsigned done, unsigned total);
	void *progress_ctx;
};

#define RUNNER_PROGRESS_MS 50

/*
 * A judge: fills *result with the result JSON text (malloc'd, the runner
 * frees it) and *total with the number of tests when known.  The default
 * (NULL in the config) loads <problems_dir>/<problem> and runs the sandbox
 * judge.  Thread: the worker pool.  Blocks: for the whole run.
 */
typedef enum tc_err (*runner_judge_fn)(
    void *arg, const struct runner_job *job, char **result, unsigned *total);

struct runner_config {
	unsigned count;           /* job slots; 0: 1 */
	size_t max_queue;         /* runs waiting; 0: 1024 */
	const char *problems_dir; /* the problem folders (copied) */
	enum sbx_level level;     /* the isolation each run requires */
	bool probe;               /* the complexity probe */
	bool counterexample;      /* search a counterexample on failure */
	struct st_store *store;   /* borrowed; NULL: submissions not recorded */
	struct st_blobs *blobs;   /* borrowed; NULL: code and results not stored */
	runner_judge_fn judge;    /* NULL: the sandbox judge */
	void *judge_arg;
};

/*
 * runner_start spawns the dispatcher and the slots on node (names as
 * above).  cfg is copied.  Returns TC_EEXIST when they run already, or
 * what tc_spawn_named returns (slots already spawned are asked to stop).
 * Thread: any.  Blocks: no.
 */
enum tc_err runner_start(struct tc_node *node, const struct runner_config *cfg);

/*
 * runner_default_judge is the sandbox judge as a runner_judge_fn; arg is
 * the struct runner_config (problems_dir, level, probe, counterexample).
 * Problems, sandbox or judge failures become an INTERNAL_ERROR result, not
 * an error return.  Exposed for tools and tests.
 */
enum tc_err runner_default_judge(
    void *arg, const struct runner_job *job, char **result, unsigned *total);

#endif /* ACTORS_RUNNER_H */
