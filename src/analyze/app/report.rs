//! The tallies behind the report's application tables, kept per shard and merged at the end;
//! each is bounded (distinct names counted up to a cap, the slowest and unanswered lists short).

use std::net::IpAddr;

use rustc_hash::FxHashMap;

use crate::report::app::{AppReport, Counted, DhcpRecord, DnsRecord, EchoRecord, PingStats};

/// Most distinct (name, type) pairs counted; later ones are counted as "(others)".
const NAMES_CAP: usize = 10_000;
/// Rows kept for the slowest and unanswered lists.
const LIST_ROWS: usize = 10;

#[derive(Default, Clone, Copy)]
struct Rtt {
    sent: u64,
    received: u64,
    min: f64,
    max: f64,
    sum: f64,
}

/// What the tables count.
#[derive(Default)]
pub struct Tally {
    queries: u64,
    by_query: FxHashMap<(String, String), u64>,
    others: u64,
    rcodes: FxHashMap<String, u64>,
    slowest: Vec<DnsRecord>,
    unanswered: Vec<DnsRecord>,
    unanswered_count: u64,
    /// Answers without a query.
    pub dns_orphans: u64,
    leases: Vec<DhcpRecord>,
    exchanges: u64,
    ping: FxHashMap<IpAddr, Rtt>,
}

use std::cmp::Ordering;

fn keep(list: &mut Vec<DnsRecord>, rec: &DnsRecord, order: fn(&DnsRecord, &DnsRecord) -> Ordering) {
    list.push(rec.clone());
    if list.len() > LIST_ROWS * 2 {
        list.sort_by(order);
        list.truncate(LIST_ROWS);
    }
}

/// Slowest first; among equals, the earlier query.
fn slower(a: &DnsRecord, b: &DnsRecord) -> Ordering {
    b.rtt.unwrap_or(0.0).total_cmp(&a.rtt.unwrap_or(0.0)).then(a.order.cmp(&b.order))
}

fn earlier(a: &DnsRecord, b: &DnsRecord) -> Ordering {
    a.order.cmp(&b.order)
}

impl Tally {
    /// Counts one DNS transaction.
    pub fn dns(&mut self, r: &DnsRecord) {
        self.queries += 1;
        let k = (r.query.clone().unwrap_or_else(|| "-".into()), r.qtype_name.clone().unwrap_or_else(|| "-".into()));
        if let Some(n) = self.by_query.get_mut(&k) {
            *n += 1;
        } else if self.by_query.len() < NAMES_CAP {
            self.by_query.insert(k, 1);
        } else {
            self.others += 1;
        }
        match &r.rcode_name {
            Some(rc) => {
                *self.rcodes.entry(rc.clone()).or_default() += 1;
                keep(&mut self.slowest, r, slower);
            }
            None => {
                self.unanswered_count += 1;
                keep(&mut self.unanswered, r, earlier);
            }
        }
    }

    /// Counts one echo request.
    pub fn echo(&mut self, r: &EchoRecord) {
        let t = self.ping.entry(r.resp_h).or_default();
        t.sent += 1;
        if let Some(rtt) = r.rtt {
            let ms = rtt * 1e3;
            if t.received == 0 || ms < t.min {
                t.min = ms;
            }
            t.max = t.max.max(ms);
            t.sum += ms;
            t.received += 1;
        }
    }

    /// Counts one DHCP exchange.
    pub fn dhcp(&mut self, r: &DhcpRecord) {
        self.exchanges += 1;
        if r.assigned_addr.is_some() && self.leases.len() < 1000 {
            self.leases.push(r.clone());
        }
    }

    /// Adds another shard's counts.
    pub fn merge(&mut self, o: Tally) {
        self.queries += o.queries;
        for (k, n) in o.by_query {
            if let Some(m) = self.by_query.get_mut(&k) {
                *m += n;
            } else if self.by_query.len() < NAMES_CAP {
                self.by_query.insert(k, n);
            } else {
                self.others += n;
            }
        }
        self.others += o.others;
        for (k, n) in o.rcodes {
            *self.rcodes.entry(k).or_default() += n;
        }
        self.slowest.extend(o.slowest);
        self.unanswered.extend(o.unanswered);
        self.unanswered_count += o.unanswered_count;
        self.dns_orphans += o.dns_orphans;
        self.leases.extend(o.leases);
        self.exchanges += o.exchanges;
        for (k, r) in o.ping {
            let t = self.ping.entry(k).or_default();
            if r.received > 0 && (t.received == 0 || r.min < t.min) {
                t.min = r.min;
            }
            t.max = t.max.max(r.max);
            t.sum += r.sum;
            t.sent += r.sent;
            t.received += r.received;
        }
    }

    /// Writes the tables, each in a fixed order (so every `--threads` value gives the same).
    pub fn fill(&mut self, out: &mut AppReport) {
        out.dns_queries = self.queries;
        let mut by: Vec<Counted> =
            self.by_query.iter().map(|((n, t), c)| Counted { what: format!("{n} {t}"), count: *c }).collect();
        by.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.what.cmp(&b.what)));
        by.truncate(LIST_ROWS);
        if self.others > 0 {
            by.push(Counted { what: "(others)".into(), count: self.others });
        }
        out.dns_by_query = by;
        let mut rc: Vec<Counted> = self.rcodes.iter().map(|(k, c)| Counted { what: k.clone(), count: *c }).collect();
        rc.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.what.cmp(&b.what)));
        out.dns_rcodes = rc;
        let mut slow = std::mem::take(&mut self.slowest);
        slow.sort_by(slower);
        slow.truncate(LIST_ROWS);
        out.dns_slowest = slow;
        let mut un = std::mem::take(&mut self.unanswered);
        un.sort_by_key(|r| r.order);
        un.truncate(LIST_ROWS);
        out.dns_unanswered = un;
        out.dns_unanswered_count = self.unanswered_count;
        out.dns_orphans = self.dns_orphans;
        let mut leases = std::mem::take(&mut self.leases);
        leases.sort_by_key(|r| r.order);
        out.dhcp_leases = leases;
        out.dhcp_exchanges = self.exchanges;
        let mut ping: Vec<PingStats> = self
            .ping
            .iter()
            .map(|(ip, r)| PingStats {
                target: *ip,
                sent: r.sent,
                received: r.received,
                min_ms: (r.received > 0).then_some(r.min),
                avg_ms: (r.received > 0).then(|| r.sum / r.received as f64),
                max_ms: (r.received > 0).then_some(r.max),
            })
            .collect();
        ping.sort_by_key(|p| p.target);
        out.ping = ping;
    }
}
