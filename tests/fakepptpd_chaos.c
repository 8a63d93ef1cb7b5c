// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakepptpd --commands FIFO (tests/fakepptpd.h): faults at any moment,
 * for tests/chaos.py.  A line each, on the newest connection: hold
 * sccrp|ocrp (no reply until release), release, silent on|off (ignore
 * all the client sends), grestop, grestart, gap, reorder N, dup N (GRE
 * of the connection's first call), cdnwrong (a CDN for no call), or any
 * script command (tests/fakepptpd.c).
 */
#include "fakepptpd.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHAOS_HELD	(2 * MAXCONN)

static struct {
	int		fd;		/* the FIFO, or -1 */
	char		buf[1024];
	size_t		len;
	bool		hold_sccrp, hold_ocrp, silent;
	struct conn	*newest;
	int		nheld;
	struct {
		struct conn	*c;
		struct msg	m;
	} held[CHAOS_HELD];
} chaos = { .fd = -1 };

void
chaos_forget(const struct conn *c)
{
	for (int i = 0; i < chaos.nheld; i++)
		if (chaos.held[i].c == c)
			chaos.held[i].c = NULL;
}

/* Silence, or a request whose reply is held: not answered now. */
bool
chaos_swallow(struct conn *c, const struct msg *m)
{
	uint16_t t = m->hdr.ctrl_type;

	if (chaos.silent) {
		logf_("silent: ignored %s", msg_type_name(t));
		return true;
	}
	if (!(t == MSG_SCCRQ && chaos.hold_sccrp) &&
	    !(t == MSG_OCRQ && chaos.hold_ocrp))
		return false;
	if (chaos.nheld < CHAOS_HELD) {
		chaos.held[chaos.nheld].c = c;
		chaos.held[chaos.nheld++].m = *m;
	}
	logf_("hold %s", msg_type_name(t));
	return true;
}

static void
chaos_release(void)
{
	int n = chaos.nheld;

	chaos.hold_sccrp = chaos.hold_ocrp = false;
	chaos.nheld = 0;
	logf_("release %d held", n);
	for (int i = 0; i < n; i++)
		if (chaos.held[i].c != NULL && chaos.held[i].c->fd >= 0)
			on_msg(chaos.held[i].c, &chaos.held[i].m);
}

/* count GRE packets of c's first call from its next sequence number on,
 * in the order given by how: 'g' one with a gap before it, 'r' reversed,
 * 'd' each twice. */
static void
chaos_gre(struct conn *c, char how, unsigned count)
{
	struct call *k = NULL;
	uint8_t p[128];

	for (int i = 0; i < MAXCALLS && k == NULL; i++)
		if (c->calls[i].up && c->calls[i].client == c->client_call)
			k = &c->calls[i];
	if (k == NULL || gre < 0) {
		logf_("no call for GRE");
		return;
	}
	if (how == 'g') {
		k->seq++;		/* never sent: the gap */
		count = 1;
	}
	count = count > 64 ? 64 : count;
	for (unsigned i = 0; i < count; i++) {
		uint32_t seq = how == 'r' ? k->seq + count - i : k->seq + i + 1;
		struct gre_hdr h = { .has_seq = true, .call_id = k->client,
		    .seq = seq };
		size_t n = payload(p, seq, 64);

		h.payload_len = (uint16_t)n;
		gre_out(gre, c->peer, &h, p, n, false);
		if (how == 'd')
			gre_out(gre, c->peer, &h, p, n, false);
	}
	k->seq += count;
	logf_("sent GRE %c %u", how, count);
}

static void
chaos_line(char *line)
{
	struct conn *c = chaos.newest;
	char *arg = strchr(line, ' ');
	unsigned n = arg != NULL ? (unsigned)atoi(arg + 1) : 1;

	if (c == NULL || c->fd < 0)
		for (int i = 0; i < MAXCONN; i++)
			if (conns[i].fd >= 0)
				c = &conns[i];
	logf_("command %s: call %u", line, c != NULL && c->fd >= 0 ?
	    c->client_call : 0);
	if (strcmp(line, "hold sccrp") == 0) {
		chaos.hold_sccrp = true;
	} else if (strcmp(line, "hold ocrp") == 0) {
		chaos.hold_ocrp = true;
	} else if (strcmp(line, "release") == 0) {
		chaos_release();
	} else if (strncmp(line, "silent ", 7) == 0) {
		chaos.silent = strcmp(line + 7, "on") == 0;
	} else if (strcmp(line, "grestop") == 0) {
		cfg.gre_mode = "drop";
	} else if (strcmp(line, "grestart") == 0) {
		cfg.gre_mode = "echo";
	} else if (c == NULL || c->fd < 0) {
		logf_("no connection for %s", line);
	} else if (strcmp(line, "gap") == 0) {
		chaos_gre(c, 'g', 1);
	} else if (strncmp(line, "reorder ", 8) == 0) {
		chaos_gre(c, 'r', n);
	} else if (strncmp(line, "dup ", 4) == 0) {
		chaos_gre(c, 'd', n);
	} else if (strcmp(line, "cdnwrong") == 0) {
		struct msg m;

		msg_init(&m, MSG_CDN);
		m.cdn.call_id = c->our_call ^ 0x5a5a;
		m.cdn.result = 3;
		send_msg(c, &m);
	} else {
		FILE *f = fmemopen(line, strlen(line), "r");

		if (f != NULL) {
			run_lines(c, f);
			fclose(f);
		}
	}
}

void
chaos_read(void)
{
	ssize_t n = read(chaos.fd, chaos.buf + chaos.len,
	    sizeof(chaos.buf) - 1 - chaos.len);
	char *nl;

	if (n <= 0)
		return;
	chaos.len += (size_t)n;
	chaos.buf[chaos.len] = '\0';
	while ((nl = strchr(chaos.buf, '\n')) != NULL) {
		*nl = '\0';
		chaos_line(chaos.buf);
		chaos.len -= (size_t)(nl + 1 - chaos.buf);
		memmove(chaos.buf, nl + 1, chaos.len + 1);
	}
	if (chaos.len == sizeof(chaos.buf) - 1)
		chaos.len = 0;			/* a line too long: dropped */
}

int
chaos_open(const char *path)
{
	chaos.fd = open(path, O_RDWR | O_NONBLOCK);
	return chaos.fd < 0 ? -1 : 0;
}

int
chaos_fd(void)
{
	return chaos.fd;
}

void
chaos_newest(struct conn *c)
{
	chaos.newest = c;
}
