//! Conformance records (`latticelab run --record DIR`): per scenario, the canonical final
//! state of Lattice and each controller's mutating Lattice and Tagging API calls with their
//! canonical inputs. Canonical: every resource id replaced by a name derived from what the
//! resource is (`tg:cluster-a/default/inventory/…`, `svc:local-default`), random and
//! time-derived names (target-group suffixes, rule names) likewise, timestamps and client
//! tokens dropped — so a record of the real controller and one of the reference reconciler
//! compare equal when they did the same (docs/scenarios.md, "Conformance records").

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sim_core::journal::JournalEntry;
use sim_lattice::state::Api;

use crate::world::World;

/// A resource id as the simulator draws them.
static ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(sn|svc|listener|rule|tg|snva|snsa)-[0-9a-f]{17}\b").expect("a valid regex"));
/// A rule name, `k8s-<unix seconds>-rule-<priority>`: its time is the wall clock's.
static RULE_NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bk8s-\d+-rule-").expect("a valid regex"));

/// One scenario's record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub scenario: String,
    /// The final state: every kind of resource, each sorted by its canonical id.
    pub lattice: Value,
    /// Per controller (cluster name), its successful mutating calls in order, a call repeated
    /// back to back counted once (how often a controller re-applies what it already applied
    /// depends on when its events arrive).
    pub calls: BTreeMap<String, Vec<Value>>,
}

/// Canonical names for the ids and generated names of one world, learned from its journal.
#[derive(Default)]
struct Names {
    by_id: BTreeMap<String, String>,
    /// Ids of resources deleted since: their names are free for a later resource of the same
    /// identity (a target group re-created keeps its name).
    deleted: std::collections::BTreeSet<String>,
    /// Target-group names (with their random suffix) → canonical.
    groups: BTreeMap<String, String>,
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// The id inside an identifier (an id, or an ARN ending in one).
fn id_of(identifier: &str) -> &str {
    identifier.rsplit('/').next().unwrap_or(identifier)
}

impl Names {
    fn name(&self, id: &str) -> String {
        self.by_id.get(id_of(id)).cloned().unwrap_or_else(|| format!("{}:?", id.split('-').next().unwrap_or("id")))
    }

    fn insert(&mut self, id: &str, name: String) {
        // Two resources of one identity (a duplicate target group) keep apart by their order.
        let mut unique = name.clone();
        let mut n = 2;
        while self.by_id.iter().any(|(other, v)| *v == unique && !self.deleted.contains(other)) {
            unique = format!("{name}#{n}");
            n += 1;
        }
        self.by_id.insert(id.to_string(), unique);
    }

    fn learn(&mut self, e: &JournalEntry) {
        if e.status >= 300 {
            return;
        }
        let (req, resp) = (&e.request, &e.response);
        let id = str_at(resp, "id").to_string();
        if let Some(kind) = e.operation.strip_prefix("Delete") {
            // `DeleteTargetGroup` names its resource in `targetGroupIdentifier`, and so on.
            let mut member = kind.to_string();
            member[..1].make_ascii_lowercase();
            self.deleted.insert(id_of(str_at(req, &format!("{member}Identifier"))).to_string());
            return;
        }
        match e.operation.as_str() {
            "CreateServiceNetwork" => self.insert(&id, format!("sn:{}", str_at(req, "name"))),
            "CreateService" => self.insert(&id, format!("svc:{}", str_at(req, "name"))),
            "CreateListener" => {
                let svc = self.name(str_at(req, "serviceIdentifier"));
                self.insert(&id, format!("listener:{svc}:{}:{}", req["port"], str_at(req, "protocol")));
            }
            "CreateRule" => {
                let listener = self.name(str_at(req, "listenerIdentifier"));
                self.insert(&id, format!("rule:{listener}:{}", req["priority"]));
            }
            "CreateServiceNetworkVpcAssociation" => {
                let sn = self.name(str_at(req, "serviceNetworkIdentifier"));
                self.insert(&id, format!("snva:{sn}:{}", str_at(req, "vpcIdentifier")));
            }
            "CreateServiceNetworkServiceAssociation" => {
                let (sn, svc) =
                    (self.name(str_at(req, "serviceNetworkIdentifier")), self.name(str_at(req, "serviceIdentifier")));
                self.insert(&id, format!("snsa:{sn}:{svc}"));
            }
            "CreateTargetGroup" => {
                let tags = &req["tags"];
                let tag =
                    |k: &str| tags[format!("application-networking.k8s.aws/{k}")].as_str().unwrap_or("").to_string();
                let config = &req["config"];
                let mut key =
                    vec![tag("ClusterName"), tag("ServiceNamespace"), tag("ServiceName"), tag("SourceTypeKey")];
                if !tag("RouteName").is_empty() {
                    key.extend([tag("RouteNamespace"), tag("RouteName")]);
                }
                key.extend([
                    config["port"].to_string(),
                    str_at(config, "protocol").to_string(),
                    str_at(config, "protocolVersion").to_string(),
                ]);
                let name = format!("tg:{}", key.join("/"));
                self.insert(&id, name);
                let canonical = self.by_id[&id].replacen("tg:", "tgname:", 1);
                self.groups.insert(str_at(resp, "name").to_string(), canonical);
            }
            // A listener's default rule is made by Lattice: its id first shows in a rule list.
            "ListRules" => {
                let listener = self.name(str_at(req, "listenerIdentifier"));
                for item in resp["items"].as_array().into_iter().flatten() {
                    let rule = str_at(item, "id");
                    if item["isDefault"] == true && !self.by_id.contains_key(rule) {
                        self.insert(rule, format!("rule:{listener}:default"));
                    }
                }
            }
            _ => {}
        }
    }

