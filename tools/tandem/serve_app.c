/*
 * serve_app.c - what `tandem serve` runs on its nodes (see serve_app.h):
 * the SQLite or PostgreSQL store, the recorder and the rooms on the
 * gateway node, the runners on the runner node, and the gateway.  Each
 * part is wired only when this build has its module.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/node.h"
#include "gateway/gateway.h"
#include "serve_app.h"
#include "tandem.h"

#ifdef TANDEM_HAVE_STORE
#include "store/blob.h"
#include "store/store.h"
#endif
#ifdef TANDEM_HAVE_ACTORS
#include "actors/protocol.h"
#include "actors/recorder.h"
#include "actors/room.h"
#include "actors/runner.h"
#include "sandbox/sandbox.h"
#endif

struct serve_app {
	struct gw_server *gw;
	struct st_store *store;
	struct st_blobs *blobs;
	bool rooms;
	unsigned drain_s;
#ifdef TANDEM_HAVE_ACTORS
	struct recorder_config rec; /* the recorder's spawn argument */
#endif
};

void
serve_app_opts_init(struct serve_app_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = 8080;
	o->bind = "127.0.0.1";
	o->web = "web/dist";
	o->data = "./data";
	o->problems = "sandbox/problems";
	o->guests = 1;
	o->runners = 2;
	o->drain_s = 30;
}

void
serve_app_usage(FILE *f)
{
	fprintf(f,
	    "  --port N           HTTP port (default 8080; 0 picks a free one)\n"
	    "  --bind ADDR        address to listen on (default 127.0.0.1; 0.0.0.0 for all)\n"
	    "  --web DIR          the built web app (default web/dist)\n"
	    "  --data DIR         data directory (default ./data)\n"
	    "  --problems DIR     problem folders (default sandbox/problems)\n"
	    "  --db URL           SQLite file or postgres:// URL (default DATA/tandem.db)\n"
	    "  --origin URL       an allowed browser Origin (repeatable; default same host)\n"
	    "  --jwks-file PATH   accept JWTs signed by these keys\n"
	    "  --jwks-url URL     ... or by the keys at this URL\n"
	    "  --jwks-refresh S   fetch the URL again every S seconds (default 600; a\n"
	    "                     token naming an unknown key fetches early, at most\n"
	    "                     every 30 s)\n"
	    "  --issuer ISS       required JWT issuer\n"
	    "  --audience AUD     required JWT audience\n"
	    "  --guests on|off    guest sign-in (default on)\n"
	    "  --runners N        judge slots (default 2)\n"
	    "  --rate N           client messages per second per connection (default 200)\n"
	    "  --burst N          messages a connection may send at once (default 2 x rate)\n"
	    "  --drain S          on stop, wait up to S seconds for runs already started\n"
	    "                     to get their verdicts and for every event to be durable\n"
	    "                     (default 30)\n");
}

