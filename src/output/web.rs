//! HTTP and TLS in every view: the messages a frame completed on its line, in its JSON object
//! (Wireshark's field names, several values of one field as an array) and in its `-V` tree;
//! the transactions' tables at the end of the text report.

use std::fmt::Write as _;
use std::io::{self, Write};

use comfy_table::Cell;

use super::table::{count, num_cell, table};
use crate::report::web::{tls_handshake_name, tls_version_name, Message, WebSummary};

/// HTTP ports on which the line already shows a message's first line, as tcpdump does.
const HTTP_PORTS: [u16; 4] = [80, 3128, 8000, 8080];

fn printable(out: &mut String, s: &str) {
    out.extend(s.chars().take(200).map(|c| if c.is_control() { '.' } else { c }));
}

/// Appends the messages of a TCP segment between ports `sport` and `dport` to its line: `HTTP:
/// GET /path HTTP/1.1` (unless the port already showed it, as tcpdump does), `HTTP: HTTP/1.1
/// 200 OK`, `ClientHello SNI=name`, `ServerHello TLSv1.3 cipher`.
pub fn line(out: &mut String, ports: Option<(u16, u16)>, msgs: &[&Message]) {
    let http_port = ports.is_some_and(|(s, d)| HTTP_PORTS.contains(&s) || HTTP_PORTS.contains(&d));
    for m in msgs {
        match m {
            Message::HttpRequest(r) if !http_port => {
                out.push_str(": HTTP: ");
                printable(out, &format!("{} {} {}", r.method, r.uri, r.version));
            }
            Message::HttpResponse(r) if !http_port => {
                out.push_str(": HTTP: ");
                printable(out, &format!("{} {} {}", r.version, r.code, r.phrase));
            }
            // tcpdump reads DNS segment by segment: the packet's line shows it so. A record's
            // version is for the JSON fields and filters only.
            Message::HttpRequest(_) | Message::HttpResponse(_) | Message::Dns(_) | Message::TlsRecord(_) => {}
            Message::ClientHello(h) => {
                out.push_str(": ClientHello");
                if let Some(n) = &h.server_name {
                    out.push_str(" SNI=");
                    printable(out, n);
                }
                if !h.alpn.is_empty() {
                    out.push_str(" ALPN=");
                    printable(out, &h.alpn.join(","));
                }
            }
            Message::ServerHello(h) => {
                let kind = if h.retry { "HelloRetryRequest" } else { "ServerHello" };
                let _ = write!(out, ": {kind} {} {}", tls_version_name(h.version), h.cipher);
                if let Some(a) = &h.alpn {
                    out.push_str(" ALPN=");
                    printable(out, a);
                }
            }
            Message::TlsHandshake(t) => match tls_handshake_name(*t) {
                Some(name) => {
                    let _ = write!(out, ": {name}");
                }
                None => {
                    let _ = write!(out, ": TLS handshake type {t}");
                }
            },
        }
    }
}

/// One JSON value of a field.
enum Val<'a> {
    Num(u64),
    Str(&'a str),
}

