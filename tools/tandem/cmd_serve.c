/*
 * tandem serve - run TandemCode nodes in this process.
 *
 * With no options it runs the laptop topology: node gw1 (id 1) and node
 * rn1 (id 2) in one process, joined over inproc://.  With --node it runs
 * one node of a larger topology given on the command line.  When the build
 * has the gateway, the first node also serves HTTP and hosts the rooms
 * (serve_app.c); runners go to rn1 (or the one node).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/node.h"
#include "tandem.h"
#ifdef TANDEM_HAVE_GATEWAY
#include "serve_app.h"
#endif

#define MAX_PEERS 16

struct peer_opt {
	unsigned long id;
	char name[64];
	char url[256];
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tandem serve [--node NAME --id N [--listen URL] [--peer ID:NAME:URL]...]\n"
	    "                    [--workers N]\n\n"
	    "Runs TandemCode nodes in this process until SIGINT or SIGTERM, then stops\n"
	    "them cleanly and reports anything still alive.\n\n"
	    "Without --node: the laptop topology, nodes gw1 and rn1 joined over inproc.\n"
	    "  --node NAME        run one node with this name\n"
	    "  --id N             its number in the topology (1..65535)\n"
	    "  --listen URL       nng URL to receive on (tcp://host:port, ipc://path)\n"
	    "  --peer ID:NAME:URL another node it sends to (repeatable)\n"
	    "  --workers N        scheduler threads per node (default: one per core)\n");
#ifdef TANDEM_HAVE_GATEWAY
	serve_app_usage(f);
#endif
}

static int
parse_peer(const char *s, struct peer_opt *p)
{
	char *end;
	p->id = strtoul(s, &end, 10);
	if (*end != ':' || p->id == 0 || p->id > 65535)
		return -1;
	const char *name = end + 1;
	const char *colon = strchr(name, ':');
	if (colon == NULL || colon == name || (size_t)(colon - name) >= sizeof(p->name))
		return -1;
	memcpy(p->name, name, (size_t)(colon - name));
	p->name[colon - name] = '\0';
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(p->url))
		return -1;
	strcpy(p->url, colon + 1);
	return 0;
}

static int
wait_for_signal(void)
{
	sigset_t set;
	int sig = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	return sig;
}

static int
stop_nodes(struct tc_node **nodes, size_t n)
{
	int status = TANDEM_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		struct tc_shutdown_report rep;
		tc_node_stop(nodes[i], 5000, &rep);
		if (rep.actors_alive > 0 || rep.work_pending > 0)
			status = TANDEM_EXIT_FAIL;
		tc_node_free(nodes[i]);
	}
	return status;
}

#ifdef TANDEM_HAVE_GATEWAY
/* Stops the gateway, then the nodes, then frees the app (rooms are
 * unregistered between a node's stop and its free), then the nodes. */
static int
stop_app_and_nodes(struct serve_app *app, struct tc_node **nodes, size_t n)
{
	int status = TANDEM_EXIT_OK;
	serve_app_stop_http(app, nodes[0]);
	for (size_t i = 0; i < n; i++) {
		struct tc_shutdown_report rep;
		tc_node_stop(nodes[i], 5000, &rep);
		if (rep.actors_alive > 0 || rep.work_pending > 0)
			status = TANDEM_EXIT_FAIL;
	}
	serve_app_free(app, nodes[0]);
	for (size_t i = 0; i < n; i++)
		tc_node_free(nodes[i]);
	return status;
}
#endif

