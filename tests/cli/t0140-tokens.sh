#!/bin/sh
# One-time tokens: the activation token of user add and the reset token of
# user reset-password, printed with a warning or mailed through
# [tokens] notify_command (token in the mail only, never on stdout, on a
# command line or in the environment); token list and revoke; --ttl.
. "$(dirname "$0")/lib.sh"
require_program test-policy-helper

# What refused also keeps unchanged, beyond lib.sh's state.
state_extra() {
	umctl token list --json 2>&1
	umctl user show bob --json 2>&1
}
TOKEN_RE='[2-9A-HJKMNP-Z]\{4\}-[2-9A-HJKMNP-Z]\{4\}-[2-9A-HJKMNP-Z]\{4\}-[2-9A-HJKMNP-Z]\{4\}-[2-9A-HJKMNP-Z]\{4\}'
# token_valid USER TOKEN DESC: the core accepts it.
token_valid() {
	check "$3" helper check-token "$1" "$2"
}
# token_refused USER TOKEN DESC: the core refuses it, as no longer valid.
token_refused() {
	expect_refusal 1 "test-policy-helper: check-token: that is not a valid token (wrong, used, expired or revoked)" helper check-token "$1" "$2"
}

expect_exit 0 umctl init

# --- no notify_command: printed, with a warning on stderr
expect_exit 0 umctl user add bob
expect_out "token:"
tok1=$(sed -n 's/^token: *//p' "$OUT")
check "user add prints an activation token" sh -c "echo '$tok1' | grep -qx '$TOKEN_RE'"
expect_out "token expires at:"
expect_err "warning:"
expect_err "privately"
expect_err "expires at"
token_valid bob "$tok1" "the printed token is bob's"
expect_exit 0 umctl token list --json
check "token list --json is valid JSON" json_valid "$OUT"
expect_json bob 0 user
expect_json activation 0 purpose
expect_json valid 0 state
check "token list never shows the token" sh -c "! grep -q '$tok1' '$OUT'"

expect_exit 0 umctl user add carol --json
check "user add --json is valid JSON" json_valid "$OUT"
check "JSON carries the token" sh -c "test \"\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"token\"])' '$OUT' 2>/dev/null || echo x)\" != x"
expect_json null token_sent_to
check "no token in the store file" sh -c "! grep -qa '$tok1' '$STORE/umgmt.db' '$STORE/directory.db'"

# reset-password replaces the earlier token; --ttl sets the lifetime.
now=$(date -u +%s)
expect_exit 0 umctl user reset-password bob --ttl 2h --json
check "reset-password --json is valid JSON" json_valid "$OUT"
expect_json bob user
expect_json reset purpose
tok2=$(json_get token)
check "a reset token" sh -c "echo '$tok2' | grep -qx '$TOKEN_RE'"
exp=$(json_get token_expires_at)
exp_s=$(date -u -d "$exp" +%s)
check "expires in 2 hours ($exp)" test $((exp_s - now)) -ge 7198 -a $((exp_s - now)) -le 7202
expect_err "warning:"
token_valid bob "$tok2" "the new token is valid"
token_refused bob "$tok1" "the earlier token is revoked"
expect_exit 0 umctl token list
expect_out "ID  USER   PURPOSE     STATE"
expect_out "reset       valid"
expect_out "activation  revoked"
expect_exit 0 umctl user reset-password bob --ttl 1m
expect_exit 0 umctl user reset-password bob --ttl 365d
expect_exit 0 umctl user reset-password bob

# token revoke
expect_exit 0 umctl token revoke bob
expect_no_out
expect_exit 0 umctl token list --json
expect_json revoked 0 state
refused 67 "umctl: cannot revoke the token of 'bob': 'bob' has no valid token" \
	umctl token revoke bob
refused 67 "umctl: cannot revoke the token of 'nosuchuser': no umgmt user named 'nosuchuser'" \
	umctl token revoke nosuchuser
refused 65 "umctl: cannot revoke the token of 'Bad!': user name must start with a lowercase letter (a-z), not 'B'" \
	umctl token revoke 'Bad!'

# Bad --ttl: named, exit 65, no token issued.
refused 65 "umctl: cannot issue a reset token for user 'bob': --ttl '0' is not between 1m and 365d" \
	umctl user reset-password bob --ttl 0
refused 65 "umctl: cannot issue a reset token for user 'bob': --ttl '5x' is not a duration (N, Ns, Nm, Nh or Nd, e.g. 24h)" \
	umctl user reset-password bob --ttl 5x
refused 65 "umctl: cannot issue a reset token for user 'bob': --ttl '30s' is not between 1m and 365d" \
	umctl user reset-password bob --ttl 30s
refused 65 "umctl: cannot issue a reset token for user 'bob': --ttl '366d' is not between 1m and 365d" \
	umctl user reset-password bob --ttl 366d
refused 65 "umctl: cannot issue a reset token for user 'bob': --ttl '-1h' is not a duration (N, Ns, Nm, Nh or Nd, e.g. 24h)" \
	umctl user reset-password bob --ttl -1h
