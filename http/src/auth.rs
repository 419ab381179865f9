//! Authentication.
//!
//! - v2 endpoints: `Authorization: Token <t>` (or `Bearer <t>`) → the authorization it belongs
//!   to ([`authenticate`]). Failures are always the opaque 401.
//! - v1 endpoints (`/write`, later `/query`): [`authenticate_v1`], InfluxDB 2.7's rules:
//!   `u`+`p` query parameters (both non-empty) first, else `Authorization: Token <t>` or
//!   `Token <user>:<t>` (a v2 token; the user part is ignored, as 2.7 does), else
//!   `Authorization: Basic base64(user:password)`. For `u`/`p` and Basic, the user is looked up
//!   among legacy authorizations (its `token` is the v1 username) and the password verified
//!   with Argon2id; if no legacy authorization has that username, the password is tried as a
//!   v2 token. No credentials → 401 `unauthorized access`; wrong ones, an inactive
//!   authorization or user → 401 `Unauthorized` (2.7's two bodies).
//!
//! Invariants: Argon2 runs off the executor (`spawn_blocking`); a per-core cache remembers
//! successful verifications as a Blake2b digest of (stored PHC string ‖ password), never the
//! password, keyed by authorization ID and invalidated when the PHC string changes; the cache
//! and every credential size are bounded.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine as _;
use blake2::{Blake2b512, Digest};
use hyper::header::AUTHORIZATION;
use hyper::HeaderMap;
use ringflux_engine::catalog::{verify_password, Authorization, CatalogSnapshot};
use ringflux_engine::model::UserId;

use crate::error::ApiError;
use crate::params::Params;

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

/// Longest username or password considered (longer credentials are rejected unverified).
const MAX_CREDENTIAL: usize = 4096;
/// Most verified (authorization, password) digests a core remembers.
const CACHE_CAP: usize = 4096;

/// v1 credentials as parsed from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V1Credentials {
    /// A v2 token (`Authorization: Token …`).
    Token(String),
    /// A username and password (`u`/`p`, Basic).
    UserPassword(String, String),
}

/// Parses v1 credentials in 2.7's order of precedence (see the module docs).
pub fn v1_credentials(headers: &HeaderMap, params: &Params) -> Option<V1Credentials> {
    if let (Some(u), Some(p)) = (params.get_nonempty("u"), params.get_nonempty("p")) {
        return Some(V1Credentials::UserPassword(u.to_string(), p.to_string()));
    }
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer") {
        let t = rest.split_once(':').map_or(rest, |(_, t)| t);
        return (!t.is_empty()).then(|| V1Credentials::Token(t.to_string()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(rest.as_bytes())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (u, p) = text.split_once(':')?;
        return Some(V1Credentials::UserPassword(u.to_string(), p.to_string()));
    }
    None
}

thread_local! {
    static VERIFIED: RefCell<HashMap<u64, (String, [u8; 64])>> = RefCell::new(HashMap::new());
}

fn digest(phc: &str, password: &str) -> [u8; 64] {
    let mut h = Blake2b512::new();
    h.update(phc.as_bytes());
    h.update([0u8]);
    h.update(password.as_bytes());
    h.finalize().into()
}

fn cached(id: u64, phc: &str, d: &[u8; 64]) -> bool {
    VERIFIED.with(|c| {
        c.borrow()
            .get(&id)
            .is_some_and(|(p, known)| p == phc && known == d)
    })
}

fn remember(id: u64, phc: &str, d: [u8; 64]) {
    VERIFIED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_CAP {
            c.clear();
        }
        c.insert(id, (phc.to_string(), d));
    });
}

/// Checks `password` against the legacy authorization `id`'s PHC string (Argon2id off the
/// executor, then cached per core).
async fn password_matches(id: u64, phc: &str, password: &str) -> bool {
    if phc.is_empty() {
        return false;
    }
    let d = digest(phc, password);
    if cached(id, phc, &d) {
        return true;
    }
    let (phc_owned, pw) = (phc.to_string(), password.to_string());
    let ok = glommio::executor()
        .spawn_blocking(move || verify_password(&pw, &phc_owned))
        .await;
    if ok {
        remember(id, phc, d);
    }
    ok
}

/// The active authorization of a v1 request (see the module docs for the rules and bodies).
pub async fn authenticate_v1(
    snap: &CatalogSnapshot,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Authorization, ApiError> {
    let creds = v1_credentials(headers, params).ok_or_else(ApiError::unauthorized)?;
    let auth = match creds {
        V1Credentials::Token(t) => snap.authorize(&t).cloned(),
        V1Credentials::UserPassword(u, p) => {
            if u.len() > MAX_CREDENTIAL || p.len() > MAX_CREDENTIAL {
                return Err(ApiError::credentials_unauthorized());
            }
            match snap.legacy_by_username(&u) {
                Some(l) => {
                    let ok = l.auth.status == "active"
                        && password_matches(l.auth.id, &l.password_hash, &p).await;
                    ok.then(|| l.auth.clone())
                }
                None => snap.authorize(&p).cloned(),
            }
        }
    };
    let auth = auth
        .filter(|a| a.status == "active")
        .ok_or_else(ApiError::credentials_unauthorized)?;
    // The authorization's user must still be active (2.7's `checkAuthError`).
    if snap
        .user_by_id(UserId(auth.user_id))
        .is_some_and(|u| u.status != "active")
    {
        return Err(ApiError::credentials_unauthorized());
    }
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn creds(header: Option<&'static str>, query: Option<&str>) -> Option<V1Credentials> {
        let mut h = HeaderMap::new();
        if let Some(v) = header {
            h.insert(AUTHORIZATION, HeaderValue::from_static(v));
        }
        v1_credentials(&h, &Params::parse(query))
    }

    #[test]
    fn v1_credentials_follow_influxdb_precedence() {
        let up = |u: &str, p: &str| Some(V1Credentials::UserPassword(u.into(), p.into()));
        // u/p win over the header.
        assert_eq!(
            creds(Some("Token abc"), Some("u=me&p=secret")),
            up("me", "secret")
        );
        // An empty p is ignored.
        assert_eq!(
            creds(Some("Token abc"), Some("u=me&p=")),
            Some(V1Credentials::Token("abc".into()))
        );
        assert_eq!(
            creds(Some("Token me:abc"), None),
            Some(V1Credentials::Token("abc".into()))
        );
        // base64("me:pa:ss") — the password may hold colons.
        assert_eq!(creds(Some("Basic bWU6cGE6c3M="), None), up("me", "pa:ss"));
        assert_eq!(creds(Some("Basic !!!"), None), None);
        assert_eq!(creds(None, None), None);
        assert_eq!(creds(None, Some("u=me")), None);
    }

    #[test]
    fn verification_cache_is_keyed_by_phc() {
        let d = digest("phc1", "pw");
        assert!(!cached(1, "phc1", &d));
        remember(1, "phc1", d);
        assert!(cached(1, "phc1", &d));
        assert!(!cached(1, "phc2", &d));
        assert!(!cached(1, "phc1", &digest("phc1", "other")));
        assert!(!cached(2, "phc1", &d));
    }

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
