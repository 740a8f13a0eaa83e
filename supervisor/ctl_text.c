/* ctl_text.c: see ctl_text.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_text.h"

struct range {
	uint32_t lo, hi;
};

/* Code points that take no cell: combining marks, zero-width characters
 * and variation selectors. */
static const struct range zero_width[] = {
    {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd},   {0x0610, 0x061a},
    {0x064b, 0x065f}, {0x0e31, 0x0e31}, {0x0e34, 0x0e3a},   {0x1ab0, 0x1aff},
    {0x1dc0, 0x1dff}, {0x200b, 0x200f}, {0x20d0, 0x20ff},   {0xfe00, 0xfe0f},
    {0xfe20, 0xfe2f}, {0xfeff, 0xfeff}, {0xe0100, 0xe01ef},
};

/* Code points that take two cells: East Asian wide and fullwidth forms,
 * and the emoji blocks terminals draw wide. */
static const struct range wide[] = {
    {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},
    {0x23e9, 0x23ec},   {0x2e80, 0x303e},   {0x3041, 0x33ff},
    {0x3400, 0x4dbf},   {0x4e00, 0x9fff},   {0xa000, 0xa4cf},
    {0xa960, 0xa97f},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},
    {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},   {0xff00, 0xff60},
    {0xffe0, 0xffe6},   {0x1f300, 0x1f64f}, {0x1f900, 0x1f9ff},
    {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
};

static bool in_ranges(uint32_t cp, const struct range *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (cp >= r[i].lo && cp <= r[i].hi)
			return true;
	}
	return false;
}

/*
 * Decodes one UTF-8 sequence at s (at most avail bytes). Returns its
 * length and stores the code point, or returns 0 for an invalid sequence
 * (overlong forms, surrogates and values past U+10FFFF are invalid).
 */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (avail < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that could move the cursor, hide text or reorder it. */
static bool must_escape(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

char *ctl_text_clean(const char *s, bool multiline)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), o = 0;
	char *out;

	/* the longest escape, \uXXXX, is 6 bytes for a sequence of >= 1 */
	out = malloc(n * 6 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);

		if (len == 0) {
			o += sprintf(out + o, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (!must_escape(cp) ||
		    (multiline && (cp == '\n' || cp == '\t'))) {
			memcpy(out + o, p + i, len);
			o += len;
		} else if (cp == '\n') {
			o += sprintf(out + o, "\\n");
		} else if (cp == '\t') {
			o += sprintf(out + o, "\\t");
		} else if (cp == '\r') {
			o += sprintf(out + o, "\\r");
		} else if (cp < 0x80) {
			o += sprintf(out + o, "\\x%02x", (unsigned)cp);
		} else {
			o += sprintf(out + o, "\\u%04x", (unsigned)cp);
		}
		i += len;
	}
	out[o] = '\0';
	return out;
}

size_t ctl_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), w = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);

		if (len == 0) {
			/* not from ctl_text_clean; count the byte */
			w++;
			i++;
			continue;
		}
		i += len;
		if (in_ranges(cp, zero_width,
		              sizeof(zero_width) / sizeof(zero_width[0])))
			continue;
		if (in_ranges(cp, wide, sizeof(wide) / sizeof(wide[0])))
			w += 2;
		else
			w++;
	}
	return w;
}

void ctl_text_print(FILE *f, const char *s)
{
	char *clean = ctl_text_clean(s, false);

	if (!clean) {
		for (const char *p = s; p && *p; p++)
			fputc('?', f);
		return;
	}
	fputs(clean, f);
	free(clean);
}

const char *ctl_text_state_color(const char *state)
{
	if (!state)
		return "";
	if (strcmp(state, "RUNNING") == 0)
		return "\033[32m";
	if (strcmp(state, "FAILED") == 0)
		return "\033[31m";
	if (strcmp(state, "PAUSED") == 0 || strcmp(state, "STOPPED") == 0 ||
	    strcmp(state, "RESTARTING") == 0 ||
	    strcmp(state, "UNASSIGNED") == 0)
		return "\033[33m";
	return "";
}
