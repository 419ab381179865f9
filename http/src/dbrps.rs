//! `/api/v2/dbrps` and `/api/v2/dbrps/{dbrpID}`: DBRP mappings (v1 database/retention policy
//! → bucket), as InfluxDB 2.7's `dbrp/http_server_dbrp.go` serves them.
//!
//! Invariants:
//! - Every request names an org (`orgID`, else `org`; 400 `either 'org' or 'orgID' must be
//!   provided`, 400 `invalid org ID "…": …`, 404 `invalid org "…": organization not found`,
//!   2.7's `Msg: Err` texts); create takes it from the body the same way.
//! - Shapes as 2.7: list `{"content":[DBRP…]}`, get and patch `{"content":DBRP}`, create 201
//!   with the bare `DBRP`, delete 204. Every `DBRP` carries `virtual` (true for the mapping
//!   each bucket gets from its name; explicit ones are listed first, then virtual ones).
//! - Permissions follow the mapping's bucket: reading needs read on it (unreadable mappings are
//!   left out of lists and are 404 by ID), changing needs write (401 if only readable).
//! - Every mutation is a catalog op on shard 0 (`CatalogData::{create,update,delete}_dbrp`);
//!   a virtual mapping cannot be patched (400) and deleting one is a no-op (204).

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use ringflux_engine::catalog::{
    dbrp_mappings, Authorization, CatalogOp, CatalogReply, CatalogSnapshot, Dbrp, DbrpFilter,
    DbrpUpdate, DbrpView, NewDbrp,
};
use ringflux_engine::model::{BucketId, OrgId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::authenticate;
use crate::body::{read_bounded, RespBody};
use crate::error::ApiError;
use crate::params::Params;
use crate::resources::{decode_json, MAX_RESOURCE_BODY};
use crate::routes::{empty, json_response, Ctx};
use crate::scope::{check_bucket_write, parse_id};

/// `DBRPCreate` (IDs as strings, to give 2.7's specific messages).
#[derive(Debug, Deserialize)]
struct CreateIn {
    #[serde(default)]
    database: String,
    #[serde(default)]
    retention_policy: String,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    org: String,
    #[serde(rename = "orgID", default)]
    org_id: String,
    #[serde(rename = "bucketID", default)]
    bucket_id: String,
}

/// `DBRPUpdate`.
#[derive(Debug, Deserialize)]
struct PatchIn {
    #[serde(default)]
    default: Option<bool>,
    #[serde(default)]
    retention_policy: Option<String>,
}

/// `DBRP`.
fn dbrp_json(m: &Dbrp, is_virtual: bool) -> Value {
    json!({
        "id": BucketId(m.id).to_string(),
        "database": m.database,
        "retention_policy": m.retention_policy,
        "default": m.default,
        "orgID": OrgId(m.org_id).to_string(),
        "bucketID": BucketId(m.bucket_id).to_string(),
        "virtual": is_virtual,
    })
}

fn no_org() -> ApiError {
    ApiError::invalid("either 'org' or 'orgID' must be provided")
}

/// The org of a request: `orgID` (preferred) or `org` name, with 2.7's messages.
fn org_from(
    snap: &CatalogSnapshot,
    org_id: Option<&str>,
    org: Option<&str>,
) -> Result<u64, ApiError> {
    if let Some(id) = org_id.filter(|s| !s.is_empty()) {
        return parse_id(id).map_err(|e| ApiError::invalid(format!("invalid org ID {id:?}: {e}")));
    }
    let name = org.filter(|s| !s.is_empty()).ok_or_else(no_org)?;
    snap.org_by_name(name)
        .map(|o| o.id)
        .ok_or_else(|| ApiError::not_found(format!("invalid org {name:?}: organization not found")))
}

fn query_org(snap: &CatalogSnapshot, p: &Params) -> Result<u64, ApiError> {
    org_from(snap, p.get("orgID"), p.get("org"))
}

fn optional_id(p: &Params, key: &str, what: &str) -> Result<Option<u64>, ApiError> {
    p.get_nonempty(key)
        .map(|s| {
            parse_id(s).map_err(|e| ApiError::invalid(format!("invalid {what} ID {s:?}: {e}")))
        })
        .transpose()
}

fn path_id(id: &str) -> Result<u64, ApiError> {
    parse_id(id).map_err(ApiError::invalid)
}

fn can_read(auth: &Authorization, m: &Dbrp) -> bool {
    auth.allows_bucket("read", m.org_id, m.bucket_id)
}

/// The mapping `id` of `org` (explicit, else the virtual one of bucket `id`) if the token may
/// read it.
fn find(
    snap: &CatalogSnapshot,
    auth: &Authorization,
    org: u64,
    id: u64,
) -> Result<DbrpView, ApiError> {
    dbrp_mappings(
        snap,
        &DbrpFilter {
            org_id: Some(org),
            id: Some(id),
            ..Default::default()
        },
    )
    .into_iter()
    .find(|v| can_read(auth, &v.mapping))
    .ok_or_else(|| ApiError::not_found("unable to find DBRP"))
}

fn dbrp_reply(reply: CatalogReply) -> Result<Dbrp, ApiError> {
    match reply {
        CatalogReply::Dbrp(m) => Ok(*m),
        _ => Err(ApiError::internal(
            "unexpected catalog reply to a DBRP operation",
        )),
    }
}

/// `GET /api/v2/dbrps`.
pub fn list(ctx: &Ctx, req: &Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let auth = authenticate(&snap, req.headers())?;
    let p = Params::parse(req.uri().query());
    let org = query_org(&snap, &p)?;
    let default = match p.get_nonempty("default") {
        None => None,
        Some("true" | "1" | "t" | "T" | "TRUE" | "True") => Some(true),
        Some("false" | "0" | "f" | "F" | "FALSE" | "False") => Some(false),
        Some(_) => return Err(ApiError::invalid("invalid default parameter")),
    };
    let filter = DbrpFilter {
        org_id: Some(org),
        id: optional_id(&p, "id", "DBRP")?,
        bucket_id: optional_id(&p, "bucketID", "bucket")?,
        database: p.get_nonempty("db").map(String::from),
        retention_policy: p.get_nonempty("rp").map(String::from),
        default,
    };
    let content: Vec<Value> = dbrp_mappings(&snap, &filter)
        .iter()
        .filter(|v| can_read(auth, &v.mapping))
        .map(|v| dbrp_json(&v.mapping, v.is_virtual))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "content": content }),
    ))
}

