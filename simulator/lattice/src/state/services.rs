//! Services, their listeners and the listeners' rules (including each listener's default
//! rule), and the checks that tie rule actions to target groups.

use serde_json::{Value, json};

use super::page::page;
use super::{
    Env, Error, Input, Listener, Partition, Phase, Result, Rule, Service, id_of, ident, quota_code, required, str_of,
    tags_of, ts,
};

const SERVICE: &str = "SERVICE";
const LISTENER: &str = "LISTENER";
const RULE: &str = "RULE";

impl Partition {
    pub(crate) fn service(&self, id: &str) -> Result<&Service> {
        self.services.get(id).ok_or_else(|| Error::not_found(SERVICE, id))
    }

    fn listener_of(&self, input: &Input) -> Result<&Listener> {
        let svc = self.service(ident(input, "serviceIdentifier")?)?;
        let id = ident(input, "listenerIdentifier")?;
        self.listeners.get(id).filter(|l| l.service_id == svc.common.id).ok_or_else(|| Error::not_found(LISTENER, id))
    }

    fn rule_of(&self, listener: &Listener, identifier: &str) -> Result<&Rule> {
        let id = id_of(identifier);
        self.rules.get(id).filter(|r| r.listener_id == listener.common.id).ok_or_else(|| Error::not_found(RULE, id))
    }

    fn service_view(svc: &Service) -> Value {
        json!({
            "id": svc.common.id, "arn": svc.common.arn, "name": svc.name, "status": svc.phase.status,
            "createdAt": ts(svc.common.created_at_ms), "lastUpdatedAt": ts(svc.common.last_updated_at_ms),
            "dnsEntry": svc.dns_entry, "customDomainName": svc.custom_domain_name,
            "certificateArn": svc.certificate_arn, "authType": svc.auth_type,
            "idleTimeoutSeconds": svc.idle_timeout_seconds,
        })
    }

    fn listener_view(&self, l: &Listener) -> Value {
        json!({
            "id": l.common.id, "arn": l.common.arn, "name": l.name, "protocol": l.protocol, "port": l.port,
            "serviceId": l.service_id, "serviceArn": self.services.get(&l.service_id).map(|s| &s.common.arn),
            "defaultAction": l.default_action,
            "createdAt": ts(l.common.created_at_ms), "lastUpdatedAt": ts(l.common.last_updated_at_ms),
        })
    }

    fn rule_view(&self, r: &Rule) -> Value {
        let action = match &r.action {
            Some(action) => Some(action.clone()),
            None => self.listeners.get(&r.listener_id).map(|l| l.default_action.clone()),
        };
        json!({
            "id": r.common.id, "arn": r.common.arn, "name": r.name, "isDefault": r.is_default,
            "priority": r.priority, "match": r.match_, "action": action,
            "createdAt": ts(r.common.created_at_ms), "lastUpdatedAt": ts(r.common.last_updated_at_ms),
        })
    }

    /// Checks that the target groups a service forwards to exist, serve no other service,
    /// and stay within the per-service quota. Called after a change; the call is rolled
    /// back when it fails.
    fn check_forwards_of(&self, env: &Env, service_id: &str) -> Result<()> {
        let forwards = self.forwards();
        let mut count = 0;
        for (tg_id, services) in forwards.iter().filter(|(_, s)| s.contains(service_id)) {
            let tg = self.target_groups.get(tg_id).ok_or_else(|| Error::not_found("TARGET_GROUP", tg_id))?;
            if tg.phase.is("DELETE_IN_PROGRESS") {
                return Err(Error::conflict("TARGET_GROUP", tg_id, format!("Target group {tg_id} is being deleted")));
            }
            if let Some(other) = services.iter().find(|s| *s != service_id) {
                let other_arn = self.services.get(other).map_or(other.as_str(), |s| s.common.arn.as_str());
                return Err(Error::conflict(
                    "TARGET_GROUP",
                    tg_id,
                    format!("Target group {tg_id} is already associated with another service: {other_arn}"),
                ));
            }
            count += 1;
        }
        let limit = env.config.quotas.target_groups_per_service;
        if count > limit {
            return Err(Error::quota(
                "TARGET_GROUP",
                quota_code::TARGET_GROUPS_PER_SERVICE,
                limit,
                "target groups per service",
            ));
        }
        Ok(())
    }
}

/// A rule action with every target-group identifier reduced to its id, as Get returns it.
fn normalized_action(action: &Value) -> Value {
    let mut action = action.clone();
    if let Some(tgs) = action.pointer_mut("/forward/targetGroups").and_then(Value::as_array_mut) {
        for tg in tgs {
            if let Some(id) = tg["targetGroupIdentifier"].as_str().map(|s| id_of(s).to_string()) {
                tg["targetGroupIdentifier"] = Value::String(id);
            }
        }
    }
    action
}

