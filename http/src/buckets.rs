//! `/api/v2/buckets` and `/api/v2/buckets/{bucketID}`: list, create, read, update, delete.
//!
//! Invariants:
//! - Order of checks: token (opaque 401) → IDs and query options (400) → body (400 on bad JSON,
//!   422 on rules 2.7 rejects) → existence and permission (404 for what the token cannot read,
//!   401 for what it can read but not change) → the catalog mutation on shard 0.
//! - Every mutation goes through `ShardContext::catalog_op` (shard 0 validates against the
//!   current catalog, persists, then publishes); handlers only pre-check for early errors.
//! - Listings only show buckets the token may read. They are ordered by name within an org
//!   (`org`/`orgID` filter) and by ID otherwise, as 2.7's indexes are.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::catalog::{
    Bucket, BucketUpdate, CatalogOp, CatalogReply, CatalogSnapshot, NewBucket,
};
use ringflux_engine::model::{BucketId, OrgId};
use serde::Deserialize;
use serde_json::json;

use crate::auth::authenticate;
use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::paging::FindOptions;
use crate::params::Params;
use crate::resources::{bucket_json, decode_json, MAX_RESOURCE_BODY};
use crate::routes::{empty, json_response, Ctx, API_V2_BUCKETS};
use crate::scope::{check_bucket_write, require_id};

/// One entry of `retentionRules` (`BucketRetentionRules` in oss.yml).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuleIn {
    #[serde(default)]
    every_seconds: Option<i64>,
    #[serde(default)]
    shard_group_duration_seconds: Option<i64>,
}

/// `PostBucketRequest`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostBucket {
    #[serde(rename = "orgID", default)]
    org_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    rp: Option<String>,
    #[serde(default)]
    retention_rules: Option<Vec<RuleIn>>,
}

/// `PatchBucketRequest`. Unknown fields (a whole `Bucket`, as the Python client sends) are
/// ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PatchBucket {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    retention_rules: Option<Vec<RuleIn>>,
}

/// The single rule 2.7 supports, with its 422 checks.
fn single_rule(rules: Option<Vec<RuleIn>>) -> Result<Option<RuleIn>, ApiError> {
    let mut rules = rules.unwrap_or_default();
    if rules.len() > 1 {
        return Err(ringflux_engine::Error::unprocessable(
            "buckets cannot have more than one retention rule at this time",
        )
        .into());
    }
    let rule = rules.pop();
    if let Some(r) = &rule {
        if r.every_seconds.is_some_and(|s| s < 0) {
            return Err(ringflux_engine::Error::unprocessable(
                "expiration seconds cannot be negative",
            )
            .into());
        }
        if r.shard_group_duration_seconds.is_some_and(|s| s < 0) {
            return Err(ringflux_engine::Error::unprocessable(
                "shard-group duration seconds cannot be negative",
            )
            .into());
        }
    }
    Ok(rule)
}

fn bucket_reply(reply: CatalogReply) -> Result<Bucket, ApiError> {
    match reply {
        CatalogReply::Bucket(b) => Ok(*b),
        _ => Err(ApiError::internal(
            "unexpected catalog reply to a bucket operation",
        )),
    }
}

/// The bucket `id` if it exists and the token may read it (else 404 `bucket not found`).
fn visible_bucket<'a>(
    snap: &'a CatalogSnapshot,
    auth: &ringflux_engine::catalog::Authorization,
    id: u64,
) -> Result<&'a Bucket, ApiError> {
    snap.bucket_by_id(BucketId(id))
        .filter(|b| auth.allows_bucket("read", b.org_id, b.id))
        .ok_or_else(|| ApiError::not_found("bucket not found"))
}

/// `GET /api/v2/buckets`.
pub fn list(ctx: &Ctx, req: &Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let auth = authenticate(&snap, req.headers())?;
    let p = Params::parse(req.uri().query());
    let opts = FindOptions::parse(&p)?;
    let id = p.get_nonempty("id").map(require_id).transpose()?;
    let org_id = p.get_nonempty("orgID").map(require_id).transpose()?;
    let org_name = p.get_nonempty("org");
    let name = p.get_nonempty("name");

    let (found, by_id): (Vec<&Bucket>, bool) = if let Some(id) = id {
        let b = snap
            .bucket_by_id(BucketId(id))
            .ok_or_else(|| ApiError::not_found("bucket not found"))?;
        (vec![b], true)
    } else if let (Some(name), Some(org)) = (name, org_id) {
        let b = snap
            .bucket_by_name(OrgId(org), name)
            .ok_or_else(|| ApiError::not_found(format!("bucket \"{name}\" not found")))?;
        (vec![b], true)
    } else {
        let org = match (org_id, org_name) {
            (Some(o), _) => Some(o),
            (None, Some(n)) => Some(
                snap.org_by_name(n)
                    .ok_or_else(|| {
                        ApiError::not_found(format!("organization name \"{n}\" not found"))
                    })?
                    .id,
            ),
            (None, None) => None,
        };
        let mut v: Vec<&Bucket> = snap
            .buckets()
            .iter()
            .filter(|b| org.is_none_or(|o| b.org_id == o))
            .filter(|b| name.is_none_or(|n| b.name == n))
            .collect();
        if org.is_some() {
            v.sort_by(|a, b| a.name.cmp(&b.name));
            (v, false)
        } else {
            v.sort_by_key(|b| b.id);
            (v, true)
        }
    };
    let visible: Vec<&Bucket> = found
        .into_iter()
        .filter(|b| auth.allows_bucket("read", b.org_id, b.id))
        .collect();
    let page = opts.page(visible, by_id, |b| b.id);
    let filters = [
        ("id", p.get("id").unwrap_or("")),
        ("name", name.unwrap_or("")),
        ("orgID", p.get("orgID").unwrap_or("")),
        ("org", org_name.unwrap_or("")),
    ];
    let links = opts.links(API_V2_BUCKETS, &filters, page.len());
    let buckets: Vec<_> = page.into_iter().map(bucket_json).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "links": links, "buckets": buckets }),
    ))
}

