#include <stdio.h>
#include <string.h>

#include "tandem.h"

static const struct tandem_bench benches[] = {
    {"core", "actor messaging: same node, across nodes, round trips", tandem_bench_core},
#ifdef TANDEM_HAVE_GATEWAY
    {"rooms", "room server vs stock y-websocket and a bare relay: updates/s, RSS, cold joins",
        tandem_bench_rooms},
#endif
#ifdef TANDEM_HAVE_STORE
    {"store", "durable events/s, ack latency, session load time, compression", tandem_bench_store},
#endif
#ifdef TANDEM_HAVE_SANDBOX
    {"judge", "judge latency vs fresh processes, one process, a fork per test; probe spread",
        tandem_bench_judge},
#endif
};

#define NBENCHES (sizeof(benches) / sizeof(benches[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: tandem bench NAME [options]\n\n"
	           "Runs a benchmark and prints its figures beside a baseline measured\n"
	           "in the same run.  Benchmarks:\n");
	for (size_t i = 0; i < NBENCHES; i++)
		fprintf(f, "  %-8s %s\n", benches[i].name, benches[i].summary);
	fprintf(f, "\n'tandem bench NAME --help' lists a benchmark's options.\n");
}

int
tandem_cmd_bench(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return TANDEM_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return TANDEM_EXIT_OK;
	}
	for (size_t i = 0; i < NBENCHES; i++) {
		if (strcmp(argv[1], benches[i].name) == 0)
			return benches[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "tandem bench: unknown benchmark '%s'\n", argv[1]);
	usage(stderr);
	return TANDEM_EXIT_USAGE;
}