fn action_of(input: &Input, member: &str) -> Result<Value> {
    input.get(member).map(normalized_action).ok_or_else(|| Error::field(member, "is required"))
}

pub(crate) fn create_service(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let name = required(input, "name")?;
    if part.services.values().any(|s| s.name == name) {
        return Err(Error::conflict(SERVICE, name, format!("A service named {name} already exists")));
    }
    if part.services.len() >= env.config.quotas.services {
        return Err(Error::quota(SERVICE, quota_code::SERVICES, env.config.quotas.services, "services"));
    }
    let id = env.ids.resource_id("svc");
    let domain = format!("{name}-{}.{}.vpc-lattice-svcs.{}.on.aws", &id[4..], env.ids.hex(7), env.ctx.region);
    let svc = Service {
        common: env.common(id.clone(), &format!("service/{id}")),
        name: name.to_string(),
        phase: Phase::created(env.now(), env.config.lifecycle.create_delay_ms),
        auth_type: str_of(input, "authType").unwrap_or("NONE").to_string(),
        dns_entry: json!({"domainName": domain, "hostedZoneId": format!("Z0{}", env.ids.hex(19).to_uppercase())}),
        custom_domain_name: str_of(input, "customDomainName").map(str::to_string),
        certificate_arn: str_of(input, "certificateArn").map(str::to_string),
        idle_timeout_seconds: input.get("idleTimeoutSeconds").and_then(Value::as_i64),
    };
    part.tags.insert(svc.common.arn.clone(), tags_of(input));
    let view = Partition::service_view(&svc);
    part.services.insert(id, svc);
    Ok(view)
}

pub(crate) fn get_service(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    Ok(Partition::service_view(part.service(ident(input, "serviceIdentifier")?)?))
}

pub(crate) fn list_services(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let items = part
        .services
        .values()
        .filter(|s| env.visible(&s.common))
        .map(|s| (s.common.id.clone(), Partition::service_view(s)))
        .collect();
    page(env, input, items)
}

pub(crate) fn update_service(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "serviceIdentifier")?;
    let svc = part.services.get_mut(id).ok_or_else(|| Error::not_found(SERVICE, id))?;
    if let Some(arn) = str_of(input, "certificateArn") {
        svc.certificate_arn = Some(arn.to_string());
    }
    if let Some(auth) = str_of(input, "authType") {
        svc.auth_type = auth.to_string();
    }
    if let Some(secs) = input.get("idleTimeoutSeconds").and_then(Value::as_i64) {
        svc.idle_timeout_seconds = Some(secs);
    }
    svc.common.last_updated_at_ms = env.now();
    Ok(Partition::service_view(svc))
}

pub(crate) fn delete_service(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "serviceIdentifier")?;
    let svc = part.service(id)?;
    if svc.phase.is("CREATE_IN_PROGRESS") {
        return Err(Error::conflict(SERVICE, id, format!("Service {id} is in status CREATE_IN_PROGRESS")));
    }
    let associations = part.service_network_service_associations.values().filter(|a| a.service_id == id).count();
    if associations > 0 {
        return Err(Error::conflict(
            SERVICE,
            id,
            format!("Service {id} is still associated with {associations} service network(s)"),
        ));
    }
    let svc = part.services.get_mut(id).ok_or_else(|| Error::not_found(SERVICE, id))?;
    if !svc.phase.is("DELETE_IN_PROGRESS") {
        svc.phase = Phase::deleting(env.now(), env.config.lifecycle.delete_delay_ms);
    }
    Ok(Partition::service_view(svc))
}

