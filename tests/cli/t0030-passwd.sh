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
expect_refusal_stdin 65 "umctl: cannot set the password of user 'bob': the password is empty" \
	'\n' umctl user passwd bob --stdin
expect_refusal_stdin 65 "umctl: cannot set the password of user 'bob': the password is empty" \
	'' umctl user passwd bob --stdin
expect_refusal_stdin 65 "umctl: cannot set the password of user 'bob': the password contains a NUL byte" \
	'abc\000defghijk\n' umctl user passwd bob --stdin
expect_refusal_stdin 65 "umctl: cannot set the password of user 'bob': The password must be at least 8 characters long." \
	'short\n' umctl user passwd bob --stdin
expect_refusal_stdin 65 "umctl: cannot set the password of user 'bob': the password is longer than 4096 bytes" \
	"$(head -c 5000 /dev/zero | tr '\0' x)\n" umctl user passwd bob --stdin
expect_refusal_stdin 65 "umctl: cannot set the password of user 'bob': The password must be at least 8 characters long." \
	'bob\n' umctl user passwd bob --stdin
expect_refusal_stdin 67 "umctl: cannot set the password of user 'nobody-here': no umgmt user named 'nobody-here'" \
	'correct horse battery\n' umctl user passwd nobody-here --stdin
expect_refusal_stdin 64 "umctl: option '--stdin' takes no value" \
	'correct horse battery\n' umctl user passwd bob --stdin=yes
expect_refusal_stdin 64 "umctl: missing argument; usage: umctl user passwd NAME [OPTIONS]" \
	'correct horse battery\n' umctl user passwd
expect_unchanged "refused passwords"

# Interactive without a terminal: a clear usage error, not a hang.
remember_state
expect_refusal 64 "umctl: cannot set the password of user 'bob': there is no terminal to ask for the password on; use --stdin to read it from standard input" \
	setsid -w "$UMCTL" --config "$CONF" user passwd bob
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
	# on_tty PW1 PW2: interact, the session (stdout and stderr share the
	# pty) in $OUT without the pty's carriage returns, the status in $rc.
	on_tty() {
		interact "$1" "$2" >"$T/pty" 2>"$ERR"
		rc=$?
		tr -d '\r' <"$T/pty" >"$OUT"
	}
	remember_state
	on_tty 'tty secret one' 'tty secret two'
	if [ "$rc" = 65 ]; then ok "mismatch: exit 65"; else not_ok "mismatch: exit 65 (got $rc)"; show_output; fi
	expect_out_line "umctl: cannot set the password of user 'bob': Passwords do not match"
	expect_unchanged "mismatched passwords"
	on_tty 'short' 'short'
	if [ "$rc" = 65 ]; then ok "too short: exit 65"; else not_ok "too short: exit 65 (got $rc)"; show_output; fi
	expect_out_line "umctl: cannot set the password of user 'bob': The password must be at least 8 characters long."
	check "too short: not asked twice" sh -c "! grep -q 'Retype' '$OUT'"
	expect_unchanged "short password"
	on_tty 'tty secret one' 'tty secret one'
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
