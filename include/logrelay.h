/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The log relay (pptp(8) SECURITY): no sandboxed process holds a
 * syslog socket.  A unix datagram socket can be pointed at any abstract
 * name (they ignore the chroot) by sendmsg's address, which no seccomp
 * filter sees, and would carry any descriptor (SCM_RIGHTS) to whoever
 * bound it.  So, just before it enters its sandbox, a process forks a
 * relay that keeps its own syslog socket, connected to /dev/log, and
 * the read end of a pipe; the process logs into the write end.  The
 * relay reads records ("<P>text\n", P the priority 0 to 7, at most
 * LOG_RECORD_MAX bytes (util.h); longer ones are cut), escapes every byte
 * that is not printable ASCII as \xHH, and writes each to syslog as
 * "pptp[PID]: text" with the record's priority, facility daemon and PID
 * the process's own.  It keeps root's user with no capability, reads
 * nothing from the network, and its filter allows read, write, the
 * clock and exit: write on a connected datagram socket reaches its peer
 * alone.  It ends at the end of its pipe, when the process has ended.
 */
#ifndef PPTP_LOGRELAY_H
#define PPTP_LOGRELAY_H

#include "sandbox.h"

/*
 * Start the relay for this process, unless the sandbox is off (then
 * syslog's socket stays, as without a sandbox nothing needs it gone):
 * from now on this process logs to syslog through the relay alone, and
 * holds no syslog socket.  who names the process in a failure, which
 * is fatal (the process would go into its sandbox with the socket).
 */
void logrelay_start(const struct sandbox *sb, const char *who);

#endif
