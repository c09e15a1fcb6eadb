/* SPDX-License-Identifier: MIT */
/*
 * umgmt core: services (PAM service names) and who may use them
 * (service.c, owner of the services and service_grants tables).
 */
#ifndef UMGMT_SERVICE_H
#define UMGMT_SERVICE_H

#include "umgmt/common.h"
#include "umgmt/store.h"

struct um_service {
	char *name;
	bool restricted;
	char *description;
	char **grants; /* "user:alice", "group:devs", sorted */
	size_t n_grants;
};
void um_service_free(struct um_service *sv);
void um_service_list_free(struct um_service **v, size_t n);

/* Adds a service record (description NULL = ""; printable, <= 255
 * bytes). Returns 0, -EINVAL, -EEXIST, -EBUSY, -EIO. */
int um_service_add(struct um_store *s, const char *name, bool restricted, const char *description)
	__attribute__((warn_unused_result));
/* Changes restricted. Returns 0, -ESRCH, -EBUSY, -EIO. */
int um_service_set_restricted(struct um_store *s, const char *name, bool restricted)
	__attribute__((warn_unused_result));
/* Deletes the record and its grants. Returns 0, -ESRCH, -EBUSY, -EIO. */
int um_service_delete(struct um_store *s, const char *name) __attribute__((warn_unused_result));
/* Returns 0 and the record (free with um_service_free), -ESRCH, -EIO. */
int um_service_get(struct um_store *s, const char *name, struct um_service **ret)
	__attribute__((warn_unused_result));
/* Every record, by name. Returns 0, -EIO, -ENOMEM; free with
 * um_service_list_free. */
int um_service_list(struct um_store *s, struct um_service ***ret, size_t *ret_n)
	__attribute__((warn_unused_result));

enum um_grantee { UM_GRANT_USER, UM_GRANT_GROUP };
/* Grants/revokes a service to a user or group. Returns 0, -ESRCH (no such
 * service, user or group), -EEXIST (already granted) / -ESRCH (revoke: not
 * granted), -EBUSY, -EIO. */
int um_service_grant(struct um_store *s, const char *service, enum um_grantee kind,
		     const char *grantee) __attribute__((warn_unused_result));
int um_service_revoke(struct um_store *s, const char *service, enum um_grantee kind,
		      const char *grantee) __attribute__((warn_unused_result));

/* How a user may reach services, for `umctl user show`: a record for each
 * service the user can reach, then one for every other service. */
struct um_service_access {
	char *service; /* NULL: every other service (the [services] default) */
	bool allowed;
	/* Why: "user:NAME", "group:NAME", "role:NAME" or "company:NAME" (a
	 * grant), "open" (an open record), "config" ([services] open) or
	 * "default" ([services] default). */
	char *via;
};
void um_service_access_free(struct um_service_access *v, size_t n);
/* The services user user_id (a row id) can reach, by name (restricted
 * services without a grant are left out), then the open services of the
 * configuration without a record, then the default. Returns 0, -EIO,
 * -ENOMEM; free with um_service_access_free. */
int um_service_access(struct um_store *s, int64_t user_id, struct um_service_access **ret,
		      size_t *ret_n) __attribute__((warn_unused_result));

/* The words for a via of um_service_access (allowed says how the default
 * went): "granted to group devs", "open", "open by configuration
 * ([services] open)", "allowed by default ([services] default = allow)",
 * "restricted, no grant" (via "none"). Writes buf, returns it. */
const char *um_service_via_text(const char *via, bool allowed, char *buf, size_t size);

/*
 * Whether user user_id may use PAM service `service`: a restricted
 * record needs a grant (to the user, a group they are in, their primary
 * group, a role or their company), an open record admits, no record: the
 * [services] open list, else [services] default. Writes why, as via
 * above ("none": restricted, no grant). Returns 1 (allowed), 0
 * (refused), -EIO.
 */
int um_service_reach(struct um_store *s, int64_t user_id, const char *service, char *why,
		     size_t why_size) __attribute__((warn_unused_result));

#endif
