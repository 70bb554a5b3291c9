//! Read-only questions about the world's Lattice state, in domain terms (architecture rule 4:
//! inspection is allowed in assertions).

use serde_json::Value;

use super::World;

pub const AN: &str = "application-networking.k8s.aws/";

/// A target group as assertions see it.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub id: String,
    pub arn: String,
    pub cluster: String,
    pub vpc: String,
    pub port: i64,
    pub protocol: String,
    pub version: String,
    pub tags: serde_json::Map<String, Value>,
    pub targets: Vec<(String, i64)>,
    pub status: String,
}

/// The records of one kind (`"services"`, `"rules"`, …) of a Lattice state dump.
pub fn records<'a>(state: &'a Value, kind: &str) -> impl Iterator<Item = &'a Value> {
    state[kind].as_object().into_iter().flat_map(|m| m.values())
}

/// The Lattice service named `name` in a state dump.
pub fn service_named<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    records(state, "services").find(|s| s["name"] == name)
}

/// The non-default rules of the Lattice service `svc` (a record of [`service_named`]).
pub fn custom_rules<'a>(state: &'a Value, svc: &'a Value) -> impl Iterator<Item = &'a Value> {
    records(state, "rules").filter(move |r| r["serviceId"] == svc["id"] && r["isDefault"] != true)
}

impl World {
    /// Every target group, in id order (the simulator's list order).
    pub fn groups(&self) -> Vec<Group> {
        let state = self.lattice_state();
        let tags = state["tags"].clone();
        records(&state, "targetGroups")
            .map(|tg| {
                let arn = tg["arn"].as_str().unwrap_or_default().to_string();
                let t = tags[&arn].as_object().cloned().unwrap_or_default();
                let tag = |k: &str| t.get(&format!("{AN}{k}")).and_then(Value::as_str).unwrap_or_default().to_string();
                Group {
                    id: tg["id"].as_str().unwrap_or_default().into(),
                    cluster: tag("ClusterName"),
                    version: tag("ProtocolVersion"),
                    arn,
                    vpc: tg["config"]["vpcIdentifier"].as_str().unwrap_or_default().into(),
                    port: tg["config"]["port"].as_i64().unwrap_or_default(),
                    protocol: tg["config"]["protocol"].as_str().unwrap_or_default().into(),
                    tags: t,
                    targets: tg["targets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|x| {
                            (x["id"].as_str().unwrap_or_default().to_string(), x["port"].as_i64().unwrap_or_default())
                        })
                        .collect(),
                    status: tg["phase"]["status"].as_str().unwrap_or_default().into(),
                }
            })
            .collect()
    }

    /// The target groups cluster `cluster` made for export `namespace/name`.
    pub fn export_groups(&self, cluster: &str, namespace: &str, name: &str) -> Vec<Group> {
        self.groups()
            .into_iter()
            .filter(|g| {
                g.cluster == cluster
                    && g.tags.get(&format!("{AN}SourceTypeKey")) == Some(&Value::from("ServiceExport"))
                    && g.tags.get(&format!("{AN}ServiceName")) == Some(&Value::from(name))
                    && g.tags.get(&format!("{AN}ServiceNamespace")) == Some(&Value::from(namespace))
            })
            .collect()
    }

    /// `(target group, weight)` of every forward of the non-default rules of the Lattice
    /// service named `service`, rule by rule in priority order.
    pub fn service_forwards(&self, service: &str) -> Vec<(Group, i64)> {
        let state = self.lattice_state();
        let groups = self.groups();
        let Some(svc) = service_named(&state, service) else { return vec![] };
        let mut rules: Vec<&Value> = custom_rules(&state, svc).collect();
        rules.sort_by_key(|r| {
            (r["listenerId"].as_str().unwrap_or_default().to_string(), r["priority"].as_i64().unwrap_or_default())
        });
        let mut out = Vec::new();
        for rule in rules {
            for tg in rule["action"]["forward"]["targetGroups"].as_array().into_iter().flatten() {
                if let Some(g) = groups.iter().find(|g| tg["targetGroupIdentifier"] == g.id.as_str()) {
                    out.push((g.clone(), tg["weight"].as_i64().unwrap_or(1)));
                }
            }
        }
        out
    }

    /// The fixed-response status codes of the service's non-default rules.
    pub fn service_fixed_responses(&self, service: &str) -> Vec<i64> {
        let state = self.lattice_state();
        let Some(svc) = service_named(&state, service) else { return vec![] };
        custom_rules(&state, svc).filter_map(|r| r["action"]["fixedResponse"]["statusCode"].as_i64()).collect()
    }

    pub fn service_names(&self) -> Vec<String> {
        records(&self.lattice_state(), "services").filter_map(|s| s["name"].as_str().map(String::from)).collect()
    }

    /// Lattice resources a controller made whose Kubernetes owner no longer exists: target
    /// groups of gone exports or routes, services of gone routes.
    pub async fn orphans(&self) -> anyhow::Result<Vec<String>> {
        let mut orphans = Vec::new();
        for g in self.groups() {
            let Some(owner_cluster) = self.clusters.iter().find(|c| c.spec.name == g.cluster) else { continue };
            let tag = |k: &str| g.tags.get(&format!("{AN}{k}")).and_then(Value::as_str).unwrap_or_default().to_string();
            let source = tag("SourceTypeKey");
            let (kind, api_version, ns, name) = match source.as_str() {
                "ServiceExport" => (
                    "ServiceExport".to_string(),
                    "application-networking.k8s.aws/v1alpha1",
                    tag("ServiceNamespace"),
                    tag("ServiceName"),
                ),
                "HTTPRoute" | "GRPCRoute" | "TLSRoute" => {
                    (source.clone(), "gateway.networking.k8s.io/v1", tag("RouteNamespace"), tag("RouteName"))
                }
                _ => continue,
            };
            if self.get(&owner_cluster.spec.name, api_version, &kind, Some(&ns), &name).await?.is_none() {
                orphans.push(format!("target group {} ({kind} {ns}/{name} in {} is gone)", g.id, g.cluster));
            }
        }
        let state = self.lattice_state();
        let tags = state["tags"].clone();
        for svc in records(&state, "services") {
            let t = &tags[svc["arn"].as_str().unwrap_or_default()];
            let managed = t[format!("{AN}ManagedBy")].as_str().unwrap_or_default();
            let Some(cluster) = managed.split('/').nth(1) else { continue };
            if !self.clusters.iter().any(|c| c.spec.name == cluster) {
                continue;
            }
            let kind = match t[format!("{AN}RouteType")].as_str() {
                Some("grpc") => "GRPCRoute",
                Some("tls") => "TLSRoute",
                _ => "HTTPRoute",
            };
            let (ns, name) = (
                t[format!("{AN}RouteNamespace")].as_str().unwrap_or_default(),
                t[format!("{AN}RouteName")].as_str().unwrap_or_default(),
            );
            if self.get(cluster, "gateway.networking.k8s.io/v1", kind, Some(ns), name).await?.is_none() {
                orphans.push(format!("service {} ({kind} {ns}/{name} in {cluster} is gone)", svc["name"]));
            }
        }
        Ok(orphans)
    }
}
