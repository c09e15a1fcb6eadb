/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the clock and calendar dates (date.c).
 *
 * Dates are local calendar dates "YYYY-MM-DD" (the machine's time zone,
 * TZ), inclusive at both ends wherever they bound a window.
 */
#ifndef UMGMT_DATE_H
#define UMGMT_DATE_H

#include <time.h>

#include "umgmt/common.h"

/* Now, in unix seconds. */
int64_t um_now(void);

/* Parses "YYYY-MM-DD" strictly (a real calendar date, years 1970-9999).
 * Returns 0 or -EINVAL with a detail that starts with the quoted text and
 * says what is wrong with it ("'2026-02-30' is not a day of the
 * calendar"), so that a caller can put the field's name in front. Any
 * ret_ may be NULL. */
int um_parse_date(const char *text, int *ret_y, int *ret_m, int *ret_d)
	__attribute__((warn_unused_result));
/* The local date (localtime_r: TZ respected) of now as "YYYY-MM-DD". */
void um_today(time_t now, char out[11]);

/* A date "YYYY-MM-DD" in English whatever the locale: "24 December" when
 * it lies in the year of today (also "YYYY-MM-DD"), "3 January 2027"
 * otherwise, always with the year when with_year. Returns 0 or -EINVAL. */
int um_format_date(const char *date, const char *today, bool with_year, char *out, size_t size)
	__attribute__((warn_unused_result));

/* Days since 1970-01-01 of a valid date "YYYY-MM-DD" (0 for an invalid
 * one): dates compare and subtract as numbers. */
int64_t um_date_day_number(const char *date);

#endif
