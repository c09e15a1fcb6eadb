/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: validation of names and fields (validate.c): what ends up in
 * passwd and group, and PAM service names.
 *
 * User and group names follow Debian's default rule (adduser's
 * NAME_REGEX without --allow-bad-names): a lowercase ASCII letter, then
 * lowercase letters, digits, '-' and '_', optionally one final '$'; at most
 * UM_NAME_MAX characters. All digits is impossible by the first rule.
 */
#ifndef UMGMT_VALIDATE_H
#define UMGMT_VALIDATE_H

#include "umgmt/common.h"

#define UM_NAME_MAX 32

bool um_is_valid_name(const char *s);

/* Each returns 0, or -EINVAL with a detail sentence that names `what`
 * ("user name", "group name", ...) and says exactly what is wrong. */
int um_check_name(const char *what, const char *s) __attribute__((warn_unused_result));
/* The GECOS full name: printable, no ':' or ',' or newline, <= 255 bytes;
 * UTF-8 letters are fine. */
int um_check_gecos(const char *s) __attribute__((warn_unused_result));
/* An absolute path without ':' or control characters, <= 4095 bytes. */
int um_check_path(const char *what, const char *s) __attribute__((warn_unused_result));
/* A plausible e-mail address (one '@', no spaces or control chars). */
int um_check_email(const char *s) __attribute__((warn_unused_result));
/* A PAM service name: 1-64 of [A-Za-z0-9._+-], not starting with '.' or
 * '-'. */
int um_check_service_name(const char *name) __attribute__((warn_unused_result));

#endif
