#!/usr/bin/env python3
"""Carry the real packets of captures/web.pcap and captures/dns.pcap over 802.11, as a monitor-mode
capture would show them, into captures/wlan/ (this machine has no wireless interface to record
one, and the corpus holds a single IP-over-802.11 frame):

- radiotap-web.pcap (LINKTYPE_IEEE802_11_RADIO, 127): a radiotap header (TSFT, flags with
  "FCS at end", rate, channel, antenna signal and noise, antenna), a QoS data header (the
  client's frames to the access point, the server's from it; every third frame with the order
  bit and an HT control field), LLC/SNAP, the recorded IP or ARP packet and the frame check
  sequence. A beacon opens the file and a protected (encrypted) data frame closes it.
- wlan-dns.pcap (LINKTYPE_IEEE802_11, 105): plain data headers between two access points of a
  wireless distribution system (To DS and From DS, four addresses), LLC/SNAP, the packet.
- prism-dns.pcap (LINKTYPE_IEEE802_11_PRISM, 119): the same frames as wlan-dns.pcap, each
  behind a 144-byte Prism monitoring header.

The inner packets are the recorded ones, byte for byte, with their timestamps; the 802.11 headers
are built here from IEEE 802.11-2020 and the radiotap definition (radiotap.org). tshark and tcpdump
decode every file (scripts/golden_decode.sh writes what they see into tests/golden/), so the
headers are checked by tools that did not write them.

    scripts/wrap_wlan.py            # writes captures/wlan/*.pcap
"""
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "captures", "wlan")

