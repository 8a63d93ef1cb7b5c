/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rig the control connection tests drive pptp_ctrl.c with
 * (check_ctrl.c defines it), shared with the quirks' tests
 * (check_quirks.c): no sockets, server messages in as bytes, what the
 * client sends decoded from ctrl_output().
 */
#ifndef PPTP_CHECK_CTRL_H
#define PPTP_CHECK_CTRL_H

#include <check.h>
#include <stdint.h>

#include "pptp_ctrl.h"
#include "pptp_msg.h"
#include "pptp_quirks.h"

/* One connection and what its callbacks saw. */
struct rig {
	struct ctrl_conn	c;
	uint64_t		now;
	int			ups, downs, slis;
	int			down_status;
	char			down_why[600];
	uint16_t		up_peer_id;
	uint32_t		sli_send, sli_recv;
	int			owner;		/* &owner is the call owner */
	int			cleared;	/* cleared callbacks for &owner */
	uint16_t		taken;		/* an ID another connection has */
};

/* A fresh connection with quirk q (NULL: none), not yet opened. */
void rig_init(struct rig *r, const struct quirk *q);
/* The next message the client sent must be of this type; into m. */
void rig_expect(struct rig *r, enum msg_type type, struct msg *m);
/* m, encoded, as the server sends it. */
void rig_server_says(struct rig *r, struct msg *m);
/* Open and get an SCCRP with the given result. */
void rig_handshake(struct rig *r, uint8_t result);

/* check_quirks.c's tests, a test case of the ctrl suite. */
TCase *ctrl_quirks_tcase(void);

#endif
