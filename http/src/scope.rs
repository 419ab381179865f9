//! Resolving `org`/`orgID` and `bucket` parameters against the catalog, with InfluxDB 2.7's
//! messages, parsing platform IDs, and checking the token's permission on buckets and orgs.
//!
//! Visibility rule (as InfluxDB hides what a token cannot read): a bucket or org the token
//! may not read is reported as not found; one it may read but not change answers the opaque
//! 401 on a mutation.

use ringflux_engine::catalog::{Authorization, Bucket, CatalogSnapshot, Org};
use ringflux_engine::model::{BucketId, OrgId};

use crate::error::ApiError;
use crate::params::Params;

/// Parses a 16-hex-digit platform ID with InfluxDB 2.7's messages (`platform.IDFromString`).
pub fn parse_id(s: &str) -> Result<u64, &'static str> {
    if s.len() != 16 {
        return Err("id must have a length of 16 bytes");
    }
    BucketId::parse(s).map(|b| b.0).ok_or("invalid ID")
}

/// A path or query ID; a malformed one is 400 `invalid`.
pub fn require_id(s: &str) -> Result<u64, ApiError> {
    parse_id(s).map_err(ApiError::invalid)
}

/// Finds the org named by `orgID` (preferred) or `org`.
pub fn resolve_org<'a>(snap: &'a CatalogSnapshot, p: &Params) -> Result<&'a Org, ApiError> {
    if let Some(id) = p.get_nonempty("orgID") {
        let oid = OrgId::parse(id).ok_or_else(|| {
            ApiError::invalid(format!(
                "invalid orgID {id:?}: id must have a length of 16 hex characters"
            ))
        })?;
        return snap
            .org_by_id(oid)
            .ok_or_else(|| ApiError::not_found(format!("organization not found: {id}")));
    }
    if let Some(name) = p.get_nonempty("org") {
        return snap
            .org_by_name(name)
            .or_else(|| OrgId::parse(name).and_then(|id| snap.org_by_id(id)))
            .ok_or_else(|| ApiError::not_found(format!("organization name \"{name}\" not found")));
    }
    Err(ApiError::invalid("Please provide either orgID or org"))
}

/// Finds bucket `name_or_id` within `org` (by name first, then by 16-hex-digit ID).
pub fn resolve_bucket<'a>(
    snap: &'a CatalogSnapshot,
    org: &Org,
    name_or_id: &str,
) -> Option<&'a Bucket> {
    snap.bucket_by_name(OrgId(org.id), name_or_id).or_else(|| {
        BucketId::parse(name_or_id)
            .and_then(|id| snap.bucket_by_id(id))
            .filter(|b| b.org_id == org.id)
    })
}

/// Finds the bucket named by `bucketID` (preferred) or `bucket` within `org`, with InfluxDB
/// 2.7's messages (`/api/v2/delete` and other handlers that use 2.7's `queryBucket`).
pub fn resolve_bucket_param<'a>(
    snap: &'a CatalogSnapshot,
    org: &Org,
    p: &Params,
) -> Result<&'a Bucket, ApiError> {
    if let Some(id) = p.get_nonempty("bucketID") {
        let bid = BucketId::parse(id).ok_or_else(|| {
            ApiError::invalid(if id.len() == 16 {
                "invalid ID"
            } else {
                "id must have a length of 16 bytes"
            })
        })?;
        return snap
            .bucket_by_id(bid)
            .filter(|b| b.org_id == org.id)
            .ok_or_else(|| ApiError::not_found("bucket not found"));
    }
    if let Some(name) = p.get_nonempty("bucket") {
        return resolve_bucket(snap, org, name)
            .ok_or_else(|| ApiError::not_found(format!("bucket \"{name}\" not found")));
    }
    Err(ApiError::invalid(
        "Please provide either bucketID or bucket",
    ))
}

/// Checks `action` (`read`/`write`) on `bucket`; a missing read permission looks like a
/// missing bucket (InfluxDB hides what a token cannot see).
pub fn check_bucket(auth: &Authorization, action: &str, bucket: &Bucket) -> Result<(), ApiError> {
    if auth.allows_bucket(action, bucket.org_id, bucket.id) {
        return Ok(());
    }
    if action == "write" {
        Err(ApiError::forbidden(format!(
            "insufficient permissions for write on bucket \"{}\"",
            bucket.name
        )))
    } else {
        Err(ApiError::not_found(format!(
            "could not find bucket \"{}\"",
            bucket.name
        )))
    }
}

