//! 补充项目材料 (`project_material`): scanned documents a developer attaches to a project or a building.
//!
//! What is decided here, for client and gateway alike: the 材料类型 code table, which file types are
//! accepted (by CONTENT — the first bytes and, for OFD, the zip's root entry — never by file name), how the
//! original file name is cleaned before it is kept as metadata, the chunk size of a resumable upload, and the
//! wire types of the upload routes. Sizes and digests are computed by the callers (no IO here).

use serde::{Deserialize, Serialize};

use crate::code_table::{CodeEntry, CodeTable};
use crate::issue::{Code, Issue};

/// Bytes per chunk of an upload: 1 MiB. Fixed by the centre and announced in every [`UploadState`], so a
/// resumed upload cuts the file exactly as the first attempt did.
pub const CHUNK_SIZE: u64 = 1024 * 1024;

/// Longest original file name kept (characters); longer names are cut, keeping the extension.
pub const MAX_NAME_CHARS: usize = 120;

/// 材料类型. The codes are our own [I]: REFERENCE §H lists the typical documents (Bijie only numbers the
/// upload *business* types 01/02/14/15, not the documents), so each document gets a two-digit code in the
/// order a centre's checklist names them, and 99 for anything else.
pub const KINDS: CodeTable = CodeTable {
    name: "材料类型",
    entries: &[
        CodeEntry {
            code: "01",
            label: "营业执照",
            aliases: &[],
        },
        CodeEntry {
            code: "02",
            label: "资质证书",
            aliases: &["房地产开发企业资质证书"],
        },
        CodeEntry {
            code: "03",
            label: "建设用地规划许可证",
            aliases: &["用地规划许可证"],
        },
        CodeEntry {
            code: "04",
            label: "国有土地使用证/不动产权证",
            aliases: &["国有土地使用证", "不动产权证", "不动产权证书", "土地使用证"],
        },
        CodeEntry {
            code: "05",
            label: "建设工程规划许可证",
            aliases: &["工程规划许可证"],
        },
        CodeEntry {
            code: "06",
            label: "建筑工程施工许可证",
            aliases: &["施工许可证"],
        },
        CodeEntry {
            code: "07",
            label: "预售许可证",
            aliases: &["商品房预售许可证"],
        },
        CodeEntry {
            code: "08",
            label: "合作协议",
            aliases: &["按揭合作协议"],
        },
        CodeEntry {
            code: "09",
            label: "阶段性担保协议",
            aliases: &["担保协议"],
        },
        CodeEntry {
            code: "10",
            label: "保证金缴存凭证",
            aliases: &["保证金凭证"],
        },
        CodeEntry {
            code: "11",
            label: "楼盘表",
            aliases: &[],
        },
        CodeEntry {
            code: "99",
            label: "其他",
            aliases: &["其它"],
        },
    ],
};

/// A file type the centre accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FileType {
    /// PDF (`%PDF-`).
    Pdf,
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// OFD (GB/T 33190: a zip whose root holds `OFD.xml`).
    Ofd,
}

impl FileType {
    /// The media type the centre answers the content with.
    pub const fn media_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Ofd => "application/ofd",
        }
    }

    /// The stored code (`pdf`, `jpeg`, …), the serde form.
    pub const fn code(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
            FileType::Ofd => "ofd",
        }
    }

    /// Parses [`FileType::code`].
    pub fn parse(code: &str) -> Option<FileType> {
        [FileType::Pdf, FileType::Jpeg, FileType::Png, FileType::Ofd]
            .into_iter()
            .find(|t| t.code() == code)
    }
}

/// The type of a whole file, judged by its content only. An executable (PE `MZ`, ELF, Mach-O, a `#!` script)
/// gets its own code whatever its name says, so the clerk learns the file is not the scan they meant.
pub fn sniff(bytes: &[u8]) -> Result<FileType, Issue> {
    if is_executable(bytes) {
        return Err(Issue::sheet(
            Code::MaterialExecutable,
            "文件内容是可执行程序，不是扫描件，中心拒绝接收（与文件名无关）。请上传材料的 PDF、JPG、PNG 或 OFD 扫描件。",
        ));
    }
    let kind = if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(FileType::Png)
    } else if bytes.starts_with(b"PK\x03\x04") && zip_root_has(bytes, "OFD.xml") {
        Some(FileType::Ofd)
    } else {
        None
    };
    kind.ok_or_else(|| {
        Issue::sheet(
            Code::MaterialTypeUnsupported,
            "文件内容不是 PDF、JPG、PNG 或 OFD 格式（中心按文件内容判断，不看扩展名）。请另存为这几种格式之一后重新上传。",
        )
    })
}

