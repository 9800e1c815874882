#!/usr/bin/env python3
"""Makes the fuzz targets' seed corpora from the captures of this repository and ../shared/corpus
(read at run time, never committed): whole files for read_file, single frames (with a link-type
byte) for decode_frame, frame sequences for analyzers and streams, and calculator inputs for subnet.
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

def write(d, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
        f.write(data)

def main():
    out = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    files = sorted(glob.glob(os.path.join(root, 'captures', '*.pcap*')) +
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
        if lt == 1 and frames:
            seq, last = bytearray([0x05]), frames[0][0]
            for ts, data in frames[:300]:
                step = max(0, min(65535, (ts - last) // 1000))
                last = ts
                seq += struct.pack('>HH', min(len(data), 65535), step) + data[:65535]
            write(os.path.join(out, 'analyzers'), bytes(seq))
            # The same sequences feed the stream reassembler (it reads the same format).
            write(os.path.join(out, 'streams'), bytes(seq))
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
