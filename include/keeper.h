/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The keeper: the call manager's privileged remainder (pptp(8)
 * SECURITY).  It is the manager's parent, reads nothing from the
 * network, and does for the manager, which has given up root, the four
 * things that need root or CAP_NET_ADMIN: the host route (added on
 * request, removed when the manager is gone, however it went),
 * --rtmark's SO_MARK on the TCP sockets the manager makes, call-ID
 * reservations in the root-owned /var/run/pptp (callmgr_ids.c), and the
 * removal of the manager's socket file from the root-owned run
 * directory.  Each request is a message with no payload but a call ID's
 * (and, for the mark, the socket beside it: ipc.h); a manager that
 * turned hostile can ask for nothing else.
 */
#ifndef PPTP_KEEPER_H
#define PPTP_KEEPER_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "pptp_opts.h"

struct keeper_cfg {
	struct pptp_addr server;
	const char	*sockpath;	/* the manager's socket file */
	const char	*routelock;	/* route_add_host's lock prefix */
	int		 lfd;		/* the manager's listener: not ours */
};

/*
 * Fork: the parent becomes the keeper for good (it exits when the
 * manager does); the child, the manager-to-be, gets the fd to ask it on.
 * -1 if no process could be made.
 */
int keeper_fork(const struct pptp_opts *o, const struct keeper_cfg *k);

/*
 * The manager's requests.  keeper_route: the host route; 0 with *added
 * and a description ("host route via ..."), -1 when the keeper is gone.
 * keeper_mark: --rtmark's mark on the TCP socket s, -1 with errno.
 * keeper_unlink: the socket file goes, if it is still this manager's.
 */
int keeper_route(int kfd, bool *added, char *desc, size_t descsz);

/*
 * Call IDs (callmgr_ids.c says how they are kept).  keeper_take_id: one
 * reserved for us, the first free from start on, in *id; or why not.
 * keeper_give_id: its reservation goes.
 */
enum id_why {
	ID_OK = 0,
	ID_ALL_TAKEN,		/* every ID of the server is reserved */
	ID_MOST,		/* this manager holds CM_MAX_IDS already */
	ID_NO_DIR,		/* the reservations' directory is unusable */
	ID_NO_KEEPER,		/* the keeper is gone or did not answer */
};
enum id_why keeper_take_id(int kfd, uint16_t start, uint16_t *id);
void keeper_give_id(int kfd, uint16_t id);
int keeper_mark(int kfd, int s);
void keeper_unlink(int kfd);

#endif
