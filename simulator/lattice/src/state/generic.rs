//! The operations beyond what the controller uses — access-log subscriptions, resource
//! gateways and configurations, their associations, domain verifications — as stateful
//! round trips: one table row per kind, plus the few links each kind checks.

use serde_json::{Map, Value, json};

use super::page::page;
use super::{Env, Error, Generic, Input, Partition, Phase, Result, id_of, ident, str_of, tags_of, ts};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    AccessLogSubscription,
    ResourceGateway,
    ResourceConfiguration,
    ServiceNetworkResourceAssociation,
    ResourceEndpointAssociation,
    DomainVerification,
}

struct Spec {
    /// Key in `Partition::others`.
    key: &'static str,
    prefix: &'static str,
    arn_type: &'static str,
    id_member: &'static str,
    resource_type: &'static str,
    unique_name: bool,
    /// Kinds with a CREATE/DELETE lifecycle.
    lifecycle: bool,
}

impl Kind {
    fn spec(self) -> Spec {
        let (key, prefix, arn_type, id_member, resource_type, unique_name, lifecycle) = match self {
            Kind::AccessLogSubscription => (
                "accessLogSubscription",
                "als",
                "accesslogsubscription",
                "accessLogSubscriptionIdentifier",
                "ACCESS_LOG_SUBSCRIPTION",
                false,
                false,
            ),
            Kind::ResourceGateway => (
                "resourceGateway",
                "rgw",
                "resourcegateway",
                "resourceGatewayIdentifier",
                "RESOURCE_GATEWAY",
                true,
                true,
            ),
            Kind::ResourceConfiguration => (
                "resourceConfiguration",
                "rcfg",
                "resourceconfiguration",
                "resourceConfigurationIdentifier",
                "RESOURCE_CONFIGURATION",
                true,
                true,
            ),
            Kind::ServiceNetworkResourceAssociation => (
                "serviceNetworkResourceAssociation",
                "snra",
                "servicenetworkresourceassociation",
                "serviceNetworkResourceAssociationIdentifier",
                "SERVICE_NETWORK_RESOURCE_ASSOCIATION",
                false,
                true,
            ),
            Kind::ResourceEndpointAssociation => (
                "resourceEndpointAssociation",
                "rea",
                "resourceendpointassociation",
                "resourceEndpointAssociationIdentifier",
                "RESOURCE_ENDPOINT_ASSOCIATION",
                false,
                false,
            ),
            Kind::DomainVerification => (
                "domainVerification",
                "dv",
                "domainverification",
                "domainVerificationIdentifier",
                "DOMAIN_VERIFICATION",
                false,
                false,
            ),
        };
        Spec { key, prefix, arn_type, id_member, resource_type, unique_name, lifecycle }
    }
}

fn records(part: &Partition, kind: Kind) -> impl Iterator<Item = &Generic> {
    part.others.get(kind.spec().key).into_iter().flat_map(|m| m.values())
}

fn find(part: &Partition, kind: Kind, identifier: &str) -> Result<Generic> {
    let spec = kind.spec();
    let id = id_of(identifier);
    part.others.get(spec.key).and_then(|m| m.get(id)).cloned().ok_or_else(|| Error::not_found(spec.resource_type, id))
}

fn view(part: &Partition, r: &Generic) -> Value {
    let mut v = r.fields.clone();
    v.insert("id".into(), json!(r.common.id));
    v.insert("arn".into(), json!(r.common.arn));
    v.insert("createdAt".into(), ts(r.common.created_at_ms));
    v.insert("lastUpdatedAt".into(), ts(r.common.last_updated_at_ms));
    if let Some(phase) = &r.phase {
        v.insert("status".into(), json!(phase.status));
    }
    if r.common.id.starts_with("dv-") {
        v.insert("tags".into(), json!(part.tags.get(&r.common.arn)));
    }
    Value::Object(v)
}

