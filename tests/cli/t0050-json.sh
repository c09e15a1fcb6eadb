#!/bin/sh
# --json: valid JSON everywhere, stable snake_case keys, strings escaped
# (quotes, backslashes) and UTF-8 passed through.
. "$(dirname "$0")/lib.sh"

if [ -z "$JSON_TOOL" ]; then
	ok "# SKIP no JSON parser: install python3 or jq"
	finish
fi
ok "parsing JSON with $JSON_TOOL"

expect_exit 0 umctl init --json
check "init --json is valid JSON" json_valid "$OUT"

# Empty lists are still arrays.
expect_exit 0 umctl user list --json
check "empty user list is valid JSON" json_valid "$OUT"
expect_json '[]'
expect_exit 0 umctl group list --json
expect_json '[]'

gecos='Jürgen "Jo" O\Brien – 日本 ✓'
expect_exit 0 umctl user add jo --full-name "$gecos" --email 'jo+x@example.org' --json
check "user add --json is valid JSON" json_valid "$OUT"
expect_json "$gecos" full_name
expect_exit 0 umctl user show jo --json
check "user show --json is valid JSON" json_valid "$OUT"
expect_json "$gecos" full_name
check "quotes are escaped" grep -qF 'Jürgen \"Jo\" O\\Brien' "$OUT"
check "UTF-8 passes through unescaped" grep -qF '日本 ✓' "$OUT"

expect_exit 0 umctl group add 'team' --description 'say "hi" \ back'
expect_exit 0 umctl group add-member team jo
for cmd in "user list" "user show jo" "group list" "group show team" "status"; do
	# shellcheck disable=SC2086
	expect_exit 0 umctl $cmd --json
	check "$cmd --json is valid JSON" json_valid "$OUT"
	# --json anywhere on the line
	# shellcheck disable=SC2086
	"$UMCTL" --json --config "$CONF" $cmd >"$T/json2" 2>/dev/null
	check "--json before the noun gives the same for $cmd" cmp -s "$OUT" "$T/json2"
done
expect_exit 0 umctl group show team --json
expect_json 'say "hi" \ back' description
expect_json '["jo"]' members

# The documented keys, in the documented order.
expect_exit 0 umctl user show jo --json
keys=$(grep -Eo '^  "[a-z_]+"' "$OUT" | tr -d ' "' | tr '\n' ' ')
want="name uid gid group kind full_name email home shell enabled approved has_password created_at updated_at password_changed_at groups expires_on must_change_password last_login absences services failed_logins locked_until "
check "user keys: $keys" test "$keys" = "$want"
expect_exit 0 umctl group show team --json
keys=$(grep -Eo '^  "[a-z_]+"' "$OUT" | tr -d ' "' | tr '\n' ' ')
want="name gid description private_of members created_at "
check "group keys: $keys" test "$keys" = "$want"
expect_exit 0 umctl status --json
keys=$(grep -Eo '^  "[a-z_]+"' "$OUT" | tr -d ' "' | tr '\n' ' ')
want="config schema_version generation published_generation snapshot_current users groups pending_approvals truth_path snapshot_path nss_path nss_reads_snapshot "
check "status keys: $keys" test "$keys" = "$want"

# Types: numbers are numbers, flags are booleans, times are UTC strings.
expect_exit 0 umctl user list --json
expect_json true 0 enabled
check "uid is a number" sh -c "grep -Eq '\"uid\": [0-9]+,' '$OUT'"
check "created_at is ISO 8601 UTC" \
	sh -c "grep -Eq '\"created_at\": \"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\"' '$OUT'"

# Errors stay on stderr in JSON mode; stdout holds nothing to misparse.
expect_refusal 67 "umctl: cannot show user 'nobody-here': no umgmt user named 'nobody-here'" \
	umctl user show nobody-here --json
expect_no_out

finish
