//! The typed read model of Lattice that assertions see, in Lattice's own terms: what the
//! List and Get operations answer, read through the AWS SDK. The same reader serves the
//! simulator (through an observer client, whose calls take no fault and leave no journal
//! entry) and real AWS (where only what carries the run's tag is kept), so a field the
//! harness misreads breaks both alike.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context as _;
use aws_sdk_vpclattice::Client;
use aws_sdk_vpclattice::types::{
    HealthCheckConfig, ListenerProtocol, RuleAction, RuleMatch, ServiceNetworkServiceAssociationStatus,
    ServiceNetworkVpcAssociationStatus, ServiceStatus, TargetGroupProtocol, TargetGroupProtocolVersion,
    TargetGroupStatus, TargetStatus,
};

/// The controller's tag prefix.
pub const AN: &str = "application-networking.k8s.aws/";

pub type Tags = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceNetwork {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VpcAssociation {
    pub id: String,
    pub service_network_id: String,
    pub vpc_id: String,
    pub status: Option<ServiceNetworkVpcAssociationStatus>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub status: Option<ServiceStatus>,
    pub tags: Tags,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceAssociation {
    pub id: String,
    pub service_id: String,
    pub service_network_id: String,
    pub status: Option<ServiceNetworkServiceAssociationStatus>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Listener {
    pub id: String,
    pub arn: String,
    pub service_id: String,
    pub name: String,
    pub protocol: Option<ListenerProtocol>,
    pub port: Option<i32>,
}

/// A rule's action, as GetRule answers it.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `(target group id, weight)` in the rule's order.
    Forward(Vec<(String, i32)>),
    FixedResponse(i32),
    /// The default rule's action is its listener's default action, which GetRule leaves out.
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: String,
    pub arn: String,
    pub service_id: String,
    pub listener_id: String,
    pub name: String,
    pub is_default: bool,
    pub priority: Option<i32>,
    pub action: Action,
    pub r#match: Option<RuleMatch>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub id: String,
    pub port: i32,
    pub status: Option<TargetStatus>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TargetGroup {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub status: Option<TargetGroupStatus>,
    pub port: Option<i32>,
    pub protocol: Option<TargetGroupProtocol>,
    pub protocol_version: Option<TargetGroupProtocolVersion>,
    pub vpc: String,
    pub health_check: Option<HealthCheckConfig>,
    pub tags: Tags,
    pub targets: Vec<Target>,
}

impl TargetGroup {
    /// One of the controller's tags (`ClusterName` for `application-networking.k8s.aws/ClusterName`).
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(&format!("{AN}{key}")).map(String::as_str)
    }

    /// The cluster whose controller made it, by its `ClusterName` tag.
    pub fn cluster(&self) -> &str {
        self.tag("ClusterName").unwrap_or_default()
    }

    /// The `ProtocolVersion` tag the controller writes (empty for TCP groups).
    pub fn version_tag(&self) -> &str {
        self.tag("ProtocolVersion").unwrap_or_default()
    }

    /// Whether the controller of `cluster` made it for the export `namespace/name`.
    pub fn is_export(&self, cluster: &str, namespace: &str, name: &str) -> bool {
        self.cluster() == cluster
            && self.tag("SourceTypeKey") == Some("ServiceExport")
            && self.tag("ServiceName") == Some(name)
            && self.tag("ServiceNamespace") == Some(namespace)
    }

    /// Whether the controller of `cluster` made it for the Service backend `namespace/name`
    /// of a route.
    pub fn is_route_service(&self, cluster: &str, namespace: &str, name: &str) -> bool {
        self.cluster() == cluster
            && self.tag("SourceTypeKey").is_some_and(|s| s.ends_with("Route"))
            && self.tag("ServiceName") == Some(name)
            && self.tag("ServiceNamespace") == Some(namespace)
    }

    /// What a person calls it: `export default/inventory of cluster-a (HTTP:80, HTTP1)`.
    pub fn describe(&self) -> String {
        let what = match self.tag("SourceTypeKey") {
            Some("ServiceExport") => format!(
                "export {}/{} of {}",
                self.tag("ServiceNamespace").unwrap_or_default(),
                self.tag("ServiceName").unwrap_or_default(),
                self.cluster()
            ),
            Some(route) if route.ends_with("Route") => format!(
                "service {}/{} of {} {}/{} in {}",
                self.tag("ServiceNamespace").unwrap_or_default(),
                self.tag("ServiceName").unwrap_or_default(),
                route,
                self.tag("RouteNamespace").unwrap_or_default(),
                self.tag("RouteName").unwrap_or_default(),
                self.cluster()
            ),
            _ => format!("target group {}", self.name),
        };
        format!(
            "{what} ({}:{}, {}, {})",
            self.protocol.as_ref().map_or("?", |p| p.as_str()),
            self.port.unwrap_or_default(),
            self.protocol_version.as_ref().map_or("-", |v| v.as_str()),
            self.vpc
        )
    }
}

/// One forward of a rule: where it is and where it goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Forward<'v> {
    pub listener: &'v Listener,
    pub rule: &'v Rule,
    /// The target group the rule names, or `Err(id)` when no such group exists.
    pub group: Result<&'v TargetGroup, String>,
    pub weight: i32,
}

/// Everything the harness can see of one account and region.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatticeView {
    pub service_networks: Vec<ServiceNetwork>,
    pub vpc_associations: Vec<VpcAssociation>,
    pub services: Vec<Service>,
    pub service_associations: Vec<ServiceAssociation>,
    pub listeners: Vec<Listener>,
    pub rules: Vec<Rule>,
    pub target_groups: Vec<TargetGroup>,
}

