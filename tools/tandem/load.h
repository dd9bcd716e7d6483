/*
 * load.h - the load generator behind `tandem load`: simulated users as
 * actors, speaking y-protocols over WebSocket to a TandemCode server or a
 * stock y-websocket server.
 */
#ifndef TANDEM_LOAD_H
#define TANDEM_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "actors/yproto.h"

/* ---- Yjs frames of simulated users (load_yjs.c, on actors/yproto.h) ---- */

struct yp_buf;

/*
 * ld_frame_edit appends a SYNC update frame inserting text at the end of
 * this client's own run of text in the root Y.Text `root`: the first
 * insert (clock 0) names the parent, later ones the previous character
 * as origin.  *clock advances by the text's length on success.
 */
enum tc_err ld_frame_edit(struct yp_buf *b, uint32_t client, uint64_t *clock, const char *root,
    const char *text, size_t n);

/* ld_frame_awareness appends an AWARENESS frame with one JSON state. */
enum tc_err ld_frame_awareness(struct yp_buf *b, uint32_t client, uint64_t clock, const char *json);

/*
 * ld_update_probe reads the first struct of a Yjs update: its client and
 * the text of a leading ContentString item.  Returns 0 with *client and
 * text/textlen (pointing into p) set, -1 when the update has another
 * shape.  Used to find the send time a load user wrote into its edits.
 */
int ld_update_probe(
    const uint8_t *p, size_t len, uint32_t *client, const char **text, size_t *textlen);

/* ---- the run (load_run.c) ---- */

enum ld_server {
	LD_SERVER_TANDEM = 0, /* our gateway: rooms and tokens from the REST API */
	LD_SERVER_YWS = 1,    /* a stock y-websocket server: the room is the path */
};

struct ld_options {
	enum ld_server server;
	char host[128];
	int port;
	unsigned rooms;
	unsigned users;       /* per room */
	double edits_per_s;   /* per user */
	double cursors_per_s; /* per user */
	double runs_per_min;  /* per room, TandemCode only */
	double duration_s;
	double warmup_s;
	const char *problem;
	unsigned workers;
	unsigned cold_join; /* > 0: measure cold joins of a room with this many updates */
	unsigned joins;     /* how many cold joins to time (default 20) */
	/* Called once on the calling thread when measuring starts (every user
	 * has had warmup_s to connect), e.g. to read the server's memory. */
	void (*on_measure)(void *arg);
	void *on_measure_arg;
};

struct ld_report {
	uint64_t connected, errors, closed_early;
	uint64_t edits_sent, updates_received, awareness_received, app_frames;
	uint64_t samples;
	double p50_ms, p90_ms, p99_ms, p999_ms, max_ms;
	double sent_per_s, delivered_per_s;
	double elapsed_s;
	double join_p50_ms, join_p90_ms, join_max_ms; /* cold joins */
	unsigned joined;
	char first_error[256];
};

/*
 * ld_run connects rooms x users simulated users, drives them for the
 * duration and fills *out.  Returns TC_ECONNREFUSED when the server cannot
 * be reached, TC_EIO for other set-up failures (detail in out->first_error).
 */
enum tc_err ld_run(const struct ld_options *opt, struct ld_report *out);

/* ld_raise_nofile lifts the open-files limit to its hard limit: a run holds
 * a descriptor per simulated user. */
void ld_raise_nofile(void);

/* ---- the floor under any room server (bench_relay.c) ---- */

struct relay_step {
	double offered;         /* messages/s */
	double delivered_per_s; /* received by the partner, measured part */
	double p50_ms, p99_ms;
	double client_cpu, relay_cpu; /* share of one CPU over the step */
	unsigned long long errors;
	bool pass; /* p99 < 50 ms, >= 95% delivered, no errors */
};

/*
 * relay_floor sends the rooms' traffic (pairs x 2 loopback connections,
 * each message to its partner) through a bare relay process: one epoll
 * loop copying bytes, no WebSocket, parsing or storage.  It runs every
 * rate (messages/s in all; a step that fails on a passing host's hiccup
 * does not hide the next), filling steps; returns how many steps ran (0
 * when the relay could not start).
 */
size_t relay_floor(unsigned pairs, const double *rates, size_t nrates, double warm_s, double step_s,
    struct relay_step *steps);

#endif /* TANDEM_LOAD_H */
