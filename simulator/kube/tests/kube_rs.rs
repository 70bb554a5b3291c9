//! kube-rs against an embedded cluster, in-process and over loopback HTTP/HTTPS: CRUD, list
//! pagination, watcher + reflector (with a relist after 410), a Controller with the finalizer
//! helper, server-side apply with and without force, status patches, generation rules, CRD
//! defaulting and validation, garbage collection and namespace deletion.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{WITHIN, cluster};
use futures::{StreamExt, TryStreamExt};
use gateway_api::httproutes::HttpRoute;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::runtime::{Controller, WatchStreamExt, reflector, watcher};
use kube::{Client, ResourceExt};
use latticelab_crds::aws::{ServiceExport, ServiceImport, TargetGroupPolicy};
use serde_json::json;
use sim_core::eventually;

fn config_map(name: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        data: Some([("k".to_string(), "v".to_string())].into()),
        ..Default::default()
    }
}

fn status_code(e: kube::Error) -> u16 {
    match e {
        kube::Error::Api(s) => s.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn crud_conflicts_and_not_found() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let created = cms.create(&PostParams::default(), &config_map("cfg")).await?;
    let rv: u64 = created.resource_version().unwrap().parse()?;
    assert!(created.uid().is_some());
    assert_eq!(status_code(cms.create(&PostParams::default(), &config_map("cfg")).await.unwrap_err()), 409);
    assert_eq!(status_code(cms.get("nope").await.unwrap_err()), 404);
    assert!(cms.get_opt("nope").await?.is_none());

    let mut changed = created.clone();
    changed.data = Some([("k".to_string(), "w".to_string())].into());
    let replaced = cms.replace("cfg", &PostParams::default(), &changed).await?;
    assert!(replaced.resource_version().unwrap().parse::<u64>()? > rv);
    // The first object's RV is now stale: 409 Conflict.
    let e = cms.replace("cfg", &PostParams::default(), &changed).await.unwrap_err();
    assert_eq!(status_code(e), 409);

    // A write that changes nothing keeps the resourceVersion.
    let same = cms.patch("cfg", &PatchParams::default(), &Patch::Merge(json!({"data": {"k": "w"}}))).await?;
    assert_eq!(same.resource_version(), replaced.resource_version());

    cms.delete("cfg", &DeleteParams::default()).await?;
    assert!(cms.get_opt("cfg").await?.is_none());
    Ok(())
}

#[tokio::test]
async fn list_pagination_follows_continue() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::namespaced(c.client(), "kube-public");
    for i in 0..5 {
        cms.create(&PostParams::default(), &config_map(&format!("cm-{i}"))).await?;
    }
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(2);
    loop {
        let page = cms.list(&params).await?;
        names.extend(page.items.iter().map(|o| o.name_any()));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(names, ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"]);
    let labelled = cms.list(&ListParams::default().labels("app=none")).await?;
    assert!(labelled.items.is_empty());
    assert!(labelled.metadata.resource_version.is_some(), "an empty list still carries the RV");
    Ok(())
}

#[tokio::test]
async fn watcher_and_reflector_relist_after_410() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    cms.create(&PostParams::default(), &config_map("one")).await?;

    let inits = Arc::new(AtomicUsize::new(0));
    let (reader, writer) = reflector::store::<ConfigMap>();
    let counted = inits.clone();
    let stream = reflector(writer, watcher(cms.clone(), watcher::Config::default())).inspect(move |e| {
        if matches!(e, Ok(watcher::Event::Init)) {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    let task = tokio::spawn(stream.for_each(|_| async {}));
    let r = reader.clone();
    eventually(WITHIN, || async {
        if r.get(&reflector::ObjectRef::new("one").within("default")).is_some() {
            Ok(())
        } else {
            Err("not yet".into())
        }
    })
    .await?;

    cms.create(&PostParams::default(), &config_map("two")).await?;
    let r = reader.clone();
    eventually(WITHIN, || async {
        if r.state().len() == 2 { Ok(()) } else { Err(format!("{} objects", r.state().len())) }
    })
    .await?;

    // The server forgets its history and expires open watches: the watcher must relist.
    c.expire_watches();
    cms.create(&PostParams::default(), &config_map("three")).await?;
    let (r, i) = (reader.clone(), inits.clone());
    eventually(WITHIN, || async {
        if i.load(Ordering::SeqCst) >= 2 && r.state().len() == 3 {
            Ok(())
        } else {
            Err(format!("inits {}, objects {}", i.load(Ordering::SeqCst), r.state().len()))
        }
    })
    .await?;
    task.abort();
    Ok(())
}

/// A streaming list (`sendInitialEvents=true`) starts with the whole current state even when
/// it names a version: client-go replaces its informer's cache with what comes before the
/// bookmark (docs/kube.md, "Watches").
#[tokio::test(start_paused = true)]
async fn a_streaming_list_that_names_a_version_starts_with_the_whole_state() -> anyhow::Result<()> {
    use kube::api::{WatchEvent, WatchParams};
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    cms.create(&PostParams::default(), &config_map("one")).await?;
    let since = cms.list(&ListParams::default()).await?.metadata.resource_version.unwrap_or_default();
    cms.create(&PostParams::default(), &config_map("two")).await?;

    let stream = cms.watch(&WatchParams::streaming_lists().timeout(5), &since).await?;
    let events: Vec<WatchEvent<ConfigMap>> = stream.try_collect().await?;
    let added: Vec<String> = events
        .iter()
        .take_while(|e| !matches!(e, WatchEvent::Bookmark(_)))
        .filter_map(|e| match e {
            WatchEvent::Added(cm) => Some(cm.name_any()),
            _ => None,
        })
        .collect();
    assert_eq!(added, ["one", "two"], "the initial events are the whole state: {events:?}");
    let end = events.iter().find_map(|e| match e {
        WatchEvent::Bookmark(b) => Some(b.metadata.annotations.get("k8s.io/initial-events-end").cloned()),
        _ => None,
    });
    assert_eq!(end, Some(Some("true".to_string())), "then the bookmark that ends them: {events:?}");
    Ok(())
}

#[tokio::test]
async fn watch_sees_selector_transitions_and_deletions() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let mut labelled = config_map("x");
    labelled.metadata.labels = Some([("app".to_string(), "web".to_string())].into());
    cms.create(&PostParams::default(), &labelled).await?;
    let stream = watcher(cms.clone(), watcher::Config::default().labels("app=web")).touched_objects();
    let mut stream = std::pin::pin!(stream);
    let first = tokio::time::timeout(WITHIN, stream.try_next()).await??.unwrap();
    assert_eq!(first.name_any(), "x");
    let mut raw = cms
        .watch(&kube::api::WatchParams::default().labels("app=web"), &first.resource_version().unwrap())
        .await?
        .boxed();
    cms.patch("x", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"app": "db"}}}))).await?;
    match tokio::time::timeout(WITHIN, raw.try_next()).await??.unwrap() {
        kube::api::WatchEvent::Deleted(o) => assert_eq!(o.labels()["app"], "web", "the old content, with the new RV"),
        other => panic!("leaving the selector is DELETED, got {other:?}"),
    }
    Ok(())
}