/// For a mutation of `bucket`: 404 if the token cannot even read it, 401 if it can read but
/// not write it.
pub fn check_bucket_write(auth: &Authorization, bucket: &Bucket) -> Result<(), ApiError> {
    if auth.allows_bucket("write", bucket.org_id, bucket.id) {
        Ok(())
    } else if auth.allows_bucket("read", bucket.org_id, bucket.id) {
        Err(ApiError::unauthorized())
    } else {
        Err(ApiError::not_found("bucket not found"))
    }
}

/// For a mutation of `org`: 404 if the token cannot read it, 401 if it cannot write it.
pub fn check_org_write(auth: &Authorization, org: &Org) -> Result<(), ApiError> {
    if auth.allows_org("write", org.id) {
        Ok(())
    } else if auth.allows_org("read", org.id) {
        Err(ApiError::unauthorized())
    } else {
        Err(ApiError::not_found("organization not found"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringflux_engine::catalog::{Permission, Resource};

    fn bucket(id: u64, org: u64) -> Bucket {
        Bucket {
            id,
            org_id: org,
            name: format!("b{id}"),
            description: String::new(),
            retention_seconds: 0,
            shard_group_seconds: 0,
            rp: String::new(),
            kind: "user".into(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn auth(perms: Vec<(&str, Option<u64>, Option<u64>)>) -> Authorization {
        Authorization {
            id: 1,
            token: "t".into(),
            status: "active".into(),
            description: String::new(),
            org_id: 1,
            user_id: 1,
            permissions: perms
                .into_iter()
                .map(|(action, id, org_id)| Permission {
                    action: action.into(),
                    resource: Resource {
                        kind: "buckets".into(),
                        id,
                        org_id,
                    },
                })
                .collect(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn ids_parse_with_influxdb_messages() {
        assert_eq!(parse_id("000000000000000a"), Ok(10));
        assert_eq!(parse_id("abc"), Err("id must have a length of 16 bytes"));
        assert_eq!(parse_id("000000000000000g"), Err("invalid ID"));
        assert_eq!(parse_id("0000000000000000"), Err("invalid ID"));
    }

    #[test]
    fn bucket_mutation_needs_write_and_hides_unreadable_buckets() {
        let read_only = auth(vec![("read", None, None)]);
        let e = check_bucket_write(&read_only, &bucket(5, 1)).unwrap_err();
        assert_eq!(e.status().as_u16(), 401);
        let other = auth(vec![("write", Some(6), None)]);
        let e = check_bucket_write(&other, &bucket(5, 1)).unwrap_err();
        assert_eq!(e.status().as_u16(), 404);
        let rw = auth(vec![("write", None, Some(1))]);
        assert!(check_bucket_write(&rw, &bucket(5, 1)).is_ok());
    }

    #[test]
    fn write_needs_a_write_permission_on_that_bucket() {
        let read_only = auth(vec![("read", None, None)]);
        let e = check_bucket(&read_only, "write", &bucket(5, 1)).unwrap_err();
        assert_eq!(e.status().as_u16(), 403);
        assert!(check_bucket(&read_only, "read", &bucket(5, 1)).is_ok());
        let one_bucket = auth(vec![("write", Some(5), Some(1))]);
        assert!(check_bucket(&one_bucket, "write", &bucket(5, 1)).is_ok());
        assert_eq!(
            check_bucket(&one_bucket, "write", &bucket(6, 1))
                .unwrap_err()
                .status()
                .as_u16(),
            403
        );
        // A bucket the token cannot read looks like a missing bucket.
        let e = check_bucket(&one_bucket, "read", &bucket(5, 1)).unwrap_err();
        assert_eq!(e.status().as_u16(), 404);
        let other_org = auth(vec![("write", None, Some(2))]);
        assert!(check_bucket(&other_org, "write", &bucket(5, 1)).is_err());
    }
}
