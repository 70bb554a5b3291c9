//! One test per numbered edge case of controller.md §2.9 (E-X…) and §3.6 (E-I…), under the
//! default `v2.1.3` profile.

use std::time::Duration;

use serde_json::json;
use sim_core::{FaultKind, FaultPlan, FaultScope, FaultTrigger};

use super::support::*;

#[tokio::test(start_paused = true)]
async fn e_x1_an_export_without_the_federation_annotation_is_ignored() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("plain", &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
    let no_annotation = export("plain", Some(&[(80, "HTTP")]), &[])
        .replace("    application-networking.k8s.aws/federation: amazon-vpc-lattice\n", "    other: x\n");
    w.apply(A, &no_annotation).await.unwrap();
    pass(Duration::from_secs(120)).await;
    assert!(exported_groups(&w, "plain").is_empty());
    assert_eq!(w.sim.call_count("CreateTargetGroup"), 0);
    assert_eq!(finalizers(&w, A, EXPORTS, "ServiceExport", "plain").await, Some(vec![]));
}

#[tokio::test(start_paused = true)]
async fn e_x2_legacy_mode_keeps_port_80_and_the_annotation_only_picks_targets() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("legacy", &[("http", 8080, 9090), ("admin", 80, 8081)], &["10.0.1.1"])).await.unwrap();
    w.apply(A, &export("legacy", None, &[("application-networking.k8s.aws/port", "8080")])).await.unwrap();
    let tg = w
        .eventually(WITHIN, || async {
            exported_groups(&w, "legacy")
                .first()
                .cloned()
                .filter(|g| !targets(g).is_empty())
                .ok_or("no group".to_string())
        })
        .await
        .unwrap();
    assert_eq!(tg["config"]["port"], 80);
    assert_eq!(tg["config"]["protocol"], "HTTP");
    assert_eq!(targets(&tg), [("10.0.1.1".to_string(), 9090)]);
}

#[tokio::test(start_paused = true)]
async fn e_x3_removing_the_federation_annotation_freezes_the_export() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "frozen").await;
    let unannotated = export("frozen", Some(&[(80, "HTTP")]), &[]).replace("amazon-vpc-lattice", "something-else");
    w.apply(A, &unannotated).await.unwrap();
    // Pod churn is no longer followed…
    w.apply(A, &service("frozen", &[("http", 80, 8080)], &["10.0.1.9"])).await.unwrap();
    pass(Duration::from_secs(120)).await;
    // …and the GC keeps the group: the export exists and its fields match.
    let now = exported_groups(&w, "frozen");
    assert_eq!((now.len(), targets(&now[0])), (1, targets(&tg)));
    // Deleting the export hangs on its finalizer (the unused group goes to the GC).
    w.delete(A, EXPORTS, "ServiceExport", Some("default"), "frozen").await.unwrap();
    pass(Duration::from_secs(120)).await;
    assert_eq!(
        finalizers(&w, A, EXPORTS, "ServiceExport", "frozen").await,
        Some(vec!["serviceexport.k8s.aws/resources".to_string()])
    );
}

#[tokio::test(start_paused = true)]
async fn e_x4_invalid_port_pieces_are_ignored_and_all_invalid_means_all_ports() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("multi", &[("a", 80, 8080), ("b", 81, 8081)], &["10.0.1.1"])).await.unwrap();
    w.apply(A, &export("multi", None, &[("application-networking.k8s.aws/port", "abc, 81,81")])).await.unwrap();
    let tg = w
        .eventually(WITHIN, || async {
            exported_groups(&w, "multi").first().cloned().filter(|g| !targets(g).is_empty()).ok_or("none".to_string())
        })
        .await
        .unwrap();
    assert_eq!(targets(&tg), [("10.0.1.1".to_string(), 8081)], "' 81' and 'abc' are ignored, '81' selects port b");
    w.apply(A, &export("multi", None, &[("application-networking.k8s.aws/port", "x,,99999999999")])).await.unwrap();
    w.eventually(WITHIN, || async {
        let t = targets(&exported_groups(&w, "multi")[0]);
        if t.len() == 2 { Ok(()) } else { Err(format!("{t:?}")) }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn e_x5_a_deleted_service_leaves_its_export_targets_registered() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "orphaned").await;
    w.delete(A, "v1", "Service", Some("default"), "orphaned").await.unwrap();
    w.eventually(WITHIN, || async {
        let e = events(&w, A, "orphaned").await;
        if e.iter().any(|(r, m)| r == "FailedBuildModel" && m.contains("failed to find corresponding k8sService")) {
            Ok(())
        } else {
            Err(format!("{e:?}"))
        }
    })
    .await
    .unwrap();
    assert_eq!(targets(&exported_groups(&w, "orphaned")[0]), targets(&tg));
}

