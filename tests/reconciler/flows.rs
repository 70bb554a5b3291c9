//! Whole flows beyond single edge cases: the getting-started multi-cluster walkthrough,
//! the route's success annotations and Gateway status, and the default service network.

use std::time::Duration;

use super::support::*;

#[tokio::test(start_paused = true)]
async fn a_local_service_and_an_import_share_one_weighted_rule() {
    let w = world("v2.1.3").await;
    let remote = exported(&w, A, "inventory-ver2").await;
    w.apply(B, &service("inventory-ver1", &[("http", 80, 8090)], &["10.0.2.1"])).await.unwrap();
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &import("inventory-ver2", &[])).await.unwrap();
    w.apply(B, &route("inventory", &[("Service", "inventory-ver1", 10), ("ServiceImport", "inventory-ver2", 90)]))
        .await
        .unwrap();
    let local = w
        .eventually(WITHIN, || async {
            target_groups(&w)
                .into_iter()
                .find(|g| g["tags"]["application-networking.k8s.aws/SourceTypeKey"] == "HTTPRoute")
                .ok_or("no route group".to_string())
        })
        .await
        .unwrap();
    assert_eq!(local["config"]["port"], 80);
    assert_eq!(local["tags"]["application-networking.k8s.aws/RouteName"], "inventory");
    forwards_become(&w, vec![(id(&local), 10), (id(&remote), 90)]).await;

    // On success the route carries the service's ARN and DNS name, and the Gateway is
    // Programmed with its service network's ARN.
    let route =
        w.get(B, "gateway.networking.k8s.io/v1", "HTTPRoute", Some("default"), "inventory").await.unwrap().unwrap();
    let arn = route["metadata"]["annotations"]["application-networking.k8s.aws/lattice-service-arn"]
        .as_str()
        .unwrap_or_default();
    assert!(arn.starts_with("arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-"), "{arn}");
    let dns = route["metadata"]["annotations"]["application-networking.k8s.aws/lattice-assigned-domain-name"]
        .as_str()
        .unwrap_or_default();
    assert!(dns.starts_with("inventory-default-"), "{dns}");
    let gateway =
        w.get(B, "gateway.networking.k8s.io/v1", "Gateway", Some("default"), "my-hotel").await.unwrap().unwrap();
    let programmed =
        gateway["status"]["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Programmed").unwrap().clone();
    assert_eq!(programmed["status"], "True");
    assert!(
        programmed["message"].as_str().unwrap().starts_with("aws-service-network-arn: arn:aws:vpc-lattice:"),
        "{programmed}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_default_service_network_is_created_associated_and_used_in_override_mode() {
    // Cluster B's VPC is in no network yet (a VPC joins one network at most).
    let mut w =
        latticelab::world::World::start(latticelab::world::WorldConfig::new(&[(A, VPC_A), (B, VPC_B)])).await.unwrap();
    w.service_network("my-hotel", &[A]).await.unwrap();
    w.restart_controller(B, |c| {
        c.default_service_network = "overridden".into();
        c.enable_service_network_override = true;
    })
    .await
    .unwrap();
    let state = w.lattice_state();
    let network = state["serviceNetworks"]
        .as_object()
        .unwrap()
        .values()
        .find(|n| n["name"] == "overridden")
        .cloned()
        .expect("created at start");
    let associated = state["serviceNetworkVpcAssociations"]
        .as_object()
        .unwrap()
        .values()
        .any(|a| a["serviceNetworkId"] == network["id"] && a["vpcId"] == VPC_B);
    assert!(associated, "associated with the cluster's VPC");
    w.apply(B, &service("local", &[("http", 80, 8080)], &["10.0.2.1"])).await.unwrap();
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &route("local", &[("Service", "local", 1)])).await.unwrap();
    w.eventually(WITHIN, || async {
        let joined = w.lattice_state()["serviceNetworkServiceAssociations"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
            .any(|a| a["serviceNetworkId"] == network["id"]);
        if joined { Ok(()) } else { Err("not joined yet".into()) }
    })
    .await
    .unwrap();
    pass(Duration::from_secs(1)).await;
    let only_override = w.lattice_state()["serviceNetworkServiceAssociations"]
        .as_object()
        .unwrap()
        .values()
        .all(|a| a["serviceNetworkId"] == network["id"]);
    assert!(only_override, "the Gateway's own network is not used in override mode");
}
