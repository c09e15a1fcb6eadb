#!/bin/bash
# End to end: umgmt as a user meets it, in a private mount namespace.
#
#   tests/e2e/run.sh BUILDDIR      (root)
#
# The real getent, id, su, pamtester, sshd and ssh run against the built
# modules, wired through nsswitch.conf and Debian's stock PAM stack (see
# tests/e2e/lib.sh: every change to /etc, /usr/lib and /var/lib lands in an
# overlay that dies with the namespace). One "ok - ..." / "not ok - ..."
# line per assertion; the exit status is 1 if any failed.
set -uo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=${1:-build}
um_require_root "tests/e2e/run.sh"
if [ "${UMGMT_IN_NS:-}" != 1 ]; then
	# This script in its sandbox, then the login policy (issue 3) in a
	# fresh one of its own; either failing fails the layer.
	rc=0
	(um_ns_enter "$@") || rc=$?
	bash "$UM_E2E_DIR/policy.sh" "$BUILD" || rc=1
	exit $rc
fi
um_ns_setup "$BUILD"

export TZ=UTC LC_ALL=C.UTF-8
cd "$UM_T" || exit 1

ALICE_PW='Alice-Passw0rd-1'
ALICE_NEWPW='Fresh-Alice-Passw0rd-2'
BOB_PW='Bob-Passw0rd-22'
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
STORE=/var/lib/umgmt

# Every refusal is checked with its reason (check_refused: the exit
# status and the lines the user reads; check_logged: the modules' syslog
# line, where the user reads only "Authentication failure").
check "a syslog listener on /dev/log (in the namespace)" um_syslog_start
trap 'um_sshd_stop; um_syslog_stop' EXIT
trap 'exit 143' TERM INT HUP

AUTH_FAILED="pamtester: Authentication failure"

# pam SERVICE USER PASSWORD OPERATIONS...: pamtester on a pty.
pam() {
	local service=$1 user=$2 pw=$3
	shift 3
	UM_PW=$pw UM_NEWPW='' um_converse pamtester -v "$service" "$user" "$@"
}

# pam_chauthtok USER OLD NEW: a password change, answering every prompt.
pam_chauthtok() {
	UM_PW=$2 UM_NEWPW=$3 um_converse pamtester -v umgmt-test "$1" chauthtok
}

echo "# sandbox: nss modules in $UM_NSSDIR, pam modules in $UM_PAMDIR, store in $STORE"

# ------------------------------------------------------------------ pam-auth-update
# Debian's pam-auth-update, given etc/pam-configs/umgmt, must write the
# stack this test uses (and docs/INSTALL.md shows).
pam_lines() {
	grep -hE '^[a-z]+[[:space:]].*pam_(unix|umgmt|deny|permit)\.so' "$@" | tr -s ' \t' ' ' | sed 's/ $//'
}
if command -v pam-auth-update >/dev/null; then
	mkdir -p "$UM_T/expected-pam"
	cp /etc/pam.d/common-{auth,account,password,session} "$UM_T/expected-pam/"
	um_overlay /usr/share/pam-configs pamconfigs
	cp "$UM_ROOT/etc/pam-configs/umgmt" /usr/share/pam-configs/umgmt
	if DEBIAN_FRONTEND=noninteractive pam-auth-update --package --enable umgmt >"$OUT" 2>&1; then
		for s in auth account password session; do
			check_eq "pam-auth-update with etc/pam-configs/umgmt writes common-$s" \
				"$(pam_lines "$UM_T/expected-pam/common-$s")" "$(pam_lines "/etc/pam.d/common-$s")"
		done
		check_eq "etc/pam.d/common-* examples are that stack too" \
			"$(pam_lines "$UM_T"/expected-pam/common-{auth,account,password,session})" \
			"$(pam_lines "$UM_ROOT"/etc/pam.d/common-{auth,account,password,session})"
	else
		not_ok "pam-auth-update --enable umgmt"
	fi
	um_write_pam
