/*
 * tools/tandem/serve_app.h - the application `tandem serve` runs on its
 * nodes: the store, the recorder, rooms, runners and the gateway (each
 * when this build has it).
 */
#ifndef TANDEM_SERVE_APP_H
#define TANDEM_SERVE_APP_H

#include <stddef.h>
#include <stdio.h>

struct tc_node;
struct serve_app;

#define SERVE_APP_ORIGINS_MAX 16

/* Options; strings are borrowed from argv. */
struct serve_app_opts {
	int port;             /* --port, default 8080 */
	const char *bind;     /* --bind, default 127.0.0.1 */
	const char *web;      /* --web, default web/dist */
	const char *data;     /* --data, default ./data */
	const char *problems; /* --problems, default sandbox/problems */
	const char *db;       /* --db, default <data>/tandem.db */
	const char *origins[SERVE_APP_ORIGINS_MAX];
	size_t norigins;       /* --origin (repeatable) */
	const char *jwks_file; /* --jwks-file */
	const char *jwks_url;  /* --jwks-url */
	unsigned jwks_refresh; /* --jwks-refresh seconds, 0 = gateway default (600) */
	const char *issuer;    /* --issuer */
	const char *audience;  /* --audience */
	int guests;            /* --guests on|off, default on */
	unsigned runners;      /* --runners, default 2 */
	unsigned rate;         /* --rate: client messages/s per connection, 0 = gateway default */
	unsigned burst;        /* --burst: token bucket depth, 0 = twice the rate */
	unsigned drain_s;      /* --drain: seconds a stop waits for runs and events, default 30 */
};

void serve_app_opts_init(struct serve_app_opts *o);

/* serve_app_option takes one "--name value" pair: 1 taken, 0 not an app
 * option, -1 a bad value (printed). */
int serve_app_option(struct serve_app_opts *o, const char *name, const char *value);

/* serve_app_usage prints the app options. */
void serve_app_usage(FILE *f);

/*
 * serve_app_start opens the store, starts the recorder and registers rooms
 * on gw, starts the runners on rn (may equal gw), and serves HTTP on gw.
 * Prints "TandemCode listening on http://HOST:PORT".  Returns a tandem
 * exit code (TANDEM_EXIT_OK on success) with the reason printed.  *out is
 * set in every case but allocation failure: whatever started is released
 * by serve_app_stop_http, then stopping the nodes, then serve_app_free.
 */
int serve_app_start(
    const struct serve_app_opts *o, struct tc_node *gw, struct tc_node *rn, struct serve_app **out);

/*
 * serve_app_stop_http stops the gateway, then waits (up to 5 s) for the
 * rooms on gw to have every event acknowledged by the recorder, so a
 * graceful stop loses nothing in flight.  Call before the nodes stop.
 */
void serve_app_stop_http(struct serve_app *app, struct tc_node *gw);

/* serve_app_free releases the rest (after the nodes stopped). */
void serve_app_free(struct serve_app *app, struct tc_node *gw);

#endif /* TANDEM_SERVE_APP_H */