    /// `value` with every id, target-group name and rule name made canonical, timestamps and
    /// client tokens dropped, and object keys in order.
    fn canonical(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let out: Map<String, Value> = keys
                    .into_iter()
                    .filter(|k| !is_volatile(k))
                    .map(|k| (self.canonical_str(k), self.canonical(&map[k])))
                    .collect();
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.canonical(v)).collect()),
            Value::String(s) => Value::String(self.canonical_str(s)),
            other => other.clone(),
        }
    }

    fn canonical_str(&self, s: &str) -> String {
        if let Some(name) = self.groups.get(s) {
            return name.clone();
        }
        let ids = ID.replace_all(s, |c: &regex::Captures| self.name(&c[0]));
        RULE_NAME.replace_all(&ids, "k8s-<time>-rule-").into_owned()
    }
}

/// Members that differ between two runs of the same world without meaning anything.
fn is_volatile(key: &str) -> bool {
    matches!(
        key,
        "clientToken"
            | "createdAt"
            | "lastUpdatedAt"
            | "createdAtMs"
            | "lastUpdatedAtMs"
            | "registeredAtMs"
            | "usedSinceMs"
            | "drainingUntilMs"
            | "hostedZoneId"
            | "dnsEntry"
    )
}

/// The record of a world at the end of its scenario.
pub fn of(world: &World, scenario: &str) -> Record {
    let journal = world.sim.journal();
    let mut names = Names::default();
    for e in journal.entries() {
        names.learn(e);
    }
    // The final state first: the calls' canonical inputs use the names it adds.
    let lattice = final_state(world, &mut names);
    // Each cluster's controller signs with a key of its own; the harness's calls are not a
    // controller's.
    let controllers: BTreeMap<String, &str> =
        world.clusters.iter().map(|c| (crate::world::access_key_of(&c.spec.name), c.spec.name.as_str())).collect();
    let mut calls: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for e in journal.entries() {
        let Some(controller) = controllers.get(&e.caller) else { continue };
        if e.status >= 300 || Api::is_read_only(&e.operation) {
            continue;
        }
        let call = json!({"operation": e.operation, "input": names.canonical(&e.request)});
        let list = calls.entry(controller.to_string()).or_default();
        if list.last() != Some(&call) {
            list.push(call);
        }
    }
    Record { scenario: scenario.to_string(), lattice, calls }
}

/// The simulator's state, canonical: each kind's resources keyed by canonical id. A listener's
/// default rule no call listed is named here, and any other resource no call named gets
/// `<kind>:?` (numbered), so no two collide.
fn final_state(world: &World, names: &mut Names) -> Value {
    let snapshot = world.sim.snapshot_json();
    for partition in snapshot.as_object().into_iter().flat_map(|p| p.values()) {
        for resources in partition.as_object().into_iter().flat_map(|p| p.values()).filter_map(Value::as_object) {
            for (id, resource) in resources {
                if !ID.is_match(id) || names.by_id.contains_key(id) {
                    continue;
                }
                let name = if resource["isDefault"] == true {
                    format!("rule:{}:default", names.name(str_at(resource, "listenerId")))
                } else {
                    format!("{}:?", id.split('-').next().unwrap_or("id"))
                };
                names.insert(id, name);
            }
        }
    }
    let mut kinds = Map::new();
    for partition in snapshot.as_object().into_iter().flat_map(|p| p.values()) {
        for (kind, resources) in partition.as_object().into_iter().flatten() {
            let Some(resources) = resources.as_object() else { continue };
            let entry = kinds.entry(kind.clone()).or_insert_with(|| Value::Object(Map::new()));
            for (key, resource) in resources {
                if let Some(out) = entry.as_object_mut() {
                    out.insert(names.canonical_str(key), names.canonical(resource));
                }
            }
        }
    }
    // Object keys are in order already (serde_json's map is sorted), so the canonical ids sort.
    Value::Object(kinds.into_iter().filter(|(_, v)| v.as_object().is_some_and(|m| !m.is_empty())).collect())
}

