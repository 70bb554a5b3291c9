//! Target groups (config rules per type, the health-check defaults the controller expects
//! back) and their targets (registration, draining, derived status).

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::page::page;
use super::{
    Env, Error, Forwards, Input, Partition, Phase, Result, Target, TargetGroup, ident, quota_code, required, tags_of,
    ts,
};
use crate::model::FieldProblem;

const TG: &str = "TARGET_GROUP";

impl Partition {
    pub(crate) fn target_group(&self, id: &str) -> Result<&TargetGroup> {
        self.target_groups.get(id).ok_or_else(|| Error::not_found(TG, id))
    }

    fn target_group_view(&self, tg: &TargetGroup) -> Value {
        self.target_group_view_with(tg, &self.forwards())
    }

    /// The view, given the forwards map (computed once for a whole list).
    fn target_group_view_with(&self, tg: &TargetGroup, forwards: &Forwards) -> Value {
        let service_arns: Vec<&String> = forwards
            .get(&tg.common.id)
            .into_iter()
            .flatten()
            .filter_map(|s| self.services.get(s))
            .map(|s| &s.common.arn)
            .collect();
        let c = &tg.config;
        json!({
            "id": tg.common.id, "arn": tg.common.arn, "name": tg.name, "type": tg.type_, "status": tg.phase.status,
            "config": c, "createdAt": ts(tg.common.created_at_ms), "lastUpdatedAt": ts(tg.common.last_updated_at_ms),
            "serviceArns": service_arns,
            "port": c.get("port"), "protocol": c.get("protocol"), "ipAddressType": c.get("ipAddressType"),
            "vpcIdentifier": c.get("vpcIdentifier"), "lambdaEventStructureVersion": c.get("lambdaEventStructureVersion"),
        })
    }
}

/// The health check a target group gets when created without one. These are exactly the
/// controller's own defaults (controller.md §2.5), so its deep-equality check finds no
/// difference and it does not call UpdateTargetGroup on every reconcile.
fn default_health_check(protocol: &str, protocol_version: &str) -> Value {
    if protocol == "TCP" {
        return json!({"enabled": false});
    }
    let (enabled, version) = match protocol_version {
        "HTTP2" => (false, "HTTP2"),
        "GRPC" => (false, "HTTP1"),
        _ => (true, "HTTP1"),
    };
    json!({
        "enabled": enabled, "protocol": "HTTP", "protocolVersion": version, "path": "/",
        "matcher": {"httpCode": "200"}, "healthCheckIntervalSeconds": 30, "healthCheckTimeoutSeconds": 5,
        "healthyThresholdCount": 5, "unhealthyThresholdCount": 2,
    })
}

fn merge(base: &mut Value, overlay: &Value) {
    if let (Some(base), Some(overlay)) = (base.as_object_mut(), overlay.as_object()) {
        for (k, v) in overlay {
            base.insert(k.clone(), v.clone());
        }
    }
}

