//! Failure bundles: everything needed to understand and replay a failed scenario — seed and
//! profile, the scenario text, the journal of every Lattice and Kubernetes API call in
//! virtual time, every object of every cluster, the Lattice state, and a topology picture
//! (SVG and Mermaid) coloured by cluster.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{Value, json};

use super::ScenarioWorld;
use crate::world::World;
use crate::world::view::{Action, LatticeView};

pub fn slug(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// `value` with every object's keys in order: the order of a JSON object's members means
/// nothing, and the SDK writes maps (tags) in its hash map's order, which changes between runs.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical(&map[k]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The journal of every call, Lattice and Kubernetes, in virtual time: what replay compares.
/// Client tokens are left out: the SDK draws them from the OS for each Create call (its
/// seeded token provider is not public), and they change no answer.
pub fn journal(world: &World) -> Value {
    let mut entries = world.sim.journal().entries().to_vec();
    // Calls of different controllers at one virtual instant are concurrent: which reaches the
    // simulator first is the loopback sockets' choice, not the scenario's. The journal orders
    // them by caller, each caller's own calls kept in order; an interleaving that changed what
    // a caller was answered still shows in its responses (docs/scenarios.md, "Bundles and replay").
    entries.sort_by(|a, b| (a.at_ms, &a.caller).cmp(&(b.at_ms, &b.caller)));
    let lattice: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut request = e.request.clone();
            if let Some(map) = request.as_object_mut() {
                map.remove("clientToken");
            }
            json!({"atMs": e.at_ms, "caller": e.caller, "operation": e.operation, "status": e.status,
                "request": canonical(&request), "response": canonical(&e.response)})
        })
        .collect();
    let clusters: serde_json::Map<String, Value> = world
        .clusters
        .iter()
        .filter_map(|c| {
            let mut requests = c.embedded.as_ref()?.journal();
            // A controller's watches and reads of one instant run concurrently: ordered by
            // resource path, each path's requests in the order they came (the query, with its
            // resourceVersion, stays in what is compared).
            requests.sort_by(|a, b| (a.at_ms, resource_path(&a.path)).cmp(&(b.at_ms, resource_path(&b.path))));
            Some((c.spec.name.clone(), serde_json::to_value(requests).unwrap_or_default()))
        })
        .collect();
    json!({"lattice": lattice, "kubernetes": clusters})
}

fn resource_path(path: &str) -> &str {
    path.split_once('?').map_or(path, |(resource, _)| resource)
}

/// The resources a bundle keeps of each cluster: what the controller reads (and the events
/// it writes), `managedFields` dropped. CRDs, leases, secrets and the rest stay out.
const KEPT: &[&str] = &[
    "namespaces",
    "services",
    "endpointslices.discovery.k8s.io",
    "events",
    "serviceexports.application-networking.k8s.aws",
    "serviceimports.application-networking.k8s.aws",
    "targetgrouppolicies.application-networking.k8s.aws",
    "vpcassociationpolicies.application-networking.k8s.aws",
    "accesslogpolicies.application-networking.k8s.aws",
    "iamauthpolicies.application-networking.k8s.aws",
    "gatewayclasses.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "grpcroutes.gateway.networking.k8s.io",
    "tlsroutes.gateway.networking.k8s.io",
];

/// A cluster dump with only what the controller reads.
pub fn trimmed(dump: Value) -> Value {
    let Value::Object(resources) = dump else { return dump };
    let kept = resources.into_iter().filter(|(k, _)| KEPT.contains(&k.as_str())).map(|(k, mut objects)| {
        for o in objects.as_array_mut().into_iter().flatten() {
            if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("managedFields");
            }
        }
        (k, objects)
    });
    Value::Object(kept.collect())
}

/// Writes the bundle of a scenario under `report`; returns its directory. `outcome` is the
/// failure, or `passed` for a bundle kept on request. A scenario that failed before its world
/// started has only its seed, text and failure.
pub async fn write(report: &Path, scenario: &str, w: &ScenarioWorld, outcome: &str) -> anyhow::Result<PathBuf> {
    let dir = report.join(slug(scenario));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(
        dir.join("seed.yaml"),
        format!(
            "seed: {}\nrunSeed: {}\nprofile: {}\ntagging: {}\nscenario: {:?}\n",
            w.seed,
            w.run.settings.seed,
            w.profile,
            serde_json::to_string(&w.run.settings.tagging)?,
            scenario
        ),
    )?;
    std::fs::write(dir.join("scenario.feature"), &w.text)?;
    std::fs::write(dir.join("failure.txt"), outcome)?;
    let Some(world) = &w.world else { return Ok(dir) };
    std::fs::write(dir.join("journal.yaml"), serde_yaml_ng::to_string(&journal(world))?)?;
    for c in &world.clusters {
        std::fs::write(
            dir.join(format!("objects-{}.yaml", c.spec.name)),
            serde_yaml_ng::to_string(&trimmed(world.dump(&c.spec.name).await?))?,
        )?;
    }
    let view = world.view().await?;
    let lattice = if world.config.aws.is_some() { view_json(&view) } else { world.sim.snapshot_json() };
    std::fs::write(dir.join("lattice.yaml"), serde_yaml_ng::to_string(&lattice)?)?;
    for c in &world.clusters {
        if let Some(process) = &c.external {
            std::fs::copy(&process.log, dir.join(format!("controller-{}.log", c.spec.name)))
                .with_context(|| format!("copying {}", process.log.display()))?;
        }
    }
    let clusters: Vec<String> = world.clusters.iter().map(|c| c.spec.name.clone()).collect();
    let (svg, mermaid) = topology(&view, &clusters);
    std::fs::write(dir.join("topology.svg"), svg)?;
    std::fs::write(dir.join("topology.mmd"), mermaid)?;
    Ok(dir)
}

