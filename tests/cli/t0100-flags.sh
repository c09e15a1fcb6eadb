#!/bin/sh
# user disable|enable|approve|unapprove: the account flags, the approval
# queue (user list --pending, status), and refusals that change nothing.
. "$(dirname "$0")/lib.sh"

# What refused also keeps unchanged, beyond lib.sh's state.
state_extra() {
	umctl user show bob --json 2>&1
}

expect_exit 0 umctl init
expect_exit 0 umctl user add bob
expect_exit 0 umctl user show bob --json
expect_json true enabled
expect_json true approved

# disable / enable, idempotent, print nothing.
expect_exit 0 umctl user disable bob
expect_no_out
expect_exit 0 umctl user show bob --json
expect_json false enabled
expect_exit 0 umctl user disable bob
expect_exit 0 umctl user show bob
expect_out "enabled:              no"
expect_exit 0 umctl user enable bob
expect_exit 0 umctl user show bob --json
expect_json true enabled

# approve / unapprove; the queue.
expect_exit 0 umctl user unapprove bob
expect_exit 0 umctl user show bob --json
expect_json false approved
expect_exit 0 umctl user list --pending --json
expect_json bob 0 name
expect_exit 0 umctl user list --pending
expect_out "CREATED AT"
expect_out "bob"
expect_exit 0 umctl status
expect_out "pending approvals:"
expect_err "1 approval pending"
expect_exit 0 umctl user approve bob
expect_exit 0 umctl user list --pending --json
expect_json '[]'
expect_exit 0 umctl status
check "no pending line when none are pending" sh -c "! grep -q 'pending' '$OUT' '$ERR'"
expect_exit 0 umctl status --json
expect_json 0 pending_approvals

# approval_required: new users wait; users from before stay approved.
write_config "[users]" "approval_required = yes"
expect_exit 0 umctl user add carol
expect_exit 0 umctl user add dave
expect_exit 0 umctl user show carol --json
expect_json false approved
expect_exit 0 umctl user show bob --json
expect_json true approved
expect_exit 0 umctl user list --pending --json
expect_json carol 0 name
expect_json dave 1 name
expect_exit 0 umctl status --json
expect_json 2 pending_approvals
expect_err "2 approvals pending"
expect_exit 0 umctl status
expect_out "pending approvals:    2"
expect_exit 0 umctl user approve carol
expect_exit 0 umctl user list --pending
expect_out "dave"
check "carol is no longer pending" sh -c "! grep -q carol '$OUT'"
# Switching approval off does not admit the queue.
write_config
expect_exit 0 umctl user show dave --json
expect_json false approved

# unlock of a user without failures is fine.
expect_exit 0 umctl user unlock bob
expect_no_out

# Refusals: unknown user 67, bad name 65, missing or extra argument 64.
for v in disable enable approve unapprove unlock; do
	refused 67 "umctl: cannot $v user 'nosuchuser': no umgmt user named 'nosuchuser'" \
		umctl user "$v" nosuchuser
	refused 65 "umctl: cannot $v user 'Bad!': user name must start with a lowercase letter (a-z), not 'B'" \
		umctl user "$v" 'Bad!'
	refused 64 "umctl: missing argument; usage: umctl user $v NAME" umctl user "$v"
	refused 64 "umctl: too many arguments; usage: umctl user $v NAME" umctl user "$v" bob carol
done

# The new verbs are in the generated help.
expect_exit 0 umctl --help
for v in "user disable" "user enable" "user approve" "user unapprove" "user unlock" \
	"user absence" "user reset-password" "service add" "service edit" "service list" \
	"service show" "service delete" "service grant" "service revoke" "token list" \
	"token revoke"; do
	expect_out "$v"
done
expect_exit 0 umctl user --help
for o in --pending --absent --from --until --reason --clear --expires --no-expiry --expire --ttl; do
	expect_out "$o"
done
expect_exit 0 umctl service grant --help
expect_out "--user USER"
expect_out "--group GROUP"
expect_refusal 64 "umctl: unknown verb 'frobnicate' for 'service' (verbs: add, edit, list, show, delete, grant, revoke)" \
	umctl service frobnicate
expect_refusal 64 "umctl: missing argument; usage: umctl token revoke USER" umctl token revoke
expect_refusal 64 "umctl: unknown verb 'disabl' for 'user' (verbs: add, list, show, edit, passwd, delete, disable, enable, approve, unapprove, unlock, absence, reset-password)" \
	umctl user disabl bob

finish