fn is_executable(bytes: &[u8]) -> bool {
    const MACHO: [[u8; 4]; 5] = [
        [0xFE, 0xED, 0xFA, 0xCE],
        [0xFE, 0xED, 0xFA, 0xCF],
        [0xCE, 0xFA, 0xED, 0xFE],
        [0xCF, 0xFA, 0xED, 0xFE],
        [0xCA, 0xFE, 0xBA, 0xBE],
    ];
    bytes.starts_with(b"MZ")
        || bytes.starts_with(b"\x7FELF")
        || bytes.starts_with(b"#!")
        || MACHO.iter().any(|m| bytes.starts_with(m))
}

/// Whether a zip archive's central directory lists `name` at its root (exact, case-sensitive as GB/T 33190
/// spells it). Reads only the end-of-central-directory record and the central directory; never decompresses.
fn zip_root_has(bytes: &[u8], name: &str) -> bool {
    const EOCD: [u8; 4] = [0x50, 0x4B, 0x05, 0x06];
    const CEN: [u8; 4] = [0x50, 0x4B, 0x01, 0x02];
    let u16_at = |i: usize| -> Option<usize> {
        bytes
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |i: usize| -> Option<usize> {
        bytes
            .get(i..i + 4)
            .and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok())
    };
    // The EOCD record is 22 bytes plus a comment of at most 64 KiB at the very end of the file.
    let min = bytes.len().saturating_sub(22 + 0xFFFF);
    let Some(eocd) = (min..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| bytes.get(i..i + 4) == Some(&EOCD[..]))
    else {
        return false;
    };
    let (Some(entries), Some(mut at)) = (u16_at(eocd + 10), u32_at(eocd + 16)) else {
        return false;
    };
    for _ in 0..entries {
        if bytes.get(at..at + 4) != Some(&CEN[..]) {
            return false;
        }
        let (Some(name_len), Some(extra_len), Some(comment_len)) =
            (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32))
        else {
            return false;
        };
        if bytes.get(at + 46..at + 46 + name_len) == Some(name.as_bytes()) {
            return true;
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    false
}

/// The original file name as kept in the metadata: the last path component only (a name is never a server
/// path), without control characters or characters Windows forbids, at most [`MAX_NAME_CHARS`] characters
/// (the extension kept), never empty or a dot name.
pub fn sanitize_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .collect();
    // Dots and spaces off the front together: trimming them one after the other left ". .." as ".." (found by
    // the fuzzing).
    let cleaned = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end()
        .to_owned();
    let cleaned = if cleaned.chars().count() > MAX_NAME_CHARS {
        let ext: String = match cleaned.rsplit_once('.') {
            Some((_, e)) if e.chars().count() <= 10 => format!(".{e}"),
            _ => String::new(),
        };
        let keep = MAX_NAME_CHARS - ext.chars().count();
        cleaned.chars().take(keep).collect::<String>() + &ext
    } else {
        cleaned
    };
    if cleaned.is_empty() {
        "未命名材料".to_owned()
    } else {
        cleaned
    }
}

/// Chunks of a file of `size` bytes.
pub fn chunk_count(size: u64, chunk_size: u64) -> u64 {
    if chunk_size == 0 {
        return 0;
    }
    size.div_ceil(chunk_size)
}

/// Length of chunk `index` of a file of `size` bytes (0 when out of range).
pub fn chunk_len(size: u64, chunk_size: u64, index: u64) -> u64 {
    let start = index.saturating_mul(chunk_size);
    if start >= size {
        return 0;
    }
    (size - start).min(chunk_size)
}

/// `POST /api/v1/project_material/uploads`: what the developer is about to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadDeclaration {
    /// 项目编号 ("XM00000001").
    pub project: String,
    /// 楼栋编号 when the material belongs to one building of the project.
    #[serde(default)]
    pub building: Option<String>,
    /// 材料类型 ([`KINDS`] code).
    pub kind: String,
    /// Original file name (metadata only).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the whole file, lowercase hex.
    pub sha256: String,
}

/// The centre's side of an upload: what it already has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    /// 上传编号.
    pub upload_id: String,
    /// Bytes per chunk.
    pub chunk_size: u64,
    /// Chunks of the whole file.
    pub chunk_count: u64,
    /// Indexes the centre holds, ascending.
    pub received: Vec<u64>,
    /// Bytes the centre holds.
    pub received_bytes: u64,
    /// The material, when this file is already recorded for the project (nothing more to send).
    #[serde(default)]
    pub material: Option<Material>,
}