impl LatticeView {
    pub fn service_named(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn group(&self, id: &str) -> Option<&TargetGroup> {
        self.target_groups.iter().find(|g| g.id == id)
    }

    /// The groups the controller of `cluster` made for export `namespace/name`, in id order.
    pub fn export_groups(&self, cluster: &str, namespace: &str, name: &str) -> Vec<&TargetGroup> {
        self.target_groups.iter().filter(|g| g.is_export(cluster, namespace, name)).collect()
    }

    pub fn listeners_of(&self, service_id: &str) -> Vec<&Listener> {
        self.listeners.iter().filter(|l| l.service_id == service_id).collect()
    }

    /// The rules a controller adds (not the listeners' default rules) of a service.
    pub fn custom_rules(&self, service_id: &str) -> Vec<&Rule> {
        self.rules.iter().filter(|r| r.service_id == service_id && !r.is_default).collect()
    }

    /// Every forward of the service's non-default rules, listener by listener, in priority order.
    pub fn forwards(&self, service_id: &str) -> Vec<Forward<'_>> {
        let mut rules = self.custom_rules(service_id);
        rules.sort_by_key(|r| (r.listener_id.clone(), r.priority));
        let mut out = Vec::new();
        for rule in rules {
            let Some(listener) = self.listeners.iter().find(|l| l.id == rule.listener_id) else { continue };
            if let Action::Forward(groups) = &rule.action {
                for (id, weight) in groups {
                    let group = self.group(id).ok_or_else(|| id.clone());
                    out.push(Forward { listener, rule, group, weight: *weight });
                }
            }
        }
        out
    }

    /// The fixed-response codes of the service's non-default rules.
    pub fn fixed_responses(&self, service_id: &str) -> Vec<i32> {
        self.custom_rules(service_id)
            .into_iter()
            .filter_map(|r| match r.action {
                Action::FixedResponse(code) => Some(code),
                _ => None,
            })
            .collect()
    }

    pub fn tags_of(&self, arn: &str) -> Option<&Tags> {
        let groups = self.target_groups.iter().map(|g| (&g.arn, &g.tags));
        let services = self.services.iter().map(|s| (&s.arn, &s.tags));
        let networks = self.service_networks.iter().map(|n| (&n.arn, &n.tags));
        groups.chain(services).chain(networks).find(|(a, _)| *a == arn).map(|(_, t)| t)
    }
}

/// Which part of the account a view keeps.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Keep only resources tagged `tag = value` (real AWS: the run's resources), and drop
    /// that tag from what is kept.
    pub only_tagged: Option<(String, String)>,
    /// Real VPC id → the id the scenario knows it by.
    pub vpc_names: HashMap<String, String>,
}

impl Scope {
    fn vpc(&self, real: &str) -> String {
        self.vpc_names.get(real).cloned().unwrap_or_else(|| real.to_string())
    }

    /// The resource's tags, when the scope keeps it.
    async fn keep(&self, client: &Client, arn: &str) -> anyhow::Result<Option<Tags>> {
        let out =
            client.list_tags_for_resource().resource_arn(arn).send().await.with_context(|| format!("tags of {arn}"))?;
        let mut tags: Tags = out.tags().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
        match &self.only_tagged {
            None => Ok(Some(tags)),
            Some((key, value)) => Ok((tags.remove(key).as_deref() == Some(value.as_str())).then_some(tags)),
        }
    }
}

/// Reads the view through `client`: every service network, service (with its listeners,
/// rules and associations) and target group (with its targets) the scope keeps.
pub async fn read(client: &Client, scope: &Scope) -> anyhow::Result<LatticeView> {
    let mut view = LatticeView::default();
    read_networks(client, scope, &mut view).await?;
    read_services(client, scope, &mut view).await?;
    read_target_groups(client, scope, &mut view).await?;
    Ok(view)
}

