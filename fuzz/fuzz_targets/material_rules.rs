//! The upload protocol's arithmetic and rules, on their own (fast): chunk counts and lengths for any size,
//! chunk size and index; the declaration rules; file names; the type of a file by its content; and the
//! client's side of the protocol — which chunks are missing — for any answer the centre could give.
//! Oracles: the chunks of a file add up to it, none is longer than the chunk size, a chunk past the end is
//! empty; a sanitised name is a plain, non-empty file name of at most 120 characters; an answer the client
//! accepts (`UploadState::fits`) never makes it send more chunks than the file has.
#![no_main]

use arbitrary::Arbitrary;
use gjj_domain::project_material::{
    check_declaration, chunk_count, chunk_len, human_size, sanitize_name, sniff, UploadDeclaration,
    UploadState, MAX_NAME_CHARS,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    size: u64,
    chunk_size: u64,
    index: u64,
    max: u64,
    /// The centre's answer: chunk size, count and received indexes, whatever they are.
    answer_chunk_size: u64,
    answer_count: u64,
    received: Vec<u64>,
    name: String,
    kind: String,
    sha256: String,
    project: String,
    bytes: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let (size, chunk, index) = (input.size, input.chunk_size, input.index);
    let count = chunk_count(size, chunk);
    let len = chunk_len(size, chunk, index);
    assert!(len <= chunk, "a chunk longer than the chunk size");
    if index >= count {
        assert_eq!(len, 0, "a chunk past the end");
    } else if index + 1 < count {
        assert_eq!(len, chunk, "an inner chunk is whole");
    } else {
        assert_eq!(len, size - index * chunk, "the last chunk ends the file");
    }
    if chunk > 0 {
        assert!(count.saturating_mul(chunk) >= size && (count == 0 || (count - 1) * chunk < size));
    }

    let _ = human_size(size);
    let decl = UploadDeclaration {
        project: input.project,
        building: None,
        kind: input.kind,
        name: input.name.clone(),
        size,
        sha256: input.sha256,
    };
    let _ = check_declaration(&decl, input.max);

    let name = sanitize_name(&input.name);
    assert!(!name.is_empty());
    assert!(name.chars().count() <= MAX_NAME_CHARS, "{name:?}");
    assert!(
        !name.contains(['/', '\\']) && !name.chars().any(char::is_control),
        "{name:?}"
    );
    assert!(!name.starts_with('.'), "{name:?}");

    let _ = sniff(&input.bytes);

    // The client's side: a file of at most a few MB (what it holds in memory), any answer.
    let file_size = size % (64 << 20);
    let mut received = input.received;
    received.sort_unstable();
    let answer = UploadState {
        upload_id: String::new(),
        chunk_size: input.answer_chunk_size,
        chunk_count: input.answer_count,
        received,
        received_bytes: 0,
        material: None,
    };
    if answer.fits(file_size) {
        let missing = answer.missing();
        assert!(
            missing.len() as u64 <= file_size.max(1),
            "more chunks to send than bytes in the file"
        );
        for i in missing {
            assert!(chunk_len(file_size, answer.chunk_size, i) > 0 || file_size == 0);
        }
    }
});
