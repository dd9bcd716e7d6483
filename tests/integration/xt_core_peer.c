/*
 * xt_core_peer - the far process of the core's two-process test.
 *
 *   xt_core_peer LISTEN_URL TEST_URL
 *
 * Starts node 2 "peer" listening on LISTEN_URL with an echo actor named
 * "echo/1" (it sends every message back to its sender, type + 1, same
 * body), connects to node 1 "test" at TEST_URL, prints "ready" and runs
 * until its stdin closes.  Exits 0 after a clean stop, 1 otherwise.
 */
#include <stdio.h>
#include <unistd.h>

#include "core/actor.h"
#include "core/node.h"

static enum tc_err
echo_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *m)
{
	if (m->type >= TC_MSG_APP && !tc_addr_is_none(m->from))
		return tc_send(ctx, m->from, m->type + 1, m->body, m->len);
	return TC_OK;
}

static const struct tc_behaviour echo_b = {.kind = "echo", .handle = echo_handle};

int
main(int argc, char **argv)
{
	struct tc_node_config cfg = {.id = 2, .name = "peer", .workers = 1};
	struct tc_shutdown_report rep;
	struct tc_node *n;
	enum tc_err rv;
	char buf[256];

	if (argc != 3) {
		fprintf(stderr, "usage: %s LISTEN_URL TEST_URL\n", argv[0]);
		return 2;
	}
	cfg.listen_url = argv[1];
	if ((rv = tc_node_new(&cfg, &n)) != TC_OK)
		goto fail;
	if ((rv = tc_node_start(n)) != TC_OK || (rv = tc_node_connect(n, 1, "test", argv[2])) ||
	    (rv = tc_spawn_named(n, "echo/1", &echo_b, NULL, NULL)) != TC_OK) {
		tc_node_free(n);
		goto fail;
	}
	printf("ready\n");
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	tc_node_stop(n, 5000, &rep);
	tc_node_free(n);
	return rep.actors_alive || rep.timers_pending || rep.work_pending ? 1 : 0;
fail:
	fprintf(stderr, "xt_core_peer: %s\n", tc_strerror(rv));
	printf("error %s\n", tc_errname(rv));
	return 1;
}
