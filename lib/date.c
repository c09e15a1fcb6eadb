/* SPDX-License-Identifier: MIT */
/* umgmt core: the clock and calendar dates (date.h). */
#include <time.h>

#include "umgmt/date.h"

int64_t um_now(void)
{
	return (int64_t)time(NULL);
}

static const char *const month_names[] = {
	"January", "February", "March",	    "April",   "May",	   "June",
	"July",	   "August",   "September", "October", "November", "December",
};

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

int um_parse_date(const char *text, int *ret_y, int *ret_m, int *ret_d)
{
	int y = 0, m = 0, d = 0;

	if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
		goto bad;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (text[i] < '0' || text[i] > '9')
			goto bad;
	}
	y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
	m = (text[5] - '0') * 10 + (text[6] - '0');
	d = (text[8] - '0') * 10 + (text[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return um_fail(-EINVAL, "'%s' is not a day of the calendar", text);
	if (y < 1970)
		return um_fail(-EINVAL, "'%s' lies before 1970", text);
	if (ret_y)
		*ret_y = y;
	if (ret_m)
		*ret_m = m;
	if (ret_d)
		*ret_d = d;
	return 0;
bad:
	return um_fail(-EINVAL, "'%s' is not a date of the form YYYY-MM-DD", text ? text : "");
}

void um_today(time_t now, char out[11])
{
	struct tm tm;

	if (!localtime_r(&now, &tm)) {
		snprintf(out, 11, "1970-01-01");
		return;
	}
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u);
}

int um_format_date(const char *date, const char *today, bool with_year, char *out, size_t size)
{
	int y, m, d, r;

	r = um_parse_date(date, &y, &m, &d);
	if (r < 0)
		return r;
	if (!today || strncmp(date, today, 4))
		with_year = true;
	if (with_year)
		snprintf(out, size, "%d %s %d", d, month_names[m - 1], y);
	else
		snprintf(out, size, "%d %s", d, month_names[m - 1]);
	return 0;
}

/* H. Hinnant's days_from_civil. */
int64_t um_date_day_number(const char *date)
{
	int y, m, d;

	if (um_parse_date(date, &y, &m, &d) < 0)
		return 0;
	y -= m <= 2;
	int64_t era = y / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
