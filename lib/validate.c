/* SPDX-License-Identifier: MIT */
/* umgmt core: names and passwd/group fields. */
#include "umgmt/validate.h"

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool um_is_valid_name(const char *s)
{
	return um_check_name("name", s) == 0;
}

int um_check_name(const char *what, const char *s)
{
	size_t n;

	if (!s || !*s)
		return um_fail(-EINVAL, "%s must not be empty", what);
	n = strlen(s);
	if (n > UM_NAME_MAX)
		return um_fail(-EINVAL, "%s is %zu characters long; at most %d are allowed", what,
			       n, UM_NAME_MAX);
	if (!is_lower(s[0])) {
		unsigned char c = (unsigned char)s[0];

		if (is_digit((char)c))
			return um_fail(-EINVAL,
				       "%s must start with a lowercase letter (a-z), not a digit",
				       what);
		if (c > 0x20 && c < 0x7f)
			return um_fail(-EINVAL,
				       "%s must start with a lowercase letter (a-z), not '%c'",
				       what, c);
		return um_fail(-EINVAL, "%s must start with a lowercase letter (a-z), not %s", what,
			       c >= 0x80 ? "a non-ASCII character"
					 : "a space or control character");
	}
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_lower((char)c) || is_digit((char)c) || c == '-' || c == '_')
			continue;
		if (c == '$' && i == n - 1)
			continue;
		if (c == '$')
			return um_fail(-EINVAL, "%s may contain '$' only as its last character",
				       what);
		if (c >= 0x80)
			return um_fail(
				-EINVAL,
				"%s may contain only lowercase ASCII letters, digits, '-' and '_' (found a non-ASCII character)",
				what);
		if (c < 0x20 || c == 0x7f)
			return um_fail(
				-EINVAL,
				"%s may contain only lowercase ASCII letters, digits, '-' and '_' (found a control character)",
				what);
		return um_fail(
			-EINVAL,
			"%s may contain only lowercase ASCII letters, digits, '-' and '_' (found '%c')",
			what, c);
	}
	return 0;
}

/* True when s is valid UTF-8 without control characters. */
static bool is_printable_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned char c = *p;
		int len;
		uint32_t cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates, beyond Unicode, C1 controls */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp < 0xa0))
			return false;
		p += len;
	}
	return true;
}

int um_check_gecos(const char *s)
{
	if (!s)
		return 0;
	if (strlen(s) > 255)
		return um_fail(-EINVAL, "full name is longer than 255 bytes");
	if (strchr(s, ':'))
		return um_fail(-EINVAL,
			       "full name must not contain ':' (it separates passwd fields)");
	if (strchr(s, ','))
		return um_fail(-EINVAL,
			       "full name must not contain ',' (it separates GECOS subfields)");
	if (!is_printable_utf8(s))
		return um_fail(
			-EINVAL,
			"full name must be valid UTF-8 without control characters or newlines");
	return 0;
}

int um_check_path(const char *what, const char *s)
{
	if (!s || s[0] != '/')
		return um_fail(-EINVAL, "%s must be an absolute path (starting with '/')", what);
	if (strlen(s) > 4095)
		return um_fail(-EINVAL, "%s is longer than 4095 bytes", what);
	if (strchr(s, ':'))
		return um_fail(-EINVAL, "%s must not contain ':'", what);
	if (!is_printable_utf8(s))
		return um_fail(-EINVAL, "%s must not contain control characters or newlines", what);
	for (const char *p = s; (p = strstr(p, "/..")); p += 3)
		if (p[3] == '/' || p[3] == '\0')
			return um_fail(-EINVAL, "%s must not contain '..' components", what);
	return 0;
}

int um_check_email(const char *s)
{
	const char *at;

	if (!s || !*s)
		return um_fail(-EINVAL, "e-mail address must not be empty");
	if (strlen(s) > 254)
		return um_fail(-EINVAL, "e-mail address is longer than 254 characters");
	at = strchr(s, '@');
	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return um_fail(-EINVAL, "e-mail address '%s' must have the form local@domain", s);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == ',' || *p == ':' || *p == '<' || *p == '>')
			return um_fail(
				-EINVAL,
				"e-mail address must not contain spaces, control characters, ',', ':', '<' or '>'");
	if (!strchr(at + 1, '.') || at[1] == '.' || s[strlen(s) - 1] == '.')
		return um_fail(-EINVAL, "e-mail address '%s' needs a domain such as example.org",
			       s);
	return 0;
}

int um_check_service_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 64)
		return um_fail(-EINVAL, "service name '%s' must be 1 to 64 characters long",
			       name ? name : "");
	if (name[0] == '.' || name[0] == '-')
		return um_fail(-EINVAL, "service name '%s' must not start with '%c'", name,
			       name[0]);
	for (const char *p = name; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '+' || c == '-'))
			return um_fail(
				-EINVAL,
				"service name '%s' may only contain letters, digits, '.', '_', '+' and '-'",
				name);
	}
	return 0;
}
