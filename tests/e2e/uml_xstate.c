// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Preloaded into linux.uml by tests/e2e/run.py: lets Debian 12's User-Mode
 * Linux (6.1) run on a host whose CPU has AVX-512 or AMX.
 *
 * UML sets a guest process's FP registers with PTRACE_SETREGSET
 * NT_X86_XSTATE and a buffer of the legacy XSAVE size (832 bytes).  The
 * host kernel takes only a buffer of its full XSAVE size (2696 bytes and
 * more with AVX-512), and answers EFAULT: the guest panics on its first
 * program ("userspace - ptrace set fp regs failed, errno = 14").  So here
 * a short buffer is completed with the process's own state beyond what
 * UML gives; on a host whose size UML already matches nothing changes.
 */
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef long (*ptrace_fn)(enum __ptrace_request, pid_t, void *, void *);

long
ptrace(enum __ptrace_request req, ...)
{
	/* UML's kernel is one thread, with small stacks: no buffer there */
	static unsigned char full[16384] __attribute__((aligned(64)));
	static ptrace_fn real;
	struct iovec *iov, all = { full, sizeof(full) };
	void *addr, *data;
	va_list ap;
	pid_t pid;

	va_start(ap, req);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);
	if (real == NULL)
		real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
	iov = data;
	if (req == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE &&
	    real(PTRACE_GETREGSET, pid, addr, &all) == 0 &&
	    all.iov_len > iov->iov_len) {
		memcpy(full, iov->iov_base, iov->iov_len);
		return real(PTRACE_SETREGSET, pid, addr, &all);
	}
	return real(req, pid, addr, data);
}
