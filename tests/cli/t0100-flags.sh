#!/bin/sh
# user disable|enable|approve|unapprove: the account flags, the approval
# queue (user list --pending, status), and refusals that change nothing.
. "$(dirname "$0")/lib.sh"
TZ=UTC
export TZ

# snapshot: the store as the scenario sees it (lib.sh's state plus the
# fields that only user show carries).
snapshot() {
	state
	umctl user show bob --json 2>&1
}
refused_here() {
	snapshot >"$T/snap.before"
	expect_exit "$@"
	snapshot >"$T/snap.after"
	if cmp -s "$T/snap.before" "$T/snap.after"; then
		ok "store unchanged: $(describe "$@")"
	else
		not_ok "store unchanged: $(describe "$@")"
		diff "$T/snap.before" "$T/snap.after" | head -20 | sed 's/^/#   /'
	fi
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
	refused_here 67 umctl user "$v" nosuchuser
	expect_err "nosuchuser"
	refused_here 65 umctl user "$v" 'Bad!'
	refused_here 64 umctl user "$v"
	refused_here 64 umctl user "$v" bob carol
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
expect_exit 64 umctl service frobnicate
expect_err "verbs: add, edit, list, show, delete, grant, revoke"
expect_exit 64 umctl token revoke
expect_exit 64 umctl user disabl bob

finish
