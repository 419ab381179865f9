//! The engine's error type: one enum at the facade boundary, with a small [`ErrorKind`] that the
//! HTTP layer maps to status codes (`ringflux_http::error` is the only place that knows them).
//!
//! Invariants:
//! - Every variant carries the context a user needs ("what was wrong and where"): line numbers for
//!   input errors, names for missing resources, file and offset for corruption.
//! - Messages are written text, never `Debug` dumps.

use std::fmt;

/// Result alias for engine operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What class of failure an [`Error`] is; drives the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Malformed input (400 `invalid`).
    InvalidInput,
    /// Unknown org, bucket, ... (404 `not found`).
    NotFound,
    /// Already exists or not allowed in the current state (422 `conflict`, as InfluxDB 2.x maps
    /// `EConflict`).
    Conflict,
    /// Missing or bad credentials (401, always opaque).
    Unauthorized,
    /// Authenticated, but not allowed (403 `forbidden`).
    Forbidden,
    /// Some points were dropped, the rest were written (422 `unprocessable entity`).
    PartialWrite,
    /// Well-formed but semantically unacceptable input, e.g. a retention rule InfluxDB
    /// rejects (422 `unprocessable entity`).
    Unprocessable,
    /// Over a size limit (413 `request too large`).
    TooLarge,
    /// Over a rate or count limit, e.g. the series limit of a bucket (429 + Retry-After).
    TooManyRequests,
    /// A request InfluxDB 2.7 also refuses as not implemented (501 `not implemented`), e.g. a
    /// delete predicate on `_field`.
    NotImplemented,
    /// Temporarily unable to serve: poisoned shard, memory budget, shutting down (503 + Retry-After).
    Unavailable,
    /// A bug or an unexpected I/O failure (500).
    Internal,
}

/// An engine error: a kind plus a human message (and, for line-protocol errors, a line number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    line: Option<u32>,
}

impl Error {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            line: None,
        }
    }

    /// A malformed-input error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// A malformed-input error pointing at a 1-based line of the request body.
    pub fn invalid_at_line(message: impl Into<String>, line: u32) -> Self {
        Error {
            kind: ErrorKind::InvalidInput,
            message: message.into(),
            line: Some(line),
        }
    }

    /// A not-found error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// A service-unavailable error.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// Well-formed but unacceptable input (422 `unprocessable entity`).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unprocessable, message)
    }

    /// A conflict (already exists, already onboarded).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// An internal error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// The error class.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based body line the error refers to, if any.
    pub fn line(&self) -> Option<u32> {
        self.line
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal(format!("I/O error: {e}"))
    }
}

impl From<glommio::GlommioError<()>> for Error {
    fn from(e: glommio::GlommioError<()>) -> Self {
        Error::internal(format!("I/O error: {e}"))
    }
}
