//! `inspect subnet` against golden outputs of the real ipcalc-ng and sipcalc
//! (`tests/golden/subnet/`, made by `scripts/golden_subnet.sh`), plus error
//! messages, the two-host check and the planning modes, through the library
//! (`inspect::subnet`) and, for the text and its counts, the binary.

use inspect::subnet::{analyze, run, Query, Report, SubnetError};
use serde_json::Value;

use crate::support::{inspect_ok, root, Test};

pub fn tests() -> Vec<Test> {
    vec![
        trial!(matches_ipcalc_ng_field_by_field),
        trial!(every_ipv4_prefix_and_the_edges_are_covered),
        trial!(bare_addresses_match_ipcalc_ng_class_prefix),
        trial!(split_matches_ipcalc_ng),
        trial!(ranges_match_ipcalc_ng_deaggregation),
        trial!(matches_sipcalc_fields),
        trial!(binary_view_marks_the_boundary),
        trial!(two_hosts_on_different_halves_need_a_router),
        trial!(two_hosts_on_one_network_talk_directly),
        trial!(bad_input_says_what_and_where),
        trial!(input_forms),
        trial!(point_to_point_and_single_host),
        trial!(host_counts_agree_with_their_nouns),
        trial!(ipv6_types),
        trial!(ipv4_address_spaces),
        trial!(split_lists_hosts_and_broadcasts),
        trial!(vlsm_carves_largest_first),
        trial!(summarization),
        trial!(table_and_json_output),
    ]
}

fn golden(name: &str) -> Vec<Value> {
    let path = root().join("tests/golden/subnet").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: bad line {l}: {e}")))
        .collect()
}

