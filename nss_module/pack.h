/* SPDX-License-Identifier: MIT */
/*
 * nss_module: copying snapshot rows into the caller's struct and buffer,
 * as glibc's *_r interfaces require. Private to the NSS module.
 */
#ifndef UMGMT_NSS_PACK_H
#define UMGMT_NSS_PACK_H

#include <grp.h>
#include <pwd.h>

#include "umgmt/directory.h"

/* The password field of every passwd and group entry we serve. */
#define NSS_NO_PASSWORD "*"

/*
 * Packs u into pw, its strings into buf[0..len). Returns 0, or -ERANGE
 * when buf is too small (pw is then untouched). No allocation.
 */
int pack_passwd(const struct um_dir_user *u, struct passwd *pw, char *buf, size_t len);

/*
 * Packs g into gr: the gr_mem pointer array (aligned inside buf) and all
 * strings live in buf[0..len); the members' names are copied straight
 * from the snapshot (um_directory_group_members()). Returns 0, -ERANGE
 * (gr untouched), or -EBADMSG (a damaged member list).
 */
int pack_group(const struct um_dir_group *g, struct group *gr, char *buf, size_t len);

#endif
