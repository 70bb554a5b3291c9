//! Metamorphic properties of the whole world: a ServiceImport backendRef's port never changes
//! the Lattice state (E-I5); the order in which unrelated objects arrive never changes the
//! outcome; applying the same manifests again makes no Lattice writes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use latticelab::world::World;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::oracle::{self, AN};
use super::support::{self, cases, run};

const CLUSTERS: [&str; 3] = ["c0", "c1", "c2"];

/// Exports of `svc-a` from some clusters, an importing route in one cluster, and objects that
/// have nothing to do with either.
#[derive(Clone, Debug)]
struct Topology {
    seed: u64,
    vpcs: Vec<usize>,
    /// Per exporting cluster, its endpoint addresses.
    exporters: BTreeMap<usize, Vec<u8>>,
    importer: usize,
    /// The importer's `aws-eks-cluster-name` filter: an index into the exporters, or none.
    filter: Option<usize>,
    weight: i32,
    unrelated: usize,
}

fn topology() -> impl Strategy<Value = Topology> {
    (
        any::<u64>(),
        prop::collection::vec(0..2usize, 3),
        prop::collection::btree_map(0..3usize, prop::collection::vec(1..20u8, 0..3), 1..=3),
        0..3usize,
        proptest::option::of(0..3usize),
        0..100i32,
        0..3usize,
    )
        .prop_map(|(seed, vpcs, exporters, importer, filter, weight, unrelated)| Topology {
            seed,
            vpcs,
            exporters,
            importer,
            filter,
            weight,
            unrelated,
        })
}

impl Topology {
    fn clusters(&self) -> Vec<(String, usize)> {
        CLUSTERS.iter().zip(&self.vpcs).map(|(c, v)| (c.to_string(), *v)).collect()
    }

    fn filter_cluster(&self) -> Option<&'static str> {
        let exporters: Vec<&usize> = self.exporters.keys().collect();
        self.filter.map(|i| CLUSTERS[*exporters[i % exporters.len()]])
    }

    /// Every object, `(cluster, object)`, in the canonical order: exports, then the import.
    fn objects(&self, backend_port: i32) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        for (c, addresses) in &self.exporters {
            let cluster = CLUSTERS[*c];
            let addresses = addresses.iter().map(|a| format!("10.{c}.0.{a}"));
            out.extend(support::http_service("default", "svc-a", addresses).map(|o| (cluster, o)));
            out.push((cluster, support::export("default", "svc-a", None, &[])));
        }
        let importer = CLUSTERS[self.importer];
        let annotations: BTreeMap<String, String> =
            self.filter_cluster().map(|c| (format!("{AN}aws-eks-cluster-name"), c.to_string())).into_iter().collect();
        out.push((importer, support::import("default", "svc-a", &annotations)));
        out.push((importer, support::import_route("default", "importer", "svc-a", backend_port, self.weight)));
        for i in 0..self.unrelated {
            let cluster = CLUSTERS[i % 3];
            out.push((
                cluster,
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("unrelated-{i}"), "namespace": "default"},
                       "data": {"k": "v"}}),
            ));
            let port = oracle::ServicePort { name: "http".into(), port: 80, target: oracle::TargetPort::Number(80) };
            out.push((cluster, support::service("default", &format!("unrelated-{i}"), &[port])));
        }
        out
    }
}

async fn start(t: &Topology, profile: &str) -> World {
    support::world(&t.clusters(), t.seed, profile).await
}

async fn apply_all(world: &World, objects: &[(&str, Value)], manager: &str) {
    for (cluster, o) in objects {
        world.apply_as(cluster, &o.to_string(), manager).await.unwrap_or_else(|e| panic!("{cluster}: {e:#}"));
    }
}

/// The outcome in terms that do not depend on ids: each export's target groups
/// (cluster, port, targets) and the importing route's forwards (cluster, VPC, port, weight).
type Outcome = (BTreeSet<(String, i64, BTreeSet<(String, i64)>)>, Vec<(String, String, i64, i64)>);

async fn outcome(world: &World) -> Outcome {
    let seen = support::Seen::of(world).await;
    let exports = seen
        .groups()
        .into_iter()
        .filter(|g| g.tags.get(&format!("{AN}SourceTypeKey")).map(String::as_str) == Some("ServiceExport"))
        .map(|g| (g.cluster, g.port, g.targets.into_iter().collect()))
        .collect();
    let forwards = seen
        .forwards(&support::lattice_service("importer", "default"))
        .into_iter()
        .map(|(g, w)| (g.cluster, g.vpc, g.port, w))
        .collect();
    (exports, forwards)
}

