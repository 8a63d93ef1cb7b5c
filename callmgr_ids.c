// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Call-ID reservations.  Every gateway's raw GRE socket sees every GRE
 * packet from its server, told apart by our call ID alone, so a call ID
 * must be unique among the calls to one server in one network namespace,
 * whichever call manager placed them (managers with other options, or
 * with another --rundir, are other processes).
 *
 * A call ID is reserved by an exclusive flock on a file named after it,
 *
 *	/var/run/pptp/callid-ADDRESS-nsNETNS-ID
 *
 * held by the manager's keeper (keeper.c, root's, outside the jail) for
 * as long as a call of its manager holds the ID.  The directory is the
 * one the host route's locks live in (rdv_route_lock_path), whatever
 * --rundir says, because every manager of the server on this host must
 * see the same reservations; and it is checked as a run directory is
 * (root's, writable by no one else), so that no other local user can
 * take or fake one.  A keeper that is not root (pptp run by a user with
 * the capabilities it needs) cannot write there and reserves in its own
 * run directory instead: among its own tunnels only.  A lock dies with
 * the keeper's descriptor, so a keeper that ends however it ends (its
 * manager's end, a SIGKILL) leaves no ID taken; a file left by a killed
 * keeper reserves nothing, and the next keeper of the server to end
 * removes it (idstore_sweep).  The search
 * is bounded: each ID is tried once, and a keeper holds CM_MAX_IDS at
 * most, so a manager turned hostile cannot take them all.
 *
 * The manager's side (cm_*) remembers which IDs it holds and gives back
 * those no call holds any more.
 */
#include "callmgr_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keeper.h"
#include "rendezvous.h"
#include "util.h"

/* ---- the keeper's side: the files ---- */

void
idstore_init(struct idstore *s, const struct pptp_addr *server,
    const char *rundir)
{
	char addr[ADDR_STRLEN];

	*s = (struct idstore){ .dirfd = -1 };
	for (int i = 0; i < CM_MAX_IDS; i++)
		s->held[i].fd = -1;
	addr_ntop(server, addr, sizeof(addr));
	snprintf(s->prefix, sizeof(s->prefix), "callid-%s-ns%lu-", addr,
	    rdv_netns_id());
	snprintf(s->dir, sizeof(s->dir), "%s", geteuid() == 0 ?
	    PPTP_RUNDIR_DEFAULT : rundir);
}

static void
id_name(const struct idstore *s, uint16_t id, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%u", s->prefix, (unsigned)id);
}

/*
 * Lock the file of id: its descriptor, or -1 if another process holds
 * it.  The file locked must still be the one of that name: a holder that
 * gave the ID back unlinked it under its lock, and a lock on an unlinked
 * file reserves nothing.
 */
static int
id_lock(const struct idstore *s, uint16_t id)
{
	char name[sizeof(s->prefix) + 8];

	id_name(s, id, name, sizeof(name));
	for (int tries = 0; tries < 3; tries++) {
		struct stat fst, nst;
		int fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0600);

		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			return -1;
		}
		if (fstat(fd, &fst) == 0 && fstatat(s->dirfd, name, &nst,
		    AT_SYMLINK_NOFOLLOW) == 0 && fst.st_dev == nst.st_dev &&
		    fst.st_ino == nst.st_ino)
			return fd;
		close(fd);	/* given back meanwhile: once more */
	}
	return -1;
}

enum id_why
idstore_take(struct idstore *s, uint16_t start, uint16_t *id)
{
	int slot = -1;

	*id = 0;
	for (int i = 0; i < CM_MAX_IDS && slot < 0; i++)
		if (s->held[i].fd < 0)
			slot = i;
	if (slot < 0)
		return ID_MOST;
	if (s->dirfd < 0) {
		s->dirfd = rdv_dir_open(s->dir);
		if (s->dirfd < 0)
			return ID_NO_DIR;
	}
	/* each of the 65535 IDs once, from start on */
	for (uint32_t i = 0; i < 65536; i++) {
		uint16_t try = (uint16_t)(start + i);
		bool ours = false;
		int fd;

		for (int j = 0; j < CM_MAX_IDS && !ours; j++)
			ours = s->held[j].fd >= 0 && s->held[j].id == try;
		if (try == 0 || ours || (fd = id_lock(s, try)) < 0)
			continue;
		s->held[slot].id = try;
		s->held[slot].fd = fd;
		*id = try;
		return ID_OK;
	}
	return ID_ALL_TAKEN;
}