#[derive(Default)]
struct Counts {
    applied: AtomicUsize,
    cleaned: AtomicUsize,
}

#[tokio::test]
async fn controller_with_the_finalizer_helper() -> anyhow::Result<()> {
    let c = cluster("a");
    let client = c.client();
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let counts = Arc::new(Counts::default());

    async fn reconcile(
        obj: Arc<ConfigMap>,
        ctx: Arc<(Client, Arc<Counts>)>,
    ) -> Result<Action, kube::runtime::finalizer::Error<kube::Error>> {
        let api: Api<ConfigMap> = Api::namespaced(ctx.0.clone(), &obj.namespace().unwrap());
        let counts = ctx.1.clone();
        finalizer(&api, "latticelab.test/cleanup", obj, |event| async move {
            match event {
                Finalizer::Apply(_) => counts.applied.fetch_add(1, Ordering::SeqCst),
                Finalizer::Cleanup(_) => counts.cleaned.fetch_add(1, Ordering::SeqCst),
            };
            Ok(Action::await_change())
        })
        .await
    }
    fn error_policy(
        _: Arc<ConfigMap>,
        _: &kube::runtime::finalizer::Error<kube::Error>,
        _: Arc<(Client, Arc<Counts>)>,
    ) -> Action {
        Action::requeue(std::time::Duration::from_millis(50))
    }
    let controller = Controller::new(cms.clone(), watcher::Config::default())
        .run(reconcile, error_policy, Arc::new((client.clone(), counts.clone())))
        .for_each(|_| async {});
    let task = tokio::spawn(controller);

    cms.create(&PostParams::default(), &config_map("guarded")).await?;
    eventually(WITHIN, || async {
        let cm = cms.get("guarded").await.map_err(|e| e.to_string())?;
        if cm.finalizers().iter().any(|f| f == "latticelab.test/cleanup") && counts.applied.load(Ordering::SeqCst) > 0 {
            Ok(())
        } else {
            Err("finalizer not added yet".into())
        }
    })
    .await?;

    cms.delete("guarded", &DeleteParams::default()).await?;
    eventually(WITHIN, || async {
        match cms.get_opt("guarded").await.map_err(|e| e.to_string())? {
            None if counts.cleaned.load(Ordering::SeqCst) == 1 => Ok(()),
            other => Err(format!("still there: {:?}", other.map(|o| o.finalizers().to_vec()))),
        }
    })
    .await?;
    task.abort();
    Ok(())
}

