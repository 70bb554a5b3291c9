//! Assertions on Lattice and Kubernetes in domain terms. Each waits (virtual time) up to the
//! scenario's bound, or the `within N seconds,` it starts with, for the world to converge.

use cucumber::gherkin::Step;
use cucumber::{given, then};
use serde_json::Value;

use super::kubernetes::api_version_of;
use super::{bound, converge};
use crate::scenario::ScenarioWorld;
use crate::world::World;
use crate::world::inspect::{custom_rules, records, service_named};

const WITHIN: &str = r"^(?:within (\d+) seconds?, )?";

fn table(step: &Step) -> Vec<Vec<String>> {
    step.table.as_ref().map(|t| t.rows.iter().skip(1).cloned().collect()).unwrap_or_default()
}

fn object(text: &str) -> (String, String) {
    let (ns, name) = text.split_once('/').expect("namespace/name");
    (ns.into(), name.into())
}

fn service_of(world: &World, route: &Value, namespace: &str, name: &str) -> String {
    route["metadata"]["annotations"]["application-networking.k8s.aws/service-name-override"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| {
            let _ = world;
            sim_controller::names::service(name, namespace)
        })
}

async fn route_forwards(
    world: &World,
    cluster: &str,
    kind: &str,
    ns: &str,
    name: &str,
) -> Result<Vec<(String, String, i64, i64)>, String> {
    let route = world
        .get(cluster, "gateway.networking.k8s.io/v1", kind, Some(ns), name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or(format!("{kind} {ns}/{name} does not exist"))?;
    let service = service_of(world, &route, ns, name);
    let mut got: Vec<(String, String, i64, i64)> =
        world.service_forwards(&service).into_iter().map(|(g, w)| (g.cluster, g.vpc, g.port, w)).collect();
    got.sort();
    Ok(got)
}

#[given(regex = r#"^(?:within (\d+) seconds?, )?export (\S+/\S+) of "([^"]+)" has (\d+) target groups?$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?export (\S+/\S+) of "([^"]+)" has (\d+) target groups?$"#)]
async fn export_group_count(w: &mut ScenarioWorld, within: String, export: String, cluster: String, n: usize) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&export);
    converge(world, within, "export target groups", || async {
        let got = world.export_groups(&cluster, &ns, &name).len();
        if got == n { Ok(()) } else { Err(format!("{got} target groups")) }
    })
    .await;
}

#[given(regex = r#"^(?:within (\d+) seconds?, )?export (\S+/\S+) of "([^"]+)" has the target groups:$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?export (\S+/\S+) of "([^"]+)" has the target groups:$"#)]
async fn export_groups(w: &mut ScenarioWorld, within: String, export: String, cluster: String, step: &Step) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&export);
    let mut wanted: Vec<(i64, String, String)> = table(step)
        .into_iter()
        .map(|r| (r[0].parse().expect("port"), r[1].clone(), r.get(2).cloned().unwrap_or_default()))
        .collect();
    wanted.sort();
    converge(world, within, "export target groups", || async {
        let mut got: Vec<(i64, String, String)> =
            world.export_groups(&cluster, &ns, &name).into_iter().map(|g| (g.port, g.protocol, g.version)).collect();
        got.sort();
        if got == wanted { Ok(()) } else { Err(format!("port, protocol, version: {got:?}, wanted {wanted:?}")) }
    })
    .await;
}

#[given(
    regex = r#"^(?:within (\d+) seconds?, )?the targets of export (\S+/\S+) of "([^"]+)"(?: on port (\d+))? are:$"#
)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?the targets of export (\S+/\S+) of "([^"]+)"(?: on port (\d+))? are:$"#)]
async fn export_targets(
    w: &mut ScenarioWorld,
    within: String,
    export: String,
    cluster: String,
    port: String,
    step: &Step,
) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&export);
    let mut wanted: Vec<(String, i64)> =
        table(step).into_iter().map(|r| (r[0].clone(), r[1].parse().expect("port"))).collect();
    wanted.sort();
    let port: Option<i64> = port.parse().ok();
    converge(world, within, "export targets", || async {
        let groups = world.export_groups(&cluster, &ns, &name);
        let group = groups.iter().find(|g| port.is_none_or(|p| g.port == p)).ok_or("no such target group")?;
        let mut got = group.targets.clone();
        got.sort();
        if got == wanted { Ok(()) } else { Err(format!("targets {got:?}, wanted {wanted:?}")) }
    })
    .await;
}

