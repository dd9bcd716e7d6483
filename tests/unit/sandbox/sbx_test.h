/*
 * tests/unit/sandbox/sbx_test.h - set-up shared by the suites that run the
 * real sandbox.
 */
#ifndef TESTS_UNIT_SANDBOX_SBX_TEST_H
#define TESTS_UNIT_SANDBOX_SBX_TEST_H

#include <stdio.h>
#include <unistd.h>

#include "sandbox/judge.h"
#include "xt.h"

/* Skip locally (fail in CI) unless this host gives the full level. */
static inline void
need_full(void)
{
	xt_require(geteuid() == 0, "the sandbox needs root");
	struct sbx_detect_report rep;
	XT_OK(sbx_detect(&rep));
	xt_require(rep.level == SBX_LEVEL_FULL, "this host does not support the full level");
}

/* A problem folder under the source tree. */
static inline struct sbx_problem *
load(const char *rel)
{
	char dir[4096], err[512] = "";
	snprintf(dir, sizeof(dir), "%s/%s", xt_source_root(), rel);
	struct sbx_problem *p = NULL;
	cr_assert(sbx_problem_load(dir, &p, err, sizeof(err)) == TC_OK, "%s: %s", rel, err);
	return p;
}

#endif /* TESTS_UNIT_SANDBOX_SBX_TEST_H */
