#!/bin/sh
# Help is generated from the command table: every noun and verb appears;
# unknown nouns, verbs and options are usage errors (64) that name the
# culprit and point to the help; names match exactly, never by prefix.
. "$(dirname "$0")/lib.sh"

user_verbs="add list show edit passwd delete"
group_verbs="add list show delete add-member remove-member"

expect_exit 0 umctl --help
for n in init status; do expect_out "  $n "; done
for v in $user_verbs; do expect_out "user $v"; done
for v in $group_verbs; do expect_out "group $v"; done
expect_out "--config FILE"
expect_out "--json"
expect_exit 0 umctl help
cp "$OUT" "$T/help1"
expect_exit 0 umctl -h
check "umctl help = umctl --help = umctl -h" cmp -s "$OUT" "$T/help1"

expect_exit 0 umctl user --help
for v in $user_verbs; do expect_out "umctl user $v"; done
for o in --full-name --email --kind --uid --group --home --shell --rename --no-email --stdin; do
	expect_out "$o"
done
cp "$OUT" "$T/help2"
expect_exit 0 umctl help user
check "umctl help user = umctl user --help" cmp -s "$OUT" "$T/help2"

expect_exit 0 umctl group --help
for v in $group_verbs; do expect_out "umctl group $v"; done
for o in --gid --description; do expect_out "$o"; done

expect_exit 0 umctl user add --help
expect_out "Usage: umctl user add NAME [OPTIONS]"
for o in "--full-name TEXT" "--email ADDR" "--kind KIND" "--uid N" "--group GROUP" \
	"--home DIR" "--shell PATH"; do
	expect_out "$o"
done
cp "$OUT" "$T/help3"
expect_exit 0 umctl help user add
check "umctl help user add = umctl user add --help" cmp -s "$OUT" "$T/help3"
expect_exit 0 umctl user passwd --help
expect_out "--stdin"
expect_exit 0 umctl group add-member --help
expect_out "umctl group add-member GROUP USER..."
expect_exit 0 umctl status --help
expect_out "Usage: umctl status"
expect_exit 0 umctl init --help
expect_out "Usage: umctl init"

# Help needs neither a config nor a store.
expect_exit 0 "$UMCTL" --config /nonexistent/umgmt.conf user --help

expect_exit 0 umctl --version
expect_out "umctl (umgmt) "

# Usage errors.
expect_exit 64 umctl
expect_exit 64 umctl frobnicate
expect_err "unknown command 'frobnicate'"
expect_err "umctl --help"
expect_exit 64 umctl user frobnicate
expect_err "unknown verb 'frobnicate'"
expect_err "umctl user --help"
expect_exit 64 umctl group frobnicate
expect_err "umctl group --help"
expect_exit 64 umctl user
expect_err "needs a verb"
expect_exit 64 umctl user list --frobnicate
expect_err "unknown option '--frobnicate'"
expect_err "umctl user --help"
expect_exit 64 umctl --frobnicate
expect_exit 64 umctl user -x list
expect_exit 64 umctl user --uid 5 add bob
expect_err "follow the verb"
expect_exit 64 umctl user list extra
expect_err "too many arguments"
expect_exit 64 umctl user show
expect_err "missing argument"
expect_exit 64 umctl status extra
expect_exit 64 umctl help frobnicate
expect_exit 64 umctl help user frobnicate
expect_exit 64 "$UMCTL" --config
expect_exit 64 umctl --json=yes user list
# No prefix matching.
expect_exit 64 umctl us list
expect_exit 64 umctl user ad bob
expect_exit 64 umctl user li
expect_exit 64 umctl group add-mem g u
expect_exit 64 umctl user add bob --full

finish