fn ours(inputs: &[&str], split: Option<&str>) -> Value {
    let mut args = Query::from_inputs(inputs);
    args.split = split.map(str::to_string);
    let report = analyze(&args).unwrap_or_else(|e| panic!("{inputs:?}: {e}"));
    serde_json::to_value(&report).expect("report serializes")
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn err_of(inputs: &[&str]) -> String {
    match analyze(&Query::from_inputs(inputs)) {
        Err(SubnetError::Input(msg)) => msg,
        Err(e) => panic!("{inputs:?}: not an input error: {e}"),
        Ok(r) => panic!("{inputs:?}: accepted: {r:?}"),
    }
}

/// Where we differ from ipcalc-ng on purpose (see the module doc): the expected value, or None to compare as is.
fn expected_difference(input: &str, key: &str, theirs: &str) -> Option<String> {
    let prefix = input.rsplit('/').next().unwrap_or("");
    match key {
        // ipcalc-ng's /0 counts are an off-by-one (IPv4) and an overflow (IPv6).
        "ADDRESSES" if prefix == "0" || prefix == "0.0.0.0" => Some(if input.contains(':') {
            "340282366920938463463374607431768211456".to_string()
        } else {
            "4294967294".to_string()
        }),
        _ => {
            let _ = theirs;
            None
        }
    }
}

fn matches_ipcalc_ng_field_by_field() {
    let records = golden("ipcalc_ng.jsonl");
    assert!(
        records.len() >= 600,
        "only {} golden records",
        records.len()
    );
    let mut compared = 0;
    for rec in &records {
        let input = s(&rec["input"]);
        let mine = ours(&[input], None);
        let theirs = rec["json"].as_object().expect("golden json object");
        for (key, value) in theirs {
            // Reverse DNS zones are not part of this view.
            if key == "REVERSEDNS" {
                continue;
            }
            let want =
                expected_difference(input, key, s(value)).unwrap_or_else(|| s(value).to_string());
            assert_eq!(s(&mine[key.as_str()]), want, "{input}: {key}");
            compared += 1;
        }
        // ipcalc-ng drops ADDRESS when it equals the network; we always give it.
        assert!(mine.get("ADDRESS").is_some(), "{input}: ADDRESS missing");
    }
    assert!(compared > 5000, "compared only {compared} fields");
}

fn every_ipv4_prefix_and_the_edges_are_covered() {
    let records = golden("ipcalc_ng.jsonl");
    for p in 0..=32 {
        for addr in ["0.0.0.0", "255.255.255.255", "192.168.3.125"] {
            let input = format!("{addr}/{p}");
            assert!(
                records.iter().any(|r| s(&r["input"]) == input),
                "no golden record for {input}"
            );
        }
    }
}

fn bare_addresses_match_ipcalc_ng_class_prefix() {
    for rec in golden("ipcalc_ng_classful.jsonl") {
        let input = s(&rec["input"]);
        let mine = ours(&[input], None);
        for (key, value) in rec["json"].as_object().expect("object") {
            if key == "REVERSEDNS" {
                continue;
            }
            assert_eq!(s(&mine[key.as_str()]), s(value), "{input}: {key}");
        }
        assert!(s(&mine["NOTE"]).contains("classful"), "{input}: no note");
    }
}

fn split_matches_ipcalc_ng() {
    for rec in golden("ipcalc_ng_split.jsonl") {
        let input = s(&rec["input"]);
        let split = s(&rec["split"]);
        let mine = ours(&[input], Some(split));
        for key in ["SPLITNETWORK", "NETS"] {
            assert_eq!(
                mine[key], rec["json"][key],
                "{input} --split {split}: {key}"
            );
        }
        // ipcalc-ng cuts counts of more than 31 digits short; ours are whole.
        let (m, t) = (s(&mine["ADDRESSES"]), s(&rec["json"]["ADDRESSES"]));
        if t.len() == 31 {
            assert!(
                m.starts_with(t) && m.len() > 31,
                "{input} --split {split}: {m} vs {t}"
            );
        } else {
            assert_eq!(m, t, "{input} --split {split}: ADDRESSES");
        }
    }
}

fn ranges_match_ipcalc_ng_deaggregation() {
    let records = golden("ipcalc_ng_range.jsonl");
    assert!(records.len() >= 8);
    for rec in records {
        let input = s(&rec["input"]);
        let mine = ours(&[input], None);
        assert_eq!(
            mine["DEAGGREGATEDNETWORK"], rec["json"]["DEAGGREGATEDNETWORK"],
            "{input}"
        );
    }
}

fn digits(bin: &str) -> String {
    bin.chars().filter(|c| *c == '0' || *c == '1').collect()
}

fn v4(text: &str) -> u32 {
    text.parse::<std::net::Ipv4Addr>()
        .map(u32::from)
        .expect("IPv4 address")
}

fn matches_sipcalc_fields() {
    let records = golden("sipcalc.jsonl");
    assert!(records.len() >= 600);
    let mut compared = 0;
    for rec in &records {
        let input = s(&rec["input"]);
        let f = &rec["fields"];
        let mine = ours(&[input], None);
        let check = |key: &str, want: String, compared: &mut i32| {
            if let Some(v) = f.get(key) {
                assert_eq!(s(v), want, "{input}: sipcalc {key}");
                *compared += 1;
            }
        };
        if input.contains(':') {
            check(
                "IPV6 INFO/Expanded Address",
                s(&mine["FULLADDRESS"]).to_string(),
                &mut compared,
            );
            check(
                "IPV6 INFO/Prefix length",
                s(&mine["PREFIX"]).to_string(),
                &mut compared,
            );
            check(
                "IPV6 INFO/Network range",
                format!("{} - {}", s(&mine["FULLMINADDR"]), s(&mine["FULLMAXADDR"])),
                &mut compared,
            );
            continue;
        }
        let prefix: u32 = s(&mine["PREFIX"]).parse().expect("prefix");
        check(
            "CIDR/Host address (decimal)",
            s(&mine["DECIMAL"]).to_string(),
            &mut compared,
        );
        check(
            "CIDR/Network address",
            s(&mine["NETWORK"]).to_string(),
            &mut compared,
        );
        check(
            "CIDR/Network mask",
            s(&mine["NETMASK"]).to_string(),
            &mut compared,
        );
        check(
            "CIDR/Cisco wildcard",
            s(&mine["WILDCARD"]).to_string(),
            &mut compared,
        );
        // sipcalc drops leading zeros in hex; compare the numbers.
        if let Some(hex) = f.get("CIDR/Network mask (hex)") {
            let theirs = u32::from_str_radix(s(hex), 16).expect("hex");
            let mine_hex = u32::from_str_radix(s(&mine["HEXNETMASK"]), 16).expect("hex");
            assert_eq!(mine_hex, theirs, "{input}: hex mask");
            assert_eq!(s(&mine["HEXNETMASK"]).len(), 8, "{input}: hex mask width");
        }
        // sipcalc's /0 count overflows to 2^32-1.
        if prefix > 0 {
            check(
                "CIDR/Addresses in network",
                s(&mine["TOTAL"]).to_string(),
                &mut compared,
            );
        }
        let last = v4(s(&mine["NETWORK"])) | v4(s(&mine["WILDCARD"]));
        check(
            "CIDR/Network range",
            format!(
                "{} - {}",
                s(&mine["NETWORK"]),
                std::net::Ipv4Addr::from(last)
            ),
            &mut compared,
        );
        // sipcalc has no usable range for /31 and /32 (and a wrapped one for 0.0.0.0/32).
        if prefix < 31 {
            check(
                "CIDR/Usable range",
                format!("{} - {}", s(&mine["MINADDR"]), s(&mine["MAXADDR"])),
                &mut compared,
            );
        }
        let b = &mine["BINARY"];
        for (theirs, ours_key) in [
            ("CIDR bitmaps/Host address", "ADDRESS"),
            ("CIDR bitmaps/Network address", "NETWORK"),
            ("CIDR bitmaps/Network mask", "NETMASK"),
            ("CIDR bitmaps/Broadcast address", "BROADCAST"),
            ("CIDR bitmaps/Cisco wildcard", "WILDCARD"),
        ] {
            let mine_bits = s(&b[ours_key]);
            // The boundary mark sits right after the network bits.
            let before = mine_bits.split('|').next().unwrap_or("");
            assert_eq!(
                digits(before).len() as u32,
                prefix,
                "{input}: boundary in {mine_bits}"
            );
            if let Some(v) = f.get(theirs) {
                assert_eq!(digits(mine_bits), digits(s(v)), "{input}: {theirs}");
                compared += 1;
            }
        }
    }
    assert!(compared > 4000, "compared only {compared} sipcalc fields");
}

fn binary_view_marks_the_boundary() {
    let mine = ours(&["192.168.3.125/25"], None);
    assert_eq!(
        s(&mine["BINARY"]["ADDRESS"]),
        "11000000.10101000.00000011.0|1111101"
    );
    let mine = ours(&["192.168.3.125/24"], None);
    assert_eq!(
        s(&mine["BINARY"]["ADDRESS"]),
        "11000000.10101000.00000011|01111101"
    );
}

fn two_hosts_on_different_halves_need_a_router() {
    let report = analyze(&Query::from_inputs(&[
        "192.168.3.125/25",
        "192.168.3.130",
    ]))
    .expect("two-host check");
    let Report::TwoHosts(r) = &report else {
        panic!("not a two-host report: {report:?}");
    };
    assert_eq!(r.host1.network.to_string(), "192.168.3.0");
    assert_eq!(r.host2.network.to_string(), "192.168.3.128");
    assert_eq!(r.host2.prefix, 25);
    assert!(!r.same_network);
    assert!(r.router_needed);
    assert!(r.verdict.contains("router"), "{}", r.verdict);
    assert!(r
        .computation
        .contains(&"192.168.3.125 AND 255.255.255.128 = 192.168.3.0".to_string()));
    assert!(r
        .computation
        .contains(&"192.168.3.130 AND 255.255.255.128 = 192.168.3.128".to_string()));
    // The same with a prefix on each.
    let v = ours(&["192.168.3.125/25", "192.168.3.130/25"], None);
    assert_eq!(v["SAMENETWORK"], Value::Bool(false));
    assert_eq!(v["ROUTER"], Value::Bool(true));
    // And the table view shows both ANDs and the verdict.
    let mut out = Vec::new();
    run(
        &Query::from_inputs(&["192.168.3.125/25", "192.168.3.130"]),
        false,
        &mut out,
    )
    .expect("run");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains("192.168.3.128") && text.contains("router needed"),
        "{text}"
    );
}

