//! A workbook described by the fuzzer and written as an .xlsx zip — mostly well-formed, so the input reaches the
//! deep code (shared strings, styles and dates, the header search, each business's row conversion), with the
//! hostile parts chosen too: lying counts, odd references, wrong sheet types, missing or duplicated entries,
//! raw (unescaped) text.

use arbitrary::Arbitrary;

/// The whole workbook.
#[derive(Arbitrary, Debug)]
pub struct Book {
    /// Which business's importer reads it.
    pub business: u8,
    pub sheets: Vec<Sheet>,
    pub strings: Vec<Text>,
    /// `uniqueCount` of the shared strings: the true one or whatever.
    pub unique_count: Option<u64>,
    /// Rich-text runs in shared strings.
    pub rich: bool,
    pub date1904: bool,
    /// Number formats of the cell styles (`s` indexes these): built-in ids, or a custom date format.
    pub formats: Vec<u16>,
    /// Entries (by position) to leave out, one to write twice, one with raw bytes instead.
    pub drop: Vec<u8>,
    pub duplicate: Option<u8>,
    pub replace: Option<(u8, Vec<u8>)>,
}

#[derive(Arbitrary, Debug)]
pub struct Sheet {
    pub name: Text,
    pub kind: SheetKind,
    pub state: u8,
    pub dimension: Option<(u32, u16, u32, u16)>,
    pub rows: Vec<Row>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum SheetKind {
    Worksheet,
    Chartsheet,
    Dialogsheet,
    Macrosheet,
    /// Listed in the workbook, no part behind it.
    Missing,
}

#[derive(Arbitrary, Debug)]
pub struct Row {
    /// An explicit `r` (maybe out of order), else the next row.
    pub r: Option<u32>,
    pub cells: Vec<Cell>,
}

#[derive(Arbitrary, Debug)]
pub struct Cell {
    /// An explicit column (maybe far right or repeated), else the next one.
    pub col: Option<u16>,
    /// A reference that is not a reference at all.
    pub bad_ref: Option<Text>,
    pub style: Option<u8>,
    pub value: Value,
}

#[derive(Arbitrary, Debug)]
pub enum Value {
    /// A column title of some business (`crate::sheets::titles`).
    Title(u8),
    /// `t="s"`: an index into the shared strings (maybe past the end).
    Shared(u32),
    Number(f64),
    /// A number as text, as the file would store it (`1e309`, `-0`, `NaN` …).
    NumberText(Text),
    Bool(u8),
    Error(Text),
    Inline(Text),
    /// `t="str"`: a formula's string result.
    FormulaString(Text),
    /// `t="d"`: an ISO date.
    Date(Text),
    /// An 18-character ID-like text (digits, maybe an X).
    Id(u64, bool),
    /// A 年月 like 202607 (as a number or text).
    Month(u32, bool),
    /// Money in yuan.
    Money(i64, u8),
    Empty,
}

/// Text: from a dictionary of what these sheets hold, or anything.
#[derive(Arbitrary, Debug)]
pub enum Text {
    Dict(u8),
    Free(String),
    /// Written without XML escaping: may break the markup on purpose.
    Raw(String),
}

const DICT: &[&str] = &[
    "例",
    "示例",
    "合计",
    "小计",
    "张三",
    "李四",
    "430405198803150011",
    "43040519880315001X",
    "430000000001",
    "202607",
    "2026-07",
    "2026年7月",
    "3500",
    "3500.00",
    "3,500.00",
    "￥3500",
    "  ",
    "\u{3000}",
    "\u{200B}",
    "\u{FEFF}",
    "男",
    "女",
    "1 身份证",
    "01",
    "#N/A",
    "TRUE",
    "1e309",
    "-0",
    "NaN",
    "",
];

impl Text {
    fn get(&self) -> (String, bool) {
        match self {
            Text::Dict(i) => (DICT[usize::from(*i) % DICT.len()].to_owned(), false),
            Text::Free(s) => (s.clone(), false),
            Text::Raw(s) => (s.clone(), true),
        }
    }

    /// The text for XML content or an attribute (escaped unless raw).
    fn xml(&self) -> String {
        let (s, raw) = self.get();
        if raw {
            s
        } else {
            escape(&s)
        }
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push_str("&#xFFFD;"),
            c => out.push(c),
        }
    }
    out
}

