/*
 * tandem - the TandemCode command.  A thin main: find the subcommand and
 * run it; everything it does lives in the libraries the tests link.
 */
#include <stdio.h>
#include <string.h>

#include "tandem.h"

static const struct tandem_cmd commands[] = {
    {"serve", "run TandemCode nodes in this process", tandem_cmd_serve},
    {"bench", "run a benchmark and print figures beside its baseline", tandem_cmd_bench},
    {"doctor", "report what this host supports (sandbox level, services)", tandem_cmd_doctor},
    {"version", "print the version", tandem_cmd_version},
#ifdef TANDEM_HAVE_GATEWAY
    {"load", "drive a room server with simulated users", tandem_cmd_load},
#endif
#ifdef TANDEM_HAVE_SANDBOX
    {"judge", "judge a submission against a problem (the judge contract)", tandem_cmd_judge},
    {"problem", "validate problem folders", tandem_cmd_problem},
#endif
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: tandem COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'tandem COMMAND --help' describes one command.\n"
	           "Exit codes: 0 ok, 1 failed, 2 usage error, 3 environment cannot do it.\n");
}

int
tandem_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return TANDEM_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return TANDEM_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		return tandem_cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "tandem: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return TANDEM_EXIT_USAGE;
}
