//! Object semantics beyond CRUD: dry-run, field selectors, resourceVersion semantics on list,
//! no-op writes, streaming lists, CRDs created at run time, Events through kube-runtime's
//! Recorder, Leases, and the fault plans on the cluster API.

mod common;

use common::{WITHIN, cluster};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, ObjectReference};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, ObjectMeta, Patch, PatchParams, PostParams, VersionMatch, WatchEvent,
    WatchParams,
};
use kube::discovery::ApiResource;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::json;
use sim_core::{FaultKind, FaultPlan, FaultScope, FaultTrigger, eventually};

fn cm(name: &str) -> ConfigMap {
    ConfigMap { metadata: ObjectMeta { name: Some(name.into()), ..Default::default() }, ..Default::default() }
}

fn code(e: kube::Error) -> (u16, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.reason),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn dry_run_stores_nothing_and_takes_no_resource_version() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let before = c.resource_version();
    let dry = PostParams { dry_run: true, ..Default::default() };
    let answered = cms.create(&dry, &cm("dry")).await?;
    assert_eq!(answered.name_any(), "dry");
    assert!(cms.get_opt("dry").await?.is_none());
    assert_eq!(c.resource_version(), before);

    cms.create(&PostParams::default(), &cm("real")).await?;
    let rv = c.resource_version();
    cms.patch("real", &PatchParams { dry_run: true, ..Default::default() }, &Patch::Merge(json!({"data": {"a": "1"}})))
        .await?;
    cms.delete("real", &DeleteParams { dry_run: true, ..Default::default() }).await?;
    assert_eq!(c.resource_version(), rv);
    assert!(cms.get("real").await?.data.is_none());
    Ok(())
}

#[tokio::test]
async fn field_selectors_and_list_resource_version_semantics() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    for n in ["a", "b", "c"] {
        cms.create(&PostParams::default(), &cm(n)).await?;
    }
    let picked = cms.list(&ListParams::default().fields("metadata.name=b")).await?;
    assert_eq!(picked.items.iter().map(|o| o.name_any()).collect::<Vec<_>>(), ["b"]);
    let others = cms.list(&ListParams::default().fields("metadata.name!=b")).await?;
    assert_eq!(others.items.len(), 2);
    assert_eq!(
        code(cms.list(&ListParams::default().fields("data.a=1")).await.unwrap_err()),
        (400, "BadRequest".into())
    );

    let current = c.resource_version().to_string();
    let exact = ListParams::default().at(&current).matching(VersionMatch::Exact);
    assert_eq!(cms.list(&exact).await?.items.len(), 3);
    let stale = ListParams::default().at("1").matching(VersionMatch::Exact);
    assert_eq!(code(cms.list(&stale).await.unwrap_err()), (410, "Expired".into()));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_resource_version_from_the_future_times_out_after_three_seconds() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let ahead = (c.resource_version() + 10).to_string();
    let started = tokio::time::Instant::now();
    let e = cms.list(&ListParams::default().at(&ahead).matching(VersionMatch::NotOlderThan)).await.unwrap_err();
    assert_eq!(code(e), (504, "Timeout".into()));
    assert_eq!(started.elapsed().as_secs(), 3);
    Ok(())
}

#[tokio::test]
async fn no_op_writes_keep_the_version_and_emit_nothing() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let mut first = cm("quiet");
    first.data = Some([("a".to_string(), "1".to_string())].into());
    let created = cms.create(&PostParams::default(), &first).await?;
    let rv = created.resource_version().unwrap();
    let mut events = cms.watch(&WatchParams::default().disable_bookmarks(), &rv).await?.boxed();
    for _ in 0..3 {
        let same = cms.replace("quiet", &PostParams::default(), &created).await?;
        assert_eq!(same.resource_version().as_deref(), Some(rv.as_str()));
    }
    let apply = Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}}));
    let owned = cms.patch("quiet", &PatchParams::apply("mgr").force(), &apply).await?;
    for _ in 0..3 {
        let again = cms.patch("quiet", &PatchParams::apply("mgr").force(), &apply).await?;
        assert_eq!(again.resource_version(), owned.resource_version());
    }
    // The first apply takes ownership (managedFields change: one event); repeats are no-ops.
    cms.patch("quiet", &PatchParams::default(), &Patch::Merge(json!({"data": {"b": "2"}}))).await?;
    let mut seen = Vec::new();
    while let Ok(Ok(Some(event))) = tokio::time::timeout(WITHIN, events.try_next()).await {
        if let WatchEvent::Modified(o) = &event {
            seen.push(o.data.clone().unwrap_or_default().len());
        }
        if seen.last() == Some(&2) {
            break;
        }
    }
    assert_eq!(seen, [1, 2], "one event for the ownership change, one for the real change");
    Ok(())
}

