//! Token authentication: `Authorization: Token <t>` (or `Bearer <t>`) → the authorization it
//! belongs to. Failures are always the opaque 401.

use hyper::header::AUTHORIZATION;
use hyper::HeaderMap;
use ringflux_engine::catalog::{Authorization, CatalogSnapshot};

use crate::error::ApiError;

/// Extracts the token from the `Authorization` header.
pub fn token(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer") {
        let t = rest.trim();
        (!t.is_empty()).then_some(t)
    } else {
        None
    }
}

/// The active authorization of the request's token.
pub fn authenticate<'a>(
    snap: &'a CatalogSnapshot,
    headers: &HeaderMap,
) -> Result<&'a Authorization, ApiError> {
    let t = token(headers).ok_or_else(ApiError::unauthorized)?;
    snap.authorize(t).ok_or_else(ApiError::unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn token_and_bearer_schemes() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Token abc"));
        assert_eq!(token(&h), Some("abc"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer xyz"));
        assert_eq!(token(&h), Some("xyz"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        assert_eq!(token(&h), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("Token "));
        assert_eq!(token(&h), None);
    }
}
