//! Assertions on Lattice, read through the typed view in Lattice's own terms: target groups
//! of exports (every group an export has, not the first), their targets, tags and health
//! checks; what a route's Lattice service forwards to and where; services, rules, networks.

use cucumber::gherkin::Step;
use cucumber::{given, then};

use super::{Check, StepResult, Table, expect, fail};
use crate::scenario::ScenarioWorld;
use crate::scenario::params::{Cluster, Object, RouteKind, Timing};
use crate::world::World;
use crate::world::view::{Forward, LatticeView, TargetGroup};

/// The groups of an export, or why there are none.
fn groups_of<'v>(view: &'v LatticeView, cluster: &Cluster, export: &Object) -> Result<Vec<&'v TargetGroup>, String> {
    let groups = view.export_groups(&cluster.0, &export.namespace, &export.name);
    if groups.is_empty() { Err(format!("export {export} of {} has no target group", cluster.0)) } else { Ok(groups) }
}

fn ok(seen: impl Into<String>) -> Check {
    Ok(seen.into())
}

#[given(expr = "{timing}export {object} of {cluster} has {int} target group(s)")]
#[then(expr = "{timing}export {object} of {cluster} has {int} target group(s)")]
async fn group_count(w: &mut ScenarioWorld, timing: Timing, export: Object, cluster: Cluster, n: usize) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("export {export} of {} has {n} target groups", cluster.0), || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let got = view.export_groups(&cluster.0, &export.namespace, &export.name).len();
        if got == n { ok(format!("{got} target groups")) } else { Err(format!("it has {got}")) }
    })
    .await
}

fn describe_group(g: &TargetGroup) -> String {
    let status = g.status.as_ref().map_or("?", |s| s.as_str());
    format!("{} {} {} {status}", g.port.unwrap_or_default(), protocol(g), version(g))
}

fn protocol(g: &TargetGroup) -> &str {
    g.protocol.as_ref().map_or("-", |p| p.as_str())
}

/// A group's protocol version (from its config), `-` for none (TCP groups).
fn version(g: &TargetGroup) -> &str {
    g.protocol_version.as_ref().map_or("-", |v| v.as_str())
}

#[given(expr = "{timing}export {object} of {cluster} has the target groups:")]
#[then(expr = "{timing}export {object} of {cluster} has the target groups:")]
async fn groups(w: &mut ScenarioWorld, timing: Timing, export: Object, cluster: Cluster, step: &Step) -> StepResult {
    let table = Table::of(step, &["port", "protocol", "version"], &["status"])?;
    let mut wanted = Vec::new();
    for row in &table.rows {
        let status = table.get(row, "status").map(String::from);
        let port = table.number(row, "port")?;
        wanted.push((port, table.cell(row, "protocol").to_string(), table.cell(row, "version").to_string(), status));
    }
    wanted.sort();
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("the target groups of export {export} of {}", cluster.0), || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let groups = view.export_groups(&cluster.0, &export.namespace, &export.name);
        let mut got: Vec<_> = groups
            .iter()
            .map(|g| {
                let status = wanted
                    .iter()
                    .any(|w| w.3.is_some())
                    .then(|| g.status.as_ref().map_or("?", |s| s.as_str()).to_string());
                (i64::from(g.port.unwrap_or_default()), protocol(g).to_string(), version(g).to_string(), status)
            })
            .collect();
        got.sort();
        let seen: Vec<String> = groups.iter().map(|g| describe_group(g)).collect();
        if got == wanted { ok(seen.join("; ")) } else { Err(format!("they are [{}]", seen.join("; "))) }
    })
    .await
}

/// `(ip, port, status)` of a table of targets.
fn wanted_targets(table: &Table) -> Result<Vec<(String, i64, Option<String>)>, super::StepFailure> {
    let mut wanted = Vec::new();
    for row in &table.rows {
        let ip = table.cell(row, "ip");
        if ip.parse::<std::net::IpAddr>().is_err() {
            return fail(format!("{ip:?} is not an IP address"));
        }
        wanted.push((ip.to_string(), table.number(row, "port")?, table.get(row, "status").map(String::from)));
    }
    wanted.sort();
    Ok(wanted)
}

