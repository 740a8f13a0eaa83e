/* ctl_table.c: see ctl_table.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_table.h"
#include "ctl_text.h"

#define CTL_TABLE_MAX_COLS 16

struct ctl_table {
	int ncols;
	bool header;
	int state_col; /* -1: none */
	size_t nrows;
	size_t cap;     /* rows allocated */
	char **cells;   /* nrows * ncols, row-major */
	size_t *widths; /* ncols */
};

struct ctl_table *ctl_table_new(int ncols, bool header)
{
	struct ctl_table *t;

	if (ncols < 1 || ncols > CTL_TABLE_MAX_COLS) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	t->header = header;
	t->state_col = -1;
	t->widths = calloc(ncols, sizeof(*t->widths));
	if (!t->widths) {
		ctl_table_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void ctl_table_free(struct ctl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->widths);
	free(t);
}

void ctl_table_state_column(struct ctl_table *t, int col)
{
	if (col >= 0 && col < t->ncols)
		t->state_col = col;
}

int ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	size_t base;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **nc =
		    reallocarray(t->cells, cap * t->ncols, sizeof(*t->cells));

		if (!nc)
			return -ENOMEM;
		t->cells = nc;
		t->cap = cap;
	}
	base = t->nrows * t->ncols;
	for (int c = 0; c < t->ncols; c++) {
		char *clean = ctl_text_clean(cells[c] ? cells[c] : "-", false);
		size_t w;

		if (!clean) {
			while (c-- > 0) {
				free(t->cells[base + c]);
				t->cells[base + c] = NULL;
			}
			return -ENOMEM;
		}
		t->cells[base + c] = clean;
		w = ctl_text_width(clean);
		if (w > t->widths[c])
			t->widths[c] = w;
	}
	t->nrows++;
	return 0;
}

void ctl_table_print(const struct ctl_table *t, FILE *f, const char *indent,
                     bool color)
{
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(indent ? indent : "", f);
		for (int c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			const char *on = "";

			if (color && c == t->state_col &&
			    !(t->header && r == 0))
				on = ctl_text_state_color(cell);
			fprintf(f, "%s%s%s", on, cell,
			        *on ? CTL_TEXT_COLOR_RESET : "");
			if (c + 1 < t->ncols) {
				/* pad by cells, not bytes */
				for (size_t w = ctl_text_width(cell);
				     w < t->widths[c] + 2; w++)
					fputc(' ', f);
			}
		}
		fputc('\n', f);
	}
}
