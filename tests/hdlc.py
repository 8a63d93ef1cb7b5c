# SPDX-License-Identifier: GPL-2.0-or-later
"""RFC 1662 framing, for playing pppd: the integration harness and
tests/fake-pppd frame and read what pptp passes to and from pppd."""

FCSTAB = []
for b in range(256):
    v = b
    for _ in range(8):
        v = (v >> 1) ^ 0x8408 if v & 1 else v >> 1
    FCSTAB.append(v)


def fcs16(data, fcs=0xFFFF):
    for c in data:
        fcs = (fcs >> 8) ^ FCSTAB[(fcs ^ c) & 0xFF]
    return fcs


def hdlc_encode(frame):
    fcs = fcs16(frame) ^ 0xFFFF
    out = bytearray([0x7E])
    for c in frame + bytes([fcs & 0xFF, fcs >> 8]):
        if c < 0x20 or c in (0x7D, 0x7E):
            out += bytes([0x7D, c ^ 0x20])
        else:
            out.append(c)
    out.append(0x7E)
    return bytes(out)


class HdlcReader:
    def __init__(self):
        self.buf = bytearray()
        self.bad = 0
        self.raw = []       # each good frame as it came, escapes and all

    def feed(self, data):
        self.buf += data
        frames = []
        while True:
            i = self.buf.find(b"\x7e")
            if i < 0:
                break
            raw, self.buf = self.buf[:i], self.buf[i + 1:]
            if not raw:
                continue
            out, esc = bytearray(), False
            for c in raw:
                if esc:
                    out.append(c ^ 0x20)
                    esc = False
                elif c == 0x7D:
                    esc = True
                else:
                    out.append(c)
            if len(out) >= 4 and fcs16(out) == 0xF0B8:
                frames.append(bytes(out[:-2]))
                self.raw.append(bytes(raw))
            else:
                self.bad += 1
        return frames
