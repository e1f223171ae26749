//! gjj-client: the clerk's session with the centre.
//!
//! - [`Session`]: one mutual-TLS session per login (reqwest over a rustls config whose client key is the USB
//!   key). Connections and TLS sessions are reused, so the token signs the handshake once per login, not per
//!   request.
//! - [`Outbox`]: the local SQLite store. A submission is written before it is sent, signed and sent with a
//!   client-generated idempotency key, resent with the same key after a crash or a network error, and marked
//!   done with its receipt.
//! - [`sheet`]: every Excel batch business (template, importer + the centre's checker, payload), shared by
//!   the CLI and the desktop app.
//! - [`app`]: the desktop app's state and commands, free of Tauri (src-tauri only adapts them).
//! - [`ClientError`]: every failure with a stable code and a Chinese message — including which certificate
//!   problem made the centre refuse the handshake.
//! - [`keys`]: the USB-key drivers installed (known vendor modules per platform), the inserted keys and their
//!   certificates, without a PIN; [`settings`]: user settings under IT's managed file; [`doctor`]: the
//!   diagnostics shared by the app and `gjj doctor`; [`receipt`]: the receipt as text (CRLF files on Windows).
#![forbid(unsafe_code)]

pub mod app;
pub mod desktop;
pub mod doctor;
mod error;
pub mod keys;
pub mod logs;
pub mod offline;
mod outbox;
pub mod receipt;
mod session;
pub mod settings;
pub mod sheet;
pub mod vault;

pub use error::ClientError;
pub use outbox::{CachedContext, Draft, Outbox, OutboxEntry, OutboxState, SubmittedSheet};
pub use session::{
    manifest_of, MaterialFile, MaterialUpload, ReviewAction, Session, SessionConfig, Submitted,
};
