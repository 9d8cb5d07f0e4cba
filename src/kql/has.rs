//! Kusto's `has` / `has_any`: term-aligned, ASCII case-insensitive substring tests.
//!
//! Kusto splits strings into terms, maximal runs of ASCII letters and digits. A right-hand side
//! must line up with term boundaries wherever it begins or ends with a letter or digit, and may
//! straddle separators in between (`"-D "`, `"tor.exe"`). Case folding is ASCII only: Kusto keeps
//! the Kelvin sign apart from `k`, which a Unicode-folding regex would not. See
//! `kql-semantics.md` for the full rule and its examples.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Where a `has` term matched: which term (index into the list) and the byte offset in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HasMatch {
    pub term: usize,
    pub offset: usize,
}

/// True when `text[start..end]` is term-aligned for a right-hand side whose first/last
/// characters are (or are not) ASCII alphanumerics.
fn aligned(text: &[u8], start: usize, end: usize, rhs: &[u8]) -> bool {
    let first_alnum = rhs.first().is_some_and(u8::is_ascii_alphanumeric);
    let last_alnum = rhs.last().is_some_and(u8::is_ascii_alphanumeric);
    let left_ok = !first_alnum || start == 0 || !text[start - 1].is_ascii_alphanumeric();
    let right_ok = !last_alnum || end == text.len() || !text[end].is_ascii_alphanumeric();
    left_ok && right_ok
}

/// `text has rhs`, returning the first term-aligned occurrence's byte offset.
pub fn has_at(text: &str, rhs: &str) -> Option<usize> {
    let (t, r) = (text.as_bytes(), rhs.as_bytes());
    if r.is_empty() || r.len() > t.len() {
        return None;
    }
    (0..=t.len() - r.len())
        .find(|&i| t[i..i + r.len()].eq_ignore_ascii_case(r) && aligned(t, i, i + r.len(), r))
}

/// `text has rhs`.
pub fn has(text: &str, rhs: &str) -> bool {
    has_at(text, rhs).is_some()
}

/// A compiled `has_any (t1, t2, ...)`: one automaton for the whole list, built once per run.
#[derive(Debug, Clone)]
pub struct HasAny {
    terms: Vec<String>,
    automaton: AhoCorasick,
}

impl HasAny {
    pub fn new<S: AsRef<str>>(terms: &[S]) -> Self {
        // An empty right-hand side never matches a term, so it is left out of the automaton.
        let terms: Vec<String> = terms
            .iter()
            .map(|t| t.as_ref().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&terms)
            .expect("a has_any list of plain strings always compiles");
        Self { terms, automaton }
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The earliest term-aligned match of any term (ties: the term listed first).
    pub fn first_match(&self, text: &str) -> Option<HasMatch> {
        if !self.automaton.is_match(text) {
            return None;
        }
        let bytes = text.as_bytes();
        let mut best: Option<HasMatch> = None;
        for m in self.automaton.find_overlapping_iter(text) {
            let term = m.pattern().as_usize();
            if !aligned(bytes, m.start(), m.end(), self.terms[term].as_bytes()) {
                continue;
            }
            let better = match best {
                None => true,
                Some(b) => (m.start(), term) < (b.offset, b.term),
            };
            if better {
                best = Some(HasMatch {
                    term,
                    offset: m.start(),
                });
            }
        }
        best
    }

    pub fn is_match(&self, text: &str) -> bool {
        // Most texts hold no term at all: the plain search skips ahead with its prefilter,
        // where the overlapping walk (needed to test every occurrence's alignment) cannot.
        if !self.automaton.is_match(text) {
            return false;
        }
        let bytes = text.as_bytes();
        self.automaton.find_overlapping_iter(text).any(|m| {
            aligned(
                bytes,
                m.start(),
                m.end(),
                self.terms[m.pattern().as_usize()].as_bytes(),
            )
        })
    }
}

/// `text in~ (a, b, ...)`: whole-string equality, ASCII case-insensitive.
pub fn in_ci<S: AsRef<str>>(text: &str, list: &[S]) -> Option<usize> {
    list.iter()
        .position(|s| s.as_ref().eq_ignore_ascii_case(text))
}