#[tokio::test]
async fn server_side_apply_conflicts_force_and_field_removal() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let applied = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "labels": {"owner": "one"}}, "data": {"a": "1", "b": "2"}});
    // Apply creates a missing object.
    let created = cms.patch("ssa", &PatchParams::apply("one"), &Patch::Apply(&applied)).await?;
    assert_eq!(created.data.as_ref().unwrap()["b"], "2");
    let managers: Vec<String> = created.managed_fields().iter().filter_map(|m| m.manager.clone()).collect();
    assert_eq!(managers, ["one"]);

    // Another manager setting a different value conflicts, unless forced.
    let theirs = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "9"}});
    let e = cms.patch("ssa", &PatchParams::apply("two"), &Patch::Apply(&theirs)).await.unwrap_err();
    match e {
        kube::Error::Api(s) => {
            assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
            assert!(s.message.contains("conflict with \"one\": .data.a"), "{}", s.message);
        }
        other => panic!("{other:?}"),
    }
    let forced = cms.patch("ssa", &PatchParams::apply("two").force(), &Patch::Apply(&theirs)).await?;
    assert_eq!(forced.data.as_ref().unwrap()["a"], "9");

    // Manager one stops applying `b` and its label: both go, `a` (now two's) stays.
    let less = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {}});
    let after = cms.patch("ssa", &PatchParams::apply("one"), &Patch::Apply(&less)).await?;
    assert_eq!(
        after.data.clone().unwrap_or_default().into_iter().collect::<Vec<_>>(),
        [("a".to_string(), "9".to_string())]
    );
    assert!(after.labels().get("owner").is_none());
    Ok(())
}

#[tokio::test]
async fn status_subresource_and_generation_rules() -> anyhow::Result<()> {
    let c = cluster("a");
    let client = c.client();
    // TargetGroupPolicy has a status subresource: status writes do not bump generation and
    // the main endpoint ignores status.
    let tgps: Api<TargetGroupPolicy> = Api::default_namespaced(client.clone());
    let tgp: TargetGroupPolicy = serde_json::from_value(json!({
        "apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "TargetGroupPolicy",
        "metadata": {"name": "p"}, "spec": {"targetRef": {"group": "", "kind": "Service", "name": "web"}}
    }))?;
    let created = tgps.create(&PostParams::default(), &tgp).await?;
    assert_eq!(created.metadata.generation, Some(1));
    let status = json!({"status": {"conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}});
    let patched = tgps.patch_status("p", &PatchParams::default(), &Patch::Merge(&status)).await?;
    assert_eq!(patched.metadata.generation, Some(1));
    assert_eq!(patched.status.unwrap().conditions.unwrap()[0].type_, "Accepted");
    let spec_change = json!({"spec": {"protocol": "HTTPS"}, "status": null});
    let bumped = tgps.patch("p", &PatchParams::default(), &Patch::Merge(&spec_change)).await?;
    assert_eq!(bumped.metadata.generation, Some(2));
    assert!(bumped.status.is_some(), "the main endpoint leaves status alone");
    let label_only =
        tgps.patch("p", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}}))).await?;
    assert_eq!(label_only.metadata.generation, Some(2));

    // ServiceExport has no status subresource: /status is 404 and status changes bump generation.
    let exports: Api<ServiceExport> = Api::default_namespaced(client.clone());
    exports.create(&PostParams::default(), &ServiceExport::new("web", Default::default())).await?;
    assert_eq!(status_code(exports.get_status("web").await.unwrap_err()), 404);
    let with_status =
        exports.patch("web", &PatchParams::default(), &Patch::Merge(json!({"status": {"conditions": []}}))).await?;
    assert_eq!(with_status.metadata.generation, Some(2));
    Ok(())
}

