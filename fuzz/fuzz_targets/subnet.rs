//! The subnet calculator's parser and arithmetic from fuzz input: the text is split into words;
//! the first byte says whether the first word is a `--split` prefix or `--hosts` list, and whether
//! the networks are summarized; the answer is rendered as a table and as JSON.

#![no_main]

use inspect::subnet::{run, Query};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let mut words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    let mut q = Query::default();
    if mode & 1 != 0 && !words.is_empty() {
        q.split = Some(words.remove(0));
    } else if mode & 2 != 0 && !words.is_empty() {
        q.hosts = Some(words.remove(0));
    }
    q.summarize = mode & 4 != 0;
    if words.is_empty() {
        return;
    }
    // `--split` lists up to 65,536 subnets by design: 32,768 rows, text and JSON, take 0.3 s in
    // a release build but over the 10 s timeout under ASan beside other work. Longer listings
    // repeat the same arithmetic, so inputs that ask for more than 4,096 rows are left out and
    // the timeout keeps its meaning: a hang.
    let prefix = |w: &str| w.trim_start_matches('/').parse::<u32>().ok();
    if let Some(split) = q.split.as_deref().and_then(prefix) {
        // A bare address counts as the shortest prefix it could stand for.
        let given = |w: &String| w.rsplit_once('/').map_or(Some(0), |(_, p)| prefix(p));
        if words.iter().any(|w| given(w).is_some_and(|p| split.saturating_sub(p) > 12)) {
            return;
        }
    }
    q.inputs = words;
    let mut out = Vec::new();
    let _ = run(&q, false, &mut out);
    let _ = run(&q, true, &mut out);
});