/// `POST /api/v2/buckets` → 201 `Bucket`.
pub async fn create(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let auth = {
        let snap = ctx.engine.catalog();
        authenticate(&snap, req.headers())?.clone()
    };
    let body = read_bounded(req, MAX_RESOURCE_BODY).await?;
    let b: PostBucket = decode_json(&body)?;
    let org_id = match b.org_id.as_deref().filter(|s| !s.is_empty()) {
        None => return Err(ApiError::invalid("organization id must be provided")),
        Some(s) => require_id(s)?,
    };
    let rule = single_rule(b.retention_rules)?;
    if !auth.allows("write", "buckets", Some(org_id)) {
        return Err(ApiError::unauthorized());
    }
    let op = CatalogOp::CreateBucket(NewBucket {
        org_id,
        name: b.name.unwrap_or_default(),
        description: b.description.unwrap_or_default(),
        retention_seconds: rule.as_ref().and_then(|r| r.every_seconds).unwrap_or(0),
        shard_group_seconds: rule
            .as_ref()
            .and_then(|r| r.shard_group_duration_seconds)
            .unwrap_or(0),
        rp: b.rp.unwrap_or_default(),
    });
    let created = bucket_reply(ctx.engine.catalog_op(op).await?)?;
    Ok(json_response(StatusCode::CREATED, &bucket_json(&created)))
}

/// `GET /api/v2/buckets/{id}`.
pub fn get(ctx: &Ctx, req: &Request<Incoming>, id: &str) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let auth = authenticate(&snap, req.headers())?;
    let id = require_id(id)?;
    let b = visible_bucket(&snap, auth, id)?;
    Ok(json_response(StatusCode::OK, &bucket_json(b)))
}

/// `PATCH /api/v2/buckets/{id}` → 200 `Bucket`.
pub async fn patch(
    ctx: &Ctx,
    req: Request<Incoming>,
    id: &str,
) -> Result<Response<RespBody>, ApiError> {
    let auth = {
        let snap = ctx.engine.catalog();
        authenticate(&snap, req.headers())?.clone()
    };
    let id = require_id(id)?;
    let body = read_bounded(req, MAX_RESOURCE_BODY).await?;
    let upd: PatchBucket = decode_json(&body)?;
    let rule = single_rule(upd.retention_rules)?;
    {
        let snap = ctx.engine.catalog();
        let b = snap
            .bucket_by_id(BucketId(id))
            .ok_or_else(|| ApiError::not_found("bucket not found"))?;
        check_bucket_write(&auth, b)?;
    }
    let op = CatalogOp::UpdateBucket(BucketUpdate {
        id,
        name: upd.name,
        description: upd.description,
        retention_seconds: rule.as_ref().and_then(|r| r.every_seconds),
        shard_group_seconds: rule.as_ref().and_then(|r| r.shard_group_duration_seconds),
    });
    let updated = bucket_reply(ctx.engine.catalog_op(op).await?)?;
    Ok(json_response(StatusCode::OK, &bucket_json(&updated)))
}

/// `DELETE /api/v2/buckets/{id}` → 204.
pub async fn delete(
    ctx: &Ctx,
    req: &Request<Incoming>,
    id: &str,
) -> Result<Response<RespBody>, ApiError> {
    let id = {
        let snap = ctx.engine.catalog();
        let auth = authenticate(&snap, req.headers())?;
        let id = require_id(id)?;
        let b = snap
            .bucket_by_id(BucketId(id))
            .ok_or_else(|| ApiError::not_found("bucket not found"))?;
        check_bucket_write(auth, b)?;
        id
    };
    ctx.engine.catalog_op(CatalogOp::DeleteBucket(id)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
