#!/bin/sh
# service add|edit|list|show|delete|grant|revoke, and what user show says
# a user can reach and why; refusals name their input and change nothing.
. "$(dirname "$0")/lib.sh"

# What refused also keeps unchanged, beyond lib.sh's state.
state_extra() {
	umctl service list --json 2>&1
	umctl user show bob --json 2>&1
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
refused 65 "umctl: cannot add service 'ss/hd': service name 'ss/hd' may only contain letters, digits, '.', '_', '+' and '-'" \
	umctl service add 'ss/hd'
refused 65 "umctl: cannot add service '-sshd': service name '-sshd' must not start with '-'" \
	umctl service add --restricted -- -sshd
refused 65 "umctl: cannot add service '.hidden': service name '.hidden' must not start with '.'" \
	umctl service add .hidden
refused 65 "umctl: cannot add service 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': service name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' must be 1 to 64 characters long" \
	umctl service add "$(head -c 65 /dev/zero | tr '\0' a)"
refused 65 "umctl: cannot add service 'ftp': the description contains a control character" \
	umctl service add ftp --description "$(printf 'a\tb')"
refused 73 "umctl: cannot add service 'sshd': a service named 'sshd' already exists" \
	umctl service add sshd
refused 64 "umctl: give either --user USER or --group GROUP" \
	umctl service grant sshd --user bob --group devs
refused 64 "umctl: give either --user USER or --group GROUP" umctl service grant sshd
refused 64 "umctl: give either --user USER or --group GROUP" \
	umctl service revoke sshd --user bob --group devs
refused 64 "umctl: give either --user USER or --group GROUP" umctl service revoke sshd
refused 64 "umctl: give either --restricted or --open" umctl service edit sshd
refused 64 "umctl: give either --restricted or --open" umctl service edit sshd --open --restricted
refused 65 "umctl: cannot grant service 'ss/hd': service name 'ss/hd' may only contain letters, digits, '.', '_', '+' and '-'" \
	umctl service grant 'ss/hd' --user bob
refused 65 "umctl: cannot grant service 'sshd': user name must start with a lowercase letter (a-z), not 'B'" \
	umctl service grant sshd --user 'Bad!'
refused 67 "umctl: cannot grant service 'sshd': no umgmt user named 'nosuchuser'" \
	umctl service grant sshd --user nosuchuser
refused 67 "umctl: cannot grant service 'sshd': no umgmt group named 'nosuchgroup'" \
	umctl service grant sshd --group nosuchgroup
refused 67 "umctl: cannot grant service 'ftp': no service named 'ftp'" \
	umctl service grant ftp --user bob
refused 73 "umctl: cannot grant service 'sshd': group 'devs' is already granted service 'sshd'" \
	umctl service grant sshd --group devs
refused 67 "umctl: cannot revoke a grant of service 'sshd': user 'bob' has no grant for service 'sshd'" \
	umctl service revoke sshd --user bob
refused 67 "umctl: cannot show service 'ftp': no service named 'ftp'" umctl service show ftp
refused 67 "umctl: cannot edit service 'ftp': no service named 'ftp'" umctl service edit ftp --open
refused 67 "umctl: cannot delete service 'ftp': no service named 'ftp'" umctl service delete ftp
refused 65 "umctl: cannot delete service 'ss/hd': service name 'ss/hd' may only contain letters, digits, '.', '_', '+' and '-'" \
	umctl service delete 'ss/hd'

# delete takes the grants with it
expect_exit 0 umctl service delete sshd
expect_no_out
expect_refusal 67 "umctl: cannot show service 'sshd': no service named 'sshd'" \
	umctl service show sshd
expect_exit 0 umctl service list --json
expect_json login 0 name
expect_exit 0 umctl user show carol --json
check "carol: no sshd record any more" sh -c "! grep -q 'granted' '$OUT'"

finish
