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
    // Fast path 2: printable ASCII and common Chinese characters only (names, 备注, "01 身份证"): none is
    // removed and all are NFKC-stable, decided without the quick-check tables; of them only the space is
    // trimmed.
    if s.chars().all(is_stable) {
        return Cow::Borrowed(s.trim_matches(' '));
    }
    let trimmed = s.trim_matches(is_trimmed);
    // Fast path 3: nothing to delete inside and already NFKC (other Chinese text).
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

/// Characters NFKC leaves alone (quick check "Yes", combining class 0) and [`normalize_text`] keeps: printable
/// ASCII, the common ideographs ([`is_common_cjk`]), and the middle dot of names (U+00B7).
fn is_stable(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{00B7}') || is_common_cjk(c)
}

/// The CJK Unified Ideographs (U+4E00–U+9FFF) and Extension A (U+3400–U+4DBF): the characters of nearly every
/// Chinese name and text, all of them NFKC-stable (see the test). Shared by the normalisers' fast paths and the
/// 证照号码 check.
pub(crate) fn is_common_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
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

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::char::canonical_combining_class;

    /// The fast path decides exactly as the quick check would.
    #[test]
    fn stable_characters_are_nfkc_stable_and_kept() {
        let stable = (' '..='~')
            .chain('\u{3400}'..='\u{4DBF}')
            .chain('\u{4E00}'..='\u{9FFF}');
        for c in stable.chain(['\u{00B7}']) {
            assert!(is_stable(c));
            assert!(!is_removed(c), "{c:?}");
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
            assert_eq!(is_nfkc_quick(std::iter::once(c)), IsNormalized::Yes, "{c:?}");
        }
        for c in [
            '\u{3000}', '\u{00A0}', '\u{200B}', '\u{FF10}', '\u{F900}', '\u{2022}', '\t', '\u{7F}',
        ] {
            assert!(!is_stable(c), "{c:?}");
        }
        assert!(matches!(
            normalize_text(" 阿依古丽·买买提 "),
            Cow::Borrowed("阿依古丽·买买提")
        ));
        assert!(matches!(normalize_text("李\u{3000}四"), Cow::Owned(s) if s == "李 四"));
    }
}