fn targets_of(g: &TargetGroup, with_status: bool) -> Vec<(String, i64, Option<String>)> {
    let mut got: Vec<_> = g
        .targets
        .iter()
        .map(|t| {
            let status = with_status.then(|| t.status.as_ref().map_or("?", |s| s.as_str()).to_string());
            (t.id.clone(), i64::from(t.port), status)
        })
        .collect();
    got.sort();
    got
}

fn show_targets(targets: &[(String, i64, Option<String>)]) -> String {
    let items: Vec<String> = targets
        .iter()
        .map(|(ip, port, status)| {
            format!("{ip}:{port}{}", status.as_ref().map(|s| format!(" {s}")).unwrap_or_default())
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// Every group of the export (or the one on `port`) holds exactly `wanted`.
async fn check_targets(
    world: &World,
    cluster: &Cluster,
    export: &Object,
    port: Option<i32>,
    wanted: &[(String, i64, Option<String>)],
) -> Check {
    let view = world.view().await.map_err(|e| format!("{e:#}"))?;
    let mut groups = groups_of(&view, cluster, export)?;
    if let Some(port) = port {
        groups.retain(|g| g.port == Some(port));
        if groups.len() != 1 {
            return Err(format!("export {export} of {} has {} target groups on port {port}", cluster.0, groups.len()));
        }
    }
    let with_status = wanted.iter().any(|t| t.2.is_some());
    let mut seen = Vec::new();
    for g in groups {
        let got = targets_of(g, with_status);
        if got != wanted {
            return Err(format!("the group on port {} holds {}", g.port.unwrap_or_default(), show_targets(&got)));
        }
        seen.push(show_targets(&got));
    }
    ok(seen.join("; "))
}

#[given(expr = "{timing}the targets of export {object} of {cluster} are:")]
#[then(expr = "{timing}the targets of export {object} of {cluster} are:")]
async fn targets(w: &mut ScenarioWorld, timing: Timing, export: Object, cluster: Cluster, step: &Step) -> StepResult {
    let wanted = wanted_targets(&Table::of(step, &["ip", "port"], &["status"])?)?;
    w.world().await?;
    let world = w.started()?;
    let what = format!("the targets of every target group of export {export} of {}", cluster.0);
    expect(w, timing, &what, || check_targets(world, &cluster, &export, None, &wanted)).await
}

#[given(expr = "{timing}the targets of export {object} of {cluster} on port {int} are:")]
#[then(expr = "{timing}the targets of export {object} of {cluster} on port {int} are:")]
async fn targets_on_port(
    w: &mut ScenarioWorld,
    timing: Timing,
    export: Object,
    cluster: Cluster,
    port: i32,
    step: &Step,
) -> StepResult {
    let wanted = wanted_targets(&Table::of(step, &["ip", "port"], &["status"])?)?;
    w.world().await?;
    let world = w.started()?;
    let what = format!("the targets of export {export} of {} on port {port}", cluster.0);
    expect(w, timing, &what, || check_targets(world, &cluster, &export, Some(port), &wanted)).await
}

#[given(expr = "{timing}the targets of export {object} of {cluster} are empty")]
#[then(expr = "{timing}the targets of export {object} of {cluster} are empty")]
async fn targets_empty(w: &mut ScenarioWorld, timing: Timing, export: Object, cluster: Cluster) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    let what = format!("every target group of export {export} of {} is empty", cluster.0);
    expect(w, timing, &what, || check_targets(world, &cluster, &export, None, &[])).await
}

/// What a table cell of the `group` column names: `export ns/name` or `service ns/name`
/// (a route's own group for a Service backend).
#[derive(Debug)]
struct WantedForward {
    export: bool,
    object: Object,
    cluster: String,
    weight: i32,
    vpc: Option<String>,
    port: Option<i32>,
    version: Option<String>,
    listener: Option<String>,
    priority: Option<i32>,
}

const FORWARD_COLUMNS: &[&str] = &["group", "cluster", "weight"];
const FORWARD_OPTIONAL: &[&str] = &["vpc", "port", "version", "listener", "priority"];

fn wanted_forwards(table: &Table) -> Result<Vec<WantedForward>, super::StepFailure> {
    let mut out = Vec::new();
    for row in &table.rows {
        let group = table.cell(row, "group");
        let (export, object) = match group.split_once(' ') {
            Some(("export", o)) => (true, o),
            Some(("service", o)) => (false, o),
            _ => return fail(format!("group {group:?} is not `export namespace/name` or `service namespace/name`")),
        };
        let object: Object = object.parse().or_else(fail)?;
        let number = |column: &str| -> Result<Option<i32>, super::StepFailure> {
            match table.get(row, column) {
                None => Ok(None),
                Some(text) => {
                    text.parse().map(Some).or_else(|_| fail(format!("{column} {text:?} is not a whole number")))
                }
            }
        };
        out.push(WantedForward {
            export,
            object,
            cluster: table.cell(row, "cluster").to_string(),
            weight: table.number(row, "weight")? as i32,
            vpc: table.get(row, "vpc").map(String::from),
            port: number("port")?,
            version: table.get(row, "version").map(String::from),
            listener: table.get(row, "listener").map(String::from),
            priority: number("priority")?,
        });
    }
    Ok(out)
}

impl WantedForward {
    fn matches(&self, f: &Forward<'_>, group: &TargetGroup) -> bool {
        let (ns, name) = (&self.object.namespace, &self.object.name);
        let who = if self.export {
            group.is_export(&self.cluster, ns, name)
        } else {
            group.is_route_service(&self.cluster, ns, name)
        };
        who && f.weight == self.weight
            && self.vpc.as_ref().is_none_or(|v| *v == group.vpc)
            && self.port.is_none_or(|p| group.port == Some(p))
            && self.version.as_ref().is_none_or(|v| v == version(group))
            && self.listener.as_ref().is_none_or(|l| *l == listener_name(f))
            && self.priority.is_none_or(|p| f.rule.priority == Some(p))
    }
}

fn listener_name(f: &Forward<'_>) -> String {
    format!("{}:{}", f.listener.protocol.as_ref().map_or("?", |p| p.as_str()), f.listener.port.unwrap_or_default())
}

fn describe_forward(f: &Forward<'_>) -> String {
    let to = match &f.group {
        Ok(g) => g.describe(),
        Err(id) => format!("{id}, which does not exist"),
    };
    format!("{to} weight {} (rule p{} on {})", f.weight, f.rule.priority.unwrap_or_default(), listener_name(f))
}

/// The route's Lattice service name: its `service-name-override`, else the controller's rule.
async fn service_name(world: &World, cluster: &str, kind: RouteKind, route: &Object) -> Result<String, String> {
    let kind = kind.kind();
    let obj = world
        .get(cluster, kind.api_version(), kind.name(), Some(&route.namespace), &route.name)
        .await
        .map_err(|e| format!("{e:#}"))?
        .ok_or_else(|| format!("there is no {kind} {route} in {cluster}"))?;
    let annotation = &obj["metadata"]["annotations"]["application-networking.k8s.aws/service-name-override"];
    Ok(annotation
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| sim_controller::names::service(&route.name, &route.namespace)))
}

/// The forwards of a route's Lattice service (which must exist, with a listener); a forward
/// to a group that does not exist is an error.
async fn forwards_of<T>(
    world: &World,
    cluster: &str,
    kind: RouteKind,
    route: &Object,
    judge: impl FnOnce(&[Forward<'_>], &[&TargetGroup]) -> Result<T, String>,
) -> Result<T, String> {
    let name = service_name(world, cluster, kind, route).await?;
    let view = world.view().await.map_err(|e| format!("{e:#}"))?;
    let service = view.service_named(&name).ok_or_else(|| format!("there is no Lattice service {name:?}"))?;
    if view.listeners_of(&service.id).is_empty() {
        return Err(format!("the Lattice service {name:?} has no listener"));
    }
    let forwards = view.forwards(&service.id);
    if let Some(missing) = forwards.iter().find(|f| f.group.is_err()) {
        return Err(format!("it forwards to {}", describe_forward(missing)));
    }
    let groups: Vec<&TargetGroup> = forwards.iter().filter_map(|f| f.group.as_ref().ok().copied()).collect();
    judge(&forwards, &groups)
}

fn show_forwards(forwards: &[Forward<'_>]) -> String {
    if forwards.is_empty() {
        return "nothing".into();
    }
    forwards.iter().map(describe_forward).collect::<Vec<_>>().join("; ")
}

/// Whether `forwards` are exactly `wanted`, each row matching one forward.
fn exactly(forwards: &[Forward<'_>], groups: &[&TargetGroup], wanted: &[WantedForward]) -> bool {
    if forwards.len() != wanted.len() {
        return false;
    }
    let mut used = vec![false; forwards.len()];
    wanted.iter().all(|w| {
        let found = (0..forwards.len()).find(|&i| !used[i] && w.matches(&forwards[i], groups[i]));
        found.map(|i| used[i] = true).is_some()
    })
}

#[given(expr = "{timing}{route_kind} {object} in {cluster} forwards to:")]
#[then(expr = "{timing}{route_kind} {object} in {cluster} forwards to:")]
async fn forwards(
    w: &mut ScenarioWorld,
    timing: Timing,
    kind: RouteKind,
    route: Object,
    cluster: Cluster,
    step: &Step,
) -> StepResult {
    let wanted = wanted_forwards(&Table::of(step, FORWARD_COLUMNS, FORWARD_OPTIONAL)?)?;
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("what {route} in {} forwards to", cluster.0), || {
        forwards_of(world, &cluster.0, kind, &route, |forwards, groups| {
            let seen = show_forwards(forwards);
            if exactly(forwards, groups, &wanted) { Ok(seen) } else { Err(format!("it forwards to {seen}")) }
        })
    })
    .await
}

/// The route forwards to exactly one group, and it is one of the rows (for choices the
/// controller leaves to the order of events: several accepted groups, one group wanted by
/// two routes).
#[given(expr = "{timing}{route_kind} {object} in {cluster} forwards to one of:")]
#[then(expr = "{timing}{route_kind} {object} in {cluster} forwards to one of:")]
async fn forwards_one_of(
    w: &mut ScenarioWorld,
    timing: Timing,
    kind: RouteKind,
    route: Object,
    cluster: Cluster,
    step: &Step,
) -> StepResult {
    let wanted = wanted_forwards(&Table::of(step, FORWARD_COLUMNS, FORWARD_OPTIONAL)?)?;
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("what {route} in {} forwards to", cluster.0), || {
        forwards_of(world, &cluster.0, kind, &route, |forwards, groups| {
            let seen = show_forwards(forwards);
            let one = forwards.len() == 1 && wanted.iter().any(|w| w.matches(&forwards[0], groups[0]));
            if one { Ok(seen) } else { Err(format!("it forwards to {seen}")) }
        })
    })
    .await
}

/// The route's Lattice service and its listener exist, and no rule forwards anywhere.
#[given(expr = "{timing}{route_kind} {object} in {cluster} forwards to nothing")]
#[then(expr = "{timing}{route_kind} {object} in {cluster} forwards to nothing")]
async fn forwards_nothing(
    w: &mut ScenarioWorld,
    timing: Timing,
    kind: RouteKind,
    route: Object,
    cluster: Cluster,
) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("{route} in {} forwards to nothing", cluster.0), || {
        forwards_of(world, &cluster.0, kind, &route, |forwards, _| {
            if forwards.is_empty() {
                Ok("its service and listener, no forward".to_string())
            } else {
                Err(format!("it forwards to {}", show_forwards(forwards)))
            }
        })
    })
    .await
}

#[given(expr = "{timing}{route_kind} {object} in {cluster} has no Lattice service")]
#[then(expr = "{timing}{route_kind} {object} in {cluster} has no Lattice service")]
async fn no_service_for(
    w: &mut ScenarioWorld,
    timing: Timing,
    kind: RouteKind,
    route: Object,
    cluster: Cluster,
) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("{route} in {} has no Lattice service", cluster.0), || async {
        let name = service_name(world, &cluster.0, kind, &route).await?;
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        match view.service_named(&name) {
            Some(s) => Err(format!("the Lattice service {name:?} exists ({})", s.id)),
            None => ok(format!("no Lattice service {name:?}")),
        }
    })
    .await
}