#[tokio::test]
async fn streaming_lists_end_with_the_initial_events_bookmark() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    cms.create(&PostParams::default(), &cm("s1")).await?;
    let stream = watcher(cms.clone(), watcher::Config::default().streaming_lists());
    let mut stream = std::pin::pin!(stream);
    let mut init_done = false;
    let mut applied = Vec::new();
    while let Some(event) = tokio::time::timeout(WITHIN, stream.try_next()).await?? {
        match event {
            watcher::Event::InitApply(o) => applied.push(o.name_any()),
            watcher::Event::InitDone => {
                init_done = true;
                break;
            }
            _ => {}
        }
    }
    assert!(init_done);
    assert_eq!(applied, ["s1"]);
    Ok(())
}

#[tokio::test]
async fn crds_created_at_run_time_are_served_and_deleted_with_their_instances() -> anyhow::Result<()> {
    let c = cluster("a");
    let client = c.client();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object",
                                   "required": ["size"], "properties": {"size": {"type": "integer", "minimum": 1, "default": 3}, "color": {"type": "string", "default": "blue"}}}}}}}]}
    }))?;
    let created = crds.create(&PostParams::default(), &crd).await?;
    let established =
        created.status.unwrap().conditions.unwrap().into_iter().any(|c| c.type_ == "Established" && c.status == "True");
    assert!(established);
    let resource = ApiResource {
        group: "example.com".into(),
        version: "v1".into(),
        api_version: "example.com/v1".into(),
        kind: "Widget".into(),
        plural: "widgets".into(),
    };
    let widgets: Api<DynamicObject> = Api::default_namespaced_with(client.clone(), &resource);
    let w: DynamicObject = serde_json::from_value(
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 2}}),
    )?;
    let stored = widgets.create(&PostParams::default(), &w).await?;
    assert_eq!(stored.data["spec"]["color"], "blue", "schema default applied");
    let bad: DynamicObject = serde_json::from_value(
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "bad"}, "spec": {"size": 0}}),
    )?;
    assert_eq!(code(widgets.create(&PostParams::default(), &bad).await.unwrap_err()), (422, "Invalid".into()));

    crds.delete("widgets.example.com", &DeleteParams::default()).await?;
    assert!(crds.get_opt("widgets.example.com").await?.is_none());
    assert_eq!(code(widgets.list(&ListParams::default()).await.unwrap_err()).0, 404, "the type is no longer served");
    Ok(())
}

#[tokio::test]
async fn events_through_the_recorder_and_leases() -> anyhow::Result<()> {
    let c = cluster("a");
    let client: Client = c.client();
    let recorder = Recorder::new(client.clone(), Reporter { controller: "latticelab-test".into(), instance: None });
    let reference = ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("ConfigMap".into()),
        name: Some("x".into()),
        namespace: Some("default".into()),
        ..Default::default()
    };
    let event = Event {
        type_: EventType::Normal,
        reason: "Synced".into(),
        note: Some("first".into()),
        action: "Sync".into(),
        secondary: None,
    };
    recorder.publish(&event, &reference).await?;
    recorder.publish(&event, &reference).await?;
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::default_namespaced(client.clone());
    let listed = events.list(&ListParams::default()).await?;
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        listed.items[0].series.as_ref().map(|s| s.count),
        Some(2),
        "the repeat is a merge patch on the same event"
    );

    let leases: Api<Lease> = Api::namespaced(client, "kube-system");
    let lease: Lease = serde_json::from_value(
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "leader"}, "spec": {"holderIdentity": "one", "leaseDurationSeconds": 15}}),
    )?;
    let held = leases.create(&PostParams::default(), &lease).await?;
    let mut mine = held.clone();
    mine.spec.as_mut().unwrap().holder_identity = Some("two".into());
    leases.replace("leader", &PostParams::default(), &mine).await?;
    let mut late = held;
    late.spec.as_mut().unwrap().holder_identity = Some("three".into());
    assert_eq!(
        code(leases.replace("leader", &PostParams::default(), &late).await.unwrap_err()).0,
        409,
        "optimistic concurrency keeps leader election safe"
    );
    Ok(())
}