/// Waits until every export has its target group and the route forwards somewhere, then a
/// quiet period: a route reconciled before its ServiceImport arrived already forwards by name
/// (E-I2) while its retry with the import's filters is still pending (§3.5 back-off).
async fn settle(world: &World, t: &Topology) -> Result<(), TestCaseError> {
    let exports = t.exporters.len();
    world
        .eventually(Duration::from_secs(600), || async {
            let (groups, forwards) = outcome(world).await;
            if groups.len() == exports && !forwards.is_empty() {
                Ok(())
            } else {
                Err(format!("{} of {exports} exports, forwards {forwards:?}", groups.len()))
            }
        })
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    support::pass(120).await;
    Ok(())
}

async fn route_rv(world: &World, cluster: &str) -> Option<Value> {
    let route = world.get(cluster, "gateway.networking.k8s.io/v1", "HTTPRoute", Some("default"), "importer").await;
    route.ok().flatten().map(|r| r["metadata"]["resourceVersion"].clone())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(8), ..ProptestConfig::default() })]

    /// E-I5: two worlds with the same seed whose importing backendRefs differ only in `port`
    /// end with the same Lattice state, byte for byte.
    #[test]
    fn the_backend_ref_port_never_changes_lattice(t in topology(), ports in (1..65536i32, 1..65536i32)) {
        let state = |port: i32| {
            let t = t.clone();
            run(async move {
                let world = start(&t, "v2.1.3").await;
                apply_all(&world, &t.objects(port), "latticelab").await;
                settle(&world, &t).await?;
                // Compare at one virtual instant, well after both have settled.
                tokio::time::sleep_until(tokio::time::Instant::now() + Duration::from_secs(120)).await;
                Ok::<_, TestCaseError>(world.lattice_state())
            })
        };
        let (a, b) = (state(ports.0)?, state(ports.1)?);
        prop_assert!(a == b, "port {} and port {} leave different Lattice states", ports.0, ports.1);
    }

    /// Any order of arrival, across clusters, gives the same outcome when the import names
    /// one exporting cluster (with several candidates and no filter, the first target group
    /// in list order wins by design, E-I3). Profile `fixed`: under v2.1.3 a ServiceImport that
    /// arrives after its route never reaches it (H-9, its own scenario), which is exactly an
    /// order dependence.
    #[test]
    fn arrival_order_never_changes_the_outcome(t in topology(), order in any::<prop::sample::Index>(), shuffle_seed in any::<u64>()) {
        let mut t = t;
        t.filter = Some(order.index(t.exporters.len()));
        let canonical = t.objects(80);
        let mut shuffled = canonical.clone();
        // A seeded Fisher–Yates shuffle, so that a failing order is reproducible.
        let mut x = shuffle_seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let outcome_of = |objects: Vec<(&'static str, Value)>| {
            let t = t.clone();
            run(async move {
                let world = start(&t, "fixed").await;
                apply_all(&world, &objects, "latticelab").await;
                settle(&world, &t).await?;
                Ok::<_, TestCaseError>(outcome(&world).await)
            })
        };
        let (a, b) = (outcome_of(canonical)?, outcome_of(shuffled)?);
        prop_assert_eq!(a, b);
    }

    /// Applying the same manifests a second time changes nothing in Lattice. By the same field
    /// manager it is a no-op on the server, so no controller hears of it and Lattice sees no
    /// write at all. By another field manager every object's managedFields change, so every
    /// controller reconciles again: still nothing is created, updated, tagged or removed, and
    /// the Lattice state stays the same. The only writes are RegisterTargets of targets that
    /// are already registered — the real controller re-registers all desired targets on every
    /// reconcile (controller.md §2.6, targets sync step 3).
    #[test]
    fn applying_twice_changes_nothing_in_lattice(t in topology()) {
        run(async move {
            let world = start(&t, "v2.1.3").await;
            let objects = t.objects(80);
            apply_all(&world, &objects, "latticelab").await;
            settle(&world, &t).await?;
            let importer = CLUSTERS[t.importer];
            let (writes, state, rv) = (support::lattice_writes(&world), world.lattice_state(), route_rv(&world, importer).await);

            apply_all(&world, &objects, "latticelab").await;
            support::pass(120).await;
            prop_assert_eq!(route_rv(&world, importer).await, rv.clone(), "the same manager's apply was not a no-op");
            prop_assert_eq!(support::lattice_writes(&world), writes, "Lattice writes after a no-op apply");

            apply_all(&world, &objects, "someone-else").await;
            prop_assert_ne!(route_rv(&world, importer).await, rv, "the second manager's apply changed nothing on the server");
            support::pass(120).await;
            let changes: Vec<String> = support::lattice_write_calls(&world)
                .into_iter()
                .skip(writes as usize)
                .filter(|op| op != "RegisterTargets")
                .collect();
            prop_assert!(changes.is_empty(), "Lattice changes after the same manifests came again: {:?}", changes);
            prop_assert!(world.lattice_state() == state, "the Lattice state changed");
            Ok(())
        })?;
    }
}