/// The API server bumps a set generation when it first sets deletionTimestamp, so a
/// controller watching through a generation-changed predicate sees the deletion; Services,
/// which track no generation, get none.
#[tokio::test]
async fn a_deletion_held_by_a_finalizer_bumps_the_generation_once() -> anyhow::Result<()> {
    let c = cluster("a");
    let exports: Api<ServiceExport> = Api::default_namespaced(c.client());
    let mut held = ServiceExport::new("held", Default::default());
    held.metadata.finalizers = Some(vec!["latticelab.test/hold".into()]);
    assert_eq!(exports.create(&PostParams::default(), &held).await?.metadata.generation, Some(1));
    exports.delete("held", &DeleteParams::default()).await?;
    let deleting = exports.get("held").await?;
    assert!(deleting.metadata.deletion_timestamp.is_some());
    assert_eq!(deleting.metadata.generation, Some(2));
    exports.delete("held", &DeleteParams::default()).await?;
    assert_eq!(exports.get("held").await?.metadata.generation, Some(2), "only the first deletion bumps it");

    let services: Api<Service> = Api::default_namespaced(c.client());
    let mut svc: Service =
        serde_json::from_value(json!({"metadata": {"name": "held", "finalizers": ["latticelab.test/hold"]},
        "spec": {"ports": [{"port": 80}]}}))?;
    svc.metadata.namespace = None;
    services.create(&PostParams::default(), &svc).await?;
    services.delete("held", &DeleteParams::default()).await?;
    assert_eq!(services.get("held").await?.metadata.generation, None);
    Ok(())
}

#[tokio::test]
async fn crd_schemas_default_and_validate() -> anyhow::Result<()> {
    let c = cluster("a");
    let client = c.client();
    // The ServiceImport reference's own example is rejected: its schema requires ports and type.
    let imports: Api<ServiceImport> = Api::default_namespaced(client.clone());
    let bare = json!({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceImport", "metadata": {"name": "inventory"}, "spec": {}});
    let raw: Api<kube::api::DynamicObject> =
        Api::default_namespaced_with(client.clone(), &kube::discovery::ApiResource::erase::<ServiceImport>(&()));
    match raw.create(&PostParams::default(), &serde_json::from_value(bare)?).await.unwrap_err() {
        kube::Error::Api(s) => {
            assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
            assert!(
                s.message.contains("spec.ports: Required value") && s.message.contains("spec.type: Required value"),
                "{}",
                s.message
            );
        }
        other => panic!("{other:?}"),
    }
    let valid = json!({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceImport", "metadata": {"name": "inventory"},
                       "spec": {"type": "ClusterSetIP", "ports": [{"port": 80, "protocol": "TCP"}]}});
    imports.create(&PostParams::default(), &serde_json::from_value(valid)?).await?;

    // An HTTPRoute backendRef gets group "", kind Service, weight 1; a rule with no matches
    // gets the default `/` prefix match.
    let routes: Api<HttpRoute> = Api::default_namespaced(client.clone());
    let route: HttpRoute = serde_json::from_value(json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
        "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "inventory", "port": 80}]}]}
    }))?;
    let stored = routes.create(&PostParams::default(), &route).await?;
    let backend = &stored.spec.rules.as_ref().unwrap()[0].backend_refs.as_ref().unwrap()[0];
    assert_eq!(
        (backend.group.as_deref(), backend.kind.as_deref(), backend.weight),
        (Some(""), Some("Service"), Some(1))
    );
    let parent = &stored.spec.parent_refs.as_ref().unwrap()[0];
    assert_eq!((parent.group.as_deref(), parent.kind.as_deref()), (Some("gateway.networking.k8s.io"), Some("Gateway")));
    let path = stored.spec.rules.as_ref().unwrap()[0].matches.as_ref().unwrap()[0].path.as_ref().unwrap();
    assert_eq!(path.value.as_deref(), Some("/"));

    // A weight out of range names the field.
    let bad = json!({"spec": {"rules": [{"backendRefs": [{"name": "x", "port": 80, "weight": -1}]}]}});
    match routes.patch("r", &PatchParams::default(), &Patch::Merge(&bad)).await.unwrap_err() {
        kube::Error::Api(s) => assert!(s.message.contains("spec.rules[0].backendRefs[0].weight"), "{}", s.message),
        other => panic!("{other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn garbage_collection_of_owned_objects() -> anyhow::Result<()> {
    let c = cluster("a");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    for (owner, propagation) in [("bg", None), ("fg", Some(kube::api::PropagationPolicy::Foreground))] {
        let parent = cms.create(&PostParams::default(), &config_map(owner)).await?;
        let mut child = config_map(&format!("{owner}-child"));
        child.metadata.owner_references = Some(vec![k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: owner.into(),
            uid: parent.uid().unwrap(),
            block_owner_deletion: Some(true),
            ..Default::default()
        }]);
        cms.create(&PostParams::default(), &child).await?;
        let params = DeleteParams { propagation_policy: propagation, ..Default::default() };
        cms.delete(owner, &params).await?;
        assert!(cms.get_opt(&format!("{owner}-child")).await?.is_none(), "{owner}: the dependent is collected");
        assert!(cms.get_opt(owner).await?.is_none(), "{owner}: the owner is gone");
    }
    // Orphan: the dependent stays, without the owner reference.
    let parent = cms.create(&PostParams::default(), &config_map("or")).await?;
    let mut child = config_map("or-child");
    child.metadata.owner_references = Some(vec![k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: "or".into(),
        uid: parent.uid().unwrap(),
        ..Default::default()
    }]);
    cms.create(&PostParams::default(), &child).await?;
    cms.delete(
        "or",
        &DeleteParams { propagation_policy: Some(kube::api::PropagationPolicy::Orphan), ..Default::default() },
    )
    .await?;
    let orphan = cms.get("or-child").await?;
    assert!(orphan.owner_references().is_empty());
    Ok(())
}