refused 65 "umctl: cannot issue a reset token for user 'bob': --ttl '1h30m' is not a duration (N, Ns, Nm, Nh or Nd, e.g. 24h)" \
	umctl user reset-password bob --ttl 1h30m
refused 64 "umctl: option '--ttl' needs a value (DURATION)" umctl user reset-password bob --ttl
refused 67 "umctl: cannot issue a reset token for user 'nosuchuser': no umgmt user named 'nosuchuser'" \
	umctl user reset-password nosuchuser
refused 65 "umctl: cannot issue a reset token for user 'Bad!': user name must start with a lowercase letter (a-z), not 'B'" \
	umctl user reset-password 'Bad!'

# --- notify_command: a mailer that keeps what it gets
cat >"$T/mailer" <<'SH'
#!/bin/sh
cat >"$1"
{ echo "args: $*"; env; } >"$1.env"
echo "mailer says hi"
SH
chmod 0755 "$T/mailer"
write_config "[tokens]" "notify_command = $T/mailer $T/mail"

expect_exit 0 umctl user add dave --email dave@example.org --full-name 'Dave D'
check "a mail was piped" test -s "$T/mail"
tok3=$(grep -o "$TOKEN_RE" "$T/mail" | head -1)
check "the mail holds a token" test -n "$tok3"
check "the token is not on stdout" sh -c "! grep -q '$tok3' '$OUT'"
check "the token is not on stderr" sh -c "! grep -q '$tok3' '$ERR'"
check "no token at all on stdout" sh -c "! grep -q '$TOKEN_RE' '$OUT'"
check "not in the mailer's arguments or environment" sh -c "! grep -q '$tok3' '$T/mail.env'"
check "the mailer's chatter went to stderr" grep -q "mailer says hi" "$ERR"
check "text: token sent to dave@example.org" grep -q '^token sent to: *dave@example.org$' "$OUT"
expect_err "mailed to dave@example.org"
token_valid dave "$tok3" "the mailed token is dave's"
check "To: header" grep -qx "To: dave@example.org" "$T/mail"
check "Subject: header" grep -q "^Subject: .*dave" "$T/mail"
check "Date: header" grep -q "^Date: " "$T/mail"
check "MIME headers" grep -qx "Content-Type: text/plain; charset=us-ascii" "$T/mail"
check "headers end with an empty line before the body" \
	sh -c "sed -n '1,/^\$/p' '$T/mail' | grep -q '^To:' && sed '1,/^\$/d' '$T/mail' | grep -q '$tok3'"
check "the token is in the body, not a header" sh -c "! sed -n '1,/^\$/p' '$T/mail' | grep -q '$tok3'"
check "how to use it" grep -q "Log in with this token as your password; you will be asked to" "$T/mail"
check "choose a new password" grep -q "choose a new password" "$T/mail"
check "when it expires" grep -q "expires at" "$T/mail"
check "the expiry time is in the mail" grep -q "$(date -u -d tomorrow +%Y-%m-%d) .* UTC" "$T/mail"
check "the mailer got UMGMT_USER" grep -qx "UMGMT_USER=dave" "$T/mail.env"
check "the mailer got UMGMT_PURPOSE" grep -qx "UMGMT_PURPOSE=activation" "$T/mail.env"

rm -f "$T/mail"
expect_exit 0 umctl user reset-password dave --json
expect_json null token
expect_json dave@example.org token_sent_to
tok4=$(grep -o "$TOKEN_RE" "$T/mail" | head -1)
check "reset mail holds a new token" test -n "$tok4" -a "$tok4" != "$tok3"
check "reset subject" grep -q "^Subject: Password reset for dave" "$T/mail"
check "not on stdout" sh -c "! grep -q '$TOKEN_RE' '$OUT'"
token_valid dave "$tok4" "the mailed reset token is valid"
token_refused dave "$tok3" "the activation token is revoked"

# no e-mail address: printed, even with a mailer
rm -f "$T/mail"
expect_exit 0 umctl user add erin
expect_out "token:"
expect_err "privately"
check "no mail without an address" test ! -e "$T/mail"

# a mailer that fails: exit 1, the token is revoked, never shown
cat >"$T/badmailer" <<'SH'
#!/bin/sh
cat >/dev/null
exit 3
SH
chmod 0755 "$T/badmailer"
write_config "[tokens]" "notify_command = $T/badmailer"
expect_refusal 1 "umctl: cannot issue a reset token for user 'dave': [tokens] notify_command failed: it exited with status 3; the token was revoked" \
	umctl user reset-password dave
expect_no_out
expect_exit 0 umctl token list --json
expect_json dave 0 user
expect_json revoked 0 state
expect_refusal 1 "umctl: cannot issue an activation token for the new user 'frank': [tokens] notify_command failed: it exited with status 3; the token was revoked" \
	umctl user add frank --email frank@example.org
expect_err "was added"
expect_err "reset-password frank"
expect_exit 0 umctl user show frank --json
expect_json false has_password
# a mailer that does not read at all must not kill umctl (SIGPIPE)
write_config "[tokens]" "notify_command = /bin/true"
expect_exit 0 umctl user reset-password dave

finish
