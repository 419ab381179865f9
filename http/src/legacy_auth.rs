//! `/private/legacy/authorizations[/{id}[/password]]`: legacy (v1) authorizations, as InfluxDB
//! 2.7's `v1/authorization/http_server.go` serves them (contract: `legacy.yml`).
//!
//! Invariants:
//! - The caller needs `read`/`write` on `authorizations` in the authorization's org (listing
//!   leaves out what it cannot read; an unreadable one is 404 `authorization not found`; a
//!   mutation it may not make is the opaque 401). Creating one for another user needs `write`
//!   on `users`, and the caller must itself hold every permission it grants (401 otherwise).
//! - The `token` field is the v1 username. Passwords (≥ 8 characters, 2.7's rule) are hashed
//!   with Argon2id off the executor here and only the PHC string reaches the catalog op; no
//!   response ever contains a password or hash.
//! - Bodies are bounded by `MAX_RESOURCE_BODY`; the catalog bounds counts and lengths.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::catalog::{
    hash_password, Authorization, CatalogOp, CatalogReply, CatalogSnapshot, LegacyAuthUpdate,
    LegacyAuthorization, NewLegacyAuth, Permission, Resource, MIN_PASSWORD_LEN,
};
use ringflux_engine::model::AuthId;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::authenticate;
use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::params::Params;
use crate::resources::{auth_json, decode_json, MAX_RESOURCE_BODY};
use crate::routes::{empty, json_response, Ctx, LEGACY_AUTHORIZATIONS};
use crate::scope::{parse_id, require_id};

#[derive(Debug, Deserialize)]
struct ResourceIn {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "orgID", default)]
    org_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PermissionIn {
    action: String,
    resource: ResourceIn,
}

/// `LegacyAuthorizationPostRequest`.
#[derive(Debug, Deserialize)]
struct PostIn {
    #[serde(rename = "orgID", default)]
    org_id: String,
    #[serde(rename = "userID", default)]
    user_id: Option<String>,
    #[serde(default)]
    token: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    permissions: Vec<PermissionIn>,
}

/// `AuthorizationUpdateRequest`.
#[derive(Debug, Deserialize)]
struct PatchIn {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PasswordIn {
    password: String,
}

fn opt_id(s: Option<&str>) -> Result<Option<u64>, ApiError> {
    s.filter(|s| !s.is_empty()).map(require_id).transpose()
}

fn permission(p: PermissionIn) -> Result<Permission, ApiError> {
    Ok(Permission {
        action: p.action,
        resource: Resource {
            kind: p.resource.kind,
            id: opt_id(p.resource.id.as_deref())?,
            org_id: opt_id(p.resource.org_id.as_deref())?,
        },
    })
}

/// Does `holder` hold `p` (same action and type, at least as wide a scope)?
fn covers(holder: &Authorization, p: &Permission) -> bool {
    holder.permissions.iter().any(|h| {
        h.action == p.action
            && h.resource.kind == p.resource.kind
            && h.resource.id.is_none_or(|id| Some(id) == p.resource.id)
            && h.resource
                .org_id
                .is_none_or(|o| Some(o) == p.resource.org_id)
    })
}

/// `Authorization` of `legacy.yml` (2.7's `authResponse`, links under the legacy prefix).
fn legacy_json(a: &LegacyAuthorization, snap: &CatalogSnapshot) -> Value {
    let mut v = auth_json(&a.auth, snap);
    if let Some(links) = v.get_mut("links").and_then(Value::as_object_mut) {
        links.insert(
            "self".into(),
            Value::from(format!("{LEGACY_AUTHORIZATIONS}/{}", AuthId(a.auth.id))),
        );
    }
    v
}

fn legacy_reply(reply: CatalogReply) -> Result<LegacyAuthorization, ApiError> {
    match reply {
        CatalogReply::LegacyAuth(a) => Ok(*a),
        _ => Err(ApiError::internal(
            "unexpected catalog reply to a legacy authorization operation",
        )),
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("authorization not found")
}

/// The legacy authorization `id` if the caller may read it.
fn visible<'a>(
    snap: &'a CatalogSnapshot,
    caller: &Authorization,
    id: &str,
) -> Result<&'a LegacyAuthorization, ApiError> {
    let id = require_id(id)?;
    snap.legacy_by_id(id)
        .filter(|a| caller.allows("read", "authorizations", Some(a.auth.org_id)))
        .ok_or_else(not_found)
}

