/*
 * sv_file.h: whole-file reads and crash-safe whole-file replacement.
 */
#ifndef SLUICE_SV_FILE_H
#define SLUICE_SV_FILE_H

#include <stddef.h>

/*
 * Replaces path with data: writes a temporary file in the same directory,
 * fsyncs it, renames it over path and fsyncs the directory, so that after
 * a crash path holds either the old or the new content, whole. Mode 0600.
 * 0 or a negative errno, with err naming the path and the failed step.
 */
int sv_file_write_atomic(const char *path, const void *data, size_t len,
                         char *err, size_t errlen);

/*
 * Reads all of path (at most max bytes; a pipe or /dev/fd/N is fine, a
 * directory is -EISDIR) into a NUL-terminated buffer the caller frees.
 * -ENOENT if it does not exist, -EFBIG if larger than max, another
 * negative errno on error; err names the path and the problem.
 */
int sv_file_read(const char *path, size_t max, char **data, size_t *len,
                 char *err, size_t errlen);

#endif /* SLUICE_SV_FILE_H */