#[given(regex = r#"^(?:within (\d+) seconds?, )?the targets of export (\S+/\S+) of "([^"]+)" are empty$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?the targets of export (\S+/\S+) of "([^"]+)" are empty$"#)]
async fn export_targets_empty(w: &mut ScenarioWorld, within: String, export: String, cluster: String) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&export);
    converge(world, within, "export targets", || async {
        let groups = world.export_groups(&cluster, &ns, &name);
        match groups.first() {
            Some(g) if g.targets.is_empty() => Ok(()),
            Some(g) => Err(format!("targets {:?}", g.targets)),
            None => Err("no target group".into()),
        }
    })
    .await;
}

#[given(regex = r#"^(?:within (\d+) seconds?, )?(HTTPRoute|GRPCRoute|TLSRoute) (\S+/\S+) in "([^"]+)" forwards to:$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?(HTTPRoute|GRPCRoute|TLSRoute) (\S+/\S+) in "([^"]+)" forwards to:$"#)]
async fn forwards(w: &mut ScenarioWorld, within: String, kind: String, route: String, cluster: String, step: &Step) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&route);
    let mut wanted: Vec<(String, String, i64, i64)> = table(step)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].parse().expect("port"), r[3].parse().expect("weight")))
        .collect();
    wanted.sort();
    converge(world, within, "route forwards (cluster, vpc, port, weight)", || async {
        let got = route_forwards(world, &cluster, &kind, &ns, &name).await?;
        if got == wanted { Ok(()) } else { Err(format!("{got:?}, wanted {wanted:?}")) }
    })
    .await;
}

#[given(
    regex = r#"^(?:within (\d+) seconds?, )?(HTTPRoute|GRPCRoute|TLSRoute) (\S+/\S+) in "([^"]+)" forwards to nothing$"#
)]
#[then(
    regex = r#"^(?:within (\d+) seconds?, )?(HTTPRoute|GRPCRoute|TLSRoute) (\S+/\S+) in "([^"]+)" forwards to nothing$"#
)]
async fn forwards_nothing(w: &mut ScenarioWorld, within: String, kind: String, route: String, cluster: String) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&route);
    converge(world, within, "route forwards", || async {
        let got = route_forwards(world, &cluster, &kind, &ns, &name).await?;
        if got.is_empty() { Ok(()) } else { Err(format!("forwards {got:?}")) }
    })
    .await;
}

#[given(regex = r#"^(?:within (\d+) seconds?, )?(HTTPRoute|GRPCRoute|TLSRoute) (\S+/\S+) in "([^"]+)" answers (\d+)$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?(HTTPRoute|GRPCRoute|TLSRoute) (\S+/\S+) in "([^"]+)" answers (\d+)$"#)]
async fn answers(w: &mut ScenarioWorld, within: String, kind: String, route: String, cluster: String, code: i64) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&route);
    converge(world, within, "route fixed response", || async {
        let obj = world
            .get(&cluster, "gateway.networking.k8s.io/v1", &kind, Some(&ns), &name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no route")?;
        let got = world.service_fixed_responses(&service_of(world, &obj, &ns, &name));
        if got.contains(&code) { Ok(()) } else { Err(format!("fixed responses {got:?}")) }
    })
    .await;
}

#[given(
    regex = r#"^(?:within (\d+) seconds?, )?(HTTPRoute|GRPCRoute|TLSRoute) (\S+/\S+) in "([^"]+)" has (\w+)=(True|False|Unknown) with reason (\w+)$"#
)]
#[then(
    regex = r#"^(?:within (\d+) seconds?, )?(HTTPRoute|GRPCRoute|TLSRoute) (\S+/\S+) in "([^"]+)" has (\w+)=(True|False|Unknown) with reason (\w+)$"#
)]
#[allow(clippy::too_many_arguments)] // one per capture of the step's pattern
async fn condition(
    w: &mut ScenarioWorld,
    within: String,
    kind: String,
    route: String,
    cluster: String,
    type_: String,
    status: String,
    reason: String,
) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&route);
    converge(world, within, "route condition", || async {
        let obj = world
            .get(&cluster, "gateway.networking.k8s.io/v1", &kind, Some(&ns), &name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no route")?;
        let conditions: Vec<(String, String, String)> = obj["status"]["parents"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["conditions"].as_array().cloned().unwrap_or_default())
            .map(|c| {
                (
                    c["type"].as_str().unwrap_or_default().into(),
                    c["status"].as_str().unwrap_or_default().into(),
                    c["reason"].as_str().unwrap_or_default().into(),
                )
            })
            .collect();
        if conditions.contains(&(type_.clone(), status.clone(), reason.clone())) {
            Ok(())
        } else {
            Err(format!("conditions {conditions:?}"))
        }
    })
    .await;
}

