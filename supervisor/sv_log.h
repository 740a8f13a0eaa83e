/*
 * sv_log.h: sluiced's log.
 *
 * One line per event on stderr:
 *
 *	2026-11-22T02:22:11.123Z 4242 S INFO SV-UNIT-START task=0 conn=src msg
 *
 * with the pid, the role (S supervisor, T a taskhost's line relayed by the
 * supervisor), the level, a stable event ID, the unit (task=- for a
 * connector instance or none) and the connector (conn=-: none). Event IDs
 * are upper-case, start with SV- (or TH- for relayed taskhost events) and
 * are never reused for a different event, so they stay greppable.
 *
 * The macros check the level before evaluating their arguments.
 * Thread-safe: each line is written with one write(2).
 */
#ifndef SLUICE_SV_LOG_H
#define SLUICE_SV_LOG_H

#include <stdarg.h>

enum sv_log_level {
	SV_LOG_ERROR = 3,
	SV_LOG_WARN = 4,
	SV_LOG_INFO = 6,
	SV_LOG_DEBUG = 7,
};

extern int sv_log_level;

/* Parses "ERROR", "WARN", "INFO", "DEBUG" (any case; also syslog
 * numbers). Returns the level or -1. */
int sv_log_parse_level(const char *s);
const char *sv_log_level_name(int level);

/*
 * Writes one line. role is 'S' or 'T'; conn and task may be NULL ("-");
 * task < 0 prints "-". Control characters in the message are replaced
 * with '?' so a taskhost cannot forge lines.
 */
void sv_log_write(int level, char role, const char *id, const char *conn,
                  int task, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void sv_log_vwrite(int level, char role, const char *id, const char *conn,
                   int task, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

#define sv_log(level, id, ...)                                     \
	do {                                                       \
		if (sv_log_level >= (level))                       \
			sv_log_write((level), 'S', (id), NULL, -1, \
			             __VA_ARGS__);                 \
	} while (0)

#define sv_error(id, ...) sv_log(SV_LOG_ERROR, id, __VA_ARGS__)
#define sv_warn(id, ...)  sv_log(SV_LOG_WARN, id, __VA_ARGS__)
#define sv_info(id, ...)  sv_log(SV_LOG_INFO, id, __VA_ARGS__)
#define sv_debug(id, ...) sv_log(SV_LOG_DEBUG, id, __VA_ARGS__)

/* A line about one connector (task -1) or task. */
#define sv_ulog(level, id, conn, task, ...)                              \
	do {                                                             \
		if (sv_log_level >= (level))                             \
			sv_log_write((level), 'S', (id), (conn), (task), \
			             __VA_ARGS__);                       \
	} while (0)

#endif /* SLUICE_SV_LOG_H */
