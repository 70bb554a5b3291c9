//! Annotation filtering on a ServiceImport (`export-name`, `aws-eks-cluster-name`, `aws-vpc`,
//! `target-group-arn`): the pure resolver for many cases, the whole world (exports in several
//! clusters and VPCs → controllers → Lattice → the importing route's forward) for fewer.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::json;
use sim_controller::model::import::{self, Candidate, Mode, ModeError};

use super::oracle::{self, AN, ExportedGroup, Resolution};
use super::support::{self, cases, run, vpc};

const CLUSTERS: [&str; 3] = ["c0", "c1", "c2"];
const NAMES: [&str; 3] = ["svc-a", "svc-b", "svc-c"];
const NAMESPACES: [&str; 2] = ["default", "other"];

/// Values an author might write: right, wrong case, padded, blank, or naming nothing.
fn export_name_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("svc-a"),
        Just("svc-b"),
        Just(" svc-a "),
        Just("\tsvc-b"),
        Just("SVC-A"),
        Just("svc-c"),
        Just(""),
        Just("  "),
    ]
    .prop_map(String::from)
}

fn cluster_value() -> impl Strategy<Value = String> {
    prop_oneof![Just("c0"), Just("c1"), Just("c2"), Just(" c1"), Just("C0"), Just("c9"), Just(""), Just(" ")]
        .prop_map(String::from)
}

fn vpc_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(vpc(0)),
        Just(vpc(1)),
        Just(format!(" {}", vpc(0))),
        Just(vpc(1).to_uppercase()),
        Just("vpc-0fffffffffffffff0".to_string()),
        Just(String::new()),
        Just(" ".to_string()),
    ]
}

/// The `target-group-arn` annotation: an index into the exported groups (filled in once
/// their ids are known), or a fixed text.
#[derive(Clone, Debug)]
enum ArnChoice {
    Existing(usize),
    Text(String),
}

fn arn_choice() -> impl Strategy<Value = ArnChoice> {
    prop_oneof![
        3 => (0..8usize).prop_map(ArnChoice::Existing),
        1 => prop_oneof![
            Just(String::new()),
            Just("   ".to_string()),
            Just("arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0000000000000000a".to_string()),
            Just("arn:aws:ec2:us-west-2:123456789012:targetgroup/tg-0000000000000000a".to_string()),
            Just("arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-SHORT".to_string()),
            Just("arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0000000000000000A".to_string()),
            Just("not-an-arn".to_string()),
        ]
        .prop_map(ArnChoice::Text),
    ]
}

#[derive(Clone, Debug)]
struct ImportAnnotations {
    export_name: Option<String>,
    cluster: Option<String>,
    vpc: Option<String>,
    arn: Option<ArnChoice>,
}

fn import_annotations() -> impl Strategy<Value = ImportAnnotations> {
    (
        proptest::option::weighted(0.5, export_name_value()),
        proptest::option::weighted(0.5, cluster_value()),
        proptest::option::weighted(0.4, vpc_value()),
        proptest::option::weighted(0.2, arn_choice()),
    )
        .prop_map(|(export_name, cluster, vpc, arn)| ImportAnnotations { export_name, cluster, vpc, arn })
}

impl ImportAnnotations {
    fn resolve(&self, groups: &[(String, String)]) -> BTreeMap<String, String> {
        let mut a = BTreeMap::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                a.insert(format!("{AN}{k}"), v.clone());
            }
        };
        put("export-name", &self.export_name);
        put("aws-eks-cluster-name", &self.cluster);
        put("aws-vpc", &self.vpc);
        let arn = self.arn.as_ref().map(|c| match c {
            ArnChoice::Existing(i) if !groups.is_empty() => groups[i % groups.len()].1.clone(),
            ArnChoice::Existing(_) => String::new(),
            ArnChoice::Text(t) => t.clone(),
        });
        put("target-group-arn", &arn);
        a
    }
}