fn column_letters(mut col: u32) -> String {
    let mut out = Vec::new();
    col += 1;
    while col > 0 {
        let rem = (col - 1) % 26;
        out.push(b'A' + rem as u8);
        col = (col - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

impl Book {
    /// The .xlsx bytes.
    pub fn to_xlsx(&self) -> Vec<u8> {
        let titles = crate::sheets::titles();
        let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
        let sheets: Vec<&Sheet> = self.sheets.iter().take(4).collect();

        let mut types = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
        );
        let mut wb = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\"><workbookPr{}/><sheets>",
            if self.date1904 { " date1904=\"1\"" } else { "" }
        );
        let mut rels = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
        );
        for (i, sheet) in sheets.iter().enumerate() {
            let n = i + 1;
            let state = match sheet.state % 3 {
                0 => "",
                1 => " state=\"hidden\"",
                _ => " state=\"veryHidden\"",
            };
            wb.push_str(&format!(
                "<sheet name=\"{}\" sheetId=\"{n}\"{state} r:id=\"rId{n}\"/>",
                sheet.name.xml()
            ));
            let (rel, dir, root, ct) = match sheet.kind {
                SheetKind::Worksheet | SheetKind::Missing => (
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet",
                    "worksheets",
                    "worksheet",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
                ),
                SheetKind::Chartsheet => (
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet",
                    "chartsheets",
                    "chartsheet",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.chartsheet+xml",
                ),
                SheetKind::Dialogsheet => (
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/dialogsheet",
                    "dialogsheets",
                    "dialogsheet",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml",
                ),
                SheetKind::Macrosheet => (
                    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
                    "macrosheets",
                    "xm:macrosheet",
                    "application/vnd.ms-excel.macrosheet+xml",
                ),
            };
            rels.push_str(&format!(
                "<Relationship Id=\"rId{n}\" Type=\"{rel}\" Target=\"{dir}/sheet{n}.xml\"/>"
            ));
            types.push_str(&format!(
                "<Override PartName=\"/xl/{dir}/sheet{n}.xml\" ContentType=\"{ct}\"/>"
            ));
            if matches!(sheet.kind, SheetKind::Missing) {
                continue;
            }
            let mut xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><{root} xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\" xmlns:xm=\"http://schemas.microsoft.com/office/excel/2006/main\">"
            );
            if let Some((r0, c0, r1, c1)) = sheet.dimension {
                xml.push_str(&format!(
                    "<dimension ref=\"{}{}:{}{}\"/>",
                    column_letters(u32::from(c0)),
                    r0,
                    column_letters(u32::from(c1)),
                    r1
                ));
            }
            xml.push_str("<sheetData>");
            let mut next_row = 1u32;
            for row in sheet.rows.iter().take(64) {
                let r = row.r.unwrap_or(next_row);
                next_row = r.saturating_add(1);
                xml.push_str(&format!("<row r=\"{r}\">"));
                let mut next_col = 0u32;
                for cell in row.cells.iter().take(32) {
                    let col = cell.col.map_or(next_col, u32::from);
                    next_col = col.saturating_add(1);
                    let reference = match &cell.bad_ref {
                        Some(t) => t.xml(),
                        None => format!("{}{r}", column_letters(col)),
                    };
                    let style = cell.style.map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
                    let (t, inner) = cell_xml(&cell.value, titles);
                    xml.push_str(&format!("<c r=\"{reference}\"{style}{t}>{inner}</c>"));
                }
                xml.push_str("</row>");
            }
            xml.push_str(&format!("</sheetData></{root}>"));
            entries.push((format!("xl/{dir}/sheet{n}.xml"), xml.into_bytes()));
        }
        wb.push_str("</sheets></workbook>");
        let k = sheets.len() + 1;
        rels.push_str(&format!(
            "<Relationship Id=\"rId{k}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/><Relationship Id=\"rId{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>",
            k + 1
        ));
        types.push_str("<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/><Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/></Types>");

        let strings: Vec<&Text> = self.strings.iter().take(256).collect();
        let count = self.unique_count.unwrap_or(strings.len() as u64);
        let mut sst = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"{MAIN_NS}\" count=\"{count}\" uniqueCount=\"{count}\">"
        );
        for s in strings {
            if self.rich {
                sst.push_str(&format!(
                    "<si><r><rPr><b/></rPr><t>{}</t></r><r><t xml:space=\"preserve\"> </t></r></si>",
                    s.xml()
                ));
            } else {
                sst.push_str(&format!("<si><t>{}</t></si>", s.xml()));
            }
        }
        sst.push_str("</sst>");

        let mut styles = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><styleSheet xmlns=\"{MAIN_NS}\"><numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;\"/></numFmts><cellXfs count=\"{}\"><xf numFmtId=\"0\"/>",
            self.formats.len().min(32) + 1
        );
        for f in self.formats.iter().take(32) {
            styles.push_str(&format!("<xf numFmtId=\"{f}\" applyNumberFormat=\"1\"/>"));
        }
        styles.push_str("</cellXfs></styleSheet>");

        let mut all = vec![
            ("[Content_Types].xml".to_owned(), types.into_bytes()),
            (
                "_rels/.rels".to_owned(),
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>".to_vec(),
            ),
            ("xl/workbook.xml".to_owned(), wb.into_bytes()),
            ("xl/_rels/workbook.xml.rels".to_owned(), rels.into_bytes()),
            ("xl/sharedStrings.xml".to_owned(), sst.into_bytes()),
            ("xl/styles.xml".to_owned(), styles.into_bytes()),
        ];
        all.extend(entries);
        if let Some((i, bytes)) = &self.replace {
            let i = usize::from(*i) % all.len();
            all[i].1.clone_from(bytes);
        }
        if let Some(i) = self.duplicate {
            let i = usize::from(i) % all.len();
            let copy = all[i].clone();
            all.push(copy);
        }
        let dropped: Vec<usize> = self.drop.iter().map(|d| usize::from(*d)).collect();
        let kept: Vec<(String, Vec<u8>)> = all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
            .map(|(_, e)| e)
            .collect();
        zip_stored(&kept)
    }
}

