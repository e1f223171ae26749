//! The issues of the sheet being fixed, held compactly: a checked sheet with a problem on each of 100,000 rows
//! must not cost the window's process 100,000 × (a struct, a column `String`, a message `String`).
//!
//! Each issue is 16 bytes (row, column index, code, message span); column titles are stored once; messages live
//! in one text arena, and a message repeated word for word (the same limit broken the same way on many rows) is
//! stored once. An [`Issue`] is rebuilt when a page is shown or the list exported.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use gjj_domain::issue::{Code, Issue};
use serde::ser::{Serialize, Serializer};

/// 12 B: a message is found by where it starts in the arena (it ends where the next one starts).
#[derive(Clone, Copy)]
struct Item {
    row: u32,
    start: u32,
    column: u16,
    code: Code,
}

/// Every issue of a check, sheet-level first, then by row (each row's in the order found). Serialises as the
/// list of its issues.
#[derive(Default)]
pub struct IssueList {
    columns: Vec<Box<str>>,
    text: String,
    /// Where each message starts in `text`, in order (one per distinct message).
    starts: Vec<u32>,
    items: Vec<Item>,
    /// While filling: message hash → its span in the arena (a collision is checked against the text and just not
    /// shared).
    seen: HashMap<u64, u32>,
    hasher: RandomState,
}

impl IssueList {
    /// Takes issues as a check finds them (the import hands them over every `DRAIN_AT`), so a sheet with a
    /// problem on every row never holds them all as `Issue`s; [`finish`](Self::finish) when the check is done.
    pub(crate) fn extend(&mut self, issues: impl IntoIterator<Item = Issue>) {
        for issue in issues {
            self.push(issue);
        }
    }

    fn push(&mut self, issue: Issue) {
        let column = match self.columns.iter().position(|c| **c == *issue.column) {
            Some(c) => c,
            None => {
                self.columns.push(issue.column.into_boxed_str());
                self.columns.len() - 1
            }
        };
        let hash = self.hasher.hash_one(issue.message.as_str());
        let start = match self.seen.get(&hash) {
            // No text: a start no message has reads back as "".
            _ if issue.message.is_empty() => u32::MAX,
            Some(&start) if self.message(start) == issue.message => start,
            _ => {
                let start = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
                self.text.push_str(&issue.message);
                self.starts.push(start);
                self.seen.insert(hash, start);
                start
            }
        };
        self.items.push(Item {
            row: issue.row,
            start,
            column: u16::try_from(column).unwrap_or(u16::MAX),
            code: issue.code,
        });
    }

    /// Puts the issues in row order (stable: a row's keep the order found; sheet-level, row 0, first) and gives
    /// back what filling left unused.
    pub(crate) fn finish(&mut self) {
        self.items.sort_by_key(|i| i.row);
        self.items.shrink_to_fit();
        self.text.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.seen = HashMap::new();
    }

    /// Data rows with at least one issue.
    pub(crate) fn rows_with_issues(&self) -> usize {
        let mut rows = 0;
        let mut last = 0;
        for i in &self.items {
            if i.row > 0 && i.row != last {
                rows += 1;
                last = i.row;
            }
        }
        rows
    }

