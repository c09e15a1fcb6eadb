/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the configuration file.
 *
 * iniparser parses the file; we read every value as a string and parse it
 * ourselves (iniparser's number parsing accepts octal and overflows
 * silently). iniparser keeps no line numbers, so a first pass of our own
 * walks the file, rejects what iniparser would only warn about on stderr
 * (lines that are neither section, key = value, comment nor blank;
 * duplicate keys) and remembers where each key stands, so every error
 * names file, line and key.
 *
 * iniparser reports problems through a process-wide callback that prints
 * to stderr by default. Our first pass means it has nothing left to
 * complain about, and we install a silent callback anyway: the PAM module
 * runs inside sshd, where stderr may be the client's connection.
 */
#include <ctype.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#include <iniparser/iniparser.h>

#include "umgmt/config.h"
#include "umgmt/validate.h"
#include "umgmt/validate.h"

/* Where the first pass saw each key. */
struct keypos {
	char section[64];
	char key[64];
	unsigned line;
};

struct scan {
	struct keypos *v;
	size_t n;
};

static void scan_free(struct scan *sc)
{
	free(sc->v);
}

static int silent_errback(const char *fmt _unused_, ...)
{
	return 0;
}

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static unsigned key_line(const struct scan *sc, const char *section, const char *key)
{
	for (size_t i = 0; i < sc->n; i++)
		if (!strcmp(sc->v[i].section, section) && !strcmp(sc->v[i].key, key))
			return sc->v[i].line;
	return 0;
}

