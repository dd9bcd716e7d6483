/*
 * core/log.h - JSON-lines logging.
 *
 * One line per record on the log sink (stderr by default):
 *   {"ts":"2026-11-28T19:31:55.123Z","level":"info","comp":"node","msg":"..."}
 * followed by any key/value fields given with tc_log_kv().  Lines are written
 * with a single write(2) so records from threads never interleave.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdarg.h>

enum tc_log_level {
	TC_LOG_DEBUG = 0,
	TC_LOG_INFO = 1,
	TC_LOG_WARN = 2,
	TC_LOG_ERROR = 3,
	TC_LOG_OFF = 4,
};

/*
 * tc_log_set_level sets the lowest level written; records below it cost one
 * atomic load.  The initial level comes from TANDEM_LOG_LEVEL (debug, info,
 * warn, error, off) or is info.  Thread: any.  Blocks: no.
 */
void tc_log_set_level(enum tc_log_level level);
enum tc_log_level tc_log_get_level(void);

/*
 * tc_log_set_fd sends records to fd (default 2).  The caller keeps
 * ownership of fd and keeps it open while logging may happen.
 * Thread: any.  Blocks: no.
 */
void tc_log_set_fd(int fd);

/*
 * tc_log_level_parse turns "debug"/"info"/"warn"/"error"/"off" into a level.
 * Returns 0 on success, -1 for an unknown name.
 */
int tc_log_level_parse(const char *name, enum tc_log_level *out);

/*
 * tc_log writes one record.  comp names the component ("node", "room",
 * "judge"); fmt is printf-style text, JSON-escaped on output.
 * Thread: any.  Blocks: on the write(2) of one line.
 */
void tc_log(enum tc_log_level level, const char *comp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * tc_log_kv writes one record with extra string fields: kv holds nkv pairs
 * of (key, value) strings, both JSON-escaped on output.
 */
void tc_log_kv(
    enum tc_log_level level, const char *comp, const char *msg, const char *const *kv, int nkv);

#endif /* CORE_LOG_H */
