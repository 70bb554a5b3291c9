//! Properties of `state` alone: random operation sequences against a small reference
//! model, with the invariants checked after every step; and the lifecycles on the virtual
//! clock.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::{Value, json};
use sim_core::{IdGenerator, SeededRng};
use sim_lattice::state::{Config, Ctx, Error, Lattice, Partition, forward_target_groups};

const VPC: &str = "vpc-0a1b2c3d4e5f60718";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-west-2";

#[derive(Clone, Debug)]
enum Op {
    CreateTargetGroup(u8),
    DeleteTargetGroup(u8),
    CreateService(u8),
    DeleteService(u8),
    CreateListener { service: u8, forward_to: Option<u8> },
    DeleteListener(u8),
    CreateRule { listener: u8, target_group: u8, priority: u8 },
    DeleteRule(u8),
    Associate { service: u8 },
    Disassociate(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4u8).prop_map(Op::CreateTargetGroup),
        (0..4u8).prop_map(Op::DeleteTargetGroup),
        (0..3u8).prop_map(Op::CreateService),
        (0..3u8).prop_map(Op::DeleteService),
        (0..3u8, proptest::option::of(0..4u8))
            .prop_map(|(service, forward_to)| Op::CreateListener { service, forward_to }),
        (0..6u8).prop_map(Op::DeleteListener),
        (0..6u8, 0..4u8, 1..4u8).prop_map(|(listener, target_group, priority)| Op::CreateRule {
            listener,
            target_group,
            priority
        }),
        (0..12u8).prop_map(Op::DeleteRule),
        (0..3u8).prop_map(|service| Op::Associate { service }),
        (0..3u8).prop_map(Op::Disassociate),
    ]
}

/// The reference model: just enough bookkeeping to predict success or failure.
#[derive(Default, Debug)]
struct Model {
    target_groups: BTreeMap<u8, String>,
    services: BTreeMap<u8, String>,
    /// listener id → (service slot, forward target-group slot)
    listeners: Vec<(String, u8, Option<u8>)>,
    /// listener id → (service slot, port)
    listener_ports: BTreeMap<String, (u8, i64)>,
    /// rule id → (listener id, service slot, target-group slot, priority)
    rules: Vec<(String, String, u8, u8, u8)>,
    /// association id → service slot
    associations: Vec<(String, u8)>,
    network: String,
}

impl Model {
    /// Which service slots forward to each target-group slot.
    fn users(&self) -> BTreeMap<u8, BTreeSet<u8>> {
        let mut users: BTreeMap<u8, BTreeSet<u8>> = BTreeMap::new();
        for (_, svc, tg) in &self.listeners {
            if let Some(tg) = tg {
                users.entry(*tg).or_default().insert(*svc);
            }
        }
        for (_, _, svc, tg, _) in &self.rules {
            users.entry(*tg).or_default().insert(*svc);
        }
        users
    }

    fn free_for(&self, tg: u8, svc: u8) -> bool {
        self.users().get(&tg).is_none_or(|u| u.iter().all(|s| *s == svc))
    }
}

struct Harness {
    lattice: Lattice,
    ctx: Ctx,
}

impl Harness {
    fn new(seed: u64) -> Self {
        Self {
            lattice: Lattice::new(Config::default(), IdGenerator::new(SeededRng::new(seed))),
            ctx: Ctx::new(ACCOUNT, REGION, 1_767_225_600_000),
        }
    }

    fn call(&mut self, op: &str, input: Value) -> Result<Value, Error> {
        self.ctx.now_ms += 1000;
        self.lattice.call(op, &input, &self.ctx)
    }

    fn part(&self) -> &Partition {
        self.lattice.partition(ACCOUNT, REGION).expect("a partition")
    }
}

fn is_conflict(r: &Result<Value, Error>) -> bool {
    matches!(r, Err(Error::Conflict { .. }))
}

fn forward(tg: &str) -> Value {
    json!({"forward": {"targetGroups": [{"targetGroupIdentifier": tg, "weight": 1}]}})
}

