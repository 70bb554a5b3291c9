//! Where a case's outcome is not one state but a choice that timing or Lattice's ids make
//! (docs/differential.md, "Choices"):
//!
//! - a route whose import accepts several exported target groups takes the first in Lattice's
//!   list order, the order of the ids Lattice drew;
//! - a target group serves one Lattice service only: of two routes that accept it, the one
//!   that reconciles first holds it, and the other keeps retrying with the rule it had;
//! - a route whose import stops resolving keeps the rule it had, so what an earlier spec of
//!   the route reached before the change decides its rule;
//! - a route that reconciles before its new or changed ServiceImport reaches the controller's
//!   cache resolves the backendRef by name, from any cluster, and keeps that rule if the
//!   import, once seen, resolves to nothing;
//! - an export whose Service is gone has a target group only if its controller saw the
//!   Service while it was there;
//! - the deletion of an export waits while a rule forwards to its group, so whether the group
//!   is still there depends on whether a route that accepts it got to it first.
//!
//! The differential sets the custom rules of such routes and such optional target groups
//! apart, compares the rest for equality, and holds the set-apart rules to what must hold.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::case::{Case, Op, SERVICES, cluster_name, route_name};
use super::objects::lattice_service;

/// What a case sets apart in a pair of states.
#[derive(Debug, Default, PartialEq)]
pub struct Choices {
    /// Lattice service (by name) → every target group one of its route's specs, since the
    /// route was last deleted, accepts.
    pub routes: BTreeMap<String, BTreeSet<String>>,
    /// Target groups (canonical ids) that may or may not exist.
    pub groups: BTreeSet<String>,
}

impl Choices {
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.groups.is_empty()
    }
}

/// An exported target group of a canonical state by its canonical id
/// (`tg:<cluster>/<namespace>/<service>/ServiceExport/…`): its cluster and service.
fn exported(id: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = id.strip_prefix("tg:")?.split('/').collect();
    match parts.as_slice() {
        [cluster, "default", service, "ServiceExport", ..] => Some((cluster, service)),
        _ => None,
    }
}