/// The `t` attribute and the content of a cell.
fn cell_xml(value: &Value, titles: &[String]) -> (String, String) {
    let v = |s: &str| format!("<v>{s}</v>");
    match value {
        Value::Title(i) => {
            let t = titles
                .get(usize::from(*i) % titles.len().max(1))
                .cloned()
                .unwrap_or_default();
            (
                " t=\"inlineStr\"".into(),
                format!("<is><t>{}</t></is>", escape(&t)),
            )
        }
        Value::Shared(i) => (" t=\"s\"".into(), v(&i.to_string())),
        Value::Number(n) => (String::new(), v(&n.to_string())),
        Value::NumberText(t) => (String::new(), v(&t.xml())),
        Value::Bool(b) => (" t=\"b\"".into(), v(&b.to_string())),
        Value::Error(t) => (" t=\"e\"".into(), v(&t.xml())),
        Value::Inline(t) => (" t=\"inlineStr\"".into(), format!("<is><t>{}</t></is>", t.xml())),
        Value::FormulaString(t) => (" t=\"str\"".into(), format!("<f>A1</f>{}", v(&t.xml()))),
        Value::Date(t) => (" t=\"d\"".into(), v(&t.xml())),
        Value::Id(n, x) => {
            let mut s = format!("{:017}", n % 100_000_000_000_000_000);
            s.push(if *x {
                'X'
            } else {
                char::from(b'0' + (n % 10) as u8)
            });
            (" t=\"inlineStr\"".into(), format!("<is><t>{s}</t></is>"))
        }
        Value::Month(m, as_text) => {
            let m = format!("{}{:02}", 1990 + m % 60, 1 + (m / 60) % 13);
            if *as_text {
                (" t=\"inlineStr\"".into(), format!("<is><t>{m}</t></is>"))
            } else {
                (String::new(), v(&m))
            }
        }
        Value::Money(yuan, cents) => (String::new(), v(&format!("{}.{:02}", yuan, cents % 100))),
        Value::Empty => (String::new(), String::new()),
    }
}

/// A zip of stored entries (names may repeat).
pub fn zip_stored(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let crc = crc32(data);
        let offset = out.len() as u32;
        let name = name.as_bytes();
        let fields = |buf: &mut Vec<u8>| {
            buf.extend_from_slice(&20u16.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes()); // stored
            buf.extend_from_slice(&[0, 0, 0x21, 0]);
            buf.extend_from_slice(&crc.to_le_bytes());
            buf.extend_from_slice(&(data.len() as u32).to_le_bytes());
            buf.extend_from_slice(&(data.len() as u32).to_le_bytes());
            buf.extend_from_slice(&(name.len() as u16).to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(b"PK\x03\x04");
        fields(&mut out);
        out.extend_from_slice(name);
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes());
        fields(&mut central);
        central.extend_from_slice(&[0; 6]);
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    let mut c = !0u32;
    for &b in data {
        c = table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}
