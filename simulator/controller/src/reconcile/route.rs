//! Route reconcile for HTTPRoute, GRPCRoute and TLSRoute (controller.md §3, §4.2–§4.5, §5.2,
//! §5.3): status, route-owned target groups, the Lattice service and its network
//! associations, listeners, rules with ServiceImport resolution, pruning and priorities.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::workqueue::Action as Requeue;
use aws_sdk_vpclattice::types::{ListenerProtocol, RuleUpdate, ServiceNetworkServiceAssociationStatus};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use latticelab_crds::aws::{ServiceImport, TargetGroupPolicy};
use serde_json::{Value, json};

use super::gateway::{GATEWAY_CONTROLLER, controlled_gateway};
use super::{Context, Involved, add_finalizer, remove_finalizer};
use crate::error::{Error, Result, aws};
use crate::lattice::routes::{Action, from_lattice_action, from_lattice_match, to_lattice_action, to_lattice_match};
use crate::model::import::{self, Candidate, Mode, ModeError};
use crate::model::route::{BackendRef, Route, RouteKind, RuleMatch, priorities, rule_match};
use crate::model::targets::resolve;
use crate::model::{Source, TargetGroupModel};
use crate::quirks::Quirk;
use crate::tags::{self, Tags};

pub fn api_resource(kind: RouteKind) -> ApiResource {
    ApiResource {
        group: "gateway.networking.k8s.io".into(),
        version: "v1".into(),
        api_version: "gateway.networking.k8s.io/v1".into(),
        kind: kind.kind().into(),
        plural: kind.plural().into(),
    }
}

pub fn key(kind: RouteKind, namespace: &str, name: &str) -> String {
    format!("{}/{namespace}/{name}", kind.kind())
}

const IMPORT_NOT_FOUND: &str = "target group for service import could not be found";

/// A listener the route wants.
#[derive(Clone, Debug, PartialEq)]
struct ListenerModel {
    port: i32,
    protocol: String,
}

/// A rule the route wants on every (non-passthrough) listener.
#[derive(Clone, Debug)]
struct RuleModel {
    matched: RuleMatch,
    priority: i32,
    backends: Vec<BackendRef>,
}

struct Parent {
    gateway: Option<Value>,
    accepted: (&'static str, &'static str, String),
}