/// What the case's operations leave: each cluster's route specs since its last deletion
/// (import, from which cluster), and the (cluster, service) pairs with a Service and with an
/// export.
/// One spec of a route: its import, from which cluster, and whether the operation made the
/// import new or changed it.
type Spec = (&'static str, Option<usize>, bool);

struct Ending {
    /// Per cluster, its route's specs.
    routes: BTreeMap<usize, Vec<Spec>>,
    services: BTreeSet<(String, &'static str)>,
    exports: BTreeSet<(String, &'static str)>,
}

fn ending(case: &Case) -> Ending {
    let mut end = Ending { routes: BTreeMap::new(), services: BTreeSet::new(), exports: BTreeSet::new() };
    let mut imports: BTreeMap<(usize, usize), Option<usize>> = BTreeMap::new();
    for op in &case.ops {
        match op {
            Op::PutRoute { cluster, service, from, .. } => {
                let changed = imports.insert((*cluster, *service), *from) != Some(*from);
                end.routes.entry(*cluster).or_default().push((SERVICES[*service], *from, changed));
            }
            Op::DeleteRoute { cluster } => {
                end.routes.remove(cluster);
            }
            Op::PutService { cluster, service, .. } => {
                end.services.insert((cluster_name(*cluster), SERVICES[*service]));
            }
            Op::DeleteService { cluster, service } => {
                end.services.remove(&(cluster_name(*cluster), SERVICES[*service]));
            }
            Op::PutExport { cluster, service } => {
                end.exports.insert((cluster_name(*cluster), SERVICES[*service]));
            }
            Op::DeleteExport { cluster, service } => {
                end.exports.remove(&(cluster_name(*cluster), SERVICES[*service]));
            }
            Op::DropWatches { .. } | Op::Pass { .. } => {}
        }
    }
    end
}

/// The choices of `case` in `states`.
pub fn choices(case: &Case, states: &[&Value]) -> Choices {
    let end = ending(case);
    let groups: BTreeSet<String> = states
        .iter()
        .flat_map(|s| s["targetGroups"].as_object().into_iter().flat_map(|m| m.keys().cloned()))
        .filter(|g| exported(g).is_some())
        .collect();
    let accepts = |import: &str, from: Option<usize>| -> BTreeSet<String> {
        groups
            .iter()
            .filter(|g| exported(g).is_some_and(|(c, s)| s == import && from.is_none_or(|f| c == cluster_name(f))))
            .cloned()
            .collect()
    };
    // Per route: what its last spec accepts, and what any of its specs does.
    let mut last: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut any: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (cluster, specs) in &end.routes {
        let service = lattice_service(&route_name(*cluster), "default");
        let (import, from, _) = specs[specs.len() - 1];
        last.insert(service.clone(), accepts(import, from));
        // A route may reconcile before its new or changed ServiceImport reaches the
        // controller's cache: it then takes the backendRef by name, from any cluster.
        let possible = specs.iter().flat_map(|(i, f, changed)| {
            let missed = if *changed { accepts(i, None) } else { BTreeSet::new() };
            accepts(i, *f).into_iter().chain(missed)
        });
        any.insert(service, possible.collect());
    }
    let accepted_by_some_route: BTreeSet<&String> = any.values().flatten().collect();
    let optional: BTreeSet<String> = groups
        .iter()
        .filter(|g| {
            let Some((cluster, service)) = exported(g) else { return false };
            let key = (cluster.to_string(), SERVICES.into_iter().find(|s| *s == service).unwrap_or_default());
            let exported_now = end.exports.contains(&key);
            (exported_now && !end.services.contains(&key)) || (!exported_now && accepted_by_some_route.contains(g))
        })
        .cloned()
        .collect();
    let routes = any
        .iter()
        .filter(|(service, possible)| {
            possible.len() > 1
                || *possible != &last[*service]
                || !possible.is_disjoint(&optional)
                || any.iter().any(|(other, theirs)| other != *service && !theirs.is_disjoint(possible))
        })
        .map(|(s, g)| (s.clone(), g.clone()))
        .collect();
    Choices { routes, groups: optional }
}

/// Whether a member of `rules` or `tags` is a custom rule of one of `services`.
fn is_custom_rule_of(key: &str, rule: Option<&Value>, services: &BTreeMap<String, BTreeSet<String>>) -> bool {
    services.keys().any(|s| {
        let listener = format!("rule:listener:svc:{s}:");
        let Some(at) = key.find(&listener) else { return false };
        let is_default = rule.map_or_else(|| key[at..].ends_with(":default"), |r| r["isDefault"] == true);
        !is_default
    })
}

/// Whether a tag key (an ARN) is that of one of `groups`.
fn is_group_of(key: &str, groups: &BTreeSet<String>) -> bool {
    key.rsplit_once(":targetgroup/").is_some_and(|(_, id)| groups.contains(id))
}

/// `state` without the custom rules of the choices' routes and without their optional target
/// groups (tags too).
pub fn without_choices(state: &Value, choices: &Choices) -> Value {
    let mut out = state.clone();
    // `get_mut`, not indexing: indexing a missing member would add it as `null`.
    if let Some(rules) = out.get_mut("rules").and_then(Value::as_object_mut) {
        rules.retain(|k, r| !is_custom_rule_of(k, Some(r), &choices.routes));
    }
    if let Some(groups) = out.get_mut("targetGroups").and_then(Value::as_object_mut) {
        groups.retain(|k, _| !choices.groups.contains(k));
    }
    if let Some(tags) = out.get_mut("tags").and_then(Value::as_object_mut) {
        tags.retain(|k, _| !is_custom_rule_of(k, None, &choices.routes) && !is_group_of(k, &choices.groups));
    }
    // A canonical state leaves out the kinds it has none of.
    if let Some(kinds) = out.as_object_mut() {
        kinds.retain(|_, resources| resources.as_object().is_none_or(|m| !m.is_empty()));
    }
    out
}

/// What must hold of the choices in `state`: each of those services forwards only to groups
/// one of its route's specs accepts, and no group is forwarded to by two services.
pub fn problems(state: &Value, choices: &Choices) -> Vec<String> {
    let services = &choices.routes;
    let mut problems = Vec::new();
    let mut holders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rule in state["rules"].as_object().into_iter().flat_map(|m| m.values()) {
        let service = rule["serviceId"].as_str().unwrap_or_default().trim_start_matches("svc:").to_string();
        let targets = rule["action"]["forward"]["targetGroups"].as_array().cloned().unwrap_or_default();
        for t in targets {
            let group = t["targetGroupIdentifier"].as_str().unwrap_or_default().to_string();
            if let Some(accepts) = services.get(&service)
                && !accepts.contains(&group)
            {
                problems.push(format!("{service} forwards to {group}, which no spec of its route accepts"));
            }
            holders.entry(group).or_default().insert(service.clone());
        }
    }
    for (group, by) in holders.iter().filter(|(_, by)| by.len() > 1) {
        problems.push(format!("{group} serves {} services: {by:?}", by.len()));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Faults;
    use serde_json::json;

    const G1: &str = "tg:c1/default/svc-0/ServiceExport/80/HTTP/HTTP1";
    const G2: &str = "tg:c2/default/svc-0/ServiceExport/80/HTTP/HTTP1";

    /// A case whose clusters c1 and c2 export `svc-0` with its Service, then `ops`.
    fn case(ops: Vec<Op>) -> Case {
        let mut all = Vec::new();
        for cluster in [1, 2] {
            all.push(Op::PutService { cluster, service: 0, endpoints: vec![1] });
            all.push(Op::PutExport { cluster, service: 0 });
        }
        all.extend(ops);
        Case { seed: 0, vpcs: vec![0, 0, 0], faults: Faults::NONE, ops: all }
    }

    fn put(cluster: usize, from: Option<usize>) -> Op {
        Op::PutRoute { cluster, service: 0, from, weight: 1 }
    }

    fn rule(service: &str, group: &str) -> Value {
        json!({"serviceId": format!("svc:{service}"), "isDefault": false,
               "action": {"forward": {"targetGroups": [{"targetGroupIdentifier": group, "weight": 1}]}}})
    }

    fn state(rules: &[(&str, Value)]) -> Value {
        json!({"targetGroups": {G1: {}, G2: {}},
               "rules": rules.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<serde_json::Map<_, _>>()})
    }

    fn routes(c: &Choices) -> Vec<&str> {
        c.routes.keys().map(String::as_str).collect()
    }

    #[test]
    fn routes_that_share_a_group_or_accept_two_are_choices() {
        let s = state(&[]);
        // Only c1's group for each: they contend.
        let got = choices(&case(vec![put(0, Some(1)), put(2, Some(1))]), &[&s]);
        assert_eq!(routes(&got), ["route-c0-default", "route-c2-default"]);
        // One route, two candidates: list order decides.
        let got = choices(&case(vec![put(0, None)]), &[&s]);
        assert_eq!(got.routes["route-c0-default"].len(), 2);
        // With c1's group alone, a route that can take only it and one that takes nothing: no choice.
        let one = json!({"targetGroups": {G1: {}}});
        let elsewhere = Op::PutRoute { cluster: 1, service: 1, from: None, weight: 1 };
        assert!(choices(&case(vec![put(0, Some(1)), elsewhere]), &[&one]).is_empty());
        // A deleted route makes none.
        assert!(choices(&case(vec![put(0, None), Op::DeleteRoute { cluster: 0 }]), &[&s]).is_empty());
    }

    #[test]
    fn a_route_whose_import_stopped_resolving_may_keep_its_earlier_rule() {
        let s = state(&[]);
        let changed = Op::PutRoute { cluster: 0, service: 1, from: None, weight: 2 };
        let one = json!({"targetGroups": {G1: {}}});
        let got = choices(&case(vec![put(0, Some(1)), changed.clone()]), &[&one]);
        assert_eq!(got.routes["route-c0-default"], BTreeSet::from([G1.to_string()]));
        // One spec only, resolving to one group: nothing to choose.
        assert!(choices(&case(vec![changed]), &[&s]).is_empty());
        // A new import from a cluster with no group: before the controller sees the import, the
        // route may take either group by name.
        let from_nowhere = Op::PutRoute { cluster: 0, service: 0, from: Some(0), weight: 2 };
        let got = choices(&case(vec![from_nowhere.clone()]), &[&s]);
        assert_eq!(got.routes["route-c0-default"].len(), 2);
    }

    #[test]
    fn groups_that_may_or_may_not_be_there_are_optional() {
        let s = state(&[]);
        // c1's Service is gone while its export stays: its group exists only if it was seen.
        let gone = Op::DeleteService { cluster: 1, service: 0 };
        assert_eq!(choices(&case(vec![gone]), &[&s]).groups, BTreeSet::from([G1.to_string()]));
        // c2's export is deleted while a route accepts its group: the deletion may wait.
        let deleted = Op::DeleteExport { cluster: 2, service: 0 };
        let got = choices(&case(vec![put(0, Some(2)), deleted.clone()]), &[&s]);
        assert_eq!(got.groups, BTreeSet::from([G2.to_string()]));
        assert_eq!(routes(&got), ["route-c0-default"]);
        // Deleted with no route that wants it: it must be gone.
        assert!(choices(&case(vec![deleted]), &[&s]).groups.is_empty());
        let mut with_tags = s.clone();
        with_tags["tags"] = json!({format!("arn:aws:vpc-lattice:us-west-2:1:targetgroup/{G1}"): {}});
        let without =
            without_choices(&with_tags, &Choices { groups: BTreeSet::from([G1.to_string()]), ..Choices::default() });
        assert_eq!(without["targetGroups"], json!({G2: {}}));
        assert!(without.get("tags").is_none(), "a kind left empty is left out: {without}");
    }

    #[test]
    fn a_choice_is_compared_by_what_must_hold() {
        let c = case(vec![put(0, Some(1)), put(2, Some(1))]);
        let k0 = "rule:listener:svc:route-c0-default:80:HTTP:1";
        let k2 = "rule:listener:svc:route-c2-default:80:HTTP:1";
        let first = state(&[(k0, rule("route-c0-default", G1))]);
        let second = state(&[(k2, rule("route-c2-default", G1))]);
        let found = choices(&c, &[&first, &second]);
        assert_eq!(without_choices(&first, &found), without_choices(&second, &found));
        assert!(problems(&first, &found).is_empty());
        let both = state(&[(k0, rule("route-c0-default", G1)), (k2, rule("route-c2-default", G1))]);
        assert_eq!(problems(&both, &found).len(), 1, "one group, two services");
        let wrong = state(&[(k0, rule("route-c0-default", "tg:c1/default/svc-1/ServiceExport/80/HTTP/HTTP1"))]);
        assert!(problems(&wrong, &found)[0].contains("no spec of its route accepts"));
    }
}
