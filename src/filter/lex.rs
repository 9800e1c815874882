//! The tokens of both filter languages, cut with nom: words (field names, keywords, numbers,
//! addresses, ranges), quoted strings, and operators. Each token keeps its byte range so that
//! an error can point at it.

use nom::branch::alt;
use nom::bytes::complete::take_while1;
use nom::character::complete::{char, multispace0, none_of};
use nom::combinator::{map, value};
use nom::multi::many0;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

use super::FilterError;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub enum T<'a> {
    /// A run of word characters: a name, a keyword, a number, an address, a range.
    Word(&'a str),
    /// A quoted string, escapes resolved (display filters).
    Str(String),
    /// An operator or punctuation, as written.
    Op(&'static str),
}

/// A token and its byte range in the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Tok<'a> {
    pub t: T<'a>,
    pub at: (usize, usize),
}

/// Which language is cut: the two differ in what a word holds and which operators exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Wireshark's display filters.
    Display,
    /// tcpdump's expressions.
    Capture,
}

fn word_char(_lang: Lang) -> impl Fn(char) -> bool {
    move |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '_' | '.' | ':' | '-')
            || c == '/'
    }
}

/// Operators longest first, so that `==` is not read as `=` twice.
const DISPLAY_OPS: [&str; 18] = ["===", "==", "!==", "!=", "~=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "{", "}", ",", "="];
const CAPTURE_OPS: [&str; 23] =
    ["==", "!=", "<=", ">=", "<<", ">>", "&&", "||", "<", ">", "!", "(", ")", "[", "]", "&", "|", "+", "-", "*", "/", "%", "="];

fn op(lang: Lang) -> impl Fn(&str) -> IResult<&str, &'static str> {
    move |i: &str| {
        let ops: &[&'static str] = if lang == Lang::Display { &DISPLAY_OPS } else { &CAPTURE_OPS };
        for o in ops {
            if let Some(rest) = i.strip_prefix(o) {
                return Ok((rest, *o));
            }
        }
        Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Tag)))
    }
}

/// A double-quoted string with C-like escapes (`\"`, `\\`, `\n`, `\t`, `\xHH`).
fn quoted(i: &str) -> IResult<&str, String> {
    let escape = preceded(
        char('\\'),
        alt((
            value('"', char('"')),
            value('\\', char('\\')),
            value('\n', char('n')),
            value('\t', char('t')),
            value('\r', char('r')),
            map(preceded(char('x'), take_while1(|c: char| c.is_ascii_hexdigit())), |h: &str| {
                u8::from_str_radix(h.get(..2).unwrap_or(h), 16).map_or('?', char::from)
            }),
        )),
    );
    map(delimited(char('"'), many0(alt((escape, none_of("\\\"")))), char('"')), |cs: Vec<char>| cs.into_iter().collect())
        .parse(i)
}

/// Most operators and opening brackets a filter may hold. Parsing, matching and compiling
/// recurse once per operator or bracket (a chain `a or b or c` nests as deep as it is long), so
/// this bounds their stack, on any thread; it is far more than a filter that fits the kernel's
/// 4096 instructions holds.
pub const MAX_NESTING: usize = 500;

/// Whether a token makes the tree one level deeper (or the parser recurse once more).
fn nests(t: &T<'_>) -> bool {
    match t {
        T::Op(o) => !matches!(*o, ")" | "]" | "}" | "," | "==" | "===" | "!=" | "!==" | "~=" | "<=" | ">=" | "<" | ">" | "="),
        T::Word(w) => ["and", "or", "not", "xor"].iter().any(|k| w.eq_ignore_ascii_case(k)),
        T::Str(_) => false,
    }
}