pub(crate) fn create_listener(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let svc = part.service(ident(input, "serviceIdentifier")?)?;
    let service_id = svc.common.id.clone();
    if svc.phase.is("DELETE_IN_PROGRESS") {
        return Err(Error::conflict(
            SERVICE,
            &service_id,
            format!("Service {service_id} is in status DELETE_IN_PROGRESS"),
        ));
    }
    let name = required(input, "name")?;
    let protocol = required(input, "protocol")?;
    let port = input.get("port").and_then(Value::as_i64).unwrap_or(if protocol == "HTTP" { 80 } else { 443 });
    let siblings: Vec<&Listener> = part.listeners.values().filter(|l| l.service_id == service_id).collect();
    if let Some(l) = siblings.iter().find(|l| l.name == name) {
        return Err(Error::conflict(LISTENER, &l.common.id, format!("A listener named {name} already exists")));
    }
    if let Some(l) = siblings.iter().find(|l| l.port == port) {
        return Err(Error::conflict(LISTENER, &l.common.id, format!("A listener on port {port} already exists")));
    }
    let limit = env.config.quotas.listeners_per_service;
    if siblings.len() >= limit {
        return Err(Error::quota(LISTENER, quota_code::LISTENERS_PER_SERVICE, limit, "listeners per service"));
    }
    let id = env.ids.resource_id("listener");
    let listener_path = format!("service/{service_id}/listener/{id}");
    let rule_id = env.ids.resource_id("rule");
    let default_rule = Rule {
        common: env.common(rule_id.clone(), &format!("{listener_path}/rule/{rule_id}")),
        name: "default".into(),
        service_id: service_id.clone(),
        listener_id: id.clone(),
        is_default: true,
        priority: None,
        match_: None,
        action: None,
    };
    let listener = Listener {
        common: env.common(id.clone(), &listener_path),
        name: name.to_string(),
        service_id: service_id.clone(),
        protocol: protocol.to_string(),
        port,
        default_action: action_of(input, "defaultAction")?,
        default_rule_id: rule_id.clone(),
    };
    part.tags.insert(listener.common.arn.clone(), tags_of(input));
    part.tags.insert(default_rule.common.arn.clone(), Default::default());
    part.rules.insert(rule_id, default_rule);
    part.listeners.insert(id.clone(), listener);
    part.check_forwards_of(env, &service_id)?;
    Ok(part.listener_view(&part.listeners[&id]))
}

pub(crate) fn get_listener(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let l = part.listener_of(input)?;
    Ok(part.listener_view(l))
}

pub(crate) fn list_listeners(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let svc = part.service(ident(input, "serviceIdentifier")?)?;
    let items = part
        .listeners
        .values()
        .filter(|l| l.service_id == svc.common.id && env.visible(&l.common))
        .map(|l| (l.common.id.clone(), part.listener_view(l)))
        .collect();
    page(env, input, items)
}

pub(crate) fn update_listener(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = part.listener_of(input)?.common.id.clone();
    let action = action_of(input, "defaultAction")?;
    let l = part.listeners.get_mut(&id).ok_or_else(|| Error::not_found(LISTENER, &id))?;
    l.default_action = action;
    l.common.last_updated_at_ms = env.now();
    let service_id = l.service_id.clone();
    part.check_forwards_of(env, &service_id)?;
    Ok(part.listener_view(&part.listeners[&id]))
}

pub(crate) fn delete_listener(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let id = part.listener_of(input)?.common.id.clone();
    part.remove_listener(&id);
    Ok(json!({}))
}

fn check_rule_slot(
    part: &Partition,
    listener_id: &str,
    rule_id: &str,
    name: Option<&str>,
    priority: Option<i64>,
) -> Result<()> {
    for other in part.rules.values().filter(|r| r.listener_id == listener_id && r.common.id != rule_id) {
        if name.is_some_and(|n| n == other.name) {
            return Err(Error::conflict(RULE, &other.common.id, format!("A rule named {} already exists", other.name)));
        }
        if priority.is_some() && priority == other.priority {
            return Err(Error::conflict(
                RULE,
                &other.common.id,
                format!("Priority {} is already used by rule {}", other.priority.unwrap_or_default(), other.common.id),
            ));
        }
    }
    Ok(())
}

pub(crate) fn create_rule(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let listener = part.listener_of(input)?.clone();
    let name = required(input, "name")?;
    let priority = input.get("priority").and_then(Value::as_i64);
    check_rule_slot(part, &listener.common.id, "", Some(name), priority)?;
    let count = part.rules.values().filter(|r| r.listener_id == listener.common.id && !r.is_default).count();
    let limit = env.config.quotas.rules_per_listener;
    if count >= limit {
        return Err(Error::quota(RULE, quota_code::RULES_PER_LISTENER, limit, "rules per listener"));
    }
    let id = env.ids.resource_id("rule");
    let rule = Rule {
        common: env
            .common(id.clone(), &format!("service/{}/listener/{}/rule/{id}", listener.service_id, listener.common.id)),
        name: name.to_string(),
        service_id: listener.service_id.clone(),
        listener_id: listener.common.id.clone(),
        is_default: false,
        priority,
        match_: input.get("match").cloned(),
        action: Some(action_of(input, "action")?),
    };
    part.tags.insert(rule.common.arn.clone(), tags_of(input));
    part.rules.insert(id.clone(), rule);
    part.check_forwards_of(env, &listener.service_id)?;
    Ok(part.rule_view(&part.rules[&id]))
}

