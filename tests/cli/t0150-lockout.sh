#!/bin/sh
# What logins leave behind, as user show reports it: failed logins, the
# lock after [lockout] deny of them and user unlock; the last successful
# login (time, service, host). The logins themselves are made by the core
# calls the PAM module uses (tests/cli/test-policy-helper.c).
. "$(dirname "$0")/lib.sh"
require_program test-policy-helper

write_config "[lockout]" "deny = 3" "fail_interval = 15m" "unlock_time = 10m"
expect_exit 0 umctl init
expect_exit 0 umctl user add bob
expect_exit 0 umctl user show bob --json
expect_json 0 failed_logins
expect_json null locked_until
expect_json null last_login
expect_exit 0 umctl user show bob
expect_out "last login:           never"
expect_out "locked until:         never"

check "a failed login" helper fail bob sshd 192.0.2.7
check "a second one" helper fail bob sshd 192.0.2.7
expect_exit 0 umctl user show bob --json
expect_json 2 failed_logins
expect_json null locked_until
check "the third" helper fail bob login ""
now=$(date -u +%s)
expect_exit 0 umctl user show bob --json
expect_json 3 failed_logins
until=$(json_get locked_until)
until_s=$(date -u -d "$until" +%s 2>/dev/null || echo 0)
check "locked for 10 minutes ($until)" test $((until_s - now)) -ge 595 -a $((until_s - now)) -le 600
expect_exit 0 umctl user show bob
expect_out "failed logins:        3"
expect_out "locked until:         $until"

# unlock clears the failures
expect_exit 0 umctl user unlock bob
expect_no_out
expect_exit 0 umctl user show bob --json
expect_json 0 failed_logins
expect_json null locked_until

# a successful login is recorded (and clears failures as well)
check "a failure" helper fail bob sshd 192.0.2.7
check "a successful login" helper success bob sshd 198.51.100.4
expect_exit 0 umctl user show bob --json
check "user show --json is valid JSON" json_valid "$OUT"
expect_json 0 failed_logins
expect_json sshd last_login service
expect_json 198.51.100.4 last_login host
at=$(json_get last_login at)
at_s=$(date -u -d "$at" +%s 2>/dev/null || echo 0)
check "last login at now ($at)" test $((at_s - now)) -ge -2 -a $((at_s - now)) -le 60
expect_exit 0 umctl user show bob
expect_out "at=$at service=sshd host=198.51.100.4"
# a local login has no host
check "a local login" helper success bob login ""
expect_exit 0 umctl user show bob --json
expect_json login last_login service
expect_json null last_login host
# the list shows it too
expect_exit 0 umctl user list --json
expect_json login 0 last_login service

# deny = 0: no lock, however many failures
write_config "[lockout]" "deny = 0"
for i in 1 2 3 4 5 6; do helper fail bob sshd 192.0.2.7 >/dev/null 2>&1; done
expect_exit 0 umctl user show bob --json
expect_json 6 failed_logins
expect_json null locked_until

# unlock: unknown user 67, bad name 65, nothing changed
remember_state
expect_refusal 67 "umctl: cannot unlock user 'nosuchuser': no umgmt user named 'nosuchuser'" \
	umctl user unlock nosuchuser
expect_refusal 65 "umctl: cannot unlock user 'Bad!': user name must start with a lowercase letter (a-z), not 'B'" \
	umctl user unlock 'Bad!'
expect_unchanged "refused unlocks"

finish
