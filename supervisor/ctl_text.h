/*
 * ctl_text.h: text that sluicectl prints, made safe for a terminal.
 *
 * Everything a server sends (connector names, config values, traces) is
 * untrusted: before it reaches the terminal, control characters, C1
 * controls, bidirectional overrides and invalid UTF-8 are written as
 * escapes (\n, \t, \x1b, \u202e), so output cannot move the cursor,
 * change colours or reorder text. Widths count terminal cells, not
 * bytes: East Asian wide characters take two, combining marks none,
 * whatever the locale.
 *
 * Single-threaded (sluicectl has one thread).
 */
#ifndef SLUICE_CTL_TEXT_H
#define SLUICE_CTL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Returns a new string (the caller frees it) holding s made safe to print:
 * every control character escaped. With multiline, '\n' and '\t' are kept
 * as they are (for traces and multi-line messages). Returns NULL with
 * errno ENOMEM. s may be NULL (an empty string is returned).
 */
char *ctl_text_clean(const char *s, bool multiline);

/* Terminal cells taken by s, a string from ctl_text_clean. */
size_t ctl_text_width(const char *s);

/*
 * Writes s made safe (as ctl_text_clean with multiline false) to f. Falls
 * back to '?' for each byte when out of memory.
 */
void ctl_text_print(FILE *f, const char *s);

/*
 * The ANSI colour sequence for a Kafka Connect state (green RUNNING, red
 * FAILED, yellow PAUSED, STOPPED, RESTARTING and UNASSIGNED), or "" when
 * the state has none; end it with CTL_TEXT_COLOR_RESET.
 */
const char *ctl_text_state_color(const char *state);

#define CTL_TEXT_COLOR_RESET "\033[0m"

#endif /* SLUICE_CTL_TEXT_H */