#[given(expr = "{timing}{route_kind} {object} in {cluster} answers {int}")]
#[then(expr = "{timing}{route_kind} {object} in {cluster} answers {int}")]
async fn answers(
    w: &mut ScenarioWorld,
    timing: Timing,
    kind: RouteKind,
    route: Object,
    cluster: Cluster,
    code: i32,
) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("{route} in {} answers {code}", cluster.0), || async {
        let name = service_name(world, &cluster.0, kind, &route).await?;
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let service = view.service_named(&name).ok_or_else(|| format!("there is no Lattice service {name:?}"))?;
        let got = view.fixed_responses(&service.id);
        if got.contains(&code) {
            ok(format!("fixed responses {got:?}"))
        } else {
            Err(format!("its fixed responses are {got:?}"))
        }
    })
    .await
}

#[given(expr = "{timing}nothing is orphaned in Lattice")]
#[then(expr = "{timing}nothing is orphaned in Lattice")]
async fn nothing_orphaned(w: &mut ScenarioWorld, timing: Timing) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, "nothing is orphaned in Lattice", || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let orphans = world.orphans(&view).await.map_err(|e| format!("{e:#}"))?;
        if orphans.is_empty() { ok("no orphan") } else { Err(orphans.join("; ")) }
    })
    .await
}

