// SPDX-License-Identifier: GPL-2.0-or-later
/* Instance <-> call manager messages: one table of lengths, one cursor. */
#include "cm_msg.h"

#include <string.h>

#include "wire.h"

static const uint16_t cm_len[CM_NTYPES] = {
	[CM_CALL_REQ] = 4 + 8 + CM_PHONE_LEN,
	[CM_CALL_UP] = 4 + 12,
	[CM_CALL_DOWN] = 4 + 4 + CM_WHY_LEN,
	[CM_SLI] = 4 + 8,
	[CM_STATS_FD] = 4,
	[CM_STATUS_REQ] = 4,
	[CM_STATUS_LINE] = 4 + CM_LINE_LEN,
};

size_t
cm_encode(const struct cm_msg *m, uint8_t *buf, size_t cap)
{
	struct wr w = { .p = buf, .len = cap };
	size_t len = (unsigned)m->type < CM_NTYPES ? cm_len[m->type] : 0;

	if (len == 0 || cap < len)
		return 0;
	wr_u16(&w, (uint16_t)m->type);
	wr_u16(&w, (uint16_t)len);
	switch (m->type) {
	case CM_CALL_REQ:
		wr_u16(&w, m->req.window);
		wr_u16(&w, m->req.ppd);
		wr_u16(&w, m->req.sync);
		wr_zero(&w, 2);
		wr_str(&w, m->req.phone, CM_PHONE_LEN);
		break;
	case CM_CALL_UP:
		wr_u16(&w, m->up.call_id);
		wr_u16(&w, m->up.peer_call_id);
		wr_u16(&w, m->up.peer_window);
		wr_u16(&w, m->up.peer_ppd);
		wr_u32(&w, m->up.speed);
		break;
	case CM_CALL_DOWN:
		wr_u16(&w, m->down.status);
		wr_zero(&w, 2);
		wr_str(&w, m->down.why, CM_WHY_LEN);
		break;
	case CM_SLI:
		wr_u32(&w, m->sli.send_accm);
		wr_u32(&w, m->sli.recv_accm);
		break;
	case CM_STATUS_LINE:
		wr_str(&w, m->line, CM_LINE_LEN);
		break;
	case CM_STATS_FD:
	case CM_STATUS_REQ:
	case CM_NTYPES:
		break;
	}
	return w.bad || w.off != len ? 0 : len;
}

int
cm_decode(const uint8_t *buf, size_t len, struct cm_msg *m)
{
	struct rd r = { .p = buf, .len = len };
	uint16_t type, mlen;

	memset(m, 0, sizeof(*m));
	type = rd_u16(&r);
	mlen = rd_u16(&r);
	if (r.bad || type == 0 || type >= CM_NTYPES || mlen != cm_len[type] ||
	    len != mlen)
		return -1;
	m->type = (enum cm_type)type;
	switch (m->type) {
	case CM_CALL_REQ:
		m->req.window = rd_u16(&r);
		m->req.ppd = rd_u16(&r);
		m->req.sync = rd_u16(&r) != 0;
		rd_skip(&r, 2);
		rd_str(&r, m->req.phone, CM_PHONE_LEN);
		break;
	case CM_CALL_UP:
		m->up.call_id = rd_u16(&r);
		m->up.peer_call_id = rd_u16(&r);
		m->up.peer_window = rd_u16(&r);
		m->up.peer_ppd = rd_u16(&r);
		m->up.speed = rd_u32(&r);
		break;
	case CM_CALL_DOWN:
		m->down.status = rd_u16(&r);
		rd_skip(&r, 2);
		rd_str(&r, m->down.why, CM_WHY_LEN);
		break;
	case CM_SLI:
		m->sli.send_accm = rd_u32(&r);
		m->sli.recv_accm = rd_u32(&r);
		break;
	case CM_STATUS_LINE:
		rd_str(&r, m->line, CM_LINE_LEN);
		break;
	case CM_STATS_FD:
	case CM_STATUS_REQ:
	case CM_NTYPES:
		break;
	}
	return r.bad ? -1 : 0;
}
