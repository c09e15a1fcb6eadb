/* SPDX-License-Identifier: MIT */
/* nss_module: packing rows into glibc's caller-supplied buffers. */
#include <errno.h>
#include <stdalign.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdint.h>
#include <string.h>

#include "pack.h"

/* Copies s[0..n) and a NUL at *p, advances *p, returns the copy. */
static char *put(char **p, const char *s, size_t n)
{
	char *start = *p;

	memcpy(start, s, n);
	start[n] = '\0';
	*p = start + n + 1;
	return start;
}

int pack_passwd(const struct um_dir_user *u, struct passwd *pw, char *buf, size_t len)
{
	size_t need = u->name_len + sizeof(NSS_NO_PASSWORD) + u->gecos_len + u->dir_len +
		      u->shell_len + 4;

	if (!buf || len < need)
		return -ERANGE;
	char *p = buf;
	pw->pw_name = put(&p, u->name, u->name_len);
	pw->pw_passwd = put(&p, NSS_NO_PASSWORD, sizeof(NSS_NO_PASSWORD) - 1);
	pw->pw_gecos = put(&p, u->gecos, u->gecos_len);
	pw->pw_dir = put(&p, u->dir, u->dir_len);
	pw->pw_shell = put(&p, u->shell, u->shell_len);
	pw->pw_uid = u->uid;
	pw->pw_gid = u->gid;
	return 0;
}

/* Adds the name m[start..end) to mem unless it is empty. */
static inline int add_name(char *m, size_t start, size_t end, char **mem, size_t *k, size_t max)
{
	if (end == start)
		return 0;
	if (*k == max)
		return -EBADMSG; /* more names than the recorded count */
	mem[(*k)++] = m + start;
	return 0;
}

/*
 * Splits m[0..len) in place at ',' into at most max names (mem[0..k)),
 * skipping empty ones. Returns k, or -EBADMSG. Big groups are the point:
 * 16 bytes per step (SSE2, every x86-64 has it), then only the commas.
 */
static long split_members(char *m, size_t len, char **mem, size_t max)
{
	size_t k = 0, start = 0, i = 0;
	int r;

#ifdef __SSE2__
	const __m128i comma = _mm_set1_epi8(',');
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(m + i));
		unsigned bits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma));
		while (bits) {
			size_t j = i + (size_t)__builtin_ctz(bits);
			bits &= bits - 1;
			m[j] = '\0';
			if ((r = add_name(m, start, j, mem, &k, max)) < 0)
				return r;
			start = j + 1;
		}
	}
#endif
	for (; i < len; i++) {
		if (m[i] != ',')
			continue;
		m[i] = '\0';
		if ((r = add_name(m, start, i, mem, &k, max)) < 0)
			return r;
		start = i + 1;
	}
	if ((r = add_name(m, start, len, mem, &k, max)) < 0)
		return r;
	return (long)k;
}

int pack_group(const struct um_dir_group *g, struct um_directory *d, struct group *gr, char *buf,
	       size_t len)
{
	const size_t align = alignof(char *);
	size_t pad, n = g->nmem, need;
	int r;

	if (!buf)
		return -ERANGE;
	pad = (align - (uintptr_t)buf % align) % align;
	/* nmem <= 2^32 and members_len < 2^31 (SQLite's limit): no overflow. */
	need = pad + (n + 1) * sizeof(char *) + g->name_len + 1 + sizeof(NSS_NO_PASSWORD) +
	       g->members_len + 1;
	if (len < need)
		return -ERANGE;

	char **mem = (char **)(void *)(buf + pad);
	char *p = (char *)(mem + n + 1);
	char *name = put(&p, g->name, g->name_len);
	char *passwd = put(&p, NSS_NO_PASSWORD, sizeof(NSS_NO_PASSWORD) - 1);
	char *m = p;
	if (g->members)
		put(&p, g->members, g->members_len);
	else if (!d)
		return -EINVAL;
	else if ((r = um_directory_group_members(d, m)) < 0)
		return r;
	long k = split_members(m, g->members_len, mem, n);
	if (k < 0)
		return (int)k;
	mem[k] = NULL;

	gr->gr_name = name;
	gr->gr_passwd = passwd;
	gr->gr_gid = g->gid;
	gr->gr_mem = mem;
	return 0;
}
