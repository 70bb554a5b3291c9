//! The hazards of controller.md §9, each under profile `v2.1.3` (as the real controller
//! behaves) and profile `fixed`.

use std::time::Duration;

use super::support::*;

const PROFILES: [&str; 2] = ["v2.1.3", "fixed"];

#[tokio::test(start_paused = true)]
async fn h1_the_gc_deletes_unused_groups_of_later_exported_ports() {
    for profile in PROFILES {
        let w = world(profile).await;
        w.apply(A, &service("multi", &[("http", 80, 8080), ("grpc", 81, 8081)], &["10.0.1.1"])).await.unwrap();
        w.apply(A, &export("multi", Some(&[(80, "HTTP"), (81, "GRPC")]), &[])).await.unwrap();
        w.eventually(WITHIN, || async {
            if exported_groups(&w, "multi").len() == 2 { Ok(()) } else { Err("not yet".into()) }
        })
        .await
        .unwrap();
        pass(Duration::from_secs(45)).await;
        let ports: Vec<i64> =
            exported_groups(&w, "multi").iter().map(|g| g["config"]["port"].as_i64().unwrap()).collect();
        match profile {
            "v2.1.3" => assert_eq!(ports, [80], "{profile}: the GC rebuilt from exportedPorts[0] only"),
            _ => assert_eq!(ports.len(), 2, "{profile}: both groups kept"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn h2_import_resolution_ignores_protocol() {
    for profile in PROFILES {
        let w = world(profile).await;
        w.apply(A, &service("poly", &[("http", 80, 8080), ("grpc", 81, 8081)], &["10.0.1.1"])).await.unwrap();
        w.apply(A, &export("poly", Some(&[(80, "HTTP"), (81, "GRPC")]), &[])).await.unwrap();
        let groups = w
            .eventually(WITHIN, || async {
                let g = exported_groups(&w, "poly");
                if g.len() == 2 { Ok(g) } else { Err("not yet".into()) }
            })
            .await
            .unwrap();
        w.apply(B, GATEWAY).await.unwrap();
        w.apply(B, &import("poly", &[])).await.unwrap();
        w.apply(B, "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata:\n  name: poly-grpc\nspec:\n  parentRefs:\n  - name: my-hotel\n    sectionName: http\n  rules:\n  - backendRefs:\n    - {kind: ServiceImport, name: poly, port: 81}\n").await.unwrap();
        let listed = w.lattice().list_target_groups().send().await.unwrap().items.unwrap_or_default();
        let first = listed.iter().filter_map(|t| t.id.clone()).find(|i| groups.iter().any(|g| id(g) == *i)).unwrap();
        let grpc = groups
            .iter()
            .find(|g| g["tags"]["application-networking.k8s.aws/ProtocolVersion"] == "GRPC")
            .map(id)
            .unwrap();
        let expected = if profile == "v2.1.3" { first } else { grpc };
        forwards_become(&w, vec![(expected, 1)]).await;
    }
}

#[tokio::test(start_paused = true)]
async fn h3_removing_the_federation_annotation_strands_the_finalizer() {
    for profile in PROFILES {
        let w = world(profile).await;
        exported(&w, A, "frozen").await;
        w.apply(A, &export("frozen", Some(&[(80, "HTTP")]), &[]).replace("amazon-vpc-lattice", "off")).await.unwrap();
        w.delete(A, EXPORTS, "ServiceExport", Some("default"), "frozen").await.unwrap();
        pass(Duration::from_secs(120)).await;
        let left = finalizers(&w, A, EXPORTS, "ServiceExport", "frozen").await;
        match profile {
            "v2.1.3" => assert_eq!(
                left,
                Some(vec!["serviceexport.k8s.aws/resources".to_string()]),
                "{profile}: stuck in Terminating"
            ),
            _ => assert_eq!(left, None, "{profile}: released and gone"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn h4_a_deleted_service_leaves_stale_targets() {
    for profile in PROFILES {
        let w = world(profile).await;
        exported(&w, A, "orphan").await;
        w.delete(A, "v1", "Service", Some("default"), "orphan").await.unwrap();
        pass(Duration::from_secs(30)).await;
        let left = targets(&exported_groups(&w, "orphan")[0]).len();
        assert_eq!(left, if profile == "v2.1.3" { 2 } else { 0 }, "{profile}");
    }
}

#[tokio::test(start_paused = true)]
async fn h5_resolved_refs_does_not_reflect_import_resolution() {
    for profile in PROFILES {
        let w = world(profile).await;
        imported(&w, B, "lonely", "nowhere", &[]).await;
        let wanted = if profile == "v2.1.3" { ("True", "ResolvedRefs") } else { ("False", "BackendNotFound") };
        w.eventually(WITHIN, || async {
            let c = route_conditions(&w, B, "lonely").await;
            if c.contains(&("ResolvedRefs".into(), wanted.0.into(), wanted.1.into())) {
                Ok(())
            } else {
                Err(format!("{profile}: {c:?}"))
            }
        })
        .await
        .unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn h6_an_import_failure_leaves_a_partial_rule_set() {
    for profile in PROFILES {
        let w = world(profile).await;
        w.apply(B, GATEWAY).await.unwrap();
        w.apply(B, &service("local", &[("http", 80, 8080)], &["10.0.2.1"])).await.unwrap();
        w.apply(B, &import("missing", &[])).await.unwrap();
        let two_rules = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: mixed\nspec:\n  parentRefs:\n  - name: my-hotel\n    sectionName: http\n  rules:\n  - matches: [{path: {type: PathPrefix, value: /remote}}]\n    backendRefs: [{kind: ServiceImport, name: missing, port: 80}]\n  - matches: [{path: {type: PathPrefix, value: /local}}]\n    backendRefs: [{kind: Service, name: local, port: 80}]\n";
        w.apply(B, two_rules).await.unwrap();
        pass(Duration::from_secs(60)).await;
        let rules = forwards(&w).len();
        assert_eq!(rules, if profile == "v2.1.3" { 0 } else { 1 }, "{profile}: rules after the failing one");
    }
}

#[tokio::test(start_paused = true)]
async fn h7_only_the_first_export_of_a_shared_service_follows_it() {
    for profile in PROFILES {
        let w = world(profile).await;
        w.apply(A, &service("shared", &[("http", 80, 8080)], &["10.0.1.1"])).await.unwrap();
        for name in ["one", "two"] {
            w.apply(
                A,
                &export(name, Some(&[(80, "HTTP")]), &[("application-networking.k8s.aws/service-name", "shared")]),
            )
            .await
            .unwrap();
        }
        w.eventually(WITHIN, || async {
            if exported_groups(&w, "two").len() == 1 && exported_groups(&w, "one").len() == 1 {
                Ok(())
            } else {
                Err("no".into())
            }
        })
        .await
        .unwrap();
        w.apply(A, &service("shared", &[("http", 80, 8080)], &["10.0.1.7"])).await.unwrap();
        pass(Duration::from_secs(60)).await;
        let two = targets(&exported_groups(&w, "two")[0]);
        let expected = if profile == "v2.1.3" { "10.0.1.1" } else { "10.0.1.7" };
        assert_eq!(two, [(expected.to_string(), 8080)], "{profile}");
    }
}

#[tokio::test(start_paused = true)]
async fn h8_cached_tags_hide_a_tag_change_for_a_minute() {
    for profile in PROFILES {
        // The cache of lookups exists in Lattice-tagging mode only (docs/controller.md#tag-caches).
        let w = world_tagging_through(profile, sim_controller::TaggingApi::Lattice).await;
        let tg = exported(&w, A, "moved").await;
        // The import wants the export from a cluster whose tag nobody has (yet).
        imported(&w, B, "seeker", "moved", &[("application-networking.k8s.aws/aws-eks-cluster-name", "cluster-x")])
            .await;
        pass(Duration::from_secs(20)).await;
        assert!(forwards(&w).is_empty());
        // The group is retagged as cluster-x's, then the route changes (a reconcile at once).
        let lattice = w.lattice();
        lattice
            .tag_resource()
            .resource_arn(tg["arn"].as_str().unwrap())
            .tags("application-networking.k8s.aws/ClusterName", "cluster-x")
            .send()
            .await
            .unwrap();
        w.apply(B, &route("seeker", &[("ServiceImport", "moved", 2)])).await.unwrap();
        let quick = w
            .eventually(Duration::from_secs(5), || async {
                if forwards(&w) == [(id(&tg), 2)] { Ok(()) } else { Err("not yet".into()) }
            })
            .await;
        match profile {
            "v2.1.3" => assert!(quick.is_err(), "{profile}: the tags cached a minute ago still say cluster-a"),
            _ => assert!(quick.is_ok(), "{profile}: the change is seen at once"),
        }
        forwards_become(&w, vec![(id(&tg), 2)]).await;
    }
}

#[tokio::test(start_paused = true)]
async fn h9_import_changes_do_not_wake_routes_whose_group_was_defaulted() {
    for profile in PROFILES {
        let w = world(profile).await;
        let tg = exported(&w, A, "checkout-cluster1").await;
        imported(&w, B, "checkout-route", "checkout", &[]).await;
        // Let the failing route back off far enough.
        pass(Duration::from_secs(700)).await;
        assert!(forwards(&w).is_empty());
        w.apply(B, &import("checkout", &[("application-networking.k8s.aws/export-name", "checkout-cluster1")]))
            .await
            .unwrap();
        let quick = w
            .eventually(Duration::from_secs(5), || async {
                if forwards(&w) == [(id(&tg), 1)] { Ok(()) } else { Err("not yet".into()) }
            })
            .await;
        match profile {
            "v2.1.3" => assert!(quick.is_err(), "{profile}: the ServiceImport change did not wake the route"),
            _ => assert!(quick.is_ok(), "{profile}: woken at once"),
        }
        // Back-off (capped at 1000 s) brings it round in the end.
        w.eventually(Duration::from_secs(1500), || async {
            if forwards(&w) == [(id(&tg), 1)] { Ok(()) } else { Err("not yet".into()) }
        })
        .await
        .unwrap();
    }
}
