#!/usr/bin/env python3
"""Wrap the real packets of captures/web.pcap and captures/web6.pcap in the encapsulations this
machine's kernel cannot make (it has no ipip, gre, geneve, mpls or pppoe modules), one capture
each, into captures/tunnels/.

The inner packets are the recorded ones, byte for byte, with their timestamps; the outer headers
are built here from the RFCs, between documentation addresses (192.0.2.1 for the client's side,
198.51.100.1 for the server's; 2001:db8::1 and 2001:db8::2 over IPv6). tshark and tcpdump decode
every file (scripts/golden_decode.sh writes what they see into tests/golden/), so the headers are
checked by tools that did not write them.

    scripts/wrap_tunnels.py            # writes captures/tunnels/*.pcap
"""
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "captures", "tunnels")

C4, S4 = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 1])
C6 = bytes.fromhex("20010db8000000000000000000000001")
S6 = bytes.fromhex("20010db8000000000000000000000002")
CMAC, SMAC = bytes.fromhex("020000000a01"), bytes.fromhex("020000000a02")


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, f"{path}: only little-endian microsecond pcap"
    linktype = struct.unpack("<I", data[20:24])[0]
    assert linktype == 1, f"{path}: Ethernet only"
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        frames.append((sec, usec, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return frames


def write_pcap(path, frames, linktype=1):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for sec, usec, b in frames:
            f.write(struct.pack("<IIII", sec, usec, len(b), len(b)))
            f.write(b)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


IDENT = [0x1000]


def ipv4(src, dst, proto, payload):
    IDENT[0] += 1
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), IDENT[0], 0x4000, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, src, dst) + payload


def udp4(src, dst, sport, dport, payload):
    # Checksum 0: none, which IPv4 allows.
    return ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def eth(dst, src, ethertype, payload):
    return dst + src + struct.pack("!H", ethertype) + payload


