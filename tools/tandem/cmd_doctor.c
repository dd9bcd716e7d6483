/*
 * tandem doctor - report what this host supports.  Each module adds its
 * checks; a failed check is printed with what to do about it.
 */
#include <nng/nng.h>
#include <stdio.h>
#include <unistd.h>

#include "tandem.h"
#ifdef TANDEM_HAVE_SANDBOX
#include "sandbox/sandbox.h"
#endif

int
tandem_cmd_doctor(int argc, char **argv)
{
	int status = TANDEM_EXIT_OK;

	if (tandem_wants_help(argc, argv)) {
		printf("usage: tandem doctor\n\nPrints what this host supports: cores, the "
		       "messaging library,\nthe sandbox level and which isolation checks "
		       "passed.\nExit code 3 when a required part is missing.\n");
		return TANDEM_EXIT_OK;
	}
	printf("cores: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("nng: %s\n", nng_version());
	printf("running as uid %d\n", (int)getuid());
#ifdef TANDEM_HAVE_SANDBOX
	sbx_doctor_print(stdout);
#endif
	return status;
}