/// Applies the per-type rules of the CreateTargetGroup docs and fills the defaults.
fn resolve_config(type_: &str, config: Option<&Value>) -> Result<Map<String, Value>> {
    let mut c = config.and_then(Value::as_object).cloned().unwrap_or_default();
    let mut problems = Vec::new();
    let mut refuse = |member: &str, why: &str| {
        problems.push(FieldProblem { name: format!("config.{member}"), message: why.to_string() });
    };
    if type_ == "LAMBDA" {
        for member in ["port", "protocol", "protocolVersion", "ipAddressType", "vpcIdentifier", "healthCheck"] {
            if c.contains_key(member) {
                refuse(member, "is not allowed for LAMBDA target groups");
            }
        }
        c.entry("lambdaEventStructureVersion").or_insert(json!("V1"));
    } else {
        if config.is_none() {
            return Err(Error::field("config", format!("is required for {type_} target groups")));
        }
        for member in ["port", "protocol", "vpcIdentifier"] {
            if !c.contains_key(member) {
                refuse(member, &format!("is required for {type_} target groups"));
            }
        }
        if c.contains_key("lambdaEventStructureVersion") {
            refuse("lambdaEventStructureVersion", "is only allowed for LAMBDA target groups");
        }
        let protocol = c.get("protocol").and_then(Value::as_str).unwrap_or("HTTP").to_string();
        if type_ == "ALB" {
            if protocol == "TCP" {
                refuse("protocol", "must be HTTP or HTTPS for ALB target groups");
            }
            if c.contains_key("healthCheck") {
                refuse("healthCheck", "is not allowed for ALB target groups");
            }
        }
        if type_ == "IP" {
            c.entry("ipAddressType").or_insert(json!("IPV4"));
        } else if c.contains_key("ipAddressType") {
            refuse("ipAddressType", "is only allowed for IP target groups");
        }
        if protocol == "TCP" {
            if c.contains_key("protocolVersion") {
                refuse("protocolVersion", "is not allowed for TCP target groups");
            }
        } else {
            c.entry("protocolVersion").or_insert(json!("HTTP1"));
        }
        if type_ != "ALB" {
            let version = c.get("protocolVersion").and_then(Value::as_str).unwrap_or("");
            let mut health = default_health_check(&protocol, version);
            if let Some(given) = c.get("healthCheck") {
                merge(&mut health, given);
            }
            c.insert("healthCheck".into(), health);
        }
    }
    if problems.is_empty() { Ok(c) } else { Err(Error::fields(problems)) }
}

pub(crate) fn create_target_group(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let name = required(input, "name")?;
    let type_ = required(input, "type")?;
    let config = resolve_config(type_, input.get("config"))?;
    if part.target_groups.values().any(|tg| tg.name == name) {
        return Err(Error::conflict(TG, name, format!("A target group named {name} already exists")));
    }
    let limit = env.config.quotas.target_groups;
    if part.target_groups.len() >= limit {
        return Err(Error::quota(TG, quota_code::TARGET_GROUPS, limit, "target groups"));
    }
    let id = env.ids.resource_id("tg");
    let tg = TargetGroup {
        common: env.common(id.clone(), &format!("targetgroup/{id}")),
        name: name.to_string(),
        type_: type_.to_string(),
        phase: Phase::created(env.now(), env.config.lifecycle.target_group_create_ms()),
        config,
        used_since_ms: None,
        targets: Vec::new(),
    };
    part.tags.insert(tg.common.arn.clone(), tags_of(input));
    let view = part.target_group_view(&tg);
    part.target_groups.insert(id, tg);
    Ok(view)
}

pub(crate) fn get_target_group(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let tg = part.target_group(ident(input, "targetGroupIdentifier")?)?;
    Ok(part.target_group_view(tg))
}

pub(crate) fn list_target_groups(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let vpc = input.get("vpcIdentifier").and_then(Value::as_str);
    let type_ = input.get("targetGroupType").and_then(Value::as_str);
    let forwards = part.forwards();
    let items = part
        .target_groups
        .values()
        .filter(|tg| env.visible(&tg.common))
        .filter(|tg| vpc.is_none_or(|v| tg.config.get("vpcIdentifier").and_then(Value::as_str) == Some(v)))
        .filter(|tg| type_.is_none_or(|t| tg.type_ == t))
        .map(|tg| (tg.common.id.clone(), part.target_group_view_with(tg, &forwards)))
        .collect();
    page(env, input, items)
}

pub(crate) fn update_target_group(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "targetGroupIdentifier")?;
    let tg = part.target_groups.get_mut(id).ok_or_else(|| Error::not_found(TG, id))?;
    if matches!(tg.type_.as_str(), "LAMBDA" | "ALB") {
        return Err(Error::field("healthCheck", format!("is not allowed for {} target groups", tg.type_)));
    }
    if tg.phase.is("DELETE_IN_PROGRESS") {
        return Err(Error::conflict(TG, id, format!("Target group {id} is in status DELETE_IN_PROGRESS")));
    }
    let given = input.get("healthCheck").cloned().unwrap_or_default();
    merge(tg.config.entry("healthCheck").or_insert(json!({})), &given);
    tg.common.last_updated_at_ms = env.now();
    let tg = tg.clone();
    Ok(part.target_group_view(&tg))
}

