#!/bin/sh
# service add|edit|list|show|delete|grant|revoke, and what user show says
# a user can reach and why; refusals name their input and change nothing.
. "$(dirname "$0")/lib.sh"
TZ=UTC
export TZ

snapshot() {
	state
	umctl service list --json 2>&1
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
expect_exit 0 umctl user add carol
expect_exit 0 umctl group add devs
expect_exit 0 umctl group add-member devs carol

expect_exit 0 umctl service list --json
expect_json '[]'

# add: open and restricted, printed like show.
expect_exit 0 umctl service add login
expect_out "name:        login"
expect_out "restricted:  no"
expect_exit 0 umctl service add sshd --restricted --description 'remote logins' --json
check "service add --json is valid JSON" json_valid "$OUT"
expect_json sshd name
expect_json true restricted
expect_json 'remote logins' description
expect_json '[]' grants

# grants to a user and to a group
expect_exit 0 umctl service grant sshd --user bob
expect_no_out
expect_exit 0 umctl service grant sshd --group devs
expect_exit 0 umctl service show sshd --json
expect_json '["group:devs", "user:bob"]' grants
expect_exit 0 umctl service show sshd
expect_out "grants:      group:devs,user:bob"
expect_exit 0 umctl service list
expect_out "NAME   RESTRICTED  GRANTS"
expect_out "login  no"
expect_out "sshd   yes         group:devs,user:bob  remote logins"
expect_exit 0 umctl service list --json
expect_json login 0 name
expect_json sshd 1 name

# user show: what each can reach, and why.
expect_exit 0 umctl user show bob --json
check "user show --json is valid JSON" json_valid "$OUT"
check "bob: sshd through his own grant" grep -q '"sshd: granted to user bob"' "$OUT"
check "bob: login is open" grep -q '"login: open"' "$OUT"
check "bob: cron by the open list" grep -q '"cron: open by configuration' "$OUT"
check "bob: other services by default" grep -q '"other services: allowed by default' "$OUT"
expect_exit 0 umctl user show carol
expect_out "sshd: granted to group devs"
expect_exit 0 umctl service revoke sshd --user bob
expect_exit 0 umctl user show bob --json
check "bob: no sshd after the revoke" sh -c "! grep -q '\"sshd' '$OUT'"
# an open service needs no grant; restricted again, the grants still count
expect_exit 0 umctl service edit sshd --open
expect_exit 0 umctl user show bob --json
check "bob: sshd open" grep -q '"sshd: open"' "$OUT"
expect_exit 0 umctl service edit sshd --restricted
expect_exit 0 umctl service show sshd --json
expect_json true restricted
expect_json '["group:devs"]' grants
# default = deny: only the open list and records remain
write_config "[services]" "default = deny"
expect_exit 0 umctl user show bob --json
check "deny: other services denied" grep -q '"other services: denied by default' "$OUT"
write_config

# Refusals.
refused_here 65 umctl service add 'ss/hd'
expect_err "ss/hd"
refused_here 65 umctl service add --restricted -- -sshd
refused_here 65 umctl service add .hidden
refused_here 65 umctl service add "$(head -c 65 /dev/zero | tr '\0' a)"
refused_here 65 umctl service add ftp --description "$(printf 'a\tb')"
refused_here 73 umctl service add sshd
expect_err "already exists"
refused_here 64 umctl service grant sshd --user bob --group devs
expect_err "either --user"
refused_here 64 umctl service grant sshd
refused_here 64 umctl service revoke sshd --user bob --group devs
refused_here 64 umctl service revoke sshd
refused_here 64 umctl service edit sshd
refused_here 64 umctl service edit sshd --open --restricted
refused_here 65 umctl service grant 'ss/hd' --user bob
expect_err "ss/hd"
refused_here 65 umctl service grant sshd --user 'Bad!'
refused_here 67 umctl service grant sshd --user nosuchuser
expect_err "nosuchuser"
refused_here 67 umctl service grant sshd --group nosuchgroup
expect_err "nosuchgroup"
refused_here 67 umctl service grant ftp --user bob
expect_err "ftp"
refused_here 73 umctl service grant sshd --group devs
expect_err "already"
refused_here 67 umctl service revoke sshd --user bob
expect_err "no grant"
refused_here 67 umctl service show ftp
refused_here 67 umctl service edit ftp --open
refused_here 67 umctl service delete ftp
refused_here 65 umctl service delete 'ss/hd'

# delete takes the grants with it
expect_exit 0 umctl service delete sshd
expect_no_out
expect_exit 67 umctl service show sshd
expect_exit 0 umctl service list --json
expect_json login 0 name
expect_exit 0 umctl user show carol --json
check "carol: no sshd record any more" sh -c "! grep -q 'granted' '$OUT'"

finish
