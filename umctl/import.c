/* SPDX-License-Identifier: MIT */
/* umctl: import, the bulk load of passwd/group files. */
#include "umgmt/import.h"

#include "umctl.h"

int umctl_check_import(struct umctl_cmd *cmd)
{
	const struct import_opts *o = &cmd->opts.import;

	if (!o->passwd && !o->group)
		return umctl_usage_error("umctl import",
					 "give --passwd FILE, --group FILE or both");
	return 0;
}

int umctl_cmd_import(struct umctl_cmd *cmd)
{
	const struct import_opts *o = &cmd->opts.import;
	struct um_import_result res;
	int r;

	r = um_import(cmd->store, o->passwd, o->group, &res);
	/* The store is open: a missing file can only be an input file. */
	if (r == -ENOENT)
		return umctl_fail_code(UMCTL_EX_IOERR, cmd->what, "%s", um_error_text(r));
	if (r < 0)
		return umctl_fail(r, "%s", cmd->what);
	out_record_begin();
	out_u64("users", res.users);
	out_u64("groups", res.groups);
	out_u64("members", res.members);
	out_record_end();
	return 0;
}
