// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Instance <-> call manager messages (cm_msg.h): one table of payload
 * lengths, one cursor each way, on ipc.c's framing.
 */
#include "cm_msg.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"

static const uint16_t cm_len[CM_NTYPES] = {
	[CM_CALL_REQ] = 8 + CM_PHONE_LEN,
	[CM_CALL_UP] = 12,
	[CM_CALL_DOWN] = 4 + CM_WHY_LEN,
	[CM_SLI] = 8,
	[CM_STATS_FD] = 0,
	[CM_STATUS_REQ] = 0,
	[CM_STATUS_LINE] = CM_LINE_LEN,
};

ssize_t
cm_pack(const struct cm_msg *m, uint8_t *buf, size_t cap)
{
	struct wr w = { .p = buf, .len = cap };
	size_t len;

	if ((unsigned)m->type == 0 || (unsigned)m->type >= CM_NTYPES)
		return -1;
	len = cm_len[m->type];
	if (cap < len)
		return -1;
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
	return w.bad || w.off != len ? -1 : (ssize_t)len;
}

int
cm_unpack(uint16_t type, const uint8_t *payload, size_t len,
    struct cm_msg *m)
{
	struct rd r = { .p = payload, .len = len };

	memset(m, 0, sizeof(*m));
	if (type == 0 || type >= CM_NTYPES || len != cm_len[type])
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

int
cm_send(int sock, const struct cm_msg *m, int fd, uint64_t deadline_ms)
{
	uint8_t buf[IPC_MAX_PAYLOAD];
	ssize_t len = cm_pack(m, buf, sizeof(buf));

	if (len < 0) {
		errno = EINVAL;
		return -1;
	}
	return ipc_send(sock, (uint16_t)m->type, buf, (size_t)len, fd,
	    deadline_ms);
}

int
cm_recv(int sock, struct cm_msg *m, struct ipc_msg *raw,
    uint64_t deadline_ms)
{
	int r = ipc_recv(sock, raw, deadline_ms);

	if (r <= 0)
		return r;
	if (cm_unpack(raw->type, raw->payload, raw->len, m) < 0) {
		if (raw->fd >= 0)
			close(raw->fd);
		raw->fd = -1;
		errno = EBADMSG;
		return -1;
	}
	return 1;
}
