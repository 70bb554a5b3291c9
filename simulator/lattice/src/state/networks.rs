//! Service networks and their associations with services and VPCs.

use serde_json::{Value, json};

use super::page::page;
use super::{
    Env, Error, Input, Partition, Phase, Result, ServiceNetwork, ServiceNetworkServiceAssociation,
    ServiceNetworkVpcAssociation, ident, quota_code, required, str_of, tags_of, ts,
};

const SN: &str = "SERVICE_NETWORK";
const SNSA: &str = "SERVICE_NETWORK_SERVICE_ASSOCIATION";
const SNVA: &str = "SERVICE_NETWORK_VPC_ASSOCIATION";

impl Partition {
    pub(crate) fn service_network(&self, id: &str) -> Result<&ServiceNetwork> {
        self.service_networks.get(id).ok_or_else(|| Error::not_found(SN, id))
    }

    fn service_network_view(&self, sn: &ServiceNetwork) -> Value {
        let services =
            self.service_network_service_associations.values().filter(|a| a.service_network_id == sn.common.id);
        let vpcs = self.service_network_vpc_associations.values().filter(|a| a.service_network_id == sn.common.id);
        let resources = self
            .others
            .get("serviceNetworkResourceAssociation")
            .map_or(0, |m| m.values().filter(|a| a.fields["serviceNetworkId"] == sn.common.id.as_str()).count());
        json!({
            "id": sn.common.id, "arn": sn.common.arn, "name": sn.name,
            "createdAt": ts(sn.common.created_at_ms), "lastUpdatedAt": ts(sn.common.last_updated_at_ms),
            "authType": sn.auth_type, "sharingConfig": sn.sharing_config,
            "numberOfAssociatedServices": services.count(), "numberOfAssociatedVPCs": vpcs.count(),
            "numberOfAssociatedResourceConfigurations": resources,
        })
    }

    fn service_association_view(&self, a: &ServiceNetworkServiceAssociation) -> Value {
        let svc = self.services.get(&a.service_id);
        let sn = self.service_networks.get(&a.service_network_id);
        json!({
            "id": a.common.id, "arn": a.common.arn, "status": a.phase.status, "createdBy": a.created_by,
            "createdAt": ts(a.common.created_at_ms),
            "serviceId": a.service_id, "serviceName": svc.map(|s| &s.name), "serviceArn": svc.map(|s| &s.common.arn),
            "serviceNetworkId": a.service_network_id, "serviceNetworkName": sn.map(|s| &s.name),
            "serviceNetworkArn": sn.map(|s| &s.common.arn),
            "dnsEntry": svc.map(|s| &s.dns_entry), "customDomainName": svc.and_then(|s| s.custom_domain_name.as_ref()),
        })
    }

    fn vpc_association_view(&self, a: &ServiceNetworkVpcAssociation) -> Value {
        let sn = self.service_networks.get(&a.service_network_id);
        json!({
            "id": a.common.id, "arn": a.common.arn, "status": a.phase.status, "createdBy": a.created_by,
            "createdAt": ts(a.common.created_at_ms), "lastUpdatedAt": ts(a.common.last_updated_at_ms),
            "serviceNetworkId": a.service_network_id, "serviceNetworkName": sn.map(|s| &s.name),
            "serviceNetworkArn": sn.map(|s| &s.common.arn), "vpcId": a.vpc_id,
            "securityGroupIds": a.security_group_ids, "privateDnsEnabled": a.private_dns_enabled,
            "dnsOptions": a.dns_options,
        })
    }
}

pub(crate) fn create_service_network(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let name = required(input, "name")?;
    if part.service_networks.values().any(|sn| sn.name == name) {
        return Err(Error::conflict(SN, name, format!("A service network named {name} already exists")));
    }
    if part.service_networks.len() >= env.config.quotas.service_networks {
        return Err(Error::quota(
            SN,
            quota_code::SERVICE_NETWORKS,
            env.config.quotas.service_networks,
            "service networks",
        ));
    }
    let id = env.ids.resource_id("sn");
    let sn = ServiceNetwork {
        common: env.common(id.clone(), &format!("servicenetwork/{id}")),
        name: name.to_string(),
        auth_type: str_of(input, "authType").unwrap_or("NONE").to_string(),
        sharing_config: input.get("sharingConfig").cloned(),
    };
    part.tags.insert(sn.common.arn.clone(), tags_of(input));
    let view = part.service_network_view(&sn);
    part.service_networks.insert(id, sn);
    Ok(view)
}

pub(crate) fn get_service_network(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let sn = part.service_network(ident(input, "serviceNetworkIdentifier")?)?;
    Ok(part.service_network_view(sn))
}

pub(crate) fn list_service_networks(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let items = part
        .service_networks
        .values()
        .filter(|sn| env.visible(&sn.common))
        .map(|sn| (sn.common.id.clone(), part.service_network_view(sn)))
        .collect();
    page(env, input, items)
}

