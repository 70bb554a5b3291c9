//! Failure bundles: everything needed to understand and replay a failed scenario — seed and
//! profile, the scenario text, the journal of every Lattice and Kubernetes API call in
//! virtual time, every object of every cluster, the Lattice state, and a topology picture
//! (SVG and Mermaid) coloured by cluster.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{Value, json};

use super::ScenarioWorld;
use crate::world::World;

pub fn slug(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// The journal of every call, Lattice and Kubernetes, in virtual time: what replay compares.
/// Client tokens are left out: the SDK draws them from the OS for each Create call (its
/// seeded token provider is not public), and they change no answer.
pub fn journal(world: &World) -> Value {
    let lattice: Vec<Value> = world
        .sim
        .journal()
        .entries()
        .iter()
        .map(|e| {
            let mut request = e.request.clone();
            if let Some(map) = request.as_object_mut() {
                map.remove("clientToken");
            }
            json!({"atMs": e.at_ms, "operation": e.operation, "status": e.status, "request": request, "response": e.response})
        })
        .collect();
    let clusters: serde_json::Map<String, Value> = world
        .clusters
        .iter()
        .filter_map(|c| {
            Some((c.spec.name.clone(), serde_json::to_value(c.embedded.as_ref()?.journal()).unwrap_or_default()))
        })
        .collect();
    json!({"lattice": lattice, "kubernetes": clusters})
}

/// Writes the bundle of a failed scenario under `report`; returns its directory.
pub async fn write(report: &Path, scenario: &str, w: &ScenarioWorld, failure: &str) -> anyhow::Result<PathBuf> {
    let dir = report.join(slug(scenario));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(
        dir.join("seed.yaml"),
        format!("seed: {}\nprofile: {}\nscenario: {:?}\n", w.seed, w.profile, scenario),
    )?;
    std::fs::write(dir.join("scenario.feature"), &w.text)?;
    std::fs::write(dir.join("failure.txt"), failure)?;
    if let Some(world) = &w.world {
        std::fs::write(dir.join("journal.yaml"), serde_yaml_ng::to_string(&journal(world))?)?;
        for c in &world.clusters {
            std::fs::write(
                dir.join(format!("objects-{}.yaml", c.spec.name)),
                serde_yaml_ng::to_string(&world.dump(&c.spec.name).await?)?,
            )?;
        }
        let lattice = if world.config.aws.is_some() {
            world.refresh_lattice().await?;
            world.lattice_state()
        } else {
            world.sim.snapshot_json()
        };
        std::fs::write(dir.join("lattice.yaml"), serde_yaml_ng::to_string(&lattice)?)?;
        for c in &world.clusters {
            if let Some(process) = &c.external {
                std::fs::copy(&process.log, dir.join(format!("controller-{}.log", c.spec.name)))
                    .with_context(|| format!("copying {}", process.log.display()))?;
            }
        }
        let (svg, mermaid) = topology(world);
        std::fs::write(dir.join("topology.svg"), svg)?;
        std::fs::write(dir.join("topology.mmd"), mermaid)?;
    }
    Ok(dir)
}

const PALETTE: [&str; 6] = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1"];

struct Node {
    id: String,
    label: String,
    cluster: String,
    layer: usize,
}

/// Service networks → services → listeners → rules → target groups → targets.
pub fn topology(world: &World) -> (String, String) {
    let state = world.lattice_state();
    let tags = &state["tags"];
    let cluster_of = |arn: &str| -> String {
        let t = &tags[arn];
        t["application-networking.k8s.aws/ClusterName"]
            .as_str()
            .map(String::from)
            .or_else(|| {
                t["application-networking.k8s.aws/ManagedBy"]
                    .as_str()
                    .and_then(|m| m.split('/').nth(1))
                    .map(String::from)
            })
            .unwrap_or_default()
    };
    let items = |k: &str| state[k].as_object().map(|m| m.values().cloned().collect::<Vec<_>>()).unwrap_or_default();
    let mut nodes: Vec<Node> = Vec::new();
    let mut edges: Vec<(String, String, String)> = Vec::new();
    for sn in items("serviceNetworks") {
        nodes.push(Node {
            id: sn["id"].as_str().unwrap_or_default().into(),
            label: format!("network {}", sn["name"].as_str().unwrap_or_default()),
            cluster: String::new(),
            layer: 0,
        });
    }
    for svc in items("services") {
        let id = svc["id"].as_str().unwrap_or_default().to_string();
        nodes.push(Node {
            label: format!("service {}", svc["name"].as_str().unwrap_or_default()),
            cluster: cluster_of(svc["arn"].as_str().unwrap_or_default()),
            id: id.clone(),
            layer: 1,
        });
    }
    for a in items("serviceNetworkServiceAssociations") {
        edges.push((
            a["serviceNetworkId"].as_str().unwrap_or_default().into(),
            a["serviceId"].as_str().unwrap_or_default().into(),
            String::new(),
        ));
    }
    for l in items("listeners") {
        let id = l["id"].as_str().unwrap_or_default().to_string();
        nodes.push(Node {
            label: format!("{} :{}", l["protocol"].as_str().unwrap_or_default(), l["port"]),
            cluster: cluster_of(l["arn"].as_str().unwrap_or_default()),
            id: id.clone(),
            layer: 2,
        });
        edges.push((l["serviceId"].as_str().unwrap_or_default().into(), id, String::new()));
    }
    for r in items("rules") {
        if r["isDefault"] == true {
            continue;
        }
        let id = r["id"].as_str().unwrap_or_default().to_string();
        nodes.push(Node {
            label: format!("rule p{}", r["priority"]),
            cluster: cluster_of(r["arn"].as_str().unwrap_or_default()),
            id: id.clone(),
            layer: 3,
        });
        edges.push((r["listenerId"].as_str().unwrap_or_default().into(), id.clone(), String::new()));
        for tg in r["action"]["forward"]["targetGroups"].as_array().into_iter().flatten() {
            edges.push((
                id.clone(),
                tg["targetGroupIdentifier"].as_str().unwrap_or_default().into(),
                format!("w{}", tg["weight"]),
            ));
        }
    }
    for g in world.groups() {
        nodes.push(Node {
            id: g.id.clone(),
            label: format!("{} {}:{} {}", g.id, g.protocol, g.port, g.vpc),
            cluster: g.cluster.clone(),
            layer: 4,
        });
        for (ip, port) in &g.targets {
            let tid = format!("{}-{ip}-{port}", g.id);
            nodes.push(Node { id: tid.clone(), label: format!("{ip}:{port}"), cluster: g.cluster.clone(), layer: 5 });
            edges.push((g.id.clone(), tid, String::new()));
        }
    }
    let clusters: Vec<String> = world.clusters.iter().map(|c| c.spec.name.clone()).collect();
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
