/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stderr relay (pptp(8) SECURITY): the user's stderr, often a
 * terminal (root's, open for reading too), never enters a sandbox.  At
 * start the command forks a small process that keeps that stderr and
 * the read end of a pipe, and nothing else; every pptp process from
 * then on has the pipe's write end as its stderr, and the relay copies
 * what comes down it to the real stderr, in the order written, every
 * byte that is not printable ASCII, a newline or a tab written as \xHH
 * (no escape sequence reaches a terminal).  It reads nothing from the
 * network, keeps root's user with no capability, and its filter allows
 * read, write and exit; it ends when the last writer has let go.
 *
 * So that no line is lost when the command exits (the user's shell, a
 * test, reads stderr then), the command's exit waits, a second at most
 * whatever other writers do, until the relay has written everything
 * sent before: a NUL byte down the pipe, which the relay answers on a
 * pipe of its own.
 */
#ifndef PPTP_RELAY_H
#define PPTP_RELAY_H

#include "sandbox.h"

/*
 * Start the relay, unless the sandbox is off (then stderr stays as it
 * is): fd 2 becomes the pipe.  0, or -1 (said; stderr as it was).
 */
int relay_start(const struct sandbox *sb);

/*
 * pptp --diagnose: its report (stdout) through a relay of its own too,
 * as stderr: fd 1 becomes that relay's pipe.  0, or -1 (said).
 */
int relay_start_stdout(const struct sandbox *sb);

/*
 * The real stderr, for pppd's alone (launch mode): a close-on-exec
 * copy kept until relay_stderr_close(), or 2 when there is no relay.
 */
int relay_stderr(void);
void relay_stderr_close(void);

/*
 * This process is no longer the command that waits for the relay at
 * its exit (the gateway gone to the background): the acknowledgements'
 * pipe goes.
 */
void relay_forget(void);

/* The stderr relay's acknowledgements' pipe, for a process that closes
   all but what it keeps (-1: none). */
int relay_ack_fd(void);

#endif
