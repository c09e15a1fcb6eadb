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
expect_refusal 64 "Usage: umctl [--config FILE] [--json] NOUN VERB [ARGUMENTS] [OPTIONS]" umctl
expect_refusal 64 "umctl: unknown command 'frobnicate'" umctl frobnicate
expect_err "umctl --help"
expect_refusal 64 "umctl: unknown verb 'frobnicate' for 'user' (verbs: add, list, show, edit, passwd, delete, disable, enable, approve, unapprove, unlock, absence, reset-password)" \
	umctl user frobnicate
expect_err "umctl user --help"
expect_refusal 64 "umctl: unknown verb 'frobnicate' for 'group' (verbs: add, list, show, delete, add-member, remove-member)" \
	umctl group frobnicate
expect_err "umctl group --help"
expect_refusal 64 "umctl: 'user' needs a verb: add, list, show, edit, passwd, delete, disable, enable, approve, unapprove, unlock, absence, reset-password" \
	umctl user
expect_refusal 64 "umctl: unknown option '--frobnicate' for 'umctl user list'" \
	umctl user list --frobnicate
expect_err "umctl user --help"
expect_refusal 64 "umctl: unknown option '--frobnicate'" umctl --frobnicate
expect_refusal 64 "umctl: unknown option '-x'" umctl user -x list
expect_refusal 64 "umctl: unknown option '--uid' (a verb's options follow the verb)" \
	umctl user --uid 5 add bob
expect_refusal 64 "umctl: too many arguments; usage: umctl user list [OPTIONS]" \
	umctl user list extra
expect_refusal 64 "umctl: missing argument; usage: umctl user show NAME" umctl user show
expect_refusal 64 "umctl: too many arguments; usage: umctl status" umctl status extra
expect_refusal 64 "umctl: unknown command 'frobnicate'" umctl help frobnicate
expect_refusal 64 "umctl: unknown verb 'frobnicate' for 'user'" umctl help user frobnicate
expect_refusal 64 "umctl: option '--config' needs a value" "$UMCTL" --config
expect_refusal 64 "umctl: option '--json' takes no value" umctl --json=yes user list
# No prefix matching.
expect_refusal 64 "umctl: unknown command 'us'" umctl us list
expect_refusal 64 "umctl: unknown verb 'ad' for 'user' (verbs: add, list, show, edit, passwd, delete, disable, enable, approve, unapprove, unlock, absence, reset-password)" \
	umctl user ad bob
expect_refusal 64 "umctl: unknown verb 'li' for 'user' (verbs: add, list, show, edit, passwd, delete, disable, enable, approve, unapprove, unlock, absence, reset-password)" \
	umctl user li
expect_refusal 64 "umctl: unknown verb 'add-mem' for 'group' (verbs: add, list, show, delete, add-member, remove-member)" \
	umctl group add-mem g u
expect_refusal 64 "umctl: unknown option '--full' for 'umctl user add'" umctl user add bob --full

finish