#[tokio::test(start_paused = true)]
async fn e_x6_a_dual_stack_service_is_a_build_error() {
    let w = world("v2.1.3").await;
    let svc = service("dual", &[("http", 80, 8080)], &["10.0.1.1"]).replace(
        "  selector: {app: dual}\n",
        "  selector: {app: dual}\n  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv4, IPv6]\n",
    );
    w.apply(A, &svc).await.unwrap();
    w.apply(A, &export("dual", Some(&[(80, "HTTP")]), &[])).await.unwrap();
    w.eventually(WITHIN, || async {
        let e = events(&w, A, "dual").await;
        if e.iter().any(|(_, m)| m.contains("only supports single stack IP addresses")) {
            Ok(())
        } else {
            Err(format!("{e:?}"))
        }
    })
    .await
    .unwrap();
    assert!(exported_groups(&w, "dual").is_empty());
}

#[tokio::test(start_paused = true)]
async fn e_x7_a_selected_port_missing_from_the_slices_gives_an_empty_group() {
    let w = world("v2.1.3").await;
    let svc = service("gap", &[("http", 80, 8080)], &["10.0.1.1"]).replace("  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n", "  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n  - name: metrics\n    port: 9000\n    targetPort: 9000\n");
    w.apply(A, &svc).await.unwrap();
    w.apply(A, &export("gap", None, &[("application-networking.k8s.aws/port", "9000")])).await.unwrap();
    let tg = w
        .eventually(WITHIN, || async { exported_groups(&w, "gap").first().cloned().ok_or("none".to_string()) })
        .await
        .unwrap();
    pass(Duration::from_secs(5)).await;
    assert!(targets(&exported_groups(&w, "gap")[0]).is_empty(), "{tg}");
}

#[tokio::test(start_paused = true)]
async fn e_x8_two_exports_of_one_service_both_get_groups_tagged_with_their_own_names() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("shared", &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
    w.apply(A, &export("one", Some(&[(80, "HTTP")]), &[("application-networking.k8s.aws/service-name", "shared")]))
        .await
        .unwrap();
    w.apply(A, &export("two", Some(&[(80, "HTTP")]), &[("application-networking.k8s.aws/service-name", "shared")]))
        .await
        .unwrap();
    w.eventually(WITHIN, || async {
        if exported_groups(&w, "one").len() == 1 && exported_groups(&w, "two").len() == 1 {
            Ok(())
        } else {
            Err("not both".into())
        }
    })
    .await
    .unwrap();
    // Pod churn reaches only the first export (H-7).
    w.apply(A, &service("shared", &[("http", 80, 8080)], &["10.0.1.7"])).await.unwrap();
    w.eventually(WITHIN, || async {
        if targets(&exported_groups(&w, "one")[0]) == [("10.0.1.7".to_string(), 8080)] {
            Ok(())
        } else {
            Err("one not updated".into())
        }
    })
    .await
    .unwrap();
    pass(Duration::from_secs(60)).await;
    assert_eq!(targets(&exported_groups(&w, "two")[0]), [("10.0.1.1".to_string(), 8080)]);
}

#[tokio::test(start_paused = true)]
async fn e_x9_a_changed_port_creates_a_new_group_and_the_route_keeps_the_old_until_it_reconciles() {
    let w = world("v2.1.3").await;
    let old = exported(&w, A, "moving").await;
    imported(&w, B, "moving-route", "moving", &[]).await;
    forwards_become(&w, vec![(id(&old), 1)]).await;
    w.apply(A, &service("moving", &[("http", 80, 8080), ("alt", 8080, 8080)], &["10.0.1.1", "10.0.1.2"]))
        .await
        .unwrap();
    w.apply(A, &export("moving", Some(&[(8080, "HTTP")]), &[])).await.unwrap();
    w.eventually(WITHIN, || async {
        if exported_groups(&w, "moving").len() == 2 { Ok(()) } else { Err("no new group".into()) }
    })
    .await
    .unwrap();
    pass(Duration::from_secs(90)).await;
    // The old group is in use, so the GC keeps it, and the route still forwards to it.
    assert_eq!(forwards(&w), [(id(&old), 1)]);
    assert_eq!(exported_groups(&w, "moving").len(), 2);
}