#[given(expr = "{timing}no export has lost targets")]
#[then(expr = "{timing}no export has lost targets")]
async fn no_lost_targets(w: &mut ScenarioWorld, timing: Timing) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, "every export's targets are its endpoints", || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let problems = world.lost_targets(&view).await.map_err(|e| format!("{e:#}"))?;
        if problems.is_empty() { ok("every export holds its endpoints") } else { Err(problems.join("; ")) }
    })
    .await
}

/// Nothing orphaned in Lattice, every federated export's targets are its endpoints, and no
/// cluster holds an object that is being deleted with no finalizer left.
#[given(expr = "{timing}the world's invariants hold")]
#[then(expr = "{timing}the world's invariants hold")]
async fn invariants(w: &mut ScenarioWorld, timing: Timing) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, "the world's invariants", || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let problems = world.invariant_problems(&view).await.map_err(|e| format!("{e:#}"))?;
        if problems.is_empty() { ok("every invariant holds") } else { Err(problems.join("; ")) }
    })
    .await
}

#[given(expr = "{timing}a Lattice service named {string} exists")]
#[then(expr = "{timing}a Lattice service named {string} exists")]
async fn service_exists(w: &mut ScenarioWorld, timing: Timing, name: String) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("a Lattice service named {name:?} exists"), || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let names: Vec<&str> = view.services.iter().map(|s| s.name.as_str()).collect();
        if names.contains(&name.as_str()) {
            ok(format!("services {names:?}"))
        } else {
            Err(format!("the services are {names:?}"))
        }
    })
    .await
}

