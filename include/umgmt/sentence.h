/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: the sentences a refused (or stopped) user reads (sentence.c).
 *
 * One table, so that the PAM module and every later front end (umctl
 * access explain) say the same thing in the same words. A sentence with
 * an argument names it in the enum; um_sentence_format() fills it in.
 */
#ifndef UMGMT_SENTENCE_H
#define UMGMT_SENTENCE_H

#include "umgmt/common.h"

enum um_sentence {
	UM_SAY_DISABLED,
	UM_SAY_PENDING,
	UM_SAY_EXPIRED,	     /* arg: the date, "24 December 2026" */
	UM_SAY_ABSENT_UNTIL, /* arg: the last day, "24 December" */
	UM_SAY_ABSENT,	     /* until further notice */
	UM_SAY_SERVICE,	     /* arg: the PAM service, "sshd" */
	UM_SAY_MUST_CHANGE,
	UM_SAY_LOCKED_FOR, /* arg: "10 minutes" */
	UM_SAY_LOCKED,	   /* for how long unknown */
	UM_SAY_TOKEN_LOGIN,
	UM_SAY_TOKEN_GONE,
	UM_SAY_UID_MISMATCH,
	UM_SAY_BUSY,
	UM_SAY_PASSWORDS_DIFFER,
	_UM_SAY_MAX,
};

/* The sentence, with "%s" where its argument goes. Never NULL. */
const char *um_sentence(enum um_sentence id);
/* The sentence with arg in place of its "%s" (arg NULL: ""), truncated to
 * size. */
void um_sentence_format(enum um_sentence id, const char *arg, char *out, size_t size);

#endif