pub async fn reconcile(kind: RouteKind, obj: Arc<DynamicObject>, ctx: Arc<Context>) -> Result<Requeue> {
    let namespace = obj.namespace().unwrap_or_default();
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.kube.clone(), &namespace, &api_resource(kind));
    let Some(mut obj) = api.get_opt(&obj.name_any()).await? else { return Ok(Requeue::await_change()) };
    let json = serde_json::to_value(&obj).map_err(|e| Error::Deploy(e.to_string()))?;
    let route = Route::from_json(kind, &json);
    let component = kind.kind().to_lowercase();
    let key = key(kind, &route.namespace, &route.name);

    let mut parents = Vec::new();
    for p in &route.parent_refs {
        let gateway = controlled_gateway(&ctx, &p.namespace, &p.name).await?;
        let accepted = match &gateway {
            None => (
                "False",
                "NoMatchingParent",
                format!("gateway {}/{} is not controlled by {GATEWAY_CONTROLLER}", p.namespace, p.name),
            ),
            Some(gw) => {
                let listeners = gateway_listeners(gw, p.section_name.as_deref(), p.port);
                if listeners.is_empty() {
                    ("False", "NotAllowedByListeners", "no listener matches".into())
                } else {
                    ("True", "Accepted", String::new())
                }
            }
        };
        parents.push(Parent { gateway, accepted: (accepted.0, accepted.1, accepted.2) });
    }
    let has_finalizer = obj.finalizers().iter().any(|f| f == kind.finalizer());
    if route.deleting {
        if has_finalizer {
            ctx.event(obj_ref(&obj, kind), &component, "Normal", "Reconcile", "Deleting Reconcile").await;
            delete_service(&route, &ctx).await?;
            remove_finalizer(&api, &obj, kind.finalizer()).await?;
        }
        return Ok(Requeue::await_change());
    }
    if !parents.iter().any(|p| p.gateway.is_some()) {
        return Ok(Requeue::await_change());
    }
    ctx.event(obj_ref(&obj, kind), &component, "Normal", "Reconcile", "Adding/Updating Reconcile").await;
    if let Err(e) = add_finalizer(&api, &obj, kind.finalizer()).await {
        ctx.event(
            obj_ref(&obj, kind),
            &component,
            "Warning",
            "FailedAddFinalizer",
            &format!("Failed add finalizer due to {e}"),
        )
        .await;
        return Err(e);
    }

    // Validation and status (§3.4): the first offending backendRef decides ResolvedRefs.
    let mut validated = ("True", "ResolvedRefs".to_string(), String::new());
    'refs: for rule in &route.rules {
        for b in &rule.backend_refs {
            if b.kind != "Service" && b.kind != "ServiceImport" {
                validated = ("False", "InvalidKind".into(), b.kind.clone());
                break 'refs;
            }
            let exists = if b.is_import() {
                Api::<ServiceImport>::namespaced(ctx.kube.clone(), &b.namespace).get_opt(&b.name).await?.is_some()
            } else {
                Api::<Service>::namespaced(ctx.kube.clone(), &b.namespace).get_opt(&b.name).await?.is_some()
            };
            if !exists {
                validated = ("False", "BackendNotFound".into(), format!("backendRef name: {}", b.name));
                break 'refs;
            }
        }
    }
    // What the model build finds wrong with an import overrides the validation's verdict.
    let mut resolved = validated.clone();
    // Mode-3 imports are checked while the model is built.
    let mut mode3_failure: Option<Error> = None;
    for rule in &route.rules {
        for b in rule.backend_refs.iter().filter(|b| b.is_import()) {
            match import_mode(&ctx, b).await? {
                // The model build stops at the first failing import: it decides ResolvedRefs.
                _ if mode3_failure.is_some() => {}
                Err(ModeError::ConflictingServiceImportAnnotations) => {
                    resolved =
                        ("False", "ConflictingServiceImportAnnotations".into(), format!("backendRef name: {}", b.name));
                    mode3_failure = Some(Error::Deploy("ConflictingServiceImportAnnotations".into()));
                }
                Err(ModeError::InvalidExternalTargetGroup(arn)) => {
                    resolved =
                        ("False", "InvalidExternalTargetGroup".into(), format!("invalid target group ARN {arn}"));
                    mode3_failure = Some(Error::Deploy("InvalidExternalTargetGroup".into()));
                }
                Ok(Mode::External { arn, .. }) => {
                    match ctx.lattice.client.get_target_group().target_group_identifier(&arn).send().await {
                        Ok(_) => {}
                        Err(e) => {
                            let e = aws(e);
                            if e.is_not_found() || e.is_access_denied() {
                                resolved = (
                                    "False",
                                    "ExternalTargetGroupNotFound".into(),
                                    format!("target group {arn} not found"),
                                );
                                mode3_failure = Some(Error::RequeueAfter {
                                    after: std::time::Duration::from_secs(60),
                                    why: "ExternalTargetGroupNotFound".into(),
                                });
                            } else {
                                return Err(e);
                            }
                        }
                    }
                }
                Ok(Mode::Search(_)) => {}
            }
        }
    }
    // `validateRoute` writes the validation's verdict first, so a route whose model build then
    // fails on an import reads ResolvedRefs=True between the two writes of every retry
    // (docs/controller.md, "Observed: ResolvedRefs flips on every retry").
    write_status(&ctx, &api, &mut obj, &route, &parents, &validated).await?;
    // A dual-stack Service backend: the route is not accepted (`validateBackendRefsIpFamilies`).
    if dual_stack_backend(&route, &ctx).await? {
        let refused: Vec<Parent> = parents
            .iter()
            .map(|p| Parent {
                gateway: p.gateway.clone(),
                accepted: ("False", "UnsupportedValue", "Dual stack Service is not supported".into()),
            })
            .collect();
        write_status(&ctx, &api, &mut obj, &route, &refused, &validated).await?;
        return Err(Error::Build(
            "Invalid IpFamilies, Lattice Target Group doesn't support dual stack ip addresses".into(),
        ));
    }
    if let Some(e) = mode3_failure {
        // `setResolvedRefsFalse` after the failed build.
        write_status(&ctx, &api, &mut obj, &route, &parents, &resolved).await?;
        ctx.event(
            obj_ref(&obj, kind),
            &component,
            "Warning",
            "FailedBuildModel",
            &format!("Failed BuildModel due to {e}"),
        )
        .await;
        return Err(e);
    }

    if let Some(why) = unclaimable(&route, &ctx).await? {
        ctx.event(
            obj_ref(&obj, kind),
            &component,
            "Warning",
            "FailedBuildModel",
            &format!("Failed build model due to {why}"),
        )
        .await;
        return Err(Error::Build(why));
    }

    let outcome = deploy(&route, &parents, &ctx).await;
    match outcome {
        Ok(Deployed::Conflicted(why)) => {
            let conflicted = parents
                .iter()
                .map(|p| Parent { gateway: p.gateway.clone(), accepted: ("False", "Conflicted", why.clone()) })
                .collect::<Vec<_>>();
            write_status(&ctx, &api, &mut obj, &route, &conflicted, &resolved).await?;
            Ok(Requeue::await_change())
        }
        Ok(Deployed::Done { arn, dns }) => {
            let patch =
                json!({"metadata": {"annotations": {tags::LATTICE_SERVICE_ARN: arn, tags::LATTICE_DOMAIN: dns}}});
            api.patch(&route.name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
            ctx.event(obj_ref(&obj, kind), &component, "Normal", "DeploySucceed", "Adding/Updating reconcile Done!")
                .await;
            ctx.succeeded(&key);
            Ok(ctx.config.resync.map_or_else(Requeue::await_change, Requeue::requeue))
        }
        Err(e) => {
            if e.to_string().contains(IMPORT_NOT_FOUND)
                && !ctx.config.quirks.has(Quirk::ResolvedRefsIgnoresImportResolution)
            {
                write_status(
                    &ctx,
                    &api,
                    &mut obj,
                    &route,
                    &parents,
                    &("False", "BackendNotFound".into(), IMPORT_NOT_FOUND.into()),
                )
                .await?;
            }
            let reason = if matches!(e, Error::Retry(_)) { "Retry-Reconcile" } else { "FailedDeployModel" };
            let type_ = if matches!(e, Error::Retry(_)) { "Normal" } else { "Warning" };
            ctx.event(obj_ref(&obj, kind), &component, type_, reason, &format!("Failed deploy model due to {e}")).await;
            Err(e)
        }
    }
}