void
idstore_give(struct idstore *s, uint16_t id)
{
	char name[sizeof(s->prefix) + 8];

	for (int i = 0; i < CM_MAX_IDS; i++) {
		if (s->held[i].fd < 0 || s->held[i].id != id)
			continue;
		id_name(s, id, name, sizeof(name));
		(void)unlinkat(s->dirfd, name, 0);	/* under our lock */
		close(s->held[i].fd);
		s->held[i].fd = -1;
	}
}

/*
 * Files of the server's IDs that no one holds (left by a keeper that was
 * killed) go, each under its lock, as a give does: one that another
 * keeper just made and is about to lock is made again (id_lock).
 */
static void
idstore_sweep(struct idstore *s)
{
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		int f;

		if (strncmp(e->d_name, s->prefix, strlen(s->prefix)) != 0)
			continue;
		f = openat(s->dirfd, e->d_name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (f < 0)
			continue;
		if (flock(f, LOCK_EX | LOCK_NB) == 0)
			(void)unlinkat(s->dirfd, e->d_name, 0);
		close(f);
	}
	closedir(d);
}

void
idstore_close(struct idstore *s)
{
	for (int i = 0; i < CM_MAX_IDS; i++)
		if (s->held[i].fd >= 0)
			idstore_give(s, s->held[i].id);
	if (s->dirfd >= 0) {
		idstore_sweep(s);
		close(s->dirfd);
	}
	s->dirfd = -1;
}

/* ---- the manager's side ---- */

static bool
cm_id_in_use(const struct cm *cm, uint16_t id)
{
	for (int i = 0; i < CM_MAX_CONNS; i++) {
		const struct cm_conn *cn = cm->conns[i];

		if (cn == NULL)
			continue;
		for (int j = 0; j < CTRL_MAX_CALLS; j++)
			if (cn->ctrl.calls[j].state != CALL_FREE &&
			    cn->ctrl.calls[j].call_id == id)
				return true;
	}
	return false;
}

int
cm_take_id(struct cm *cm, struct cm_conn *cn, char *why, size_t whysz)
{
	uint16_t id = 0;
	int slot = -1;
	enum id_why r;

	for (int i = 0; i < CM_MAX_IDS && slot < 0; i++)
		if (!cm->ids[i].held)
			slot = i;
	r = slot < 0 ? ID_MOST : keeper_take_id(cm->kfd, cn->ctrl.next_call_id,
	    &id);
	switch (r) {
	case ID_OK:
		cm->ids[slot] = (struct cm_idres){ .id = id, .held = true };
		cm->reserving = id;
		cm->reserve_tries = 0;
		/* ctrl_call_open takes the next ID: this one */
		cn->ctrl.next_call_id = id;
		return 0;
	case ID_ALL_TAKEN:
		snprintf(why, whysz, "no call ID free for %s: all 65535 are "
		    "taken on this host", cm->addr);
		break;
	case ID_MOST:
		snprintf(why, whysz, "call manager for %s holds %d call IDs, "
		    "its most", cm->addr, CM_MAX_IDS);
		break;
	case ID_NO_DIR:
		snprintf(why, whysz, "no call ID for %s: its reservation "
		    "directory cannot be used (see the log)", cm->addr);
		break;
	default:
		snprintf(why, whysz, "no call ID for %s: the call manager's "
		    "keeper does not answer", cm->addr);
		break;
	}
	return -1;
}

/*
 * ctrl_call_open's question, for the ID cm_take_id reserved: only that
 * one is ours to take.  Any other would be unreserved; none other comes
 * (no call of ours holds a reserved ID), and should one, the count ends
 * the search, so that ctrl_call_open cannot spin.
 */
bool
cm_id_taken(struct cm *cm, const struct cm_conn *self, uint16_t id)
{
	(void)self;
	if (cm->reserving == 0 || id == cm->reserving)
		return false;
	return ++cm->reserve_tries < 65536;
}

void
cm_release_ids(struct cm *cm)
{
	for (int i = 0; i < CM_MAX_IDS; i++) {
		if (!cm->ids[i].held || cm_id_in_use(cm, cm->ids[i].id))
			continue;
		keeper_give_id(cm->kfd, cm->ids[i].id);
		cm->ids[i].held = false;
	}
}