pub(crate) fn delete_target_group(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "targetGroupIdentifier")?;
    let tg = part.target_group(id)?;
    if tg.phase.is("CREATE_IN_PROGRESS") {
        return Err(Error::conflict(TG, id, format!("Target group {id} is in status CREATE_IN_PROGRESS")));
    }
    if let Some(services) = part.forwards().get(id) {
        let arns: Vec<String> =
            services.iter().filter_map(|s| part.services.get(s)).map(|s| s.common.arn.clone()).collect();
        return Err(Error::conflict(
            TG,
            id,
            format!("Target group {id} is in use by a listener or rule of {}", arns.join(", ")),
        ));
    }
    let tg = part.target_groups.get_mut(id).ok_or_else(|| Error::not_found(TG, id))?;
    if !tg.phase.is("DELETE_IN_PROGRESS") {
        tg.phase = Phase::deleting(env.now(), env.config.lifecycle.target_group_delete_ms());
        tg.targets.clear();
    }
    Ok(json!({"id": tg.common.id, "arn": tg.common.arn, "status": tg.phase.status}))
}

/// Why a target cannot join a group of this type, if it cannot.
fn unsupported(tg: &TargetGroup, id: &str) -> Option<String> {
    let ok = match tg.type_.as_str() {
        "IP" => match id.parse::<IpAddr>() {
            Ok(ip) => {
                let v6 = tg.config.get("ipAddressType").and_then(Value::as_str) == Some("IPV6");
                ip.is_ipv6() == v6
            }
            Err(_) => false,
        },
        "INSTANCE" => id
            .strip_prefix("i-")
            .is_some_and(|h| (8..=17).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit())),
        "LAMBDA" => id.starts_with("arn:") && id.contains(":lambda:"),
        "ALB" => id.starts_with("arn:") && id.contains(":loadbalancer/app/"),
        _ => false,
    };
    (!ok).then(|| format!("{id} is not a valid target for a target group of type {}", tg.type_))
}

fn target_key(input: &Value, tg: &TargetGroup) -> (String, i64) {
    let default_port = tg.config.get("port").and_then(Value::as_i64).unwrap_or(0);
    (input["id"].as_str().unwrap_or_default().to_string(), input["port"].as_i64().unwrap_or(default_port))
}

fn failure(id: &str, port: i64, code: &str, message: String) -> Value {
    json!({"id": id, "port": port, "failureCode": code, "failureMessage": message})
}

pub(crate) fn register_targets(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "targetGroupIdentifier")?;
    let limit = env.config.quotas.targets_per_target_group;
    let tg = part.target_groups.get_mut(id).ok_or_else(|| Error::not_found(TG, id))?;
    // A group takes targets only once ACTIVE: while it is being created or deleted the call
    // is a Conflict (upstream #781; docs/lattice.md#lifecycles).
    if tg.phase.in_progress() {
        return Err(Error::conflict(TG, id, format!("Target group {id} is in status {}", tg.phase.status)));
    }
    let (mut successful, mut unsuccessful) = (Vec::new(), Vec::new());
    for target in input.get("targets").and_then(Value::as_array).into_iter().flatten() {
        let (tid, port) = target_key(target, tg);
        if let Some(why) = unsupported(tg, &tid) {
            unsuccessful.push(failure(&tid, port, "UnsupportedTarget", why));
            continue;
        }
        if tg.type_ == "LAMBDA" && tg.targets.iter().any(|t| t.id != tid) {
            unsuccessful.push(failure(
                &tid,
                port,
                "UnsupportedTarget",
                "A LAMBDA target group takes one target".into(),
            ));
            continue;
        }
        match tg.targets.iter_mut().find(|t| t.id == tid && t.port == port) {
            // Registering a draining target brings it back.
            Some(existing) if existing.draining_until_ms.is_some() => {
                existing.draining_until_ms = None;
                existing.registered_at_ms = env.now();
            }
            Some(_) => {}
            None => {
                tg.targets.push(Target { id: tid.clone(), port, registered_at_ms: env.now(), draining_until_ms: None })
            }
        }
        successful.push(json!({"id": tid, "port": port}));
    }
    if tg.targets.len() > limit {
        return Err(Error::quota(TG, quota_code::TARGETS_PER_TARGET_GROUP, limit, "targets per target group"));
    }
    Ok(json!({"successful": successful, "unsuccessful": unsuccessful}))
}

