#!/bin/bash
# The modules' ABI: what they export and what they link.
#
#   tests/abi/run.sh BUILDDIR
#
# libnss_umgmt.so.2 exports only _nss_umgmt_* and links neither libsodium,
# iniparser nor libsqlite3; pam_umgmt.so exports only pam_sm_*. A missing PAM module
# is skipped unless ABI_REQUIRE_ALL=1. One "ok"/"not ok" line per check;
# exits 1 if any failed.
set -uo pipefail

B=${1:-build}
failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }

# exports FILE PATTERN NAME : every defined dynamic symbol matches PATTERN
exports() {
	local file=$1 pattern=$2 name=$3 syms bad
	if ! syms=$(nm -D --defined-only "$file" 2>&1); then
		not_ok "$name: nm failed: $syms"
		return
	fi
	syms=$(printf '%s\n' "$syms" | awk 'NF >= 3 { print $3 }')
	if [ -z "$syms" ]; then
		not_ok "$name exports nothing"
		return
	fi
	bad=$(printf '%s\n' "$syms" | grep -Ev "$pattern" || true)
	if [ -z "$bad" ]; then
		ok "$name exports only $pattern ($(printf '%s\n' "$syms" | wc -l) symbols)"
	else
		not_ok "$name exports more than $pattern:"
		printf '#   %s\n' $bad
	fi
}

# needs FILE LIB... : FILE must export each of the given symbols
needs() {
	local file=$1 name=$2
	shift 2
	local syms
	syms=$(nm -D --defined-only "$file" 2>/dev/null | awk 'NF >= 3 { print $3 }')
	for s in "$@"; do
		if printf '%s\n' "$syms" | grep -qx "$s"; then ok "$name exports $s"; else not_ok "$name exports $s"; fi
	done
}

NSS=$B/libnss_umgmt.so.2
if [ ! -f "$NSS" ]; then
	not_ok "$NSS exists"
else
	exports "$NSS" '^_nss_umgmt_' libnss_umgmt.so.2
	needs "$NSS" libnss_umgmt.so.2 _nss_umgmt_getpwnam_r _nss_umgmt_getpwuid_r \
		_nss_umgmt_setpwent _nss_umgmt_getpwent_r _nss_umgmt_endpwent \
		_nss_umgmt_getgrnam_r _nss_umgmt_getgrgid_r _nss_umgmt_setgrent \
		_nss_umgmt_getgrent_r _nss_umgmt_endgrent _nss_umgmt_initgroups_dyn
	soname=$(objdump -p "$NSS" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
	[ "$soname" = libnss_umgmt.so.2 ] && ok "libnss_umgmt.so.2 SONAME" ||
		not_ok "libnss_umgmt.so.2 SONAME is '$soname'"
	needed=$(objdump -p "$NSS" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }')
	if printf '%s\n' "$needed" | grep -Eq 'sodium|iniparser'; then
		not_ok "libnss_umgmt.so.2 links libsodium/iniparser: $(echo $needed)"
	else
		ok "libnss_umgmt.so.2 needs neither libsodium nor iniparser ($(echo $needed))"
	fi
	if ldd "$NSS" 2>/dev/null | grep -Eq 'sodium|iniparser'; then
		not_ok "ldd libnss_umgmt.so.2 shows libsodium/iniparser"
	else
		ok "ldd libnss_umgmt.so.2 shows neither libsodium nor iniparser"
	fi
	# the snapshot is our own format: no SQLite at all, linked or copied
	# (and so none of its relocations in every process that resolves a name)
	if printf '%s\n' "$needed" | grep -q 'sqlite' || ldd "$NSS" 2>/dev/null | grep -q sqlite; then
		not_ok "libnss_umgmt.so.2 links libsqlite3: $(echo $needed)"
	else
		ok "libnss_umgmt.so.2 links no libsqlite3 ($(echo $needed))"
	fi
	if nm --defined-only "$NSS" 2>/dev/null | grep -q ' sqlite3_' ||
		nm -D "$NSS" | grep -q sqlite3_; then
		not_ok "libnss_umgmt.so.2 carries or calls SQLite"
	else
		ok "libnss_umgmt.so.2 carries and calls no SQLite"
	fi
fi

PAM=$B/pam_umgmt.so
if [ -f "$PAM" ]; then
	exports "$PAM" '^pam_sm_' pam_umgmt.so
	if ldd "$PAM" 2>/dev/null | grep -q 'libsqlite3'; then
		ok "pam_umgmt.so uses the shared libsqlite3"
	else
		not_ok "pam_umgmt.so does not link the shared libsqlite3"
	fi
elif [ "${ABI_REQUIRE_ALL:-0}" = 1 ]; then
	not_ok "$PAM exists"
else
	echo "ok - pam_umgmt.so not built yet # SKIP"
fi

exit $failed