#[tokio::test(start_paused = true)]
async fn e_x10_pod_churn_replaces_targets_and_skips_terminating_endpoints() {
    let w = world("v2.1.3").await;
    exported(&w, A, "churn").await;
    let slice = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: churn-1\n  labels: {kubernetes.io/service-name: churn}\naddressType: IPv4\nports:\n- name: http\n  port: 8080\n  protocol: TCP\nendpoints:\n- addresses: [\"10.0.1.2\"]\n  conditions: {ready: true, terminating: true}\n- addresses: [\"10.0.1.3\"]\n  conditions: {ready: false}\n";
    w.apply(A, slice).await.unwrap();
    w.eventually(WITHIN, || async {
        let t = targets(&exported_groups(&w, "churn")[0]);
        if t == [("10.0.1.3".to_string(), 8080)] { Ok(()) } else { Err(format!("{t:?}")) }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn e_x11_a_policy_with_tcp_and_a_protocol_version_is_a_build_error() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("tcp", &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
    w.apply(A, "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: TargetGroupPolicy\nmetadata:\n  name: tcp\nspec:\n  targetRef: {group: application-networking.k8s.aws, kind: ServiceExport, name: tcp}\n  protocol: TCP\n  protocolVersion: HTTP1\n").await.unwrap();
    w.apply(A, &export("tcp", None, &[])).await.unwrap();
    w.eventually(WITHIN, || async {
        let e = events(&w, A, "tcp").await;
        if e.iter().any(|(_, m)| m.contains("protocolVersion is not supported for TCP protocol")) {
            Ok(())
        } else {
            Err(format!("{e:?}"))
        }
    })
    .await
    .unwrap();
    assert!(exported_groups(&w, "tcp").is_empty());
}

#[tokio::test(start_paused = true)]
async fn e_x12_two_controllers_sharing_a_cluster_name_and_vpc_collect_each_others_groups() {
    let mut w = world("v2.1.3").await;
    // Cluster B's controller claims cluster A's name and VPC.
    w.restart_controller(B, |c| {
        c.cluster_name = A.into();
        c.cluster_vpc_id = VPC_A.into();
    })
    .await
    .unwrap();
    exported(&w, A, "claimed").await;
    // B's GC finds no export `default/claimed` in its cluster and deletes A's unused group:
    // the delete is signed by B's controller, and A's controller deletes nothing.
    let b = latticelab::world::access_key_of(B);
    w.eventually(WITHIN, || async {
        if w.sim.call_count_where("DeleteTargetGroup", Some(&b), 0) > 0 { Ok(()) } else { Err("no delete yet".into()) }
    })
    .await
    .unwrap();
    let a = latticelab::world::access_key_of(A);
    assert_eq!(w.sim.call_count_where("DeleteTargetGroup", Some(&a), 0), 0);
}

#[tokio::test(start_paused = true)]
async fn e_i1_an_import_with_no_export_resolves_refs_but_fails_to_deploy() {
    let w = world("v2.1.3").await;
    imported(&w, B, "lonely-route", "nowhere", &[]).await;
    w.eventually(WITHIN, || async {
        let e = events(&w, B, "lonely-route").await;
        if e.iter()
            .any(|(r, m)| r == "FailedDeployModel" && m.contains("target group for service import could not be found"))
        {
            Ok(())
        } else {
            Err(format!("{e:?}"))
        }
    })
    .await
    .unwrap();
    let conditions = route_conditions(&w, B, "lonely-route").await;
    assert!(conditions.contains(&("ResolvedRefs".into(), "True".into(), "ResolvedRefs".into())), "{conditions:?}");
    // Partial state: the service and its listener exist, no rule forwards.
    let state = w.lattice_state();
    assert_eq!(state["services"].as_object().unwrap().len(), 1);
    assert_eq!(state["listeners"].as_object().unwrap().len(), 1);
    assert!(forwards(&w).is_empty());
}

#[tokio::test(start_paused = true)]
async fn e_i2_no_import_object_is_backend_not_found_yet_traffic_flows() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "ghost").await;
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &route("ghost-route", &[("ServiceImport", "ghost", 1)])).await.unwrap();
    forwards_become(&w, vec![(id(&tg), 1)]).await;
    let conditions = route_conditions(&w, B, "ghost-route").await;
    assert!(conditions.contains(&("ResolvedRefs".into(), "False".into(), "BackendNotFound".into())), "{conditions:?}");
}

#[tokio::test(start_paused = true)]
async fn e_i3_the_first_match_in_list_order_wins_silently() {
    let w = world("v2.1.3").await;
    let first = exported(&w, A, "twin").await;
    let second = exported(&w, B, "twin").await;
    imported(&w, B, "twin-route", "twin", &[]).await;
    let listed = w.lattice().list_target_groups().send().await.unwrap().items.unwrap_or_default();
    let order: Vec<String> =
        listed.iter().filter_map(|t| t.id.clone()).filter(|i| *i == id(&first) || *i == id(&second)).collect();
    forwards_become(&w, vec![(order[0].clone(), 1)]).await;
}

#[tokio::test(start_paused = true)]
async fn e_i4_a_multi_protocol_export_gives_the_first_group_whatever_the_route() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("poly", &[("http", 80, 8080), ("grpc", 81, 8081)], &["10.0.1.1"])).await.unwrap();
    w.apply(A, &export("poly", Some(&[(80, "HTTP"), (81, "GRPC")]), &[])).await.unwrap();
    let groups = w
        .eventually(WITHIN, || async {
            let g = exported_groups(&w, "poly");
            if g.len() == 2 { Ok(g) } else { Err(format!("{}", g.len())) }
        })
        .await
        .unwrap();
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &import("poly", &[])).await.unwrap();
    w.apply(B, "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata:\n  name: poly-grpc\nspec:\n  parentRefs:\n  - name: my-hotel\n    sectionName: http\n  rules:\n  - backendRefs:\n    - {kind: ServiceImport, name: poly, port: 81}\n").await.unwrap();
    // Whichever group ListTargetGroups shows first is taken, HTTP1 or GRPC alike (H-2).
    let listed = w.lattice().list_target_groups().send().await.unwrap().items.unwrap_or_default();
    let first = listed.iter().filter_map(|t| t.id.clone()).find(|i| groups.iter().any(|g| id(g) == *i)).unwrap();
    forwards_become(&w, vec![(first, 1)]).await;
}

