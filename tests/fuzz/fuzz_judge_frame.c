/*
 * Fuzz target: the harness result frame decoder (sbx__frame_decode), whose
 * input is written by the box, and the output comparisons fed with it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "problem_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_frame f;
	if (sbx__frame_decode((const char *)data, size, &f) == TC_OK && f.value != NULL) {
		/* A decoded value equals itself under every comparison mode. */
		if (!sbx_compare_values(SBX_COMPARE_EXACT, f.value, f.value))
			abort();
		(void)sbx_compare_values(SBX_COMPARE_UNORDERED, f.value, "[1,2]");
		(void)sbx_compare_values(SBX_COMPARE_FLOAT, f.value, "[0.5]");
	}
	sbx__frame_fini(&f);
	(void)sbx_compare_stdio((const char *)data, size, "1\n2\n", 4);
	return 0;
}