pub(crate) fn deregister_targets(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "targetGroupIdentifier")?;
    let draining_ms = env.config.target_health.draining_ms;
    let tg = part.target_groups.get_mut(id).ok_or_else(|| Error::not_found(TG, id))?;
    let in_use = tg.used_since_ms.is_some();
    let (mut successful, mut unsuccessful) = (Vec::new(), Vec::new());
    for target in input.get("targets").and_then(Value::as_array).into_iter().flatten() {
        let (tid, port) = target_key(target, tg);
        let Some(pos) = tg.targets.iter().position(|t| t.id == tid && t.port == port) else {
            unsuccessful.push(failure(&tid, port, "TargetNotFound", format!("Target {tid}:{port} is not registered")));
            continue;
        };
        // Targets of a group in use drain for the deregistration delay; unused ones leave at once.
        if in_use && draining_ms > 0 {
            let t = &mut tg.targets[pos];
            t.draining_until_ms.get_or_insert(env.now() + draining_ms);
        } else {
            tg.targets.remove(pos);
        }
        successful.push(json!({"id": tid, "port": port}));
    }
    Ok(json!({"successful": successful, "unsuccessful": unsuccessful}))
}

/// A target's status and reason, derived from the group's use, its health check and time
/// (lattice-api.md §8).
pub fn target_status(
    tg: &TargetGroup,
    target: &Target,
    now_ms: u64,
    health: &super::TargetHealth,
) -> (&'static str, Option<&'static str>) {
    if target.draining_until_ms.is_some() {
        return ("DRAINING", Some("TargetDeregistrationInProgress"));
    }
    let Some(used_since) = tg.used_since_ms else {
        return ("UNUSED", Some("TargetGroupNotInUse"));
    };
    let check = tg.config.get("healthCheck");
    if check.and_then(|c| c["enabled"].as_bool()) != Some(true) {
        return ("UNAVAILABLE", Some("HealthCheckDisabled"));
    }
    let check = check.cloned().unwrap_or_default();
    let interval = check["healthCheckIntervalSeconds"].as_u64().unwrap_or(30);
    let healthy = check["healthyThresholdCount"].as_u64().unwrap_or(5);
    let initial = health.initial_ms.unwrap_or(interval * healthy * 1000);
    if now_ms < target.registered_at_ms.max(used_since) + initial {
        return ("INITIAL", Some("HealthCheckInProgress"));
    }
    if health.unhealthy_ids.contains(&target.id) {
        return ("UNHEALTHY", Some("HealthCheckFailed"));
    }
    ("HEALTHY", None)
}

pub(crate) fn list_targets(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let tg = part.target_group(ident(input, "targetGroupIdentifier")?)?;
    let filter: Vec<(String, Option<i64>)> = input
        .get("targets")
        .and_then(Value::as_array)
        .map(|ts| ts.iter().map(|t| (t["id"].as_str().unwrap_or_default().to_string(), t["port"].as_i64())).collect())
        .unwrap_or_default();
    let mut items: Vec<(String, Value)> = tg
        .targets
        .iter()
        .filter(|t| {
            filter.is_empty() || filter.iter().any(|(id, port)| *id == t.id && port.is_none_or(|p| p == t.port))
        })
        .map(|t| {
            let (status, reason) = target_status(tg, t, env.now(), &env.config.target_health);
            (
                format!("{}:{:05}", t.id, t.port),
                json!({"id": t.id, "port": t.port, "status": status, "reasonCode": reason}),
            )
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    page(env, input, items)
}
