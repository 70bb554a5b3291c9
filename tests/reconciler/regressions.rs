//! The regression table of controller.md §8: one test per row that applies to v2.1.3, named
//! after its upstream issue number.

use std::time::Duration;

use serde_json::{Value, json};

use super::support::*;

fn rules_of(w: &latticelab::world::World) -> Vec<Value> {
    w.lattice_state()["rules"]
        .as_object()
        .map(|m| m.values().filter(|r| r["isDefault"] != true).cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn regression_20_the_controller_talks_to_lattice_endpoint() {
    // Real time, a loopback simulator, and a client built only from the configuration.
    let w = latticelab::world::World::start({
        let mut c = latticelab::world::WorldConfig::new(&[(A, VPC_A)]);
        c.controllers = false;
        c
    })
    .await
    .unwrap();
    let addr = sim_lattice::server::spawn_loopback(w.sim.clone()).await.unwrap();
    let mut config = sim_controller::ControllerConfig::new(A, VPC_A, "123456789012", "us-west-2");
    config.lattice_endpoint = Some(format!("http://{addr}"));
    config.tagging_endpoint = Some(format!("http://{addr}"));
    let clients = sim_controller::sdk::clients(&config, aws_smithy_http_client::Builder::new().build_http());
    let _running = sim_controller::start(w.kube(A).unwrap(), clients, config).await;
    exported(&w, A, "reached").await;
}

#[tokio::test(start_paused = true)]
async fn regression_23_pod_ip_changes_replace_targets_in_one_reconcile() {
    let w = world("v2.1.3").await;
    exported(&w, A, "pods").await;
    w.apply(A, &service("pods", &[("http", 80, 8080)], &["10.0.1.3", "10.0.1.2"])).await.unwrap();
    w.eventually(WITHIN, || async {
        let t = targets(&exported_groups(&w, "pods")[0]);
        if t == [("10.0.1.2".to_string(), 8080), ("10.0.1.3".to_string(), 8080)] {
            Ok(())
        } else {
            Err(format!("{t:?}"))
        }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn regression_476_a_rollout_leaves_no_stale_ips() {
    let w = world("v2.1.3").await;
    exported(&w, A, "rollout").await;
    w.apply(A, &service("rollout", &[("http", 80, 8080)], &["10.0.9.1", "10.0.9.2", "10.0.9.3"])).await.unwrap();
    w.eventually(WITHIN, || async {
        let t = targets(&exported_groups(&w, "rollout")[0]);
        if t.iter().all(|(ip, _)| ip.starts_with("10.0.9.")) && t.len() == 3 { Ok(()) } else { Err(format!("{t:?}")) }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn regression_267_the_port_annotation_limits_targets_to_that_port() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("ports", &[("web", 80, 8080), ("admin", 9000, 9090)], &["10.0.1.1"])).await.unwrap();
    w.apply(A, &export("ports", None, &[("application-networking.k8s.aws/port", "80")])).await.unwrap();
    let tg = w
        .eventually(WITHIN, || async {
            exported_groups(&w, "ports").first().cloned().filter(|g| !targets(g).is_empty()).ok_or("none".to_string())
        })
        .await
        .unwrap();
    assert_eq!(targets(&tg), [("10.0.1.1".to_string(), 8080)]);
}

#[tokio::test(start_paused = true)]
async fn regression_243_named_target_ports_resolve_through_the_slice() {
    let w = world("v2.1.3").await;
    let svc = service("named", &[("http", 80, 8080)], &["10.0.1.1"])
        .replace("targetPort: 8080", "targetPort: http-web")
        .replace("- name: http\n  port: 8080", "- name: http\n  port: 3000");
    w.apply(A, &svc).await.unwrap();
    w.apply(A, &export("named", Some(&[(80, "HTTP")]), &[])).await.unwrap();
    let tg = w
        .eventually(WITHIN, || async {
            exported_groups(&w, "named").first().cloned().filter(|g| !targets(g).is_empty()).ok_or("none".to_string())
        })
        .await
        .unwrap();
    assert_eq!((tg["config"]["port"].as_i64(), targets(&tg)), (Some(80), vec![("10.0.1.1".to_string(), 3000)]));
}

#[tokio::test(start_paused = true)]
async fn regression_269_deleting_the_export_after_its_service_deletes_the_group() {
    let w = world("v2.1.3").await;
    exported(&w, A, "gone").await;
    w.delete(A, "v1", "Service", Some("default"), "gone").await.unwrap();
    w.delete(A, EXPORTS, "ServiceExport", Some("default"), "gone").await.unwrap();
    w.eventually(WITHIN, || async {
        if exported_groups(&w, "gone").is_empty() { Ok(()) } else { Err("still there".into()) }
    })
    .await
    .unwrap();
    assert_eq!(finalizers(&w, A, EXPORTS, "ServiceExport", "gone").await, None, "the export is gone too");
}

#[tokio::test(start_paused = true)]
async fn regression_510_deleting_a_route_removes_its_service_and_target_groups() {
    let w = world("v2.1.3").await;
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &service("local", &[("http", 80, 8080)], &["10.0.2.1"])).await.unwrap();
    w.apply(B, &route("local-route", &[("Service", "local", 1)])).await.unwrap();
    w.eventually(WITHIN, || async { if forwards(&w).len() == 1 { Ok(()) } else { Err("no rule".into()) } })
        .await
        .unwrap();
    w.delete(B, "gateway.networking.k8s.io/v1", "HTTPRoute", Some("default"), "local-route").await.unwrap();
    w.eventually(Duration::from_secs(90), || async {
        let s = w.lattice_state();
        let left =
            (s["services"].as_object().map_or(0, |m| m.len()), s["targetGroups"].as_object().map_or(0, |m| m.len()));
        if left == (0, 0) { Ok(()) } else { Err(format!("services, groups: {left:?}")) }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn regression_485_the_gc_keeps_a_group_a_rule_uses() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "kept").await;
    imported(&w, B, "kept-route", "kept", &[]).await;
    forwards_become(&w, vec![(id(&tg), 1)]).await;
    pass(Duration::from_secs(120)).await;
    assert_eq!(exported_groups(&w, "kept").len(), 1);
    assert_eq!(forwards(&w), [(id(&tg), 1)]);
}

#[tokio::test(start_paused = true)]
async fn regression_587_an_import_finds_an_export_in_another_vpc() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "far").await;
    assert_eq!(tg["config"]["vpcIdentifier"], VPC_A);
    imported(&w, B, "far-route", "far", &[]).await;
    forwards_become(&w, vec![(id(&tg), 1)]).await;
}

#[tokio::test(start_paused = true)]
async fn regression_756_grpc_and_tls_exports_get_their_protocols() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("proto", &[("grpc", 50051, 50051), ("tls", 443, 8443)], &["10.0.1.1"])).await.unwrap();
    w.apply(A, &export("proto", Some(&[(50051, "GRPC"), (443, "TLS")]), &[])).await.unwrap();
    let groups = w
        .eventually(WITHIN, || async {
            let g = exported_groups(&w, "proto");
            if g.len() == 2 { Ok(g) } else { Err("not yet".into()) }
        })
        .await
        .unwrap();
    let mut got: Vec<(i64, String, String)> = groups
        .iter()
        .map(|g| {
            (
                g["config"]["port"].as_i64().unwrap(),
                g["config"]["protocol"].as_str().unwrap().into(),
                g["tags"]["application-networking.k8s.aws/ProtocolVersion"].as_str().unwrap_or("?").into(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, [(443, "TCP".into(), String::new()), (50051, "HTTP".into(), "GRPC".into())]);
    // Under v2.1.3 the GC's first pass takes the unused group of the second port (H-1); the
    // first port's group stays.
    pass(Duration::from_secs(45)).await;
    let left: Vec<i64> = exported_groups(&w, "proto").iter().map(|g| g["config"]["port"].as_i64().unwrap()).collect();
    assert_eq!(left, [50051]);
    pass(Duration::from_secs(60)).await;
    assert_eq!(exported_groups(&w, "proto").len(), 1, "and it is not made again");
}

#[tokio::test(start_paused = true)]
async fn regression_790_repeated_reconciles_create_exactly_one_group() {
    let w = world("v2.1.3").await;
    exported(&w, A, "once").await;
    for i in 0..5 {
        w.apply(A, &service("once", &[("http", 80, 8080)], &["10.0.1.1", &format!("10.0.1.{}", 10 + i)]))
            .await
            .unwrap();
        pass(Duration::from_secs(2)).await;
    }
    assert_eq!(exported_groups(&w, "once").len(), 1);
    assert_eq!(w.sim.call_count("CreateTargetGroup"), 1);
}

#[tokio::test(start_paused = true)]
async fn regression_853_a_policy_sets_protocol_and_version_of_exported_ports() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("secure", &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
    w.apply(A, "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: TargetGroupPolicy\nmetadata:\n  name: secure\nspec:\n  targetRef: {group: application-networking.k8s.aws, kind: ServiceExport, name: secure}\n  protocol: HTTPS\n  protocolVersion: HTTP2\n").await.unwrap();
    w.apply(A, &export("secure", Some(&[(80, "HTTP")]), &[])).await.unwrap();
    let tg = w
        .eventually(WITHIN, || async { exported_groups(&w, "secure").first().cloned().ok_or("none".to_string()) })
        .await
        .unwrap();
    assert_eq!(
        (tg["config"]["protocol"].as_str(), tg["config"]["protocolVersion"].as_str()),
        (Some("HTTPS"), Some("HTTP2"))
    );
}

#[tokio::test(start_paused = true)]
async fn regression_789_a_policy_health_check_applies_and_its_removal_restores_defaults() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("hc", &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
    w.apply(A, "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: TargetGroupPolicy\nmetadata:\n  name: hc\nspec:\n  targetRef: {group: application-networking.k8s.aws, kind: ServiceExport, name: hc}\n  healthCheck:\n    path: /healthz\n    intervalSeconds: 10\n").await.unwrap();
    w.apply(A, &export("hc", Some(&[(80, "HTTP")]), &[])).await.unwrap();
    let tg = w
        .eventually(WITHIN, || async { exported_groups(&w, "hc").first().cloned().ok_or("none".to_string()) })
        .await
        .unwrap();
    assert_eq!(
        (
            tg["config"]["healthCheck"]["path"].as_str(),
            tg["config"]["healthCheck"]["healthCheckIntervalSeconds"].as_i64()
        ),
        (Some("/healthz"), Some(10))
    );
    w.delete(A, EXPORTS, "TargetGroupPolicy", Some("default"), "hc").await.unwrap();
    w.eventually(WITHIN, || async {
        let hc = exported_groups(&w, "hc")[0]["config"]["healthCheck"].clone();
        if hc["path"] == "/" && hc["healthCheckIntervalSeconds"] == 30 { Ok(()) } else { Err(format!("{hc}")) }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn regression_665_same_named_services_in_two_clusters_are_routed_separately() {
    let w = world("v2.1.3").await;
    for (cluster, export_name) in [(A, "checkout-cluster1"), (B, "checkout-cluster2")] {
        w.apply(cluster, &service("checkout", &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
        w.apply(
            cluster,
            &export(export_name, Some(&[(80, "HTTP")]), &[("application-networking.k8s.aws/service-name", "checkout")]),
        )
        .await
        .unwrap();
    }
    let (one, two) = w
        .eventually(WITHIN, || async {
            match (exported_groups(&w, "checkout-cluster1").first(), exported_groups(&w, "checkout-cluster2").first()) {
                (Some(a), Some(b)) => Ok((a.clone(), b.clone())),
                _ => Err("not yet".into()),
            }
        })
        .await
        .unwrap();
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(
        B,
        &import(
            "checkout-1",
            &[
                ("application-networking.k8s.aws/export-name", "checkout-cluster1"),
                ("application-networking.k8s.aws/aws-eks-cluster-name", A),
            ],
        ),
    )
    .await
    .unwrap();
    w.apply(
        B,
        &import(
            "checkout-2",
            &[
                ("application-networking.k8s.aws/export-name", "checkout-cluster2"),
                ("application-networking.k8s.aws/aws-eks-cluster-name", B),
            ],
        ),
    )
    .await
    .unwrap();
    w.apply(B, &route("checkout", &[("ServiceImport", "checkout-1", 50), ("ServiceImport", "checkout-2", 50)]))
        .await
        .unwrap();
    forwards_become(&w, vec![(id(&one), 50), (id(&two), 50)]).await;
}

#[tokio::test(start_paused = true)]
async fn regression_688_an_unannotated_export_makes_no_aws_calls() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("quiet", &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
    let before: Vec<u64> =
        ["CreateTargetGroup", "RegisterTargets", "GetTargetGroup"].iter().map(|op| w.sim.call_count(op)).collect();
    w.apply(A, &export("quiet", Some(&[(80, "HTTP")]), &[]).replace("amazon-vpc-lattice", "")).await.unwrap();
    pass(Duration::from_secs(60)).await;
    let after: Vec<u64> =
        ["CreateTargetGroup", "RegisterTargets", "GetTargetGroup"].iter().map(|op| w.sim.call_count(op)).collect();
    assert_eq!(before, after);
}

#[tokio::test(start_paused = true)]
async fn regression_98_long_export_names_get_distinct_groups() {
    let w = world("v2.1.3").await;
    let long1 = format!("{}-one", "a".repeat(55));
    let long2 = format!("{}-two", "a".repeat(55));
    for name in [&long1, &long2] {
        w.apply(A, &service(name, &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
        w.apply(A, &export(name, Some(&[(80, "HTTP")]), &[])).await.unwrap();
    }
    w.eventually(WITHIN, || async {
        if exported_groups(&w, &long1).len() == 1 && exported_groups(&w, &long2).len() == 1 {
            Ok(())
        } else {
            Err("no".into())
        }
    })
    .await
    .unwrap();
    let names: Vec<String> = target_groups(&w).iter().map(|g| g["name"].as_str().unwrap().to_string()).collect();
    assert_ne!(names[0], names[1]);
    assert!(names.iter().all(|n| n.len() <= 126));
}

#[tokio::test(start_paused = true)]
async fn regression_384_an_unknown_rule_on_our_listener_is_deleted() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "pruned").await;
    imported(&w, B, "pruned-route", "pruned", &[]).await;
    forwards_become(&w, vec![(id(&tg), 1)]).await;
    let state = w.lattice_state();
    let listener = state["listeners"].as_object().unwrap().values().next().unwrap().clone();
    let lattice = w.lattice();
    lattice
        .create_rule()
        .service_identifier(listener["serviceId"].as_str().unwrap())
        .listener_identifier(listener["id"].as_str().unwrap())
        .name("left-over")
        .priority(50)
        .r#match(aws_sdk_vpclattice::types::RuleMatch::HttpMatch(
            aws_sdk_vpclattice::types::HttpMatch::builder().method("DELETE").build(),
        ))
        .action(aws_sdk_vpclattice::types::RuleAction::FixedResponse(
            aws_sdk_vpclattice::types::FixedResponseAction::builder().status_code(404).build().unwrap(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(rules_of(&w).len(), 2);
    w.apply(B, &route("pruned-route", &[("ServiceImport", "pruned", 3)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let r = rules_of(&w);
        if r.len() == 1 { Ok(()) } else { Err(format!("{} rules", r.len())) }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn regression_453_a_same_named_route_in_another_cluster_is_conflicted() {
    let w = world("v2.1.3").await;
    for cluster in [A, B] {
        w.apply(cluster, GATEWAY).await.unwrap();
        w.apply(cluster, &service("local", &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
    }
    w.apply(A, &route("same", &[("Service", "local", 1)])).await.unwrap();
    w.eventually(WITHIN, || async { if forwards(&w).len() == 1 { Ok(()) } else { Err("first not deployed".into()) } })
        .await
        .unwrap();
    w.apply(B, &route("same", &[("Service", "local", 1)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let c = route_conditions(&w, B, "same").await;
        if c.contains(&("Accepted".into(), "False".into(), "Conflicted".into())) {
            Ok(())
        } else {
            Err(format!("{c:?}"))
        }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn regression_899_a_missing_service_backend_answers_500() {
    let w = world("v2.1.3").await;
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &route("broken", &[("Service", "absent", 1)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let r = rules_of(&w);
        if r.len() == 1 && r[0]["action"] == json!({"fixedResponse": {"statusCode": 500}}) {
            Ok(())
        } else {
            Err(format!("{r:?}"))
        }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn regression_544_a_missing_import_object_is_backend_not_found() {
    let w = world("v2.1.3").await;
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &route("no-import", &[("ServiceImport", "absent", 1)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let c = route_conditions(&w, B, "no-import").await;
        if c.contains(&("ResolvedRefs".into(), "False".into(), "BackendNotFound".into())) {
            Ok(())
        } else {
            Err(format!("{c:?}"))
        }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn regression_77_two_routes_cannot_share_an_exported_group() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "shared-tg").await;
    imported(&w, B, "route-one", "shared-tg", &[]).await;
    forwards_become(&w, vec![(id(&tg), 1)]).await;
    w.apply(B, &route("route-two", &[("ServiceImport", "shared-tg", 1)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let e = events(&w, B, "route-two").await;
        if e.iter().any(|(r, m)| r == "FailedDeployModel" && m.contains("ConflictException")) {
            Ok(())
        } else {
            Err(format!("{e:?}"))
        }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn regression_444_two_ports_of_one_service_share_one_route_group() {
    let w = world("v2.1.3").await;
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &service("dual-port", &[("a", 80, 8080), ("b", 81, 8081)], &["10.0.1.1"])).await.unwrap();
    let two_refs = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: dual\nspec:\n  parentRefs:\n  - name: my-hotel\n    sectionName: http\n  rules:\n  - backendRefs:\n    - {name: dual-port, port: 80}\n    - {name: dual-port, port: 81}\n";
    w.apply(B, two_refs).await.unwrap();
    w.eventually(WITHIN, || async { if forwards(&w).len() == 2 { Ok(()) } else { Err("no rule".into()) } })
        .await
        .unwrap();
    let f = forwards(&w);
    assert_eq!(f[0].0, f[1].0, "both refs forward to the one route group");
    assert_eq!(target_groups(&w).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn regression_968_external_target_groups_report_and_requeue() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "external").await;
    let arn = tg["arn"].as_str().unwrap().to_string();
    w.apply(B, GATEWAY).await.unwrap();
    // Mode 3 by ARN: forwards to the group directly.
    w.apply(B, &import("ext", &[("application-networking.k8s.aws/target-group-arn", &arn)])).await.unwrap();
    w.apply(B, &route("ext-route", &[("ServiceImport", "ext", 1)])).await.unwrap();
    forwards_become(&w, vec![(id(&tg), 1)]).await;
    // A malformed ARN, then a missing group (requeued every minute).
    w.apply(
        B,
        &import("ext", &[("application-networking.k8s.aws/target-group-arn", "arn:aws:ec2:us-west-2:1:instance/i-1")]),
    )
    .await
    .unwrap();
    w.apply(B, &route("ext-route", &[("ServiceImport", "ext", 2)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let c = route_conditions(&w, B, "ext-route").await;
        if c.contains(&("ResolvedRefs".into(), "False".into(), "InvalidExternalTargetGroup".into())) {
            Ok(())
        } else {
            Err(format!("{c:?}"))
        }
    })
    .await
    .unwrap();
    let missing = arn.replace(&id(&tg), "tg-0000000000000000a");
    w.apply(B, &import("ext", &[("application-networking.k8s.aws/target-group-arn", &missing)])).await.unwrap();
    w.apply(B, &route("ext-route", &[("ServiceImport", "ext", 3)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let c = route_conditions(&w, B, "ext-route").await;
        if c.contains(&("ResolvedRefs".into(), "False".into(), "ExternalTargetGroupNotFound".into())) {
            Ok(())
        } else {
            Err(format!("{c:?}"))
        }
    })
    .await
    .unwrap();
    let checks = || {
        w.sim
            .journal()
            .entries()
            .iter()
            .filter(|e| e.operation == "GetTargetGroup" && e.request.to_string().contains("tg-0000000000000000a"))
            .count()
    };
    let before = checks();
    pass(Duration::from_secs(185)).await;
    let per_minute = checks() - before;
    assert!((3..=4).contains(&per_minute), "requeued once a minute: {per_minute} checks in 185 s");
}

#[tokio::test(start_paused = true)]
async fn regression_822_a_failing_import_backs_off_exponentially() {
    let w = world("v2.1.3").await;
    imported(&w, B, "backoff", "never", &[]).await;
    let failures = || async { events(&w, B, "backoff").await.iter().filter(|(r, _)| r == "FailedDeployModel").count() };
    pass(Duration::from_secs(10)).await;
    let early = failures().await;
    pass(Duration::from_secs(590)).await;
    let late = failures().await;
    assert!(early >= 8, "5 ms doubling: many retries in the first 10 s ({early})");
    assert!(late - early <= 8, "then few in the next 590 s ({}), not one every 20 s", late - early);
}