impl UploadState {
    /// Whether this answer can be the centre's for a file of `size` bytes: a chunk size above zero and the chunk
    /// count such a file has. The client sends [`missing`](Self::missing) chunk by chunk, so it checks this
    /// first: a count the file cannot have would make it allocate and send without end (found by the fuzzing:
    /// an answer with `chunk_count` 2^60 took the client's memory).
    pub fn fits(&self, size: u64) -> bool {
        self.chunk_size > 0 && self.chunk_count == chunk_count(size, self.chunk_size)
    }

    /// Indexes still to send.
    pub fn missing(&self) -> Vec<u64> {
        (0..self.chunk_count)
            .filter(|i| self.received.binary_search(i).is_err())
            .collect()
    }
}

/// The signed body of `POST /api/v1/project_material/uploads/{id}/complete`: the developer's detached
/// signature over this manifest binds them to exactly these bytes (by their SHA-256).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// 项目编号.
    pub project: String,
    /// 楼栋编号.
    #[serde(default)]
    pub building: Option<String>,
    /// 材料类型.
    pub kind: String,
    /// Original file name (as declared).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// A recorded material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Material {
    /// 材料编号 ("CL00000001").
    pub id: String,
    /// 项目编号.
    pub project: String,
    /// 楼栋编号.
    #[serde(default)]
    pub building: Option<String>,
    /// 材料类型 code.
    pub kind: String,
    /// 材料类型 label.
    pub kind_label: String,
    /// Original file name (sanitised, metadata only).
    pub name: String,
    /// Type judged from the content.
    pub file_type: FileType,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// 业务流水号 of the signed submission that recorded it.
    pub serial: String,
    /// Where that submission is in the centre's review.
    pub status: crate::api::SubmissionStatus,
    /// When it was recorded (RFC 3339, UTC).
    pub uploaded_at: String,
}

/// What `complete` answers: the material and the receipt of its signed manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialReceipt {
    /// The material.
    pub material: Material,
    /// The receipt of the submission that recorded it (the first one, for a file sent again).
    pub receipt: crate::api::Receipt,
    /// True when the file was already recorded for the project (stored once).
    pub existing: bool,
}

/// Whether `s` is a SHA-256 in lowercase hex.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The rules of a declaration that need no database: known kind, non-empty file within the per-file limit,
/// a well-formed digest. The project's owner and the per-project total are the centre's facts.
pub fn check_declaration(decl: &UploadDeclaration, max_file_bytes: u64) -> Vec<Issue> {
    let mut issues = Vec::new();
    if KINDS.entry(decl.kind.trim()).is_none() {
        issues.push(Issue::new(
            0,
            "材料类型",
            Code::MaterialKindUnknown,
            format!("材料类型“{}”不存在。请填写：{}。", decl.kind, KINDS.describe()),
        ));
    }
    if decl.size == 0 {
        issues.push(Issue::new(
            0,
            "文件",
            Code::MaterialEmpty,
            "文件是空的（0 字节）。请选择扫描好的材料文件。",
        ));
    }
    if decl.size > max_file_bytes {
        issues.push(Issue::new(
            0,
            "文件",
            Code::MaterialFileTooLarge,
            format!(
                "文件大小 {} 超过中心允许的单个文件上限 {}。请降低扫描分辨率或拆分成几个文件后上传。",
                human_size(decl.size),
                human_size(max_file_bytes)
            ),
        ));
    }
    if !is_sha256_hex(&decl.sha256) {
        issues.push(Issue::new(
            0,
            "文件",
            Code::MaterialDigestInvalid,
            "文件摘要（SHA-256）格式不正确。请升级客户端后重新上传。",
        ));
    }
    issues
}