/// The view as plain data, for a bundle of a run on real AWS.
pub fn view_json(view: &LatticeView) -> Value {
    let groups: Vec<Value> = view
        .target_groups
        .iter()
        .map(|g| {
            json!({"id": g.id, "arn": g.arn, "name": g.name, "status": g.status.as_ref().map(|s| s.as_str()),
                "port": g.port, "protocol": g.protocol.as_ref().map(|p| p.as_str()),
                "protocolVersion": g.protocol_version.as_ref().map(|v| v.as_str()), "vpc": g.vpc, "tags": g.tags,
                "targets": g.targets.iter().map(|t| json!({"id": t.id, "port": t.port, "status": t.status.as_ref().map(|s| s.as_str())})).collect::<Vec<_>>()})
        })
        .collect();
    let rules: Vec<Value> = view
        .rules
        .iter()
        .map(|r| {
            let action = match &r.action {
                Action::Forward(f) => json!({"forward": f.iter().map(|(id, w)| json!({"targetGroup": id, "weight": w})).collect::<Vec<_>>()}),
                Action::FixedResponse(code) => json!({"fixedResponse": code}),
                Action::None => Value::Null,
            };
            json!({"id": r.id, "service": r.service_id, "listener": r.listener_id, "name": r.name, "isDefault": r.is_default, "priority": r.priority, "action": action})
        })
        .collect();
    json!({
        "serviceNetworks": view.service_networks.iter().map(|n| json!({"id": n.id, "name": n.name, "tags": n.tags})).collect::<Vec<_>>(),
        "vpcAssociations": view.vpc_associations.iter().map(|a| json!({"id": a.id, "serviceNetwork": a.service_network_id, "vpc": a.vpc_id})).collect::<Vec<_>>(),
        "services": view.services.iter().map(|s| json!({"id": s.id, "name": s.name, "tags": s.tags})).collect::<Vec<_>>(),
        "serviceAssociations": view.service_associations.iter().map(|a| json!({"id": a.id, "service": a.service_id, "serviceNetwork": a.service_network_id})).collect::<Vec<_>>(),
        "listeners": view.listeners.iter().map(|l| json!({"id": l.id, "service": l.service_id, "protocol": l.protocol.as_ref().map(|p| p.as_str()), "port": l.port})).collect::<Vec<_>>(),
        "rules": rules,
        "targetGroups": groups,
    })
}

const PALETTE: [&str; 6] = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1"];

struct Node {
    id: String,
    label: String,
    cluster: String,
    layer: usize,
}