/// Members copied from the request, less identity, tokens and tags.
fn request_fields(input: &Input, spec: &Spec) -> Map<String, Value> {
    input
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "clientToken" | "tags") && k.as_str() != spec.id_member)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Checks the links a new record makes and adds the members derived from them.
fn link(part: &Partition, env: &Env, kind: Kind, fields: &mut Map<String, Value>) -> Result<()> {
    match kind {
        Kind::AccessLogSubscription => {
            let target = str_of(fields, "resourceIdentifier").unwrap_or_default().to_string();
            let (id, arn) = owner(part, &target)?;
            fields.remove("resourceIdentifier");
            fields.insert("resourceId".into(), json!(id));
            fields.insert("resourceArn".into(), json!(arn));
        }
        Kind::ResourceGateway => {
            if let Some(vpc) = fields.get("vpcIdentifier").cloned() {
                fields.insert("vpcId".into(), vpc);
            }
            fields.entry("ipAddressType").or_insert(json!("IPV4"));
        }
        Kind::ResourceConfiguration => {
            if let Some(gw) = str_of(fields, "resourceGatewayIdentifier").map(str::to_string) {
                let gw = find(part, Kind::ResourceGateway, &gw)?;
                fields.insert("resourceGatewayId".into(), json!(gw.common.id));
            }
            if let Some(group) = str_of(fields, "resourceConfigurationGroupIdentifier").map(str::to_string) {
                let group = find(part, Kind::ResourceConfiguration, &group)?;
                fields.insert("resourceConfigurationGroupId".into(), json!(group.common.id));
            }
            fields.entry("allowAssociationToShareableServiceNetwork").or_insert(json!(true));
            fields.insert("amazonManaged".into(), json!(false));
        }
        Kind::ServiceNetworkResourceAssociation => {
            let rc = find(
                part,
                Kind::ResourceConfiguration,
                str_of(fields, "resourceConfigurationIdentifier").unwrap_or_default(),
            )?;
            let sn = part.service_network(id_of(str_of(fields, "serviceNetworkIdentifier").unwrap_or_default()))?;
            if records(part, kind).any(|a| {
                a.fields["resourceConfigurationId"] == rc.common.id.as_str()
                    && a.fields["serviceNetworkId"] == sn.common.id.as_str()
            }) {
                return Err(Error::conflict(
                    "SERVICE_NETWORK_RESOURCE_ASSOCIATION",
                    &rc.common.id,
                    format!("Resource configuration {} is already associated with {}", rc.common.id, sn.common.id),
                ));
            }
            fields.insert("resourceConfigurationId".into(), json!(rc.common.id));
            fields.insert("resourceConfigurationArn".into(), json!(rc.common.arn));
            fields.insert("resourceConfigurationName".into(), rc.fields.get("name").cloned().unwrap_or_default());
            fields.insert("serviceNetworkId".into(), json!(sn.common.id));
            fields.insert("serviceNetworkArn".into(), json!(sn.common.arn));
            fields.insert("serviceNetworkName".into(), json!(sn.name));
            fields.insert("createdBy".into(), json!(env.ctx.account));
            fields.insert("isManagedAssociation".into(), json!(false));
        }
        Kind::DomainVerification => {
            fields.insert("status".into(), json!("PENDING"));
            fields.insert(
                "txtMethodConfig".into(),
                json!({"name": format!("_vpc-lattice-verification.{}", str_of(fields, "domainName").unwrap_or_default()),
                       "value": format!("vpc-lattice-verification={}", env.ids.hex(32))}),
            );
        }
        Kind::ResourceEndpointAssociation => {}
    }
    Ok(())
}

/// The service network or service an access-log subscription attaches to.
fn owner(part: &Partition, identifier: &str) -> Result<(String, String)> {
    let id = id_of(identifier);
    if let Some(sn) = part.service_networks.get(id) {
        return Ok((id.to_string(), sn.common.arn.clone()));
    }
    if let Some(svc) = part.services.get(id) {
        return Ok((id.to_string(), svc.common.arn.clone()));
    }
    Err(Error::not_found(if id.starts_with("svc-") { "SERVICE" } else { "SERVICE_NETWORK" }, id))
}

pub(crate) fn create(kind: Kind, part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let spec = kind.spec();
    if spec.unique_name {
        let name = str_of(input, "name").unwrap_or_default();
        if let Some(other) = records(part, kind).find(|r| r.fields.get("name").and_then(Value::as_str) == Some(name)) {
            return Err(Error::conflict(
                spec.resource_type,
                &other.common.id,
                format!("A resource named {name} already exists"),
            ));
        }
    }
    let mut fields = request_fields(input, &spec);
    link(part, env, kind, &mut fields)?;
    let id = env.ids.resource_id(spec.prefix);
    let record = Generic {
        common: env.common(id.clone(), &format!("{}/{id}", spec.arn_type)),
        phase: spec.lifecycle.then(|| Phase::created(env.now(), env.config.lifecycle.create_delay_ms)),
        fields,
    };
    part.tags.insert(record.common.arn.clone(), tags_of(input));
    let out = view(part, &record);
    part.others.entry(spec.key.to_string()).or_default().insert(id, record);
    Ok(out)
}

pub(crate) fn get(kind: Kind, part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let r = find(part, kind, ident(input, kind.spec().id_member)?)?;
    Ok(view(part, &r))
}