def gre(proto, payload, key=None, seq=None):
    flags = (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    h = struct.pack("!HH", flags, proto)
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    return h + payload


# Aruba's access points tunnel their stations' 802.11 frames to the controller in GRE (protocol
# 0x8200 to 0x8370 in steps of 0x10, or 0x9000), the frame as the radio carried it without its
# FCS. No Aruba controller here: the recorded Ethernet frames of web.pcap become QoS data frames
# of the access point AP_BSSID (the client's to the distribution system, the server's from it),
# some of them A-MSDUs.
AP_BSSID = bytes.fromhex("02000000ab00")
AP_PEER = bytes.fromhex("02000000ab01")
SNAP = b"\xaa\xaa\x03\x00\x00\x00"


def qos_data(ds, addrs, seq, qos, body):
    """An 802.11 QoS data frame (IEEE 802.11-2020 9.3.2.1): frame control (type 2, subtype 8,
    To DS / From DS), duration 0, three or four addresses, sequence control, QoS control."""
    h = struct.pack("<BBH", 0x88, ds, 0) + b"".join(addrs[:3]) + struct.pack("<H", seq << 4)
    if ds == 3:
        h += addrs[3]
    return h + struct.pack("<H", qos) + body


def amsdu(subframes):
    """A-MSDU subframes (9.3.2.2.2): DA, SA, length of the MSDU (big-endian), LLC/SNAP and the
    packet, each but the last padded to a multiple of 4 bytes."""
    out = b""
    for n, (da, sa, et, pkt) in enumerate(subframes):
        msdu = SNAP + struct.pack("!H", et) + pkt
        sub = da + sa + struct.pack("!H", len(msdu)) + msdu
        if n + 1 < len(subframes):
            sub += bytes(-len(sub) % 4)
        out += sub
    return out


def aruba(frames):
    """(time, from the client, GRE protocol, 802.11 frame) for each Ethernet frame: frame 2 (the
    ARP reply) under protocol 0x9000, the others 0x8210; frame 3 (the first SYN) an A-MSDU of two
    subframes (the SYN, then the ARP request again), frames 5, 10 and 17 A-MSDUs of one; frame 8
    relayed between two access points (four addresses)."""
    frames = list(frames)
    arp_request = frames[0][3]
    for i, (s, u, f, b) in enumerate(frames):
        da, sa, et, pkt = b[0:6], b[6:12], struct.unpack("!H", b[12:14])[0], b[14:]
        if i == 7:
            ds, addrs = 3, [AP_BSSID, AP_PEER, da, sa]
        elif f:
            ds, addrs = 1, [AP_BSSID, sa, da]
        else:
            ds, addrs = 2, [da, AP_BSSID, sa]
        if i == 2:
            body = amsdu([(da, sa, et, pkt), (arp_request[0:6], arp_request[6:12], 0x0806, arp_request[14:])])
            qos = 0x80
        elif i in (4, 9, 16):
            body, qos = amsdu([(da, sa, et, pkt)]), 0x80
        else:
            body, qos = SNAP + struct.pack("!H", et) + pkt, 0
        yield s, u, f, 0x9000 if i == 1 else 0x8210, qos_data(ds, addrs, i, qos, body)


def aruba_amsdu(frames):
    """(time, from the client, 802.11 frame): each run of web.pcap's frames from one sender (up
    to three) aggregated into one A-MSDU, sent at the time of its last frame, as an access point
    aggregates what it has queued for a station."""
    runs = []
    for s, u, f, b in frames:
        if runs and runs[-1][0][2] == f and len(runs[-1]) < 3:
            runs[-1].append((s, u, f, b))
        else:
            runs.append([(s, u, f, b)])
    for seq, run in enumerate(runs):
        s, u, f, _ = run[-1]
        subs = [(b[0:6], b[6:12], struct.unpack("!H", b[12:14])[0], b[14:]) for _, _, _, b in run]
        da, sa = subs[0][0], subs[0][1]
        ds, addrs = (1, [AP_BSSID, sa, da]) if f else (2, [da, AP_BSSID, sa])
        yield s, u, f, qos_data(ds, addrs, seq, 0x80, amsdu(subs))


def main():
    os.makedirs(OUT, exist_ok=True)
    web = read_pcap(os.path.join(ROOT, "captures", "web.pcap"))
    web6 = read_pcap(os.path.join(ROOT, "captures", "web6.pcap"))
    client_mac = bytes.fromhex("020000000001")

    def ip_frames(frames, ethertype):
        """(time, from the client, inner IP packet) of each frame of that EtherType."""
        for sec, usec, b in frames:
            if struct.unpack("!H", b[12:14])[0] == ethertype:
                yield sec, usec, b[6:12] == client_mac, b[14:]

    def eth_frames(frames):
        for sec, usec, b in frames:
            yield sec, usec, b[6:12] == client_mac, b

    def outer4(fwd, proto, payload):
        src, dst = (C4, S4) if fwd else (S4, C4)
        mac = (SMAC, CMAC) if fwd else (CMAC, SMAC)
        return eth(mac[0], mac[1], 0x0800, ipv4(src, dst, proto, payload))

    def outer6(fwd, nh, payload):
        src, dst = (C6, S6) if fwd else (S6, C6)
        mac = (SMAC, CMAC) if fwd else (CMAC, SMAC)
        return eth(mac[0], mac[1], 0x86DD, ipv6(src, dst, nh, payload))

    def outer_udp(fwd, sport, dport, payload):
        src, dst = (C4, S4) if fwd else (S4, C4)
        mac = (SMAC, CMAC) if fwd else (CMAC, SMAC)
        ports = (sport, dport) if fwd else (dport, sport)
        return eth(mac[0], mac[1], 0x0800, udp4(src, dst, ports[0], ports[1], payload))

    files = {}
    v4 = list(ip_frames(web, 0x0800))
    v6 = list(ip_frames(web6, 0x86DD))
    frames = list(eth_frames(web))

    files["ipip-4in4.pcap"] = [(s, u, outer4(f, 4, p)) for s, u, f, p in v4]
    files["ipip-6in4.pcap"] = [(s, u, outer4(f, 41, p)) for s, u, f, p in v6]
    files["ipip-4in6.pcap"] = [(s, u, outer6(f, 4, p)) for s, u, f, p in v4]
    files["gre-ip.pcap"] = [(s, u, outer4(f, 47, gre(0x0800, p, key=7, seq=i))) for i, (s, u, f, p) in enumerate(v4)]
    files["gre-in-gre.pcap"] = [
        (s, u, outer4(f, 47, gre(0x0800, ipv4(bytes([10, 9, 0, 1]) if f else bytes([10, 9, 0, 2]),
                                             bytes([10, 9, 0, 2]) if f else bytes([10, 9, 0, 1]), 47, gre(0x0800, p)))))
        for s, u, f, p in v4]
    files["gre-teb.pcap"] = [(s, u, outer4(f, 47, gre(0x6558, b))) for s, u, f, b in frames]
    files["gre-udp.pcap"] = [(s, u, outer_udp(f, 50000, 4754, gre(0x0800, p))) for s, u, f, p in v4]
    # ERSPAN type II: version 1, VLAN 0, session 5, index 0; type III: version 2, session 6,
    # a timestamp, no platform subheader.
    files["erspan-ii.pcap"] = [
        (s, u, outer4(f, 47, gre(0x88BE, struct.pack("!HHI", 0x1000, 5, 0) + b, seq=i)))
        for i, (s, u, f, b) in enumerate(frames)]
    files["erspan-iii.pcap"] = [
        (s, u, outer4(f, 47, gre(0x22EB, struct.pack("!HHIHH", 0x2000, 6, (s * 1000000 + u) & 0xFFFFFFFF, 0, 0) + b)))
        for s, u, f, b in frames]
    # PPTP: enhanced GRE (version 1, key = payload length and call id, sequence numbers) with
    # PPP (address and control, protocol IPv4).
    files["pptp-ip.pcap"] = [
        (s, u, outer4(f, 47, struct.pack("!HHHHI", 0x3001, 0x880B, len(p) + 4, 9 if f else 10, i) + b"\xff\x03\x00\x21" + p))
        for i, (s, u, f, p) in enumerate(v4)]
    files["geneve.pcap"] = [
        (s, u, outer_udp(f, 40000, 6081, struct.pack("!BBHI", 0, 0, 0x6558, 77 << 8) + b)) for s, u, f, b in frames]
    # Teredo: the server's packets carry an origin indication (RFC 4380 5.1.1).
    files["teredo.pcap"] = [
        (s, u, outer_udp(f, 40001, 3544, p if f else b"\x00\x00" + struct.pack("!H", 40001 ^ 0xFFFF)
                         + bytes(x ^ 0xFF for x in C4) + p))
        for s, u, f, p in v6]
    # AYIYA: identity length 2^4 = 16 bytes (type 1, an IPv6 address), signature length 5 (20
    # bytes, SHA-1), authentication method 2, opcode 1 (forward), next header 4 (IPv4).
    files["ayiya.pcap"] = [
        (s, u, outer_udp(f, 40002, 5072, bytes([0x41, 0x52, 0x21, 4]) + struct.pack("!I", s) + (C6 if f else S6)
                         + bytes(20) + p))
        for s, u, f, p in v4]
    # GTP-U: version 1, a G-PDU, a sequence number, TEID per direction.
    files["gtpu.pcap"] = [
        (s, u, outer_udp(f, 2152, 2152, struct.pack("!BBHIHBB", 0x32, 0xFF, len(p) + 4, 0x1001 if f else 0x2002, i, 0, 0) + p))
        for i, (s, u, f, p) in enumerate(v4)]
    # MPLS inside a VLAN: tag 100, two labels (100, then 200 at the bottom of the stack).
    files["mpls-vlan.pcap"] = [
        (s, u, eth(SMAC if f else CMAC, CMAC if f else SMAC, 0x8100,
                   struct.pack("!HH", 100, 0x8847) + struct.pack("!II", (100 << 12) | 64, (200 << 12) | 0x100 | 64) + p))
        for s, u, f, p in v4]
    # PPPoE session 0x11 (code 0), PPP protocol IPv4.
    files["pppoe-ip.pcap"] = [
        (s, u, eth(SMAC if f else CMAC, CMAC if f else SMAC, 0x8864,
                   struct.pack("!BBHHH", 0x11, 0, 0x11, len(p) + 2, 0x0021) + p))
        for s, u, f, p in v4]
    # VN-Tag: destination VIF 3 toward the bridge, source VIF 5, then IPv4.
    files["vntag.pcap"] = [
        (s, u, eth(SMAC if f else CMAC, CMAC if f else SMAC, 0x8926,
                   struct.pack("!IH", (0x8000_0000 if f else 0) | (3 << 16) | 5, 0x0800) + p))
        for s, u, f, p in v4]
    # FabricPath: outer addresses (switch ids), the FTag 1 and TTL 32, then the original frame
    # and the FabricPath frame's own FCS (which Wireshark expects).
    def fcs(b):
        return struct.pack("<I", zlib.crc32(b) & 0xFFFFFFFF)

    files["fabricpath.pcap"] = [
        (s, u, (lambda fr: fr + fcs(fr))(eth(bytes.fromhex("020000001001"), bytes.fromhex("020000001002"), 0x8903,
                                               struct.pack("!H", (1 << 6) | 32) + b)))
        for s, u, f, b in frames]

    files["aruba-gre.pcap"] = [(s, u, outer4(f, 47, gre(proto, wlan))) for s, u, f, proto, wlan in aruba(frames)]
    files["aruba-amsdu.pcap"] = [(s, u, outer4(f, 47, gre(0x8210, wlan))) for s, u, f, wlan in aruba_amsdu(frames)]

    for name, fr in sorted(files.items()):
        write_pcap(os.path.join(OUT, name), fr)
        print(f"wrote captures/tunnels/{name}: {len(fr)} frames")


if __name__ == "__main__":
    sys.exit(main())