else
	: >"$OUT"
	not_ok "pam-auth-update is installed (package libpam-runtime)"
fi

# ------------------------------------------------------------------ store
check "umctl init creates the store" umctl init
check "umctl status reads it" umctl status
check_refused "umctl init refuses a second time" 73 \
	"umctl: cannot create the store in $STORE: a store already exists at $STORE/umgmt.db; nothing was changed" \
	umctl init
check "umctl user add alice (a person)" \
	umctl user add alice --full-name 'Alice Liddell' --email alice@example.org --uid 20001
check "umctl user add bob (a robot)" umctl user add bob --kind robot --uid 20002
check "umctl group add devs" umctl group add devs --gid 21000 --description Developers
check "umctl group add-member devs alice bob" umctl group add-member devs alice bob
check "umctl user passwd alice --stdin" \
	bash -c 'printf "%s\n" "$1" | "$2" user passwd alice --stdin' _ "$ALICE_PW" "$UMCTL"
check "umctl user passwd bob --stdin" \
	bash -c 'printf "%s\n" "$1" | "$2" user passwd bob --stdin' _ "$BOB_PW" "$UMCTL"
check_refused "umctl refuses a name /etc/passwd holds" 73 \
	"umctl: cannot add user '$UM_LOCAL_USER': '$UM_LOCAL_USER' is a local user in /etc/passwd" \
	umctl user add "$UM_LOCAL_USER"
um_make_home alice
um_make_home bob

# ------------------------------------------------------------------ NSS
alice_gid=$(getent group alice | cut -d: -f3)
if [ -n "$alice_gid" ] && [ "$alice_gid" -ge 20000 ] && [ "$alice_gid" -le 29999 ]; then
	ok "alice has a private group in the configured range (gid $alice_gid)"
else
	not_ok "alice has a private group in the configured range" "getent group alice: '$(getent group alice)'"
fi
ALICE_LINE="alice:*:20001:$alice_gid:Alice Liddell:/home/alice:/bin/bash"
check_eq "getent passwd alice" "$ALICE_LINE" "$(getent passwd alice)"
check_eq "getent passwd 20001" "$ALICE_LINE" "$(getent passwd 20001)"
check_eq "getent passwd bob: name, uid, home, shell" "bob:*:20002:/home/bob:/bin/bash" \
	"$(getent passwd bob | cut -d: -f1-3,6,7)"
check_refused "getent passwd of an unknown name finds nothing (exit 2, no output)" 2 "" \
	getent passwd nosuchuser
check_refused "getent passwd of an unknown uid finds nothing (exit 2, no output)" 2 "" \
	getent passwd 29999

local_names=$(cut -d: -f1 /etc/passwd | grep -v '^[#+-]')
all_names=$(getent passwd | cut -d: -f1)
check_eq "getent passwd lists /etc/passwd, then exactly umgmt's users" \
	"$(printf '%s\nalice\nbob' "$local_names")" \
	"$(printf '%s\n' "$local_names"; printf '%s\n' "$all_names" | tail -n +"$(($(wc -l <<<"$local_names") + 1))" | sort)"

check_eq "getent group devs: name, gid, members" "devs:21000:alice,bob" \
	"$(getent group devs | cut -d: -f1,3,4)"
check_eq "getent group 21000" "devs" "$(getent group 21000 | cut -d: -f1)"
local_groups=$(cut -d: -f1 /etc/group | grep -v '^[#+-]')
um_groups=$(getent group | cut -d: -f1 | tail -n +"$(($(wc -l <<<"$local_groups") + 1))" | sort | tr '\n' ' ')
check_eq "getent group lists /etc/group, then umgmt's groups" "alice bob devs " "$um_groups"
check_eq "id -Gn alice (initgroups through NSS)" "alice devs" "$(id -Gn alice | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "id -un 20001" "alice" "$(id -un 20001 2>&1)"
id_alice=$(id alice 2>&1)
case $id_alice in
"uid=20001(alice) gid=$alice_gid(alice) groups="*"21000(devs)"*) ok "id alice: $id_alice" ;;
*) : >"$OUT"; not_ok "id alice shows uid, gid and devs" "got: $id_alice" ;;
esac

