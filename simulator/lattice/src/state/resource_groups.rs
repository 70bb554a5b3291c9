//! The Resource Groups Tagging API over the same tags as Lattice's own `TagResource`:
//! `GetResources`, `TagResources`, `UntagResources`, `GetTagKeys` and `GetTagValues`, in the
//! caller's account and region (docs/lattice.md, "The Resource Groups Tagging API").

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::page::{decode, token_after};
use super::{Env, Error, Input, Partition, Result, tagging};

/// `ResourcesPerPage` when the request names none (the API allows 1–100).
const DEFAULT_RESOURCES_PER_PAGE: usize = 100;
/// `GetTagKeys` / `GetTagValues` page size (the API takes no page-size parameter).
const KEYS_PER_PAGE: usize = 100;

/// `service[:resourceType]` of an ARN: `vpc-lattice:targetgroup` for
/// `arn:aws:vpc-lattice:…:targetgroup/tg-…`, and for nested resources the type path
/// without its ids, `vpc-lattice:service/listener` for a listener.
fn resource_type(arn: &str) -> Option<(&str, String)> {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2)?;
    let resource = parts.nth(2)?;
    let path: Vec<&str> = resource.split('/').step_by(2).collect();
    Some((service, path.join("/")))
}

fn type_filter_matches(filter: &str, arn: &str) -> bool {
    let Some((service, kind)) = resource_type(arn) else { return false };
    match filter.split_once(':') {
        None => filter == service,
        Some((s, k)) => s == service && k == kind,
    }
}

/// Strings of a list member.
fn strings(input: &Input, member: &str) -> Vec<String> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// One `TagFilter`: the key, and the values any of which matches (none: any value).
struct TagFilter {
    key: String,
    values: Vec<String>,
}

impl TagFilter {
    fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(&self.key).is_some_and(|v| self.values.is_empty() || self.values.contains(v))
    }
}

fn tag_filters(input: &Input) -> Result<Vec<TagFilter>> {
    let Some(list) = input.get("TagFilters").and_then(Value::as_array) else { return Ok(Vec::new()) };
    list.iter()
        .enumerate()
        .map(|(i, f)| {
            let key = f.get("Key").and_then(Value::as_str).filter(|k| !k.is_empty());
            let key = key.ok_or_else(|| Error::field(format!("TagFilters[{i}].Key"), "is required"))?;
            let values = f
                .get("Values")
                .and_then(Value::as_array)
                .map_or_else(Vec::new, |vs| vs.iter().filter_map(Value::as_str).map(str::to_string).collect());
            Ok(TagFilter { key: key.to_string(), values })
        })
        .collect()
}

fn tag_list(tags: &BTreeMap<String, String>) -> Value {
    tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect()
}

fn mapping(arn: &str, tags: &BTreeMap<String, String>, compliance: bool) -> Value {
    let mut m = json!({"ResourceARN": arn, "Tags": tag_list(tags)});
    if compliance {
        // No tag policy is modelled, so every resource complies.
        m["ComplianceDetails"] =
            json!({"NoncompliantKeys": [], "KeysWithNoncompliantValues": [], "ComplianceStatus": true});
    }
    m
}

/// Whether an ARN is this partition's: the Tagging API sees the caller's account and region
/// only.
fn in_partition(env: &Env, arn: &str) -> bool {
    let mut parts = arn.split(':');
    let (region, account) = (parts.nth(3), parts.next());
    region == Some(env.ctx.region.as_str()) && account == Some(env.ctx.account.as_str())
}

/// The record of the resource an ARN names, wherever it lives in the partition.
fn common_of<'a>(part: &'a Partition, arn: &str) -> Option<&'a super::Common> {
    let mut all = part
        .service_networks
        .values()
        .map(|r| &r.common)
        .chain(part.services.values().map(|r| &r.common))
        .chain(part.listeners.values().map(|r| &r.common))
        .chain(part.rules.values().map(|r| &r.common))
        .chain(part.target_groups.values().map(|r| &r.common))
        .chain(part.service_network_service_associations.values().map(|r| &r.common))
        .chain(part.service_network_vpc_associations.values().map(|r| &r.common))
        .chain(part.others.values().flat_map(|m| m.values().map(|r| &r.common)));
    all.find(|c| c.arn == arn)
}

