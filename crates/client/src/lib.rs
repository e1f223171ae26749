//! gjj-client: the clerk's session with the centre.
//!
//! - [`Session`]: one mutual-TLS session per login (reqwest over a rustls config whose client key is the USB
//!   key). Connections and TLS sessions are reused, so the token signs the handshake once per login, not per
//!   request.
//! - [`Outbox`]: the local SQLite store. A submission is written before it is sent, signed and sent with a
//!   client-generated idempotency key, resent with the same key after a crash or a network error, and marked
//!   done with its receipt.
//! - [`ClientError`]: every failure with a stable code and a Chinese message — including which certificate
//!   problem made the centre refuse the handshake.
#![forbid(unsafe_code)]

mod error;
mod outbox;
mod session;

pub use error::ClientError;
pub use outbox::{CachedContext, Outbox, OutboxEntry, OutboxState};
pub use session::{
    manifest_of, MaterialFile, MaterialUpload, ReviewAction, Session, SessionConfig, Submitted,
};