pub(crate) fn update_service_network(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "serviceNetworkIdentifier")?;
    part.service_network(id)?;
    let auth_type = required(input, "authType")?.to_string();
    let sn = part.service_networks.get_mut(id).ok_or_else(|| Error::not_found(SN, id))?;
    sn.auth_type = auth_type;
    sn.common.last_updated_at_ms = env.now();
    let sn = sn.clone();
    Ok(part.service_network_view(&sn))
}

pub(crate) fn delete_service_network(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "serviceNetworkIdentifier")?;
    let sn = part.service_network(id)?.clone();
    let view = part.service_network_view(&sn);
    for (what, count) in [
        ("services", &view["numberOfAssociatedServices"]),
        ("VPCs", &view["numberOfAssociatedVPCs"]),
        ("resource configurations", &view["numberOfAssociatedResourceConfigurations"]),
    ] {
        if count.as_u64().unwrap_or(0) > 0 {
            return Err(Error::conflict(SN, id, format!("Service network {id} still has {count} associated {what}")));
        }
    }
    part.service_networks.remove(id);
    part.tags.remove(&sn.common.arn);
    part.auth_policies.remove(id);
    part.resource_policies.remove(&sn.common.arn);
    super::generic::drop_subscriptions_of(part, &sn.common.arn);
    Ok(json!({}))
}

pub(crate) fn create_service_network_service_association(
    part: &mut Partition,
    env: &Env,
    input: &Input,
) -> Result<Value> {
    let sn_id = ident(input, "serviceNetworkIdentifier")?.to_string();
    let svc_id = ident(input, "serviceIdentifier")?.to_string();
    part.service_network(&sn_id)?;
    let svc = part.service(&svc_id)?;
    if svc.phase.is("DELETE_IN_PROGRESS") {
        return Err(Error::conflict("SERVICE", &svc_id, format!("Service {svc_id} is in status DELETE_IN_PROGRESS")));
    }
    if let Some(existing) = part
        .service_network_service_associations
        .values()
        .find(|a| a.service_id == svc_id && a.service_network_id == sn_id)
    {
        // controller.md §4.3: the controller retries when this message names CREATE_IN_PROGRESS.
        return Err(Error::conflict(
            SNSA,
            &existing.common.id,
            format!(
                "Service {svc_id} is already associated with service network {sn_id} (association {} is {})",
                existing.common.id, existing.phase.status
            ),
        ));
    }
    let count = part.service_network_service_associations.values().filter(|a| a.service_network_id == sn_id).count();
    if count >= env.config.quotas.service_associations_per_network {
        return Err(Error::quota(
            SNSA,
            quota_code::SERVICE_ASSOCIATIONS_PER_NETWORK,
            env.config.quotas.service_associations_per_network,
            "service associations per service network",
        ));
    }
    let id = env.ids.resource_id("snsa");
    let assoc = ServiceNetworkServiceAssociation {
        common: env.common(id.clone(), &format!("servicenetworkserviceassociation/{id}")),
        phase: Phase::created(env.now(), env.config.lifecycle.create_delay_ms),
        service_id: svc_id,
        service_network_id: sn_id,
        created_by: env.ctx.account.clone(),
    };
    part.tags.insert(assoc.common.arn.clone(), tags_of(input));
    let view = part.service_association_view(&assoc);
    part.service_network_service_associations.insert(id, assoc);
    Ok(view)
}

pub(crate) fn get_service_network_service_association(
    part: &mut Partition,
    _env: &Env,
    input: &Input,
) -> Result<Value> {
    let id = ident(input, "serviceNetworkServiceAssociationIdentifier")?;
    let a = part.service_network_service_associations.get(id).ok_or_else(|| Error::not_found(SNSA, id))?;
    Ok(part.service_association_view(a))
}

pub(crate) fn list_service_network_service_associations(
    part: &mut Partition,
    env: &Env,
    input: &Input,
) -> Result<Value> {
    let sn = str_of(input, "serviceNetworkIdentifier").map(super::id_of);
    let svc = str_of(input, "serviceIdentifier").map(super::id_of);
    let items = part
        .service_network_service_associations
        .values()
        .filter(|a| env.visible(&a.common))
        .filter(|a| sn.is_none_or(|sn| a.service_network_id == sn) && svc.is_none_or(|svc| a.service_id == svc))
        .map(|a| (a.common.id.clone(), part.service_association_view(a)))
        .collect();
    page(env, input, items)
}

pub(crate) fn delete_service_network_service_association(
    part: &mut Partition,
    env: &Env,
    input: &Input,
) -> Result<Value> {
    let id = ident(input, "serviceNetworkServiceAssociationIdentifier")?;
    let a = part.service_network_service_associations.get_mut(id).ok_or_else(|| Error::not_found(SNSA, id))?;
    if a.phase.is("CREATE_IN_PROGRESS") {
        return Err(Error::conflict(SNSA, id, format!("Association {id} is in status CREATE_IN_PROGRESS")));
    }
    if !a.phase.is("DELETE_IN_PROGRESS") {
        a.phase = Phase::deleting(env.now(), env.config.lifecycle.delete_delay_ms);
    }
    Ok(json!({"id": a.common.id, "arn": a.common.arn, "status": a.phase.status}))
}