/// What the reference resolver answers, in the oracle's terms; `prefer` is the protocol
/// version profile `fixed` prefers for the route's kind (H-2).
fn reference(
    annotations: &BTreeMap<String, String>,
    name: &str,
    ns: &str,
    groups: &[ExportedGroup],
    prefer: Option<&str>,
) -> Resolution {
    let candidates: Vec<Candidate> = groups
        .iter()
        .map(|g| Candidate {
            id: g.id.clone(),
            arn: format!("arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/{}", g.id),
            vpc: g.vpc.clone(),
            tags: (!g.tags.is_empty()).then(|| g.tags.clone()),
        })
        .collect();
    match import::mode(annotations, name, ns) {
        Ok(Mode::Search(q)) => {
            import::resolve(&q, &candidates, prefer).map_or(Resolution::NotFound, |c| Resolution::Found(c.id.clone()))
        }
        Ok(Mode::External { id, .. }) => Resolution::External(id),
        Err(ModeError::ConflictingServiceImportAnnotations) => Resolution::Conflicting,
        Err(ModeError::InvalidExternalTargetGroup(_)) => Resolution::InvalidArn,
    }
}

/// A target group in the pure property: its identity tags may be anything an account holds.
fn candidate_group(index: usize) -> impl Strategy<Value = ExportedGroup> {
    (
        prop_oneof![4 => Just("ServiceExport"), 1 => Just("HTTPRoute")],
        prop_oneof![Just("svc-a"), Just("svc-b"), Just("Svc-A"), Just("")],
        prop::sample::select(NAMESPACES.to_vec()),
        prop_oneof![Just("c0"), Just("c1"), Just("c2"), Just("")],
        0..2usize,
        prop::bool::weighted(0.1),
        prop_oneof![Just("HTTP1"), Just("GRPC"), Just("HTTP2"), Just("")],
    )
        .prop_map(move |(source, name, ns, cluster, v, untagged, version)| {
            let tags = if untagged {
                BTreeMap::new()
            } else {
                [
                    ("SourceTypeKey", source),
                    ("ServiceName", name),
                    ("ServiceNamespace", ns),
                    ("ClusterName", cluster),
                    ("ProtocolVersion", version),
                ]
                .into_iter()
                .map(|(k, v)| (format!("{AN}{k}"), v.to_string()))
                .collect()
            };
            ExportedGroup { id: format!("tg-{index:017}"), vpc: vpc(v), tags }
        })
}

fn candidate_groups() -> impl Strategy<Value = Vec<ExportedGroup>> {
    (0..8usize).prop_flat_map(|n| (0..n).map(candidate_group).collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2048), ..ProptestConfig::default() })]

    /// Through the pure resolver: for any account contents and any annotations, the reference
    /// resolution equals the oracle's.
    #[test]
    fn import_resolution_matches_the_oracle(
        groups in candidate_groups(),
        annotations in import_annotations(),
        name in prop::sample::select(NAMES.to_vec()),
        ns in prop::sample::select(NAMESPACES.to_vec()),
    ) {
        let arns: Vec<(String, String)> = groups
            .iter()
            .map(|g| (g.id.clone(), format!("arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/{}", g.id)))
            .collect();
        let annotations = annotations.resolve(&arns);
        // v2.1.3 takes the first accepted group whatever its protocol (H-2); fixed prefers the
        // route's protocol version.
        for prefer in [None, Some("GRPC"), Some("HTTP1")] {
            let want = oracle::expected_resolution_preferring(&annotations, name, ns, &groups, prefer);
            let got = reference(&annotations, name, ns, &groups, prefer);
            prop_assert_eq!(got, want, "annotations {:?}, preferring {:?}", annotations, prefer);
        }
    }
}

/// One export: the cluster (index into CLUSTERS), namespace and name, and whether it backs
/// onto a Service of another name (`service-name`): the group is still known by the export's.
#[derive(Clone, Debug)]
struct ExportSpec {
    cluster: usize,
    namespace: &'static str,
    name: &'static str,
    backed_by_other_name: bool,
}

