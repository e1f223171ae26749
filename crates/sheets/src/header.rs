//! Finding the header row and the columns by their text.
//!
//! Users decorate headers: "*调整后基数(元)", "调整后基数（元）", " 证件号码 ", "个人账号\n(必填)".
//! A header cell matches a column when its *key* equals the key of the column's name or of
//! one of its aliases. The key is the text after NFKC (full-width → half-width, so "（元）"
//! becomes "(元)"), with whitespace, zero-width characters and `*` removed and a trailing
//! "(元)" or "(必填)" dropped.

use unicode_normalization::UnicodeNormalization;

/// One column an importer knows about.
#[derive(Debug)]
pub(crate) struct ColumnSpec {
    /// The canonical header (the `gjj_domain` column constant); also the `Issue::column`.
    pub name: &'static str,
    /// Other spellings seen in real templates (REFERENCE §A, §F1).
    pub aliases: &'static [&'static str],
    /// Whether a file without this column is refused ([`Code::ColumnMissing`]).
    ///
    /// [`Code::ColumnMissing`]: gjj_domain::issue::Code::ColumnMissing
    pub required: bool,
}

/// Header keys for a set of columns, computed once per import.
pub(crate) struct HeaderMatcher {
    keys: Vec<(usize, String)>,
}

impl HeaderMatcher {
    pub(crate) fn new(columns: &[ColumnSpec]) -> Self {
        let mut keys = Vec::new();
        for (i, c) in columns.iter().enumerate() {
            keys.push((i, header_key(c.name)));
            for a in c.aliases {
                keys.push((i, header_key(a)));
            }
        }
        HeaderMatcher { keys }
    }

    /// The column index whose name or alias matches `cell_text`, if any.
    pub(crate) fn column_of(&self, cell_text: &str) -> Option<usize> {
        let key = header_key(cell_text);
        if key.is_empty() {
            return None;
        }
        self.keys.iter().find(|(_, k)| *k == key).map(|(i, _)| *i)
    }
}

/// The comparison key of a header text (see the module docs).
pub(crate) fn header_key(s: &str) -> String {
    let mut key: String = s
        .nfkc()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c) && *c != '*' && *c != '※')
        .collect();
    for suffix in ["(元)", "(必填)", "(选填)", ":"] {
        if let Some(stripped) = key.strip_suffix(suffix) {
            key.truncate(stripped.len());
        }
    }
    key
}

/// Zero-width and formatting characters that survive NFKC.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorated_headers_match() {
        let base = header_key("调整后基数（元）");
        for s in [
            "调整后基数(元)",
            "*调整后基数（元）",
            " 调整后基数 （元） ",
            "调整后基数",
            "＊调整后基数(元)\n",
        ] {
            assert_eq!(header_key(s), base, "{s:?}");
        }
        assert_eq!(header_key("\u{200B}证件号码\u{00A0}"), "证件号码");
        assert_eq!(header_key("* 生效年月"), "生效年月");
        assert_ne!(header_key("调整前基数（元）"), base);
    }

    #[test]
    fn matcher_uses_aliases() {
        const COLS: &[ColumnSpec] = &[
            ColumnSpec {
                name: "个人账号",
                aliases: &["个人客户号"],
                required: true,
            },
            ColumnSpec {
                name: "姓名",
                aliases: &["职工姓名"],
                required: true,
            },
        ];
        let m = HeaderMatcher::new(COLS);
        assert_eq!(m.column_of("*个人客户号"), Some(0));
        assert_eq!(m.column_of("职工姓名"), Some(1));
        assert_eq!(m.column_of("联系电话"), None);
        assert_eq!(m.column_of("   "), None);
    }
}