int
serve_app_option(struct serve_app_opts *o, const char *a, const char *v)
{
	char *end;
	if (strcmp(a, "--port") == 0) {
		long p = strtol(v, &end, 10);
		if (*end != '\0' || p < 0 || p > 65535) {
			fprintf(stderr, "tandem serve: bad --port '%s'\n", v);
			return -1;
		}
		o->port = (int)p;
	} else if (strcmp(a, "--bind") == 0) {
		o->bind = v;
	} else if (strcmp(a, "--web") == 0) {
		o->web = v;
	} else if (strcmp(a, "--data") == 0) {
		o->data = v;
	} else if (strcmp(a, "--problems") == 0) {
		o->problems = v;
	} else if (strcmp(a, "--db") == 0) {
		o->db = v;
	} else if (strcmp(a, "--origin") == 0) {
		if (o->norigins == SERVE_APP_ORIGINS_MAX) {
			fprintf(
			    stderr, "tandem serve: at most %d --origin\n", SERVE_APP_ORIGINS_MAX);
			return -1;
		}
		o->origins[o->norigins++] = v;
	} else if (strcmp(a, "--jwks-file") == 0) {
		o->jwks_file = v;
	} else if (strcmp(a, "--jwks-url") == 0) {
		o->jwks_url = v;
	} else if (strcmp(a, "--jwks-refresh") == 0) {
		unsigned long n = strtoul(v, &end, 10);
		if (*end != '\0' || n < 10 || n > 86400) {
			fprintf(stderr, "tandem serve: --jwks-refresh is 10..86400 seconds\n");
			return -1;
		}
		o->jwks_refresh = (unsigned)n;
	} else if (strcmp(a, "--issuer") == 0) {
		o->issuer = v;
	} else if (strcmp(a, "--audience") == 0) {
		o->audience = v;
	} else if (strcmp(a, "--guests") == 0) {
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
			fprintf(stderr, "tandem serve: --guests is on or off\n");
			return -1;
		}
		o->guests = strcmp(v, "on") == 0;
	} else if (strcmp(a, "--runners") == 0) {
		unsigned long n = strtoul(v, &end, 10);
		if (*end != '\0' || n == 0 || n > 64) {
			fprintf(stderr, "tandem serve: --runners is 1..64\n");
			return -1;
		}
		o->runners = (unsigned)n;
	} else if (strcmp(a, "--drain") == 0) {
		unsigned long n = strtoul(v, &end, 10);
		if (*end != '\0' || n > 3600) {
			fprintf(stderr, "tandem serve: --drain is 0..3600 seconds\n");
			return -1;
		}
		o->drain_s = (unsigned)n;
	} else if (strcmp(a, "--rate") == 0 || strcmp(a, "--burst") == 0) {
		unsigned long n = strtoul(v, &end, 10);
		if (*end != '\0' || n == 0 || n > 1000000) {
			fprintf(stderr, "tandem serve: %s is 1..1000000\n", a);
			return -1;
		}
		if (a[2] == 'r')
			o->rate = (unsigned)n;
		else
			o->burst = (unsigned)n;
	} else {
		return 0;
	}
	return 1;
}