#[given(expr = "{timing}no Lattice service exists")]
#[then(expr = "{timing}no Lattice service exists")]
async fn no_service(w: &mut ScenarioWorld, timing: Timing) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, "no Lattice service exists", || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let names: Vec<&str> = view.services.iter().map(|s| s.name.as_str()).collect();
        if names.is_empty() { ok("no service") } else { Err(format!("the services are {names:?}")) }
    })
    .await
}

#[given(expr = "{timing}Lattice holds {int} target group(s)")]
#[then(expr = "{timing}Lattice holds {int} target group(s)")]
async fn group_total(w: &mut ScenarioWorld, timing: Timing, n: usize) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("Lattice holds {n} target groups"), || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let got: Vec<String> = view.target_groups.iter().map(TargetGroup::describe).collect();
        if got.len() == n { ok(got.join("; ")) } else { Err(format!("it holds {}: {}", got.len(), got.join("; "))) }
    })
    .await
}

fn wanted_tags(step: &Step) -> Result<Vec<(String, String)>, super::StepFailure> {
    let table = Table::of(step, &["key", "value"], &[])?;
    Ok(table.rows.iter().map(|r| (table.cell(r, "key").to_string(), table.cell(r, "value").to_string())).collect())
}

/// Every group of the export has exactly these tags (`among its tags`: at least these).
async fn check_tags(
    world: &World,
    cluster: &Cluster,
    export: &Object,
    wanted: &[(String, String)],
    exact: bool,
) -> Check {
    let view = world.view().await.map_err(|e| format!("{e:#}"))?;
    for g in groups_of(&view, cluster, export)? {
        let missing: Vec<String> =
            wanted.iter().filter(|(k, v)| g.tags.get(k) != Some(v)).map(|(k, v)| format!("{k}={v}")).collect();
        let extra: Vec<String> = if exact {
            g.tags
                .iter()
                .filter(|(k, _)| !wanted.iter().any(|(w, _)| w == *k))
                .map(|(k, v)| format!("{k}={v}"))
                .collect()
        } else {
            vec![]
        };
        if !missing.is_empty() || !extra.is_empty() {
            return Err(format!(
                "the group on port {} lacks [{}] and has besides [{}]",
                g.port.unwrap_or_default(),
                missing.join(", "),
                extra.join(", ")
            ));
        }
    }
    ok("the tags")
}

