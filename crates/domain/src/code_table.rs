//! Small code tables (封存原因, 启封原因 …) as data: a code, its label and the other spellings
//! people type, with one lenient lookup for a cell.
//!
//! Clerks type the code ("1"), the label ("保留劳动关系停发工资"), or what a drop-down list
//! shows ("1 保留劳动关系停发工资", "1-…", "1、…"); full-width digits and stray blanks are
//! common (REFERENCE §F2 "Codes typed as text labels … or '1' instead of '01' → map both").

use crate::ids::normalize_text;

/// One code of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeEntry {
    /// The code as stored and sent ("1").
    pub code: &'static str,
    /// The label users know.
    pub label: &'static str,
    /// Other labels accepted for this code (spellings seen in real templates).
    pub aliases: &'static [&'static str],
}

/// A code table: what the codes mean and how a cell names one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeTable {
    /// What the table is called ("封存原因"), for messages.
    pub name: &'static str,
    /// The codes in display order.
    pub entries: &'static [CodeEntry],
}

impl CodeTable {
    /// The entry a cell names, or `None`. Accepts the code (leading zeros ignored, so "01" is
    /// "1"), the label or an alias, or "code + separator + label" when both name the same
    /// entry ("1 保留劳动关系停发工资", "1-…", "1.…", "1、…", "1：…"). Code and label that
    /// disagree are refused rather than guessed.
    pub fn find(&self, text: &str) -> Option<&'static CodeEntry> {
        let t = normalize_text(text);
        let t = t.trim();
        if t.is_empty() {
            return None;
        }
        // The template's own drop-down entry ("01 身份证"), what nearly every filled cell holds: the answer
        // of the general reading below, without its splitting and searching (see the test).
        if let Some(e) = self.entries.iter().find(|e| is_dropdown_text(t, e)) {
            return Some(e);
        }
        self.find_general(t)
    }

    /// [`CodeTable::find`] of a normalised, trimmed, non-empty text, without the drop-down shortcut.
    fn find_general(&self, t: &str) -> Option<&'static CodeEntry> {
        if let Some(e) = self.by_code(t).or_else(|| self.by_label(t)) {
            return Some(e);
        }
        // "code<sep>label": split after the leading digits.
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let (code, rest) = t.split_at(digits);
        let label = rest.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, '-' | '.' | ':' | '、' | '。' | '_' | '—' | '－')
        });
        let by_code = self.by_code(code)?;
        let by_label = self.by_label(label.trim())?;
        (by_code == by_label).then_some(by_code)
    }

    /// The entry with this code, `None` if the code is unknown.
    pub fn entry(&self, code: &str) -> Option<&'static CodeEntry> {
        self.entries.iter().find(|e| e.code == code)
    }

    /// "1 保留劳动关系停发工资、2 …", for messages and the template's instructions.
    pub fn describe(&self) -> String {
        self.entries
            .iter()
            .map(|e| format!("{} {}", e.code, e.label))
            .collect::<Vec<_>>()
            .join("、")
    }

    /// Whether [`CodeTable::find`]'s drop-down shortcut answers, for each entry's own drop-down text, what the
    /// general reading would; the first disagreement otherwise. For tests, including those of tables defined
    /// outside this crate (the importer's own drop-downs), which a test here cannot list.
    #[doc(hidden)]
    pub fn dropdown_shortcut_agrees(&self) -> Result<(), String> {
        for e in self.entries {
            let text = format!("{} {}", e.code, e.label);
            let (general, found) = (self.find_general(&text), self.find(&text));
            if general != Some(e) || found != Some(e) {
                return Err(format!(
                    "{} {text:?}: general reading {general:?}, find {found:?}",
                    self.name
                ));
            }
        }
        Ok(())
    }

    fn by_code(&self, t: &str) -> Option<&'static CodeEntry> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let t = t.trim_start_matches('0');
        self.entries.iter().find(|e| e.code.trim_start_matches('0') == t)
    }

    fn by_label(&self, t: &str) -> Option<&'static CodeEntry> {
        self.entries
            .iter()
            .find(|e| e.label == t || e.aliases.contains(&t))
    }
}

