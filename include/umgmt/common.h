/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: conventions shared by every part of the project.
 *
 * Errors: every fallible function returns int, >= 0 on success and a
 * negative errno on failure, from this vocabulary only:
 *
 *   -ESRCH    no such record (user, group, ...)
 *   -EEXIST   a record with that name or number already exists
 *   -EINVAL   bad input (name, number, option value)
 *   -EACCES   permission denied / wrong password
 *   -EPERM    the operation is refused by policy (e.g. a local account)
 *   -EBUSY    the store is locked by another writer for too long
 *   -EIO      an I/O or SQLite error
 *   -EBADMSG  the store or a file has a bad schema or bad data
 *   -ERANGE   a caller's buffer is too small
 *   -ENOENT   a file is missing
 *   -ENOSPC   the configured id range is exhausted
 *   -ENOMEM   out of memory
 *
 * SQLite result codes never leave the core. When a failure deserves more
 * words than the errno gives, the core also records a sentence together
 * with the errno (um_fail()); um_error_detail(err) returns it for that
 * error only, so a front end cannot show a stale reason. Front ends show
 * it, they never parse it.
 *
 * Cleanup: scope-bound, with the _cleanup_ helpers below. Destructors
 * accept NULL.
 */
#ifndef UMGMT_COMMON_H
#define UMGMT_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(um_freep)
#define _cleanup_secret_ _cleanup_(um_secret_freep)
#define _cleanup_fclose_ _cleanup_(um_fclosep)
#define _cleanup_close_ _cleanup_(um_closep)
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define UM_XSTR(x) #x
#define UM_STR(x) UM_XSTR(x)

#define UM_ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand a pointer over to the caller: returns it and clears the source. */
#define UM_TAKE_PTR(p)                                                                             \
	({                                                                                         \
		__typeof__(p) _tp = (p);                                                           \
		(p) = NULL;                                                                        \
		_tp;                                                                               \
	})

static inline void um_freep(void *p)
{
	free(*(void **)p);
}

/* Wipes a NUL-terminated secret before freeing it. */
void um_secret_free(char *s);
static inline void um_secret_freep(char **p)
{
	um_secret_free(*p);
}

static inline void um_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void um_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

/*
 * Records a sentence describing the current failure together with err, in
 * the calling thread, and returns err unchanged, so that code reads
 *     return um_fail(-EINVAL, "uid %s is not a number", s);
 */
int um_fail(int err, const char *fmt, ...) _printf_(2, 3);

/* The sentence the last um_fail() of this thread recorded with err, or ""
 * when that failure was another error (or there was none): a detail is
 * only ever shown for the error it explains. Never NULL. */
const char *um_error_detail(int err);
/* um_error_detail(err) when there is one, else um_strerror(err). */
const char *um_error_text(int err);
/* For the core, where it handles a failure itself rather than return it
 * (trying the next candidate id, say): forgets the detail so that it can
 * never explain a later, unrelated error with the same errno. Returns
 * err. */
int um_error_forget(int err);

/* A short human text for one of the errnos of the vocabulary above
 * (never NULL, never needs freeing). */
const char *um_strerror(int err);

/* Strict number parsing in the spirit of OpenBSD's strtonum(): decimal
 * digits only (no sign, no space, no leading zero but "0" itself, no
 * octal or hex), within [min, max]. Returns 0 or -EINVAL/-ERANGE. */
int um_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
	__attribute__((warn_unused_result));

/* Strict duration parsing for the config and umctl: decimal digits as in
 * um_parse_u64(), optionally followed by one unit, s (seconds, also the
 * default), m (minutes), h (hours) or d (days): "90", "90s", "15m",
 * "24h", "7d". No sign, no space, no fraction, no combinations ("1h30m").
 * The result in seconds must lie within [min, max]. Returns 0 or -EINVAL
 * (does not parse) / -ERANGE (out of range). */
int um_parse_duration(const char *s, int64_t min, int64_t max, int64_t *ret)
	__attribute__((warn_unused_result));

/* strdup that returns NULL only for a NULL argument or on ENOMEM. */
char *um_strdup(const char *s);

/* Frees the n strings of v and v itself (NULL: nothing). */
void um_strv_free(char **v, size_t n);

/* Allocating sprintf; NULL on ENOMEM. */
char *um_asprintf(const char *fmt, ...) _printf_(1, 2);

#endif