#[tokio::test]
async fn namespace_deletion_waits_for_finalizers_then_empties() -> anyhow::Result<()> {
    let c = cluster("a");
    let client = c.client();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &Namespace {
                metadata: ObjectMeta { name: Some("team".into()), ..Default::default() },
                ..Default::default()
            },
        )
        .await?;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
    let mut held = config_map("held");
    held.metadata.finalizers = Some(vec!["latticelab.test/hold".into()]);
    cms.create(&PostParams::default(), &held).await?;
    cms.create(&PostParams::default(), &config_map("free")).await?;

    namespaces.delete("team", &DeleteParams::default()).await?;
    let ns = namespaces.get("team").await?;
    assert_eq!(ns.status.unwrap().phase.as_deref(), Some("Terminating"));
    assert!(cms.get_opt("free").await?.is_none());
    assert!(cms.get("held").await?.metadata.deletion_timestamp.is_some());
    // New content is refused while terminating.
    assert_eq!(status_code(cms.create(&PostParams::default(), &config_map("late")).await.unwrap_err()), 403);

    cms.patch("held", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}}))).await?;
    assert!(namespaces.get_opt("team").await?.is_none());
    Ok(())
}

#[tokio::test]
async fn services_get_cluster_ips_and_defaults() -> anyhow::Result<()> {
    let c = cluster("a");
    let svcs: Api<Service> = Api::default_namespaced(c.client());
    let svc: Service =
        serde_json::from_value(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}))?;
    let created = svcs.create(&PostParams::default(), &svc).await?;
    let spec = created.spec.unwrap();
    assert!(spec.cluster_ip.as_deref().unwrap().starts_with("10.96."), "{:?}", spec.cluster_ip);
    assert_eq!(spec.ip_families, Some(vec!["IPv4".to_string()]));
    assert_eq!(spec.session_affinity.as_deref(), Some("None"));
    assert_eq!(spec.ports.unwrap()[0].protocol.as_deref(), Some("TCP"));
    assert_eq!(created.metadata.generation, None, "Services track no generation");
    // `default/kubernetes` is there from the start.
    assert_eq!(svcs.get("kubernetes").await?.spec.unwrap().cluster_ip.as_deref(), Some("10.96.0.1"));
    Ok(())
}

#[tokio::test]
async fn aggregated_discovery_lists_crds() -> anyhow::Result<()> {
    let c = cluster("a");
    let discovery = kube::Discovery::new(c.client()).run_aggregated().await?;
    let group = discovery.get("application-networking.k8s.aws").expect("the AWS group is served");
    let kinds: Vec<String> = group.recommended_resources().into_iter().map(|(r, _)| r.kind).collect();
    assert!(kinds.contains(&"ServiceExport".to_string()) && kinds.contains(&"ServiceImport".to_string()), "{kinds:?}");
    let legacy = kube::Discovery::new(c.client()).run().await?;
    assert!(legacy.has_group("gateway.networking.k8s.io"));
    Ok(())
}