#[tokio::test(start_paused = true)]
async fn e_i5_the_backend_ref_port_is_ignored() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "porty").await;
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &import("porty", &[])).await.unwrap();
    w.apply(B, &route("porty-route", &[("ServiceImport", "porty", 1)]).replace("port: 80", "port: 9999"))
        .await
        .unwrap();
    forwards_become(&w, vec![(id(&tg), 1)]).await;
}

#[tokio::test(start_paused = true)]
async fn e_i6_a_second_route_cannot_use_the_same_exported_group() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "popular").await;
    imported(&w, B, "first-route", "popular", &[]).await;
    forwards_become(&w, vec![(id(&tg), 1)]).await;
    w.apply(B, &route("second-route", &[("ServiceImport", "popular", 1)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let e = events(&w, B, "second-route").await;
        if e.iter().any(|(r, _)| r == "FailedDeployModel") { Ok(()) } else { Err(format!("{e:?}")) }
    })
    .await
    .unwrap();
    // Retries keep failing: a group serves one service.
    pass(Duration::from_secs(120)).await;
    assert_eq!(forwards(&w), [(id(&tg), 1)], "only the first route forwards to it");
    let services = w.lattice_state()["services"].as_object().map_or(0, |m| m.len());
    assert_eq!(services, 2, "the second route's service is made before its rule fails");
}

