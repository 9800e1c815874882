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
    q.inputs = words;
    let mut out = Vec::new();
    let _ = run(&q, false, &mut out);
    let _ = run(&q, true, &mut out);
});