# ------------------------------------------------------------------ files, as nobody
check_eq "the truth is 0600 root" "600 root" "$(stat -c '%a %U' $STORE/umgmt.db)"
check_eq "the snapshot is 0644 root" "644 root" "$(stat -c '%a %U' $STORE/directory.db)"
check_eq "nobody can look alice up" "$ALICE_LINE" "$("${NOBODY[@]}" getent passwd alice 2>&1)"
check_eq "nobody sees alice's groups" "alice devs" \
	"$("${NOBODY[@]}" id -Gn alice 2>&1 | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
check_refused "nobody cannot read umgmt.db" 1 \
	"head: cannot open '$STORE/umgmt.db' for reading: Permission denied" \
	"${NOBODY[@]}" head -c 16 $STORE/umgmt.db
check_eq "nobody can read the snapshot (format 3: its magic)" "UMGMTDIR" \
	"$("${NOBODY[@]}" head -c 8 $STORE/directory.db 2>&1)"
check_eq "umctl snapshot verify finds it sound" "ok" \
	"$(umctl snapshot verify 2>&1 | sed -n 's/^snapshot: \(ok\).*/\1/p')"
dump=$(cat $STORE/directory.db* | tr -c '[:print:]' '\n')
check_eq "the snapshot holds alice's GECOS (the search works)" "1" \
	"$(grep -c '^Alice Liddell$' <<<"$dump" | sed 's/^[1-9][0-9]*$/1/')"
check_eq "the snapshot holds no password hash" "0" "$(grep -ciE 'argon2|\$y\$|\$6\$' <<<"$dump")"
check_eq "the snapshot holds no e-mail address" "0" "$(grep -c 'alice@example.org' <<<"$dump")"
leftovers=$(find $STORE -maxdepth 1 -name 'directory.db-*' -printf '%f ')
check_eq "reading the snapshot left no file beside it" "" "$leftovers"

# ------------------------------------------------------------------ PAM
check "pamtester: alice authenticates with her password" \
	pam umgmt-test alice "$ALICE_PW" authenticate acct_mgmt
check_refused "pamtester: alice is refused with a wrong password" 1 "$AUTH_FAILED" \
	pam umgmt-test alice 'Wrong-Passw0rd' authenticate
check_logged "pam_umgmt logs alice's wrong password" \
	'pam_umgmt\(umgmt-test:auth\): authentication failure for alice; service=umgmt-test'
check "pamtester: bob authenticates" pam umgmt-test bob "$BOB_PW" authenticate acct_mgmt
check_refused "pamtester: bob is refused with alice's password" 1 "$AUTH_FAILED" \
	pam umgmt-test bob "$ALICE_PW" authenticate
check_logged "pam_umgmt logs bob's wrong password" \
	'pam_umgmt\(umgmt-test:auth\): authentication failure for bob; service=umgmt-test'
check_refused "pamtester: an unknown user is refused" 1 "$AUTH_FAILED" \
	pam umgmt-test nosuchuser "$ALICE_PW" authenticate
check_logged "pam_umgmt logs an unknown user, without the name" \
	'pam_umgmt\(umgmt-test:auth\): authentication failure for an unknown user; service=umgmt-test'
check "pamtester: a local user still authenticates through pam_unix" \
	pam umgmt-test "$UM_LOCAL_USER" "$UM_LOCAL_PW" authenticate acct_mgmt
check_refused "pamtester: a local user is refused with a wrong password" 1 "$AUTH_FAILED" \
	pam umgmt-test "$UM_LOCAL_USER" 'Wrong-Passw0rd' authenticate
check_logged "pam_unix refuses the local user's wrong password" \
	"pam_unix\\(umgmt-test:auth\\): authentication failure; .* user=$UM_LOCAL_USER\$"
