/*
 * tandem load - drive a room server with simulated users and print edit
 * latency percentiles, delivered updates/s and errors (or JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "load.h"
#include "tandem.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: tandem load [options]\n\n"
	           "Simulated users (one actor each) join rooms over WebSocket, speak\n"
	           "y-protocols, edit, move cursors and run code; edit latency is measured\n"
	           "from one member's send to the other member's receipt.\n\n"
	           "  --url URL          server: http://HOST:PORT (TandemCode, default\n"
	           "                     http://127.0.0.1:8080) or ws://HOST:PORT for a stock\n"
	           "                     y-websocket server (rooms are paths there)\n"
	           "  --rooms N          rooms (default 10)\n"
	           "  --users N          users per room (default 2)\n"
	           "  --edits R          edits per second per user (default 5)\n"
	           "  --cursors R        cursor updates per second per user (default 2)\n"
	           "  --runs R           runs per minute per room, TandemCode only (default 0)\n"
	           "  --duration S       measured seconds (default 10)\n"
	           "  --warmup S         seconds before measuring (default 2)\n"
	           "  --problem SLUG     problem for created rooms (default two-sum)\n"
	           "  --workers N        scheduler threads (default: one per core)\n"
	           "  --json             print one JSON object instead of text\n\n"
	           "Exit codes: 0 ok, 1 errors during the run, 2 usage, 3 server unreachable.\n");
}

static int
parse_url(const char *url, struct ld_options *o)
{
	const char *rest;
	if (strncmp(url, "http://", 7) == 0) {
		o->server = LD_SERVER_TANDEM;
		rest = url + 7;
	} else if (strncmp(url, "ws://", 5) == 0) {
		o->server = LD_SERVER_YWS;
		rest = url + 5;
	} else {
		return -1;
	}
	const char *colon = strchr(rest, ':');
	size_t hlen = colon != NULL ? (size_t)(colon - rest) : strcspn(rest, "/");
	if (hlen == 0 || hlen >= sizeof(o->host))
		return -1;
	memcpy(o->host, rest, hlen);
	o->host[hlen] = '\0';
	o->port = colon != NULL ? atoi(colon + 1) : 80;
	return o->port > 0 && o->port < 65536 ? 0 : -1;
}

int
tandem_cmd_load(int argc, char **argv)
{
	struct ld_options o = {.rooms = 10,
	    .users = 2,
	    .edits_per_s = 5,
	    .cursors_per_s = 2,
	    .duration_s = 10,
	    .warmup_s = 2,
	    .problem = "two-sum"};
	struct ld_report rep;
	int json = 0;

	parse_url("http://127.0.0.1:8080", &o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return TANDEM_EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			json = 1;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "tandem load: %s needs a value\n", a);
			return TANDEM_EXIT_USAGE;
		}
		i++;
		if (strcmp(a, "--url") == 0) {
			if (parse_url(v, &o) != 0) {
				fprintf(stderr, "tandem load: bad --url '%s'\n", v);
				return TANDEM_EXIT_USAGE;
			}
		} else if (strcmp(a, "--rooms") == 0) {
			o.rooms = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--users") == 0) {
			o.users = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--edits") == 0) {
			o.edits_per_s = strtod(v, NULL);
		} else if (strcmp(a, "--cursors") == 0) {
			o.cursors_per_s = strtod(v, NULL);
		} else if (strcmp(a, "--runs") == 0) {
			o.runs_per_min = strtod(v, NULL);
		} else if (strcmp(a, "--duration") == 0) {
			o.duration_s = strtod(v, NULL);
		} else if (strcmp(a, "--warmup") == 0) {
			o.warmup_s = strtod(v, NULL);
		} else if (strcmp(a, "--problem") == 0) {
			o.problem = v;
		} else if (strcmp(a, "--cold-join") == 0) {
			o.cold_join = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--joins") == 0) {
			o.joins = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--workers") == 0) {
			o.workers = (unsigned)strtoul(v, NULL, 10);
		} else {
			fprintf(stderr, "tandem load: unknown option '%s'\n", a);
			usage(stderr);
			return TANDEM_EXIT_USAGE;
		}
	}
	if (o.rooms == 0 || o.users == 0 || o.rooms * o.users > 100000 || o.duration_s <= 0 ||
	    o.duration_s > 3600 || o.edits_per_s < 0 || o.edits_per_s > 1000 ||
	    o.cursors_per_s < 0 || o.warmup_s < 0 || o.runs_per_min < 0) {
		fprintf(stderr, "tandem load: rooms and users must be positive (at most 100000 "
		                "users), duration in (0, 3600], edits at most 1000/s per user\n");
		return TANDEM_EXIT_USAGE;
	}
	if (tc_log_get_level() < TC_LOG_WARN)
		tc_log_set_level(TC_LOG_WARN);

	enum tc_err rv = ld_run(&o, &rep);
	if (rv == TC_ECONNREFUSED) {
		fprintf(stderr, "tandem load: cannot reach the server: %s\n", rep.first_error);
		return TANDEM_EXIT_ENV;
	}
	if (rv != TC_OK) {
		fprintf(stderr, "tandem load: %s %s\n", tc_strerror(rv), rep.first_error);
		return TANDEM_EXIT_FAIL;
	}
	if (o.cold_join > 0) {
		if (json)
			printf("{\"cold_join_updates\":%u,\"joins\":%u,\"join_p50_ms\":%.3f,"
			       "\"join_p90_ms\":%.3f,\"join_max_ms\":%.3f,\"errors\":%llu}\n",
			    o.cold_join, rep.joined, rep.join_p50_ms, rep.join_p90_ms,
			    rep.join_max_ms, (unsigned long long)rep.errors);
		else
			printf("tandem load: cold join of a room with %u updates, %u joins: p50 "
			       "%.2f ms  "
			       "p90 %.2f ms  max %.2f ms  (errors %llu%s%s)\n",
			    o.cold_join, rep.joined, rep.join_p50_ms, rep.join_p90_ms,
			    rep.join_max_ms, (unsigned long long)rep.errors,
			    rep.first_error[0] ? ": " : "", rep.first_error);
		return rep.errors > 0 || rep.joined == 0 ? TANDEM_EXIT_FAIL : TANDEM_EXIT_OK;
	}
	if (json) {
		printf("{\"rooms\":%u,\"users_per_room\":%u,\"edits_per_s_per_user\":%g,"
		       "\"duration_s\":%.3f,\"connected\":%llu,\"errors\":%llu,"
		       "\"edits_sent\":%llu,\"updates_received\":%llu,\"samples\":%llu,"
		       "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
		       "\"max_ms\":%.3f,\"sent_per_s\":%.1f,\"delivered_per_s\":%.1f}\n",
		    o.rooms, o.users, o.edits_per_s, rep.elapsed_s,
		    (unsigned long long)rep.connected, (unsigned long long)rep.errors,
		    (unsigned long long)rep.edits_sent, (unsigned long long)rep.updates_received,
		    (unsigned long long)rep.samples, rep.p50_ms, rep.p90_ms, rep.p99_ms,
		    rep.p999_ms, rep.max_ms, rep.sent_per_s, rep.delivered_per_s);
	} else {
		printf(
		    "tandem load: %u rooms x %u users, %.1f edits/s and %.1f cursor updates/s per "
		    "user, %.1f s measured\n",
		    o.rooms, o.users, o.edits_per_s, o.cursors_per_s, rep.elapsed_s);
		printf("  connected %llu of %u, errors %llu%s%s\n",
		    (unsigned long long)rep.connected, o.rooms * o.users,
		    (unsigned long long)rep.errors, rep.first_error[0] ? " (first: " : "",
		    rep.first_error[0] ? rep.first_error : "");
		if (rep.first_error[0])
			printf("  )\n");
		printf(
		    "  edit latency (send -> other member): p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  "
		    "p99.9 %.2f ms  max %.2f ms  (%llu samples)\n",
		    rep.p50_ms, rep.p90_ms, rep.p99_ms, rep.p999_ms, rep.max_ms,
		    (unsigned long long)rep.samples);
		printf("  edits sent %.0f/s, updates delivered %.0f/s\n", rep.sent_per_s,
		    rep.delivered_per_s);
	}
	return rep.errors > 0 ? TANDEM_EXIT_FAIL : TANDEM_EXIT_OK;
}
