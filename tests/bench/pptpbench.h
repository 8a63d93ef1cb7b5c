/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pptpbench's two halves: pptpbench.c (the one-call cases, the floor,
 * the helpers) and pptpbench_multi.c (the scale and latency runs: many
 * calls, stamped frames, the null client).  See pptpbench.c's top.
 */
#ifndef PPTPBENCH_H
#define PPTPBENCH_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "pptp_msg.h"

#define FRAME_MAX_BENCH	2048

/* pptpbench.c's helpers the multi-call half uses */
void touch(const char *dir, const char *name);
int wait_file(const char *dir, const char *name, double timeout);
size_t make_frame(uint8_t *f, uint32_t idx, size_t size);
int ctrl_send(int fd, struct msg *m);
int ctrl_expect(int fd, struct msg_reader *rd, uint16_t type,
    struct msg *m);

/* pptpbench_multi.c */
int mserve(int argc, char **argv);
int mfeed(int argc, char **argv);
int null_client(const char *server);

#endif