async fn read_networks(client: &Client, scope: &Scope, view: &mut LatticeView) -> anyhow::Result<()> {
    let networks = client.list_service_networks().into_paginator().items().send().try_collect().await;
    for sn in networks.context("ListServiceNetworks")? {
        let (id, arn) = (sn.id().unwrap_or_default().to_string(), sn.arn().unwrap_or_default().to_string());
        let Some(tags) = scope.keep(client, &arn).await? else { continue };
        let associations =
            client.list_service_network_vpc_associations().service_network_identifier(&id).into_paginator();
        for a in associations.items().send().try_collect().await.context("ListServiceNetworkVpcAssociations")? {
            view.vpc_associations.push(VpcAssociation {
                id: a.id().unwrap_or_default().into(),
                service_network_id: id.clone(),
                vpc_id: scope.vpc(a.vpc_id().unwrap_or_default()),
                status: a.status().cloned(),
            });
        }
        view.service_networks.push(ServiceNetwork { id, arn, name: sn.name().unwrap_or_default().into(), tags });
    }
    Ok(())
}

async fn read_services(client: &Client, scope: &Scope, view: &mut LatticeView) -> anyhow::Result<()> {
    for svc in client.list_services().into_paginator().items().send().try_collect().await.context("ListServices")? {
        let (id, arn) = (svc.id().unwrap_or_default().to_string(), svc.arn().unwrap_or_default().to_string());
        let Some(tags) = scope.keep(client, &arn).await? else { continue };
        let associations = client.list_service_network_service_associations().service_identifier(&id).into_paginator();
        for a in associations.items().send().try_collect().await.context("ListServiceNetworkServiceAssociations")? {
            view.service_associations.push(ServiceAssociation {
                id: a.id().unwrap_or_default().into(),
                service_id: id.clone(),
                service_network_id: a.service_network_id().unwrap_or_default().into(),
                status: a.status().cloned(),
            });
        }
        let listeners = client.list_listeners().service_identifier(&id).into_paginator().items().send();
        for l in listeners.try_collect().await.context("ListListeners")? {
            let lid = l.id().unwrap_or_default().to_string();
            let rules = client.list_rules().service_identifier(&id).listener_identifier(&lid).into_paginator();
            for r in rules.items().send().try_collect().await.context("ListRules")? {
                let rid = r.id().unwrap_or_default().to_string();
                let got = client
                    .get_rule()
                    .service_identifier(&id)
                    .listener_identifier(&lid)
                    .rule_identifier(&rid)
                    .send()
                    .await
                    .with_context(|| format!("GetRule {rid}"))?;
                view.rules.push(Rule {
                    id: rid,
                    arn: r.arn().unwrap_or_default().into(),
                    service_id: id.clone(),
                    listener_id: lid.clone(),
                    name: r.name().unwrap_or_default().into(),
                    is_default: r.is_default().unwrap_or(false),
                    priority: got.priority().or(r.priority()),
                    action: action(got.action()),
                    r#match: got.r#match().cloned(),
                });
            }
            view.listeners.push(Listener {
                id: lid,
                arn: l.arn().unwrap_or_default().into(),
                service_id: id.clone(),
                name: l.name().unwrap_or_default().into(),
                protocol: l.protocol().cloned(),
                port: l.port(),
            });
        }
        view.services.push(Service {
            id,
            arn,
            name: svc.name().unwrap_or_default().into(),
            status: svc.status().cloned(),
            tags,
        });
    }
    Ok(())
}

async fn read_target_groups(client: &Client, scope: &Scope, view: &mut LatticeView) -> anyhow::Result<()> {
    let groups = client.list_target_groups().into_paginator().items().send().try_collect().await;
    for tg in groups.context("ListTargetGroups")? {
        let (id, arn) = (tg.id().unwrap_or_default().to_string(), tg.arn().unwrap_or_default().to_string());
        let Some(tags) = scope.keep(client, &arn).await? else { continue };
        // The summary leaves out the protocol version and the health check.
        let got = client.get_target_group().target_group_identifier(&id).send().await;
        let config = got.with_context(|| format!("GetTargetGroup {id}"))?.config().cloned();
        let targets = client.list_targets().target_group_identifier(&id).into_paginator().items().send();
        let targets = targets.try_collect().await.with_context(|| format!("ListTargets {id}"))?;
        view.target_groups.push(TargetGroup {
            name: tg.name().unwrap_or_default().into(),
            status: tg.status().cloned(),
            port: tg.port(),
            protocol: tg.protocol().cloned(),
            protocol_version: config.as_ref().and_then(|c| c.protocol_version().cloned()),
            vpc: scope.vpc(tg.vpc_identifier().unwrap_or_default()),
            health_check: config.as_ref().and_then(|c| c.health_check().cloned()),
            tags,
            targets: targets
                .iter()
                .map(|t| Target {
                    id: t.id().unwrap_or_default().into(),
                    port: t.port().unwrap_or_default(),
                    status: t.status().cloned(),
                })
                .collect(),
            id,
            arn,
        });
    }
    Ok(())
}

fn action(action: Option<&RuleAction>) -> Action {
    match action {
        Some(RuleAction::Forward(f)) => Action::Forward(
            f.target_groups()
                .iter()
                .map(|t| (t.target_group_identifier().to_string(), t.weight().unwrap_or(1)))
                .collect(),
        ),
        Some(RuleAction::FixedResponse(r)) => Action::FixedResponse(r.status_code()),
        _ => Action::None,
    }
}
