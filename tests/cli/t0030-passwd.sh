#!/bin/sh
# umctl user passwd: --stdin for scripts, twice on the terminal otherwise;
# the password is never echoed or printed, a refusal changes nothing.
. "$(dirname "$0")/lib.sh"

expect_exit 0 umctl init
expect_exit 0 umctl user add bob

# --stdin: one line, its newline stripped.
expect_exit_stdin 0 'correct horse battery\n' umctl user passwd bob --stdin
expect_no_out
check "the password is not printed" sh -c "! grep -q 'correct horse' '$OUT' '$ERR'"
expect_exit 0 umctl user show bob --json
expect_json true has_password
check "password_changed_at is set" test "$(json_get password_changed_at)" != null
# A last line without its newline is fine too; only the first line counts.
expect_exit_stdin 0 'another passphrase' umctl user passwd bob --stdin
expect_exit_stdin 0 'first line only\nsecond line\n' umctl user passwd bob --stdin

# Refusals change nothing.
remember_state
expect_exit_stdin 65 '\n' umctl user passwd bob --stdin
expect_err "empty"
expect_exit_stdin 65 '' umctl user passwd bob --stdin
expect_exit_stdin 65 'abc\000defghijk\n' umctl user passwd bob --stdin
expect_err "NUL"
expect_exit_stdin 65 'short\n' umctl user passwd bob --stdin
expect_exit_stdin 65 "$(head -c 5000 /dev/zero | tr '\0' x)\n" umctl user passwd bob --stdin
expect_err "longer than"
expect_exit_stdin 65 'bob\n' umctl user passwd bob --stdin
expect_exit_stdin 67 'correct horse battery\n' umctl user passwd nobody-here --stdin
expect_exit_stdin 64 'correct horse battery\n' umctl user passwd bob --stdin=yes
expect_exit_stdin 64 'correct horse battery\n' umctl user passwd
expect_unchanged "refused passwords"

# Interactive without a terminal: a clear usage error, not a hang.
remember_state
expect_exit 64 setsid -w "$UMCTL" --config "$CONF" user passwd bob
expect_err "--stdin"
expect_unchanged "no terminal"

# Interactive on a terminal (a pty from expect(1)), when expect is there.
if command -v expect >/dev/null 2>&1; then
	# interact PW1 PW2: answers the two prompts; prints the session and
	# exits with umctl's exit status.
	interact() {
		UMCTL="$UMCTL" CONF="$CONF" PW1="$1" PW2="$2" expect -f - <<'EXP'
set timeout 20
log_user 1
spawn $env(UMCTL) --config $env(CONF) user passwd bob
expect {
	"New password for bob: " { send "$env(PW1)\r" }
	timeout { exit 99 }
}
expect {
	"Retype new password: " { send "$env(PW2)\r"; exp_continue }
	eof {}
	timeout { exit 98 }
}
lassign [wait] pid spawnid os_error value
exit $value
EXP
	}
	remember_state
	interact 'tty secret one' 'tty secret two' >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" = 65 ]; then ok "mismatch: exit 65"; else not_ok "mismatch: exit 65 (got $rc)"; show_output; fi
	expect_out "Passwords do not match"
	expect_unchanged "mismatched passwords"
	interact 'short' 'short' >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" = 65 ]; then ok "too short: exit 65"; else not_ok "too short: exit 65 (got $rc)"; show_output; fi
	check "too short: not asked twice" sh -c "! grep -q 'Retype' '$OUT'"
	expect_unchanged "short password"
	interact 'tty secret one' 'tty secret one' >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" = 0 ]; then ok "match: exit 0"; else not_ok "match: exit 0 (got $rc)"; show_output; fi
	check "no echo of the password" sh -c "! grep -q 'tty secret' '$OUT'"

	# --stdin from a terminal: no prompt, but no echo either.
	UMCTL="$UMCTL" CONF="$CONF" expect -f - >"$OUT" 2>"$ERR" <<'EXP'
set timeout 20
spawn $env(UMCTL) --config $env(CONF) user passwd bob --stdin
sleep 0.5
send "typed on stdin\r"
expect {
	eof {}
	timeout { exit 98 }
}
lassign [wait] pid spawnid os_error value
exit $value
EXP
	rc=$?
	if [ "$rc" = 0 ]; then ok "--stdin on a tty: exit 0"; else not_ok "--stdin on a tty: exit 0 (got $rc)"; show_output; fi
	check "--stdin on a tty: no echo" sh -c "! grep -q 'typed on stdin' '$OUT'"
else
	ok "# SKIP interactive tests: expect(1) is not installed"
fi

finish