CLIENT_MAC = bytes.fromhex("020000000001")
SERVER_MAC = bytes.fromhex("020000000002")
BSSID = bytes.fromhex("020000000a00")
BSSID2 = bytes.fromhex("020000000b00")


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, f"{path}: only little-endian microsecond pcap"
    assert struct.unpack("<I", data[20:24])[0] == 1, f"{path}: Ethernet only"
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frames.append((sec, usec, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return frames


def write_pcap(path, frames, linktype):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for sec, usec, b in frames:
            f.write(struct.pack("<IIII", sec, usec, len(b), len(b)))
            f.write(b)


def radiotap(tsft, fcs=True):
    # Present: TSFT (0), flags (1), rate (2), channel (3), dBm signal (5), dBm noise (6),
    # antenna (11). TSFT is 8-aligned at offset 8; channel 2-aligned at 18.
    present = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 11)
    flags = 0x10 if fcs else 0x00  # FCS at end
    body = struct.pack("<QBBHHbbB", tsft, flags, 108, 2437, 0x00C0, -42, -95, 1)
    length = 8 + len(body)
    return struct.pack("<BBHI", 0, 0, length, present) + body


def llc_snap(ethertype, payload):
    return bytes([0xAA, 0xAA, 0x03, 0, 0, 0]) + struct.pack("!H", ethertype) + payload


def qos_data(to_ap, seq, order, protected=False):
    fc0 = 0x88  # type data (2), subtype QoS data (8)
    fc1 = (0x01 if to_ap else 0x02) | (0x80 if order else 0) | (0x40 if protected else 0)
    src, dst = (CLIENT_MAC, SERVER_MAC) if to_ap else (SERVER_MAC, CLIENT_MAC)
    # To DS: receiver the BSSID, transmitter the source, then the destination. From DS:
    # receiver the destination, transmitter the BSSID, then the source.
    a1, a2, a3 = (BSSID, src, dst) if to_ap else (dst, BSSID, src)
    h = bytes([fc0, fc1]) + struct.pack("<H", 44) + a1 + a2 + a3 + struct.pack("<H", (seq & 0xFFF) << 4)
    h += struct.pack("<H", 0x0000)  # QoS control: TID 0, no A-MSDU
    if order:
        h += struct.pack("<I", 0x00000000)  # HT control (HT variant, nothing requested)
    return h


def wds_data(fwd, seq):
    fc0 = 0x08  # type data, subtype data
    fc1 = 0x03  # To DS and From DS: four addresses
    src, dst = (CLIENT_MAC, SERVER_MAC) if fwd else (SERVER_MAC, CLIENT_MAC)
    ra, ta = (BSSID2, BSSID) if fwd else (BSSID, BSSID2)
    return bytes([fc0, fc1]) + struct.pack("<H", 44) + ra + ta + dst + struct.pack("<H", (seq & 0xFFF) << 4) + src


def beacon(tsft):
    fc = bytes([0x80, 0x00])
    h = fc + struct.pack("<H", 0) + b"\xff" * 6 + BSSID + BSSID + struct.pack("<H", 0)
    ssid = b"inspect-test"
    body = struct.pack("<QHH", tsft, 100, 0x0401) + bytes([0, len(ssid)]) + ssid
    body += bytes([1, 8, 0x82, 0x84, 0x8B, 0x96, 0x0C, 0x12, 0x18, 0x24]) + bytes([3, 1, 6])
    return h + body


def prism(frame_len):
    # msgcode, msglen, device name, then ten items (did, status, len, data), as Linux's
    # wlan-ng driver writes them.
    h = struct.pack("<II16s", 0x00000041, 144, b"wlan0")
    for i, value in enumerate([0, 0, 6, 1, 0, -42 & 0xFFFFFFFF, -95 & 0xFFFFFFFF, 108, 0, frame_len]):
        did = 0x00010044 + (i << 12)
        h += struct.pack("<IHHI", did, 0, 4, value)
    assert len(h) == 144
    return h


def main():
    os.makedirs(OUT, exist_ok=True)
    web = read_pcap(os.path.join(ROOT, "captures", "web.pcap"))
    dns = read_pcap(os.path.join(ROOT, "captures", "dns.pcap"))

    # Radiotap, QoS data, FCS: captures/web.pcap.
    frames = []
    tsft0 = 1_000_000
    first_sec, first_usec, _ = web[0]
    frames.append((first_sec, first_usec, radiotap(tsft0) + with_fcs(beacon(tsft0))))
    for i, (sec, usec, b) in enumerate(web):
        to_ap = b[6:12] == CLIENT_MAC
        ethertype = struct.unpack("!H", b[12:14])[0]
        tsft = tsft0 + (sec - first_sec) * 1_000_000 + (usec - first_usec)
        mac = qos_data(to_ap, i + 1, order=(i % 3 == 2))
        frames.append((sec, usec, radiotap(tsft) + with_fcs(mac + llc_snap(ethertype, b[14:]))))
    sec, usec, b = web[-1]
    tsft = tsft0 + (sec - first_sec) * 1_000_000 + (usec - first_usec)
    # CCMP: an 8-byte header (PN, key id with the extended-IV bit), the encrypted body, the MIC.
    ccmp = bytes([0x01, 0x00, 0x00, 0x20, 0, 0, 0, 0]) + bytes((x * 7 + 3) & 0xFF for x in range(48)) + b"\x5a" * 8
    frames.append((sec, usec + 1, radiotap(tsft + 1) + with_fcs(qos_data(True, len(web) + 1, False, True) + ccmp)))
    write_pcap(os.path.join(OUT, "radiotap-web.pcap"), frames, 127)

    # Plain 802.11, four addresses: captures/dns.pcap; and the same behind Prism headers.
    plain = []
    for i, (sec, usec, b) in enumerate(dns):
        fwd = b[6:12] == CLIENT_MAC
        ethertype = struct.unpack("!H", b[12:14])[0]
        plain.append((sec, usec, wds_data(fwd, i + 1) + llc_snap(ethertype, b[14:])))
    write_pcap(os.path.join(OUT, "wlan-dns.pcap"), plain, 105)
    write_pcap(os.path.join(OUT, "prism-dns.pcap"), [(s, u, prism(len(b)) + b) for s, u, b in plain], 119)
    return 0


def with_fcs(b):
    return b + struct.pack("<I", zlib.crc32(b) & 0xFFFFFFFF)


if __name__ == "__main__":
    sys.exit(main())