/// Adds the messages' fields to a packet's JSON object (`out` ends with its closing brace).
pub fn json(out: &mut String, msgs: &[&Message]) {
    let dns: Vec<&[u8]> = msgs.iter().filter_map(|m| if let Message::Dns(d) = m { Some(&d.bytes[..]) } else { None }).collect();
    crate::output::app::dns_json_messages(out, &dns);
    let mut fields: Vec<(&'static str, Vec<Val<'_>>)> = Vec::new();
    fn push<'a>(fields: &mut Vec<(&'static str, Vec<Val<'a>>)>, k: &'static str, v: Val<'a>) {
        match fields.iter_mut().find(|f| f.0 == k) {
            Some(f) => f.1.push(v),
            None => fields.push((k, vec![v])),
        }
    }
    for m in msgs {
        match m {
            Message::HttpRequest(r) => {
                push(&mut fields, "http.request.method", Val::Str(&r.method));
                push(&mut fields, "http.request.uri", Val::Str(&r.uri));
                push(&mut fields, "http.request.version", Val::Str(&r.version));
                if let Some(h) = &r.host {
                    push(&mut fields, "http.host", Val::Str(h));
                }
                if let Some(u) = &r.user_agent {
                    push(&mut fields, "http.user_agent", Val::Str(u));
                }
                if let Some(t) = &r.content_type {
                    push(&mut fields, "http.content_type", Val::Str(t));
                }
                if let Some(n) = r.content_length {
                    push(&mut fields, "http.content_length", Val::Num(n));
                }
            }
            Message::HttpResponse(r) => {
                push(&mut fields, "http.response.version", Val::Str(&r.version));
                push(&mut fields, "http.response.code", Val::Num(u64::from(r.code)));
                push(&mut fields, "http.response.phrase", Val::Str(&r.phrase));
                if let Some(t) = &r.content_type {
                    push(&mut fields, "http.content_type", Val::Str(t));
                }
                if let Some(n) = r.content_length {
                    push(&mut fields, "http.content_length", Val::Num(n));
                }
            }
            Message::ClientHello(h) => {
                push(&mut fields, "tls.handshake.type", Val::Num(1));
                push(&mut fields, "tls.handshake.version", Val::Num(u64::from(h.legacy_version)));
                if let Some(n) = &h.server_name {
                    push(&mut fields, "tls.handshake.extensions_server_name", Val::Str(n));
                }
                for a in &h.alpn {
                    push(&mut fields, "tls.handshake.extensions_alpn_str", Val::Str(a));
                }
                for v in &h.versions {
                    push(&mut fields, "tls.handshake.extensions.supported_version", Val::Num(u64::from(*v)));
                }
                for c in &h.ciphers {
                    push(&mut fields, "tls.handshake.ciphersuite", Val::Num(u64::from(*c)));
                }
            }
            Message::ServerHello(h) => {
                push(&mut fields, "tls.handshake.type", Val::Num(2));
                push(&mut fields, "tls.handshake.version", Val::Num(u64::from(h.legacy_version)));
                push(&mut fields, "tls.handshake.ciphersuite", Val::Num(u64::from(h.cipher_id)));
                if let Some(v) = h.supported_version {
                    // TLS 1.3 says its version only in supported_versions.
                    push(&mut fields, "tls.handshake.extensions.supported_version", Val::Num(u64::from(v)));
                }
                if let Some(a) = &h.alpn {
                    push(&mut fields, "tls.handshake.extensions_alpn_str", Val::Str(a));
                }
            }
            Message::TlsHandshake(t) => push(&mut fields, "tls.handshake.type", Val::Num(u64::from(*t))),
            Message::TlsRecord(v) => push(&mut fields, "tls.record.version", Val::Num(u64::from(*v))),
            Message::Dns(_) => {}
        }
    }
    if fields.is_empty() || !out.ends_with('}') {
        return;
    }
    out.pop();
    for (k, vals) in &fields {
        let _ = write!(out, ",\"{k}\":");
        let many = vals.len() > 1;
        if many {
            out.push('[');
        }
        for (i, v) in vals.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match v {
                Val::Num(n) => {
                    let _ = write!(out, "{n}");
                }
                Val::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".into())),
            }
        }
        if many {
            out.push(']');
        }
    }
    out.push('}');
}

fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "      {name:<22} {value}");
}

