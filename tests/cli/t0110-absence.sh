#!/bin/sh
# user absence: windows with and without an end, list --absent (who is
# away today and until when), --clear; bad dates and mixed options are
# refused, naming the input, and change nothing.
. "$(dirname "$0")/lib.sh"

# What refused also keeps unchanged, beyond lib.sh's state.
state_extra() {
	umctl user show bob --json 2>&1
}

today=$(date -u +%Y-%m-%d)
yesterday=$(date -u -d yesterday +%Y-%m-%d)
tomorrow=$(date -u -d tomorrow +%Y-%m-%d)
next_week=$(date -u -d '7 days' +%Y-%m-%d)
last_week=$(date -u -d '7 days ago' +%Y-%m-%d)

expect_exit 0 umctl init
expect_exit 0 umctl user add bob
expect_exit 0 umctl user add carol
expect_exit 0 umctl user add dave

# Nobody is absent yet: an empty list is still a list.
expect_exit 0 umctl user list --absent --json
expect_json '[]'
expect_exit 0 umctl user show bob --json
expect_json '[]' absences

# bob: away from yesterday until next week; carol: from today, open-ended;
# dave: only in the past and in the future, so not absent today.
expect_exit 0 umctl user absence bob --from "$yesterday" --until "$next_week" --reason 'parental leave'
expect_no_out
expect_exit 0 umctl user absence carol --from "$today"
expect_exit 0 umctl user absence dave --from "$last_week" --until "$yesterday"
expect_exit 0 umctl user absence dave --from "$tomorrow" --until "$next_week"

expect_exit 0 umctl user show bob --json
expect_json "$yesterday" absences 0 from
expect_json "$next_week" absences 0 until
expect_json 'parental leave' absences 0 reason
expect_exit 0 umctl user show bob
expect_out "absences:"
expect_out "from=$yesterday until=$next_week reason=parental leave"
expect_exit 0 umctl user show carol --json
expect_json null absences 0 until
expect_json null absences 0 reason
expect_exit 0 umctl user show dave --json
expect_json "$last_week" absences 0 from
expect_json "$tomorrow" absences 1 from

expect_exit 0 umctl user list --absent --json
check "list --absent is valid JSON" json_valid "$OUT"
expect_json bob 0 name
expect_json "$next_week" 0 absent_until
expect_json carol 1 name
expect_json null 1 absent_until
check "dave is not absent today" sh -c "! grep -q dave '$OUT'"
expect_exit 0 umctl user list --absent
expect_out "ABSENT UNTIL"
expect_out "$next_week"
check "text: dave is not listed" sh -c "! grep -q dave '$OUT'"

# Windows that touch are joined: bob is back the day after the second.
day_after=$(date -u -d '8 days' +%Y-%m-%d)
expect_exit 0 umctl user absence bob --from "$day_after" --until "$day_after"
expect_exit 0 umctl user list --absent --json
expect_json "$day_after" 0 absent_until

# --pending and --absent together: both must hold.
expect_exit 0 umctl user unapprove carol
expect_exit 0 umctl user list --absent --pending --json
expect_json carol 0 name
check "bob is absent but not pending" sh -c "! grep -q '\"bob\"' '$OUT'"

# Refusals, each naming its input, none changing anything.
refused 65 "umctl: cannot add an absence of user 'bob': --from '2026-02-30' is not a day of the calendar" \
	umctl user absence bob --from 2026-02-30
refused 65 "umctl: cannot add an absence of user 'bob': --from '2026-13-01' is not a day of the calendar" \
	umctl user absence bob --from 2026-13-01
refused 65 "umctl: cannot add an absence of user 'bob': --from '26-12-24' is not a date of the form YYYY-MM-DD" \
	umctl user absence bob --from 26-12-24
refused 65 "umctl: cannot add an absence of user 'bob': --from 'next monday' is not a date of the form YYYY-MM-DD" \
	umctl user absence bob --from 'next monday'
refused 65 "umctl: cannot add an absence of user 'bob': --until '2026-02-30' is not a day of the calendar" \
	umctl user absence bob --from 2026-12-24 --until 2026-02-30
refused 65 "umctl: cannot add an absence of user 'bob': --until 2026-12-23 lies before --from 2026-12-24" \
	umctl user absence bob --from 2026-12-24 --until 2026-12-23
refused 65 "umctl: cannot add an absence of user 'bob': the reason contains a control character" \
	umctl user absence bob --from 2026-12-24 --reason "$(printf 'a\nb')"
refused 64 "umctl: give --from DATE (an absence) or --clear" umctl user absence bob
refused 64 "umctl: give --from DATE (an absence) or --clear" \
	umctl user absence bob --until 2026-12-24
refused 64 "umctl: --clear excludes --from, --until and --reason" \
	umctl user absence bob --clear --from 2026-12-24
refused 64 "umctl: --clear excludes --from, --until and --reason" \
	umctl user absence bob --clear --reason x
refused 64 "umctl: option '--from' needs a value (DATE)" umctl user absence bob --from
refused 67 "umctl: cannot add an absence of user 'nosuchuser': no umgmt user named 'nosuchuser'" \
	umctl user absence nosuchuser --from 2026-12-24
refused 65 "umctl: cannot add an absence of user 'Bad!': user name must start with a lowercase letter (a-z), not 'B'" \
	umctl user absence 'Bad!' --from 2026-12-24

# --clear removes them all; bob is back.
expect_exit 0 umctl user absence bob --clear
expect_no_out
expect_exit 0 umctl user show bob --json
expect_json '[]' absences
expect_exit 0 umctl user list --absent --json
check "bob is no longer absent" sh -c "! grep -q '\"bob\"' '$OUT'"
# Clearing nothing is fine.
expect_exit 0 umctl user absence bob --clear

finish