#[given(
    regex = r#"^(?:within (\d+) seconds?, )?(\w+) (\S+/\S+) in "([^"]+)" (has the finalizer "([^"]+)"|has no finalizers|is gone|exists)$"#
)]
#[then(
    regex = r#"^(?:within (\d+) seconds?, )?(\w+) (\S+/\S+) in "([^"]+)" (has the finalizer "([^"]+)"|has no finalizers|is gone|exists)$"#
)]
async fn object_state(
    w: &mut ScenarioWorld,
    within: String,
    kind: String,
    target: String,
    cluster: String,
    what: String,
    finalizer: String,
) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&target);
    converge(world, within, &format!("{kind} {target} {what}"), || async {
        let obj =
            world.get(&cluster, api_version_of(&kind), &kind, Some(&ns), &name).await.map_err(|e| e.to_string())?;
        let finalizers: Vec<String> = obj
            .as_ref()
            .map(|o| {
                o["metadata"]["finalizers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let ok = match what.as_str() {
            "is gone" => obj.is_none(),
            "exists" => obj.is_some(),
            "has no finalizers" => obj.is_some() && finalizers.is_empty(),
            _ => finalizers.contains(&finalizer),
        };
        if ok { Ok(()) } else { Err(format!("present: {}, finalizers {finalizers:?}", obj.is_some())) }
    })
    .await;
}

#[given(
    regex = r#"^(?:within (\d+) seconds?, )?"([^"]+)" recorded a (\w+) event for (\S+/\S+)(?: saying "([^"]*)")?$"#
)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?"([^"]+)" recorded a (\w+) event for (\S+/\S+)(?: saying "([^"]*)")?$"#)]
async fn event(w: &mut ScenarioWorld, within: String, cluster: String, reason: String, target: String, saying: String) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&target);
    converge(world, within, "event", || async {
        let events = world.objects(&cluster, "v1", "Event").await.map_err(|e| format!("{e:#}"))?;
        let found = events.iter().any(|e| {
            e["involvedObject"]["name"] == name.as_str()
                && e["involvedObject"]["namespace"] == ns.as_str()
                && e["reason"] == reason.as_str()
                && e["message"].as_str().unwrap_or_default().contains(saying.as_str())
        });
        if found { Ok(()) } else { Err(format!("no {reason} event for {target}")) }
    })
    .await;
}

#[given(regex = r"^(?:within (\d+) seconds?, )?nothing is orphaned in Lattice$")]
#[then(regex = r"^(?:within (\d+) seconds?, )?nothing is orphaned in Lattice$")]
async fn nothing_orphaned(w: &mut ScenarioWorld, within: String) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    converge(world, within, "orphans", || async {
        let orphans = world.orphans().await.map_err(|e| e.to_string())?;
        if orphans.is_empty() { Ok(()) } else { Err(format!("{orphans:?}")) }
    })
    .await;
}

