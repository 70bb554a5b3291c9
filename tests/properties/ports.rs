//! The `port` annotation and target resolution (controller.md §2.4): for any Service, any
//! EndpointSlices and any annotation text, the targets and target-group ports equal the
//! oracle's — through the pure builder for many cases, through the whole world for fewer, in
//! legacy and in exportedPorts mode.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use proptest::prelude::*;
use sim_controller::model::targets;

use super::oracle::{self, Endpoint, ServicePort, Slice, SlicePort, TargetPort};
use super::support::{self, cases, run};

const PORT_NUMBERS: [i32; 5] = [80, 81, 443, 8080, 9090];
const PORT_NAMES: [&str; 3] = ["http", "grpc", "metrics"];
const ADDRESSES: [&str; 5] = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"];

/// Service ports as the API server accepts them: unique numbers; with more than one port,
/// unique names; numeric or named targetPorts.
fn service_ports() -> impl Strategy<Value = Vec<ServicePort>> {
    (1..=3usize)
        .prop_flat_map(|n| {
            (
                Just(n),
                prop::sample::subsequence(PORT_NUMBERS.to_vec(), n).prop_shuffle(),
                prop::bool::ANY,
                prop::collection::vec(
                    prop_oneof![
                        (8000..8010i32).prop_map(TargetPort::Number),
                        prop_oneof![Just("web"), Just("api")].prop_map(|s| TargetPort::Name(s.into()))
                    ],
                    n,
                ),
            )
        })
        .prop_map(|(n, numbers, unnamed_single, targets)| {
            numbers
                .into_iter()
                .zip(targets)
                .enumerate()
                .map(|(i, (port, target))| ServicePort {
                    name: if n == 1 && unnamed_single { String::new() } else { PORT_NAMES[i].into() },
                    port,
                    target,
                })
                .collect()
        })
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    (
        prop::sample::select(ADDRESSES.to_vec()),
        proptest::option::of(prop::bool::ANY),
        proptest::option::weighted(0.4, prop::bool::weighted(0.5)),
    )
        .prop_map(|(a, ready, terminating)| Endpoint { addresses: vec![a.into()], ready, terminating })
}

/// Slices as the EndpointSlice controller writes them: one slice port per Service port
/// (named like it, numbered with the pod's port), sometimes one missing (E-X7), and sometimes
/// a port whose name matches no Service port (a slice written by hand, or left from an older
/// Service): a named Service port never selects it, an unnamed one or an empty set does.
fn slices(ports: Vec<ServicePort>) -> impl Strategy<Value = Vec<Slice>> {
    let slice = (
        prop::collection::vec((prop::bool::weighted(0.85), 8000..8010i32), ports.len()),
        prop::bool::weighted(0.25),
        prop::collection::vec(endpoint(), 0..4),
    )
        .prop_map(move |(keep, stray, endpoints)| Slice {
            ports: ports
                .iter()
                .zip(keep)
                .filter(|(_, (kept, _))| *kept)
                .map(|(p, (_, pod_port))| SlicePort {
                    name: p.name.clone(),
                    port: match p.target {
                        TargetPort::Number(n) => n,
                        TargetPort::Name(_) => pod_port,
                    },
                })
                .chain(stray.then(|| SlicePort { name: "stray".into(), port: 8099 }))
                .collect(),
            endpoints,
        });
    prop::collection::vec(slice, 1..=2)
}

/// Annotation text: real port numbers among junk — padding, signs, words, empty pieces,
/// out-of-range numbers.
fn port_annotation(ports: &[ServicePort]) -> impl Strategy<Value = String> + use<> {
    let real: Vec<String> = ports.iter().map(|p| p.port.to_string()).collect();
    let piece = prop_oneof![
        4 => prop::sample::select(real),
        1 => prop::sample::select(PORT_NUMBERS.to_vec()).prop_map(|p| p.to_string()),
        1 => prop::sample::select(vec![" 80", "81 ", "abc", "", "99999999999", "+81", "-1", "0", "65536", "8 0"])
            .prop_map(String::from),
        1 => any::<u16>().prop_map(|p| p.to_string()),
    ];
    prop::collection::vec(piece, 0..4).prop_map(|pieces| pieces.join(","))
}

