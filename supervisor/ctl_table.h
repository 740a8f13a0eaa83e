/*
 * ctl_table.h: sluicectl's tables: rows of cells printed in aligned
 * columns, each cell made safe for a terminal (ctl_text.h) and measured
 * in terminal cells.
 *
 * Single-threaded (sluicectl has one thread).
 */
#ifndef SLUICE_CTL_TABLE_H
#define SLUICE_CTL_TABLE_H

#include <stdbool.h>
#include <stdio.h>

struct ctl_table;

/*
 * A table of ncols columns (1 to 16). When header is set, the first row
 * added is a header: it is never coloured. Returns NULL with errno set
 * (EINVAL, ENOMEM). Freed with ctl_table_free.
 */
struct ctl_table *ctl_table_new(int ncols, bool header);

/* Frees t and its cells. NULL is fine. */
void ctl_table_free(struct ctl_table *t);

/*
 * Marks column col as holding Kafka Connect states (RUNNING, FAILED, ...),
 * which ctl_table_print colours when asked to.
 */
void ctl_table_state_column(struct ctl_table *t, int col);

/*
 * Adds a row of ncols cells; each is copied through ctl_text_clean (a
 * NULL cell prints as "-"). Returns 0 or -ENOMEM.
 */
int ctl_table_add(struct ctl_table *t, const char *const *cells);

/*
 * Prints every row: each line starts with indent (may be NULL), columns
 * are padded to the widest cell plus two spaces, and the last column is
 * not padded (no trailing blanks). With color, the cells of the state
 * column get ctl_text_state_color's colours.
 */
void ctl_table_print(const struct ctl_table *t, FILE *f, const char *indent,
                     bool color);

#endif /* SLUICE_CTL_TABLE_H */