/// For a mutation: 404 if unreadable, 401 if readable but not writable.
fn writable(snap: &CatalogSnapshot, caller: &Authorization, id: &str) -> Result<u64, ApiError> {
    let a = visible(snap, caller, id)?;
    if caller.allows("write", "authorizations", Some(a.auth.org_id)) {
        Ok(a.auth.id)
    } else {
        Err(ApiError::unauthorized())
    }
}

/// `GET /private/legacy/authorizations`.
pub fn list(ctx: &Ctx, req: &Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let caller = authenticate(&snap, req.headers())?;
    let p = Params::parse(req.uri().query());
    let id = p
        .get_nonempty("authID")
        .or_else(|| p.get_nonempty("id"))
        .map(require_id)
        .transpose()?;
    let user_id = opt_id(p.get("userID"))?;
    let org_id = opt_id(p.get("orgID"))?;
    let user = p.get_nonempty("user");
    let org = p.get_nonempty("org");
    let token = p.get_nonempty("token");
    let user_name_of = |uid: u64| {
        snap.user_by_id(ringflux_engine::model::UserId(uid))
            .map(|u| u.name.as_str())
    };
    let org_name_of = |oid: u64| {
        snap.org_by_id(ringflux_engine::model::OrgId(oid))
            .map(|o| o.name.as_str())
    };
    let mut found: Vec<&LegacyAuthorization> = snap
        .data()
        .legacy_authorizations
        .iter()
        .filter(|a| id.is_none_or(|v| v == a.auth.id))
        .filter(|a| user_id.is_none_or(|v| v == a.auth.user_id))
        .filter(|a| org_id.is_none_or(|v| v == a.auth.org_id))
        .filter(|a| user.is_none_or(|u| user_name_of(a.auth.user_id) == Some(u)))
        .filter(|a| org.is_none_or(|o| org_name_of(a.auth.org_id) == Some(o)))
        .filter(|a| token.is_none_or(|t| t == a.auth.token))
        .filter(|a| caller.allows("read", "authorizations", Some(a.auth.org_id)))
        .collect();
    found.sort_by_key(|a| a.auth.id);
    let auths: Vec<Value> = found.iter().map(|a| legacy_json(a, &snap)).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "links": { "self": LEGACY_AUTHORIZATIONS }, "authorizations": auths }),
    ))
}

/// `POST /private/legacy/authorizations` → 201.
pub async fn create(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let caller = {
        let snap = ctx.engine.catalog();
        authenticate(&snap, req.headers())?.clone()
    };
    let body = read_bounded(req, MAX_RESOURCE_BODY).await?;
    let a: PostIn = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid json structure: {e}")))?;
    if a.permissions.is_empty() {
        return Err(ApiError::invalid("authorization must include permissions"));
    }
    let org_id = parse_id(&a.org_id).map_err(|_| ApiError::invalid("org id required"))?;
    let permissions = a
        .permissions
        .into_iter()
        .map(permission)
        .collect::<Result<Vec<_>, _>>()?;
    let user_id = opt_id(a.user_id.as_deref())?;
    if !caller.allows("write", "authorizations", Some(org_id))
        || user_id.is_some_and(|u| u != caller.user_id && !caller.allows("write", "users", None))
        || !permissions.iter().all(|p| covers(&caller, p))
    {
        return Err(ApiError::unauthorized());
    }
    let op = CatalogOp::CreateLegacyAuth(NewLegacyAuth {
        org_id,
        user_id: user_id.unwrap_or(caller.user_id),
        token: a.token,
        status: a.status.unwrap_or_else(|| "active".into()),
        description: a.description,
        permissions,
    });
    let created = legacy_reply(ctx.engine.catalog_op(op).await?)?;
    let snap = ctx.engine.catalog();
    Ok(json_response(
        StatusCode::CREATED,
        &legacy_json(&created, &snap),
    ))
}

/// `GET /private/legacy/authorizations/{id}`.
pub fn get(ctx: &Ctx, req: &Request<Incoming>, id: &str) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let caller = authenticate(&snap, req.headers())?;
    let a = visible(&snap, caller, id)?;
    Ok(json_response(StatusCode::OK, &legacy_json(a, &snap)))
}

