/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: long-term absences (absence.c; umctl user absence). An
 * absent user is refused at login on every day of the window, local dates
 * "YYYY-MM-DD" (date.h), inclusive at both ends.
 */
#ifndef UMGMT_ABSENCE_H
#define UMGMT_ABSENCE_H

#include <time.h>

#include "umgmt/common.h"
#include "umgmt/store.h"

/*
 * Adds an absence window [from, until] (until NULL or "" = open-ended)
 * with an optional reason. Returns 0, -EINVAL (bad date, until before
 * from, reason with control characters), -ESRCH, -EBUSY, -EIO.
 */
int um_absence_add(struct um_store *s, const char *name, const char *from, const char *until,
		   const char *reason) __attribute__((warn_unused_result));
/* Removes every absence of name (none: a no-op). Returns 0, -ESRCH,
 * -EBUSY, -EIO. */
int um_absence_clear(struct um_store *s, const char *name) __attribute__((warn_unused_result));

struct um_absence {
	char from[11];
	char until[11]; /* "" = open-ended */
	char *reason;	/* "" when none */
};
void um_absence_list_free(struct um_absence *v, size_t n);
/* The absences of name, ordered by start date. Returns 0, -ESRCH, -EIO,
 * -ENOMEM; free with um_absence_list_free. */
int um_absence_list(struct um_store *s, const char *name, struct um_absence **ret, size_t *ret_n)
	__attribute__((warn_unused_result));

/*
 * Whether name is absent on the local date of now (for `user list
 * --absent`). Windows that touch or overlap are joined, so until is the
 * last day of the whole stretch ("" when it is open-ended). Returns 1
 * (absent; until filled), 0 (not absent), -ESRCH, -EIO.
 */
int um_absence_until(struct um_store *s, const char *name, time_t now, char until[11])
	__attribute__((warn_unused_result));
/* The same for the user of row id user_id on the date today, for a login
 * that has resolved its user already. */
int um_absence_today(struct um_store *s, int64_t user_id, const char *today, char until[11])
	__attribute__((warn_unused_result));

#endif
