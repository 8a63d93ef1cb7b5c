// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * BEZEQ_ISRAEL: Orckit ADSL modems as deployed by Bezeq.  They answer
 * only a client that looks like Windows NT's dial-up networking: its
 * SCCRQ and OCRQ field values, and a Set-Link-Info once the call is up.
 */
#include "pptp_quirks.h"

#include <string.h>

static void
orckit_sccrq(struct msg_sccrq *m)
{
	m->version = MSG_VERSION;
	m->framing_caps = MSG_FRAMING_ASYNC;
	m->bearer_caps = MSG_BEARER_ANALOG;
	m->max_channels = 0;
	m->firmware_rev = 0x6021;
	strcpy(m->hostname, "RELAY_PPP1");
	strcpy(m->vendor, "MS Win NT");
}

static void
orckit_ocrq(struct msg_ocrq *m)
{
	m->bearer_type = MSG_BEARER_DIGITAL;
	m->framing_type = MSG_FRAMING_ANY;
	strcpy(m->phone, "RELAY_PPP1");
	m->phone_len = (uint16_t)strlen(m->phone);
	m->subaddr[0] = '\0';
}

static bool
orckit_call_up_sli(struct msg_sli *m)
{
	m->send_accm = 0xffffffff;
	m->recv_accm = 0xffffffff;
	return true;
}

const struct quirk quirk_orckit = {
	.name = "BEZEQ_ISRAEL",
	.sccrq = orckit_sccrq,
	.ocrq = orckit_ocrq,
	.call_up_sli = orckit_call_up_sli,
};
