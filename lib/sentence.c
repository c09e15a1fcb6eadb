/* SPDX-License-Identifier: MIT */
/* umgmt core: the sentences a refused user reads, in one table (sentence.h). */
#include "umgmt/sentence.h"

static const char *const sentences[] = {
	[UM_SAY_DISABLED] = "Your account has been disabled. Please contact an administrator.",
	[UM_SAY_PENDING] = "Your account is waiting for approval by an administrator.",
	[UM_SAY_EXPIRED] = "Your account expired on %s. Please contact an administrator.",
	[UM_SAY_ABSENT_UNTIL] = "You are marked absent until %s.",
	[UM_SAY_ABSENT] = "You are marked absent until further notice.",
	[UM_SAY_SERVICE] = "You are not allowed to log in to this machine with %s.",
	[UM_SAY_MUST_CHANGE] =
		"You are required to change your password immediately (administrator enforced).",
	[UM_SAY_LOCKED_FOR] =
		"Your account is locked after too many failed login attempts. Try again in %s.",
	[UM_SAY_LOCKED] =
		"Your account is locked after too many failed login attempts. Try again later.",
	[UM_SAY_TOKEN_LOGIN] =
		"You logged in with a one-time token: you are required to choose a new password now.",
	[UM_SAY_TOKEN_GONE] =
		"Your one-time token is no longer valid; please ask an administrator for a new one.",
	[UM_SAY_UID_MISMATCH] = "Your account cannot be used on this machine right now. "
				"Please contact an administrator.",
	[UM_SAY_BUSY] = "The account database is busy; please try again.",
	[UM_SAY_PASSWORDS_DIFFER] = "Sorry, passwords do not match.",
};

_Static_assert(UM_ELEMENTSOF(sentences) == _UM_SAY_MAX, "one sentence per id");

const char *um_sentence(enum um_sentence id)
{
	return (unsigned)id < _UM_SAY_MAX ? sentences[id] : sentences[UM_SAY_DISABLED];
}

void um_sentence_format(enum um_sentence id, const char *arg, char *out, size_t size)
{
	const char *t = um_sentence(id), *hole = strstr(t, "%s");

	if (!size)
		return;
	if (!hole) {
		snprintf(out, size, "%s", t);
		return;
	}
	snprintf(out, size, "%.*s%s%s", (int)(hole - t), t, arg ? arg : "", hole + 2);
}
