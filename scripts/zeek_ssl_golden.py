#!/usr/bin/env python3
"""Reads tshark's PDML of a capture (stdin) and writes, for each TCP connection whose client sent
a ClientHello (from Zeek 5.0 on, dpd.sig enables the SSL analyzer on the client's hello alone,
whatever the server answers), what Zeek's ssl.log says of it by Zeek's rules
(scripts/base/protocols/ssl/main.zeek and files.zeek) applied to what tshark dissected:

    client port, ssl_history, last_alert, cert_chain_fps, client_cert_chain_fps, sni_matches_cert

ssl_history: a letter for each handshake message, ChangeCipherSpec, alert and heartbeat tshark
reads in clear, the client's in capitals, until the handshake is established (a record comes
once both sides encrypted: after ChangeCipherSpec before TLS 1.3, after application data in
TLS 1.3). The fingerprints are `openssl x509 -fingerprint -sha256` of each certificate tshark
shows in the Certificate messages, unset (-) when neither side sent one. sni_matches_cert
(files.zeek: set when the client named a server and the server sent a certificate) is
`openssl x509 -checkhost NAME` on the server's first certificate: T or F. Used by golden_web.sh.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET

LETTERS = {0: 'h', 1: 'c', 2: 's', 3: 'v', 4: 't', 5: 'e', 6: 'j', 8: 'o', 11: 'x', 12: 'k', 13: 'r',
           14: 'n', 15: 'y', 16: 'g', 20: 'f', 21: 'w', 22: 'u', 23: 'a', 24: 'p', 254: 'm'}
ALERTS = {0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 40: 'handshake_failure',
          42: 'bad_certificate', 45: 'certificate_expired', 46: 'certificate_unknown', 48: 'unknown_ca',
          70: 'protocol_version', 80: 'internal_error', 112: 'unrecognized_name', 116: 'certificate_required'}
HRR = 'cf:21:ad:74:e5:9a:61:11:be:1d:8c:02:1e:65:b8:91:c2:a2:11:16:7a:bb:8c:5e:07:9e:09:e2:c8:a8:33:9c'


def fingerprint(hexder):
    der = bytes.fromhex(hexder)
    out = subprocess.run(['openssl', 'x509', '-inform', 'DER', '-noout', '-fingerprint', '-sha256'],
                         input=der, capture_output=True, check=True).stdout.decode()
    return out.strip().split('=', 1)[1].replace(':', '').lower()


def checkhost(hexder, name):
    der = bytes.fromhex(hexder)
    out = subprocess.run(['openssl', 'x509', '-inform', 'DER', '-noout', '-checkhost', name],
                         input=der, capture_output=True, check=True).stdout.decode()
    return 'F' if 'does NOT match' in out else 'T'


def fields(el, name):
    return [f for f in el.iter('field') if f.get('name') == name]


def first(el, name):
    f = fields(el, name)
    return f[0].get('show') if f else None


conns = {}
order = []
for _, pkt in ET.iterparse(sys.stdin.buffer, events=('end',)):
    if pkt.tag != 'packet':
        continue
    stream = first(pkt, 'tcp.stream')
    sport = first(pkt, 'tcp.srcport')
    for rec in fields(pkt, 'tls.record'):
        ctype = first(rec, 'tls.record.content_type') or first(rec, 'tls.record.opaque_type')
        if ctype is None:
            continue
        ctype = int(ctype)
        types = [int(t.get('show')) for t in fields(rec, 'tls.handshake.type')]
        c = conns.get(stream)
        if c is None:
            if 1 not in types:
                continue
            c = conns[stream] = {'cport': sport, 'hist': '', 'alert': '-', 'enc': [False, False], 'tls13': False,
                                 'est': False, 'fps': [[], []], 'certs': False,
                                 'sni': None, 'first': None}
            order.append(stream)
        cli = sport == c['cport']
        d = 0 if cli else 1
        length = int(first(rec, 'tls.record.length') or 0)
        if ctype == 23 and c['tls13'] and length > 0:
            c['enc'][d] = True
        if c['enc'][0] and c['enc'][1]:
            c['est'] = True
        if c['est']:
            continue

        def add(letter):
            if len(c['hist']) < 100:
                c['hist'] += letter.upper() if cli else letter
        for hs in fields(rec, 'tls.handshake'):
            t = first(hs, 'tls.handshake.type')
            if t is None:
                continue
            t = int(t)
            retry = t == 2 and first(hs, 'tls.handshake.random') == HRR
            add('j' if retry else LETTERS.get(t, 'z'))
            if t == 2 and first(hs, 'tls.handshake.extensions.supported_version') == '0x0304':
                c['tls13'] = True
            if cli and t == 1:
                c['sni'] = first(hs, 'tls.handshake.extensions_server_name')
            for cert in fields(hs, 'tls.handshake.certificate'):
                if not cli and c['first'] is None:
                    c['first'] = cert.get('value')
                c['certs'] = True
                c['fps'][d].append(fingerprint(cert.get('value')))
        for desc in fields(rec, 'tls.alert_message.desc'):
            add('l')
            c['alert'] = ALERTS.get(int(desc.get('show')), 'unknown-' + desc.get('show'))
        if ctype == 20:
            add('i')
        if ctype == 24 and first(rec, 'tls.heartbeat_message.type') is not None:
            add('b')
        if ctype == 20 and not c['tls13']:
            c['enc'][d] = True
    pkt.clear()

for s in order:
    c = conns[s]
    fps = [','.join(f) if c['certs'] else '-' for f in (c['fps'][1], c['fps'][0])]
    match = checkhost(c['first'], c['sni']) if c['sni'] and c['first'] else '-'
    print('\t'.join([c['cport'], c['hist'], c['alert'], fps[0], fps[1], match]))
