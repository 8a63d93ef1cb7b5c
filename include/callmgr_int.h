/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call manager's own structures, shared by the files that make up
 * the call manager process (pptp_callmgr.c: its poll loop, calls and
 * connections; callmgr_status.c: its status answers) and by no other.
 */
#ifndef PPTP_CALLMGR_INT_H
#define PPTP_CALLMGR_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "addr.h"
#include "cm_msg.h"
#include "keeper.h"
#include "pptp_callmgr.h"
#include "pptp_ctrl.h"
#include "pptp_opts.h"
#include "status.h"

#define CM_MAX_CONNS	CM_MAX_CALLS	/* a connection per call at most */
#define CM_MAX_IDS	(2 * CM_MAX_CALLS)	/* call IDs reserved */
#define CM_FIRST_CLIENT_MS	10000	/* the starter must show up by then */
#define CM_STATUS_MS	2000	/* a status reader has its answer by then */
#define CM_STATUS_LINES	(2 + CM_MAX_CONNS + CM_MAX_CLIENTS)

struct cm;

/* One TCP control connection to the server, and its calls. */
struct cm_conn {
	struct cm		*cm;
	int			 tcp;		/* -1: not started */
	bool			 connecting;
	bool			 server_closed;	/* its close or reset */
	bool			 cleared_ours;	/* a call we hung up was cleared */
	uint64_t		 connect_due_ms;
	char			 name[ADDR_STRLEN + 8]; /* for logs */
	enum ctrl_state		 seen;		/* for status: the state, */
	uint64_t		 since_ms;	/* since (CLOCK_REALTIME) */
	struct ctrl_conn	 ctrl;
};

struct cm_client {
	int			 fd;	/* -1: slot free */
	struct cm_conn		*conn;
	struct ctrl_call	*call;	/* pending, up or clearing */
	struct cm_msg		 req;	/* what it asked for */
	bool			 shared; /* placed beside another call */
	bool			 again;	/* place req again, on its own */
	bool			 hangup; /* it went, or must go */
	bool			 gone;	/* no more input; reap once call-less */
	pid_t			 pid;	/* SO_PEERCRED, for logs */
	bool			 sli_any; /* the call's latest link info, */
	bool			 sli_due; /* not yet sent: it goes once */
	uint32_t		 sli_send; /* there is room, and what it */
	uint32_t		 sli_recv; /* replaces is stale */
	uint64_t		 hello_due_ms; /* first message by then; 0 once */
	const struct gw_pub	*pub;	/* its gateway's figures, or NULL */
	enum call_state		 seen;	/* for status: the call's state, */
	uint64_t		 since_ms;	/* since (CLOCK_REALTIME) */
	struct cm_msg		*out;	/* a status answer, sent as read */
	unsigned		 nout, nsent;
	uint64_t		 out_due_ms;	/* unread by then: dropped */
};

struct cm {
	const struct pptp_opts	*o;
	char			 addr[ADDR_STRLEN];
	char			 sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct pptp_addr	 server;
	int			 lfd;		/* listening socket, -1 closed */
	int			 kfd;		/* to the keeper (keeper.h) */
	bool			 had_client;
	bool			 settled;	/* a first call came up or not */
	bool			 one_call;	/* server: one call a connection */
	bool			 route_held;
	bool			 route_added;	/* by our keeper, for us */
	bool			 route_told;	/* logged once connected */
	char			 route_desc[100];
	struct cm_idres {
		uint16_t	 id;
		bool		 held;	/* reserved by our keeper */
	}			 ids[CM_MAX_IDS];
	uint16_t		 reserving;	/* for ctrl_call_open; 0 none */
	uint32_t		 reserve_tries;
	uint64_t		 started_ms;
	uint64_t		 started_wall_ms;
	uid_t			 start_uid;	/* real uid, before any drop */
	unsigned long		 netns;		/* read before the empty root */
	int			 status;	/* of the last connection */
	char			 why[256];
	struct ctrl_cfg		 cfg;		/* for each new connection */
	struct cm_conn		*conns[CM_MAX_CONNS];
	struct cm_client	 clients[CM_MAX_CLIENTS];
};


/*
 * Status (callmgr_status.c).  cm_status: pptp --status's answer for
 * client cl, queued and sent as it reads (cm_status_flush, called when
 * its socket has room; cl->hangup once all is sent or it failed).
 * cm_note_states: when connections and calls changed state, after each
 * turn.  cm_take_pub: a gateway's statistics page (a sealed memfd), kept
 * mapped read-only; a wrong one is ignored.
 */
void cm_status(struct cm *cm, struct cm_client *cl, uint64_t now);
void cm_status_flush(struct cm_client *cl);
void cm_note_states(struct cm *cm);
void cm_take_pub(struct cm_client *cl, int fd);

/*
 * Call IDs (callmgr_ids.c; how they are reserved: there).  cm_take_id:
 * reserve an ID (through the keeper) for the next ctrl_call_open on cn;
 * 0, or -1 with one line of words in why.  cm_id_taken: ctrl_call_open's
 * question (is id not ours to take?).  cm_release_ids: reservations no
 * call holds any more go.
 */
int cm_take_id(struct cm *cm, struct cm_conn *cn, char *why, size_t whysz);
bool cm_id_taken(struct cm *cm, const struct cm_conn *self, uint16_t id);
void cm_release_ids(struct cm *cm);

/*
 * The keeper's reservations (callmgr_ids.c, run in the keeper).
 * idstore_init: for server, in PPTP_RUNDIR_DEFAULT (rundir if we are not
 * root); nothing opened yet.  idstore_take: the first free ID from start
 * on, each tried once, into *id.  idstore_give: id's reservation goes.
 * idstore_close: all of them go.
 */
struct idstore {
	int		 dirfd;		/* -1 until first used */
	char		 dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		 prefix[64];	/* callid-ADDRESS-nsNETNS- */
	struct {
		uint16_t id;
		int	 fd;		/* locked; -1: entry free */
	}		 held[CM_MAX_IDS];
};

void idstore_init(struct idstore *s, const struct pptp_addr *server,
    const char *rundir);
enum id_why idstore_take(struct idstore *s, uint16_t start, uint16_t *id);
void idstore_give(struct idstore *s, uint16_t id);
void idstore_close(struct idstore *s);

#endif