#[derive(Clone, Debug)]
struct WorldCase {
    seed: u64,
    /// VPC index of each of the three clusters (two clusters may share a VPC).
    vpcs: Vec<usize>,
    exports: Vec<ExportSpec>,
    importer: usize,
    namespace: &'static str,
    backend: &'static str,
    with_import_object: bool,
    annotations: ImportAnnotations,
}

fn world_case() -> impl Strategy<Value = WorldCase> {
    let export = (
        0..3usize,
        prop::sample::select(NAMESPACES.to_vec()),
        prop::sample::select(NAMES[..2].to_vec()),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(cluster, namespace, name, backed_by_other_name)| ExportSpec {
            cluster,
            namespace,
            name,
            backed_by_other_name,
        });
    (
        any::<u64>(),
        prop::collection::vec(0..2usize, 3),
        prop::collection::vec(export, 0..5),
        0..3usize,
        prop::sample::select(NAMESPACES.to_vec()),
        prop::sample::select(NAMES.to_vec()),
        prop::bool::weighted(0.9),
        import_annotations(),
    )
        .prop_map(|(seed, vpcs, exports, importer, namespace, backend, with_import_object, annotations)| {
            WorldCase { seed, vpcs, exports, importer, namespace, backend, with_import_object, annotations }
        })
}