fn two_hosts_on_one_network_talk_directly() {
    let v = ours(&["192.168.3.125/25", "192.168.3.100"], None);
    assert_eq!(v["SAMENETWORK"], Value::Bool(true));
    assert_eq!(v["ROUTER"], Value::Bool(false));
    assert!(s(&v["VERDICT"]).contains("switch"));
    // Mismatched masks: one side thinks the other is local, the other does not.
    let v = ours(&["10.0.0.1/16", "10.0.1.5/24"], None);
    assert_eq!(v["HOST1SEESHOST2"], Value::Bool(true));
    assert_eq!(v["HOST2SEESHOST1"], Value::Bool(false));
    assert!(s(&v["VERDICT"]).contains("mask mismatch"));
}

fn bad_input_says_what_and_where() {
    assert_eq!(
        err_of(&["192.168.3.300/25"]),
        "192.168.3.300/25: 300 is not an octet (0-255)"
    );
    assert_eq!(
        err_of(&["192.168.3.125/33"]),
        "/33: an IPv4 prefix is at most 32"
    );
    assert_eq!(
        err_of(&["2001:db8::/129"]),
        "/129: an IPv6 prefix is at most 128"
    );
    assert!(err_of(&["192.168.3.125/255.0.255.0"]).contains("not contiguous"));
    assert!(err_of(&["192.168.3.125", "255.0.255.0"]).contains("255.0.255.0: not a netmask"));
    assert!(err_of(&["1.2.3/24"]).contains("four octets"));
    assert!(err_of(&["1.2.3.x"]).contains("x is not an octet"));
    assert!(err_of(&["2001:db8::zz/64"]).contains("not an IPv6 address"));
    assert!(err_of(&["10.0.0.20-10.0.0.5"]).contains("starts after it ends"));
    assert!(err_of(&["10.0.0.1/x"]).contains("not a prefix length"));
    assert!(err_of(&["10.0.0.5-"]).contains("both ends"));
    assert!(err_of(&["10.0.0.1/24", "2001:db8::1"]).contains("IPv4 and an IPv6"));
    for msg in [err_of(&["192.168.3.300/25"]), err_of(&["1.2.3.4/99"])] {
        assert!(!msg.contains('\n'), "more than one line: {msg}");
    }
    let mut args = Query::from_inputs(&["192.168.3.0/25"]);
    args.split = Some("24".into());
    assert!(matches!(analyze(&args), Err(SubnetError::Input(m)) if m.contains("longer prefix")));
    let mut args = Query::from_inputs(&["192.168.3.0/26"]);
    args.hosts = Some("50,20,10".into());
    assert!(
        matches!(analyze(&args), Err(SubnetError::Input(m)) if m.contains("needs 112 addresses"))
    );
}