/// Every federated export's target groups hold exactly its Service's serving endpoints.
async fn lost_targets(world: &World) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    for c in &world.clusters {
        let exports = world.objects(&c.spec.name, "application-networking.k8s.aws/v1alpha1", "ServiceExport");
        let slices =
            world.objects(&c.spec.name, "discovery.k8s.io/v1", "EndpointSlice").await.map_err(|e| format!("{e:#}"))?;
        for export in exports.await.map_err(|e| format!("{e:#}"))? {
            if export["metadata"]["annotations"]["application-networking.k8s.aws/federation"] != "amazon-vpc-lattice"
                || !export["metadata"]["deletionTimestamp"].is_null()
            {
                continue;
            }
            let (ns, name) = (
                export["metadata"]["namespace"].as_str().unwrap_or_default(),
                export["metadata"]["name"].as_str().unwrap_or_default(),
            );
            let service = export["metadata"]["annotations"]["application-networking.k8s.aws/service-name"]
                .as_str()
                .unwrap_or(name);
            let mut endpoints: Vec<String> = slices
                .iter()
                .filter(|s| {
                    s["metadata"]["namespace"] == ns && s["metadata"]["labels"]["kubernetes.io/service-name"] == service
                })
                .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
                .filter(|e| e["conditions"]["terminating"] != true)
                .flat_map(|e| e["addresses"].as_array().cloned().unwrap_or_default())
                .filter_map(|a| a.as_str().map(String::from))
                .collect();
            endpoints.sort();
            endpoints.dedup();
            let groups = world.export_groups(&c.spec.name, ns, name);
            if groups.is_empty() {
                problems.push(format!("{}: export {ns}/{name} has no target group", c.spec.name));
            }
            for g in groups {
                let mut ips: Vec<String> = g.targets.iter().map(|(ip, _)| ip.clone()).collect();
                ips.sort();
                ips.dedup();
                if ips != endpoints {
                    problems.push(format!(
                        "{}: export {ns}/{name} port {} has {ips:?}, endpoints {endpoints:?}",
                        c.spec.name, g.port
                    ));
                }
            }
        }
    }
    Ok(problems)
}

#[given(regex = r"^(?:within (\d+) seconds?, )?no export has lost targets$")]
#[then(regex = r"^(?:within (\d+) seconds?, )?no export has lost targets$")]
async fn no_lost_targets(w: &mut ScenarioWorld, within: String) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    converge(world, within, "export targets", || async {
        let problems = lost_targets(world).await?;
        if problems.is_empty() { Ok(()) } else { Err(format!("{problems:?}")) }
    })
    .await;
}

/// The invariants every converged world satisfies: nothing orphaned in Lattice, every
/// federated export's targets are its endpoints, and no cluster holds an object that is
/// being deleted with no finalizer left.
#[given(regex = r"^(?:within (\d+) seconds?, )?the world's invariants hold$")]
#[then(regex = r"^(?:within (\d+) seconds?, )?the world's invariants hold$")]
async fn invariants(w: &mut ScenarioWorld, within: String) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    converge(world, within, "the world's invariants", || async {
        let mut problems = world.orphans().await.map_err(|e| e.to_string())?;
        problems.extend(lost_targets(world).await?);
        for c in &world.clusters {
            // A real API server removes an object the moment its last finalizer goes.
            let Some(sim) = &c.embedded else { continue };
            let dump = sim.dump();
            for (resource, objects) in dump.as_object().into_iter().flatten() {
                for o in objects.as_array().into_iter().flatten() {
                    let deleting = !o["metadata"]["deletionTimestamp"].is_null();
                    let held = o["metadata"]["finalizers"].as_array().is_some_and(|f| !f.is_empty())
                        || resource == "namespaces";
                    if deleting && !held {
                        problems.push(format!(
                            "{}: {resource} {} is deleting with no finalizer",
                            c.spec.name, o["metadata"]["name"]
                        ));
                    }
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(format!("{problems:?}")) }
    })
    .await;
}

#[given(regex = r"^Lattice received (at most|at least|exactly) (\d+) (\w+) calls?$")]
#[then(regex = r"^Lattice received (at most|at least|exactly) (\d+) (\w+) calls?$")]
async fn calls(w: &mut ScenarioWorld, how: String, n: u64, operation: String) {
    let world = w.started().expect("started");
    let got = world.sim.call_count(&operation);
    let ok = match how.as_str() {
        "at most" => got <= n,
        "at least" => got >= n,
        _ => got == n,
    };
    assert!(ok, "{operation} was called {got} times, wanted {how} {n}");
}

#[given(regex = r#"^(?:within (\d+) seconds?, )?a Lattice service named "([^"]+)" exists$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?a Lattice service named "([^"]+)" exists$"#)]
async fn service_exists(w: &mut ScenarioWorld, within: String, name: String) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    converge(world, within, "Lattice service", || async {
        let names = world.service_names();
        if names.contains(&name) { Ok(()) } else { Err(format!("services {names:?}")) }
    })
    .await;
}

