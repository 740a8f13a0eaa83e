/*
 * sv_props.h: Java .properties files, as java.util.Properties.load reads
 * them.
 *
 * The rules, all as in Properties.load:
 *  - A natural line ends with LF, CR or CR LF. Leading whitespace (space,
 *    tab, form feed) is skipped. Blank lines are skipped.
 *  - A line whose first non-whitespace character is '#' or '!' is a
 *    comment. A comment never continues onto the next line.
 *  - A line ending in an odd number of backslashes continues on the next
 *    line: that backslash and the line end are dropped, and so is the
 *    leading whitespace of the continuation line. '#' or '!' at the start
 *    of a continuation line is text, not a comment. A lone backslash at
 *    the end of the file is dropped.
 *  - The key ends at the first unescaped '=', ':' or whitespace. Whitespace
 *    after the key, then at most one '=' or ':', then more whitespace are
 *    skipped; the rest of the line is the value (trailing whitespace is
 *    kept). "key" alone has the value "".
 *  - In keys and values: \t \n \r \f, \uXXXX (four hex digits, either
 *    case), and any other \x means x (so "\=", "\:", "\ ", "\#", "\\").
 *    A UTF-16 surrogate pair written as two \u escapes is one character.
 *  - A key that appears again replaces the earlier value.
 *
 * Where sluice differs, deliberately:
 *  - The file is read as UTF-8 (Properties.load(InputStream) reads
 *    ISO-8859-1; the two agree on ASCII files and on \u escapes). Invalid
 *    UTF-8 is an error, not mojibake. A UTF-8 byte order mark at the start
 *    is skipped.
 *  - NUL (a raw byte or \u0000) and unpaired surrogate escapes are errors:
 *    they cannot be represented in the C strings sluice passes around.
 *    Java throws only for a malformed \uXXXX.
 *
 * Errors name "<name>:<line>" (the physical line of the offending
 * character) and what is wrong.
 */
#ifndef SLUICE_SV_PROPS_H
#define SLUICE_SV_PROPS_H

#include <stddef.h>

#include <jansson.h>

/* sv_props_load refuses files larger than this. */
#define SV_PROPS_MAX_SIZE (16 * 1024 * 1024)

/*
 * Parses len bytes at buf (need not be NUL-terminated). name labels error
 * messages (a path, or "<stdin>"); it may be NULL ("<input>").
 *
 * Returns a new JSON object mapping each key to its string value; the
 * caller owns the reference (json_decref). On failure returns NULL, sets
 * errno (EINVAL: bad input, ENOMEM) and writes the reason to err.
 * Thread-safe; err may be NULL when errlen is 0.
 */
json_t *sv_props_parse(const char *buf, size_t len, const char *name, char *err,
                       size_t errlen);

/*
 * Reads and parses the file at path, as sv_props_parse. On an I/O error
 * err names the path and the system error, and errno is that error; a
 * file over SV_PROPS_MAX_SIZE fails with EFBIG.
 */
json_t *sv_props_load(const char *path, char *err, size_t errlen);

#endif /* SLUICE_SV_PROPS_H */