/// The file a scenario's record goes to: its feature's file stem and its own name, with the
/// line for an outline's example (several scenarios of one name).
pub fn file_name(feature: &cucumber::gherkin::Feature, scenario: &cucumber::gherkin::Scenario) -> String {
    let stem = feature
        .path
        .as_ref()
        .and_then(|p| p.file_stem())
        .map_or("feature".into(), |s| s.to_string_lossy().into_owned());
    let mut name = format!("{stem}--{}", super::bundle::slug(&scenario.name));
    if !scenario.examples.is_empty() {
        name.push_str(&format!("--line-{}", scenario.position.line));
    }
    name + ".yaml"
}

/// Writes `record` as YAML into `dir`.
pub fn write(dir: &std::path::Path, file: &str, record: &Record) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(file);
    std::fs::write(&path, serde_yaml_ng::to_string(record)?).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(operation: &str, request: Value, response: Value) -> JournalEntry {
        JournalEntry {
            seq: 0,
            at_ms: 0,
            caller: "AKIDLATTICELAB-cluster-a".into(),
            operation: operation.into(),
            status: 200,
            request,
            response,
        }
    }

    #[test]
    fn ids_and_generated_names_become_what_the_resources_are() {
        let mut names = Names::default();
        names.learn(&entry("CreateService", json!({"name": "local-default"}), json!({"id": "svc-0123456789abcdef0"})));
        names.learn(&entry(
            "CreateTargetGroup",
            json!({"name": "k8s-default-local-abcdefghij", "config": {"port": 80, "protocol": "HTTP", "protocolVersion": "HTTP1"},
                "tags": {"application-networking.k8s.aws/ClusterName": "cluster-b",
                         "application-networking.k8s.aws/ServiceNamespace": "default",
                         "application-networking.k8s.aws/ServiceName": "local",
                         "application-networking.k8s.aws/SourceTypeKey": "HTTPRoute",
                         "application-networking.k8s.aws/RouteNamespace": "default",
                         "application-networking.k8s.aws/RouteName": "local"}}),
            json!({"id": "tg-0aaaaaaaaaaaaaaa1", "name": "k8s-default-local-abcdefghij"}),
        ));
        let got = names.canonical(&json!({
            "arn": "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0",
            "targetGroupIdentifier": "tg-0aaaaaaaaaaaaaaa1", "name": "k8s-default-local-abcdefghij",
            "rule": "k8s-1796302911-rule-1", "createdAt": "2026-01-01T00:00:00Z", "other": "tg-0bbbbbbbbbbbbbbb2"}));
        assert_eq!(
            got,
            json!({
                "arn": "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc:local-default",
                "targetGroupIdentifier": "tg:cluster-b/default/local/HTTPRoute/default/local/80/HTTP/HTTP1",
                "name": "tgname:cluster-b/default/local/HTTPRoute/default/local/80/HTTP/HTTP1",
                "rule": "k8s-<time>-rule-1", "other": "tg:?"})
        );
    }

    #[test]
    fn a_re_created_resource_takes_the_name_of_the_deleted_one() {
        let mut names = Names::default();
        names.learn(&entry("CreateService", json!({"name": "again"}), json!({"id": "svc-0000000000000000a"})));
        names.learn(&entry("DeleteService", json!({"serviceIdentifier": "svc-0000000000000000a"}), json!({})));
        names.learn(&entry("CreateService", json!({"name": "again"}), json!({"id": "svc-0000000000000000b"})));
        assert_eq!(names.name("svc-0000000000000000b"), "svc:again");
    }

    #[test]
    fn duplicates_of_one_identity_are_numbered() {
        let mut names = Names::default();
        for id in ["svc-0000000000000000a", "svc-0000000000000000b"] {
            names.learn(&entry("CreateService", json!({"name": "twin"}), json!({"id": id})));
        }
        assert_eq!(names.name("svc-0000000000000000b"), "svc:twin#2");
    }
}