/* The first pass over the file (see the top of this file). */
static int scan_file(FILE *f, const char *path, struct scan *sc)
{
	char buf[4096];
	char section[64] = "";
	unsigned line = 0;

	while (fgets(buf, sizeof(buf), f)) {
		char *s, *eq, *k;

		line++;
		if (!strchr(buf, '\n') && !feof(f))
			return um_fail(-EINVAL, "%s:%u: line is longer than %zu bytes", path, line,
				       sizeof(buf) - 2);
		s = strip(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');

			if (!e || e[1] != '\0')
				return um_fail(-EINVAL, "%s:%u: malformed section header '%s'",
					       path, line, s);
			*e = '\0';
			k = strip(s + 1);
			if (!*k || strlen(k) >= sizeof(section))
				return um_fail(-EINVAL, "%s:%u: bad section name", path, line);
			lower(k);
			snprintf(section, sizeof(section), "%s", k);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq)
			return um_fail(-EINVAL, "%s:%u: expected 'key = value', found '%s'", path,
				       line, s);
		*eq = '\0';
		k = strip(s);
		if (!*k || strlen(k) >= sizeof(sc->v[0].key))
			return um_fail(-EINVAL, "%s:%u: missing or overlong key before '='", path,
				       line);
		if (!*section)
			return um_fail(-EINVAL, "%s:%u: key '%s' appears before any [section]",
				       path, line, k);
		lower(k);
		if (key_line(sc, section, k))
			return um_fail(-EINVAL,
				       "%s:%u: key '%s' in [%s] is set twice (first on line %u)",
				       path, line, k, section, key_line(sc, section, k));
		struct keypos *nv = realloc(sc->v, (sc->n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		sc->v = nv;
		snprintf(nv[sc->n].section, sizeof(nv[sc->n].section), "%s", section);
		snprintf(nv[sc->n].key, sizeof(nv[sc->n].key), "%s", k);
		nv[sc->n].line = line;
		sc->n++;
	}
	if (ferror(f))
		return um_fail(-EIO, "%s: read error", path);
	return 0;
}

/* A config or store file is trusted when root owns it (or, in a process
 * that is not setuid, the caller does) and no one else may write it. */
static int check_trusted(const struct stat *st, const char *path)
{
	bool owner_ok = st->st_uid == 0 || (getauxval(AT_SECURE) == 0 && st->st_uid == getuid());

	if (!S_ISREG(st->st_mode))
		return um_fail(-EACCES, "%s is not a regular file", path);
	if (!owner_ok)
		return um_fail(-EACCES, "%s is owned by uid %u, not root; refusing to trust it",
			       path, (unsigned)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return um_fail(
			-EACCES,
			"%s is writable by group or others (mode %04o); refusing to trust it", path,
			(unsigned)(st->st_mode & 07777));
	return 0;
}

static int set_str(char **dst, const char *v)
{
	char *n = strdup(v);

	if (!n)
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

static void free_services(struct um_config *c)
{
	for (size_t i = 0; i < c->n_open_services; i++)
		free(c->open_services[i]);
	free(c->open_services);
	c->open_services = NULL;
	c->n_open_services = 0;
}

/* Replaces the open list by the service names in v (separated by spaces
 * or commas; "" = none). Returns 0, -EINVAL (a bad name), -ENOMEM. */
static int set_services(struct um_config *c, const char *v)
{
	_cleanup_free_ char *copy = strdup(v);
	char **list = NULL, *save = NULL;
	size_t n = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		bool dup = false;
		char **nl;

		if (um_check_service_name(w) < 0) {
			r = -EINVAL;
			break;
		}
		for (size_t i = 0; i < n; i++)
			dup = dup || !strcmp(list[i], w);
		if (dup)
			continue;
		nl = realloc(list, (n + 1) * sizeof(*nl));
		if (!nl || !(nl[n] = strdup(w))) {
			if (nl)
				list = nl;
			r = -ENOMEM;
			break;
		}
		list = nl;
		n++;
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return r;
	}
	free_services(c);
	c->open_services = list;
	c->n_open_services = n;
	return 0;
}

bool um_config_service_is_open(const struct um_config *c, const char *service)
{
	for (size_t i = 0; service && i < c->n_open_services; i++)
		if (!strcmp(c->open_services[i], service))
			return true;
	return false;
}

/* A command line for [tokens] notify_command: "" (off), or an absolute
 * path to the program, optionally followed by arguments, without control
 * characters. umctl runs it with /bin/sh -c and writes the message to
 * its standard input (see docs/umctl.md). */
static int check_command(const char *v)
{
	size_t len = strlen(v);

	if (!*v)
		return 0;
	if (v[0] != '/' || len > 1024)
		return -EINVAL;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	return 0;
}

int um_config_defaults(struct um_config **ret)
{
	struct um_config *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->path = strdup("");
	c->store_dir = strdup(UM_STORE_DIR);
	/*
	 * 1879048192..2147352575 (0x70000000..0x7ffdffff): the band that
	 * systemd's UIDS-GIDS.md leaves unused between the container ranges
	 * (524288..1879048191) and its foreign range (0x7ffe0000), far above
	 * system users (0..999), regular local users (1000..60000), systemd
	 * homed/dynamic users (60001..65519), nobody (65534) and Debian's
	 * subordinate ids (/etc/subuid, from 100000 up to 600100000), and
	 * below 2^31 where tools that treat ids as signed break.
	 */
	c->uid_min = 1879048192u;
	c->uid_max = 2147352575u;
	c->gid_min = 1879048192u;
	c->gid_max = 2147352575u;
	c->home_template = strdup("/home/%u");
	c->default_shell = strdup("/bin/bash");
	c->user_private_groups = true;
	c->default_group = strdup("users");
	c->approval_required = false;
	c->argon2_opslimit = 2;		  /* crypto_pwhash_OPSLIMIT_INTERACTIVE */
	c->argon2_memlimit = 64ull << 20; /* crypto_pwhash_MEMLIMIT_INTERACTIVE */
	c->password_min_length = 8;
	c->default_service_policy = UM_SERVICE_ALLOW;
	c->token_ttl = 24 * 3600;
	c->notify_command = strdup("");
	c->lockout_deny = 5;
	c->lockout_fail_interval = 15 * 60;
	c->lockout_unlock_time = 10 * 60;
	if (!c->notify_command || set_services(c, UM_DEFAULT_OPEN_SERVICES) < 0) {
		um_config_free(c);
		return -ENOMEM;
	}
	if (!c->path || !c->store_dir || !c->home_template || !c->default_shell ||
	    !c->default_group) {
		um_config_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void um_config_free(struct um_config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->store_dir);
	free(c->home_template);
	free(c->default_shell);
	free(c->default_group);
	free(c->notify_command);
	free_services(c);
	free(c);
}

static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < UM_ELEMENTSOF(yes); i++)
		if (!strcasecmp(v, yes[i]))
			return *ret = true, 0;
	for (size_t i = 0; i < UM_ELEMENTSOF(no); i++)
		if (!strcasecmp(v, no[i]))
			return *ret = false, 0;
	return -EINVAL;
}

static int check_home_template(const char *v)
{
	bool has_u = false;

	for (const char *p = v; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == 'u')
			has_u = true;
		else if (p[1] != '%')
			return -EINVAL;
		p++;
	}
	if (!has_u)
		return -EINVAL;
	return um_check_path("home template", v) < 0 ? -EINVAL : 0;
}

enum key_type {
	K_STR,
	K_PATH,
	K_HOME,
	K_BOOL,
	K_ID,
	K_U32,
	K_OPS,
	K_MEMKIB,
	K_POLICY,
	K_SERVICES,
	K_COMMAND,
	K_DENY,
	K_TTL,
	K_INTERVAL,
};

/* Bounds of the durations (seconds). */
#define TTL_MIN 60
#define TTL_MAX (365 * 86400)
#define INTERVAL_MIN 1
#define INTERVAL_MAX (30 * 86400)

struct key_def {
	const char *section;
	const char *key;
	enum key_type type;
	size_t offset;
	const char *expect;
};

#define OFF(f) offsetof(struct um_config, f)
static const struct key_def keys[] = {
	{ "store", "dir", K_PATH, OFF(store_dir), "an absolute path" },
	{ "ids", "uid_min", K_ID, OFF(uid_min), "a number from 1 to 4294967294" },
	{ "ids", "uid_max", K_ID, OFF(uid_max), "a number from 1 to 4294967294" },
	{ "ids", "gid_min", K_ID, OFF(gid_min), "a number from 1 to 4294967294" },
	{ "ids", "gid_max", K_ID, OFF(gid_max), "a number from 1 to 4294967294" },
	{ "users", "home", K_HOME, OFF(home_template),
	  "an absolute path containing %u (the user name)" },
	{ "users", "shell", K_PATH, OFF(default_shell), "an absolute path" },
	{ "users", "private_groups", K_BOOL, OFF(user_private_groups), "yes or no" },
	{ "users", "default_group", K_STR, OFF(default_group), "a group name" },
	{ "users", "approval_required", K_BOOL, OFF(approval_required), "yes or no" },
	{ "password", "min_length", K_U32, OFF(password_min_length), "a number from 1 to 1024" },
	{ "password", "argon2_ops", K_OPS, OFF(argon2_opslimit), "a number from 1 to 32" },
	{ "password", "argon2_mem_kib", K_MEMKIB, OFF(argon2_memlimit),
	  "a number of KiB from 8 to 4194304" },
	{ "services", "default", K_POLICY, OFF(default_service_policy), "allow or deny" },
	{ "services", "open", K_SERVICES, OFF(open_services),
	  "PAM service names separated by spaces or commas" },
	{ "tokens", "ttl", K_TTL, OFF(token_ttl),
	  "a duration from 1m to 365d (N or Ns seconds, Nm, Nh, Nd)" },
	{ "tokens", "notify_command", K_COMMAND, OFF(notify_command),
	  "empty, or an absolute path to a program with optional arguments" },
	{ "lockout", "deny", K_DENY, OFF(lockout_deny), "a number from 0 (off) to 1000" },
	{ "lockout", "fail_interval", K_INTERVAL, OFF(lockout_fail_interval),
	  "a duration from 1s to 30d (N or Ns seconds, Nm, Nh, Nd)" },
	{ "lockout", "unlock_time", K_INTERVAL, OFF(lockout_unlock_time),
	  "a duration from 1s to 30d (N or Ns seconds, Nm, Nh, Nd)" },
};

static const struct key_def *find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < UM_ELEMENTSOF(keys); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

static int apply(struct um_config *c, const struct key_def *k, const char *v)
{
	void *dst = (char *)c + k->offset;
	uint64_t n;
	int64_t secs;
	bool b;

	switch (k->type) {
	case K_STR:
		if (um_check_name("default_group", v) < 0)
			return -EINVAL;
		return set_str(dst, v);
	case K_PATH:
		if (um_check_path(k->key, v) < 0)
			return -EINVAL;
		return set_str(dst, v);
	case K_HOME:
		if (check_home_template(v) < 0)
			return -EINVAL;
		return set_str(dst, v);
	case K_BOOL:
		if (parse_bool(v, &b) < 0)
			return -EINVAL;
		*(bool *)dst = b;
		return 0;
	case K_ID:
		if (um_parse_u64(v, 1, 4294967294u, &n) < 0)
			return -EINVAL;
		*(uint32_t *)dst = (uint32_t)n;
		return 0;
	case K_U32:
		if (um_parse_u64(v, 1, 1024, &n) < 0)
			return -EINVAL;
		*(uint32_t *)dst = (uint32_t)n;
		return 0;
	case K_OPS:
		if (um_parse_u64(v, 1, 32, &n) < 0)
			return -EINVAL;
		*(uint64_t *)dst = n;
		return 0;
	case K_MEMKIB:
		if (um_parse_u64(v, 8, 4194304, &n) < 0)
			return -EINVAL;
		*(uint64_t *)dst = n * 1024;
		return 0;
	case K_POLICY:
		if (!strcmp(v, "allow"))
			*(enum um_service_policy *)dst = UM_SERVICE_ALLOW;
		else if (!strcmp(v, "deny"))
			*(enum um_service_policy *)dst = UM_SERVICE_DENY;
		else
			return -EINVAL;
		return 0;
	case K_SERVICES:
		return set_services(c, v);
	case K_COMMAND:
		if (check_command(v) < 0)
			return -EINVAL;
		return set_str(dst, v);
	case K_DENY:
		if (um_parse_u64(v, 0, 1000, &n) < 0)
			return -EINVAL;
		*(uint32_t *)dst = (uint32_t)n;
		return 0;
	case K_TTL:
	case K_INTERVAL:
		if (um_parse_duration(v, k->type == K_TTL ? TTL_MIN : INTERVAL_MIN,
				      k->type == K_TTL ? TTL_MAX : INTERVAL_MAX, &secs) < 0)
			return -EINVAL;
		*(int64_t *)dst = secs;
		return 0;
	}
	return -EINVAL;
}

static void dict_freep(dictionary **d)
{
	if (*d)
		iniparser_freedict(*d);
}

int um_config_load(const char *path, struct um_config **ret)
{
	_cleanup_(um_config_freep) struct um_config *c = NULL;
	_cleanup_(dict_freep) dictionary *d = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct scan sc = { 0 };
	bool is_default = !path;
	struct stat st;
	char procpath[64];
	int r;

	if (!path)
		path = UM_CONFIG_PATH;
	r = um_config_defaults(&c);
	if (r < 0)
		return r;
	r = set_str(&c->path, path);
	if (r < 0)
		return r;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && is_default) {
			*ret = UM_TAKE_PTR(c);
			return 0;
		}
		if (errno == ENOENT)
			return um_fail(-ENOENT, "%s: no such file", path);
		if (errno == EACCES)
			return um_fail(-EACCES, "%s: permission denied", path);
		return um_fail(-EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fileno(f), &st) < 0)
		return um_fail(-EIO, "%s: %s", path, strerror(errno));
	r = check_trusted(&st, path);
	if (r < 0)
		return r;

	r = scan_file(f, path, &sc);
	if (r < 0) {
		scan_free(&sc);
		return r;
	}

	/* Let iniparser read the very file we checked, not whatever the path
	 * names by now. */
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fileno(f));
	iniparser_set_error_callback(silent_errback);
	d = iniparser_load(access(procpath, R_OK) == 0 ? procpath : path);
	if (!d) {
		scan_free(&sc);
		return um_fail(-EINVAL, "%s: cannot be parsed", path);
	}

	for (size_t i = 0; i < sc.n; i++) {
		const struct key_def *k = find_key(sc.v[i].section, sc.v[i].key);
		char full[160];
		const char *v;

		if (!k) {
			r = um_fail(-EINVAL, "%s:%u: unknown key '%s' in section [%s]", path,
				    sc.v[i].line, sc.v[i].key, sc.v[i].section);
			break;
		}
		snprintf(full, sizeof(full), "%s:%s", k->section, k->key);
		v = iniparser_getstring(d, full, NULL);
		if (!v)
			v = "";
		r = apply(c, k, v);
		if (r == -ENOMEM)
			break;
		if (r < 0) {
			r = um_fail(-EINVAL,
				    "%s:%u: bad value '%s' for key '%s' in [%s]: expected %s", path,
				    sc.v[i].line, v, k->key, k->section, k->expect);
			break;
		}
	}
	/* A section that holds no key at all is still checked by name. */
	for (int i = 0; r >= 0 && i < iniparser_getnsec(d); i++) {
		const char *sec = iniparser_getsecname(d, i);
		bool known = false;

		for (size_t j = 0; j < UM_ELEMENTSOF(keys); j++)
			known = known || !strcmp(keys[j].section, sec);
		if (!known)
			r = um_fail(-EINVAL, "%s: unknown section [%s]", path, sec);
	}
	if (r >= 0 && c->uid_min > c->uid_max)
		r = um_fail(-EINVAL, "%s:%u: uid_min (%u) is greater than uid_max (%u)", path,
			    key_line(&sc, "ids", "uid_min"), c->uid_min, c->uid_max);
	if (r >= 0 && c->gid_min > c->gid_max)
		r = um_fail(-EINVAL, "%s:%u: gid_min (%u) is greater than gid_max (%u)", path,
			    key_line(&sc, "ids", "gid_min"), c->gid_min, c->gid_max);
	scan_free(&sc);
	if (r < 0)
		return r;
	*ret = UM_TAKE_PTR(c);
	return 0;
}

char *um_config_home_for(const struct um_config *c, const char *name)
{
	size_t n = 1;
	char *out, *o;

	for (const char *p = c->home_template; *p; p++)
		n += (p[0] == '%' && p[1] == 'u') ? strlen(name) : 1;
	out = malloc(n);
	if (!out)
		return NULL;
	o = out;
	for (const char *p = c->home_template; *p; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			o = stpcpy(o, name);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			*o++ = '%';
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

char *um_config_store_path(const struct um_config *c, const char *file)
{
	return um_asprintf("%s/%s", c->store_dir, file);
}