fn obj_ref(obj: &DynamicObject, kind: RouteKind) -> Involved {
    Involved {
        api_version: "gateway.networking.k8s.io/v1".into(),
        kind: kind.kind().into(),
        meta: obj.metadata.clone(),
    }
}

async fn import_mode(ctx: &Context, b: &BackendRef) -> Result<std::result::Result<Mode, ModeError>> {
    let annotations: BTreeMap<String, String> = Api::<ServiceImport>::namespaced(ctx.kube.clone(), &b.namespace)
        .get_opt(&b.name)
        .await?
        .map(|i| i.annotations().clone().into_iter().collect())
        .unwrap_or_default();
    Ok(import::mode(&annotations, &b.name, &b.namespace))
}

/// The Gateway listeners a parentRef selects: `(port, protocol)`, TLS passthrough as
/// `TLS_PASSTHROUGH`.
fn gateway_listeners(gateway: &Value, section: Option<&str>, port: Option<i32>) -> Vec<ListenerModel> {
    gateway["spec"]["listeners"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| section.is_none_or(|s| l["name"] == s) && port.is_none_or(|p| l["port"] == p))
        .map(|l| {
            let protocol = match l["protocol"].as_str().unwrap_or("HTTP") {
                "TLS" if l["tls"]["mode"] == "Passthrough" => "TLS_PASSTHROUGH".to_string(),
                other => other.to_string(),
            };
            ListenerModel { port: l["port"].as_i64().unwrap_or(80) as i32, protocol }
        })
        .collect()
}

/// Writes the route's parent statuses unless they are already stored, and keeps `obj`'s copy
/// current, so that a second write in one reconcile compares against the first.
async fn write_status(
    ctx: &Context,
    api: &Api<DynamicObject>,
    obj: &mut DynamicObject,
    route: &Route,
    parents: &[Parent],
    resolved: &(&str, String, String),
) -> Result<()> {
    let generation = obj.metadata.generation.unwrap_or(0);
    let now = ctx.config.clock.timestamp().to_string();
    let condition = |type_: &str, status: &str, reason: &str, message: &str| json!({"type": type_, "status": status, "reason": reason, "message": message, "observedGeneration": generation, "lastTransitionTime": now});
    let entries: Vec<Value> = route
        .parent_refs
        .iter()
        .zip(parents)
        .map(|(p, parent)| {
            let mut parent_ref = json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": p.name, "namespace": p.namespace});
            if let Some(s) = &p.section_name {
                parent_ref["sectionName"] = s.clone().into();
            }
            json!({"parentRef": parent_ref, "controllerName": GATEWAY_CONTROLLER, "conditions": [
                condition("Accepted", parent.accepted.0, parent.accepted.1, &parent.accepted.2),
                condition("ResolvedRefs", resolved.0, &resolved.1, &resolved.2),
            ]})
        })
        .collect();
    // Same conditions as stored (ignoring times): no write, so the route does not wake itself.
    let strip = |v: &Value| -> Value {
        let mut v = v.clone();
        for parent in v.as_array_mut().into_iter().flatten() {
            for c in parent["conditions"].as_array_mut().into_iter().flatten() {
                if let Some(c) = c.as_object_mut() {
                    c.remove("lastTransitionTime");
                }
            }
        }
        v
    };
    if strip(&obj.data["status"]["parents"]) == strip(&Value::Array(entries.clone())) {
        return Ok(());
    }
    let status = json!({"status": {"parents": entries}});
    api.patch_status(&route.name, &PatchParams::default(), &Patch::Merge(&status)).await?;
    obj.data["status"]["parents"] = status["status"]["parents"].clone();
    Ok(())
}