fn input_forms() {
    let slash = ours(&["192.168.3.125/25"], None);
    assert_eq!(ours(&["192.168.3.125/255.255.255.128"], None), slash);
    assert_eq!(ours(&["192.168.3.125", "255.255.255.128"], None), slash);
    let bare = ours(&["10.1.2.3"], None);
    assert_eq!(s(&bare["PREFIX"]), "8");
    assert!(s(&bare["NOTE"]).contains("class A"));
    let d = ours(&["224.1.2.3"], None);
    assert_eq!(s(&d["PREFIX"]), "32");
    let v6 = ours(&["2001:db8::1"], None);
    assert_eq!(s(&v6["PREFIX"]), "128");
}

fn point_to_point_and_single_host() {
    let p2p = ours(&["10.0.0.0/31"], None);
    assert_eq!(s(&p2p["ADDRESSES"]), "2");
    assert_eq!(s(&p2p["TOTAL"]), "2");
    assert_eq!(s(&p2p["MINADDR"]), "10.0.0.0");
    assert_eq!(s(&p2p["MAXADDR"]), "10.0.0.1");
    assert!(s(&p2p["NOTE"]).contains("RFC 3021"));
    let host = ours(&["10.0.0.7/32"], None);
    assert_eq!(s(&host["ADDRESSES"]), "1");
    assert_eq!(s(&host["MINADDR"]), "10.0.0.7");
}

/// The table says "(1 usable host)" for a /32 and "(2 usable hosts)" for a /31 or a /30.
fn host_counts_agree_with_their_nouns() {
    for (input, want) in [
        ("10.0.0.7/32", "1 (1 usable host)"),
        ("10.0.0.0/31", "2 (2 usable hosts)"),
        ("10.0.0.0/30", "4 (2 usable hosts)"),
    ] {
        let text = inspect_ok(["subnet", input]);
        let row = text
            .lines()
            .find(|l| l.contains("Addresses"))
            .unwrap_or_else(|| panic!("{input}: no Addresses row in\n{text}"));
        assert!(row.contains(&format!(" {want} ")), "{input}: {row}");
    }
}

