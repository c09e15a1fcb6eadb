/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the machine's own /etc/passwd, /etc/group, /etc/subuid and
 * /etc/subgid, read directly, never through NSS.
 */
#include <grp.h>
#include <pwd.h>

#include "umgmt/local.h"

/* Calls match(entry) for each passwd entry; stops at the first true. */
static bool scan_passwd(bool (*match)(const struct passwd *, const void *), const void *arg,
			char **ret_name)
{
	_cleanup_fclose_ FILE *f = fopen(UM_PASSWD_PATH, "re");
	struct passwd pw, *res;
	char buf[4096];

	if (!f)
		return false;
	while (fgetpwent_r(f, &pw, buf, sizeof(buf), &res) == 0) {
		if (match(res, arg)) {
			if (ret_name)
				*ret_name = strdup(res->pw_name);
			return true;
		}
	}
	return false;
}

static bool scan_group(bool (*match)(const struct group *, const void *), const void *arg,
		       char **ret_name)
{
	_cleanup_fclose_ FILE *f = fopen(UM_GROUP_PATH, "re");
	struct group gr, *res;
	/* /etc/group lines of big groups are long: grow on ERANGE. */
	size_t size = 16384;
	_cleanup_free_ char *buf = malloc(size);
	int r;

	if (!f || !buf)
		return false;
	for (;;) {
		long pos = ftell(f);

		r = fgetgrent_r(f, &gr, buf, size, &res);
		if (r == ERANGE && size < (1u << 24)) {
			char *nb = realloc(buf, size * 4);

			if (!nb)
				return false;
			buf = nb;
			size *= 4;
			fseek(f, pos, SEEK_SET);
			continue;
		}
		if (r != 0)
			return false;
		if (match(res, arg)) {
			if (ret_name)
				*ret_name = strdup(res->gr_name);
			return true;
		}
	}
}

static bool pw_name_is(const struct passwd *pw, const void *name)
{
	return strcmp(pw->pw_name, name) == 0;
}

static bool pw_uid_is(const struct passwd *pw, const void *uid)
{
	return pw->pw_uid == *(const uint32_t *)uid;
}

static bool gr_name_is(const struct group *gr, const void *name)
{
	return strcmp(gr->gr_name, name) == 0;
}

static bool gr_gid_is(const struct group *gr, const void *gid)
{
	return gr->gr_gid == *(const uint32_t *)gid;
}

bool um_local_user_exists(const char *name)
{
	return name && scan_passwd(pw_name_is, name, NULL);
}

bool um_local_group_exists(const char *name)
{
	return name && scan_group(gr_name_is, name, NULL);
}

struct name_gid {
	const char *name;
	uint32_t gid;
};

static bool gr_name_gid(const struct group *gr, const void *arg)
{
	struct name_gid *ng = (struct name_gid *)arg;

	if (strcmp(gr->gr_name, ng->name))
		return false;
	ng->gid = gr->gr_gid;
	return true;
}

int um_local_group_gid(const char *name, uint32_t *ret)
{
	struct name_gid ng = { .name = name };

	if (!name || !scan_group(gr_name_gid, &ng, NULL))
		return -ESRCH;
	*ret = ng.gid;
	return 0;
}

char *um_local_uid_owner(uint32_t uid)
{
	char *name = NULL;

	scan_passwd(pw_uid_is, &uid, &name);
	return name;
}

char *um_local_gid_owner(uint32_t gid)
{
	char *name = NULL;

	scan_group(gr_gid_is, &gid, &name);
	return name;
}

/* Lines of /etc/subuid: owner:start:count. */
static bool sub_taken(const char *path, uint32_t id)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[512];

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2, *end;
		unsigned long long start, count;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		errno = 0;
		start = strtoull(c1 + 1, &end, 10);
		if (errno || end != c2)
			continue;
		count = strtoull(c2 + 1, &end, 10);
		if (errno)
			continue;
		if (id >= start && id - start < count)
			return true;
	}
	return false;
}

bool um_local_subuid_taken(uint32_t id)
{
	return sub_taken(UM_SUBUID_PATH, id);
}

bool um_local_subgid_taken(uint32_t id)
{
	return sub_taken(UM_SUBGID_PATH, id);
}
