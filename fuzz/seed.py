#!/usr/bin/env python3
"""Makes the fuzz targets' seed corpora from the captures of this repository and ../shared/corpus
(read at run time, never committed): whole files for read_file, single frames (with a link-type
byte) for decode_frame, frame sequences for analyzers and streams, calculator inputs for subnet,
the filters of tests/golden/filters with a frame of their capture for display_filter and
capture_filter, and the DNS, DHCP, HTTP and TLS messages of the captures for app.
usage: fuzz/seed.py OUTDIR   (writes OUTDIR/<target>/...)"""
import glob, os, struct, sys, hashlib

LINKTYPES = [1, 0, 101, 108, 113, 228, 229, 276, 12, 14, 147]

def classic_frames(path):
    """(linktype, [(ts_us, bytes)]) of a classic pcap file, or None."""
    with open(path, 'rb') as f:
        b = f.read()
    if len(b) < 24:
        return None
    magic = struct.unpack('<I', b[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = '<'
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        e = '>'
    else:
        return None
    lt = struct.unpack(e + 'I', b[20:24])[0] & 0xffff
    out, at = [], 24
    while at + 16 <= len(b) and len(out) < 400:
        s, us, cap, _ = struct.unpack(e + 'IIII', b[at:at + 16])
        data = b[at + 16:at + 16 + cap]
        if len(data) < cap:
            break
        out.append((s * 1_000_000 + us, data))
        at += 16 + cap
    return lt, out

# The app target's kinds (fuzz/fuzz_targets/app.rs, KINDS): (transport, source, destination port).
APP_KINDS = [('udp', 40000, 53), ('udp', 53, 40000), ('udp', 5353, 5353), ('udp', 40001, 5355),
             ('tcp', 40002, 53), ('tcp', 53, 40002), ('udp', 68, 67), ('udp', 67, 68),
             ('udp', 546, 547), ('udp', 547, 546),
             ('stream', 40003, 80), ('stream', 80, 40003), ('stream', 40004, 443), ('stream', 443, 40004)]

def app_message(frame):
    """(kind, message) of an Ethernet frame carrying DNS, mDNS, LLMNR, DHCP, DHCPv6, or an HTTP
    or TLS segment, or None."""
    if len(frame) < 14:
        return None
    et, at = struct.unpack('>H', frame[12:14])[0], 14
    if et == 0x0800 and len(frame) >= at + 20:
        ihl = (frame[at] & 15) * 4
        proto, l4 = frame[at + 9], at + ihl
    elif et == 0x86dd and len(frame) >= at + 40:
        proto, l4 = frame[at + 6], at + 40
    else:
        return None
    if len(frame) < l4 + 8:
        return None
    sp, dp = struct.unpack('>HH', frame[l4:l4 + 4])
    if proto == 17:
        body = frame[l4 + 8:]
        for k, (t, s, d) in enumerate(APP_KINDS):
            if t == 'udp' and d in (53, 5353, 5355, 67, 68, 546, 547) and dp == d and (d != 53 or sp != 53):
                return k, body
        if sp == 53:
            return 1, body
        return None
    if proto == 6 and len(frame) >= l4 + 20 and (80 in (sp, dp) or 8080 in (sp, dp) or 443 in (sp, dp)):
        body = frame[l4 + (frame[l4 + 12] >> 4) * 4:]
        if not body:
            return None
        tls = 443 in (sp, dp)
        to_server = dp in (80, 8080, 443)
        return (12 if tls else 10) + (0 if to_server else 1), body
    if proto == 6 and 53 in (sp, dp) and len(frame) >= l4 + 20:
        body = frame[l4 + (frame[l4 + 12] >> 4) * 4:]
        if len(body) < 14:
            return None
        return (4 if dp == 53 else 5), body[2:]
    return None

def filter_seeds(root, out):
    """Each golden filter with the first frame of its capture (classic pcap files only)."""
    firsts = {}
    for target, name in (('display_filter', 'display.tsv'), ('capture_filter', 'capture.tsv')):
        path = os.path.join(root, 'tests', 'golden', 'filters', name)
        if not os.path.exists(path):
            continue
        for line in open(path):
            parts = line.rstrip('\n').split('\t')
            if len(parts) < 2:
                continue
            f, expr = parts[0], parts[1]
            if f not in firsts:
                got = classic_frames(os.path.join(root, f)) if os.path.exists(os.path.join(root, f)) else None
                firsts[f] = got[1][0][1] if got and got[0] == 1 and got[1] else b''
            write(os.path.join(out, target), expr.encode() + b'\0' + firsts[f])

def write(d, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
        f.write(data)

def main():
    out = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    files = sorted(glob.glob(os.path.join(root, 'captures', '**', '*.pcap*'), recursive=True) +
                   glob.glob(os.path.join(root, '..', 'shared', 'corpus', '**', '*.pcap*'), recursive=True))
    for p in files:
        size = os.path.getsize(p)
        if size <= 1 << 20:
            with open(p, 'rb') as f:
                write(os.path.join(out, 'read_file'), f.read())
        got = classic_frames(p)
        if not got:
            continue
        lt, frames = got
        if lt in LINKTYPES:
            pick = bytes([LINKTYPES.index(lt)])
            for _, data in frames[:40]:
                write(os.path.join(out, 'decode_frame'), pick + data)
        if lt == 1:
            msgs = [m for m in (app_message(d) for _, d in frames) if m]
            for i in range(0, min(len(msgs), 64), 16):
                seq = bytearray([0x01])
                for k, m in msgs[i:i + 16]:
                    m = m[:65535]
                    seq += bytes([k]) + struct.pack('>H', len(m)) + m
                write(os.path.join(out, 'app'), bytes(seq))
        if lt == 1 and frames:
            seq, last = bytearray([0x05]), frames[0][0]
            for ts, data in frames[:300]:
                step = max(0, min(65535, (ts - last) // 1000))
                last = ts
                seq += struct.pack('>HH', min(len(data), 65535), step) + data[:65535]
            write(os.path.join(out, 'analyzers'), bytes(seq))
            # The same sequences feed the stream reassembler (it reads the same format).
            write(os.path.join(out, 'streams'), bytes(seq))
    filter_seeds(root, out)
    subnet = os.path.join(root, 'tests', 'golden', 'subnet')
    for g in glob.glob(os.path.join(subnet, '*.jsonl')):
        import json
        for line in open(g):
            try:
                v = json.loads(line)
            except ValueError:
                continue
            arg = v.get('input') or v.get('args') or ''
            if isinstance(arg, list):
                arg = ' '.join(arg)
            if arg:
                write(os.path.join(out, 'subnet'), b'\x00' + str(arg).encode())
    for s in ['192.168.3.125/25 192.168.3.130', '10.0.0.0/24', '10.0.0.0/22', '2001:db8::1/64',
              '10.0.0.5-10.0.0.20', '10.0.0.0/24 10.0.1.0/24', '10.0.0.1 255.255.255.0']:
        for mode in (0, 4):
            write(os.path.join(out, 'subnet'), bytes([mode]) + s.encode())
    write(os.path.join(out, 'subnet'), b'\x01/27 10.0.0.0/24')
    write(os.path.join(out, 'subnet'), b'\x0250,20,10 10.0.0.0/24')

main()