pub(crate) fn get_resources(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let compliance = input.get("IncludeComplianceDetails").and_then(Value::as_bool).unwrap_or(false);
    if input.get("ExcludeCompliantResources").and_then(Value::as_bool).unwrap_or(false) && !compliance {
        return Err(Error::invalid("ExcludeCompliantResources can be set only with IncludeComplianceDetails"));
    }
    let arns = strings(input, "ResourceARNList");
    if !arns.is_empty() {
        let exclusive = ["TagFilters", "ResourceTypeFilters", "PaginationToken", "ResourcesPerPage", "TagsPerPage"];
        if let Some(other) = exclusive.iter().find(|m| input.get(**m).is_some()) {
            return Err(Error::invalid(format!("ResourceARNList cannot be combined with {other}")));
        }
        // An ARN that names no resource is left out, not an error (the API's rule).
        let found: Vec<Value> =
            arns.iter().filter_map(|arn| part.tags.get(arn).map(|tags| mapping(arn, tags, compliance))).collect();
        return Ok(json!({"ResourceTagMappingList": found, "PaginationToken": ""}));
    }
    let per_page = match input.get("ResourcesPerPage").and_then(Value::as_i64) {
        None => DEFAULT_RESOURCES_PER_PAGE,
        Some(n @ 1..=100) => n as usize,
        Some(n) => return Err(Error::field("ResourcesPerPage", format!("{n} is outside the allowed range 1..100"))),
    };
    let tags_per_page = match input.get("TagsPerPage").and_then(Value::as_i64) {
        None => None,
        Some(n @ 100..=500) => Some(n as usize),
        Some(n) => return Err(Error::field("TagsPerPage", format!("{n} is outside the allowed range 100..500"))),
    };
    let after = after_token(input)?;
    let filters = tag_filters(input)?;
    let types = strings(input, "ResourceTypeFilters");
    // Without an ARN list the answer is every tagged resource that passes all filters, in
    // ARN order. Like Lattice's lists, the search is eventually consistent: under an
    // eventual-consistency fault it does not show resources created too recently.
    let visible =
        |arn: &str| env.ctx.hide_newer_than_ms.is_none() || common_of(part, arn).is_none_or(|c| env.visible(c));
    let mut matching = part
        .tags
        .iter()
        .filter(|(arn, _)| after.as_ref().is_none_or(|a| *arn > a))
        .filter(|(_, tags)| !tags.is_empty())
        .filter(|(arn, _)| visible(arn))
        .filter(|(arn, _)| types.is_empty() || types.iter().any(|t| type_filter_matches(t, arn)))
        .filter(|(_, tags)| filters.iter().all(|f| f.matches(tags)))
        .peekable();
    let (mut page, mut tags_on_page, mut last) = (Vec::new(), 0, None);
    while page.len() < per_page {
        let Some((arn, tags)) = matching.peek() else { break };
        // A resource is never split across pages; one without tags counts as one tag.
        let weight = tags.len().max(1);
        if tags_per_page.is_some_and(|limit| !page.is_empty() && tags_on_page + weight > limit) {
            break;
        }
        tags_on_page += weight;
        page.push(mapping(arn, tags, compliance));
        last = Some(arn.to_string());
        matching.next();
    }
    let token = match (matching.peek(), last) {
        (Some(_), Some(last)) => token_after(&last),
        _ => String::new(),
    };
    Ok(json!({"ResourceTagMappingList": page, "PaginationToken": token}))
}

/// The key after which the page that the request's `PaginationToken` asks for starts; `None`
/// for the first page (no token, or an empty one).
fn after_token(input: &Input) -> Result<Option<String>> {
    match input.get("PaginationToken").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(token) => {
            decode(token).map(Some).ok_or_else(|| Error::field("PaginationToken", "is not a token this service issued"))
        }
    }
}

