//! The README's examples are real: every `console` block of README.md is a list of `$ inspect
//! ...` commands, each followed by what it prints, and this test runs each one and compares. A
//! line `...` in an example stands for any number of lines. `INSPECT_BLESS_README=1` writes each
//! command's whole output into the README instead, for examples without `...` (trim them by hand
//! with `...` afterwards).

use crate::support::{inspect, root, Test};

pub fn tests() -> Vec<Test> {
    vec![trial!(readme_examples_are_what_the_binary_prints), trial!(the_example_reader_elides_and_splits_as_documented)]
}

/// One example: the command's words after `inspect`, and the lines the README shows for it.
struct Example {
    command: String,
    args: Vec<String>,
    expected: Vec<String>,
    /// Where its expected lines are in the README (line numbers, end excluded).
    lines: std::ops::Range<usize>,
}

/// The words of a command line, split as a shell would for the simple quoting the README uses.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The examples of every `console` block.
fn examples(readme: &str) -> Vec<Example> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut in_console = false;
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.starts_with("```") {
            in_console = !in_console && l.trim() == "```console";
            i += 1;
            continue;
        }
        if let (true, Some(cmd)) = (in_console, l.strip_prefix("$ ")) {
            let w = words(cmd);
            assert_eq!(w.first().map(String::as_str), Some("inspect"), "README line {}: a console example runs inspect: {l}", i + 1);
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && !lines[end].starts_with("$ ") && !lines[end].starts_with("```") {
                end += 1;
            }
            out.push(Example {
                command: cmd.to_string(),
                args: w[1..].to_vec(),
                expected: lines[start..end].iter().map(|s| s.to_string()).collect(),
                lines: start..end,
            });
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// Whether `actual` is `expected`, where an expected line `...` stands for any number of lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => (0..=actual.len()).any(|k| matches(rest, &actual[k..])),
        Some((e, rest)) => actual.split_first().is_some_and(|(a, more)| a == e && matches(rest, more)),
    }
}

fn readme_examples_are_what_the_binary_prints() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let examples = examples(&readme);
    assert!(examples.len() >= 8, "only {} console examples in the README", examples.len());
    let bless = std::env::var_os("INSPECT_BLESS_README").is_some();
    let mut lines: Vec<String> = readme.lines().map(str::to_string).collect();
    let mut failures = Vec::new();
    // From the last example up, so that blessing one does not move the lines of the others.
    for ex in examples.iter().rev() {
        let run = inspect(&ex.args);
        let mut text = run.stdout.clone();
        text.push_str(&run.stderr);
        let actual: Vec<&str> = text.lines().collect();
        if matches(&ex.expected, &actual) {
            continue;
        }
        if bless && !ex.expected.iter().any(|l| l == "...") {
            lines.splice(ex.lines.clone(), actual.iter().map(|s| s.to_string()));
            continue;
        }
        failures.push(format!("$ {}\n--- the README shows:\n{}\n--- the binary prints:\n{}", ex.command, ex.expected.join("\n"), text));
    }
    if bless {
        std::fs::write(&path, lines.join("\n") + "\n").expect("write README.md");
    }
    assert!(failures.is_empty(), "README examples that drifted:\n{}", failures.join("\n\n"));
}

/// The comparison the README test relies on: `...` takes any number of lines, nothing else does,
/// and quoted words stay whole.
fn the_example_reader_elides_and_splits_as_documented() {
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(matches(&v(&["a", "...", "c"]), &["a", "b", "b", "c"]));
    assert!(matches(&v(&["a", "...", "c"]), &["a", "c"]));
    assert!(matches(&v(&["a", "..."]), &["a"]));
    assert!(!matches(&v(&["a", "c"]), &["a", "b", "c"]));
    assert!(!matches(&v(&["a", "...", "c"]), &["a", "b"]));
    assert_eq!(words("inspect read -f 'tcp port 80' x.pcap"), v(&["inspect", "read", "-f", "tcp port 80", "x.pcap"]));
    assert_eq!(words("inspect  subnet \"\" 10.0.0.0/8"), v(&["inspect", "subnet", "", "10.0.0.0/8"]));
}