check "pamtester: alice opens and closes a session" \
	pam umgmt-test alice "$ALICE_PW" authenticate acct_mgmt open_session close_session

# ------------------------------------------------------------------ su
check_eq "root: su alice -c 'id -un'" "alice" "$(su alice -c 'id -un' 2>&1 </dev/null)"
check_eq "root: su alice gets devs as a supplementary group" "alice devs" \
	"$(su alice -c 'id -Gn' 2>&1 </dev/null | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "root: su - alice starts in her home" "/home/alice" "$(su - alice -c pwd 2>/dev/null </dev/null)"
LOCAL_SU=(setpriv --reuid="$UM_LOCAL_UID" --regid="$UM_LOCAL_UID" --init-groups --)
check_output "localuser: su alice with alice's password (setuid su, NSS without env)" '^whoami=alice$' \
	"${LOCAL_SU[@]}" env UM_PW="$ALICE_PW" "${UM_CONVERSE[@]}" su alice -c 'echo "whoami=$(id -un)"'
check_refused "localuser: su alice with a wrong password is refused" 1 "su: Authentication failure" \
	"${LOCAL_SU[@]}" env UM_PW=Wrong-Passw0rd "${UM_CONVERSE[@]}" su alice -c true
check_logged "pam_umgmt logs alice's wrong password for su" \
	'pam_umgmt\(su:auth\): authentication failure for alice; service=su'
check_logged "su logs the failed su" 'FAILED SU \(to alice\) '"$UM_LOCAL_USER"

# ------------------------------------------------------------------ password change
check "pamtester: alice changes her password (chauthtok)" \
	pam_chauthtok alice "$ALICE_PW" "$ALICE_NEWPW"
check "pamtester: the new password authenticates" pam umgmt-test alice "$ALICE_NEWPW" authenticate acct_mgmt
check_refused "pamtester: the old password no longer does" 1 "$AUTH_FAILED" \
	pam umgmt-test alice "$ALICE_PW" authenticate
check_logged "pam_umgmt logs the old password as a failure" \
	'pam_umgmt\(umgmt-test:auth\): authentication failure for alice; service=umgmt-test'


# ------------------------------------------------------------------ sshd
# The launcher of tests/e2e/lib.sh (as for policy.sh): passwords through
# keyboard-interactive, a PAM conversation.
if ! command -v sshd >/dev/null && [ ! -x /usr/sbin/sshd ]; then
	clear_out
	not_ok "sshd is installed (package openssh-server)"
elif ! um_sshd_start; then
	cp "$UM_T/sshd/log" "$OUT" 2>/dev/null
	not_ok "sshd starts on a loopback port"
else
	ok "sshd listens on 127.0.0.1:$UM_SSH_PORT"
	check_eq "ssh alice@127.0.0.1 with her password" "alice" \
		"$(um_ssh_pw alice "$ALICE_NEWPW" 'id -un' 2>&1 </dev/null)"
	check_eq "ssh: alice's session has devs" "alice devs" \
		"$(um_ssh_pw alice "$ALICE_NEWPW" 'id -Gn' 2>/dev/null </dev/null | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
	check_refused "ssh alice with a wrong password is refused" 255 \
		"alice@127.0.0.1: Permission denied (publickey,keyboard-interactive)." \
		um_ssh_pw alice 'Wrong-Passw0rd' true
	check_logged "pam_umgmt logs alice's wrong password for sshd, with the remote host" \
		'pam_umgmt\(sshd:auth\): authentication failure for alice; service=sshd rhost=127\.0\.0\.1'
	check_eq "ssh as the local user still works" "$UM_LOCAL_USER" \
		"$(um_ssh_pw "$UM_LOCAL_USER" "$UM_LOCAL_PW" 'id -un' 2>&1 </dev/null)"
	um_sshd_stop
fi

