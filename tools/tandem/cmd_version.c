#include <nng/nng.h>
#include <stdio.h>

#include "tandem.h"

#ifndef TANDEM_VERSION
#define TANDEM_VERSION "0.1.0"
#endif

int
tandem_cmd_version(int argc, char **argv)
{
	if (tandem_wants_help(argc, argv)) {
		printf("usage: tandem version\n\nPrints the TandemCode version and the "
		       "versions of its messaging library.\n");
		return TANDEM_EXIT_OK;
	}
	printf("tandem %s (nng %s)\n", TANDEM_VERSION, nng_version());
	return TANDEM_EXIT_OK;
}