pub(crate) fn create_service_network_vpc_association(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let sn_id = ident(input, "serviceNetworkIdentifier")?.to_string();
    let vpc_id = required(input, "vpcIdentifier")?.to_string();
    part.service_network(&sn_id)?;
    if let Some(existing) = part.service_network_vpc_associations.values().find(|a| a.vpc_id == vpc_id) {
        let message = if existing.service_network_id == sn_id {
            format!("VPC {vpc_id} is already associated with service network {sn_id} ({})", existing.phase.status)
        } else {
            format!("VPC {vpc_id} is already associated with service network {}", existing.service_network_id)
        };
        return Err(Error::conflict(SNVA, &existing.common.id, message));
    }
    let count = part.service_network_vpc_associations.values().filter(|a| a.service_network_id == sn_id).count();
    if count >= env.config.quotas.vpc_associations_per_network {
        return Err(Error::quota(
            SNVA,
            quota_code::VPC_ASSOCIATIONS_PER_NETWORK,
            env.config.quotas.vpc_associations_per_network,
            "VPC associations per service network",
        ));
    }
    let id = env.ids.resource_id("snva");
    let assoc = ServiceNetworkVpcAssociation {
        common: env.common(id.clone(), &format!("servicenetworkvpcassociation/{id}")),
        phase: Phase::created(env.now(), env.config.lifecycle.create_delay_ms),
        service_network_id: sn_id,
        vpc_id,
        security_group_ids: string_list(input, "securityGroupIds"),
        private_dns_enabled: input.get("privateDnsEnabled").and_then(Value::as_bool),
        dns_options: input.get("dnsOptions").cloned(),
        created_by: env.ctx.account.clone(),
    };
    part.tags.insert(assoc.common.arn.clone(), tags_of(input));
    let view = part.vpc_association_view(&assoc);
    part.service_network_vpc_associations.insert(id, assoc);
    Ok(view)
}

fn string_list(input: &Input, member: &str) -> Vec<String> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

pub(crate) fn get_service_network_vpc_association(part: &mut Partition, _env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "serviceNetworkVpcAssociationIdentifier")?;
    let a = part.service_network_vpc_associations.get(id).ok_or_else(|| Error::not_found(SNVA, id))?;
    Ok(part.vpc_association_view(a))
}

pub(crate) fn list_service_network_vpc_associations(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let sn = str_of(input, "serviceNetworkIdentifier").map(super::id_of);
    let vpc = str_of(input, "vpcIdentifier");
    let items = part
        .service_network_vpc_associations
        .values()
        .filter(|a| env.visible(&a.common))
        .filter(|a| sn.is_none_or(|sn| a.service_network_id == sn) && vpc.is_none_or(|vpc| a.vpc_id == vpc))
        .map(|a| (a.common.id.clone(), part.vpc_association_view(a)))
        .collect();
    page(env, input, items)
}

pub(crate) fn update_service_network_vpc_association(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "serviceNetworkVpcAssociationIdentifier")?;
    let a = part.service_network_vpc_associations.get_mut(id).ok_or_else(|| Error::not_found(SNVA, id))?;
    if a.phase.in_progress() {
        return Err(Error::conflict(SNVA, id, format!("Association {id} is in status {}", a.phase.status)));
    }
    if input.contains_key("securityGroupIds") {
        a.security_group_ids = string_list(input, "securityGroupIds");
    }
    if let Some(enabled) = input.get("privateDnsEnabled").and_then(Value::as_bool) {
        a.private_dns_enabled = Some(enabled);
    }
    if let Some(options) = input.get("dnsOptions") {
        a.dns_options = Some(options.clone());
    }
    a.common.last_updated_at_ms = env.now();
    let delay = env.config.lifecycle.create_delay_ms;
    if delay > 0 {
        a.phase = Phase { status: "UPDATE_IN_PROGRESS".into(), settles_at_ms: Some(env.now() + delay) };
    }
    let a = a.clone();
    Ok(part.vpc_association_view(&a))
}

pub(crate) fn delete_service_network_vpc_association(part: &mut Partition, env: &Env, input: &Input) -> Result<Value> {
    let id = ident(input, "serviceNetworkVpcAssociationIdentifier")?;
    let a = part.service_network_vpc_associations.get_mut(id).ok_or_else(|| Error::not_found(SNVA, id))?;
    if a.phase.is("CREATE_IN_PROGRESS") || a.phase.is("UPDATE_IN_PROGRESS") {
        return Err(Error::conflict(SNVA, id, format!("Association {id} is in status {}", a.phase.status)));
    }
    if !a.phase.is("DELETE_IN_PROGRESS") {
        a.phase = Phase::deleting(env.now(), env.config.lifecycle.delete_delay_ms);
    }
    Ok(json!({"id": a.common.id, "arn": a.common.arn, "status": a.phase.status}))
}

pub(crate) fn list_service_network_vpc_endpoint_associations(
    part: &mut Partition,
    env: &Env,
    input: &Input,
) -> Result<Value> {
    // VPC endpoints of type service network are created through EC2, which the simulator
    // does not model, so a network that exists has none.
    part.service_network(ident(input, "serviceNetworkIdentifier")?)?;
    page(env, input, Vec::new())
}