#[tokio::test(start_paused = true)]
async fn e_i7_a_group_being_deleted_can_still_be_chosen() {
    let w = world("v2.1.3").await;
    w.sim.configure(|c| c.lifecycle.delete_delay_ms = 600_000);
    let tg = exported(&w, A, "leaving").await;
    w.delete(A, EXPORTS, "ServiceExport", Some("default"), "leaving").await.unwrap();
    w.eventually(WITHIN, || async {
        let g = exported_groups(&w, "leaving");
        if g.first().is_some_and(|g| g["phase"]["status"] == json!("DELETE_IN_PROGRESS")) {
            Ok(())
        } else {
            Err(format!("{g:?}"))
        }
    })
    .await
    .unwrap();
    imported(&w, B, "late-route", "leaving", &[]).await;
    w.eventually(WITHIN, || async {
        let calls = w.sim.journal();
        let chosen =
            calls.entries().iter().any(|e| e.operation == "CreateRule" && e.request.to_string().contains(&id(&tg)));
        if chosen { Ok(()) } else { Err("not chosen yet".into()) }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn e_i8_an_empty_filter_matches_everything_but_still_conflicts_with_an_arn() {
    let w = world("v2.1.3").await;
    let tg = exported(&w, A, "open").await;
    imported(
        &w,
        B,
        "open-route",
        "open",
        &[("application-networking.k8s.aws/aws-vpc", ""), ("application-networking.k8s.aws/aws-eks-cluster-name", "")],
    )
    .await;
    forwards_become(&w, vec![(id(&tg), 1)]).await;
    let arn = tg["arn"].as_str().unwrap().to_string();
    w.apply(
        B,
        &import(
            "open",
            &[
                ("application-networking.k8s.aws/aws-vpc", ""),
                ("application-networking.k8s.aws/target-group-arn", &arn),
            ],
        ),
    )
    .await
    .unwrap();
    w.apply(B, &route("open-route", &[("ServiceImport", "open", 2)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let c = route_conditions(&w, B, "open-route").await;
        if c.contains(&("ResolvedRefs".into(), "False".into(), "ConflictingServiceImportAnnotations".into())) {
            Ok(())
        } else {
            Err(format!("{c:?}"))
        }
    })
    .await
    .unwrap();
}

#[tokio::test(start_paused = true)]
async fn e_i9_every_import_in_every_rule_lists_all_target_groups() {
    let w = world("v2.1.3").await;
    exported(&w, A, "costly").await;
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &import("costly", &[])).await.unwrap();
    let two_rules = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: costly-route\nspec:\n  parentRefs:\n  - name: my-hotel\n    sectionName: http\n  rules:\n  - matches: [{path: {type: PathPrefix, value: /a}}]\n    backendRefs: [{kind: ServiceImport, name: costly, port: 80}]\n  - matches: [{path: {type: PathPrefix, value: /b}}]\n    backendRefs: [{kind: ServiceImport, name: costly, port: 80}]\n";
    let since = w.sim.clock().now_ms();
    w.apply(B, two_rules).await.unwrap();
    w.eventually(WITHIN, || async { if forwards(&w).len() == 2 { Ok(()) } else { Err("rules not there".into()) } })
        .await
        .unwrap();
    // B's controller only, before its GC's first pass could list too.
    assert!(w.sim.clock().now_ms() - since < 30_000, "converged before a GC pass");
    let b = latticelab::world::access_key_of(B);
    assert!(w.sim.call_count_where("ListTargetGroups", Some(&b), since) >= 2, "one full listing per import per rule");
}

#[tokio::test(start_paused = true)]
async fn e_i10_a_cross_namespace_import_matches_exports_of_that_namespace_only() {
    let w = world("v2.1.3").await;
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
    w.apply(A, ns).await.unwrap();
    w.apply(B, ns).await.unwrap();
    let in_shop = |yaml: String| yaml.replacen("metadata:\n", "metadata:\n  namespace: shop\n", 2);
    w.apply(A, &in_shop(service("cart", &[("http", 80, 8080)], &["10.0.1.1"]))).await.unwrap();
    w.apply(A, &in_shop(export("cart", Some(&[(80, "HTTP")]), &[]))).await.unwrap();
    let tg = w
        .eventually(WITHIN, || async { exported_groups(&w, "cart").first().cloned().ok_or("none".to_string()) })
        .await
        .unwrap();
    assert_eq!(tg["tags"]["application-networking.k8s.aws/ServiceNamespace"], "shop");
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &in_shop(import("cart", &[]))).await.unwrap();
    // A backendRef into `default` finds nothing; into `shop` finds the export.
    w.apply(B, &route("cart-default", &[("ServiceImport", "cart", 1)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let e = events(&w, B, "cart-default").await;
        if e.iter().any(|(_, m)| m.contains("could not be found")) { Ok(()) } else { Err(format!("{e:?}")) }
    })
    .await
    .unwrap();
    let cross = route("cart-shop", &[("ServiceImport", "cart", 1)])
        .replace("      port: 80\n", "      namespace: shop\n      port: 80\n");
    w.apply(B, &cross).await.unwrap();
    forwards_become(&w, vec![(id(&tg), 1)]).await;
    let _ = FaultPlan { scope: FaultScope::All, kind: FaultKind::Conflict, trigger: FaultTrigger::Count(0) };
}