#[tokio::test]
async fn fault_plans_on_the_cluster_api() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    cms.create(&PostParams::default(), &cm("f")).await?;
    // Two conflicts on updates of configmaps, then success.
    c.add_fault(FaultPlan {
        scope: FaultScope::Matching("patch configmaps".into()),
        kind: FaultKind::Conflict,
        trigger: FaultTrigger::Count(2),
    });
    let patch = Patch::Merge(json!({"data": {"x": "1"}}));
    assert_eq!(code(cms.patch("f", &PatchParams::default(), &patch).await.unwrap_err()), (409, "Conflict".into()));
    assert_eq!(code(cms.patch("f", &PatchParams::default(), &patch).await.unwrap_err()), (409, "Conflict".into()));
    cms.patch("f", &PatchParams::default(), &patch).await?;
    // 5xx on every list until the faults are cleared.
    c.add_fault(FaultPlan {
        scope: FaultScope::Matching("list *".into()),
        kind: FaultKind::InternalError { retry_after_secs: None },
        trigger: FaultTrigger::Probability(1.0),
    });
    assert_eq!(code(cms.list(&ListParams::default()).await.unwrap_err()).0, 500);
    assert!(cms.get("f").await.is_ok(), "gets are not covered");
    c.clear_faults();
    assert!(cms.list(&ListParams::default()).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn watch_drops_and_forced_expiry_are_survived_by_the_watcher() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    // A watch fault fires on the next watch request: an immediate end, then an in-stream 410.
    c.add_fault(FaultPlan {
        scope: FaultScope::Matching("watch configmaps".into()),
        kind: FaultKind::WatchDrop,
        trigger: FaultTrigger::Count(1),
    });
    c.add_fault(FaultPlan {
        scope: FaultScope::Matching("watch configmaps".into()),
        kind: FaultKind::WatchExpired,
        trigger: FaultTrigger::Count(1),
    });
    let names = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = names.clone();
    let task = tokio::spawn(
        watcher(cms.clone(), watcher::Config::default()).default_backoff().applied_objects().for_each(move |o| {
            if let Ok(o) = o {
                seen.lock().unwrap().push(o.name_any());
            }
            futures::future::ready(())
        }),
    );
    cms.create(&PostParams::default(), &cm("after-faults")).await?;
    eventually(WITHIN, || async {
        if names.lock().unwrap().iter().any(|n| n == "after-faults") {
            Ok(())
        } else {
            Err(format!("{:?}", names.lock().unwrap()))
        }
    })
    .await?;
    // An established watch dropped by the server: the watcher resumes and loses nothing.
    c.drop_watches();
    cms.create(&PostParams::default(), &cm("after-drop")).await?;
    eventually(WITHIN, || async {
        if names.lock().unwrap().iter().any(|n| n == "after-drop") {
            Ok(())
        } else {
            Err(format!("{:?}", names.lock().unwrap()))
        }
    })
    .await?;
    task.abort();
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn latency_faults_are_virtual_under_a_paused_clock() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    c.add_fault(FaultPlan {
        scope: FaultScope::Matching("get configmaps".into()),
        kind: FaultKind::Latency { delay_ms: 5_000 },
        trigger: FaultTrigger::Count(1),
    });
    cms.create(&PostParams::default(), &cm("slow")).await?;
    let started = tokio::time::Instant::now();
    cms.get("slow").await?;
    assert_eq!(started.elapsed().as_secs(), 5);
    Ok(())
}

#[tokio::test]
async fn the_experimental_channel_serves_more_kinds_and_versions() -> anyhow::Result<()> {
    let mut config = sim_kube::ClusterConfig::new("x", "vpc-0aaaaaaaaaaaaaaa1", 0);
    config.gateway_api_channel = latticelab_crds::Channel::Experimental;
    let c = sim_kube::Cluster::new(config).map_err(anyhow::Error::msg)?;
    let discovery = kube::Discovery::new(c.client()).run().await?;
    let group = discovery.get("gateway.networking.k8s.io").expect("served");
    let kinds: Vec<String> = group.versioned_resources("v1alpha2").into_iter().map(|(r, _)| r.kind).collect();
    assert!(kinds.contains(&"TCPRoute".to_string()) && kinds.contains(&"UDPRoute".to_string()), "{kinds:?}");
    let tls_v1alpha2 = ApiResource {
        group: "gateway.networking.k8s.io".into(),
        version: "v1alpha2".into(),
        api_version: "gateway.networking.k8s.io/v1alpha2".into(),
        kind: "TLSRoute".into(),
        plural: "tlsroutes".into(),
    };
    let routes: Api<DynamicObject> = Api::default_namespaced_with(c.client(), &tls_v1alpha2);
    let route: DynamicObject = serde_json::from_value(
        json!({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TLSRoute", "metadata": {"name": "t"},
        "spec": {"hostnames": ["a.example.com"], "parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "svc", "port": 443}]}]}}),
    )?;
    let stored = routes.create(&PostParams::default(), &route).await?;
    assert_eq!(stored.data["spec"]["rules"][0]["backendRefs"][0]["kind"], "Service");
    // Read back through the storage version.
    let v1 = ApiResource { version: "v1".into(), api_version: "gateway.networking.k8s.io/v1".into(), ..tls_v1alpha2 };
    let through_v1: Api<DynamicObject> = Api::default_namespaced_with(c.client(), &v1);
    assert_eq!(through_v1.get("t").await?.types.unwrap().api_version, "gateway.networking.k8s.io/v1");
    Ok(())
}
