/* SPDX-License-Identifier: MIT */
/* nss_module: packing rows into glibc's caller-supplied buffers. */
#include <errno.h>
#include <stdalign.h>
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
		      u->dir_tail_len + u->shell_len + 4;

	if (!buf || len < need)
		return -ERANGE;
	char *p = buf;
	pw->pw_name = put(&p, u->name, u->name_len);
	pw->pw_passwd = put(&p, NSS_NO_PASSWORD, sizeof(NSS_NO_PASSWORD) - 1);
	pw->pw_gecos = put(&p, u->gecos, u->gecos_len);
	/* the home in two pieces: the shared parent, then (usually) the name */
	pw->pw_dir = p;
	memcpy(p, u->dir, u->dir_len);
	p += u->dir_len;
	put(&p, u->dir_tail, u->dir_tail_len);
	pw->pw_shell = put(&p, u->shell, u->shell_len);
	pw->pw_uid = u->uid;
	pw->pw_gid = u->gid;
	return 0;
}

int pack_group(const struct um_dir_group *g, struct group *gr, char *buf, size_t len)
{
	const size_t align = alignof(char *);
	size_t pad, n = g->nmem, need;
	int r;

	if (!buf)
		return -ERANGE;
	pad = (align - (uintptr_t)buf % align) % align;
	/* nmem and members_len < 2^32 (the format's limits): no overflow. */
	need = pad + (n + 1) * sizeof(char *) + g->name_len + 1 + sizeof(NSS_NO_PASSWORD) +
	       g->members_len;
	if (len < need)
		return -ERANGE;

	char **mem = (char **)(void *)(buf + pad);
	char *p = (char *)(mem + n + 1);
	char *name = put(&p, g->name, g->name_len);
	char *passwd = put(&p, NSS_NO_PASSWORD, sizeof(NSS_NO_PASSWORD) - 1);
	if ((r = um_directory_group_members(g, p, g->members_len, mem)) < 0)
		return r;

	gr->gr_name = name;
	gr->gr_passwd = passwd;
	gr->gr_gid = g->gid;
	gr->gr_mem = mem;
	return 0;
}