int
serve_app_start(
    const struct serve_app_opts *o, struct tc_node *gw, struct tc_node *rn, struct serve_app **out)
{
	struct serve_app *app = calloc(1, sizeof(*app));
	char err[512] = "";
	enum tc_err rv;

	*out = NULL;
	if (app == NULL)
		return TANDEM_EXIT_FAIL;
	app->drain_s = o->drain_s;
#ifdef TANDEM_HAVE_STORE
	char dbpath[4096], blobpath[4096];
	const char *db = o->db;
	if (db == NULL) {
		snprintf(dbpath, sizeof(dbpath), "%s/tandem.db", o->data);
		db = dbpath;
	}
	if ((rv = st_open(db, &app->store, err, sizeof(err))) != TC_OK) {
		fprintf(stderr, "tandem serve: cannot open the store: %s\n", err);
		*out = app;
		return TANDEM_EXIT_ENV;
	}
	snprintf(blobpath, sizeof(blobpath), "%s/blobs", o->data);
	if ((rv = st_blobs_open(blobpath, &app->blobs, err, sizeof(err))) != TC_OK) {
		fprintf(stderr, "tandem serve: cannot open the blob store: %s\n", err);
		*out = app;
		return TANDEM_EXIT_ENV;
	}
#endif
#ifdef TANDEM_HAVE_ACTORS
	struct tc_addr rec = TC_ADDR_NONE;
	app->rec.store = app->store;
	if ((rv = tc_spawn(gw, &recorder_behaviour, &app->rec, &rec)) != TC_OK) {
		fprintf(stderr, "tandem serve: cannot start the recorder: %s\n", tc_strerror(rv));
		*out = app;
		return TANDEM_EXIT_FAIL;
	}
	char runner_name[TC_NAME_MAX];
	snprintf(runner_name, sizeof(runner_name), "%s@%s", RUNNER_QUEUE_NAME, tc_node_name(rn));
	struct room_config rc = {.store = app->store, .recorder = rec, .runner_name = runner_name};
	if ((rv = room_register(gw, &rc)) != TC_OK) {
		fprintf(stderr, "tandem serve: cannot register rooms: %s\n", tc_strerror(rv));
		*out = app;
		return TANDEM_EXIT_FAIL;
	}
	app->rooms = true;
	struct sbx_detect_report det;
	(void)sbx_detect(&det);
	struct runner_config run = {.count = o->runners,
	    .problems_dir = o->problems,
	    .level = det.level,
	    .probe = true,
	    .counterexample = true,
	    .store = app->store,
	    .blobs = app->blobs};
	if ((rv = runner_start(rn, &run)) != TC_OK) {
		fprintf(stderr, "tandem serve: cannot start the runners: %s\n", tc_strerror(rv));
		*out = app;
		return TANDEM_EXIT_FAIL;
	}
	if (det.level == SBX_LEVEL_NONE)
		fprintf(stderr, "tandem serve: no sandbox available here: runs will be refused "
		                "(see tandem doctor)\n");
#else
	fprintf(stderr, "tandem serve: this build has no room actors: WebSockets will close "
	                "with 4004\n");
#endif
	struct gw_config cfg;
	gw_config_init(&cfg);
	cfg.port = o->port;
	cfg.bind = o->bind;
	if (o->rate > 0)
		cfg.limits.msgs_per_s = o->rate;
	if (o->burst > 0)
		cfg.limits.burst = o->burst;
	cfg.web_root = o->web;
	cfg.problems_dir = o->problems;
	cfg.data_dir = o->data;
	cfg.origins = o->origins;
	cfg.norigins = o->norigins;
	cfg.auth.jwks_file = o->jwks_file;
	cfg.auth.jwks_url = o->jwks_url;
	cfg.auth.jwks_refresh_s = o->jwks_refresh;
	cfg.auth.issuer = o->issuer;
	cfg.auth.audience = o->audience;
	cfg.auth.guest_disabled = !o->guests;
	if ((rv = gw_server_new(&cfg, gw, app->store, &app->gw)) != TC_OK ||
	    (rv = gw_server_start(app->gw)) != TC_OK) {
		fprintf(stderr, "tandem serve: cannot serve HTTP on %s:%d: %s\n", o->bind, o->port,
		    rv == TC_EEXIST ? "the port is in use (try --port)" : tc_strerror(rv));
		*out = app;
		return rv == TC_EEXIST ? TANDEM_EXIT_ENV : TANDEM_EXIT_FAIL;
	}
	printf("TandemCode listening on http://%s:%d\n",
	    strcmp(o->bind, "0.0.0.0") == 0 ? "127.0.0.1" : o->bind, gw_server_port(app->gw));
	fflush(stdout);
	*out = app;
	return TANDEM_EXIT_OK;
}

void
serve_app_stop_http(struct serve_app *app, struct tc_node *gw)
{
	if (app == NULL)
		return;
	gw_server_stop(app->gw);
#ifdef TANDEM_HAVE_ACTORS
	size_t left = 0, runs = 0;
	if (app->rooms && room_drain(gw, app->drain_s * 1000u, &left, &runs) != TC_OK)
		tc_log(TC_LOG_WARN, "serve",
		    "stopping with %zu runs without a verdict and %zu room events the recorder "
		    "has not acknowledged",
		    runs, left);
	else if (app->rooms)
		tc_log(TC_LOG_INFO, "serve",
		    "rooms drained: every run has its verdict and every event is durable");
#else
	(void)gw;
#endif
}

void
serve_app_free(struct serve_app *app, struct tc_node *gw)
{
	if (app == NULL)
		return;
	gw_server_free(app->gw);
#ifdef TANDEM_HAVE_ACTORS
	if (app->rooms)
		room_unregister(gw);
#endif
#ifdef TANDEM_HAVE_STORE
	st_blobs_free(app->blobs);
	st_free(app->store);
#endif
	free(app);
}