/// Cuts `src` into tokens.
pub fn tokens(src: &str, lang: Lang) -> Result<Vec<Tok<'_>>, FilterError> {
    let mut out = Vec::new();
    let mut rest = src;
    let mut nesting = 0;
    loop {
        let (r, _) = multispace0::<&str, nom::error::Error<&str>>(rest).unwrap_or((rest, ""));
        rest = r;
        if rest.is_empty() {
            return Ok(out);
        }
        let start = src.len() - rest.len();
        // A word never starts with `-` or `/`: those are operators there (`len - 14`).
        let starts_word = rest.chars().next().is_some_and(|c| c != '-' && c != '/' && word_char(lang)(c));
        let word = map(take_while1(word_char(lang)).map_opt(|w| starts_word.then_some(w)), T::Word);
        let string = map(quoted, T::Str);
        let res = if lang == Lang::Display {
            alt((string, word, map(op(lang), T::Op))).parse(rest)
        } else {
            alt((word, map(op(lang), T::Op))).parse(rest)
        };
        match res {
            Ok((r, t)) => {
                rest = r;
                let at = (start, src.len() - rest.len());
                nesting += usize::from(nests(&t));
                if nesting > MAX_NESTING {
                    return Err(FilterError::new(src, at, format!("more than {MAX_NESTING} operators and brackets: the filter nests too deep")));
                }
                out.push(Tok { t, at });
            }
            Err(_) => {
                let c = rest.chars().next().unwrap_or(' ');
                let why = if c == '"' { "a string without its closing quote".to_string() } else { format!("unexpected character '{c}'") };
                let end = if c == '"' { src.len() } else { start + c.len_utf8() };
                return Err(FilterError::new(src, (start, end), why));
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn words(src: &str, lang: Lang) -> Vec<String> {
        tokens(src, lang)
            .unwrap()
            .into_iter()
            .map(|t| match t.t {
                T::Word(w) => w.to_string(),
                T::Str(s) => format!("\"{s}\""),
                T::Op(o) => o.to_string(),
            })
            .collect()
    }

    #[test]
    fn display_tokens_keep_addresses_and_operators_apart() {
        assert_eq!(words("tcp.port==80&&!ip.addr in {10.0.0.0/8, 8000..8080}", Lang::Display), [
            "tcp.port", "==", "80", "&&", "!", "ip.addr", "in", "{", "10.0.0.0/8", ",", "8000..8080", "}"
        ]);
        assert_eq!(words(r#"frame contains "a\"b\x41""#, Lang::Display), ["frame", "contains", "\"a\"bA\""]);
        assert_eq!(words("eth.addr != ::1 ~= fe80::1", Lang::Display), ["eth.addr", "!=", "::1", "~=", "fe80::1"]);
    }

    #[test]
    fn capture_tokens_cut_brackets_and_arithmetic() {
        assert_eq!(words("tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", Lang::Capture), [
            "tcp", "[", "tcpflags", "]", "&", "(", "tcp-syn", "|", "tcp-ack", ")", "==", "tcp-syn"
        ]);
        assert_eq!(words("ip[2:2] - 20 >= 0", Lang::Capture), ["ip", "[", "2:2", "]", "-", "20", ">=", "0"]);
    }

    #[test]
    fn nesting_is_bounded_and_points_past_the_limit() {
        let ok = format!("{}tcp{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(tokens(&ok, Lang::Capture).is_ok());
        let deep = format!("{}tcp", "!".repeat(MAX_NESTING + 1));
        let e = tokens(&deep, Lang::Display).unwrap_err();
        assert_eq!(e.at, (MAX_NESTING, MAX_NESTING + 1));
        // Comparisons and closing brackets do not nest; sets hold many values in one level.
        let set = format!("ip.addr in {{{}}}", vec!["10.0.0.1"; 2 * MAX_NESTING].join(", "));
        assert!(tokens(&set, Lang::Display).is_ok());
        let chain = vec!["tcp"; MAX_NESTING + 2].join(" or ");
        assert!(tokens(&chain, Lang::Capture).unwrap_err().why.ends_with("the filter nests too deep"));
    }

    #[test]
    fn errors_point_at_the_character() {
        let e = tokens("tcp.port == 80 @", Lang::Display).unwrap_err();
        assert_eq!(e.at, (15, 16));
        let e = tokens("frame contains \"abc", Lang::Display).unwrap_err();
        assert_eq!((e.at.0, e.why.as_str()), (15, "a string without its closing quote"));
    }
}
