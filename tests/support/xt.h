/*
 * tests/support/xt.h - shared test support: domain asserts, temp dirs,
 * waiting for events with a deadline, and skipping with a reason.
 */
#ifndef XT_H
#define XT_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

/* Assert that an enum tc_err expression is TC_OK, printing its text if not. */
#define XT_OK(expr)                                                                   \
	do {                                                                          \
		enum tc_err xt_rv_ = (expr);                                          \
		cr_assert(xt_rv_ == TC_OK, "%s: %s (%s)", #expr, tc_strerror(xt_rv_), \
		    tc_errname(xt_rv_));                                              \
	} while (0)

/* Assert that an enum tc_err expression equals a given code. */
#define XT_ERR(expr, code)                                                                    \
	do {                                                                                  \
		enum tc_err xt_rv_ = (expr);                                                  \
		cr_assert(xt_rv_ == (code), "%s: got %s, want %s", #expr, tc_errname(xt_rv_), \
		    tc_errname(code));                                                        \
	} while (0)

/*
 * xt_tmpdir creates a fresh directory under $TMPDIR (or /tmp) and returns
 * its path; the caller owns the string and removes the tree with
 * xt_rmtree().
 */
char *xt_tmpdir(const char *tag);

/*
 * xt_write_file writes text to dir/name (to name alone when dir is NULL),
 * failing the test if the file cannot be created.
 */
void xt_write_file(const char *dir, const char *name, const char *text);

/* xt_rmtree removes path and everything below it (no symlink following). */
void xt_rmtree(const char *path);

/* xt_now_ms is a monotonic clock in milliseconds. */
uint64_t xt_now_ms(void);

/*
 * xt_wait_until polls cond(arg) until it returns true or timeout_ms passes;
 * it returns the last result.  Polling yields the CPU between checks (it is
 * not a sleep to synchronise: the deadline only bounds a failing test).
 */
bool xt_wait_until(bool (*cond)(void *), void *arg, unsigned timeout_ms);

/*
 * xt_require: when what is missing (need is false), skip the test with the
 * reason, or fail it when TANDEM_REQUIRE_ALL is set (as tools/check does),
 * so that nothing skips in CI.
 */
#define xt_require(need, ...)                                \
	do {                                                 \
		if (!(need)) {                               \
			if (xt_require_all())                \
				cr_assert_fail(__VA_ARGS__); \
			else                                 \
				cr_skip_test(__VA_ARGS__);   \
		}                                            \
	} while (0)

bool xt_require_all(void);

/* xt_build_root is the meson build directory (from XT_BUILD_ROOT). */
const char *xt_build_root(void);

/* xt_source_root is the source tree's top (from XT_SOURCE_ROOT). */
const char *xt_source_root(void);

/*
 * xt_read_source reads the file below the source tree's top named by fmt
 * (printf-style; at most max bytes: a longer or missing file fails the
 * test) and sets *len.  The caller frees the result.
 */
uint8_t *xt_read_source(size_t max, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* XT_H */
