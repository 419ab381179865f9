//! `/api/v2/orgs` and `/api/v2/orgs/{orgID}`: list, create, read, update, delete.
//!
//! Invariants:
//! - Same order of checks and visibility rule as the bucket endpoints (`crate::scope`): an
//!   org the token cannot read is `organization not found`.
//! - Creating an org also creates its `_monitoring` and `_tasks` system buckets and records
//!   the token's user as owner (the `userID` filter); deleting an org deletes all its buckets.
//! - Listings are ordered by ID; `links` holds only `self`, as in 2.7.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::catalog::{CatalogOp, CatalogReply, NewOrg, Org, OrgUpdate};
use ringflux_engine::model::OrgId;
use serde::Deserialize;
use serde_json::json;

use crate::auth::authenticate;
use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::paging::FindOptions;
use crate::params::Params;
use crate::resources::{decode_json, org_json, MAX_RESOURCE_BODY};
use crate::routes::{empty, json_response, Ctx, API_V2_ORGS};
use crate::scope::{check_org_write, parse_id, require_id};

/// `PostOrganizationRequest` / `PatchOrganizationRequest`.
#[derive(Debug, Deserialize)]
struct OrgIn {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn org_reply(reply: CatalogReply) -> Result<Org, ApiError> {
    match reply {
        CatalogReply::Org(o) => Ok(*o),
        _ => Err(ApiError::internal(
            "unexpected catalog reply to an org operation",
        )),
    }
}

/// `GET /api/v2/orgs`.
pub fn list(ctx: &Ctx, req: &Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let auth = authenticate(&snap, req.headers())?;
    let p = Params::parse(req.uri().query());
    let opts = FindOptions::parse(&p)?;
    // 2.7 silently ignores a malformed orgID or userID filter.
    let org_id = p.get_nonempty("orgID").and_then(|s| parse_id(s).ok());
    let user_id = p.get_nonempty("userID").and_then(|s| parse_id(s).ok());
    let mut found: Vec<&Org> = if let Some(name) = p.get_nonempty("org") {
        vec![snap.org_by_name(name).ok_or_else(|| {
            ApiError::not_found(format!("organization name \"{name}\" not found"))
        })?]
    } else if let Some(id) = org_id {
        vec![snap
            .org_by_id(OrgId(id))
            .ok_or_else(|| ApiError::not_found("organization not found"))?]
    } else {
        snap.orgs().iter().collect()
    };
    found.sort_by_key(|o| o.id);
    let visible: Vec<&Org> = found
        .into_iter()
        .filter(|o| user_id.is_none_or(|u| o.owners.contains(&u)))
        .filter(|o| auth.allows_org("read", o.id))
        .collect();
    let page = opts.page(visible, true, |o| o.id);
    let orgs: Vec<_> = page.into_iter().map(org_json).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "links": { "self": API_V2_ORGS }, "orgs": orgs }),
    ))
}

/// `POST /api/v2/orgs` → 201 `Organization`.
pub async fn create(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let auth = {
        let snap = ctx.engine.catalog();
        authenticate(&snap, req.headers())?.clone()
    };
    if !auth.allows("write", "orgs", None) {
        return Err(ApiError::unauthorized());
    }
    let body = read_bounded(req, MAX_RESOURCE_BODY).await?;
    let o: OrgIn = decode_json(&body)?;
    let op = CatalogOp::CreateOrg(NewOrg {
        name: o.name.unwrap_or_default(),
        description: o.description.unwrap_or_default(),
        owner: Some(auth.user_id),
    });
    let created = org_reply(ctx.engine.catalog_op(op).await?)?;
    Ok(json_response(StatusCode::CREATED, &org_json(&created)))
}

/// `GET /api/v2/orgs/{id}`.
pub fn get(ctx: &Ctx, req: &Request<Incoming>, id: &str) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let auth = authenticate(&snap, req.headers())?;
    let id = require_id(id)?;
    let org = snap
        .org_by_id(OrgId(id))
        .filter(|o| auth.allows_org("read", o.id))
        .ok_or_else(|| ApiError::not_found("organization not found"))?;
    Ok(json_response(StatusCode::OK, &org_json(org)))
}

/// `PATCH /api/v2/orgs/{id}` → 200 `Organization`.
pub async fn patch(
    ctx: &Ctx,
    req: Request<Incoming>,
    id: &str,
) -> Result<Response<RespBody>, ApiError> {
    let id = {
        let snap = ctx.engine.catalog();
        let auth = authenticate(&snap, req.headers())?;
        let id = require_id(id)?;
        let org = snap
            .org_by_id(OrgId(id))
            .ok_or_else(|| ApiError::not_found("organization not found"))?;
        check_org_write(auth, org)?;
        id
    };
    let body = read_bounded(req, MAX_RESOURCE_BODY).await?;
    let o: OrgIn = decode_json(&body)?;
    let op = CatalogOp::UpdateOrg(OrgUpdate {
        id,
        name: o.name,
        description: o.description,
    });
    let updated = org_reply(ctx.engine.catalog_op(op).await?)?;
    Ok(json_response(StatusCode::OK, &org_json(&updated)))
}

/// `DELETE /api/v2/orgs/{id}` → 204; the org's buckets go with it.
pub async fn delete(
    ctx: &Ctx,
    req: &Request<Incoming>,
    id: &str,
) -> Result<Response<RespBody>, ApiError> {
    let id = {
        let snap = ctx.engine.catalog();
        let auth = authenticate(&snap, req.headers())?;
        let id = require_id(id)?;
        let org = snap
            .org_by_id(OrgId(id))
            .ok_or_else(|| ApiError::not_found("organization not found"))?;
        check_org_write(auth, org)?;
        id
    };
    ctx.engine.catalog_op(CatalogOp::DeleteOrg(id)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
