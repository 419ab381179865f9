//! The ONE place where errors become HTTP responses.
//!
//! Invariants:
//! - Every error body is InfluxDB's v2 shape `{"code": …, "message": …}` (plus `"line"` for
//!   line-protocol errors) with `Content-Type: application/json; charset=utf-8` and the
//!   `X-Platform-Error-Code` header, as InfluxDB 2.7 sends.
//! - 401 is always opaque (`unauthorized access`, or `Unauthorized` for v1 credentials that do
//!   not verify, as 2.7): it never says whether the token or user exists.
//! - 503 and 429 carry `Retry-After`.
//! - No other module names a status code for an error.

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Response, StatusCode};
use ringflux_engine::{Error, ErrorKind};

use crate::body::RespBody;

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    line: Option<u32>,
    retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            line: None,
            retry_after: None,
        }
    }

    /// 400 `invalid`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    /// 401 `unauthorized` (opaque).
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "unauthorized access",
        )
    }

    /// 401 `unauthorized` with InfluxDB 2.7's message for v1 credentials that do not verify
    /// (`Unauthorized`; opaque as well).
    pub fn credentials_unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized")
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 `not found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not found", message)
    }

    /// 405 `method not allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
            "method not allowed",
        )
    }

    /// 413 `request too large`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "request too large", message)
    }

    /// 415 `unsupported media type`.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported media type",
            message,
        )
    }

    /// 501 `not implemented`.
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, "not implemented", message)
    }

    /// 503 `unavailable` with `Retry-After`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message);
        e.retry_after = Some(1);
        e
    }

    /// 429 `too many requests` with `Retry-After`.
    pub fn too_many_requests(message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "too many requests", message);
        e.retry_after = Some(1);
        e
    }

    /// 500 `internal error`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error", message)
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Renders the response.
    pub fn into_response(self) -> Response<RespBody> {
        let mut body = serde_json::json!({ "code": self.code, "message": self.message });
        if let (Some(line), Some(obj)) = (self.line, body.as_object_mut()) {
            obj.insert("line".into(), line.into());
        }
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut resp = Response::new(RespBody::full(Bytes::from(bytes)));
        *resp.status_mut() = self.status;
        let h = resp.headers_mut();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        h.insert("x-platform-error-code", HeaderValue::from_static(self.code));
        if let Some(s) = self.retry_after {
            h.insert(RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let msg = e.message().to_string();
        let mut api = match e.kind() {
            ErrorKind::InvalidInput => ApiError::invalid(msg),
            ErrorKind::NotFound => ApiError::not_found(msg),
            ErrorKind::Conflict => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "conflict", msg),
            ErrorKind::Unauthorized => ApiError::unauthorized(),
            ErrorKind::Forbidden => ApiError::forbidden(msg),
            ErrorKind::PartialWrite | ErrorKind::Unprocessable => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable entity",
                msg,
            ),
            ErrorKind::TooLarge => ApiError::too_large(msg),
            ErrorKind::Unavailable => ApiError::unavailable(msg),
            ErrorKind::TooManyRequests => ApiError::too_many_requests(msg),
            ErrorKind::NotImplemented => ApiError::not_implemented(msg),
            _ => ApiError::internal(msg),
        };
        api.line = e.line();
        if api.status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %api.message, "internal error");
        }
        api
    }
}
