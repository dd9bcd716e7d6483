/*
 * Fuzz target: the judge's result JSON decoder (sbx_result_parse), which
 * reads result.json written by a judge in another task.  Whatever parses
 * must format again and parse to the same status and counts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/judge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_result r;
	if (sbx_result_parse((const char *)data, size, &r) != TC_OK)
		return 0;
	char *json = NULL;
	if (sbx_result_format(&r, &json) != TC_OK)
		abort();
	struct sbx_result back;
	if (sbx_result_parse(json, strlen(json), &back) != TC_OK)
		abort();
	if (back.status != r.status || back.passed != r.passed || back.total != r.total ||
	    back.ntests != r.ntests)
		abort();
	sbx_result_fini(&back);
	sbx_result_fini(&r);
	free(json);
	return 0;
}