/// `POST /api/v2/dbrps` → 201 `DBRP`.
pub async fn create(ctx: &Ctx, req: Request<Incoming>) -> Result<Response<RespBody>, ApiError> {
    let auth = {
        let snap = ctx.engine.catalog();
        authenticate(&snap, req.headers())?.clone()
    };
    let body = read_bounded(req, MAX_RESOURCE_BODY).await?;
    let c: CreateIn = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("invalid json structure: {e}")))?;
    let op = {
        let snap = ctx.engine.catalog();
        let org_id = org_from(&snap, Some(&c.org_id), Some(&c.org))?;
        let bucket_id = parse_id(&c.bucket_id)
            .map_err(|e| ApiError::invalid(format!("invalid bucket ID {:?}: {e}", c.bucket_id)))?;
        if let Some(b) = snap.bucket_by_id(BucketId(bucket_id)) {
            check_bucket_write(&auth, b)?;
        }
        CatalogOp::CreateDbrp(NewDbrp {
            org_id,
            bucket_id,
            database: c.database,
            retention_policy: c.retention_policy,
            default: c.default,
        })
    };
    let created = dbrp_reply(ctx.engine.catalog_op(op).await?)?;
    Ok(json_response(
        StatusCode::CREATED,
        &dbrp_json(&created, false),
    ))
}

/// `GET /api/v2/dbrps/{id}`.
pub fn get(ctx: &Ctx, req: &Request<Incoming>, id: &str) -> Result<Response<RespBody>, ApiError> {
    let snap = ctx.engine.catalog();
    let auth = authenticate(&snap, req.headers())?;
    let id = path_id(id)?;
    let org = query_org(&snap, &Params::parse(req.uri().query()))?;
    let v = find(&snap, auth, org, id)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "content": dbrp_json(&v.mapping, v.is_virtual) }),
    ))
}

/// `PATCH /api/v2/dbrps/{id}` → 200 `{"content": DBRP}`.
pub async fn patch(
    ctx: &Ctx,
    req: Request<Incoming>,
    id: &str,
) -> Result<Response<RespBody>, ApiError> {
    let (org, id) = {
        let snap = ctx.engine.catalog();
        let auth = authenticate(&snap, req.headers())?;
        let id = path_id(id)?;
        let org = query_org(&snap, &Params::parse(req.uri().query()))?;
        let v = find(&snap, auth, org, id)?;
        if v.is_virtual {
            return Err(ApiError::invalid(
                "virtual DBRP mappings cannot be updated; create an explicit mapping instead",
            ));
        }
        if let Some(b) = snap.bucket_by_id(BucketId(v.mapping.bucket_id)) {
            check_bucket_write(auth, b)?;
        }
        (org, id)
    };
    let body = read_bounded(req, MAX_RESOURCE_BODY).await?;
    let upd: PatchIn = decode_json(&body)?;
    let op = CatalogOp::UpdateDbrp(DbrpUpdate {
        org_id: org,
        id,
        default: upd.default,
        retention_policy: upd.retention_policy,
    });
    let updated = dbrp_reply(ctx.engine.catalog_op(op).await?)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "content": dbrp_json(&updated, false) }),
    ))
}

/// `DELETE /api/v2/dbrps/{id}` → 204.
pub async fn delete(
    ctx: &Ctx,
    req: &Request<Incoming>,
    id: &str,
) -> Result<Response<RespBody>, ApiError> {
    let (org, id) = {
        let snap = ctx.engine.catalog();
        let auth = authenticate(&snap, req.headers())?;
        let id = path_id(id)?;
        let org = query_org(&snap, &Params::parse(req.uri().query()))?;
        let v = find(&snap, auth, org, id)?;
        if let Some(b) = snap.bucket_by_id(BucketId(v.mapping.bucket_id)) {
            check_bucket_write(auth, b)?;
        }
        if v.is_virtual {
            return Ok(empty(StatusCode::NO_CONTENT));
        }
        (org, id)
    };
    ctx.engine
        .catalog_op(CatalogOp::DeleteDbrp(org, id))
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