async fn world_outcome(case: WorldCase) -> Result<(), TestCaseError> {
    let clusters: Vec<(String, usize)> = CLUSTERS.iter().zip(&case.vpcs).map(|(c, v)| (c.to_string(), *v)).collect();
    let world = support::world(&clusters, case.seed, "v2.1.3").await;
    for c in CLUSTERS {
        support::apply(&world, c, &[support::namespace("other")]).await;
    }
    // Exports first, each with one ready endpoint; duplicates of one export collapse.
    let mut exported: Vec<(usize, &str, &str)> =
        case.exports.iter().map(|e| (e.cluster, e.namespace, e.name)).collect();
    exported.sort();
    exported.dedup();
    let backed = |c: usize, ns: &str, name: &str| {
        case.exports.iter().any(|e| (e.cluster, e.namespace, e.name) == (c, ns, name) && e.backed_by_other_name)
    };
    for (i, (c, ns, name)) in exported.iter().enumerate() {
        let port = oracle::ServicePort { name: "http".into(), port: 80, target: oracle::TargetPort::Number(8080) };
        let slice = oracle::Slice {
            ports: vec![oracle::SlicePort { name: "http".into(), port: 8080 }],
            endpoints: vec![oracle::Endpoint {
                addresses: vec![format!("10.0.{c}.{}", i + 1)],
                ready: Some(true),
                terminating: None,
            }],
        };
        let service = if backed(*c, ns, name) { format!("backing-{name}") } else { name.to_string() };
        let mut export = support::export(ns, name, None, &[]);
        if service != *name {
            export["metadata"]["annotations"][format!("{AN}service-name")] = json!(service);
        }
        support::apply(
            &world,
            CLUSTERS[*c],
            &[support::service(ns, &service, &[port]), support::slice(ns, &service, 1, &slice), export],
        )
        .await;
    }
    let want_groups = exported.len();
    world
        .eventually(Duration::from_secs(120), || async {
            let n = support::exported_groups(&world).await.len();
            if n == want_groups { Ok(()) } else { Err(format!("{n} of {want_groups} exported target groups")) }
        })
        .await
        .map_err(|e| TestCaseError::fail(format!("exports did not converge: {e}")))?;
    let groups = support::exported_groups(&world).await;
    // The candidates are the groups the spec says the exports make — one per export, tagged
    // with the exporting cluster, the export's own name and namespace, in that cluster's VPC —
    // not whatever the controllers happened to make.
    let mut made: Vec<(String, String, String, String)> = groups
        .iter()
        .map(|g| {
            let tag = |k: &str| g.tags.get(&format!("{AN}{k}")).cloned().unwrap_or_default();
            (tag("ClusterName"), tag("ServiceNamespace"), tag("ServiceName"), g.vpc.clone())
        })
        .collect();
    made.sort();
    let mut expected: Vec<(String, String, String, String)> = exported
        .iter()
        .map(|(c, ns, name)| (CLUSTERS[*c].to_string(), ns.to_string(), name.to_string(), vpc(case.vpcs[*c])))
        .collect();
    expected.sort();
    prop_assert_eq!(made, expected, "the exported groups");
    let arns: Vec<(String, String)> = support::Seen::of(&world)
        .await
        .groups()
        .into_iter()
        .filter(|g| groups.iter().any(|e| e.id == g.id))
        .map(|g| (g.id, g.arn))
        .collect();
    let annotations = case.annotations.resolve(&arns);
    let importer = CLUSTERS[case.importer];
    let mut objects = Vec::new();
    if case.with_import_object {
        objects.push(support::import(case.namespace, case.backend, &annotations));
    }
    objects.push(support::import_route(case.namespace, "importer", case.backend, 8080, 3));
    support::apply(&world, importer, &objects).await;

    // Without a ServiceImport object the route resolves in Mode 1 (E-I2).
    let effective = if case.with_import_object { annotations.clone() } else { BTreeMap::new() };
    let want = oracle::expected_resolution(&effective, case.backend, case.namespace, &groups);
    let service = support::lattice_service("importer", case.namespace);
    // A well-formed ARN of a target group that does not exist is refused on upsert (§3.2).
    let want = match want {
        Resolution::External(id) if !groups.iter().any(|g| g.id == id) => None,
        other => Some(other),
    };
    match &want {
        Some(Resolution::Found(id) | Resolution::External(id)) => {
            let id = id.clone();
            world
                .eventually(Duration::from_secs(120), || async {
                    let got = support::forwards(&world, &service).await;
                    if got == [(id.clone(), 3)] { Ok(()) } else { Err(format!("forwards {got:?}")) }
                })
                .await
                .map_err(|e| {
                    TestCaseError::fail(format!("want a forward to {id}: {e}; annotations {annotations:?}"))
                })?;
        }
        _ => {
            // The route reconciles (Lattice service first, or a refused ResolvedRefs), then no
            // rule ever forwards anywhere.
            let reason = match want {
                Some(Resolution::Conflicting) => Some("ConflictingServiceImportAnnotations"),
                Some(Resolution::InvalidArn) => Some("InvalidExternalTargetGroup"),
                None => Some("ExternalTargetGroupNotFound"),
                _ => None,
            };
            world
                .eventually(Duration::from_secs(120), || async {
                    match reason {
                        None if support::Seen::of(&world).await.service_names().contains(&service) => Ok(()),
                        None => Err("no Lattice service yet".to_string()),
                        Some(reason) => {
                            let route = world
                                .get(
                                    importer,
                                    "gateway.networking.k8s.io/v1",
                                    "HTTPRoute",
                                    Some(case.namespace),
                                    "importer",
                                )
                                .await
                                .map_err(|e| e.to_string())?
                                .unwrap_or_default();
                            let conditions = route["status"]["parents"][0]["conditions"].clone();
                            let refused = conditions.as_array().into_iter().flatten().any(|c| {
                                c["type"] == "ResolvedRefs" && c["status"] == "False" && c["reason"] == json!(reason)
                            });
                            if refused { Ok(()) } else { Err(format!("conditions {conditions}")) }
                        }
                    }
                })
                .await
                .map_err(|e| TestCaseError::fail(format!("want {want:?}: {e}; annotations {annotations:?}")))?;
            support::pass(60).await;
            let got = support::forwards(&world, &service).await;
            prop_assert!(got.is_empty(), "want {:?}, got forwards {:?}; annotations {:?}", want, got, annotations);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(12), ..ProptestConfig::default() })]

    /// Through the whole world: exports in three clusters over two VPCs, an importing route in
    /// any cluster, any annotations — the route forwards exactly where the oracle says.
    #[test]
    fn importing_routes_forward_where_the_oracle_says(case in world_case()) {
        run(world_outcome(case))?;
    }
}
