#!/bin/bash
# The PAM layer: pam_umgmt.so inside the real libpam, through cwrap's
# pam_wrapper (service files from a temp directory, no /etc/pam.d) and
# nss_wrapper (so that pam_unix in the Debian stack sees the umgmt users as
# libnss_umgmt would serve them, without touching /etc/nsswitch.conf).
#
#   tests/pam/run.sh BUILDDIR      e.g. build, or build/san (ASan + UBSan)
#
# Prints one "ok - pam: ..." / "not ok - pam: ..." line per test case and
# exits non-zero when any fails or nothing ran. Needs libpam-wrapper,
# libpamtest0-dev, libnss-wrapper, libcmocka-dev (tests/install-deps.sh).
# The test program writes the configs and the store (see its header); this
# script writes what must exist before the process starts: the service
# files (pam_wrapper copies them when it loads) and the nss_wrapper files.
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: tests/pam/run.sh BUILDDIR" >&2
	exit 64
fi
B=$(cd "$1" 2>/dev/null && pwd) || {
	echo "not ok - pam: no build directory $1"
	exit 1
}
MODULE=$B/pam_umgmt.so

MULTIARCH=$(cc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
find_first() {
	local f
	for f in "$@"; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
SECDIR=$(dirname "$(find_first /lib/"$MULTIARCH"/security/pam_unix.so \
	/usr/lib/"$MULTIARCH"/security/pam_unix.so /lib/security/pam_unix.so)" 2>/dev/null)
PWRAP_MODULES=$(pkg-config --variable=modules pam_wrapper 2>/dev/null ||
	echo /usr/lib/"$MULTIARCH"/pam_wrapper)
PAM_WRAPPER_LIB=$(find_first /usr/lib/"$MULTIARCH"/libpam_wrapper.so /usr/lib/libpam_wrapper.so)
NSS_WRAPPER_LIB=$(find_first /usr/lib/"$MULTIARCH"/libnss_wrapper.so /usr/lib/libnss_wrapper.so)

missing=
[ -f "$MODULE" ] || missing="$missing $MODULE"
[ -n "$SECDIR" ] && [ -f "$SECDIR/pam_unix.so" ] || missing="$missing pam_unix.so"
[ -f "$PWRAP_MODULES/pam_set_items.so" ] || missing="$missing pam_set_items.so"
[ -n "$PAM_WRAPPER_LIB" ] || missing="$missing libpam_wrapper.so"
[ -n "$NSS_WRAPPER_LIB" ] || missing="$missing libnss_wrapper.so"
if [ -n "$missing" ]; then
	echo "not ok - pam: missing:$missing (make BUILD=... tests; tests/install-deps.sh)"
	exit 1
fi
shopt -s nullglob
TESTS=("$B"/tests/pam/test-*)
if [ ${#TESTS[@]} -eq 0 ]; then
	echo "not ok - pam: no test programs in $B/tests/pam (make BUILD=... tests)"
	exit 1
fi

T=$(mktemp -d /tmp/umgmt-pam.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
mkdir -m 0700 "$T/services" "$T/data"
D=$T/data

# Both rounds run copies of the module and the test programs, readable by
# anyone: the unprivileged one must not depend on reading $B (a checkout
# under root's 0700 home is not readable by nobody).
mkdir -m 0755 "$T/bin"
if ! cp "$MODULE" "${TESTS[@]}" "$T/bin/" || ! chmod 0755 "$T/bin"/*; then
	echo "not ok - pam: cannot copy the module and the test programs to $T/bin"
	exit 1
fi
MODULE=$T/bin/pam_umgmt.so
TESTS=("$T"/bin/test-*)
cd "$T" || exit 1

# service NAME LINE... : a pam_wrapper service file. In the lines, UM is our
# module, SD the system's module directory, PW pam_wrapper's modules.
service() {
	local name=$1
	shift
	printf '%s\n' "$@" | sed -e "s|UM |$MODULE |g" -e "s|SD/|$SECDIR/|g" \
		-e "s|PW/|$PWRAP_MODULES/|g" -e "s|CONF|$D|g" >"$T/services/$name"
}

# libpam reads "other" when a service has no lines for a phase; without it
# each run logs an error.
service other \
	"auth     required SD/pam_deny.so" \
	"account  required SD/pam_deny.so" \
	"password required SD/pam_deny.so" \
	"session  required SD/pam_deny.so"

# Our module alone, every phase: "required" so that its own answer is the
# stack's (PAM_IGNORE alone becomes libpam's PAM_PERM_DENIED).
plain() {
	local name=$1 args=$2
	service "$name" \
		"auth     required UM $args" \
		"account  required UM $args" \
		"password required UM $args" \
		"session  required UM $args"
}
plain umgmt "config=CONF/good.conf"
plain umgmt_badconf "config=CONF/bad.conf"
plain umgmt_garbage "config=CONF/garbage.conf"
plain umgmt_missing "config=CONF/missing.conf"
plain umgmt_unknown_arg "config=CONF/good.conf frobnicate"

# An earlier module that leaves PAM_AUTHTOK (from the environment).
service umgmt_try \
	"auth     required PW/pam_set_items.so" \
	"auth     required UM config=CONF/good.conf try_first_pass" \
	"password required PW/pam_set_items.so" \
	"password required UM config=CONF/good.conf"
service umgmt_use \
	"auth     required PW/pam_set_items.so" \
	"auth     required UM config=CONF/good.conf use_first_pass"

# Debian 12's common-auth/-account/-password/-session with our lines, as
# docs/PAM.md documents them.
service umgmt_debian \
	"auth     [success=2 default=ignore]  SD/pam_unix.so nullok" \
	"auth     [success=1 default=ignore]  UM config=CONF/good.conf try_first_pass" \
	"auth     requisite                   SD/pam_deny.so" \
	"auth     required                    SD/pam_permit.so" \
	"account  [success=1 new_authtok_reqd=done default=ignore] SD/pam_unix.so" \
	"account  requisite                   SD/pam_deny.so" \
	"account  required                    SD/pam_permit.so" \
	"account  [success=ok user_unknown=ignore default=bad] UM config=CONF/good.conf" \
	"password [success=2 default=ignore]  SD/pam_unix.so obscure yescrypt" \
	"password [success=1 default=ignore]  UM config=CONF/good.conf" \
	"password requisite                   SD/pam_deny.so" \
	"password required                    SD/pam_permit.so" \
	"session  [default=1]                 SD/pam_permit.so" \
	"session  requisite                   SD/pam_deny.so" \
	"session  required                    SD/pam_permit.so" \
	"session  required                    SD/pam_unix.so" \
	"session  optional                    UM config=CONF/good.conf"

# test-pam_policy: the login rules (issue 3), on its own store (p-*.conf).
policy() {
	local name=$1 conf=$2
	plain "$name" "config=CONF/$conf"
}
# pol first sets PAM_RHOST (from the environment), as sshd would.
service pol \
	"auth     required PW/pam_set_items.so" \
	"auth     required UM config=CONF/p-good.conf" \
	"account  required PW/pam_set_items.so" \
	"account  required UM config=CONF/p-good.conf" \
	"password required UM config=CONF/p-good.conf" \
	"session  required PW/pam_set_items.so" \
	"session  required UM config=CONF/p-good.conf"
policy pol_approval p-approval.conf
policy pol_restricted p-good.conf
policy pol_lockout p-lockout.conf
# default = deny: a service without a record is closed unless it is in
# [services] open (by default systemd-user cron sudo polkit-1)
policy cron p-deny.conf
policy pol_closed p-deny.conf
service pol_debian \
	"auth     [success=2 default=ignore]  SD/pam_unix.so nullok" \
	"auth     [success=1 default=ignore]  UM config=CONF/p-good.conf try_first_pass" \
	"auth     requisite                   SD/pam_deny.so" \
	"auth     required                    SD/pam_permit.so" \
	"account  [success=1 new_authtok_reqd=done default=ignore] SD/pam_unix.so" \
	"account  requisite                   SD/pam_deny.so" \
	"account  required                    SD/pam_permit.so" \
	"account  [success=ok user_unknown=ignore default=bad] UM config=CONF/p-good.conf" \
	"password [success=2 default=ignore]  SD/pam_unix.so obscure yescrypt" \
	"password [success=1 default=ignore]  UM config=CONF/p-good.conf" \
	"password requisite                   SD/pam_deny.so" \
	"password required                    SD/pam_permit.so"

# What libnss_umgmt would add to passwd/group (password field "*"). The
# test programs give their users these uids; the account phase checks that
# NSS and the store agree, so "odd" gets another uid here than in the
# store (60113) and "ghost" (60114) is missing.
cp /etc/passwd "$T/passwd"
cp /etc/group "$T/group"
uid=60001
for u in alice bob carol dave erin; do
	echo "$u:*:$uid:$uid::/home/$u:/bin/bash" >>"$T/passwd"
	echo "$u:x:$uid:" >>"$T/group"
	uid=$((uid + 1))
done
uid=60101
for u in pat dan pen abe exa sam gus tom tex lou mia bea odd ghost tim; do
	case $u in
	odd) echo "$u:*:60199:60199::/home/$u:/bin/bash" >>"$T/passwd" ;;
	ghost) ;;
	*) echo "$u:*:$uid:$uid::/home/$u:/bin/bash" >>"$T/passwd" ;;
	esac
	echo "$u:x:$uid:" >>"$T/group"
	uid=$((uid + 1))
done

preload="$PAM_WRAPPER_LIB $NSS_WRAPPER_LIB"
libs=$(ldd "${TESTS[0]}" 2>/dev/null) # not piped into grep -q: pipefail + SIGPIPE
if [[ $libs == *libasan* ]]; then
	# The sanitizer runtime first (pam_wrapper then skips RTLD_DEEPBIND,
	# which ASan cannot live with), and ASan told not to mind the order.
	preload="$(cc -print-file-name=libasan.so) $preload"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	export PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1
fi

# run_tests LABEL [PREFIX...] : (LABEL prefixes the test names) every test program once, started through
# PREFIX (e.g. setpriv to drop root), with a fresh data directory.
status=0
run_tests() {
	local label=$1 t name out rc
	shift
	rm -rf "$D"
	mkdir -m 0700 "$D"
	[ $# -eq 0 ] || chown nobody "$D"
	for t in "${TESTS[@]}"; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		out=$T/$name.out
		"$@" env LD_PRELOAD="$preload" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/services" \
			NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
			UMGMT_PAM_TESTDIR="$D" ${UMGMT_PAM_SHOW_LOG:+UMGMT_PAM_SHOW_LOG=1} "$t" >"$out" 2>&1
		rc=$?
		# cmocka's TAP ("ok 3 - test_x") becomes the project's line format;
		# everything else (diagnostics of a failure) is shown as is.
		# cmocka 1.1 prints a skipped test as "not ok N # SKIP name".
		sed -e "s|^ok [0-9]* - |ok - pam: $label|" -e "s|^not ok [0-9]* - |not ok - pam: $label|" \
			-e "s|^not ok [0-9]* # SKIP \(.*\)|ok - pam: $label\1 # skipped|" \
			-e '/^[0-9]*\.\.[0-9]*$/d' "$out"
		if [ $rc -ne 0 ]; then
			echo "not ok - pam: $label$name exited with status $rc"
			status=1
		elif ! grep -q '^ok ' "$out"; then
			echo "not ok - pam: $label$name ran no test"
			status=1
		fi
	done
}

run_tests ""
# Again as an unprivileged caller (a screen locker, passwd run by a user):
# changing one's password then needs the current one.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 0755 "$T" "$T/services"
	run_tests nobody/ setpriv --reuid=nobody --regid=nogroup --clear-groups
fi
exit $status
