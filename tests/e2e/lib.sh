# shellcheck shell=bash disable=SC2034  # variables here are used by the sourcing scripts
# Sourced by tests/e2e/run.sh, tests/e2e/policy.sh and tests/demo.sh: a
# sandbox in which umgmt is installed and wired exactly as an administrator
# would do it, without touching the machine; the one sshd launcher of the
# tests (um_sshd_start); the test scripts' checks (ok, not_ok, check,
# check_eq, check_output, check_refused, check_log, check_logged).
#
# um_ns_enter "$@"   (outside) re-runs the calling script in a private mount
#                    namespace and returns its exit status; the namespace and
#                    every mount in it die with that process.
# um_ns_setup BUILD  (inside) lays overlays over /etc, the library
#                    directories, /var/lib and /home, so that the real
#                    getent, id, su, pamtester and sshd meet:
#                      - libnss_umgmt.so.2 next to libc, pam_umgmt.so next to pam_unix.so
#                      - /etc/nsswitch.conf with "passwd: files umgmt", "group: files umgmt"
#                      - Debian's stock /etc/pam.d/common-* with the lines of docs/INSTALL.md
#                      - /etc/umgmt/umgmt.conf with cheap hashing, the store in /var/lib/umgmt
#                      - a local account "localuser" (password $UM_LOCAL_PW) in /etc/passwd
# All writes land in a tmpfs that exists only inside the namespace.

UM_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UM_ROOT=$(cd "$UM_E2E_DIR/../.." && pwd)
UM_LOCAL_USER=localuser
UM_LOCAL_PW='Local-Passw0rd-42'

um_die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# um_require_root WHAT: refuse loudly (never skip silently) without root.
um_require_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	echo "##############################################################" >&2
	echo "# $1 needs root (mount namespace, bind mounts, setuid su)." >&2
	if [ "${CI:-}" = true ]; then
		echo "# CI=true: this is a FAILURE, not a skip." >&2
	else
		echo "# NOT RUN: rerun as root (e.g. sudo make check-e2e)." >&2
	fi
	echo "##############################################################" >&2
	exit 1
}

um_ns_enter() {
	if [ "${UMGMT_IN_NS:-}" = 1 ]; then
		return 0
	fi
	command -v unshare >/dev/null || um_die "unshare (util-linux) is missing: run tests/install-deps.sh"
	local tmp rc=0
	tmp=$(mktemp -d /tmp/umgmt-sandbox.XXXXXX) || um_die "mktemp failed"
	UMGMT_IN_NS=1 UMGMT_NS_TMP=$tmp unshare --mount --propagation private -- \
		"$BASH" "$0" "$@" || rc=$?
	# The tmpfs mounted on $tmp lived in the namespace; only the empty
	# directory is left here.
	rm -rf -- "$tmp"
	exit $rc
}

# um_overlay DIR NAME: DIR becomes writable, the writes going to our tmpfs.
um_overlay() {
	local dir=$1 name=$2
	mkdir -p "$UM_T/ovl/$name/upper" "$UM_T/ovl/$name/work"
	mount -t overlay "umgmt-$name" \
		-o "lowerdir=$dir,upperdir=$UM_T/ovl/$name/upper,workdir=$UM_T/ovl/$name/work" "$dir" ||
		um_die "cannot mount an overlay on $dir (need CAP_SYS_ADMIN and overlayfs)"
}