#[given(regex = r"^(?:within (\d+) seconds?, )?no Lattice service exists$")]
#[then(regex = r"^(?:within (\d+) seconds?, )?no Lattice service exists$")]
async fn no_service(w: &mut ScenarioWorld, within: String) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    converge(world, within, "Lattice services", || async {
        let names = world.service_names();
        if names.is_empty() { Ok(()) } else { Err(format!("services {names:?}")) }
    })
    .await;
}

#[given(regex = r"^(?:within (\d+) seconds?, )?Lattice holds (\d+) target groups?$")]
#[then(regex = r"^(?:within (\d+) seconds?, )?Lattice holds (\d+) target groups?$")]
async fn group_total(w: &mut ScenarioWorld, within: String, n: usize) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    converge(world, within, "target groups", || async {
        let got = world.groups().len();
        if got == n { Ok(()) } else { Err(format!("{got} target groups")) }
    })
    .await;
}

const _: &str = WITHIN;

#[given(regex = r#"^(?:within (\d+) seconds?, )?export (\S+/\S+) of "([^"]+)" has the tags:$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?export (\S+/\S+) of "([^"]+)" has the tags:$"#)]
async fn export_tags(w: &mut ScenarioWorld, within: String, export: String, cluster: String, step: &Step) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&export);
    let wanted: Vec<(String, String)> =
        table(step).into_iter().map(|r| (r[0].clone(), r.get(1).cloned().unwrap_or_default())).collect();
    converge(world, within, "export tags", || async {
        let groups = world.export_groups(&cluster, &ns, &name);
        let group = groups.first().ok_or("no target group")?;
        let missing: Vec<&(String, String)> =
            wanted.iter().filter(|(k, v)| group.tags.get(k).and_then(Value::as_str) != Some(v.as_str())).collect();
        if missing.is_empty() { Ok(()) } else { Err(format!("tags {:?} lack {missing:?}", group.tags)) }
    })
    .await;
}

#[given(regex = r#"^(?:within (\d+) seconds?, )?export (\S+/\S+) of "([^"]+)" has no tag "([^"]+)"$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?export (\S+/\S+) of "([^"]+)" has no tag "([^"]+)"$"#)]
async fn export_lacks_tag(w: &mut ScenarioWorld, within: String, export: String, cluster: String, key: String) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    let (ns, name) = object(&export);
    converge(world, within, "export tags", || async {
        let groups = world.export_groups(&cluster, &ns, &name);
        let group = groups.first().ok_or("no target group")?;
        if group.tags.contains_key(&key) { Err(format!("{key} is {}", group.tags[&key])) } else { Ok(()) }
    })
    .await;
}

#[given(regex = r#"^(?:within (\d+) seconds?, )?service network "([^"]+)" has (\d+) service associations?$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?service network "([^"]+)" has (\d+) service associations?$"#)]
async fn network_associations(w: &mut ScenarioWorld, within: String, network: String, n: usize) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    converge(world, within, "service associations", || async {
        let state = world.lattice_state();
        let sn = records(&state, "serviceNetworks").find(|s| s["name"] == network.as_str()).ok_or("no such network")?;
        let got =
            records(&state, "serviceNetworkServiceAssociations").filter(|a| a["serviceNetworkId"] == sn["id"]).count();
        if got == n { Ok(()) } else { Err(format!("{got} associations")) }
    })
    .await;
}

#[given(regex = r#"^(?:within (\d+) seconds?, )?the Lattice service "([^"]+)" has (\d+) rules? besides its defaults$"#)]
#[then(regex = r#"^(?:within (\d+) seconds?, )?the Lattice service "([^"]+)" has (\d+) rules? besides its defaults$"#)]
async fn rule_count(w: &mut ScenarioWorld, within: String, service: String, n: usize) {
    let within = bound(w, within);
    let world = w.started().expect("started");
    converge(world, within, "rules", || async {
        let state = world.lattice_state();
        let svc = service_named(&state, &service).ok_or("no such service")?;
        let got = custom_rules(&state, svc).count();
        if got == n { Ok(()) } else { Err(format!("{got} rules")) }
    })
    .await;
}
