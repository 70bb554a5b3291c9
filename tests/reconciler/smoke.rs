use super::support::*;

#[tokio::test(start_paused = true)]
async fn an_export_in_one_cluster_is_the_forward_of_a_route_in_another() {
    let w = world("v2.1.3").await;
    w.apply(A, &service("inventory-ver2", &[("http", 80, 8090)], &["10.244.0.5", "10.244.0.6"])).await.unwrap();
    w.apply(A, &export("inventory-ver2", Some(&[(80, "HTTP")]), &[])).await.unwrap();
    w.apply(B, GATEWAY).await.unwrap();
    w.apply(B, &import("inventory-ver2", &[])).await.unwrap();
    w.apply(B, &route("inventory", &[("ServiceImport", "inventory-ver2", 90)])).await.unwrap();
    let tg = w
        .eventually(WITHIN, || async {
            match exported_groups(&w, "inventory-ver2").as_slice() {
                [one] if targets(one).len() == 2 => Ok(one.clone()),
                other => Err(format!("{} groups", other.len())),
            }
        })
        .await
        .unwrap();
    assert_eq!(tg["config"]["port"], 80);
    assert_eq!(tg["config"]["vpcIdentifier"], VPC_A);
    assert_eq!(targets(&tg), [("10.244.0.5".to_string(), 8090), ("10.244.0.6".to_string(), 8090)]);
    let id = tg["id"].as_str().unwrap().to_string();
    w.eventually(WITHIN, || async {
        let f = forwards(&w);
        if f == [(id.clone(), 90)] { Ok(()) } else { Err(format!("{f:?}")) }
    })
    .await
    .unwrap();
}
