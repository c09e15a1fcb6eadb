/* SPDX-License-Identifier: MIT */
/* umctl: import, the bulk load of passwd/group files. */
#include "umgmt/import.h"

#include "umctl.h"

/* Declared here as well as at its use in main.c's command table. */
int umctl_cmd_import(struct umctl_cmd *cmd);

int umctl_cmd_import(struct umctl_cmd *cmd)
{
	_cleanup_(um_store_closep) struct um_store *s = NULL;
	const char *passwd = umctl_opt(cmd, "passwd");
	const char *group = umctl_opt(cmd, "group");
	struct um_import_result res;
	int r;

	if (!passwd && !group)
		return umctl_usage_error("import", "give --passwd FILE, --group FILE or both");
	r = umctl_open_store(cmd, UM_STORE_WRITE, &s, "import");
	if (r)
		return r;
	r = um_import(s, passwd, group, &res);
	/* The store is open: a missing file can only be an input file. */
	if (r == -ENOENT)
		return umctl_fail_code(UMCTL_EX_IOERR, "import", "%s", um_error_text(r));
	if (r < 0)
		return umctl_fail(r, "import");
	out_record_begin();
	out_u64("users", res.users);
	out_u64("groups", res.groups);
	out_u64("members", res.members);
	out_record_end();
	return 0;
}
