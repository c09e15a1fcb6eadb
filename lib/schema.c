/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the truth's schema and its forward migrations.
 *
 * The schema covers the whole domain from the first version (users of
 * three kinds, flags, absences, expiry, companies, roles, services and
 * grants, tokens, credentials, SSH keys, login failures, audit), so that
 * later features fill tables in rather than redesign them. Every row has
 * a surrogate key; names are attributes, so users and groups can be
 * renamed. used_ids remembers every uid and gid ever handed out: ids are
 * never reused.
 *
 * migrations[i] takes a store from user_version i to i + 1. Append only.
 */
#include "schema.h"
#include "umgmt/store.h"

static const char schema_v1[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;\n"
	"INSERT INTO meta(key, value) VALUES ('generation', 1);\n"
	"CREATE TABLE used_ids(\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('uid', 'gid')),\n"
	"  num INTEGER NOT NULL,\n"
	"  PRIMARY KEY (kind, num)) WITHOUT ROWID;\n"
	"CREATE TABLE companies(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  description TEXT NOT NULL DEFAULT '',\n"
	"  created_at INTEGER NOT NULL);\n"
	"CREATE TABLE company_domains(\n"
	"  domain TEXT PRIMARY KEY,\n"
	"  company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE groups(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  gid INTEGER NOT NULL UNIQUE,\n"
	"  description TEXT NOT NULL DEFAULT '',\n"
	"  private_of INTEGER REFERENCES users(id) ON DELETE SET NULL\n"
	"    DEFERRABLE INITIALLY DEFERRED,\n"
	"  created_at INTEGER NOT NULL);\n"
	"CREATE TABLE users(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  uid INTEGER NOT NULL UNIQUE,\n"
	"  gid INTEGER NOT NULL,\n"
	"  group_id INTEGER REFERENCES groups(id) DEFERRABLE INITIALLY DEFERRED,\n"
	"  kind TEXT NOT NULL DEFAULT 'person'\n"
	"    CHECK (kind IN ('person', 'robot', 'customer')),\n"
	"  full_name TEXT NOT NULL DEFAULT '',\n"
	"  email TEXT,\n"
	"  home TEXT NOT NULL,\n"
	"  shell TEXT NOT NULL,\n"
	"  enabled INTEGER NOT NULL DEFAULT 1,\n"
	"  approved INTEGER NOT NULL DEFAULT 1,\n"
	"  approved_at INTEGER,\n"
	"  approved_by TEXT,\n"
	"  company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,\n"
	"  expires_on TEXT,\n"
	"  password_hash TEXT,\n"
	"  password_changed_at INTEGER,\n"
	"  password_must_change INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  last_login_at INTEGER,\n"
	"  last_login_service TEXT,\n"
	"  last_login_host TEXT);\n"
	"CREATE INDEX users_by_group ON users(group_id);\n"
	"CREATE INDEX users_by_company ON users(company_id);\n"
	"CREATE TABLE group_members(\n"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,\n"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  PRIMARY KEY (group_id, user_id)) WITHOUT ROWID;\n"
	"CREATE INDEX group_members_by_user ON group_members(user_id, group_id);\n"
	"CREATE TABLE absences(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  starts_on TEXT NOT NULL,\n"
	"  ends_on TEXT,\n"
	"  reason TEXT NOT NULL DEFAULT '',\n"
	"  created_at INTEGER NOT NULL,\n"
	"  CHECK (ends_on IS NULL OR ends_on >= starts_on));\n"
	"CREATE INDEX absences_by_user ON absences(user_id);\n"
	"CREATE TABLE roles(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  description TEXT NOT NULL DEFAULT '',\n"
	"  created_at INTEGER NOT NULL);\n"
	"CREATE TABLE role_permissions(\n"
	"  role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,\n"
	"  permission TEXT NOT NULL,\n"
	"  PRIMARY KEY (role_id, permission)) WITHOUT ROWID;\n"
	"CREATE TABLE role_groups(\n"
	"  role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,\n"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,\n"
	"  PRIMARY KEY (role_id, group_id)) WITHOUT ROWID;\n"
	"CREATE TABLE user_roles(\n"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,\n"
	"  PRIMARY KEY (user_id, role_id)) WITHOUT ROWID;\n"
	"CREATE INDEX user_roles_by_role ON user_roles(role_id);\n"
	"CREATE TABLE services(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  restricted INTEGER NOT NULL DEFAULT 0,\n"
	"  description TEXT NOT NULL DEFAULT '',\n"
	"  created_at INTEGER NOT NULL);\n"
	"CREATE TABLE service_grants(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,\n"
	"  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,\n"
	"  group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,\n"
	"  role_id INTEGER REFERENCES roles(id) ON DELETE CASCADE,\n"
	"  company_id INTEGER REFERENCES companies(id) ON DELETE CASCADE,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  CHECK ((user_id IS NOT NULL) + (group_id IS NOT NULL) +\n"
	"         (role_id IS NOT NULL) + (company_id IS NOT NULL) = 1));\n"
	"CREATE UNIQUE INDEX service_grants_unique ON service_grants(service_id,\n"
	"  IFNULL(user_id, 0), IFNULL(group_id, 0), IFNULL(role_id, 0),\n"
	"  IFNULL(company_id, 0));\n"
	"CREATE TABLE tokens(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  purpose TEXT NOT NULL CHECK (purpose IN ('activation', 'reset')),\n"
	"  token_hash TEXT NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  created_by TEXT NOT NULL DEFAULT '',\n"
	"  expires_at INTEGER NOT NULL,\n"
	"  used_at INTEGER,\n"
	"  revoked_at INTEGER);\n"
	"CREATE INDEX tokens_by_user ON tokens(user_id);\n"
	"CREATE TABLE credentials(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  name TEXT NOT NULL,\n"
	"  service TEXT,\n"
	"  secret_hash TEXT NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  expires_at INTEGER,\n"
	"  last_used_at INTEGER,\n"
	"  revoked_at INTEGER,\n"
	"  UNIQUE (user_id, name));\n"
	"CREATE TABLE ssh_keys(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  key_type TEXT NOT NULL,\n"
	"  key_data TEXT NOT NULL,\n"
	"  comment TEXT NOT NULL DEFAULT '',\n"
	"  fingerprint TEXT NOT NULL UNIQUE,\n"
	"  created_at INTEGER NOT NULL);\n"
	"CREATE INDEX ssh_keys_by_user ON ssh_keys(user_id);\n"
	"CREATE TABLE login_failures(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  at INTEGER NOT NULL,\n"
	"  service TEXT NOT NULL,\n"
	"  rhost TEXT NOT NULL DEFAULT '');\n"
	"CREATE INDEX login_failures_by_user ON login_failures(user_id, at);\n"
	/* user_id has no foreign key on purpose: audit rows outlive the user;
	 * deleting a user blanks target and detail of the rows about them. */
	"CREATE TABLE audit(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  at INTEGER NOT NULL,\n"
	"  actor TEXT NOT NULL,\n"
	"  action TEXT NOT NULL,\n"
	"  target_kind TEXT NOT NULL,\n"
	"  target TEXT NOT NULL,\n"
	"  user_id INTEGER,\n"
	"  detail TEXT NOT NULL DEFAULT '');\n"
	"CREATE INDEX audit_by_user ON audit(user_id);\n";

/*
 * v2: the change log that lets publish.c patch a copy of the last snapshot
 * instead of rebuilding it (docs/DESIGN.md, "The snapshot").
 *
 * dir_changes(gen, kind, num) says: the snapshot rows of user uid num
 * (passwd, usergroups) or of group gid num (grp) changed in the commit
 * that got generation gen. gen is the generation that commit will get
 * (um_publish_commit() bumps meta.generation just before COMMIT).
 *
 * meta.log_trimmed_upto = T: entries with gen <= T may be gone (the
 * publisher trims what it has published; a bulk import writes no entries
 * and raises T to its own generation). A snapshot of generation G0 can be
 * patched only when G0 >= T; otherwise publish rebuilds it. The migration
 * sets T to the generation its own commit gets: nothing before was logged.
 *
 * The log is written by the triggers of change_log_sql below. They are
 * TEMP triggers, made by every connection that may change what the
 * snapshot shows (um_store_open() without UM_STORE_LOGIN), not part of the
 * schema: SQLite parses the whole schema in every connection it opens, and
 * the triggers doubled that (0.2 ms of every login, which never needs
 * them). A login's connection cannot change those tables at all: an
 * authorizer refuses it (store.c), so the log stays complete.
 */
static const char schema_v2[] =
	"CREATE TABLE dir_changes(\n"
	"  gen INTEGER NOT NULL,\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('user', 'group')),\n"
	"  num INTEGER NOT NULL,\n"
	"  PRIMARY KEY (gen, kind, num)) WITHOUT ROWID;\n"
	"INSERT OR REPLACE INTO meta(key, value)\n"
	"  SELECT 'log_trimmed_upto', value + 1 FROM meta WHERE key = 'generation';\n";

/*
 * The change log's triggers, inside the writer's own transaction. They log
 * what a change means for the snapshot, not only the row touched: a rename
 * dirties the member lists that hold the name, a membership dirties both
 * the group and the user's usergroups row, deleting a user or a group
 * dirties the other side of each of its memberships (BEFORE DELETE: the
 * cascade that follows runs when the parent row is gone already). Only
 * the columns the snapshot copies are watched: a password, a flag or a
 * last login logs nothing. lib/import.c drops them (they are named
 * dir_changes_*) for its one transaction.
 */
/* clang-format off: SQL laid out as SQL */
#define DIRTY(kind, num)                                                                           \
	"  INSERT OR IGNORE INTO dir_changes(gen, kind, num)\n"                                    \
	"    SELECT value + 1, '" kind "', " num " FROM meta WHERE key = 'generation';\n"
#define DIRTY_SELECT(kind, num, from)                                                              \
	"  INSERT OR IGNORE INTO dir_changes(gen, kind, num)\n"                                    \
	"    SELECT (SELECT value + 1 FROM meta WHERE key = 'generation'), '" kind "', " num       \
	" " from ";\n"
static const char change_log_sql[] =
	"CREATE TEMP TRIGGER dir_changes_user_insert AFTER INSERT ON users BEGIN\n" DIRTY(
		"user", "new.uid") "END;\n"
				   "CREATE TEMP TRIGGER dir_changes_user_update\n"
				   "  AFTER UPDATE OF name, uid, gid, full_name, home, shell ON users\n"
				   "  WHEN old.name IS NOT new.name OR old.uid IS NOT new.uid OR old.gid IS NOT new.gid\n"
				   "    OR old.full_name IS NOT new.full_name OR old.home IS NOT new.home\n"
				   "    OR old.shell IS NOT new.shell\n"
				   "BEGIN\n" DIRTY("user", "old.uid")
					   DIRTY(
						   "user", "new.uid") DIRTY_SELECT("group", "g.gid",
										   "FROM group_members m JOIN groups g ON g.id = m.group_id\n"
										   "    WHERE m.user_id = new.id AND old.name IS NOT new.name") "END;\n"
																		"CREATE TEMP TRIGGER dir_changes_user_delete BEFORE DELETE ON users BEGIN\n" DIRTY("user", "old.uid") DIRTY_SELECT("group",
																																   "g.gid",
																																   "FROM group_members m JOIN groups g ON g.id = m.group_id\n"
																																   "    WHERE m.user_id = old.id") "END;\n"
																																				   "CREATE TEMP TRIGGER dir_changes_group_insert AFTER INSERT ON groups BEGIN\n" DIRTY("group",
																																														       "new.gid") "END;\n"
																																																  "CREATE TEMP TRIGGER dir_changes_group_update AFTER UPDATE OF name, gid ON groups\n"
																																																  "  WHEN old.name IS NOT new.name OR old.gid IS NOT new.gid\n"
																																																  "BEGIN\n" DIRTY(
																																																	  "group",
																																																	  "old.gid")
																																																	  DIRTY(
																																																		  "group",
																																																		  "new.gid") DIRTY_SELECT("user",
																																																					  "u.uid",
																																																					  "FROM group_members m JOIN users u ON u.id = m.user_id\n"
																																																					  "    WHERE m.group_id = new.id AND old.gid IS NOT new.gid") "END;\n"
																																																												      "CREATE TEMP TRIGGER dir_changes_group_delete BEFORE DELETE ON groups BEGIN\n" DIRTY("group", "old.gid") DIRTY_SELECT(
																																																													      "user",
																																																													      "u.uid",
																																																													      "FROM group_members m JOIN users u ON u.id = m.user_id\n"
																																																													      "    WHERE m.group_id = old.id") "END;\n"
																																																																	       "CREATE TEMP TRIGGER dir_changes_member_insert AFTER INSERT ON group_members BEGIN\n" DIRTY_SELECT("group",
																																																																														  "gid",
																																																																														  "FROM groups WHERE id = new.group_id")
																																																																		       DIRTY_SELECT(
																																																																			       "user", "uid", "FROM users WHERE id = new.user_id") "END;\n"
																																																																										   "CREATE TEMP TRIGGER dir_changes_member_update AFTER UPDATE ON group_members BEGIN\n" DIRTY_SELECT(
																																																																											   "group",
																																																																											   "gid",
																																																																											   "FROM groups WHERE id IN (old.group_id, new.group_id)")
																																																																											   DIRTY_SELECT("user",
																																																																													"uid", "FROM users WHERE id IN (old.user_id, new.user_id)") "END;\n"
																																																																																				    "CREATE TEMP TRIGGER dir_changes_member_delete AFTER DELETE ON group_members BEGIN\n" DIRTY_SELECT(
																																																																																					    "group",
																																																																																					    "gid", "FROM groups WHERE id = old.group_id")
																																																																																					    DIRTY_SELECT(
																																																																																						    "user",
																																																																																						    "uid",
																																																																																						    "FROM users WHERE id = old.user_id") "END;\n";
#undef DIRTY
#undef DIRTY_SELECT
/* clang-format on */

static const char change_log_drop_sql[] =
	"DROP TRIGGER temp.dir_changes_user_insert; DROP TRIGGER temp.dir_changes_user_update;\n"
	"DROP TRIGGER temp.dir_changes_user_delete; DROP TRIGGER temp.dir_changes_group_insert;\n"
	"DROP TRIGGER temp.dir_changes_group_update; DROP TRIGGER temp.dir_changes_group_delete;\n"
	"DROP TRIGGER temp.dir_changes_member_insert; DROP TRIGGER temp.dir_changes_member_update;\n"
	"DROP TRIGGER temp.dir_changes_member_delete;\n";

int um_change_log_start(struct um_db *db)
{
	return um_db_exec(db, change_log_sql, "start the snapshot's change log");
}

int um_change_log_stop(struct um_db *db)
{
	return um_db_exec(db, change_log_drop_sql, "stop the snapshot's change log");
}

/*
 * v3: what a host writes for itself leaves the truth's users table
 * (docs/DESIGN.md, "Tables"): the last login moves to the host-local
 * user_logins, keyed by user id (login_failures is host-local already).
 * The pending-approval count reads a partial index, not every row. And
 * users' row ids are never reused (row_ids, id.c).
 */
static const char schema_v3[] =
	"CREATE TABLE user_logins(\n"
	"  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,\n"
	"  at INTEGER NOT NULL,\n"
	"  service TEXT NOT NULL DEFAULT '',\n"
	"  host TEXT NOT NULL DEFAULT '');\n"
	"INSERT INTO user_logins(user_id, at, service, host)\n"
	"  SELECT id, last_login_at, ifnull(last_login_service, ''), ifnull(last_login_host, '')\n"
	"  FROM users WHERE last_login_at IS NOT NULL;\n"
	"ALTER TABLE users DROP COLUMN last_login_at;\n"
	"ALTER TABLE users DROP COLUMN last_login_service;\n"
	"ALTER TABLE users DROP COLUMN last_login_host;\n"
	"CREATE INDEX users_pending ON users(approved) WHERE approved = 0;\n"
	/* A user's row id is never handed out again (the audit and a login
	 * in flight know users by it): the high-water mark, above every row
	 * and every user the audit remembers. */
	"CREATE TABLE row_ids(\n"
	"  tbl TEXT PRIMARY KEY CHECK (tbl IN ('users')),\n"
	"  hw INTEGER NOT NULL) WITHOUT ROWID;\n"
	"INSERT INTO row_ids(tbl, hw) SELECT 'users',\n"
	"  max(ifnull((SELECT max(id) FROM users), 0), ifnull((SELECT max(user_id) FROM audit), 0));\n";

static const char *const migrations[] = {
	schema_v1, /* 0 -> 1 */
	schema_v2, /* 1 -> 2 */
	schema_v3, /* 2 -> 3 */
};

_Static_assert(UM_ELEMENTSOF(migrations) == UM_SCHEMA_VERSION, "one migration per schema version");

int um_schema_migrate(struct um_db *db, int from_version)
{
	char pragma[64];
	int r;

	for (int v = from_version; v < UM_SCHEMA_VERSION; v++) {
		r = um_db_exec(db, migrations[v], "migrate the store's schema");
		if (r < 0)
			return r;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", UM_SCHEMA_VERSION);
	return um_db_exec(db, pragma, "record the schema version");
}