enum Deployed {
    Done { arn: String, dns: String },
    Conflicted(String),
}

/// Builds the route's target groups for its Service backends.
pub(super) async fn route_target_groups(
    route: &Route,
    ctx: &Context,
) -> Result<Vec<(String, String, TargetGroupModel)>> {
    let mut out: Vec<(String, String, TargetGroupModel)> = Vec::new();
    for b in route.rules.iter().flat_map(|r| &r.backend_refs).filter(|b| b.kind == "Service") {
        if out.iter().any(|(ns, name, _)| *ns == b.namespace && *name == b.name) {
            continue;
        }
        let Some(service) = Api::<Service>::namespaced(ctx.kube.clone(), &b.namespace).get_opt(&b.name).await? else {
            continue;
        };
        let selector = format!("kubernetes.io/service-name={}", b.name);
        let slices = Api::<EndpointSlice>::namespaced(ctx.kube.clone(), &b.namespace)
            .list(&ListParams::default().labels(&selector))
            .await?
            .items;
        let policies = Api::<TargetGroupPolicy>::namespaced(ctx.kube.clone(), &b.namespace)
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .unwrap_or_default();
        let policy = crate::model::export::policy_for(&policies, "Service", &b.name, &b.namespace);
        let (mut protocol, mut version) = ("HTTP".to_string(), "HTTP1".to_string());
        if let Some(p) = policy {
            if let Some(proto) = p.spec.protocol {
                protocol =
                    serde_json::to_value(proto).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or(protocol);
            }
            if let Some(v) = p.spec.protocol_version {
                version = serde_json::to_value(v).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or(version);
            }
        }
        match route.kind {
            RouteKind::Grpc => version = "GRPC".into(),
            RouteKind::Tls => {
                protocol = "TCP".into();
                version.clear();
            }
            RouteKind::Http => {}
        }
        let families = service.spec.as_ref().and_then(|s| s.ip_families.clone()).unwrap_or_default();
        let defined: Vec<i32> = b.port.into_iter().collect();
        let model = TargetGroupModel {
            source: Source::Route {
                kind: route.kind.kind().into(),
                namespace: route.namespace.clone(),
                name: route.name.clone(),
            },
            service_name: b.name.clone(),
            service_namespace: b.namespace.clone(),
            port: 80,
            protocol,
            protocol_version: version,
            ip_address_type: if families.first().map(String::as_str) == Some("IPv6") {
                "IPV6".into()
            } else {
                "IPV4".into()
            },
            health_check: policy.and_then(|p| p.spec.health_check.as_ref()).map(crate::model::export::health_check),
            user_tags: route.user_tags(),
            // A Service being deleted builds no targets model (`model_build_targets.go`).
            targets: service.metadata.deletion_timestamp.is_none().then(|| resolve(&service, &slices, &defined)),
        };
        out.push((b.namespace.clone(), b.name.clone(), model));
    }
    Ok(out)
}

/// The service-network names the route's service joins.
fn network_names(route: &Route, parents: &[Parent], ctx: &Context) -> Vec<String> {
    if let Some(name) = ctx.config.override_network() {
        return vec![name.to_string()];
    }
    if route.annotations.get(tags::STANDALONE).map(String::as_str) == Some("true") {
        return vec![];
    }
    let mut names: Vec<String> = Vec::new();
    for (p, parent) in route.parent_refs.iter().zip(parents) {
        if parent.gateway.is_some() && parent.accepted.0 == "True" && !names.contains(&p.name) {
            names.push(p.name.clone());
        }
    }
    names
}

