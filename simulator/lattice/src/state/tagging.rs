//! Tags on every taggable ARN, auth policies and resource policies.

use serde_json::{Value, json};

use super::{Env, Error, Input, Partition, Policy, Result, id_of, required, ts};
use crate::model::FieldProblem;

/// `RESOURCE_GATEWAY` from `…:resourcegateway/rgw-…` and the like, for error bodies.
fn resource_type_of(arn: &str) -> &'static str {
    let kind = arn.split(':').nth(5).and_then(|r| r.split('/').next()).unwrap_or("");
    match kind {
        "servicenetwork" => "SERVICE_NETWORK",
        "service" if arn.contains("/rule/") => "RULE",
        "service" if arn.contains("/listener/") => "LISTENER",
        "service" => "SERVICE",
        "targetgroup" => "TARGET_GROUP",
        "servicenetworkserviceassociation" => "SERVICE_NETWORK_SERVICE_ASSOCIATION",
        "servicenetworkvpcassociation" => "SERVICE_NETWORK_VPC_ASSOCIATION",
        "servicenetworkresourceassociation" => "SERVICE_NETWORK_RESOURCE_ASSOCIATION",
        "accesslogsubscription" => "ACCESS_LOG_SUBSCRIPTION",
        "resourcegateway" => "RESOURCE_GATEWAY",
        "resourceconfiguration" => "RESOURCE_CONFIGURATION",
        "domainverification" => "DOMAIN_VERIFICATION",
        _ => "RESOURCE",
    }
}

fn tags_entry<'a>(part: &'a mut Partition, arn: &str) -> Result<&'a mut std::collections::BTreeMap<String, String>> {
    part.tags.get_mut(arn).ok_or_else(|| Error::not_found(resource_type_of(arn), arn))
}

pub(crate) fn tag_resource(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let arn = required(input, "resourceArn")?;
    let new_tags = super::tags_of(input);
    let reserved: Vec<FieldProblem> = new_tags
        .keys()
        .filter(|k| k.starts_with("aws:"))
        .map(|k| FieldProblem { name: format!("tags.{k}"), message: "keys beginning with aws: are reserved".into() })
        .collect();
    if !reserved.is_empty() {
        return Err(Error::fields(reserved));
    }
    let limit = env.config.quotas.tags_per_resource;
    let tags = tags_entry(part, arn)?;
    tags.extend(new_tags);
    if tags.len() > limit {
        return Err(Error::field("tags", format!("a resource can have at most {limit} tags")));
    }
    Ok(json!({}))
}

pub(crate) fn untag_resource(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let arn = required(input, "resourceArn")?;
    let keys: Vec<String> = input
        .get("tagKeys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let tags = tags_entry(part, arn)?;
    for key in keys {
        tags.remove(&key);
    }
    Ok(json!({}))
}

pub(crate) fn list_tags_for_resource(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let arn = required(input, "resourceArn")?;
    Ok(json!({"tags": tags_entry(part, arn)?}))
}

/// The id and ARN of the service network, service or resource configuration that a
/// policy attaches to, if it exists.
fn policy_owner(part: &Partition, identifier: &str) -> Result<(String, String, Option<String>)> {
    let id = id_of(identifier);
    if let Some(sn) = part.service_networks.get(id) {
        return Ok((id.to_string(), sn.common.arn.clone(), Some(sn.auth_type.clone())));
    }
    if let Some(svc) = part.services.get(id) {
        return Ok((id.to_string(), svc.common.arn.clone(), Some(svc.auth_type.clone())));
    }
    if let Some(rc) = part.others.get("resourceConfiguration").and_then(|m| m.get(id)) {
        return Ok((id.to_string(), rc.common.arn.clone(), None));
    }
    let kind = if identifier.starts_with("arn:") { resource_type_of(identifier) } else { "RESOURCE" };
    Err(Error::not_found(kind, identifier))
}

fn auth_state(auth_type: Option<&str>) -> &'static str {
    if auth_type == Some("AWS_IAM") { "Active" } else { "Inactive" }
}

pub(crate) fn put_auth_policy(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let (id, _, auth_type) = policy_owner(part, required(input, "resourceIdentifier")?)?;
    let policy = required(input, "policy")?.to_string();
    let created = part.auth_policies.get(&id).map_or(env.now(), |p| p.created_at_ms);
    part.auth_policies
        .insert(id, Policy { policy: policy.clone(), created_at_ms: created, last_updated_at_ms: env.now() });
    Ok(json!({"policy": policy, "state": auth_state(auth_type.as_deref())}))
}

pub(crate) fn get_auth_policy(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let (id, _, auth_type) = policy_owner(part, required(input, "resourceIdentifier")?)?;
    let p = part.auth_policies.get(&id).ok_or_else(|| Error::not_found("AUTH_POLICY", &id))?;
    Ok(json!({
        "policy": p.policy, "state": auth_state(auth_type.as_deref()),
        "createdAt": ts(p.created_at_ms), "lastUpdatedAt": ts(p.last_updated_at_ms),
    }))
}

pub(crate) fn delete_auth_policy(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let (id, _, _) = policy_owner(part, required(input, "resourceIdentifier")?)?;
    part.auth_policies.remove(&id);
    Ok(json!({}))
}

pub(crate) fn put_resource_policy(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let (_, arn, _) = policy_owner(part, required(input, "resourceArn")?)?;
    let policy = required(input, "policy")?.to_string();
    let created = part.resource_policies.get(&arn).map_or(env.now(), |p| p.created_at_ms);
    part.resource_policies.insert(arn, Policy { policy, created_at_ms: created, last_updated_at_ms: env.now() });
    Ok(json!({}))
}

pub(crate) fn get_resource_policy(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let (_, arn, _) = policy_owner(part, required(input, "resourceArn")?)?;
    let p = part.resource_policies.get(&arn).ok_or_else(|| Error::not_found("RESOURCE_POLICY", &arn))?;
    Ok(json!({"policy": p.policy}))
}

pub(crate) fn delete_resource_policy(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let (_, arn, _) = policy_owner(part, required(input, "resourceArn")?)?;
    part.resource_policies.remove(&arn);
    Ok(json!({}))
}
