// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call manager's call-ID reservations: a call ID is ours only if no
 * other call of ours holds it and no other process in this network
 * namespace has reserved it (every gateway's raw GRE socket sees every
 * GRE packet from the server, told apart by call ID alone).
 */
#include "callmgr_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * Reserve a call ID in this network namespace: every gateway's raw GRE
 * socket sees every GRE packet from the server, told apart by call ID
 * alone, and call managers with other options for the same server are
 * other processes.  An abstract unix socket name is per namespace, one
 * owner at a time, and freed by the kernel when its owner dies.
 */
static bool
cm_reserve_id(struct cm *cm, uint16_t id)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd, slot = -1;

	for (int i = 0; i < CM_MAX_IDS && slot < 0; i++)
		if (cm->ids[i].fd < 0)
			slot = i;
	if (slot < 0)
		return true;		/* no room to remember: take it */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "pptp-call-id/%s/%u", cm->addr, id));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
		bool taken = errno == EADDRINUSE;

		close(fd);
		return !taken;
	}
	cm->ids[slot] = (struct cm_idres){ .id = id, .fd = fd };
	return true;
}

static bool
cm_id_in_use(const struct cm *cm, const struct cm_conn *except, uint16_t id)
{
	for (int i = 0; i < CM_MAX_CONNS; i++) {
		const struct cm_conn *cn = cm->conns[i];

		if (cn == NULL || cn == except)
			continue;
		for (int j = 0; j < CTRL_MAX_CALLS; j++)
			if (cn->ctrl.calls[j].state != CALL_FREE &&
			    cn->ctrl.calls[j].call_id == id)
				return true;
	}
	return false;
}

bool
cm_id_taken(struct cm *cm, const struct cm_conn *self, uint16_t id)
{
	return cm_id_in_use(cm, self, id) || !cm_reserve_id(cm, id);
}

void
cm_release_ids(struct cm *cm)
{
	for (int i = 0; i < CM_MAX_IDS; i++) {
		if (cm->ids[i].fd < 0 || cm_id_in_use(cm, NULL, cm->ids[i].id))
			continue;
		close(cm->ids[i].fd);
		cm->ids[i].fd = -1;
	}
}

