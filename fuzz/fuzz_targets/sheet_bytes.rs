//! Any bytes, as a workbook file of any business: the format sniffing, the zip/compound-file limits, calamine's
//! readers (.xlsx, .xls, .ods, .xlsb), the SpreadsheetML reader, the header search and each business's row
//! conversion. Seeds: the fixture workbooks (seeds/sheet_bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The business comes from the length, so a seed keeps every byte of its file.
    let which = (data.len() % 251) as u8;
    gjj_fuzz::sheets::import(which, data);
    if data.len().is_multiple_of(4) {
        gjj_fuzz::sheets::grid(which, data);
    }
});
