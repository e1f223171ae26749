//! What the fuzz targets share: the importers by business ([`sheets`]), a workbook writer that writes whatever
//! it is told ([`xlsx`]), signing keys and certificates ([`keys`]), and the gateway's real router in-process on a
//! SQLite file, with the connection's certificate handed to each request as the TLS layer does ([`gateway`]).
#![forbid(unsafe_code)]

pub mod gateway;
pub mod keys;
pub mod sheets;
pub mod xlsx;

/// The stable codes of a workbook that cannot be read (`SheetError::code`): any other is a finding.
pub const SHEET_CODES: &[&str] = &[
    "SHEET_NOT_FOUND",
    "SHEET_UNREADABLE",
    "SHEET_ENCRYPTED",
    "SHEET_FORMAT_UNSUPPORTED",
    "FILE_IN_USE",
];