/// Whether `t` is exactly "code label", as the template's drop-down writes an entry.
fn is_dropdown_text(t: &str, e: &CodeEntry) -> bool {
    t.len() == e.code.len() + 1 + e.label.len()
        && t.starts_with(e.code)
        && t.as_bytes()[e.code.len()] == b' '
        && t.ends_with(e.label)
}

/// 个人账户状态, JGJ/T 320 附A.6 (REFERENCE §B2; confirmed by several code bases).
pub const PERSON_STATUS: CodeTable = CodeTable {
    name: "个人账户状态",
    entries: &[
        CodeEntry {
            code: "01",
            label: "正常",
            aliases: &[],
        },
        CodeEntry {
            code: "02",
            label: "封存",
            aliases: &[],
        },
        CodeEntry {
            code: "03",
            label: "合并销户",
            aliases: &[],
        },
        CodeEntry {
            code: "04",
            label: "外部转出销户",
            aliases: &[],
        },
        CodeEntry {
            code: "05",
            label: "提取销户",
            aliases: &[],
        },
        CodeEntry {
            code: "06",
            label: "冻结",
            aliases: &[],
        },
        CodeEntry {
            code: "99",
            label: "其他",
            aliases: &[],
        },
    ],
};

/// 个人账户状态 01 正常.
pub const PERSON_NORMAL: &str = "01";
/// 个人账户状态 02 封存.
pub const PERSON_SEALED: &str = "02";

/// "封存" for a stored 个人账户状态 code, the code itself when the table does not know it.
pub fn person_status_label(code: &str) -> &str {
    PERSON_STATUS.entry(code).map_or(code, |e| e.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: CodeTable = CodeTable {
        name: "测试原因",
        entries: &[
            CodeEntry {
                code: "1",
                label: "正常",
                aliases: &[],
            },
            CodeEntry {
                code: "2",
                label: "错误封存",
                aliases: &["错误启封"],
            },
            CodeEntry {
                code: "10",
                label: "其他",
                aliases: &[],
            },
        ],
    };

    fn code(text: &str) -> Option<&'static str> {
        T.find(text).map(|e| e.code)
    }

    #[test]
    fn codes_labels_and_dropdown_forms() {
        for (text, want) in [
            ("1", Some("1")),
            ("01", Some("1")),
            ("１", Some("1")),
            (" 2 ", Some("2")),
            ("10", Some("10")),
            ("正常", Some("1")),
            ("错误封存", Some("2")),
            ("错误启封", Some("2")),
            ("1 正常", Some("1")),
            ("2-错误封存", Some("2")),
            ("2、错误启封", Some("2")),
            ("2：错误封存", Some("2")),
            ("10.其他", Some("10")),
            // Code and label disagree: not guessed.
            ("1 错误封存", None),
            ("3", None),
            ("0", None),
            ("", None),
            ("正常工作", None),
            ("1正常x", None),
        ] {
            assert_eq!(code(text), want, "{text:?}");
        }
    }

    /// The drop-down shortcut answers what the general reading would, for every table of this crate (the
    /// importer's own, gjj-sheets' loan_application drop-downs, are checked in its tests).
    #[test]
    fn dropdown_entries_read_as_the_general_reading_does() {
        let tables = [
            T,
            PERSON_STATUS,
            crate::contributor_registration::ID_TYPES,
            crate::contributor_registration::SEXES,
            crate::project_material::KINDS,
            crate::remittance::METHODS,
            crate::seal::SEAL_REASONS,
            crate::supplementary::REASONS,
            crate::unseal::UNSEAL_REASONS,
        ];
        for table in tables {
            assert_eq!(table.dropdown_shortcut_agrees(), Ok(()));
        }
        // A table where they would not agree is caught: a code that is no number has no general reading.
        let letters = CodeTable {
            name: "字母",
            entries: &[CodeEntry {
                code: "A",
                label: "甲",
                aliases: &[],
            }],
        };
        assert!(letters.dropdown_shortcut_agrees().is_err());
    }

    #[test]
    fn describe_and_entry() {
        assert_eq!(T.describe(), "1 正常、2 错误封存、10 其他");
        assert_eq!(T.entry("2").map(|e| e.label), Some("错误封存"));
        assert_eq!(T.entry("02"), None);
        assert_eq!(person_status_label(PERSON_SEALED), "封存");
        assert_eq!(person_status_label("01"), "正常");
        assert_eq!(person_status_label("77"), "77");
    }
}