fn ipv6_types() {
    for (input, kind) in [
        ("2606:4700::1111/64", "global-unicast"),
        ("fd00::1/64", "unique-local"),
        ("fe80::1/64", "link-local"),
        ("ff02::1/128", "multicast"),
        ("::1/128", "loopback"),
        ("::ffff:192.0.2.1/128", "ipv4-mapped"),
        ("2001:db8::1/64", "documentation"),
    ] {
        assert_eq!(s(&ours(&[input], None)["ADDRKIND"]), kind, "{input}");
    }
}

fn ipv4_address_spaces() {
    for (input, kind) in [
        ("10.1.2.3/8", "private"),
        ("172.16.0.1/12", "private"),
        ("192.168.1.1/24", "private"),
        ("127.0.0.1/8", "loopback"),
        ("169.254.1.1/16", "link-local"),
        ("100.64.0.1/10", "shared"),
        ("224.0.0.1/24", "multicast"),
        ("198.51.100.1/24", "documentation"),
        ("240.0.0.1/8", "reserved"),
        ("8.8.8.8/24", "public"),
    ] {
        assert_eq!(s(&ours(&[input], None)["ADDRKIND"]), kind, "{input}");
    }
}

fn split_lists_hosts_and_broadcasts() {
    let v = ours(&["192.168.3.125/25"], Some("27"));
    let subnets = v["SUBNETS"].as_array().expect("subnets");
    assert_eq!(subnets.len(), 4);
    assert_eq!(s(&subnets[1]["CIDR"]), "192.168.3.32/27");
    assert_eq!(s(&subnets[1]["MINADDR"]), "192.168.3.33");
    assert_eq!(s(&subnets[1]["MAXADDR"]), "192.168.3.62");
    assert_eq!(s(&subnets[1]["BROADCAST"]), "192.168.3.63");
}

fn vlsm_carves_largest_first() {
    let mut args = Query::from_inputs(&["192.168.3.0/24"]);
    args.hosts = Some("10,50,20".into());
    let v = serde_json::to_value(analyze(&args).expect("vlsm")).expect("json");
    let rows = v["VLSM"].as_array().expect("rows");
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (s(&r["HOSTS"]), s(&r["CIDR"])))
        .collect();
    assert_eq!(
        got,
        vec![
            ("50", "192.168.3.0/26"),
            ("20", "192.168.3.64/27"),
            ("10", "192.168.3.96/28")
        ]
    );
    assert_eq!(
        v["UNUSED"],
        serde_json::json!(["192.168.3.112/28", "192.168.3.128/25"])
    );
}

fn summarization() {
    let mut args = Query::from_inputs(&["192.168.0.0/24", "192.168.1.0/24"]);
    args.summarize = true;
    let v = serde_json::to_value(analyze(&args).expect("summary")).expect("json");
    assert_eq!(v["SUMMARY"], serde_json::json!(["192.168.0.0/23"]));
    // Three or more networks are summarized without asking.
    let v = ours(
        &["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"],
        None,
    );
    assert_eq!(v["SUMMARY"], serde_json::json!(["10.0.0.0/22"]));
    assert_eq!(s(&v["SUPERNETEXTRA"]), "0");
    let v = ours(&["10.0.0.0/24", "10.0.1.0/24", "10.0.3.0/24"], None);
    assert_eq!(
        v["SUMMARY"],
        serde_json::json!(["10.0.0.0/23", "10.0.3.0/24"])
    );
    assert_eq!(s(&v["SUPERNET"]), "10.0.0.0/22");
    assert_eq!(s(&v["SUPERNETEXTRA"]), "256");
}

fn table_and_json_output() {
    let mut out = Vec::new();
    run(
        &Query::from_inputs(&["192.168.3.125/25"]),
        false,
        &mut out,
    )
    .expect("run");
    let text = String::from_utf8(out).expect("utf-8");
    for needle in [
        "255.255.255.128 = /25 = 0xFFFFFF80",
        "0.0.0.127",
        "192.168.3.127",
        "Private Use",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    let mut out = Vec::new();
    run(
        &Query::from_inputs(&["192.168.3.125/25"]),
        true,
        &mut out,
    )
    .expect("run");
    let v: Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(s(&v["NETWORK"]), "192.168.3.0");
    assert_eq!(s(&v["WILDCARD"]), "0.0.0.127");
    assert_eq!(s(&v["CLASS"]), "C");
}
