/* sv_log.c: see sv_log.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sv_log.h"

int sv_log_level = SV_LOG_INFO;

int sv_log_parse_level(const char *s)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
	    {"ERROR", SV_LOG_ERROR},  {"WARN", SV_LOG_WARN},
	    {"WARNING", SV_LOG_WARN}, {"INFO", SV_LOG_INFO},
	    {"DEBUG", SV_LOG_DEBUG},  {"TRACE", SV_LOG_DEBUG},
	};
	char *end;
	long n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].level;
	n = strtol(s, &end, 10);
	if (*s && !*end && n >= 0 && n <= 7)
		return (int)n;
	return -1;
}

const char *sv_log_level_name(int level)
{
	if (level <= SV_LOG_ERROR)
		return "ERROR";
	if (level <= SV_LOG_WARN)
		return "WARN";
	if (level <= SV_LOG_INFO)
		return "INFO";
	return "DEBUG";
}

void sv_log_vwrite(int level, char role, const char *id, const char *conn,
                   int task, const char *fmt, va_list ap)
{
	char line[8192];
	struct timespec ts;
	struct tm tm;
	char taskbuf[16];
	size_t off, msg;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (task >= 0)
		snprintf(taskbuf, sizeof(taskbuf), "%d", task);
	else
		strcpy(taskbuf, "-");
	n = snprintf(
	    line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %d %c %s %s task=%s conn=%s ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(), role,
	    sv_log_level_name(level), id, taskbuf, conn ? conn : "-");
	if (n < 0)
		return;
	off = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	msg = off;
	n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	if (n < 0)
		return;
	off +=
	    (size_t)n < sizeof(line) - off ? (size_t)n : sizeof(line) - off - 1;
	for (size_t i = msg; i < off; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[off++] = '\n';
	/* one write per line keeps lines whole between threads and processes */
	if (write(STDERR_FILENO, line, off) < 0)
		return;
}

void sv_log_write(int level, char role, const char *id, const char *conn,
                  int task, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sv_log_vwrite(level, role, id, conn, task, fmt, ap);
	va_end(ap);
}