/// `PATCH /private/legacy/authorizations/{id}` → 200.
pub async fn patch(
    ctx: &Ctx,
    req: Request<Incoming>,
    id: &str,
) -> Result<Response<RespBody>, ApiError> {
    let id = {
        let snap = ctx.engine.catalog();
        let caller = authenticate(&snap, req.headers())?;
        writable(&snap, caller, id)?
    };
    let body = read_bounded(req, MAX_RESOURCE_BODY).await?;
    let upd: PatchIn = decode_json(&body)?;
    let op = CatalogOp::UpdateLegacyAuth(LegacyAuthUpdate {
        id,
        status: upd.status,
        description: upd.description,
    });
    let updated = legacy_reply(ctx.engine.catalog_op(op).await?)?;
    let snap = ctx.engine.catalog();
    Ok(json_response(StatusCode::OK, &legacy_json(&updated, &snap)))
}

/// `DELETE /private/legacy/authorizations/{id}` → 204.
pub async fn delete(
    ctx: &Ctx,
    req: &Request<Incoming>,
    id: &str,
) -> Result<Response<RespBody>, ApiError> {
    let id = {
        let snap = ctx.engine.catalog();
        let caller = authenticate(&snap, req.headers())?;
        writable(&snap, caller, id)?
    };
    ctx.engine
        .catalog_op(CatalogOp::DeleteLegacyAuth(id))
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `POST /private/legacy/authorizations/{id}/password` `{"password": …}` → 204.
pub async fn set_password(
    ctx: &Ctx,
    req: Request<Incoming>,
    id: &str,
) -> Result<Response<RespBody>, ApiError> {
    let id = {
        let snap = ctx.engine.catalog();
        let caller = authenticate(&snap, req.headers())?;
        writable(&snap, caller, id)?
    };
    let body = read_bounded(req, MAX_RESOURCE_BODY).await?;
    let p: PasswordIn = decode_json(&body)?;
    if p.password.len() < MIN_PASSWORD_LEN {
        return Err(ApiError::invalid(
            "passwords must be at least 8 characters long",
        ));
    }
    let phc = glommio::executor()
        .spawn_blocking(move || hash_password(&p.password))
        .await?;
    ctx.engine
        .catalog_op(CatalogOp::SetLegacyPassword(id, phc))
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(action: &str, id: Option<u64>, org_id: Option<u64>) -> Permission {
        Permission {
            action: action.into(),
            resource: Resource {
                kind: "buckets".into(),
                id,
                org_id,
            },
        }
    }

    fn holder(perms: Vec<Permission>) -> Authorization {
        Authorization {
            id: 1,
            token: "t".into(),
            status: "active".into(),
            description: String::new(),
            org_id: 1,
            user_id: 1,
            permissions: perms,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn a_caller_grants_only_what_it_holds() {
        let org_wide = holder(vec![perm("write", None, Some(1))]);
        assert!(covers(&org_wide, &perm("write", Some(5), Some(1))));
        assert!(covers(&org_wide, &perm("write", None, Some(1))));
        assert!(!covers(&org_wide, &perm("read", Some(5), Some(1))));
        assert!(!covers(&org_wide, &perm("write", Some(5), Some(2))));
        assert!(!covers(&org_wide, &perm("write", None, None)));
        let one = holder(vec![perm("read", Some(5), Some(1))]);
        assert!(covers(&one, &perm("read", Some(5), Some(1))));
        assert!(!covers(&one, &perm("read", None, Some(1))));
        assert!(!covers(&one, &perm("read", Some(6), Some(1))));
    }

    #[test]
    fn permissions_decode_with_platform_ids() {
        let p = permission(PermissionIn {
            action: "write".into(),
            resource: ResourceIn {
                kind: "buckets".into(),
                id: Some("000000000000000a".into()),
                org_id: None,
            },
        })
        .unwrap();
        assert_eq!(p, perm("write", Some(10), None));
        let bad = permission(PermissionIn {
            action: "write".into(),
            resource: ResourceIn {
                kind: "buckets".into(),
                id: Some("xyz".into()),
                org_id: None,
            },
        });
        assert_eq!(bad.unwrap_err().status().as_u16(), 400);
    }
}
