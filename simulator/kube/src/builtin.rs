//! Behaviour of the built-in kinds (kube-apiserver.md §8): typed decoding through the
//! k8s-openapi structs (type errors and unknown fields, with their paths), defaults, and
//! validation. Custom resources go through [`crate::schema`] instead.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use base64::Engine;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Event as CoreEvent, Namespace, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, Cause};
use crate::meta;
use crate::resource::Builtin;

fn typed_round_trip<T: DeserializeOwned + Serialize>(obj: &Value) -> Result<Value, String> {
    let typed: T = serde_path_to_error::deserialize(obj).map_err(|e| {
        let path = e.path().to_string();
        format!("json: cannot unmarshal into field {path}: {}", e.into_inner())
    })?;
    serde_json::to_value(typed).map_err(|e| e.to_string())
}

/// Decodes `obj` as the built-in's Go type would: a wrong type is a 400 naming the field;
/// the result is the object as the typed struct keeps it (unknown fields dropped), plus the
/// unknown fields' paths.
pub fn decode(b: Builtin, kind: &str, version: &str, obj: &Value) -> ApiResult<(Value, Vec<String>)> {
    let normalized = match b {
        Builtin::Namespace => typed_round_trip::<Namespace>(obj),
        Builtin::Service => typed_round_trip::<Service>(obj),
        Builtin::ConfigMap => typed_round_trip::<ConfigMap>(obj),
        Builtin::Secret => typed_round_trip::<Secret>(obj),
        Builtin::Pod => typed_round_trip::<Pod>(obj),
        Builtin::ServiceAccount => typed_round_trip::<ServiceAccount>(obj),
        Builtin::CoreEvent => typed_round_trip::<CoreEvent>(obj),
        Builtin::EndpointSlice => typed_round_trip::<EndpointSlice>(obj),
        Builtin::Event => typed_round_trip::<Event>(obj),
        Builtin::Lease => typed_round_trip::<Lease>(obj),
        Builtin::CustomResourceDefinition => typed_round_trip::<CustomResourceDefinition>(obj),
    }
    .map_err(|e| {
        ApiError::bad_request(format!("{kind} in version \"{version}\" cannot be handled as a {kind}: {e}"))
    })?;
    let mut unknown = Vec::new();
    unknown_fields(obj, &normalized, "", &mut unknown);
    Ok((normalized, unknown))
}