#[given(expr = "{timing}export {object} of {cluster} has the tags:")]
#[then(expr = "{timing}export {object} of {cluster} has the tags:")]
async fn tags(w: &mut ScenarioWorld, timing: Timing, export: Object, cluster: Cluster, step: &Step) -> StepResult {
    let wanted = wanted_tags(step)?;
    w.world().await?;
    let world = w.started()?;
    let what = format!("the tags of every target group of export {export} of {}, exactly", cluster.0);
    expect(w, timing, &what, || check_tags(world, &cluster, &export, &wanted, true)).await
}

#[given(expr = "{timing}export {object} of {cluster} has among its tags:")]
#[then(expr = "{timing}export {object} of {cluster} has among its tags:")]
async fn some_tags(w: &mut ScenarioWorld, timing: Timing, export: Object, cluster: Cluster, step: &Step) -> StepResult {
    let wanted = wanted_tags(step)?;
    w.world().await?;
    let world = w.started()?;
    let what = format!("the tags of every target group of export {export} of {}", cluster.0);
    expect(w, timing, &what, || check_tags(world, &cluster, &export, &wanted, false)).await
}

#[given(expr = "{timing}export {object} of {cluster} has no tag {string}")]
#[then(expr = "{timing}export {object} of {cluster} has no tag {string}")]
async fn lacks_tag(w: &mut ScenarioWorld, timing: Timing, export: Object, cluster: Cluster, key: String) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("no target group of export {export} of {} has the tag {key:?}", cluster.0), || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        for g in groups_of(&view, &cluster, &export)? {
            if let Some(v) = g.tags.get(&key) {
                return Err(format!("the group on port {} has {key}={v}", g.port.unwrap_or_default()));
            }
        }
        ok("no such tag")
    })
    .await
}

