/* SPDX-License-Identifier: MIT */
/* umgmt core: error details, strict number parsing, small helpers. */
#include <limits.h>
#include <stdarg.h>

#include "umgmt/common.h"

/*
 * The detail of the last failure in this thread, kept together with the
 * error it explains: um_error_detail(err) gives it only for that err, so a
 * front end can never show the reason of an earlier, different failure.
 */
static __thread struct {
	int err;
	char text[512];
} detail;

int um_fail(int err, const char *fmt, ...)
{
	char buf[sizeof(detail.text)];
	va_list ap;

	/* Formatted aside first: an argument may be um_error_detail() itself
	 * (a detail wrapped in a wider one). */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memcpy(detail.text, buf, sizeof(detail.text));
	detail.err = err;
	return err;
}

const char *um_error_detail(int err)
{
	return err < 0 && detail.err == err ? detail.text : "";
}

const char *um_error_text(int err)
{
	const char *d = um_error_detail(err);

	return *d ? d : um_strerror(err);
}

int um_error_forget(int err)
{
	detail.err = 0;
	detail.text[0] = '\0';
	return err;
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

int um_parse_duration(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	static const struct {
		char unit;
		uint64_t secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	char digits[24];
	uint64_t mult = 1, n;
	size_t len;
	int r;

	if (!s || !*s)
		return -EINVAL;
	len = strlen(s);
	if (s[len - 1] < '0' || s[len - 1] > '9') {
		bool known = false;

		for (size_t i = 0; i < UM_ELEMENTSOF(units); i++)
			if (s[len - 1] == units[i].unit) {
				mult = units[i].secs;
				known = true;
			}
		if (!known)
			return -EINVAL;
		len--;
	}
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	if (len >= sizeof(digits))
		return -ERANGE;
	memcpy(digits, s, len);
	digits[len] = '\0';
	r = um_parse_u64(digits, 0, UINT64_MAX, &n);
	if (r < 0)
		return r;
	if (n > (uint64_t)INT64_MAX / mult)
		return -ERANGE;
	n *= mult;
	if ((int64_t)n < min || (int64_t)n > max)
		return -ERANGE;
	*ret = (int64_t)n;
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

void um_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}