/// Applies one op to both the state and the model, checking the state's answer against
/// the model's prediction.
fn step(h: &mut Harness, m: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match op {
        Op::CreateTargetGroup(slot) => {
            let r = h.call(
                "CreateTargetGroup",
                json!({"name": format!("group-slot-{slot}"), "type": "IP",
                "config": {"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC}}),
            );
            if m.target_groups.contains_key(slot) {
                prop_assert!(is_conflict(&r), "duplicate name must conflict: {r:?}");
            } else {
                m.target_groups.insert(
                    *slot,
                    r.map_err(|e| TestCaseError::fail(e.to_string()))?["id"].as_str().unwrap_or_default().into(),
                );
            }
        }
        Op::DeleteTargetGroup(slot) => {
            let Some(id) = m.target_groups.get(slot).cloned() else { return Ok(()) };
            let r = h.call("DeleteTargetGroup", json!({"targetGroupIdentifier": id}));
            if m.users().contains_key(slot) {
                prop_assert!(is_conflict(&r), "a target group in use cannot be deleted: {r:?}");
            } else {
                prop_assert!(r.is_ok(), "{r:?}");
                m.target_groups.remove(slot);
            }
        }
        Op::CreateService(slot) => {
            let r = h.call("CreateService", json!({"name": format!("app-slot-{slot}")}));
            if m.services.contains_key(slot) {
                prop_assert!(is_conflict(&r), "{r:?}");
            } else {
                m.services.insert(
                    *slot,
                    r.map_err(|e| TestCaseError::fail(e.to_string()))?["id"].as_str().unwrap_or_default().into(),
                );
            }
        }
        Op::DeleteService(slot) => {
            let Some(id) = m.services.get(slot).cloned() else { return Ok(()) };
            let r = h.call("DeleteService", json!({"serviceIdentifier": id}));
            if m.associations.iter().any(|(_, s)| s == slot) {
                prop_assert!(is_conflict(&r), "an associated service cannot be deleted: {r:?}");
            } else {
                prop_assert!(r.is_ok(), "{r:?}");
                m.services.remove(slot);
                let gone: BTreeSet<String> = m.listeners.iter().filter(|l| l.1 == *slot).map(|l| l.0.clone()).collect();
                m.listeners.retain(|l| l.1 != *slot);
                m.listener_ports.retain(|_, (svc, _)| svc != slot);
                m.rules.retain(|r| !gone.contains(&r.1));
            }
        }
        Op::CreateListener { service, forward_to } => {
            let Some(svc) = m.services.get(service).cloned() else { return Ok(()) };
            let taken: BTreeSet<i64> =
                m.listener_ports.iter().filter(|(_, (svc, _))| svc == service).map(|(_, (_, p))| *p).collect();
            let port = (80..).find(|p| !taken.contains(p)).unwrap_or(80);
            let action = match forward_to.and_then(|tg| m.target_groups.get(&tg).map(|id| (tg, id.clone()))) {
                Some((_, id)) => forward(&id),
                None => json!({"fixedResponse": {"statusCode": 404}}),
            };
            let tg_slot = forward_to.filter(|tg| m.target_groups.contains_key(tg));
            let r = h.call(
                "CreateListener",
                json!({"serviceIdentifier": svc, "name": format!("l-{port}"), "protocol": "HTTP",
                "port": port, "defaultAction": action}),
            );
            let full = m.listeners.iter().filter(|l| l.1 == *service).count() >= 2;
            if full {
                prop_assert!(matches!(r, Err(Error::QuotaExceeded { .. })), "listener quota: {r:?}");
            } else if tg_slot.is_some_and(|tg| !m.free_for(tg, *service)) {
                prop_assert!(is_conflict(&r), "a target group serves one service: {r:?}");
            } else {
                let id =
                    r.map_err(|e| TestCaseError::fail(e.to_string()))?["id"].as_str().unwrap_or_default().to_string();
                m.listener_ports.insert(id.clone(), (*service, port));
                m.listeners.push((id, *service, tg_slot));
            }
        }
        Op::DeleteListener(i) => {
            let Some((id, svc, _)) = m.listeners.get(*i as usize).cloned() else { return Ok(()) };
            let r = h.call("DeleteListener", json!({"serviceIdentifier": m.services[&svc], "listenerIdentifier": id}));
            prop_assert!(r.is_ok(), "{r:?}");
            m.listeners.remove(*i as usize);
            m.listener_ports.remove(&id);
            m.rules.retain(|r| r.1 != id);
        }
        Op::CreateRule { listener, target_group, priority } => {
            let Some((l_id, svc, _)) = m.listeners.get(*listener as usize).cloned() else { return Ok(()) };
            let Some(tg_id) = m.target_groups.get(target_group).cloned() else { return Ok(()) };
            let name = format!("r-{}", m.rules.len() + usize::from(*priority) * 100);
            let r = h.call("CreateRule", json!({"serviceIdentifier": m.services[&svc], "listenerIdentifier": l_id, "name": name,
                "priority": priority, "match": {"httpMatch": {"pathMatch": {"match": {"prefix": "/"}}}}, "action": forward(&tg_id)}));
            let clash = m.rules.iter().any(|r| r.1 == l_id && (r.4 == *priority || r.0 == name));
            if clash || !m.free_for(*target_group, svc) {
                prop_assert!(is_conflict(&r), "{r:?}");
            } else {
                let id =
                    r.map_err(|e| TestCaseError::fail(e.to_string()))?["id"].as_str().unwrap_or_default().to_string();
                m.rules.push((id, l_id, svc, *target_group, *priority));
            }
        }
        Op::DeleteRule(i) => {
            let Some((id, l_id, svc, _, _)) = m.rules.get(*i as usize).cloned() else { return Ok(()) };
            let r = h.call(
                "DeleteRule",
                json!({"serviceIdentifier": m.services[&svc], "listenerIdentifier": l_id, "ruleIdentifier": id}),
            );
            prop_assert!(r.is_ok(), "{r:?}");
            m.rules.remove(*i as usize);
        }
        Op::Associate { service } => {
            let Some(svc) = m.services.get(service).cloned() else { return Ok(()) };
            let r = h.call(
                "CreateServiceNetworkServiceAssociation",
                json!({"serviceIdentifier": svc, "serviceNetworkIdentifier": m.network}),
            );
            if m.associations.iter().any(|(_, s)| s == service) {
                prop_assert!(is_conflict(&r), "{r:?}");
            } else {
                let id =
                    r.map_err(|e| TestCaseError::fail(e.to_string()))?["id"].as_str().unwrap_or_default().to_string();
                m.associations.push((id, *service));
            }
        }
        Op::Disassociate(i) => {
            let Some((id, _)) = m.associations.get(*i as usize).cloned() else { return Ok(()) };
            let r = h.call(
                "DeleteServiceNetworkServiceAssociation",
                json!({"serviceNetworkServiceAssociationIdentifier": id}),
            );
            prop_assert!(r.is_ok(), "{r:?}");
            m.associations.remove(*i as usize);
        }
    }
    Ok(())
}

/// What must hold of the state after any sequence of calls.
fn invariants(h: &mut Harness, m: &Model) -> Result<(), TestCaseError> {
    let part = h.part();
    for l in part.listeners.values() {
        prop_assert!(part.services.contains_key(&l.service_id), "listener {} of a missing service", l.common.id);
        prop_assert!(part.rules.contains_key(&l.default_rule_id), "listener {} lost its default rule", l.common.id);
    }
    for r in part.rules.values() {
        prop_assert!(part.listeners.contains_key(&r.listener_id), "rule {} of a missing listener", r.common.id);
        for tg in r.action.iter().flat_map(forward_target_groups) {
            prop_assert!(part.target_groups.contains_key(&tg), "rule {} forwards to missing {tg}", r.common.id);
        }
    }
    for (tg, services) in part.forwards() {
        prop_assert!(services.len() == 1, "{tg} serves {services:?}");
    }
    let names: Vec<&String> = part.target_groups.values().map(|t| &t.name).collect();
    prop_assert_eq!(names.len(), names.iter().collect::<BTreeSet<_>>().len(), "target-group names are unique");
    let names: Vec<&String> = part.services.values().map(|s| &s.name).collect();
    prop_assert_eq!(names.len(), names.iter().collect::<BTreeSet<_>>().len(), "service names are unique");
    for a in part.service_network_service_associations.values() {
        prop_assert!(part.services.contains_key(&a.service_id), "association {} of a missing service", a.common.id);
    }
    prop_assert!(part.tags.keys().all(|arn| arn.starts_with("arn:aws:vpc-lattice:")), "tags only on live ARNs");
    // The model and the state agree on what exists and on `serviceArns`.
    prop_assert_eq!(part.target_groups.len(), m.target_groups.len());
    prop_assert_eq!(part.services.len(), m.services.len());
    prop_assert_eq!(part.rules.values().filter(|r| !r.is_default).count(), m.rules.len());
    for (slot, tg_id) in &m.target_groups {
        let want: Vec<String> = m
            .users()
            .get(slot)
            .into_iter()
            .flatten()
            .map(|svc| part.services[&m.services[svc]].common.arn.clone())
            .collect();
        prop_assert_eq!(part.service_arns_of(tg_id), want, "serviceArns of {}", tg_id);
    }
    Ok(())
}

fn case_count() -> u32 {
    sim_core::proptest_cases(128)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: case_count(), ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..60)) {
        let mut h = Harness::new(seed);
        let network = h.call("CreateServiceNetwork", json!({"name": "mesh"})).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut m = Model { network: network["id"].as_str().unwrap_or_default().to_string(), ..Model::default() };
        for op in &ops {
            step(&mut h, &mut m, op)?;
            invariants(&mut h, &m)?;
        }
    }
}

#[test]
fn creations_and_deletions_take_the_configured_time() {
    let mut config = Config::default();
    config.lifecycle.create_delay_ms = 5_000;
    config.lifecycle.delete_delay_ms = 3_000;
    let mut lattice = Lattice::new(config, IdGenerator::new(SeededRng::new(1)));
    let mut ctx = Ctx::new(ACCOUNT, REGION, 1_000_000);
    let call = |lattice: &mut Lattice, ctx: &Ctx, op: &str, input: Value| lattice.call(op, &input, ctx);

    let tg = call(
        &mut lattice,
        &ctx,
        "CreateTargetGroup",
        json!({"name": "web", "type": "IP",
        "config": {"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC}}),
    )
    .unwrap();
    assert_eq!(tg["status"], "CREATE_IN_PROGRESS");
    let id = tg["id"].as_str().unwrap().to_string();
    // AWS refuses to delete a target group whose creation is in progress.
    let refused = call(&mut lattice, &ctx, "DeleteTargetGroup", json!({"targetGroupIdentifier": id}));
    assert!(
        matches!(refused, Err(Error::Conflict { ref message, .. }) if message.contains("CREATE_IN_PROGRESS")),
        "{refused:?}"
    );
    ctx.now_ms += 4_999;
    assert_eq!(
        call(&mut lattice, &ctx, "GetTargetGroup", json!({"targetGroupIdentifier": id})).unwrap()["status"],
        "CREATE_IN_PROGRESS"
    );
    ctx.now_ms += 1;
    assert_eq!(
        call(&mut lattice, &ctx, "GetTargetGroup", json!({"targetGroupIdentifier": id})).unwrap()["status"],
        "ACTIVE"
    );
    let deleting = call(&mut lattice, &ctx, "DeleteTargetGroup", json!({"targetGroupIdentifier": id})).unwrap();
    assert_eq!(deleting["status"], "DELETE_IN_PROGRESS");
    ctx.now_ms += 2_999;
    assert_eq!(
        call(&mut lattice, &ctx, "GetTargetGroup", json!({"targetGroupIdentifier": id})).unwrap()["status"],
        "DELETE_IN_PROGRESS"
    );
    ctx.now_ms += 1;
    let gone = call(&mut lattice, &ctx, "GetTargetGroup", json!({"targetGroupIdentifier": id}));
    assert!(matches!(gone, Err(Error::NotFound { .. })), "{gone:?}");

    // A service network association in progress cannot be deleted, and a second create
    // names CREATE_IN_PROGRESS (the controller retries on that message: controller.md §4.3).
    let sn = call(&mut lattice, &ctx, "CreateServiceNetwork", json!({"name": "mesh"})).unwrap();
    let svc = call(&mut lattice, &ctx, "CreateService", json!({"name": "store"})).unwrap();
    ctx.now_ms += 5_000;
    let input = json!({"serviceIdentifier": svc["id"], "serviceNetworkIdentifier": sn["id"]});
    let snsa = call(&mut lattice, &ctx, "CreateServiceNetworkServiceAssociation", input.clone()).unwrap();
    assert_eq!(snsa["status"], "CREATE_IN_PROGRESS");
    let again = call(&mut lattice, &ctx, "CreateServiceNetworkServiceAssociation", input);
    assert!(
        matches!(again, Err(Error::Conflict { ref message, .. }) if message.contains("CREATE_IN_PROGRESS")),
        "{again:?}"
    );
    let early = call(
        &mut lattice,
        &ctx,
        "DeleteServiceNetworkServiceAssociation",
        json!({"serviceNetworkServiceAssociationIdentifier": snsa["id"]}),
    );
    assert!(matches!(early, Err(Error::Conflict { .. })), "{early:?}");
}

#[test]
fn target_health_progresses_with_use_and_time() {
    let mut config = Config::default();
    config.target_health.initial_ms = Some(10_000);
    config.target_health.draining_ms = 60_000;
    config.target_health.unhealthy_ids = vec!["10.0.0.9".into()];
    let mut lattice = Lattice::new(config, IdGenerator::new(SeededRng::new(1)));
    let mut ctx = Ctx::new(ACCOUNT, REGION, 1_000_000);
    let mut call = |ctx: &Ctx, op: &str, input: Value| lattice.call(op, &input, ctx).unwrap();
    let status = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| format!("{}={}", t["id"].as_str().unwrap(), t["status"].as_str().unwrap()))
            .collect()
    };
    let tg = call(
        &ctx,
        "CreateTargetGroup",
        json!({"name": "web", "type": "IP", "config": {"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC}}),
    );
    let tg_id = tg["id"].as_str().unwrap().to_string();
    call(
        &ctx,
        "RegisterTargets",
        json!({"targetGroupIdentifier": tg_id, "targets": [{"id": "10.0.0.1"}, {"id": "10.0.0.9"}]}),
    );
    let list = json!({"targetGroupIdentifier": tg_id});
    assert_eq!(status(&call(&ctx, "ListTargets", list.clone())), ["10.0.0.1=UNUSED", "10.0.0.9=UNUSED"]);
    let svc = call(&ctx, "CreateService", json!({"name": "store"}));
    call(
        &ctx,
        "CreateListener",
        json!({"serviceIdentifier": svc["id"], "name": "http", "protocol": "HTTP", "defaultAction": forward(&tg_id)}),
    );
    assert_eq!(status(&call(&ctx, "ListTargets", list.clone())), ["10.0.0.1=INITIAL", "10.0.0.9=INITIAL"]);
    ctx.now_ms += 10_000;
    assert_eq!(status(&call(&ctx, "ListTargets", list.clone())), ["10.0.0.1=HEALTHY", "10.0.0.9=UNHEALTHY"]);
    call(&ctx, "DeregisterTargets", json!({"targetGroupIdentifier": tg_id, "targets": [{"id": "10.0.0.9"}]}));
    assert_eq!(status(&call(&ctx, "ListTargets", list.clone())), ["10.0.0.1=HEALTHY", "10.0.0.9=DRAINING"]);
    ctx.now_ms += 60_000;
    assert_eq!(status(&call(&ctx, "ListTargets", list.clone())), ["10.0.0.1=HEALTHY"]);
    call(&ctx, "UpdateTargetGroup", json!({"targetGroupIdentifier": tg_id, "healthCheck": {"enabled": false}}));
    assert_eq!(status(&call(&ctx, "ListTargets", list)), ["10.0.0.1=UNAVAILABLE"]);
}

#[test]
fn lists_page_in_a_stable_order_with_opaque_tokens() {
    let mut lattice = Lattice::new(Config::default(), IdGenerator::new(SeededRng::new(3)));
    let ctx = Ctx::new(ACCOUNT, REGION, 1_000_000);
    for i in 0..7 {
        lattice.call("CreateService", &json!({"name": format!("app-{i}")}), &ctx).unwrap();
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({"maxResults": 3});
        if let Some(t) = &token {
            input["nextToken"] = json!(t);
        }
        let page = lattice.call("ListServices", &input, &ctx).unwrap();
        seen.extend(page["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()));
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 7);
    let bad = lattice.call("ListServices", &json!({"nextToken": "not-a-token"}), &ctx);
    assert!(matches!(bad, Err(Error::Validation { ref fields, .. }) if fields[0].name == "nextToken"), "{bad:?}");
}
