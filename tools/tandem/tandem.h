/*
 * tools/tandem/tandem.h - the subcommands of the tandem command.
 *
 * Each subcommand is one function taking the arguments after its name
 * (argv[0] is the subcommand's name) and returning the process exit code:
 *   0  success
 *   1  the operation failed (the reason was printed)
 *   2  usage error (bad options or arguments)
 *   3  the environment cannot do what was asked (missing privileges,
 *      unreachable database, sandbox level unavailable)
 * Every subcommand prints its help with --help and exits 0.
 */
#ifndef TANDEM_TANDEM_H
#define TANDEM_TANDEM_H

#include <stdio.h>

enum {
	TANDEM_EXIT_OK = 0,
	TANDEM_EXIT_FAIL = 1,
	TANDEM_EXIT_USAGE = 2,
	TANDEM_EXIT_ENV = 3,
};

struct tandem_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* A benchmark: `tandem bench NAME [options]`. */
struct tandem_bench {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

int tandem_cmd_serve(int argc, char **argv);
int tandem_cmd_bench(int argc, char **argv);
int tandem_cmd_doctor(int argc, char **argv);
int tandem_cmd_version(int argc, char **argv);
int tandem_cmd_load(int argc, char **argv);
int tandem_cmd_judge(int argc, char **argv);
int tandem_cmd_problem(int argc, char **argv);

int tandem_bench_core(int argc, char **argv);
int tandem_bench_rooms(int argc, char **argv);
int tandem_bench_judge(int argc, char **argv);
int tandem_bench_store(int argc, char **argv);

/*
 * tandem_wants_help reports whether argv holds -h or --help, for the
 * subcommands' own option loops.
 */
int tandem_wants_help(int argc, char **argv);

#endif /* TANDEM_TANDEM_H */
