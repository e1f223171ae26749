//! A workbook the fuzzer describes (sheets of every type, shared strings with lying counts, styles with date
//! formats, cells of every type at any reference, entries dropped, doubled or replaced), written as an .xlsx and
//! read by one business's importer: reaches calamine's cell reader and our row conversion with well-formed
//! input, which raw bytes rarely do.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|book: gjj_fuzz::xlsx::Book| {
    let bytes = book.to_xlsx();
    gjj_fuzz::sheets::import(book.business, &bytes);
});
