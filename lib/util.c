/* SPDX-License-Identifier: MIT */
/* umgmt core: error details, strict number parsing, small helpers. */
#include <limits.h>
#include <stdarg.h>

#include "umgmt/common.h"

static __thread char detail[512];

int um_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return err;
}

const char *um_error_detail(void)
{
	return detail;
}

void um_error_clear(void)
{
	detail[0] = '\0';
}

const char *um_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case ESRCH:
		return "no such record";
	case EEXIST:
		return "already exists";
	case EINVAL:
		return "invalid input";
	case EACCES:
		return "permission denied";
	case EPERM:
		return "not allowed";
	case EBUSY:
		return "the store is busy (another change is in progress)";
	case EIO:
		return "input/output error in the store";
	case EBADMSG:
		return "the store or file has a bad format";
	case ERANGE:
		return "buffer too small";
	case ENOENT:
		return "no such file";
	case ENOSPC:
		return "the configured id range is exhausted";
	case ENOMEM:
		return "out of memory";
	default:
		return "unexpected error";
	}
}

int um_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && s[1] != '\0')
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

char *um_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *um_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : p;
}

void um_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
