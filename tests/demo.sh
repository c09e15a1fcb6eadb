#!/bin/bash
# make demo: a narrated walk through umgmt in a sandbox (root).
#
#   tests/demo.sh [BUILDDIR]      (default: $BUILD or build)
#
# Everything happens in a private mount namespace (tests/e2e/lib.sh): the
# machine's /etc, /usr/lib and /var/lib are never written. DEMO_PAUSE=N
# waits N seconds between steps.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/e2e/lib.sh"

BUILD_DIR=${1:-${BUILD:-build}}
um_require_root "make demo"
um_ns_enter "$@"
um_ns_setup "$BUILD_DIR" >/dev/null

export TZ=UTC LC_ALL=C.UTF-8
cd "$UM_T"
PAUSE=${DEMO_PAUSE:-0}
ADA_PW='Analytical-Engine-1843'
GRACE_PW='Compiler-A-0-1952'

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' N=$'\e[0m'
else
	B='' D='' N=''
fi

say() {
	echo
	echo "${B}$*${N}"
	[ "$PAUSE" = 0 ] || sleep "$PAUSE"
}

# show CMD...: prints the command as the administrator would type it, then
# runs it. A refusal is part of the story, so it does not stop the demo.
show() {
	local shown=${SHOWN:-} arg rc out
	if [ -z "$shown" ]; then
		for arg in "$@"; do
			case $arg in
			*[!A-Za-z0-9@%+=:,./_-]*) arg="'${arg//\'/\'\\\'\'}'" ;;
			esac
			shown+="${shown:+ }$arg"
		done
	fi
	echo "${D}# ${shown}${N}"
	out=$("$@" 2>&1) && rc=0 || rc=$?
	[ -z "$out" ] || printf '%s\n' "$out" | sed -e 's/^/  /'
	[ "$rc" -eq 0 ] || echo "  ${D}(exit status $rc)${N}"
	return 0
}

say "umgmt keeps users and groups in a SQLite store that the machine itself
sees: an NSS module serves them to getent, id and ls, a PAM module lets them
log in. This demo runs in a private mount namespace, wired exactly as
docs/INSTALL.md describes (nsswitch.conf: 'passwd: files umgmt', the PAM
lines in /etc/pam.d/common-*), so nothing on this machine changes."

say "1. An administrator creates the store (/var/lib/umgmt: umgmt.db for root,
directory.db, the world-readable snapshot NSS reads):"
show umctl init
show ls -l /var/lib/umgmt

say "2. A person with a full name, a robot account for the CI system, and a
group holding both:"
show umctl user add ada --full-name 'Ada Lovelace' --email ada@example.org
show umctl user add ci-bot --kind robot
show umctl group add engineers --description 'Engineering'
show umctl group add-member engineers ada ci-bot

say "3. Ada gets a password. Here it comes on stdin; at a terminal umctl asks
twice without echo:"
SHOWN="printf '%s\n' '$ADA_PW' | umctl user passwd ada --stdin" \
	show bash -c 'printf "%s\n" "$1" | "$2" user passwd ada --stdin' _ "$ADA_PW" "$UMCTL"

say "4. What umctl knows:"
show umctl user list
show umctl group show engineers

say "5. What the system sees, through the NSS module. The password field is
'*': the hash stays in umgmt.db, which only root can read."
show getent passwd ada ci-bot
show getent group engineers
show id ada
show setpriv --reuid=nobody --regid=nogroup --clear-groups getent passwd ada
SHOWN="setpriv --reuid=nobody ... cat /var/lib/umgmt/umgmt.db" \
	show setpriv --reuid=nobody --regid=nogroup --clear-groups cat /var/lib/umgmt/umgmt.db

say "6. Logging in goes through PAM: pam_unix first (local accounts), then
pam_umgmt. pamtester drives the stack of a test service that includes the
stock common-* files. The right password:"
SHOWN="pamtester umgmt-test ada authenticate acct_mgmt   (typing $ADA_PW)" \
	show env UM_PW="$ADA_PW" "${UM_CONVERSE[@]}" pamtester umgmt-test ada authenticate acct_mgmt

say "A wrong password is refused:"
SHOWN="pamtester umgmt-test ada authenticate   (typing not-her-password)" \
	show env UM_PW='not-her-password' "${UM_CONVERSE[@]}" pamtester umgmt-test ada authenticate

say "7. Ada is a real user to every program, su included:"
show su ada -c 'echo "I am $(id -un), in: $(id -Gn)"'

say "8. New users can be made to wait for an administrator's approval. With
'approval_required = yes' in [users] of /etc/umgmt/umgmt.conf, Grace is
created pending. She has a password and an SSH key, like anyone else:"
um_write_config yes
show grep -A5 '^\[users\]' /etc/umgmt/umgmt.conf
show umctl user add grace --full-name 'Grace Hopper'
SHOWN="printf '%s\n' '$GRACE_PW' | umctl user passwd grace --stdin" \
	show bash -c 'printf "%s\n" "$1" | "$2" user passwd grace --stdin' _ "$GRACE_PW" "$UMCTL"
show umctl user list --pending
um_ssh_key grace

if um_sshd_start; then
	trap 'um_sshd_stop' EXIT
	say "A real sshd is listening on 127.0.0.1:$UM_SSH_PORT (UsePAM yes, the same
PAM stack). Grace tries to log in, first with her password, then with her
key. Both are refused, and the PAM module tells her why in one sentence:"
	SHOWN="ssh -p $UM_SSH_PORT grace@127.0.0.1 id -un   (typing her password)" \
		show um_ssh_pw grace "$GRACE_PW" id -un
	SHOWN="ssh -p $UM_SSH_PORT -i grace-key grace@127.0.0.1 id -un" \
		show um_ssh_key_login grace id -un

	say "A public key never reaches PAM's password check, but it does go through
the account phase, which is where the approval is checked. The administrator
approves Grace, and the same two logins work:"
	show umctl user approve grace
	SHOWN="ssh -p $UM_SSH_PORT grace@127.0.0.1 'echo \"I am \$(id -un), uid \$(id -u)\"'   (typing her password)" \
		show um_ssh_pw grace "$GRACE_PW" 'echo "I am $(id -un), uid $(id -u)"'
	SHOWN="ssh -p $UM_SSH_PORT -i grace-key grace@127.0.0.1 id -un" \
		show um_ssh_key_login grace id -un
	um_sshd_stop
	trap - EXIT
else
	say "(sshd did not start here, so the SSH part is left out:"
	sed -e 's/^/  /' "$UM_SSH_DIR/log" | tail -n 5
	echo ")"
fi

say "9. Local accounts never depend on the store. With the store gone, ada
disappears and the machine carries on with /etc/passwd:"
show rm -f /var/lib/umgmt/directory.db
show getent passwd ada
show getent passwd root

say "That was all in a throwaway namespace: /etc, /usr/lib and /var/lib on this
machine are exactly as before. To install umgmt for real, see README.md and
docs/INSTALL.md."
