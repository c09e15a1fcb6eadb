/* SPDX-License-Identifier: MIT */
/* umctl: the store-wide commands, init and status. */
#include <inttypes.h>
#include <sys/stat.h>

#include "umctl.h"

int umctl_cmd_init(struct umctl_cmd *cmd)
{
	_cleanup_free_ char *what = NULL;
	_cleanup_free_ char *truth = NULL;
	_cleanup_free_ char *snapshot = NULL;
	int r;

	what = um_asprintf("create the store in %s", cmd->config->store_dir);
	truth = um_config_store_path(cmd->config, UM_TRUTH_FILE);
	snapshot = um_config_store_path(cmd->config, UM_DIRECTORY_FILE);
	if (!what || !truth || !snapshot)
		return umctl_fail(-ENOMEM, "create the store");

	r = um_store_init(cmd->config);
	if (r == -EEXIST)
		return umctl_fail_code(umctl_exit_code(UMCTL_PHASE_RUN, r), what,
				       "a store already exists at %s; nothing was changed", truth);
	if (r < 0)
		return umctl_fail(r, "%s", what);

	out_record_begin();
	out_str("store_dir", cmd->config->store_dir);
	out_str("truth_path", truth);
	out_str("snapshot_path", snapshot);
	out_u64("schema_version", UM_SCHEMA_VERSION);
	out_record_end();
	return 0;
}

/* True when a and b name the same file (or, if either is missing, the
 * same path). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	return strcmp(a, b) == 0;
}

/*
 * A crash between a commit and its publish leaves the snapshot behind the
 * truth. Whoever may write the store fixes that here; others are told.
 * Returns true when it republished.
 */
static bool republish(struct umctl_cmd *cmd, const char *truth, const struct um_status *st)
{
	_cleanup_(um_store_closep) struct um_store *w = NULL;
	int r;

	if (access(truth, W_OK) != 0) {
		umctl_note("the snapshot is behind the store (generation %" PRIu64 " of %" PRIu64
			   "); run 'umctl status' as root to republish it",
			   st->published_generation, st->generation);
		return false;
	}
	r = um_store_open(cmd->config, UM_STORE_WRITE, &w);
	if (r >= 0)
		r = um_store_publish(w);
	if (r < 0) {
		umctl_note("the snapshot is behind the store (generation %" PRIu64 " of %" PRIu64
			   ") and could not be republished: %s",
			   st->published_generation, st->generation, um_error_text(r));
		return false;
	}
	if (!st->directory_ok)
		umctl_note("the snapshot was missing or not one this build reads (format %d); "
			   "republished it",
			   UM_DIRECTORY_FORMAT);
	else
		umctl_note("the snapshot was behind the store (generation %" PRIu64 " of %" PRIu64
			   "); republished it",
			   st->published_generation, st->generation);
	return true;
}

int umctl_cmd_status(struct umctl_cmd *cmd)
{
	_cleanup_free_ char *truth = NULL;
	_cleanup_free_ char *snapshot = NULL;
	const char *nss_path = secure_getenv(UM_DIRECTORY_ENV);
	struct um_status st = { 0 };
	bool current, nss_match;
	int r;

	truth = um_config_store_path(cmd->config, UM_TRUTH_FILE);
	snapshot = um_config_store_path(cmd->config, UM_DIRECTORY_FILE);
	if (!truth || !snapshot)
		return umctl_fail(-ENOMEM, "%s", cmd->what);
	if (!nss_path || !*nss_path)
		nss_path = UM_DIRECTORY_PATH;

	r = um_store_status(cmd->store, &st);
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);

	current = st.directory_ok && st.published_generation == st.generation;
	if (!current) {
		/* republish() writes through a connection of its own; the
		 * status is then read again through a new one. */
		um_store_close(cmd->store);
		cmd->store = NULL;
		if (republish(cmd, truth, &st)) {
			r = umctl_open_store(cmd, UM_STORE_READ, &cmd->store, cmd->what);
			if (r)
				return r;
			r = um_store_status(cmd->store, &st);
			if (r < 0)
				return umctl_fail(r, "%s", cmd->what);
			current = st.directory_ok && st.published_generation == st.generation;
		}
	}
	nss_match = same_file(snapshot, nss_path);
	if (!nss_match)
		umctl_note("the NSS module reads %s, not this store's snapshot %s", nss_path,
			   snapshot);

	/* On stderr as well, so that it is seen even by whoever only reads
	 * the JSON; the key stays pending_approvals. */
	if (st.pending_approvals > 0)
		umctl_note("%" PRIu64 " approval%s pending: see 'umctl user list --pending'",
			   st.pending_approvals, st.pending_approvals == 1 ? "" : "s");
	out_record_begin();
	out_str("config", cmd->config->path && *cmd->config->path ? cmd->config->path : NULL);
	out_u64("schema_version", (uint64_t)st.schema_version);
	out_u64("generation", st.generation);
	out_u64("published_generation", st.published_generation);
	out_bool("snapshot_current", current);
	out_u64("users", st.users);
	out_u64("groups", st.groups);
	if (out_is_json() || st.pending_approvals > 0)
		out_u64("pending_approvals", st.pending_approvals);
	out_str("truth_path", truth);
	out_str("snapshot_path", snapshot);
	out_str("nss_path", nss_path);
	out_bool("nss_reads_snapshot", nss_match);
	out_record_end();
	return 0;
}