/// Service networks → services → listeners → rules → target groups → targets, coloured by
/// the cluster whose controller made them.
pub fn topology(view: &LatticeView, clusters: &[String]) -> (String, String) {
    let managed_by = |tags: &crate::world::view::Tags| {
        tags.get("application-networking.k8s.aws/ClusterName")
            .cloned()
            .or_else(|| {
                tags.get("application-networking.k8s.aws/ManagedBy").and_then(|m| m.split('/').nth(1)).map(String::from)
            })
            .unwrap_or_default()
    };
    let service_cluster =
        |id: &str| view.services.iter().find(|s| s.id == id).map(|s| managed_by(&s.tags)).unwrap_or_default();
    let mut nodes: Vec<Node> = Vec::new();
    let mut edges: Vec<(String, String, String)> = Vec::new();
    for sn in &view.service_networks {
        nodes.push(Node { id: sn.id.clone(), label: format!("network {}", sn.name), cluster: String::new(), layer: 0 });
    }
    for svc in &view.services {
        nodes.push(Node {
            id: svc.id.clone(),
            label: format!("service {}", svc.name),
            cluster: managed_by(&svc.tags),
            layer: 1,
        });
    }
    for a in &view.service_associations {
        edges.push((a.service_network_id.clone(), a.service_id.clone(), String::new()));
    }
    for l in &view.listeners {
        let label = format!("{} :{}", l.protocol.as_ref().map_or("?", |p| p.as_str()), l.port.unwrap_or_default());
        nodes.push(Node { id: l.id.clone(), label, cluster: service_cluster(&l.service_id), layer: 2 });
        edges.push((l.service_id.clone(), l.id.clone(), String::new()));
    }
    for r in view.rules.iter().filter(|r| !r.is_default) {
        let label = format!("rule p{}", r.priority.unwrap_or_default());
        nodes.push(Node { id: r.id.clone(), label, cluster: service_cluster(&r.service_id), layer: 3 });
        edges.push((r.listener_id.clone(), r.id.clone(), String::new()));
        if let Action::Forward(groups) = &r.action {
            for (tg, weight) in groups {
                edges.push((r.id.clone(), tg.clone(), format!("w{weight}")));
            }
        }
    }
    for g in &view.target_groups {
        let label = format!(
            "{} {}:{} {}",
            g.id,
            g.protocol.as_ref().map_or("?", |p| p.as_str()),
            g.port.unwrap_or_default(),
            g.vpc
        );
        nodes.push(Node { id: g.id.clone(), label, cluster: g.cluster().to_string(), layer: 4 });
        for t in &g.targets {
            let tid = format!("{}-{}-{}", g.id, t.id, t.port);
            nodes.push(Node {
                id: tid.clone(),
                label: format!("{}:{}", t.id, t.port),
                cluster: g.cluster().to_string(),
                layer: 5,
            });
            edges.push((g.id.clone(), tid, String::new()));
        }
    }
    let colour = |c: &str| clusters.iter().position(|x| x == c).map_or("#9a9a9a", |i| PALETTE[i % PALETTE.len()]);

    // SVG: one column per layer.
    let (col_w, row_h, box_w, box_h) = (250, 44, 230, 30);
    let mut rows = [0usize; 6];
    let mut pos = std::collections::BTreeMap::new();
    for n in &nodes {
        let (x, y) = (20 + n.layer * col_w, 40 + rows[n.layer] * row_h);
        rows[n.layer] += 1;
        pos.insert(n.id.clone(), (x, y));
    }
    let height = 60 + rows.iter().max().copied().unwrap_or(1) * row_h;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"monospace\" font-size=\"11\">\n",
        40 + 6 * col_w
    );
    for (i, title) in
        ["service networks", "services", "listeners", "rules", "target groups", "targets"].iter().enumerate()
    {
        svg.push_str(&format!("<text x=\"{}\" y=\"20\" font-weight=\"bold\">{title}</text>\n", 20 + i * col_w));
    }
    for (from, to, label) in &edges {
        if let (Some((x1, y1)), Some((x2, y2))) = (pos.get(from), pos.get(to)) {
            svg.push_str(&format!(
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>\n",
                x1 + box_w,
                y1 + box_h / 2,
                x2,
                y2 + box_h / 2
            ));
            if !label.is_empty() {
                svg.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\">{}</text>\n",
                    (x1 + box_w + x2) / 2,
                    (y1 + y2) / 2 + box_h / 2 - 3,
                    escape(label)
                ));
            }
        }
    }
    for n in &nodes {
        let (x, y) = pos[&n.id];
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{box_w}\" height=\"{box_h}\" rx=\"4\" fill=\"{}\" fill-opacity=\"0.25\" stroke=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
            colour(&n.cluster),
            colour(&n.cluster),
            x + 6,
            y + 19,
            escape(&n.label)
        ));
    }
    for (i, c) in clusters.iter().enumerate() {
        svg.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
            20 + i * 160,
            height - 14,
            colour(c),
            36 + i * 160,
            height - 4,
            escape(c)
        ));
    }
    svg.push_str("</svg>\n");

    let mut mermaid = String::from("flowchart LR\n");
    for i in 0..clusters.len() {
        mermaid.push_str(&format!(
            "  classDef c{i} fill:{},stroke:{}\n",
            PALETTE[i % PALETTE.len()],
            PALETTE[i % PALETTE.len()]
        ));
    }
    let mid = |s: &str| s.replace(['.', ':', '-'], "_");
    for n in &nodes {
        let class = clusters.iter().position(|c| *c == n.cluster).map(|i| format!(":::c{i}")).unwrap_or_default();
        mermaid.push_str(&format!("  {}[\"{}\"]{class}\n", mid(&n.id), n.label.replace('"', "'")));
    }
    for (from, to, label) in &edges {
        if pos.contains_key(from) && pos.contains_key(to) {
            let arrow = if label.is_empty() { "-->".to_string() } else { format!("-- {label} -->") };
            mermaid.push_str(&format!("  {} {arrow} {}\n", mid(from), mid(to)));
        }
    }
    (svg, mermaid)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