/// The health check's fields as GetTargetGroup answers them (`-` for an unset one).
fn health_fields(g: &TargetGroup) -> Vec<(&'static str, String)> {
    let Some(hc) = &g.health_check else { return vec![("enabled", "-".into())] };
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    vec![
        ("enabled", opt(hc.enabled().map(|v| v.to_string()))),
        ("protocol", opt(hc.protocol().map(|v| v.as_str().to_string()))),
        ("protocolVersion", opt(hc.protocol_version().map(|v| v.as_str().to_string()))),
        ("path", opt(hc.path().map(String::from))),
        ("port", opt(hc.port().map(|v| v.to_string()))),
        ("intervalSeconds", opt(hc.health_check_interval_seconds().map(|v| v.to_string()))),
        ("timeoutSeconds", opt(hc.health_check_timeout_seconds().map(|v| v.to_string()))),
        ("healthyThresholdCount", opt(hc.healthy_threshold_count().map(|v| v.to_string()))),
        ("unhealthyThresholdCount", opt(hc.unhealthy_threshold_count().map(|v| v.to_string()))),
        ("matcher", opt(hc.matcher().and_then(|m| m.as_http_code().ok()).cloned())),
    ]
}

const HEALTH_FIELDS: &[&str] = &[
    "enabled",
    "protocol",
    "protocolVersion",
    "path",
    "port",
    "intervalSeconds",
    "timeoutSeconds",
    "healthyThresholdCount",
    "unhealthyThresholdCount",
    "matcher",
];

#[given(expr = "{timing}export {object} of {cluster} has the health check:")]
#[then(expr = "{timing}export {object} of {cluster} has the health check:")]
async fn health_check(
    w: &mut ScenarioWorld,
    timing: Timing,
    export: Object,
    cluster: Cluster,
    step: &Step,
) -> StepResult {
    let table = Table::of(step, &["field", "value"], &[])?;
    let mut wanted = Vec::new();
    for row in &table.rows {
        let field = table.cell(row, "field");
        if !HEALTH_FIELDS.contains(&field) {
            return fail(format!("{field:?} is not a health check field ({})", HEALTH_FIELDS.join(", ")));
        }
        wanted.push((field.to_string(), table.cell(row, "value").to_string()));
    }
    w.world().await?;
    let world = w.started()?;
    expect(
        w,
        timing,
        &format!("the health check of every target group of export {export} of {}", cluster.0),
        || async {
            let view = world.view().await.map_err(|e| format!("{e:#}"))?;
            for g in groups_of(&view, &cluster, &export)? {
                let fields = health_fields(g);
                let differ: Vec<String> = wanted
                    .iter()
                    .filter_map(|(f, v)| {
                        let got = fields.iter().find(|(n, _)| n == f).map_or("-", |(_, g)| g.as_str());
                        (got != v).then(|| format!("{f} is {got}"))
                    })
                    .collect();
                if !differ.is_empty() {
                    return Err(format!("on the group on port {}: {}", g.port.unwrap_or_default(), differ.join(", ")));
                }
            }
            ok("the health check")
        },
    )
    .await
}

#[given(expr = "{timing}service network {string} has {int} service association(s)")]
#[then(expr = "{timing}service network {string} has {int} service association(s)")]
async fn network_associations(w: &mut ScenarioWorld, timing: Timing, network: String, n: usize) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("service network {network:?} has {n} service associations"), || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let sn = view.service_networks.iter().find(|s| s.name == network).ok_or("there is no such network")?;
        let got = view.service_associations.iter().filter(|a| a.service_network_id == sn.id).count();
        if got == n { ok(format!("{got}")) } else { Err(format!("it has {got}")) }
    })
    .await
}

#[given(expr = "{timing}the Lattice service {string} has {int} rule(s) besides its defaults")]
#[then(expr = "{timing}the Lattice service {string} has {int} rule(s) besides its defaults")]
async fn rule_count(w: &mut ScenarioWorld, timing: Timing, service: String, n: usize) -> StepResult {
    w.world().await?;
    let world = w.started()?;
    expect(w, timing, &format!("the Lattice service {service:?} has {n} rules besides its defaults"), || async {
        let view = world.view().await.map_err(|e| format!("{e:#}"))?;
        let svc = view.service_named(&service).ok_or("there is no such service")?;
        let got = view.custom_rules(&svc.id).len();
        if got == n { ok(format!("{got}")) } else { Err(format!("it has {got}")) }
    })
    .await
}
