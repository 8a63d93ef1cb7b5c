#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# PID 1 of the User-Mode Linux guest: a writable world over the host's
# read-only root, the PPP modules, then the scenarios (uml.py).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /etc/ppp
mount -t tmpfs tmpfs /var/log
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /run/pptp
mount -t devpts -o ptmxmode=666,newinstance devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx
mount -t hostfs none /mnt -o "$E2E_OUT"
M=/usr/lib/uml/modules/$(uname -r)/kernel
for m in lib/crc-ccitt drivers/net/slip/slhc drivers/net/ppp/ppp_generic \
    drivers/net/ppp/ppp_async drivers/net/veth lib/crypto/libarc4 \
    drivers/net/ppp/ppp_mppe net/sched/sch_netem net/sched/sch_ingress \
    net/sched/cls_u32 net/sched/act_gact; do
	insmod "$M/$m.ko" || echo "insmod $m failed"
done
[ -e /dev/ppp ] || mknod /dev/ppp c 108 0
ip link set lo up
python3 "$E2E_DIR/uml.py" > /mnt/console.log 2>&1
echo "E2E-DONE"
# power off (reboot(2), LINUX_REBOOT_CMD_POWER_OFF): poweroff itself would
# need systemd-sysv, whose installing may replace a machine's init system
exec python3 -c "import ctypes; ctypes.CDLL(None).reboot(0x4321fedc)"