/// Whether a Service backend of the route has more than one IP family.
async fn dual_stack_backend(route: &Route, ctx: &Context) -> Result<bool> {
    for b in route.rules.iter().flat_map(|r| &r.backend_refs).filter(|b| b.kind == "Service") {
        let service = Api::<Service>::namespaced(ctx.kube.clone(), &b.namespace).get_opt(&b.name).await?;
        if service.and_then(|s| s.spec).and_then(|s| s.ip_families).is_some_and(|f| f.len() > 1) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The route's `service-name-override`, when it is a valid Lattice service name
/// (`GetServiceNameOverrideWithValidation`: 3–40 of `[a-z0-9-]`, no `svc-` prefix, no hyphen
/// at either end).
fn valid_override(route: &Route) -> Option<&str> {
    let name = route.annotations.get(tags::SERVICE_NAME_OVERRIDE)?.as_str();
    let valid = (3..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with("svc-")
        && !name.starts_with('-')
        && !name.ends_with('-');
    valid.then_some(name)
}

/// Why the model cannot be built when a route with a service-name-override names a
/// ServiceImport that does not exist: the real controller refuses to claim the existing
/// service rather than fall back to a search by name (`model_build_rule.go`).
async fn unclaimable(route: &Route, ctx: &Context) -> Result<Option<String>> {
    let Some(name) = valid_override(route) else { return Ok(None) };
    for b in route.rules.iter().flat_map(|r| &r.backend_refs).filter(|b| b.is_import()) {
        if Api::<ServiceImport>::namespaced(ctx.kube.clone(), &b.namespace).get_opt(&b.name).await?.is_none() {
            return Ok(Some(format!(
                "ServiceImport {}/{} referenced by route {}/{} with service-name-override={name:?} does not exist; refusing to claim the existing service",
                b.namespace, b.name, route.namespace, route.name
            )));
        }
    }
    Ok(None)
}

pub fn service_name(route: &Route) -> String {
    route
        .annotations
        .get(tags::SERVICE_NAME_OVERRIDE)
        .cloned()
        .unwrap_or_else(|| crate::names::service(&route.name, &route.namespace))
}

async fn deploy(route: &Route, parents: &[Parent], ctx: &Context) -> Result<Deployed> {
    let c = &ctx.config;
    let managed_by = c.managed_by();
    let user_tags = route.user_tags();
    // Model: listeners and rules.
    let mut listeners: Vec<ListenerModel> = Vec::new();
    for (p, parent) in route.parent_refs.iter().zip(parents) {
        if let Some(gw) = &parent.gateway {
            for l in gateway_listeners(gw, p.section_name.as_deref(), p.port) {
                if !listeners.iter().any(|x| x.port == l.port) {
                    listeners.push(l);
                }
            }
        }
    }
    let wanted_priorities = priorities(route);
    let mut rules = Vec::new();
    for (rule, priority) in route.rules.iter().zip(wanted_priorities) {
        let matched = rule_match(route.kind, &rule.matches).map_err(Error::Build)?;
        rules.push(RuleModel { matched, priority, backends: rule.backend_refs.clone() });
    }

    // 1–2: route target groups and their targets.
    let route_tgs = route_target_groups(route, ctx).await?;
    let mut tg_ids: BTreeMap<(String, String), String> = BTreeMap::new();
    {
        let _guard = ctx.gc_lock.read().await;
        for (ns, name, model) in &route_tgs {
            let tg_name = ctx.target_group_name(ns, name);
            let found = ctx
                .lattice
                .upsert_target_group(model, tg_name, &c.cluster_name, &c.cluster_vpc_id, &managed_by)
                .await?;
            tg_ids.insert((ns.clone(), name.clone()), found.id);
        }
        for (ns, name, model) in &route_tgs {
            if let Some(targets) = &model.targets {
                ctx.lattice.sync_targets(&tg_ids[&(ns.clone(), name.clone())], targets).await?;
            }
        }
    }

    // 3–4: the Lattice service, its ownership and its network associations.
    let name = service_name(route);
    let mut route_tags = Tags::new();
    route_tags.insert(tags::MANAGED_BY.into(), managed_by.clone());
    route_tags.insert(tags::ROUTE_NAME.into(), route.name.clone());
    route_tags.insert(tags::ROUTE_NAMESPACE.into(), route.namespace.clone());
    route_tags.insert(tags::ROUTE_TYPE.into(), route.kind.route_type().into());
    let networks = network_names(route, parents, ctx);
    let (service_id, service_arn, dns) = match ctx.lattice.find_service(&name).await? {
        None => {
            let mut all = user_tags.clone();
            all.extend(route_tags.clone());
            let created = ctx
                .lattice
                .client
                .create_service()
                .name(&name)
                .set_custom_domain_name(route.hostnames.first().cloned())
                .set_tags(Some(all.into_iter().collect()))
                .send()
                .await
                .map_err(aws)?;
            let id = created.id.clone().unwrap_or_default();
            ctx.lattice.remember_created_service(&name, &id);
            for network in &networks {
                associate(ctx, &id, network, &user_tags).await?;
            }
            (id, created.arn.unwrap_or_default(), created.dns_entry.and_then(|d| d.domain_name).unwrap_or_default())
        }
        Some(existing) => {
            let id = existing.id.clone().unwrap_or_default();
            let arn = existing.arn.clone().unwrap_or_default();
            let current = ctx.lattice.owner_tags(&arn).await?;
            match current.get(tags::MANAGED_BY) {
                None => {
                    ctx.lattice.tag(&arn, &Tags::from([(tags::MANAGED_BY.to_string(), managed_by.clone())])).await?
                }
                Some(owner)
                    if *owner != managed_by && route.annotations.get(tags::ALLOW_TAKEOVER_FROM) != Some(owner) =>
                {
                    return Ok(Deployed::Conflicted(format!("service {name} is owned by {owner}")));
                }
                Some(_) => {}
            }
            let mut missing = Tags::new();
            for key in [tags::ROUTE_NAME, tags::ROUTE_NAMESPACE, tags::ROUTE_TYPE] {
                match current.get(key) {
                    None => {
                        missing.insert(key.into(), route_tags[key].clone());
                    }
                    Some(v) if *v != route_tags[key] => {
                        return Ok(Deployed::Conflicted(format!(
                            "service {name} belongs to another route ({key}={v})"
                        )));
                    }
                    Some(_) => {}
                }
            }
            if let Some(owner) = current.get(tags::MANAGED_BY).filter(|o| **o != managed_by) {
                tracing::info!("taking over service {name} from {owner}");
                missing.insert(tags::MANAGED_BY.into(), managed_by.clone());
            }
            ctx.lattice.tag(&arn, &missing).await?;
            ctx.lattice.reconcile_user_tags(&arn, &current, &user_tags).await?;
            let associations = ctx
                .lattice
                .client
                .list_service_network_service_associations()
                .service_identifier(&id)
                .send()
                .await
                .map_err(aws)?
                .items;
            for network in &networks {
                match associations.iter().find(|a| {
                    a.service_network_name.as_deref() == Some(network)
                        || a.service_network_id.as_deref() == Some(network)
                }) {
                    None => associate(ctx, &id, network, &user_tags).await?,
                    Some(a) if a.status == Some(ServiceNetworkServiceAssociationStatus::DeleteInProgress) => {
                        return Err(Error::Retry(format!("association with {network} is being deleted")));
                    }
                    Some(_) => {}
                }
            }
            for extra in associations.iter().filter(|a| {
                !networks
                    .iter()
                    .any(|n| a.service_network_name.as_deref() == Some(n) || a.service_network_id.as_deref() == Some(n))
            }) {
                let Some(arn) = extra.arn.as_deref() else { continue };
                if ctx.lattice.owner_tags(arn).await?.get(tags::MANAGED_BY) == Some(&managed_by) {
                    ctx.lattice
                        .client
                        .delete_service_network_service_association()
                        .service_network_service_association_identifier(arn)
                        .send()
                        .await
                        .map_err(aws)?;
                }
            }
            (id, arn, existing.dns_entry.and_then(|d| d.domain_name).unwrap_or_default())
        }
    };

    // 5–6: listeners.
    let listed = ctx.lattice.client.list_listeners().service_identifier(&service_id).send().await.map_err(aws)?.items;
    let mut owned_tags = user_tags.clone();
    owned_tags.insert(tags::MANAGED_BY.into(), managed_by.clone());
    let mut listener_ids: Vec<(ListenerModel, String)> = Vec::new();
    for l in &listeners {
        let id = match listed.iter().find(|x| x.port == Some(l.port)) {
            Some(existing) => existing.id.clone().unwrap_or_default(),
            None => {
                let default_action = if l.protocol == "TLS_PASSTHROUGH" {
                    let rule = rules.first().ok_or_else(|| Error::Build("a TLSRoute needs exactly one rule".into()))?;
                    to_lattice_action(&rule_action(route, &rule.backends, &tg_ids, ctx).await?)
                } else {
                    to_lattice_action(&Action::Fixed(404))
                };
                let created = ctx
                    .lattice
                    .client
                    .create_listener()
                    .service_identifier(&service_id)
                    .name(crate::names::listener(&route.name, &route.namespace, l.port, &l.protocol))
                    .port(l.port)
                    .protocol(ListenerProtocol::from(l.protocol.as_str()))
                    .default_action(default_action)
                    .set_tags(Some(owned_tags.clone().into_iter().collect()))
                    .send()
                    .await
                    .map_err(aws)?;
                created.id.unwrap_or_default()
            }
        };
        listener_ids.push((l.clone(), id));
    }
    let relisted = ctx.lattice.client.list_listeners().service_identifier(&service_id).send().await.map_err(aws)?.items;
    for stale in relisted.iter().filter(|x| {
        !listeners
            .iter()
            .any(|l| Some(l.port) == x.port && x.protocol.as_ref().map(|p| p.as_str()) == Some(l.protocol.as_str()))
    }) {
        if let Some(id) = &stale.id {
            ctx.lattice
                .client
                .delete_listener()
                .service_identifier(&service_id)
                .listener_identifier(id)
                .send()
                .await
                .map_err(aws)?;
        }
    }

    // 7–8: rules, per listener.
    let mut deferred: Option<Error> = None;
    let now = ctx.config.clock.unix_seconds();
    for (listener, listener_id) in listener_ids.iter().filter(|(l, _)| l.protocol != "TLS_PASSTHROUGH") {
        let mut placed: Vec<(String, i32)> = Vec::new();
        for rule in &rules {
            let action = match rule_action(route, &rule.backends, &tg_ids, ctx).await {
                Ok(a) => a,
                Err(e) => {
                    if ctx.config.quirks.has(Quirk::PartialRulesOnImportFailure) {
                        return Err(Error::Deploy(format!("error during rule synthesis {e}")));
                    }
                    deferred.get_or_insert(Error::Deploy(format!("error during rule synthesis {e}")));
                    // Keep the existing rule for this match, if any, in place.
                    let existing = existing_rules(ctx, &service_id, listener_id).await?;
                    if let Some((id, _, prio, _)) = existing.into_iter().find(|(_, m, _, _)| *m == rule.matched) {
                        placed.push((id, prio.max(rule.priority)));
                    }
                    continue;
                }
            };
            let existing = existing_rules(ctx, &service_id, listener_id).await?;
            match existing.iter().find(|(_, m, _, _)| *m == rule.matched) {
                Some((id, _, current_priority, current_action)) => {
                    if current_action.as_ref() != Some(&action) {
                        // The whole rule goes out, the match the model's and the priority the
                        // existing rule's, so that no two rules conflict (`updateIfNeeded`).
                        ctx.lattice
                            .client
                            .update_rule()
                            .service_identifier(&service_id)
                            .listener_identifier(listener_id)
                            .rule_identifier(id)
                            .r#match(to_lattice_match(&rule.matched))
                            .priority(*current_priority)
                            .action(to_lattice_action(&action))
                            .send()
                            .await
                            .map_err(aws)?;
                    }
                    placed.push((id.clone(), rule.priority));
                }
                None => {
                    let used: Vec<i32> = existing.iter().map(|(_, _, p, _)| *p).collect();
                    let free = (1..=100)
                        .find(|p| !used.contains(p))
                        .ok_or_else(|| Error::Deploy("no free rule priority".into()))?;
                    let created = ctx
                        .lattice
                        .client
                        .create_rule()
                        .service_identifier(&service_id)
                        .listener_identifier(listener_id)
                        .name(crate::names::rule(now, rule.priority))
                        .r#match(to_lattice_match(&rule.matched))
                        .action(to_lattice_action(&action))
                        .priority(free)
                        .set_tags(Some(owned_tags.clone().into_iter().collect()))
                        .send()
                        .await
                        .map_err(aws)?;
                    placed.push((created.id.unwrap_or_default(), rule.priority));
                }
            }
        }
        let _ = listener;
        // Prune and rebalance priorities.
        let current = ctx
            .lattice
            .client
            .list_rules()
            .service_identifier(&service_id)
            .listener_identifier(listener_id)
            .send()
            .await
            .map_err(aws)?
            .items;
        for stale in current
            .iter()
            .filter(|r| r.is_default != Some(true) && !placed.iter().any(|(id, _)| Some(id) == r.id.as_ref()))
        {
            if let Some(id) = &stale.id {
                ctx.lattice
                    .client
                    .delete_rule()
                    .service_identifier(&service_id)
                    .listener_identifier(listener_id)
                    .rule_identifier(id)
                    .send()
                    .await
                    .map_err(aws)?;
            }
        }
        let differs =
            placed.iter().any(|(id, p)| current.iter().any(|r| r.id.as_ref() == Some(id) && r.priority != Some(*p)));
        if differs {
            let updates: Vec<RuleUpdate> = placed
                .iter()
                .map(|(id, p)| RuleUpdate::builder().rule_identifier(id).priority(*p).build().expect("identifier set"))
                .collect();
            ctx.lattice
                .client
                .batch_update_rule()
                .service_identifier(&service_id)
                .listener_identifier(listener_id)
                .set_rules(Some(updates))
                .send()
                .await
                .map_err(aws)?;
        }
    }
    // 9: post-synthesize.
    for id in tg_ids.values() {
        ctx.lattice.list_targets(id).await?;
    }
    if let Some(e) = deferred {
        return Err(e);
    }
    Ok(Deployed::Done { arn: service_arn, dns })
}

/// `(id, match, priority, action)` of a listener's non-default rules (ListRules + GetRule).
async fn existing_rules(
    ctx: &Context,
    service: &str,
    listener: &str,
) -> Result<Vec<(String, RuleMatch, i32, Option<Action>)>> {
    let listed = ctx
        .lattice
        .client
        .list_rules()
        .service_identifier(service)
        .listener_identifier(listener)
        .send()
        .await
        .map_err(aws)?
        .items;
    let mut out = Vec::new();
    for r in listed {
        let Some(id) = r.id.clone() else { continue };
        let got = ctx
            .lattice
            .client
            .get_rule()
            .service_identifier(service)
            .listener_identifier(listener)
            .rule_identifier(&id)
            .send()
            .await
            .map_err(aws)?;
        if got.is_default == Some(true) {
            continue;
        }
        out.push((
            id,
            from_lattice_match(got.r#match.as_ref()),
            got.priority.unwrap_or_default(),
            from_lattice_action(got.action.as_ref()),
        ));
    }
    Ok(out)
}

/// The forward action of a rule (§3.3): INVALID entries skipped, all invalid → 500.
async fn rule_action(
    route: &Route,
    backends: &[BackendRef],
    route_tgs: &BTreeMap<(String, String), String>,
    ctx: &Context,
) -> Result<Action> {
    let mut groups = Vec::new();
    for b in backends {
        let id = if b.is_import() {
            Some(resolve_import(route, b, ctx).await?)
        } else if b.kind == "Service" {
            route_tgs.get(&(b.namespace.clone(), b.name.clone())).cloned()
        } else {
            None
        };
        if let Some(id) = id {
            groups.push((id, b.weight));
        }
    }
    Ok(if groups.is_empty() { Action::Fixed(500) } else { Action::Forward(groups) })
}

/// ServiceImport resolution at rule-synthesis time (§3.2): Mode 3 by ARN, else the first
/// exported target group in ListTargetGroups order that the annotations accept.
async fn resolve_import(route: &Route, b: &BackendRef, ctx: &Context) -> Result<String> {
    match import_mode(ctx, b).await? {
        Ok(Mode::External { id, .. }) => Ok(id),
        Err(e) => Err(Error::Deploy(format!("{e:?}"))),
        Ok(Mode::Search(query)) => {
            let candidates: Vec<Candidate> = ctx
                .lattice
                .target_groups_with_tags()
                .await?
                .into_iter()
                .map(|(tg, tags)| Candidate {
                    id: tg.id.unwrap_or_default(),
                    arn: tg.arn.unwrap_or_default(),
                    vpc: tg.vpc_identifier.unwrap_or_default(),
                    tags,
                })
                .collect();
            let prefer = (!ctx.config.quirks.has(Quirk::ImportIgnoresProtocol)).then(|| route.kind.preferred_version());
            import::resolve(&query, &candidates, prefer)
                .map(|c| c.id.clone())
                .ok_or_else(|| Error::Deploy(IMPORT_NOT_FOUND.into()))
        }
    }
}

async fn associate(ctx: &Context, service_id: &str, network: &str, user_tags: &Tags) -> Result<()> {
    let Some(sn) = ctx.lattice.find_service_network(network, &ctx.config).await? else {
        return Err(Error::Deploy(format!("service network {network} not found")));
    };
    let mut tags = user_tags.clone();
    tags.insert(tags::MANAGED_BY.into(), ctx.config.managed_by());
    let created = ctx
        .lattice
        .client
        .create_service_network_service_association()
        .service_identifier(service_id)
        .service_network_identifier(sn.id.unwrap_or_default())
        .set_tags(Some(tags.into_iter().collect()))
        .send()
        .await;
    match created {
        Ok(out) if out.status == Some(ServiceNetworkServiceAssociationStatus::Active) => Ok(()),
        Ok(out) => Err(Error::Retry(format!("association with {network} is {:?}", out.status))),
        Err(e) => {
            let e = aws(e);
            if e.is_conflict() && e.to_string().contains("CREATE_IN_PROGRESS") {
                Err(Error::Retry(e.to_string()))
            } else {
                Err(e)
            }
        }
    }
}

/// Route delete (§5.3): only a service we own; associations, listeners, then the service.
async fn delete_service(route: &Route, ctx: &Context) -> Result<()> {
    let Some(service) = ctx.lattice.find_service(&service_name(route)).await? else { return Ok(()) };
    let (id, arn) = (service.id.unwrap_or_default(), service.arn.unwrap_or_default());
    if ctx.lattice.owner_tags(&arn).await?.get(tags::MANAGED_BY) != Some(&ctx.config.managed_by()) {
        return Ok(());
    }
    let associations = ctx
        .lattice
        .client
        .list_service_network_service_associations()
        .service_identifier(&id)
        .send()
        .await
        .map_err(aws)?
        .items;
    for a in associations {
        // By ARN, as the real controller names it.
        if let Some(arn) = a.arn
            && let Err(e) = ctx
                .lattice
                .client
                .delete_service_network_service_association()
                .service_network_service_association_identifier(&arn)
                .send()
                .await
        {
            let e = aws(e);
            if e.is_conflict() {
                return Err(Error::Retry(e.to_string()));
            }
            if !e.is_not_found() {
                return Err(e);
            }
        }
    }
    for l in ctx.lattice.client.list_listeners().service_identifier(&id).send().await.map_err(aws)?.items {
        if let Some(lid) = l.id {
            ctx.lattice
                .client
                .delete_listener()
                .service_identifier(&id)
                .listener_identifier(&lid)
                .send()
                .await
                .map_err(aws)?;
        }
    }
    match ctx.lattice.client.delete_service().service_identifier(&id).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = aws(e);
            if e.is_conflict() {
                Err(Error::Retry(e.to_string()))
            } else if e.is_not_found() {
                Ok(())
            } else {
                Err(e)
            }
        }
    }
}