# ------------------------------------------------------------------ deletion
check "umctl user delete bob" umctl user delete bob
check_refused "getent passwd bob finds nothing after the delete (exit 2, no output)" 2 "" \
	getent passwd bob
check_eq "devs lost bob" "devs:21000:alice" "$(getent group devs | cut -d: -f1,3,4)"
check_refused "pamtester: bob is refused after the delete" 1 "$AUTH_FAILED" \
	pam umgmt-test bob "$BOB_PW" authenticate
check_logged "pam_umgmt no longer knows bob" \
	'pam_umgmt\(umgmt-test:auth\): authentication failure for an unknown user; service=umgmt-test'


# ------------------------------------------------------------------ store corrupt
# Garbage with the files' own modes: a store that is damaged, not one
# whose permissions are wrong (which is refused for that reason first).
cp -a "$STORE" "$UM_T/store-saved"
for f in "$STORE"/*.db; do
	head -c 4096 /dev/urandom >"$f.garbage" && chmod --reference="$f" "$f.garbage" &&
		mv -f "$f.garbage" "$f"
done
rm -f "$STORE"/*-wal "$STORE"/*-shm
check_refused "store corrupt: getent passwd alice finds nothing (exit 2, no output)" 2 "" \
	getent passwd alice
check "store corrupt: getent passwd root" getent passwd root
check "store corrupt: the local user still authenticates" \
	pam umgmt-test "$UM_LOCAL_USER" "$UM_LOCAL_PW" authenticate acct_mgmt
DAMAGED="cannot read the schema version: the store is damaged or not an umgmt store (file is not a database)"
check_refused "store corrupt: alice is refused" 1 "$AUTH_FAILED" \
	pam umgmt-test alice "$ALICE_NEWPW" authenticate
check_logged "store corrupt: pam_umgmt logs the damaged store" \
	"pam_umgmt\\(umgmt-test:auth\\): cannot open the store in $STORE: $(printf '%s' "$DAMAGED" | sed 's/[][().]/\\&/g')"
check_logged "store corrupt: pam_umgmt answers 'authentication unavailable'" \
	'pam_umgmt\(umgmt-test:auth\): authentication unavailable; service=umgmt-test'
check_refused "store corrupt: umctl status fails (69, the store is unusable)" 69 \
	"umctl: cannot read the store's status: the store is unusable: $DAMAGED" umctl status
rm -rf "${STORE:?}"/*
cp -a "$UM_T/store-saved"/. "$STORE"/
check_eq "store restored: getent passwd alice" "$ALICE_LINE" "$(getent passwd alice)"

# ------------------------------------------------------------------ store gone
rm -rf "${STORE:?}"/*
check_refused "store removed: getent passwd alice answers 'not found' (exit 2, no output)" 2 "" \
	getent passwd alice
check "store removed: getent passwd still lists the local users" \
	bash -c "getent passwd | grep -q '^$UM_LOCAL_USER:' && getent passwd root >/dev/null"
check_eq "store removed: id localuser" "$UM_LOCAL_USER" "$(id -un "$UM_LOCAL_UID" 2>&1)"
check "store removed: the local user still authenticates" \
	pam umgmt-test "$UM_LOCAL_USER" "$UM_LOCAL_PW" authenticate acct_mgmt
check_refused "store removed: alice is refused" 1 "$AUTH_FAILED" \
	pam umgmt-test alice "$ALICE_NEWPW" authenticate
check_logged "store removed: pam_umgmt logs the missing store" \
	"pam_umgmt\\(umgmt-test:auth\\): cannot open the store in $STORE: there is no store at $STORE/umgmt\\.db"
check_refused "store removed: root cannot su to alice" 1 \
	"su: user alice does not exist or the user entry does not contain all the required fields" \
	su alice -c true
check_eq "store removed: root su localuser" "$UM_LOCAL_USER" "$(su "$UM_LOCAL_USER" -c 'id -un' 2>&1 </dev/null)"

um_sshd_stop
um_syslog_stop
trap - EXIT TERM INT HUP
um_summary e2e
