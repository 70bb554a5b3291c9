//! Where a case's outcome is not one state but a choice: a route whose import accepts several
//! exported target groups takes the first in Lattice's list order, which follows the ids
//! Lattice drew; and a target group serves one Lattice service only, so of two routes whose
//! imports accept the same group, the one that reconciles first holds it while the other
//! keeps retrying (docs/differential.md, "Choices"). The differential compares such a
//! route's forwards by what may hold, not by equality.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::case::{Case, Op, SERVICES, route_name};
use super::objects::lattice_service;

/// The route of each cluster when the case's operations end: (import, from which cluster).
fn final_routes(case: &Case) -> BTreeMap<usize, (&'static str, Option<usize>)> {
    let mut routes = BTreeMap::new();
    for op in &case.ops {
        match op {
            Op::PutRoute { cluster, service, from, .. } => {
                routes.insert(*cluster, (SERVICES[*service], *from));
            }
            Op::DeleteRoute { cluster } => {
                routes.remove(cluster);
            }
            _ => {}
        }
    }
    routes
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

/// The Lattice services (by name) of the routes whose outcome is a choice in `states`, each
/// with the target groups its import accepts.
pub fn choices(case: &Case, states: &[&Value]) -> BTreeMap<String, BTreeSet<String>> {
    let groups: BTreeSet<String> =
        states.iter().flat_map(|s| s["targetGroups"].as_object().into_iter().flat_map(|m| m.keys().cloned())).collect();
    let accepted: BTreeMap<String, BTreeSet<String>> = final_routes(case)
        .into_iter()
        .map(|(cluster, (import, from))| {
            let accepts = groups
                .iter()
                .filter(|g| {
                    exported(g)
                        .is_some_and(|(c, s)| s == import && from.is_none_or(|f| c == super::case::cluster_name(f)))
                })
                .cloned()
                .collect();
            (lattice_service(&route_name(cluster), "default"), accepts)
        })
        .collect();
    accepted
        .iter()
        .filter(|(service, groups)| {
            groups.len() > 1 || accepted.iter().any(|(other, theirs)| other != *service && !theirs.is_disjoint(groups))
        })
        .map(|(s, g)| (s.clone(), g.clone()))
        .collect()
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

/// `state` without the custom rules (and their tags) of `services`.
pub fn without_choices(state: &Value, services: &BTreeMap<String, BTreeSet<String>>) -> Value {
    let mut out = state.clone();
    if let Some(rules) = out["rules"].as_object_mut() {
        rules.retain(|k, r| !is_custom_rule_of(k, Some(r), services));
    }
    if let Some(tags) = out["tags"].as_object_mut() {
        tags.retain(|k, _| !is_custom_rule_of(k, None, services));
    }
    out
}

/// What must hold of the choices in `state`: each of those services forwards only to groups
/// its import accepts, and no group is forwarded to by two services.
pub fn problems(state: &Value, services: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
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
                problems.push(format!("{service} forwards to {group}, which its import does not accept"));
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

    fn case(ops: Vec<Op>) -> Case {
        Case { seed: 0, vpcs: vec![0, 0, 0], faults: Faults::NONE, ops }
    }

    fn rule(service: &str, group: &str) -> Value {
        json!({"serviceId": format!("svc:{service}"), "isDefault": false,
               "action": {"forward": {"targetGroups": [{"targetGroupIdentifier": group, "weight": 1}]}}})
    }

    fn state(rules: &[(&str, Value)]) -> Value {
        json!({"targetGroups": {G1: {}, G2: {}},
               "rules": rules.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<serde_json::Map<_, _>>()})
    }

    #[test]
    fn routes_that_share_a_group_or_accept_two_are_choices() {
        let put = |cluster, from| Op::PutRoute { cluster, service: 0, from, weight: 1 };
        let s = state(&[]);
        // Only c1's group for each: they contend.
        let got = choices(&case(vec![put(0, Some(1)), put(2, Some(1))]), &[&s]);
        assert_eq!(got.keys().collect::<Vec<_>>(), ["route-c0-default", "route-c2-default"]);
        // One route, two candidates: list order decides.
        let got = choices(&case(vec![put(0, None)]), &[&s]);
        assert_eq!(got["route-c0-default"].len(), 2);
        // Two routes, one group each, apart: no choice.
        assert!(choices(&case(vec![put(0, Some(1)), put(1, Some(2))]), &[&s]).is_empty());
        // A deleted route makes none.
        assert!(choices(&case(vec![put(0, None), Op::DeleteRoute { cluster: 0 }]), &[&s]).is_empty());
    }

    #[test]
    fn a_choice_is_compared_by_what_must_hold() {
        let put = |cluster| Op::PutRoute { cluster, service: 0, from: Some(1), weight: 1 };
        let c = case(vec![put(0), put(2)]);
        let k0 = "rule:listener:svc:route-c0-default:80:HTTP:1";
        let k2 = "rule:listener:svc:route-c2-default:80:HTTP:1";
        let first = state(&[(k0, rule("route-c0-default", G1))]);
        let second = state(&[(k2, rule("route-c2-default", G1))]);
        let services = choices(&c, &[&first, &second]);
        assert_eq!(without_choices(&first, &services), without_choices(&second, &services));
        assert!(problems(&first, &services).is_empty());
        let both = state(&[(k0, rule("route-c0-default", G1)), (k2, rule("route-c2-default", G1))]);
        assert_eq!(problems(&both, &services).len(), 1, "one group, two services");
        let wrong = state(&[(k0, rule("route-c0-default", G2))]);
        assert!(problems(&wrong, &services)[0].contains("does not accept"));
    }
}