pub(crate) fn get_rule(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let listener = part.listener_of(input)?;
    let rule = part.rule_of(listener, required(input, "ruleIdentifier")?)?;
    Ok(part.rule_view(rule))
}

pub(crate) fn list_rules(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let listener = part.listener_of(input)?;
    let items = part
        .rules
        .values()
        .filter(|r| r.listener_id == listener.common.id && env.visible(&r.common))
        .map(|r| (r.common.id.clone(), part.rule_view(r)))
        .collect();
    page(env, input, items)
}

/// Applies one rule update in place (UpdateRule and each entry of BatchUpdateRule).
fn apply_rule_update(part: &mut Partition, env: &Env, listener: &Listener, update: &Input) -> Result<String> {
    let rule = part.rule_of(listener, required(update, "ruleIdentifier")?)?;
    let id = rule.common.id.clone();
    if rule.is_default {
        return Err(Error::invalid(format!(
            "Rule {id} is the listener's default rule: update the listener's defaultAction instead"
        )));
    }
    let priority = update.get("priority").and_then(Value::as_i64);
    check_rule_slot(part, &listener.common.id, &id, None, priority)?;
    let action = update.get("action").map(normalized_action);
    let rule = part.rules.get_mut(&id).ok_or_else(|| Error::not_found(RULE, &id))?;
    if let Some(m) = update.get("match") {
        rule.match_ = Some(m.clone());
    }
    if priority.is_some() {
        rule.priority = priority;
    }
    if action.is_some() {
        rule.action = action;
    }
    rule.common.last_updated_at_ms = env.now();
    part.check_forwards_of(env, &listener.service_id)?;
    Ok(id)
}

pub(crate) fn update_rule(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let listener = part.listener_of(input)?.clone();
    let id = apply_rule_update(part, env, &listener, input)?;
    Ok(part.rule_view(&part.rules[&id]))
}

pub(crate) fn batch_update_rule(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let listener = part.listener_of(input)?.clone();
    let updates = input.get("rules").and_then(Value::as_array).cloned().unwrap_or_default();
    let original = part.rules.clone();
    // Batches exist to swap priorities: free the priorities being moved first, so a swap
    // does not collide with its own other half.
    for update in &updates {
        if let (Some(rule), Some(_)) = (update["ruleIdentifier"].as_str(), update.get("priority"))
            && let Some(r) =
                part.rules.get_mut(id_of(rule)).filter(|r| !r.is_default && r.listener_id == listener.common.id)
        {
            r.priority = None;
        }
    }
    let mut successful = Vec::new();
    let mut unsuccessful = Vec::new();
    for update in &updates {
        let update = update.as_object().cloned().unwrap_or_default();
        let before = part.clone();
        match apply_rule_update(part, env, &listener, &update) {
            Ok(id) => successful.push(part.rule_view(&part.rules[&id])),
            Err(e) => {
                *part = before;
                // A failed entry keeps the rule exactly as it was before the batch.
                let failed = update.get("ruleIdentifier").and_then(Value::as_str).map(id_of).unwrap_or_default();
                if let (Some(rule), Some(was)) = (part.rules.get_mut(failed), original.get(failed)) {
                    *rule = was.clone();
                }
                unsuccessful.push(json!({
                    "ruleIdentifier": update.get("ruleIdentifier"),
                    "failureCode": e.shape_name(),
                    "failureMessage": e.to_string(),
                }));
            }
        }
    }
    // A restored rule may now share its old priority with one that moved onto it: then
    // the batch as a whole cannot stand (the caller rolls it back).
    let mut seen = std::collections::BTreeSet::new();
    for r in part.rules.values().filter(|r| r.listener_id == listener.common.id) {
        if let Some(p) = r.priority.filter(|p| !seen.insert(*p)) {
            return Err(Error::conflict(RULE, &r.common.id, format!("Priority {p} would be used by two rules")));
        }
    }
    Ok(json!({"successful": successful, "unsuccessful": unsuccessful}))
}

pub(crate) fn delete_rule(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let listener = part.listener_of(input)?;
    let rule = part.rule_of(listener, required(input, "ruleIdentifier")?)?;
    if rule.is_default {
        return Err(Error::invalid(format!(
            "Rule {} is the listener's default rule and cannot be deleted",
            rule.common.id
        )));
    }
    let (id, arn) = (rule.common.id.clone(), rule.common.arn.clone());
    part.rules.remove(&id);
    part.tags.remove(&arn);
    Ok(json!({}))
}
