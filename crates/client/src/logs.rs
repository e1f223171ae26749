//! The app's log file: every line written through [`Masking`], so a full 身份证 number never reaches the disk
//! whichever message carried it (a centre's refusal, a driver's error, a debug line). The export (诊断 → 导出日志)
//! masks once more.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// A writer that masks 身份证-shaped numbers in what it writes (one tracing event at a time).
pub struct Masking<W> {
    inner: Mutex<W>,
}

impl<W: Write> Masking<W> {
    /// Masks what goes to `inner`.
    pub fn new(inner: W) -> Masking<W> {
        Masking {
            inner: Mutex::new(inner),
        }
    }
}

/// One event's bytes, masked and written when the event is done.
pub struct MaskingGuard<'a, W: Write> {
    target: &'a Mutex<W>,
    buf: Vec<u8>,
}

impl<W: Write> Write for MaskingGuard<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for MaskingGuard<'_, W> {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buf);
        let masked = gjj_domain::ids::mask_id_numbers_in(&text);
        if let Ok(mut w) = self.target.lock() {
            // A log line that cannot be written is not worth failing the clerk's work for.
            let _ = w.write_all(masked.as_bytes()).and_then(|()| w.flush());
        }
    }
}

impl<'a, W: Write + 'a> MakeWriter<'a> for Masking<W> {
    type Writer = MaskingGuard<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskingGuard {
            target: &self.inner,
            buf: Vec::new(),
        }
    }
}

/// Logs the app's crates at `level` to `path` (appending), masked; false when the file cannot be opened (the
/// app then runs without a log file rather than not at all).
pub fn init_file(path: &Path, level: &str) -> bool {
    let file = path
        .parent()
        .and_then(|dir| std::fs::create_dir_all(dir).ok())
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        });
    let Some(file) = file else { return false };
    let level = level.parse().unwrap_or(LevelFilter::INFO);
    let targets = Targets::new()
        .with_targets(["gjj", "gjj_client", "gjj_pki", "gjj_sheets"].map(|target| (target, level)));
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(Masking::new(file))
        .finish()
        .with(targets)
        .try_init()
        .is_ok()
}

/// A panic's message goes to the log (and stderr) masked like every other line: a crash report a clerk sends on
/// never carries a full 身份证 number that happened to be in the failing value.
pub fn mask_panics() {
    std::panic::set_hook(Box::new(|info| {
        let text = gjj_domain::ids::mask_id_numbers_in(&info.to_string());
        tracing::error!(panic = %text, "the app stopped on an internal error");
        eprintln!("{text}");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_id_number_never_reaches_the_writer() {
        let sink = Masking::new(Vec::new());
        {
            let mut w = sink.make_writer();
            write!(w, "refused: 第 3 行 证件号码 430405198803150011 ").unwrap();
            writeln!(w, "and 43040519900101002X").unwrap();
        }
        let out = String::from_utf8(sink.inner.into_inner().unwrap()).unwrap();
        assert!(
            !out.contains("430405198803150011") && !out.contains("43040519900101002X"),
            "{out}"
        );
        assert!(
            out.contains("4304**********0011") && out.contains("4304**********002X"),
            "{out}"
        );
    }
}