pub(crate) fn list(kind: Kind, part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    // List filters: each request member that names a linked resource.
    let filters: Vec<(&str, String)> = [
        ("resourceIdentifier", "resourceId"),
        ("serviceNetworkIdentifier", "serviceNetworkId"),
        ("resourceConfigurationIdentifier", "resourceConfigurationId"),
        ("resourceGatewayIdentifier", "resourceGatewayId"),
        ("resourceConfigurationGroupIdentifier", "resourceConfigurationGroupId"),
        ("vpcEndpointId", "vpcEndpointId"),
    ]
    .into_iter()
    .filter_map(|(member, field)| str_of(input, member).map(|v| (field, id_of(v).to_string())))
    .collect();
    if kind == Kind::AccessLogSubscription {
        owner(part, str_of(input, "resourceIdentifier").unwrap_or_default())?;
    }
    let items = records(part, kind)
        .filter(|r| env.visible(&r.common))
        .filter(|r| filters.iter().all(|(field, want)| r.fields.get(*field).and_then(Value::as_str) == Some(want)))
        .map(|r| (r.common.id.clone(), view(part, r)))
        .collect();
    page(env, input, items)
}

pub(crate) fn update(kind: Kind, part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let spec = kind.spec();
    let mut record = find(part, kind, ident(input, spec.id_member)?)?;
    for (k, v) in request_fields(input, &spec) {
        record.fields.insert(k, v);
    }
    record.common.last_updated_at_ms = env.now();
    let out = view(part, &record);
    part.others.entry(spec.key.to_string()).or_default().insert(record.common.id.clone(), record);
    Ok(out)
}

pub(crate) fn delete(kind: Kind, part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let spec = kind.spec();
    let record = find(part, kind, ident(input, spec.id_member)?)?;
    let id = record.common.id.clone();
    let dependants = match kind {
        Kind::ResourceGateway => {
            records(part, Kind::ResourceConfiguration).filter(|r| r.fields["resourceGatewayId"] == id.as_str()).count()
        }
        Kind::ResourceConfiguration => records(part, Kind::ServiceNetworkResourceAssociation)
            .filter(|r| r.fields["resourceConfigurationId"] == id.as_str())
            .count(),
        _ => 0,
    };
    if dependants > 0 {
        return Err(Error::conflict(
            spec.resource_type,
            &id,
            format!("{id} is still used by {dependants} resource(s)"),
        ));
    }
    let mut out = view(part, &record);
    let map = part.others.entry(spec.key.to_string()).or_default();
    match map.get_mut(&id).and_then(|r| r.phase.as_mut()) {
        Some(phase) if phase.is("CREATE_IN_PROGRESS") => {
            return Err(Error::conflict(spec.resource_type, &id, format!("{id} is in status CREATE_IN_PROGRESS")));
        }
        Some(phase) => {
            if !phase.is("DELETE_IN_PROGRESS") {
                *phase = Phase::deleting(env.now(), env.config.lifecycle.delete_delay_ms);
            }
            out["status"] = json!(phase.status);
        }
        None => {
            map.remove(&id);
            part.tags.remove(&record.common.arn);
        }
    }
    Ok(out)
}

/// A deleted service network or service takes its access-log subscriptions along.
pub(crate) fn drop_subscriptions_of(part: &mut Partition, owner_arn: &str) {
    let key = Kind::AccessLogSubscription.spec().key;
    let gone: Vec<(String, String)> = records(part, Kind::AccessLogSubscription)
        .filter(|r| r.fields.get("resourceArn").and_then(Value::as_str) == Some(owner_arn))
        .map(|r| (r.common.id.clone(), r.common.arn.clone()))
        .collect();
    for (id, arn) in gone {
        if let Some(m) = part.others.get_mut(key) {
            m.remove(&id);
        }
        part.tags.remove(&arn);
    }
}

/// Records a resource endpoint association, which a VPC endpoint creates through EC2 —
/// outside the Lattice API, so only the control surface can make one.
pub(crate) fn add_resource_endpoint_association(
    part: &mut Partition,
    env: &Env,
    resource_configuration: &str,
    vpc_endpoint_id: &str,
) -> Result<Value> {
    let rc = find(part, Kind::ResourceConfiguration, resource_configuration)?;
    let spec = Kind::ResourceEndpointAssociation.spec();
    let id = env.ids.resource_id(spec.prefix);
    let mut fields = Map::new();
    fields.insert("resourceConfigurationId".into(), json!(rc.common.id));
    fields.insert("resourceConfigurationArn".into(), json!(rc.common.arn));
    fields.insert("resourceConfigurationName".into(), rc.fields.get("name").cloned().unwrap_or_default());
    fields.insert("vpcEndpointId".into(), json!(vpc_endpoint_id));
    fields.insert("vpcEndpointOwner".into(), json!(env.ctx.account));
    fields.insert("createdBy".into(), json!(env.ctx.account));
    let record = Generic { common: env.common(id.clone(), &format!("{}/{id}", spec.arn_type)), phase: None, fields };
    part.tags.insert(record.common.arn.clone(), Default::default());
    let out = view(part, &record);
    part.others.entry(spec.key.to_string()).or_default().insert(id, record);
    Ok(out)
}