/// A page of sorted strings after the request's `PaginationToken`, under `member`.
fn string_page(input: &Input, member: &str, items: impl IntoIterator<Item = String>) -> Result<Value> {
    let after = after_token(input)?;
    let mut rest = items.into_iter().filter(|k| after.as_ref().is_none_or(|a| k > a)).peekable();
    let page: Vec<String> = rest.by_ref().take(KEYS_PER_PAGE).collect();
    let token = match (rest.peek(), page.last()) {
        (Some(_), Some(last)) => token_after(last),
        _ => String::new(),
    };
    Ok(json!({member: page, "PaginationToken": token}))
}

pub(crate) fn get_tag_keys(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let keys: std::collections::BTreeSet<String> = part.tags.values().flat_map(|t| t.keys().cloned()).collect();
    string_page(input, "TagKeys", keys)
}

pub(crate) fn get_tag_values(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let key = super::required(input, "Key")?;
    let values: std::collections::BTreeSet<String> = part.tags.values().filter_map(|t| t.get(key).cloned()).collect();
    string_page(input, "TagValues", values)
}

/// What the API reports for one resource it could not change: an error code from its enum,
/// the status and the message of the service that owns the resource.
fn failure(error: &Error) -> Value {
    let code = match error {
        Error::Internal { .. } | Error::Throttling { .. } => "InternalServiceException",
        _ => "InvalidParameterException",
    };
    json!({"StatusCode": error.status(), "ErrorCode": code, "ErrorMessage": error.to_string()})
}

/// Applies a Lattice tag operation to each listed resource on its own: one resource's
/// failure lands in `FailedResourcesMap` and leaves that resource as it was, while the
/// others are changed.
fn each_resource(
    part: &mut Partition,
    env: &Env,
    input: &Input,
    change: impl Fn(&mut Partition, &Env, &Input) -> Result<Value>,
    lattice_input: impl Fn(&str) -> Input,
) -> Result<Value> {
    let mut failed = Map::new();
    for arn in strings(input, "ResourceARNList") {
        let result = if in_partition(env, &arn) {
            let before = part.tags.get(&arn).cloned();
            let result = change(part, env, &lattice_input(&arn));
            if result.is_err()
                && let Some(before) = before
            {
                part.tags.insert(arn.clone(), before);
            }
            result
        } else {
            Err(Error::invalid(format!("{arn} is not a resource of account {} in {}", env.ctx.account, env.ctx.region)))
        };
        if let Err(e) = result {
            failed.insert(arn, failure(&e));
        }
    }
    Ok(json!({"FailedResourcesMap": failed}))
}

pub(crate) fn tag_resources(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let tags = input.get("Tags").cloned().unwrap_or_else(|| json!({}));
    each_resource(part, env, input, tagging::tag_resource, |arn| {
        Map::from_iter([("resourceArn".to_string(), json!(arn)), ("tags".to_string(), tags.clone())])
    })
}

pub(crate) fn untag_resources(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let keys = input.get("TagKeys").cloned().unwrap_or_else(|| json!([]));
    each_resource(part, env, input, tagging::untag_resource, |arn| {
        Map::from_iter([("resourceArn".to_string(), json!(arn)), ("tagKeys".to_string(), keys.clone())])
    })
}

/// The organisation-wide operations (compliance summaries, reports, required tags) need AWS
/// Organizations, which is not modelled.
pub(crate) fn organisation_only(operation: &str) -> Result<Value> {
    Err(Error::invalid(format!("{operation} needs AWS Organizations, which the simulator does not model")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_follow_the_arn() {
        let tg = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123";
        let listener = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-1/listener/listener-2";
        assert!(type_filter_matches("vpc-lattice:targetgroup", tg));
        assert!(type_filter_matches("vpc-lattice", tg));
        assert!(!type_filter_matches("vpc-lattice:service", tg));
        assert!(type_filter_matches("vpc-lattice:service/listener", listener));
        assert!(!type_filter_matches("vpc-lattice:service", listener));
        assert!(!type_filter_matches("ec2", tg));
    }
}