/// The Application branches of the `-V` tree: one per message the frame completed.
pub fn tree(out: &mut String, msgs: &[&Message]) {
    for m in msgs {
        match m {
            Message::HttpRequest(r) => {
                let _ = writeln!(out, "  Application: HTTP request (whole, with its body)");
                field(out, "Method", &r.method);
                field(out, "URI", &r.uri);
                field(out, "Version", &r.version);
                field(out, "Host", r.host.as_deref().unwrap_or("(none)"));
                field(out, "User-Agent", r.user_agent.as_deref().unwrap_or("(none)"));
                field(out, "Content-Type", r.content_type.as_deref().unwrap_or("(none)"));
                field(out, "Content-Length", r.content_length.map_or("(none)".to_string(), |n| n.to_string()));
                field(out, "Body", format!("{} (what the client sent after the headers)", count(r.body_len, "byte", "bytes")));
            }
            Message::HttpResponse(r) => {
                let _ = writeln!(out, "  Application: HTTP response (whole, with its body)");
                field(out, "Version", &r.version);
                field(out, "Status", format!("{} {} ({})", r.code, r.phrase, status_class(r.code)));
                field(out, "Content-Type", r.content_type.as_deref().unwrap_or("(none)"));
                field(out, "Content-Length", r.content_length.map_or("(none)".to_string(), |n| n.to_string()));
                let how = if r.chunked { "chunked: the chunks' data" } else { "what the server sent after the headers" };
                field(out, "Body", format!("{} ({how})", count(r.body_len, "byte", "bytes")));
            }
            Message::ClientHello(h) => {
                let _ = writeln!(out, "  Application: TLS ClientHello (the client's offer, in clear)");
                field(out, "Server name (SNI)", h.server_name.as_deref().unwrap_or("(none)"));
                field(out, "ALPN offered", if h.alpn.is_empty() { "(none)".to_string() } else { h.alpn.join(", ") });
                let names: Vec<&str> = h.versions.iter().map(|v| tls_version_name(*v)).collect();
                if names.is_empty() {
                    field(out, "Versions offered", format!("up to {} (the hello's version)", tls_version_name(h.legacy_version)));
                } else {
                    field(out, "Versions offered", names.join(", "));
                }
            }
            Message::ServerHello(h) if h.retry => {
                let _ = writeln!(out, "  Application: TLS HelloRetryRequest (the server asks for another key share)");
                field(out, "Version", tls_version_name(h.version));
                field(out, "Cipher suite", format!("{} (0x{:04x})", h.cipher, h.cipher_id));
            }
            Message::ServerHello(h) => {
                let _ = writeln!(out, "  Application: TLS ServerHello (the server's choice)");
                field(out, "Version", tls_version_name(h.version));
                field(out, "Cipher suite", format!("{} (0x{:04x})", h.cipher, h.cipher_id));
                field(out, "ALPN chosen", h.alpn.as_deref().unwrap_or("(none, or sent encrypted)"));
            }
            Message::TlsHandshake(t) => {
                let name = tls_handshake_name(*t).unwrap_or("(no name)");
                let _ = writeln!(out, "  Application: TLS {name} (handshake message type {t}, in clear)");
            }
            Message::TlsRecord(_) => {}
            Message::Dns(d) => {
                let _ = writeln!(out, "  Application: DNS message (whole, read from the TCP stream)");
                crate::output::app::dns_tree(out, crate::decode::app::AppProto::Dns, &d.bytes, true);
            }
        }
    }
}

fn status_class(code: u16) -> &'static str {
    match code {
        100..=199 => "informational",
        200..=299 => "success",
        300..=399 => "redirection",
        400..=499 => "client error",
        500..=599 => "server error",
        _ => "not a standard class",
    }
}

/// The HTTP and TLS tables of the text report, each only when there is something to show;
/// with `tables` false (`-q`) only their counts.
pub fn tables(w: &mut dyn Write, s: &WebSummary, tables: bool) -> io::Result<()> {
    if !s.http_status.is_empty() {
        let total: u64 = s.http_status.values().sum();
        writeln!(w)?;
        writeln!(w, "HTTP: {}", count(total, "request", "requests"))?;
    }
    if !s.http_status.is_empty() && tables {
        let mut hosts: Vec<(&String, &u64)> = s.http_hosts.iter().collect();
        hosts.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let mut t = table(&["Host", "Requests"]);
        for (h, n) in hosts.iter().take(crate::report::web::TOP) {
            t.add_row(vec![Cell::new(h), num_cell(**n)]);
        }
        writeln!(w, "{t}")?;
        let mut t = table(&["Status", "Responses"]);
        for (code, n) in &s.http_status {
            let name = if *code == 0 { "(no response)".to_string() } else { code.to_string() };
            t.add_row(vec![Cell::new(name), num_cell(*n)]);
        }
        writeln!(w, "{t}")?;
        if !s.http_slowest.is_empty() {
            let mut t = table(&["Slowest", "Method", "Host", "URI"]);
            for (secs, m, h, u) in &s.http_slowest {
                let uri: String = u.chars().take(60).collect();
                t.add_row(vec![Cell::new(format!("{:.6} s", secs)), Cell::new(m), Cell::new(h), Cell::new(uri)]);
            }
            writeln!(w, "{t}")?;
        }
    }
    if !s.tls_names.is_empty() {
        let total: u64 = s.tls_names.values().sum();
        writeln!(w)?;
        writeln!(w, "TLS: {}", count(total, "handshake", "handshakes"))?;
    }
    if !s.tls_names.is_empty() && tables {
        let mut names: Vec<(&String, &u64)> = s.tls_names.iter().collect();
        names.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let mut t = table(&["Server name (SNI)", "Handshakes"]);
        for (n, c) in names.iter().take(crate::report::web::TOP) {
            t.add_row(vec![Cell::new(n), num_cell(**c)]);
        }
        writeln!(w, "{t}")?;
    }
    if s.dropped > 0 && tables {
        writeln!(w, "({} not counted by host or name: too many distinct ones)", s.dropped)?;
    }
    Ok(())
}
