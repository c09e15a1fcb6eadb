#!/bin/bash
# Installs what building and testing umgmt needs on a bare Debian 12.
#
# Fast when everything is present: dpkg-query decides, and apt-get runs
# (after one `apt-get update`) only for the packages that are missing.
# Package scripts are kept from starting services (openssh-server would
# otherwise start sshd on port 22) by a temporary policy-rc.d.
set -euo pipefail

PACKAGES=(
	# build
	build-essential gcc make pkg-config
	libsqlite3-dev libsodium-dev libiniparser-dev libpam0g-dev libcrypt-dev libpwquality-dev
	# the layout (make format-check)
	clang-format
	# the fuzz layer and make fuzz: clang and libFuzzer (libclang-rt-14-dev, only
	# a recommendation of clang's on Debian 12; recommends are not installed)
	clang libclang-rt-14-dev
	# unit, NSS and PAM layers
	libcmocka-dev libnss-wrapper libpam-wrapper libpamtest0-dev valgrind
	# end to end and demo
	pamtester sqlite3 openssh-server openssh-client sshpass expect python3 binutils
	util-linux passwd procps libpam-modules libpam-runtime perl-base
)

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"

# A policy-rc.d that refuses every service start, removed (or the admin's
# own restored) whatever happens.
POLICY=/usr/sbin/policy-rc.d
saved=""
if [ -e "$POLICY" ] || [ -L "$POLICY" ]; then
	saved=$(mktemp /usr/sbin/.policy-rc.d.umgmt.XXXXXX)
	mv -f "$POLICY" "$saved"
fi
restore_policy() {
	rm -f "$POLICY"
	if [ -n "$saved" ]; then
		mv -f "$saved" "$POLICY"
	fi
}
trap restore_policy EXIT
trap 'exit 130' INT TERM
printf '#!/bin/sh\n# umgmt install-deps: start no service while installing\nexit 101\n' >"$POLICY"
chmod 0755 "$POLICY"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
echo "install-deps: done"
