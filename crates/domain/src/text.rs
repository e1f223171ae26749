//! Text normalisation of one cell or field: the lowest layer of the domain (every business, months and the
//! identifier checks read text through it).

use std::borrow::Cow;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Normalises one cell of text: NFKC (全角→半角, U+3000 and NBSP → space), removes zero-width
/// characters (U+200B–U+200D, U+2060, U+FEFF, soft hyphen, bidi marks), line breaks
/// (Alt+Enter) and other control characters (a tab becomes a space), and trims whitespace.
///
/// Interior spaces are kept as they are: whether "4304 02…" is acceptable is the caller's rule.
///
/// Returns `Cow::Borrowed` (a sub-slice, no allocation) when nothing but trimming is needed,
/// which is the case for plain ASCII and for already-normalised Chinese text. This runs on every
/// cell of 100,000-row sheets.
///
/// NB: NFKC also folds full-width punctuation, so "调整前基数（元）" becomes "调整前基数(元)".
/// Compare normalised text with normalised text (e.g. header cells with the template's titles).
pub fn normalize_text(s: &str) -> Cow<'_, str> {
    // Fast path 1: printable ASCII is NFKC-stable; only surrounding spaces can need removing.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(s.trim_matches(' '));
    }
    let trimmed = s.trim_matches(is_trimmed);
    // Fast path 2: nothing to delete inside and already NFKC (typical Chinese text).
    if !trimmed.chars().any(is_removed) && is_nfkc_quick(trimmed.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(trimmed);
    }
    let out: String = trimmed
        .chars()
        .filter(|&c| !is_removed(c) || c == '\t')
        .map(|c| if c == '\t' { ' ' } else { c })
        .nfkc()
        .collect();
    // NFKC can turn an interior character into a space at what is now an end
    // (e.g. "\u{200B}\u{3000}x"), so trim once more.
    let t = out.trim_matches(is_trimmed);
    if t.len() == out.len() {
        Cow::Owned(out)
    } else {
        Cow::Owned(t.to_owned())
    }
}

/// Characters trimmed from both ends: whitespace (incl. U+3000, NBSP) and invisible characters.
fn is_trimmed(c: char) -> bool {
    c.is_whitespace() || is_removed(c)
}

/// Characters deleted anywhere: zero-width/invisible formatting and control characters.
/// (Tabs are also "removed" here but [`normalize_text`] turns interior ones into spaces.)
fn is_removed(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'
            ..='\u{200F}' // ZWSP, ZWNJ, ZWJ, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line / paragraph separator
            | '\u{2060}' // word joiner
            | '\u{FEFF}' // BOM / ZWNBSP
            | '\u{00AD}' // soft hyphen
    ) || c.is_control()
}