/// "20 MB", "1.5 MB", "900 KB" for messages.
pub fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        // Whole MBs and the tenth apart: `bytes * 10` overflowed for a declared size above 1.6 EB (found by the
        // fuzzing: a declaration of u64::MAX bytes panicked the gateway's handler in a debug build and gave a
        // wrong size in the message of a release one).
        let tenths = bytes / MB * 10 + bytes % MB * 10 / MB;
        if tenths % 10 == 0 {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal stored zip with the given root entries (no data, as an OFD container's directory).
    fn zip(names: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for name in names {
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name.as_bytes());
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&[0u8; 24]);
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0u8; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn types_are_judged_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(FileType::Pdf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Ok(FileType::Jpeg));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Ok(FileType::Png)
        );
        assert_eq!(sniff(&zip(&["Doc_0/Document.xml", "OFD.xml"])), Ok(FileType::Ofd));
    }

    #[test]
    fn a_zip_without_root_ofd_xml_is_not_ofd() {
        for names in [
            &["word/document.xml"][..],
            &["Doc_0/OFD.xml"][..],
            &["ofd.xml"][..],
        ] {
            let err = sniff(&zip(names)).unwrap_err();
            assert_eq!(err.code, Code::MaterialTypeUnsupported, "{names:?}");
        }
        // Truncated or garbage zips are refused, never a panic.
        let z = zip(&["OFD.xml"]);
        for cut in [4, 30, z.len() - 10] {
            assert!(sniff(&z[..cut]).is_err());
        }
    }

    #[test]
    fn executables_are_refused_with_their_own_code() {
        for exe in [
            &b"MZ\x90\x00\x03"[..],
            b"\x7FELF\x02\x01\x01",
            b"#!/bin/sh\n",
            &[0xCF, 0xFA, 0xED, 0xFE, 7],
        ] {
            assert_eq!(sniff(exe).unwrap_err().code, Code::MaterialExecutable);
        }
        assert_eq!(sniff(b"hello").unwrap_err().code, Code::MaterialTypeUnsupported);
        assert_eq!(sniff(b"").unwrap_err().code, Code::MaterialTypeUnsupported);
    }

    #[test]
    fn names_never_become_paths() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("C:\\scans\\营业执照.pdf"), "营业执照.pdf");
        assert_eq!(sanitize_name("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(sanitize_name(".."), "未命名材料");
        assert_eq!(sanitize_name(".hidden"), "hidden");
        assert_eq!(sanitize_name(""), "未命名材料");
        let long = format!("{}.pdf", "长".repeat(300));
        let s = sanitize_name(&long);
        assert_eq!(s.chars().count(), MAX_NAME_CHARS);
        assert!(s.ends_with(".pdf"));
    }

    #[test]
    fn chunks_cover_the_file_exactly() {
        assert_eq!(chunk_count(0, CHUNK_SIZE), 0);
        assert_eq!(chunk_count(1, CHUNK_SIZE), 1);
        assert_eq!(chunk_count(CHUNK_SIZE, CHUNK_SIZE), 1);
        assert_eq!(chunk_count(CHUNK_SIZE + 1, CHUNK_SIZE), 2);
        assert_eq!(chunk_len(CHUNK_SIZE + 1, CHUNK_SIZE, 1), 1);
        assert_eq!(chunk_len(CHUNK_SIZE + 1, CHUNK_SIZE, 2), 0);
        assert_eq!(chunk_len(10, CHUNK_SIZE, u64::MAX), 0);
    }

    #[test]
    fn declaration_rules() {
        let ok = UploadDeclaration {
            project: "XM00000001".into(),
            building: None,
            kind: "01".into(),
            name: "a.pdf".into(),
            size: 10,
            sha256: "a".repeat(64),
        };
        assert!(check_declaration(&ok, 100).is_empty());
        let codes = |d: &UploadDeclaration| {
            check_declaration(d, 100)
                .into_iter()
                .map(|i| i.code)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(&UploadDeclaration {
                kind: "55".into(),
                ..ok.clone()
            }),
            [Code::MaterialKindUnknown]
        );
        assert_eq!(
            codes(&UploadDeclaration {
                size: 101,
                ..ok.clone()
            }),
            [Code::MaterialFileTooLarge]
        );
        assert_eq!(
            codes(&UploadDeclaration {
                size: 0,
                ..ok.clone()
            }),
            [Code::MaterialEmpty]
        );
        assert_eq!(
            codes(&UploadDeclaration {
                sha256: "A".repeat(64),
                ..ok.clone()
            }),
            [Code::MaterialDigestInvalid]
        );
    }

    #[test]
    fn kind_codes_are_unique_and_found_by_label() {
        let mut codes: Vec<_> = KINDS.entries.iter().map(|e| e.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), KINDS.entries.len());
        assert_eq!(KINDS.find("预售许可证").map(|e| e.code), Some("07"));
        assert_eq!(KINDS.find("施工许可证").map(|e| e.code), Some("06"));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(20 * 1024 * 1024), "20 MB");
        assert_eq!(human_size(1536 * 1024), "1.5 MB");
        assert_eq!(human_size(1000), "1 KB");
    }
}