#[derive(Clone, Debug)]
struct PortCase {
    ports: Vec<ServicePort>,
    slices: Vec<Slice>,
    annotation: Option<String>,
    /// exportedPorts (`port`, `routeType`); empty = legacy mode.
    exported: Vec<(i32, &'static str)>,
}

fn port_case() -> impl Strategy<Value = PortCase> {
    service_ports().prop_flat_map(|ports| {
        let numbers: Vec<i32> = ports.iter().map(|p| p.port).collect();
        let exported_port =
            prop_oneof![3 => prop::sample::select(numbers), 1 => prop::sample::select(PORT_NUMBERS.to_vec())];
        let exported = prop_oneof![
            Just(Vec::new()),
            prop::collection::vec((exported_port, prop_oneof![Just("HTTP"), Just("GRPC")]), 1..=2).prop_map(|mut v| {
                v.sort();
                v.dedup_by_key(|(p, _)| *p);
                v
            }),
        ];
        (Just(ports.clone()), slices(ports.clone()), proptest::option::weighted(0.8, port_annotation(&ports)), exported)
            .prop_map(|(ports, slices, annotation, exported)| PortCase { ports, slices, annotation, exported })
    })
}

impl PortCase {
    /// `(target-group port, registered targets)` per target group the oracle expects, by port.
    fn expected(&self) -> Vec<(i64, BTreeSet<(String, i64)>)> {
        let as_set = |defined: &[i32]| -> BTreeSet<(String, i64)> {
            oracle::expected_targets(&self.ports, &self.slices, defined)
                .into_iter()
                .map(|(a, p)| (a, p as i64))
                .collect()
        };
        if self.exported.is_empty() {
            // Legacy mode: one group on port 80 whatever the annotation says (E-X2).
            let defined = oracle::defined_port_set(self.annotation.as_deref().unwrap_or_default());
            vec![(80, as_set(&defined))]
        } else {
            // exportedPorts: one group per entry, each as if the annotation were that port.
            self.exported.iter().map(|(p, _)| (*p as i64, as_set(&[*p]))).collect()
        }
    }

    fn manifests(&self) -> Vec<serde_json::Value> {
        let mut objects = vec![support::service("default", "svc", &self.ports)];
        objects.extend(self.slices.iter().enumerate().map(|(i, s)| support::slice("default", "svc", i + 1, s)));
        objects.push(support::export("default", "svc", self.annotation.as_deref(), &self.exported));
        objects
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2048), ..ProptestConfig::default() })]

    /// The pure target builder equals the oracle, duplicates included, for any annotation.
    #[test]
    fn targets_match_the_oracle(case in port_case()) {
        let objects = case.manifests();
        let service: Service = serde_json::from_value(objects[0].clone()).unwrap();
        let slices: Vec<EndpointSlice> =
            objects[1..objects.len() - 1].iter().map(|o| serde_json::from_value(o.clone()).unwrap()).collect();
        let defined = targets::defined_ports(case.annotation.as_deref().unwrap_or_default());
        prop_assert_eq!(&defined, &oracle::defined_port_set(case.annotation.as_deref().unwrap_or_default()));
        let mut got: Vec<(String, i32)> =
            targets::resolve(&service, &slices, &defined).into_iter().map(|t| (t.id, t.port)).collect();
        got.sort();
        prop_assert_eq!(got, oracle::expected_targets(&case.ports, &case.slices, &defined));
    }

    /// The defined port set equals the oracle's for any text at all.
    #[test]
    fn any_annotation_text_parses_like_the_oracle(text in "[0-9a-z +,-]{0,16}") {
        prop_assert_eq!(targets::defined_ports(&text), oracle::defined_port_set(&text));
    }
}

/// The export's groups in the world, by port, with their targets.
async fn world_groups(world: &latticelab::world::World) -> Vec<(i64, BTreeSet<(String, i64)>)> {
    let seen = support::Seen::of(world).await;
    let mut got: Vec<(i64, BTreeSet<(String, i64)>)> = seen
        .0
        .export_groups("c0", "default", "svc")
        .into_iter()
        .map(|g| {
            (
                i64::from(g.port.unwrap_or_default()),
                g.targets.iter().map(|t| (t.id.clone(), i64::from(t.port))).collect(),
            )
        })
        .collect();
    got.sort();
    got
}

/// Under v2.1.3 the GC takes the unused group of every exported port but the first at its
/// first pass (H-1), so the world is compared after a pass and again after the next one: a
/// group that only exists until the GC comes cannot pass.
async fn world_targets(case: PortCase, seed: u64) -> Result<(), TestCaseError> {
    let world = support::world(&[("c0".into(), 0)], seed, "v2.1.3").await;
    support::apply(&world, "c0", &case.manifests()).await;
    let mut want = case.expected();
    want.truncate(1);
    support::pass(45).await;
    world
        .eventually(Duration::from_secs(120), || async {
            let got = world_groups(&world).await;
            if got == want { Ok(()) } else { Err(format!("got {got:?}, want {want:?}")) }
        })
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    support::pass(60).await;
    let got = world_groups(&world).await;
    prop_assert_eq!(got, want, "the groups changed over the next GC pass");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(16), ..ProptestConfig::default() })]

    /// Through the whole world: the export's target groups (ports) and their registered
    /// targets in Lattice equal the oracle's.
    #[test]
    fn exported_targets_in_lattice_match_the_oracle(case in port_case(), seed in any::<u64>()) {
        run(world_targets(case, seed))?;
    }
}