int
tandem_cmd_serve(int argc, char **argv)
{
	const char *node_name = NULL, *listen = NULL;
	unsigned long id = 0, workers = 0;
	struct peer_opt peers[MAX_PEERS];
	size_t npeers = 0;
	struct tc_node *nodes[2] = {NULL, NULL};
	size_t nnodes = 0;
	enum tc_err rv;
	sigset_t set;
#ifdef TANDEM_HAVE_GATEWAY
	struct serve_app_opts app_opts;
	struct serve_app *app = NULL;
	serve_app_opts_init(&app_opts);
#endif

	if (tandem_wants_help(argc, argv)) {
		usage(stdout);
		return TANDEM_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			fprintf(stderr, "tandem serve: %s needs a value\n", a);
			return TANDEM_EXIT_USAGE;
		}
		i++;
		if (strcmp(a, "--node") == 0) {
			node_name = v;
		} else if (strcmp(a, "--id") == 0) {
			id = strtoul(v, NULL, 10);
		} else if (strcmp(a, "--listen") == 0) {
			listen = v;
		} else if (strcmp(a, "--workers") == 0) {
			workers = strtoul(v, NULL, 10);
		} else if (strcmp(a, "--peer") == 0) {
			if (npeers == MAX_PEERS || parse_peer(v, &peers[npeers]) != 0) {
				fprintf(stderr,
				    "tandem serve: bad --peer '%s' (want ID:NAME:URL)\n", v);
				return TANDEM_EXIT_USAGE;
			}
			npeers++;
#ifdef TANDEM_HAVE_GATEWAY
		} else if ((rv = (enum tc_err)serve_app_option(&app_opts, a, v)) != 0) {
			if ((int)rv < 0)
				return TANDEM_EXIT_USAGE;
#endif
		} else {
			fprintf(stderr, "tandem serve: unknown option '%s'\n", a);
			usage(stderr);
			return TANDEM_EXIT_USAGE;
		}
	}
	if (node_name != NULL && (id == 0 || id > 65535)) {
		fprintf(stderr, "tandem serve: --node needs --id between 1 and 65535\n");
		return TANDEM_EXIT_USAGE;
	}

	/* Signals are taken by sigwait below; every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (node_name != NULL) {
		struct tc_node_config cfg = {.id = (uint16_t)id,
		    .name = node_name,
		    .workers = (unsigned)workers,
		    .listen_url = listen};
		if ((rv = tc_node_new(&cfg, &nodes[0])) != TC_OK ||
		    (rv = tc_node_start(nodes[0])) != TC_OK) {
			fprintf(stderr, "tandem serve: cannot start node %s: %s\n", node_name,
			    tc_strerror(rv));
			tc_node_free(nodes[0]);
			return rv == TC_EEXIST ? TANDEM_EXIT_ENV : TANDEM_EXIT_FAIL;
		}
		nnodes = 1;
		for (size_t i = 0; i < npeers; i++) {
			rv = tc_node_connect(
			    nodes[0], (uint16_t)peers[i].id, peers[i].name, peers[i].url);
			if (rv != TC_OK) {
				fprintf(stderr, "tandem serve: cannot reach peer %s at %s: %s\n",
				    peers[i].name, peers[i].url, tc_strerror(rv));
				stop_nodes(nodes, nnodes);
				return TANDEM_EXIT_FAIL;
			}
		}
		printf("tandem: node %s (id %lu) running%s%s\n", node_name, id,
		    listen ? ", listening on " : "", listen ? listen : "");
	} else {
		static const struct {
			uint16_t id;
			const char *name, *url;
		} laptop[2] = {
		    {1, "gw1", "inproc://tandem-gw1"}, {2, "rn1", "inproc://tandem-rn1"}};
		for (size_t i = 0; i < 2; i++) {
			struct tc_node_config cfg = {.id = laptop[i].id,
			    .name = laptop[i].name,
			    .workers = (unsigned)workers,
			    .listen_url = laptop[i].url};
			if ((rv = tc_node_new(&cfg, &nodes[i])) != TC_OK ||
			    (rv = tc_node_start(nodes[i])) != TC_OK) {
				fprintf(stderr, "tandem serve: cannot start node %s: %s\n",
				    laptop[i].name, tc_strerror(rv));
				tc_node_free(nodes[i]);
				stop_nodes(nodes, nnodes);
				return TANDEM_EXIT_FAIL;
			}
			nnodes++;
		}
		for (size_t i = 0; i < 2; i++) {
			size_t j = 1 - i;
			rv = tc_node_connect(nodes[i], laptop[j].id, laptop[j].name, laptop[j].url);
			if (rv != TC_OK) {
				fprintf(stderr, "tandem serve: cannot join nodes: %s\n",
				    tc_strerror(rv));
				stop_nodes(nodes, nnodes);
				return TANDEM_EXIT_FAIL;
			}
		}
		printf("tandem: nodes gw1 and rn1 running in one process (inproc://tandem-gw1, "
		       "inproc://tandem-rn1)\n");
	}
	fflush(stdout);
#ifdef TANDEM_HAVE_GATEWAY
	int app_rc = serve_app_start(&app_opts, nodes[0], nodes[nnodes - 1], &app);
	if (app_rc != TANDEM_EXIT_OK) {
		stop_app_and_nodes(app, nodes, nnodes);
		return app_rc;
	}
#endif
	int sig = wait_for_signal();
	tc_log(TC_LOG_INFO, "serve", "signal %d: stopping", sig);
#ifdef TANDEM_HAVE_GATEWAY
	return stop_app_and_nodes(app, nodes, nnodes);
#else
	return stop_nodes(nodes, nnodes);
#endif
}