/// Keys present (and not null) in `original` but gone from `typed`.
fn unknown_fields(original: &Value, typed: &Value, path: &str, out: &mut Vec<String>) {
    match (original, typed) {
        (Value::Object(o), Value::Object(t)) => {
            for (k, v) in o {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match t.get(k) {
                    Some(tv) => unknown_fields(v, tv, &child, out),
                    None if !v.is_null() && !is_free_form(path) => out.push(child),
                    None => {}
                }
            }
        }
        (Value::Array(o), Value::Array(t)) => {
            for (i, (ov, tv)) in o.iter().zip(t).enumerate() {
                unknown_fields(ov, tv, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Maps whose keys are data, not fields.
fn is_free_form(path: &str) -> bool {
    path.ends_with("labels") || path.ends_with("annotations") || path.ends_with("data") || path.ends_with("selector")
}

/// The cluster facts built-in defaulting needs.
#[derive(Clone, Debug)]
pub struct ServiceNetwork {
    base: u32,
    size: u32,
    used: BTreeSet<u32>,
    node_ports: BTreeSet<u16>,
}

impl ServiceNetwork {
    /// `cidr` like `10.96.0.0/12`.
    pub fn new(cidr: &str) -> Result<Self, String> {
        let (addr, bits) = cidr.split_once('/').ok_or_else(|| format!("not a CIDR: {cidr}"))?;
        let addr: Ipv4Addr = addr.parse().map_err(|e| format!("{cidr}: {e}"))?;
        let bits: u32 = bits.parse().map_err(|e| format!("{cidr}: {e}"))?;
        if !(8..=30).contains(&bits) {
            return Err(format!("{cidr}: prefix length must be between 8 and 30"));
        }
        let size = 1u32 << (32 - bits);
        let base = u32::from(addr) & !(size - 1);
        // .0 is the network; .1 is left to the `kubernetes` Service, which claims it.
        Ok(Self { base, size, used: BTreeSet::from([0]), node_ports: BTreeSet::new() })
    }

    pub fn cidr(&self) -> String {
        format!("{}/{}", Ipv4Addr::from(self.base), 32 - self.size.trailing_zeros())
    }

    fn allocate(&mut self) -> Option<Ipv4Addr> {
        let offset = (2..self.size - 1).find(|o| !self.used.contains(o))?;
        self.used.insert(offset);
        Some(Ipv4Addr::from(self.base + offset))
    }

    fn claim(&mut self, ip: &str) -> Result<(), String> {
        let ip: Ipv4Addr = ip.parse().map_err(|_| format!("failed to allocate IP {ip}: not a valid IPv4 address"))?;
        let offset = u32::from(ip).wrapping_sub(self.base);
        if offset >= self.size {
            return Err(format!(
                "failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {}",
                self.cidr()
            ));
        }
        if !self.used.insert(offset) {
            return Err(format!("failed to allocate IP {ip}: provided IP is already allocated"));
        }
        Ok(())
    }

    pub fn release(&mut self, ip: &str) {
        if let Ok(ip) = ip.parse::<Ipv4Addr>() {
            let offset = u32::from(ip).wrapping_sub(self.base);
            if offset > 1 {
                self.used.remove(&offset);
            }
        }
    }

    fn allocate_node_port(&mut self) -> Option<u16> {
        let port = (30000..=32767).find(|p| !self.node_ports.contains(p))?;
        self.node_ports.insert(port);
        Some(port)
    }

    pub fn release_node_port(&mut self, port: u16) {
        self.node_ports.remove(&port);
    }
}

fn set_default(obj: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    if let Some(Value::Object(map)) = obj.pointer_mut(parent)
        && map.get(key).is_none_or(Value::is_null)
    {
        map.insert(key.to_string(), value);
    }
}

/// Defaults on create (`old` is `None`) and update.
pub fn apply_defaults(b: Builtin, obj: &mut Value, old: Option<&Value>, network: &mut ServiceNetwork) -> ApiResult<()> {
    match b {
        Builtin::Namespace => {
            let name = meta::name(obj).to_string();
            meta::meta_mut(obj)
                .entry("labels")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .ok_or_else(|| ApiError::bad_request("metadata.labels must be a map"))?
                .insert("kubernetes.io/metadata.name".into(), name.into());
            if old.is_none() {
                if !obj["spec"].is_object() {
                    obj["spec"] = json!({});
                }
                set_default(obj, "/spec/finalizers", json!(["kubernetes"]));
                obj["status"] = json!({"phase": "Active"});
            }
        }
        Builtin::Service => default_service(obj, old, network)?,
        Builtin::Secret => {
            set_default(obj, "/type", json!("Opaque"));
            if let Some(Value::Object(string_data)) = obj.as_object_mut().and_then(|m| m.remove("stringData")) {
                if !obj["data"].is_object() {
                    obj["data"] = json!({});
                }
                for (k, v) in string_data {
                    let encoded = base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap_or_default());
                    obj["data"][k] = encoded.into();
                }
            }
        }
        Builtin::Pod => {
            if !obj["spec"].is_object() {
                obj["spec"] = json!({});
            }
            set_default(obj, "/spec/restartPolicy", json!("Always"));
            set_default(obj, "/spec/dnsPolicy", json!("ClusterFirst"));
            set_default(obj, "/spec/terminationGracePeriodSeconds", json!(30));
            set_default(obj, "/spec/schedulerName", json!("default-scheduler"));
            if old.is_none() {
                obj["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
            }
        }
        Builtin::EndpointSlice => {
            if let Some(ports) = obj["ports"].as_array_mut() {
                for p in ports.iter_mut().filter(|p| p.is_object()) {
                    p.as_object_mut().expect("object").entry("protocol").or_insert("TCP".into());
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn default_service(obj: &mut Value, old: Option<&Value>, network: &mut ServiceNetwork) -> ApiResult<()> {
    if !obj["spec"].is_object() {
        obj["spec"] = json!({});
    }
    set_default(obj, "/spec/type", json!("ClusterIP"));
    set_default(obj, "/spec/sessionAffinity", json!("None"));
    let type_ = obj["spec"]["type"].as_str().unwrap_or("ClusterIP").to_string();
    if let Some(ports) = obj["spec"]["ports"].as_array_mut() {
        for p in ports.iter_mut().filter(|p| p.is_object()) {
            let port = p["port"].clone();
            let map = p.as_object_mut().expect("object");
            map.entry("protocol").or_insert("TCP".into());
            map.entry("targetPort").or_insert(port);
        }
    }
    if type_ == "ExternalName" {
        return Ok(());
    }
    set_default(obj, "/spec/internalTrafficPolicy", json!("Cluster"));
    // clusterIP is immutable: an update keeps the stored one unless the body names another.
    if let Some(old) = old {
        for field in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            if obj["spec"].get(field).is_none_or(Value::is_null) && !old["spec"][field].is_null() {
                obj["spec"][field] = old["spec"][field].clone();
            }
        }
        if let (Some(new_ports), Some(old_ports)) =
            (obj["spec"]["ports"].as_array_mut(), old["spec"]["ports"].as_array())
        {
            for p in new_ports.iter_mut() {
                if p.get("nodePort").is_none()
                    && let Some(o) = old_ports.iter().find(|o| o["port"] == p["port"] && o["protocol"] == p["protocol"])
                    && let Some(np) = o.get("nodePort")
                {
                    p["nodePort"] = np.clone();
                }
            }
        }
    }
    let headless = obj["spec"]["clusterIP"] == "None";
    if old.is_none() && !headless {
        let ip = match obj["spec"]["clusterIP"].as_str().filter(|s| !s.is_empty()) {
            Some(requested) => {
                network.claim(requested).map_err(|e| {
                    ApiError::invalid(
                        "",
                        "Service",
                        meta::name(obj),
                        vec![Cause::invalid("spec.clusterIPs", &json!([requested]), e)],
                    )
                })?;
                requested.to_string()
            }
            None => network
                .allocate()
                .ok_or_else(|| ApiError::internal("failed to allocate a serviceIP: range is full"))?
                .to_string(),
        };
        obj["spec"]["clusterIP"] = ip.clone().into();
        obj["spec"]["clusterIPs"] = json!([ip]);
    } else if old.is_none() {
        obj["spec"]["clusterIPs"] = json!(["None"]);
    }
    set_default(obj, "/spec/ipFamilies", json!(["IPv4"]));
    set_default(obj, "/spec/ipFamilyPolicy", json!("SingleStack"));
    if matches!(type_.as_str(), "NodePort" | "LoadBalancer") {
        set_default(obj, "/spec/externalTrafficPolicy", json!("Cluster"));
        if let Some(ports) = obj["spec"]["ports"].as_array_mut() {
            for p in ports.iter_mut() {
                if p.get("nodePort").is_none()
                    && let Some(np) = network.allocate_node_port()
                {
                    p["nodePort"] = np.into();
                }
            }
        }
    }
    if type_ == "LoadBalancer" {
        set_default(obj, "/spec/allocateLoadBalancerNodePorts", json!(true));
    }
    if old.is_none() {
        obj["status"] = json!({"loadBalancer": {}});
    }
    Ok(())
}

/// Gives back what a deleted object held (a Service's cluster IP and node ports).
pub fn release(b: Builtin, obj: &Value, network: &mut ServiceNetwork) {
    if b == Builtin::Service {
        if let Some(ip) = obj["spec"]["clusterIP"].as_str() {
            network.release(ip);
        }
        for p in obj["spec"]["ports"].as_array().into_iter().flatten() {
            if let Some(np) = p["nodePort"].as_u64() {
                network.release_node_port(np as u16);
            }
        }
    }
}

/// The name rule of each kind.
pub fn name_rule(b: Builtin) -> fn(&str) -> Vec<String> {
    match b {
        Builtin::Namespace => meta::dns_label_errors,
        Builtin::Service => meta::dns1035_label_errors,
        _ => meta::dns_subdomain_errors,
    }
}

/// Validation after defaulting.
pub fn validate(b: Builtin, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut causes = Vec::new();
    match b {
        Builtin::Service => validate_service(obj, old, &mut causes),
        Builtin::Secret => {
            for (k, v) in obj["data"].as_object().into_iter().flatten() {
                if base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).is_err() {
                    causes.push(Cause::invalid(format!("data[{k}]"), v, "illegal base64 data"));
                }
            }
            immutable_data(obj, old, &["data", "type"], &mut causes);
        }
        Builtin::ConfigMap => immutable_data(obj, old, &["data", "binaryData"], &mut causes),
        Builtin::EndpointSlice => {
            let address_type = &obj["addressType"];
            let supported = [json!("IPv4"), json!("IPv6"), json!("FQDN")];
            if address_type.is_null() {
                causes.push(Cause::required("addressType"));
            } else if !supported.contains(address_type) {
                causes.push(Cause::not_supported("addressType", address_type, &supported));
            }
            if let Some(old) = old
                && old["addressType"] != *address_type
            {
                causes.push(Cause::invalid("addressType", address_type, "field is immutable"));
            }
            for (i, e) in obj["endpoints"].as_array().into_iter().flatten().enumerate() {
                let n = e["addresses"].as_array().map_or(0, Vec::len);
                if n == 0 {
                    causes.push(Cause::required(format!("endpoints[{i}].addresses")));
                } else if n > 100 {
                    causes.push(Cause::too_many(format!("endpoints[{i}].addresses"), n, 100));
                }
            }
        }
        Builtin::Pod if obj["spec"]["containers"].as_array().is_none_or(Vec::is_empty) => {
            causes.push(Cause::required("spec.containers"));
        }
        _ => {}
    }
    causes
}

fn immutable_data(obj: &Value, old: Option<&Value>, fields: &[&str], causes: &mut Vec<Cause>) {
    let Some(old) = old else { return };
    if old["immutable"] != Value::Bool(true) {
        return;
    }
    if obj["immutable"] != Value::Bool(true) {
        causes.push(Cause::forbidden("immutable", "field is immutable when `immutable` is set"));
    }
    for f in fields {
        if obj[*f] != old[*f] {
            causes.push(Cause::forbidden(*f, "field is immutable when `immutable` is set"));
        }
    }
}

fn validate_service(obj: &Value, old: Option<&Value>, causes: &mut Vec<Cause>) {
    let spec = &obj["spec"];
    let type_ = &spec["type"];
    let types = [json!("ClusterIP"), json!("NodePort"), json!("LoadBalancer"), json!("ExternalName")];
    if !types.contains(type_) {
        causes.push(Cause::not_supported("spec.type", type_, &types));
    }
    let affinity = [json!("ClientIP"), json!("None")];
    if !affinity.contains(&spec["sessionAffinity"]) {
        causes.push(Cause::not_supported("spec.sessionAffinity", &spec["sessionAffinity"], &affinity));
    }
    let headless = spec["clusterIP"] == "None";
    let ports = spec["ports"].as_array().cloned().unwrap_or_default();
    if ports.is_empty() && !headless && type_ != "ExternalName" {
        causes.push(Cause::required("spec.ports"));
    }
    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let port = &p["port"];
        if !port.as_i64().is_some_and(|n| (1..=65535).contains(&n)) {
            causes.push(Cause::invalid(
                format!("spec.ports[{i}].port"),
                port,
                "must be between 1 and 65535, inclusive",
            ));
        }
        let protocols = [json!("SCTP"), json!("TCP"), json!("UDP")];
        if !protocols.contains(&p["protocol"]) {
            causes.push(Cause::not_supported(format!("spec.ports[{i}].protocol"), &p["protocol"], &protocols));
        }
        match p["name"].as_str() {
            Some(name) if !name.is_empty() && !names.insert(name.to_string()) => {
                causes.push(Cause::duplicate(format!("spec.ports[{i}].name"), &p["name"]));
            }
            Some(name) if !name.is_empty() => {}
            _ if ports.len() > 1 => causes.push(Cause::required(format!("spec.ports[{i}].name"))),
            _ => {}
        }
        if let Some(tp) = p["targetPort"].as_i64()
            && !(1..=65535).contains(&tp)
        {
            causes.push(Cause::invalid(
                format!("spec.ports[{i}].targetPort"),
                &p["targetPort"],
                "must be between 1 and 65535, inclusive",
            ));
        }
    }
    if let Some(old) = old
        && !old["spec"]["clusterIP"].is_null()
        && old["spec"]["clusterIP"] != spec["clusterIP"]
    {
        causes.push(Cause::invalid("spec.clusterIPs[0]", &spec["clusterIP"], "may not change once set"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_defaults_and_allocation() {
        let mut net = ServiceNetwork::new("10.96.0.0/12").unwrap();
        let mut svc = json!({"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}});
        apply_defaults(Builtin::Service, &mut svc, None, &mut net).unwrap();
        assert_eq!(svc["spec"]["clusterIP"], "10.96.0.2");
        assert_eq!(svc["spec"]["ipFamilies"], json!(["IPv4"]));
        assert_eq!(svc["spec"]["ports"][0], json!({"port": 80, "protocol": "TCP", "targetPort": 80}));
        assert_eq!(svc["spec"]["sessionAffinity"], "None");
        assert!(validate(Builtin::Service, &svc, None).is_empty());
        release(Builtin::Service, &svc, &mut net);
        let mut again = json!({"metadata": {"name": "web2"}, "spec": {"ports": [{"port": 80}]}});
        apply_defaults(Builtin::Service, &mut again, None, &mut net).unwrap();
        assert_eq!(again["spec"]["clusterIP"], "10.96.0.2");
    }

    #[test]
    fn typed_decode_names_the_field() {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"ports": [{"port": "x"}], "bogus": 1}});
        let e = decode(Builtin::Service, "Service", "v1", &svc).unwrap_err();
        assert_eq!(e.code, 400);
        assert!(e.message.contains("spec.ports[0].port"), "{}", e.message);
        let ok = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "labels": {"x": "y"}}, "spec": {"bogus": 1}});
        let (_, unknown) = decode(Builtin::Service, "Service", "v1", &ok).unwrap();
        assert_eq!(unknown, ["spec.bogus"]);
    }

    #[test]
    fn multi_port_services_need_names() {
        let svc = json!({"spec": {"type": "ClusterIP", "sessionAffinity": "None", "ports": [{"port": 80, "protocol": "TCP"}, {"port": 81, "protocol": "TCP"}]}});
        let fields: Vec<String> = validate(Builtin::Service, &svc, None).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["spec.ports[0].name", "spec.ports[1].name"]);
    }
}
