//! Kusto's `has` / `has_any`: term-aligned, ASCII case-insensitive substring tests.
//!
//! Kusto splits strings into terms, maximal runs of ASCII letters and digits. A right-hand side
//! must line up with term boundaries wherever it begins or ends with a letter or digit, and may
//! straddle separators in between (`"-D "`, `"tor.exe"`). Case folding is ASCII only: Kusto keeps
//! the Kelvin sign apart from `k`, which a Unicode-folding regex would not. See
//! `kql-semantics.md` for the full rule and its examples.

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, MatchKind, Span};

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

/// Whether `rhs` occurs at byte `start` of `text`, ASCII case aside, term-aligned.
fn occurs_at(text: &[u8], start: usize, rhs: &[u8]) -> bool {
    let end = start + rhs.len();
    end <= text.len()
        && text[start..end].eq_ignore_ascii_case(rhs)
        && aligned(text, start, end, rhs)
}

/// `text has rhs`, returning the first term-aligned occurrence's byte offset.
pub fn has_at(text: &str, rhs: &str) -> Option<usize> {
    let (t, r) = (text.as_bytes(), rhs.as_bytes());
    if r.is_empty() || r.len() > t.len() {
        return None;
    }
    (0..=t.len() - r.len()).find(|&i| occurs_at(t, i, r))
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
    starts: Option<TermStarts>,
}

/// Where a term may begin: each term's first bytes in every ASCII case, found with SIMD
/// (Teddy). A case-insensitive automaton gets no prefilter for lists like query 004's
/// (`"-D "`, `"socks5"`, ...: too many distinct first bytes) and walks every byte; this finds
/// the few places worth a look several times faster. `None` where the CPU has no SIMD for it or
/// the list gives too many variants: the automaton alone then.
#[derive(Debug, Clone)]
struct TermStarts {
    searcher: packed::Searcher,
}

/// How many first bytes of a term the start search looks for: 3 keeps common pairs like `-d`
/// from being candidates everywhere, at 8 case variants a term.
const START_BYTES: usize = 3;

/// Teddy's own limit on patterns.
const MAX_START_VARIANTS: usize = 64;

impl TermStarts {
    fn new(terms: &[String]) -> Option<TermStarts> {
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for term in terms {
            let start = &term.as_bytes()[..term.len().min(START_BYTES)];
            // Each bit of `upper` says whether that byte is upper-cased; bytes without case
            // give the same variant twice, kept once.
            for upper in 0..1u32 << start.len() {
                let variant: Vec<u8> = start
                    .iter()
                    .enumerate()
                    .map(|(i, b)| match upper >> i & 1 {
                        1 => b.to_ascii_uppercase(),
                        _ => b.to_ascii_lowercase(),
                    })
                    .collect();
                if !variants.contains(&variant) {
                    variants.push(variant);
                }
            }
        }
        if variants.len() > MAX_START_VARIANTS {
            return None;
        }
        let searcher = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&variants)
            .build()?;
        Some(TermStarts { searcher })
    }
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
        let starts = TermStarts::new(&terms);
        Self {
            terms,
            automaton,
            starts,
        }
    }

    /// Whether some term is at `start` of `text`, term-aligned.
    fn term_at(&self, text: &[u8], start: usize) -> bool {
        self.terms
            .iter()
            .any(|term| occurs_at(text, start, term.as_bytes()))
    }

    /// Whether the SIMD start search is in use (for the tests).
    pub fn uses_start_search(&self) -> bool {
        self.starts.is_some()
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
        let bytes = text.as_bytes();
        if let Some(starts) = &self.starts {
            // Every place some term's first bytes are, in order (a search resumes one byte
            // after the last find, so that finds that overlap are all seen).
            let mut at = 0;
            while at < bytes.len() {
                let Some(found) = starts.searcher.find_in(bytes, Span::from(at..bytes.len()))
                else {
                    return false;
                };
                if self.term_at(bytes, found.start()) {
                    return true;
                }
                at = found.start() + 1;
            }
            return false;
        }
        // Most texts hold no term at all: the plain search skips ahead with its prefilter,
        // where the overlapping walk (needed to test every occurrence's alignment) cannot.
        if !self.automaton.is_match(text) {
            return false;
        }
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