um_ns_setup() {
	local build=$1
	[ "${UMGMT_IN_NS:-}" = 1 ] || um_die "um_ns_setup outside the namespace"
	UM_BUILD=$(cd "$build" 2>/dev/null && pwd) || um_die "no build directory '$build'"
	local f
	for f in umctl pam_umgmt.so libnss_umgmt.so.2; do
		[ -f "$UM_BUILD/$f" ] || um_die "$UM_BUILD/$f is missing: run make BUILD=$build"
	done
	UMCTL=$UM_BUILD/umctl
	unset UMGMT_DIRECTORY

	UM_T=$UMGMT_NS_TMP
	mount -t tmpfs -o mode=0755 umgmt-sandbox "$UM_T" || um_die "cannot mount a tmpfs on $UM_T"
	mkdir -p "$UM_T/ovl"

	# Where glibc and libpam look: next to libc.so.6 (a default search
	# directory even for setuid programs) and next to pam_unix.so.
	local libc pam_unix nssdir pamdir
	libc=$(ldd /bin/sh | awk '/libc\.so\.6/ { print $3 }')
	[ -n "$libc" ] || um_die "cannot find libc.so.6"
	nssdir=$(dirname "$(readlink -f "$libc")")
	pam_unix=
	for f in /usr/lib/*/security/pam_unix.so /lib/*/security/pam_unix.so \
		/usr/lib/security/pam_unix.so /lib/security/pam_unix.so; do
		if [ -f "$f" ]; then
			pam_unix=$f
			break
		fi
	done
	[ -n "$pam_unix" ] || um_die "cannot find pam_unix.so (package libpam-modules)"
	pamdir=$(dirname "$(readlink -f "$pam_unix")")
	UM_NSSDIR=$nssdir
	UM_PAMDIR=$pamdir

	um_overlay "$nssdir" nsslib
	case $pamdir/ in
	"$nssdir"/*) ;;
	*) um_overlay "$pamdir" pamlib ;;
	esac
	um_overlay /etc etc
	um_overlay /var/lib varlib
	[ -d /home ] && um_overlay /home home
	# sshd's privilege separation directory, normally made by its service.
	if [ ! -d /run/sshd ]; then
		um_overlay /run run
		mkdir -m 0755 /run/sshd
	fi
	# A running nscd would answer from the machine's own nsswitch.conf:
	# hide its socket so that glibc asks the modules itself.
	if [ -d /run/nscd ]; then
		mount -t tmpfs -o mode=0755 umgmt-no-nscd /run/nscd
	fi

	# The expect script, where a user other than root can read it: the
	# checkout may be in a directory only root may enter (root's home).
	install -m 0644 "$UM_E2E_DIR/converse.exp" "$UM_T/converse.exp"
	UM_CONVERSE=(expect -f "$UM_T/converse.exp" --)

	install -m 0644 "$UM_BUILD/libnss_umgmt.so.2" "$nssdir/libnss_umgmt.so.2"
	install -m 0644 "$UM_BUILD/pam_umgmt.so" "$pamdir/pam_umgmt.so"

	# The store: an empty, root-owned directory at the path the NSS module
	# has compiled in. A tmpfs hides a real store if this machine has one.
	mkdir -p /var/lib/umgmt
	mount -t tmpfs -o mode=0755 umgmt-store /var/lib/umgmt

	um_write_config no

	um_write_nsswitch
	um_write_pam
	um_add_local_user

	OUT=$UM_T/out
	SO=$UM_T/stdout
	SE=$UM_T/stderr
}

# umctl ARGS...: the umctl under test, with the sandbox's config.
umctl() {
	"$UMCTL" "$@"
}

# um_write_config [APPROVAL [EXTRA]]: /etc/umgmt/umgmt.conf with cheap
# hashing and the store in /var/lib/umgmt; APPROVAL is [users]
# approval_required (default no), EXTRA is appended (whole sections, e.g.
# "[lockout]" lines).
um_write_config() {
	local approval=${1:-no} extra=${2:-}
	mkdir -p /etc/umgmt
	cat >/etc/umgmt/umgmt.conf <<-EOF
		# umgmt test configuration: cheap hashing (libsodium's minimum).
		[store]
		dir = /var/lib/umgmt

		[ids]
		uid_min = 20000
		uid_max = 29999
		gid_min = 20000
		gid_max = 29999

		[users]
		home = /home/%u
		shell = /bin/bash
		private_groups = yes
		approval_required = $approval

		[password]
		min_length = 8
		argon2_ops = 1
		argon2_mem_kib = 8

		[services]
		default = allow
	EOF
	[ -z "$extra" ] || printf '\n%s\n' "$extra" >>/etc/umgmt/umgmt.conf
	chmod 0644 /etc/umgmt/umgmt.conf
}

um_write_nsswitch() {
	{
		echo "# umgmt sandbox"
		echo "passwd:         files umgmt"
		echo "group:          files umgmt"
		echo "shadow:         files"
		echo "gshadow:        files"
		echo "hosts:          files dns"
		echo "networks:       files"
		echo "protocols:      db files"
		echo "services:       db files"
		echo "ethers:         db files"
		echo "rpc:            db files"
		echo "netgroup:       nis"
	} >/etc/nsswitch.conf
}

# Debian 12's stock common-* files with umgmt's lines, as docs/INSTALL.md
# shows them; whatever the machine's own files carry (pam_systemd,
# pam_cap...) is left out so that the test sees only this stack.
um_write_pam() {
	cat >/etc/pam.d/common-auth <<-'EOF'
		auth	[success=2 default=ignore]	pam_unix.so nullok
		auth	[success=1 default=ignore]	pam_umgmt.so try_first_pass
		auth	requisite			pam_deny.so
		auth	required			pam_permit.so
	EOF
	cat >/etc/pam.d/common-account <<-'EOF'
		account	[success=1 new_authtok_reqd=done default=ignore]	pam_unix.so
		account	requisite			pam_deny.so
		account	required			pam_permit.so
		account	[success=ok user_unknown=ignore default=bad]	pam_umgmt.so
	EOF
	cat >/etc/pam.d/common-password <<-'EOF'
		password	[success=2 default=ignore]	pam_unix.so obscure yescrypt
		password	[success=1 default=ignore]	pam_umgmt.so
		password	requisite			pam_deny.so
		password	required			pam_permit.so
	EOF
	local s
	for s in common-session common-session-noninteractive; do
		cat >/etc/pam.d/$s <<-'EOF'
			session	[default=1]			pam_permit.so
			session	requisite			pam_deny.so
			session	required			pam_permit.so
			session	required	pam_unix.so
			session	optional	pam_umgmt.so
		EOF
	done
	cat >/etc/pam.d/umgmt-test <<-'EOF'
		# The service pamtester uses in umgmt's end-to-end tests.
		@include common-auth
		@include common-account
		@include common-password
		@include common-session
	EOF
	# Debian's sshd file, less pam_loginuid (a container may refuse to
	# set the login uid) and the motd/mail/env extras.
	cat >/etc/pam.d/sshd <<-'EOF'
		@include common-auth
		account    required     pam_nologin.so
		@include common-account
		session    optional     pam_loginuid.so
		@include common-session
		session    required     pam_limits.so
		@include common-password
	EOF
	chmod 0644 /etc/pam.d/common-* /etc/pam.d/umgmt-test /etc/pam.d/sshd
}

# A local account in /etc/passwd and /etc/shadow (the overlay's), to prove
# that pam_unix keeps working in front of umgmt.
um_add_local_user() {
	local id=4200 hash
	while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do
		id=$((id + 1))
	done
	UM_LOCAL_UID=$id
	hash=$(perl -e 'print crypt($ARGV[0], "\$6\$" . $ARGV[1] . "\$")' "$UM_LOCAL_PW" umgmtsalt)
	case $hash in
	'$6$'*) ;;
	*) um_die "cannot hash a password with perl's crypt()" ;;
	esac
	echo "$UM_LOCAL_USER:x:$id:$id:Local User:/home/$UM_LOCAL_USER:/bin/sh" >>/etc/passwd
	echo "$UM_LOCAL_USER:$hash:19000:0:99999:7:::" >>/etc/shadow
	echo "$UM_LOCAL_USER:x:$id:" >>/etc/group
	[ -f /etc/gshadow ] && echo "$UM_LOCAL_USER:!::" >>/etc/gshadow
	if [ -d /home ]; then
		mkdir -p "/home/$UM_LOCAL_USER"
		chown "$id:$id" "/home/$UM_LOCAL_USER"
	fi
}

# um_make_home NAME: a home directory for a umgmt user (pam_mkhomedir's
# job on a real machine), so that su - and ssh start in it.
um_make_home() {
	local name=$1 uid gid
	uid=$(id -u "$name") && gid=$(id -g "$name") || return 1
	[ -d /home ] || return 0
	mkdir -p "/home/$name"
	chown "$uid:$gid" "/home/$name"
	chmod 0750 "/home/$name"
}

# um_converse CMD...: runs CMD on a pseudo-terminal and answers its
# password prompts: $UM_PW for "Password:" / "Current password:", $UM_NEWPW
# for "New password:" / "Retype new password:". Exits with CMD's status.
# "${UM_CONVERSE[@]}" CMD... is the same as a command line, for another
# user (setpriv ... "${UM_CONVERSE[@]}" su alice).
um_converse() {
	"${UM_CONVERSE[@]}" "$@"
}

# ------------------------------------------------------------------ sshd
# um_sshd_start: a real sshd on 127.0.0.1 (a random free port), with PAM
# and the stack above. Passwords only through keyboard-interactive
# (PasswordAuthentication no), so that every password login is a PAM
# conversation: the prompts, the refusal sentences and the new-password
# dialogue reach the client. Public keys from ~/.ssh/authorized_keys.
# Sets UM_SSHD_PID, UM_SSH_PORT and UM_SSH_DIR (host key, log, known_hosts);
# returns 1 (the log in $UM_SSH_DIR/log) if sshd does not come up.
um_sshd_start() {
	local dir=$UM_T/sshd port _i
	UM_SSH_DIR=$dir
	UM_SSHD_PID=
	mkdir -p "$dir"
	[ -f "$dir/host_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C umgmt-e2e-host -f "$dir/host_ed25519" </dev/null >/dev/null ||
		return 1
	for _i in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		cat >"$dir/sshd_config" <<-EOF
			ListenAddress 127.0.0.1
			Port $port
			HostKey $dir/host_ed25519
			PidFile $dir/sshd.pid
			UsePAM yes
			KbdInteractiveAuthentication yes
			PasswordAuthentication no
			PubkeyAuthentication yes
			AuthorizedKeysFile .ssh/authorized_keys
			StrictModes yes
			PermitRootLogin no
			PrintMotd no
			PrintLastLog no
			LogLevel VERBOSE
		EOF
		: >"$dir/log"
		/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$dir/log" &
		UM_SSHD_PID=$!
		for _ in $(seq 100); do
			grep -q 'Server listening' "$dir/log" && break
			kill -0 "$UM_SSHD_PID" 2>/dev/null || break
			sleep 0.05
		done
		if grep -q 'Server listening' "$dir/log"; then
			UM_SSH_PORT=$port
			# The client checks the host key for real: no "Permanently
			# added" noise, and the test talks to this sshd only.
			echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
			return 0
		fi
		kill "$UM_SSHD_PID" 2>/dev/null
		wait "$UM_SSHD_PID" 2>/dev/null
		UM_SSHD_PID=
	done
	return 1
}

# um_sshd_stop: stops the sshd of um_sshd_start (by its pid), once the
# children of the last connections have finished (at most 2 s), so that
# none of them outlives the test.
um_sshd_stop() {
	[ -n "${UM_SSHD_PID:-}" ] || return 0
	local _i
	for _i in $(seq 40); do
		pgrep -P "$UM_SSHD_PID" >/dev/null || break
		sleep 0.05
	done
	kill "$UM_SSHD_PID" 2>/dev/null
	wait "$UM_SSHD_PID" 2>/dev/null
	UM_SSHD_PID=
}

# um_ssh_key NAME: a key pair for NAME, the private half for root's client
# in $UM_T/keys/NAME, the public half in ~NAME/.ssh/authorized_keys (owned
# by NAME, modes as sshd's StrictModes wants). Makes the home if needed.
um_ssh_key() {
	local name=$1 home uid gid
	uid=$(id -u "$name") && gid=$(id -g "$name") || return 1
	home=$(getent passwd "$name" | cut -d: -f6)
	[ -d "$home" ] || um_make_home "$name" || return 1
	install -d -m 0700 "$UM_T/keys"
	rm -f "$UM_T/keys/$name" "$UM_T/keys/$name.pub"
	ssh-keygen -q -t ed25519 -N '' -C "$name@umgmt-e2e" -f "$UM_T/keys/$name" </dev/null >/dev/null || return 1
	install -d -m 0700 -o "$uid" -g "$gid" "$home/.ssh"
	install -m 0600 -o "$uid" -g "$gid" "$UM_T/keys/$name.pub" "$home/.ssh/authorized_keys"
}

# The client: the real ssh, no config file, no agent, the host key checked
# against $UM_SSH_DIR/known_hosts.
um_ssh_opts() {
	UM_SSH_OPTS=(-F /dev/null -p "$UM_SSH_PORT" -o StrictHostKeyChecking=yes
		-o "UserKnownHostsFile=$UM_SSH_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null
		-o ConnectTimeout=10 -o IdentityAgent=none -o ControlMaster=no)
}

# um_ssh_pw USER PASSWORD CMD...: a password login (keyboard-interactive,
# one prompt, answered by sshpass). The client's messages (the PAM
# sentences among them) go to stderr.
um_ssh_pw() {
	local user=$1 pw=$2
	shift 2
	um_ssh_opts
	SSHPASS=$pw sshpass -e ssh "${UM_SSH_OPTS[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
		"$user@127.0.0.1" "$@"
}

# um_ssh_key_login USER CMD...: a public-key login with USER's key
# (um_ssh_key); never asks anything (BatchMode).
um_ssh_key_login() {
	local user=$1
	shift
	um_ssh_opts
	ssh "${UM_SSH_OPTS[@]}" -o BatchMode=yes -o IdentitiesOnly=yes -i "$UM_T/keys/$user" \
		-o PreferredAuthentications=publickey "$user@127.0.0.1" "$@"
}

# um_ssh_converse USER CMD...: a keyboard-interactive login on a pty,
# answering the prompts as um_converse does ($UM_PW, $UM_NEWPW), so that a
# forced password change can be carried out. Prints the whole dialogue.
um_ssh_converse() {
	local user=$1
	shift
	um_ssh_opts
	um_converse ssh "${UM_SSH_OPTS[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
		"$user@127.0.0.1" "$@"
}

# ------------------------------------------------------------------ syslog
# um_syslog_start: a syslog of our own, so that the modules' log lines
# (reason, service, remote host) and the absence of secrets in them can be
# checked: /dev/log in an overlay of /dev (the original /dev/pts and
# /dev/shm are bound back on top), read by a small datagram listener that
# appends each message as a line to $UM_SYSLOG. um_syslog_stop stops it
# (by its pid).
um_syslog_start() {
	UM_SYSLOG=$UM_T/syslog
	UM_SYSLOG_PID=
	mkdir -p "$UM_T/olddev"
	mount --rbind /dev "$UM_T/olddev" || return 1
	um_overlay /dev dev
	mount --rbind "$UM_T/olddev/pts" /dev/pts || return 1
	mount --rbind "$UM_T/olddev/shm" /dev/shm || return 1
	rm -f /dev/log
	: >"$UM_SYSLOG"
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
out = open(sys.argv[1], "ab", buffering=0)
while True:
    out.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
' "$UM_SYSLOG" &
	UM_SYSLOG_PID=$!
	local _i
	for _i in $(seq 100); do
		[ -S /dev/log ] && return 0
		sleep 0.02
	done
	return 1
}

um_syslog_stop() {
	[ -n "${UM_SYSLOG_PID:-}" ] || return 0
	kill "$UM_SYSLOG_PID" 2>/dev/null
	wait "$UM_SYSLOG_PID" 2>/dev/null
	UM_SYSLOG_PID=
}

# ------------------------------------------------------------------ checks
# One "ok - DESC" / "not ok - DESC" line per assertion, counted in passed
# and failed. A command's output goes to $OUT (stdout and stderr together),
# or $SO and $SE when a check needs them apart; a failed check shows them,
# the end of sshd's log and then empties them.
passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}

# not_ok DESC [LINE...]: the lines, then what the last command printed and
# the end of sshd's log.
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	shift
	local line f
	for line in "$@"; do
		echo "#   $line"
	done
	for f in "$OUT" "$SO" "$SE"; do
		[ -s "$f" ] && sed -e "s/^/#   $(basename "$f")| /" "$f" | tr -d '\r' | head -n 30
	done
	if [ -n "${UM_SSH_DIR:-}" ] && [ -s "$UM_SSH_DIR/log" ]; then
		tail -n 6 "$UM_SSH_DIR/log" | sed -e 's/^/#   sshd| /'
	fi
	clear_out
}

clear_out() {
	: >"$OUT"
	: >"$SO"
	: >"$SE"
}

# um_summary NAME: "# NAME: N passed, M failed"; false if any failed.
um_summary() {
	echo "# $1: $passed passed, $failed failed${2:+ ($2)}"
	[ "$failed" -eq 0 ]
}

# check DESC CMD...: CMD must succeed.
check() {
	local desc=$1
	shift
	clear_out
	if "$@" >"$OUT" 2>&1 </dev/null; then
		ok "$desc"
	else
		not_ok "$desc" "command failed (exit $?): $*"
	fi
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	clear_out
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $(printf '%q' "$2")" "actual:   $(printf '%q' "$3")"
	fi
}

# check_output DESC PATTERN CMD...: CMD must succeed and print a line
# matching the extended regular expression PATTERN.
check_output() {
	local desc=$1 pattern=$2
	shift 2
	clear_out
	if ! "$@" >"$OUT" 2>&1 </dev/null; then
		not_ok "$desc" "command failed: $*"
	elif ! tr -d '\r' <"$OUT" | grep -qE -- "$pattern"; then
		not_ok "$desc" "no line matches: $pattern"
	else
		ok "$desc"
	fi
}

# lines LINE...: LINE... one a line, for check_refused.
lines() {
	printf '%s\n' "$@"
}

# check_refused DESC STATUS LINES CMD...: CMD must be refused for the
# right reason: it exits with STATUS (not just "not 0": a crash, a timeout
# of the conversation or an unreadable script fail too) and every line of
# LINES (see `lines`) is a whole line of its output (stdout and stderr,
# carriage returns of a pty removed): the sentence the user reads, the
# tool's verdict ("su: Authentication failure"). Empty LINES: CMD prints
# nothing at all (getent's "not found").
check_refused() {
	local desc=$1 want=$2 want_lines=$3 rc line missing=
	shift 3
	clear_out
	um_log_mark
	"$@" >"$OUT" 2>&1 </dev/null
	rc=$?
	if [ "$rc" -eq 0 ]; then
		not_ok "$desc" "succeeded but should have been refused: $*"
		return
	fi
	if [ "$rc" -ne "$want" ]; then
		not_ok "$desc" "exit $rc, expected $want: $*"
		return
	fi
	if [ -z "$want_lines" ]; then
		if [ -s "$OUT" ]; then
			not_ok "$desc" "exit $rc as expected, but it printed something: $*"
		else
			ok "$desc"
		fi
		return
	fi
	tr -d '\r' <"$OUT" >"$UM_T/out.lines"
	while IFS= read -r line; do
		grep -qxF -- "$line" "$UM_T/out.lines" || missing+=" \"$line\""
	done <<<"$want_lines"
	if [ -n "$missing" ]; then
		not_ok "$desc" "exit $rc as expected, but without the line(s):$missing"
	else
		ok "$desc"
	fi
}

# um_log_mark: the syslog lines so far (check_logged looks at what comes
# after); every check_refused sets it.
um_log_mark() {
	UM_LOG_MARK=0
	[ -n "${UM_SYSLOG:-}" ] && [ -f "$UM_SYSLOG" ] && UM_LOG_MARK=$(wc -l <"$UM_SYSLOG")
	return 0
}

# um_log_match REGEX [FROM]: a line of the syslog (from line FROM + 1 on)
# matches the extended REGEX; waits up to 2 s for the listener to write it.
um_log_match() {
	local re=$1 from=${2:-0} _i
	for _i in $(seq 40); do
		sed -n "$((from + 1)),\$p" "$UM_SYSLOG" >"$UM_T/syslog.part"
		grep -qE -- "$re" "$UM_T/syslog.part" && return 0
		sleep 0.05
	done
	return 1
}

# check_log DESC REGEX: a line of the syslog (um_syslog_start) matches.
check_log() {
	clear_out
	if [ -z "${UM_SYSLOG_PID:-}" ]; then
		not_ok "$1" "no syslog listener (um_syslog_start)"
	elif um_log_match "$2"; then
		ok "$1"
	else
		tail -n 5 "$UM_SYSLOG" >"$OUT"
		not_ok "$1" "no syslog line matches: $2"
	fi
}

# check_logged DESC REGEX: a line that the last check_refused's command
# logged matches: the reason the modules give, where the user reads only
# "Authentication failure".
check_logged() {
	clear_out
	if [ -z "${UM_SYSLOG_PID:-}" ]; then
		not_ok "$1" "no syslog listener (um_syslog_start)"
	elif um_log_match "$2" "${UM_LOG_MARK:-0}"; then
		ok "$1"
	else
		cp "$UM_T/syslog.part" "$OUT"
		not_ok "$1" "no syslog line since the command matches: $2"
	fi
}