    /// Bytes held on the heap (the import's log line).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.columns.iter().map(|c| c.len()).sum::<usize>()
            + self.columns.capacity() * size_of::<Box<str>>()
            + self.text.capacity()
            + self.starts.capacity() * size_of::<u32>()
            + self.items.capacity() * size_of::<Item>()
            + self.seen.capacity() * size_of::<(u64, u32)>()
    }

    /// The message starting at `start`: up to the next one.
    fn message(&self, start: u32) -> &str {
        let end = match self.starts.binary_search(&start) {
            Ok(i) => self.starts.get(i + 1).map_or(self.text.len(), |&e| e as usize),
            Err(_) => return "",
        };
        self.text.get(start as usize..end).unwrap_or_default()
    }

    fn issue(&self, item: &Item) -> Issue {
        Issue {
            row: item.row,
            column: self
                .columns
                .get(usize::from(item.column))
                .map(|c| c.to_string())
                .unwrap_or_default(),
            code: item.code,
            message: self.message(item.start).to_owned(),
        }
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// None at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Each issue in order, rebuilt one at a time (to print or write them without holding them all).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Issue> + '_ {
        self.items.iter().map(|i| self.issue(i))
    }

    /// Issues `offset..offset + limit`.
    pub(crate) fn page(&self, offset: usize, limit: usize) -> Vec<Issue> {
        self.items
            .iter()
            .skip(offset)
            .take(limit)
            .map(|i| self.issue(i))
            .collect()
    }

    /// The issues of Excel row `row` (rows are in order after the sheet-level ones).
    pub(crate) fn of_row(&self, row: u32) -> impl Iterator<Item = Issue> + '_ {
        let first = self.items.partition_point(|i| i.row < row);
        self.items[first..]
            .iter()
            .take_while(move |i| i.row == row)
            .map(|i| self.issue(i))
    }
}

impl FromIterator<Issue> for IssueList {
    fn from_iter<I: IntoIterator<Item = Issue>>(issues: I) -> Self {
        let mut list = IssueList::default();
        list.extend(issues);
        list.finish();
        list
    }
}

impl Serialize for IssueList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_come_back_as_they_went_in_with_repeated_messages_stored_once() {
        let mut issues = vec![Issue::sheet(Code::NoRows, "整表问题")];
        for row in 5..1005 {
            // A message with no text, between two with: it takes no room and the others keep theirs.
            if row == 7 {
                issues.push(Issue::new(row, "姓名", Code::BaseAboveMax, ""));
            }
            issues.push(Issue::new(
                row,
                "调整后基数",
                Code::BaseAboveMax,
                "超出上限 21142 元",
            ));
            if row % 2 == 0 {
                issues.push(Issue::new(
                    row,
                    "证件号码",
                    Code::IdNumberChecksum,
                    format!("第 {row} 行校验位"),
                ));
            }
        }
        let list: IssueList = issues.iter().cloned().collect();
        assert_eq!(list.len(), issues.len());
        assert_eq!(list.iter().collect::<Vec<_>>(), issues);
        assert_eq!(
            serde_json::to_value(&list).ok(),
            serde_json::to_value(&issues).ok()
        );
        assert_eq!(list.page(1, 2), issues[1..3].to_vec());
        assert_eq!(list.of_row(6).count(), 2);
        assert_eq!(list.of_row(0).next(), Some(issues[0].clone()));
        assert_eq!(list.of_row(2000).count(), 0);
        // One copy of the repeated message, one per distinct one.
        let distinct: usize = "整表问题".len() + "超出上限 21142 元".len();
        assert!(
            list.text.len() < distinct + 500 * "第 1000 行校验位".len(),
            "{}",
            list.text.len()
        );
        assert_eq!(list.columns.len(), 4);
        assert_eq!(list.rows_with_issues(), 1000);
        assert_eq!(size_of::<Item>(), 12);
    }

    #[test]
    fn issues_taken_in_chunks_are_in_row_order_like_a_whole_list_sorted_stably() {
        // As a check finds them: rows in order, then the sheet-wide rules (duplicates, row 0) at the end.
        let mut found: Vec<Issue> = (5..3005)
            .map(|row| Issue::new(row, "调整后基数", Code::BaseAboveMax, "超出上限"))
            .collect();
        found.push(Issue::new(
            7,
            "证件号码",
            Code::DuplicateIdNumber,
            "与第 9 行重复",
        ));
        found.push(Issue::sheet(Code::NoRows, "整表问题"));
        let mut list = IssueList::default();
        for chunk in found.chunks(1024) {
            list.extend(chunk.to_vec());
        }
        list.finish();
        let mut sorted = found.clone();
        sorted.sort_by_key(|i| i.row);
        assert_eq!(list.iter().collect::<Vec<_>>(), sorted);
        assert_eq!(list.of_row(7).count(), 2);
        assert_eq!(list.rows_with_issues(), 3000);
        assert!(list.seen.is_empty(), "the fill's table goes at finish");
    }
}
