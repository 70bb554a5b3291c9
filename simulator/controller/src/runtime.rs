//! Wiring the reconcilers to the cluster: one shared watch per kind ([`crate::informer`])
//! feeds each controller's work queue ([`crate::workqueue`]); what triggers what
//! (controller.md §2.1, §4.2, H-7, H-9) and the requeue policy (§2.2 step 6).

use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use gateway_api::gateways::Gateway;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::utils::ResetTimerBackoff;
use kube::runtime::watcher::ExponentialBackoff;
use kube::runtime::{WatchStreamExt, watcher};
use latticelab_crds::aws::{ServiceImport, TargetGroupPolicy};
use tokio::task::JoinHandle;

use crate::config::ControllerConfig;
use crate::error::Error;
use crate::informer::SharedWatch;
use crate::model::export::service_name;
use crate::model::route::{Route, RouteKind};
use crate::objects::{export_from, export_resource};
use crate::quirks::Quirk;
use crate::reconcile::{self, Context};
use crate::tags;
use crate::workqueue::{self, Action};

/// A running controller; dropping it stops every loop.
pub struct Running {
    pub context: Arc<Context>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Exports mapped from a Service: the export of the same name, else the exports whose
/// `service-name` annotation names it — only the first of them under H-7.
fn exports_for_service(
    store: &Store<DynamicObject>,
    namespace: &str,
    service: &str,
    first_only: bool,
) -> Vec<ObjectRef<DynamicObject>> {
    let mut exports: Vec<Arc<DynamicObject>> =
        store.state().into_iter().filter(|e| e.namespace().as_deref() == Some(namespace)).collect();
    exports.sort_by_key(|e| e.name_any());
    let r = |e: &DynamicObject| ObjectRef::from_obj_with(e, export_resource());
    if let Some(same) = exports.iter().find(|e| e.name_any() == service) {
        return vec![r(same)];
    }
    let named: Vec<ObjectRef<DynamicObject>> =
        exports.iter().filter(|e| export_from(e).is_ok_and(|x| service_name(&x) == service)).map(|e| r(e)).collect();
    if first_only { named.into_iter().take(1).collect() } else { named }
}

/// Route watch filter: generation, and the standalone / tags / allow-takeover annotations.
fn route_predicate(obj: &DynamicObject) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    obj.metadata.generation.hash(&mut h);
    for key in [tags::STANDALONE, tags::USER_TAGS, tags::ALLOW_TAKEOVER_FROM] {
        obj.annotations().get(key).hash(&mut h);
    }
    obj.metadata.deletion_timestamp.is_some().hash(&mut h);
    Some(h.finish())
}

fn routes_using<F>(store: &Store<DynamicObject>, kind: RouteKind, wanted: F) -> Vec<ObjectRef<DynamicObject>>
where
    F: Fn(&Route) -> bool,
{
    // The store's order is a hash map's: sort, so the queue gets them in one order.
    let mut routes: Vec<Arc<DynamicObject>> = store
        .state()
        .into_iter()
        .filter(|o| wanted(&Route::from_json(kind, &serde_json::to_value(o.as_ref()).unwrap_or_default())))
        .collect();
    routes.sort_by_key(|o| (o.namespace(), o.name_any()));
    routes.iter().map(|o| ObjectRef::from_obj_with(o.as_ref(), reconcile::route::api_resource(kind))).collect()
}

/// The keys a shared watch names through `map`, one stream.
fn mapped<K, T>(
    watch: &mut SharedWatch<K>,
    map: impl Fn(K) -> Vec<ObjectRef<T>> + Send + 'static,
) -> BoxStream<'static, ObjectRef<T>>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: std::hash::Hash + Eq + Clone + Send + Sync,
    T: kube::Resource + 'static,
    T::DynamicType: Send,
{
    watch
        .subscribe()
        .touched_objects()
        .flat_map(move |item| futures::stream::iter(item.map(&map).unwrap_or_default()))
        .boxed()
}

/// The keys of a reflected watch's objects, one stream.
fn primary<K>(
    stream: impl Stream<Item = Result<K, watcher::Error>> + Send + 'static,
    dt: K::DynamicType,
) -> BoxStream<'static, ObjectRef<K>>
where
    K: kube::Resource + Send + 'static,
    K::DynamicType: Clone + Send + Sync,
{
    stream
        .filter_map(move |item| futures::future::ready(item.ok().map(|o| ObjectRef::from_obj_with(&o, dt.clone()))))
        .boxed()
}

fn error_policy_key(ctx: &Context, key: &str, error: &Error) -> Action {
    Action::requeue(ctx.backoff(key, error))
}

/// client-go's reflector back-off (800 ms doubling to 30 s, reset after 120 s of calm), as
/// kube-runtime's `default_backoff` has it but without the jitter: that jitter comes from a
/// process-wide RNG, and a world's timeline must depend on its seed alone.
fn watch_backoff() -> ResetTimerBackoff<ExponentialBackoff> {
    let exponential = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(800))
        .with_max_delay(Duration::from_secs(30))
        .with_factor(2.0)
        .without_max_times();
    ResetTimerBackoff::new(exponential.into(), Duration::from_secs(120))
}

/// Starts every reconciler of one controller instance (and the GC, and the default-network
/// start-up step) against `kube` and `lattice`.
pub async fn start(kube: kube::Client, clients: crate::lattice::AwsClients, config: ControllerConfig) -> Running {
    let ctx = Arc::new(Context::new(kube.clone(), clients, config));
    reconcile::gateway::ensure_default_network(&ctx).await;
    let mut tasks = Vec::new();

    // One watch per kind; every subscriber is known before any watch starts.
    let export_ar = export_resource();
    let mut exports =
        SharedWatch::with_dynamic_type(Api::<DynamicObject>::all_with(kube.clone(), &export_ar), export_ar.clone());
    let mut services = SharedWatch::new(Api::<Service>::all(kube.clone()));
    let mut slices = SharedWatch::new(Api::<EndpointSlice>::all(kube.clone()));
    let mut policies = SharedWatch::new(Api::<TargetGroupPolicy>::all(kube.clone()));
    let mut imports = SharedWatch::new(Api::<ServiceImport>::all(kube.clone()));
    let mut gateways = SharedWatch::new(Api::<Gateway>::all(kube.clone()));

    // ServiceExport, triggered by Services, EndpointSlices and TargetGroupPolicies.
    let store = exports.store();
    let first_only = ctx.config.quirks.has(Quirk::FirstExportOnlyGetsServiceEvents);
    let (s1, s2, s3) = (store.clone(), store.clone(), store.clone());
    let triggers = futures::stream::select_all([
        primary(exports.subscribe().applied_objects(), export_ar.clone()),
        mapped(&mut services, move |svc: Service| {
            exports_for_service(&s1, &svc.namespace().unwrap_or_default(), &svc.name_any(), first_only)
        }),
        mapped(&mut slices, move |slice: EndpointSlice| match slice.labels().get("kubernetes.io/service-name") {
            Some(svc) => exports_for_service(&s2, &slice.namespace().unwrap_or_default(), svc, first_only),
            None => vec![],
        }),
        mapped(&mut policies, move |tgp: TargetGroupPolicy| {
            let ns = tgp.namespace().unwrap_or_default();
            let r = &tgp.spec.target_ref;
            match r.kind.as_str() {
                "ServiceExport" | "Service"
                    if r.kind == "Service" || r.group.is_empty() || r.group == latticelab_crds::aws::GROUP =>
                {
                    let wanted = ObjectRef::new_with(&r.name, export_resource()).within(&ns);
                    s3.get(&wanted)
                        .map(|e| ObjectRef::from_obj_with(e.as_ref(), export_resource()))
                        .into_iter()
                        .collect()
                }
                _ => vec![],
            }
        }),
    ]);
    let export_ctx = ctx.clone();
    tasks.push(tokio::spawn(async move {
        let ctx = export_ctx;
        workqueue::run(
            triggers,
            store,
            |obj| reconcile::export::reconcile(obj, ctx.clone()),
            |obj, err| {
                let key = format!("ServiceExport/{}/{}", obj.namespace().unwrap_or_default(), obj.name_any());
                error_policy_key(&ctx, &key, err)
            },
        )
        .await;
    }));

    // Routes of each kind, filtered by generation and the annotations that matter.
    let mut route_watches = Vec::new();
    for kind in RouteKind::ALL {
        let ar = reconcile::route::api_resource(kind);
        let mut routes = SharedWatch::with_dynamic_type(Api::<DynamicObject>::all_with(kube.clone(), &ar), ar.clone());
        let reader = routes.store();
        // kube-runtime's predicate_filter needs a Default dynamic type, which ApiResource is
        // not; the same filter, by uid, here.
        let seen = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<String, u64>::new()));
        let trigger = routes.subscribe().applied_objects().filter(move |item| {
            let pass = match item {
                Ok(obj) => {
                    let uid = obj.uid().unwrap_or_default();
                    let value = route_predicate(obj);
                    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                    seen.insert(uid, value.unwrap_or_default()) != value
                }
                Err(_) => true,
            };
            futures::future::ready(pass)
        });
        route_watches.push(routes);
        let (r1, r2, r3, r4) = (reader.clone(), reader.clone(), reader.clone(), reader.clone());
        let strict_group = ctx.config.quirks.has(Quirk::ImportEventsNeedExplicitGroup);
        let triggers = futures::stream::select_all([
            primary(trigger, ar.clone()),
            mapped(&mut gateways, move |gw: Gateway| {
                let (ns, name) = (gw.namespace().unwrap_or_default(), gw.name_any());
                routes_using(&r1, kind, |r| r.parent_refs.iter().any(|p| p.name == name && p.namespace == ns))
            }),
            mapped(&mut services, move |svc: Service| {
                let (ns, name) = (svc.namespace().unwrap_or_default(), svc.name_any());
                routes_using(&r2, kind, |r| {
                    r.rules
                        .iter()
                        .flat_map(|x| &x.backend_refs)
                        .any(|b| b.kind == "Service" && b.name == name && b.namespace == ns)
                })
            }),
            mapped(&mut slices, move |slice: EndpointSlice| {
                let ns = slice.namespace().unwrap_or_default();
                let Some(svc) = slice.labels().get("kubernetes.io/service-name").cloned() else { return vec![] };
                routes_using(&r3, kind, |r| {
                    r.rules
                        .iter()
                        .flat_map(|x| &x.backend_refs)
                        .any(|b| b.kind == "Service" && b.name == svc && b.namespace == ns)
                })
            }),
            mapped(&mut imports, move |import: ServiceImport| {
                let (ns, name) = (import.namespace().unwrap_or_default(), import.name_any());
                routes_using(&r4, kind, |r| {
                    r.rules.iter().flat_map(|x| &x.backend_refs).any(|b| {
                        // H-9: only a nil group or our group counts; the CRD defaults it to "".
                        let group_ok = match b.group.as_deref() {
                            None => true,
                            Some(g) => g == latticelab_crds::aws::GROUP || (!strict_group && g.is_empty()),
                        };
                        b.is_import() && group_ok && b.name == name && b.namespace == ns
                    })
                })
            }),
        ]);
        let route_ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            let ctx = route_ctx;
            workqueue::run(
                triggers,
                reader,
                |obj| reconcile::route::reconcile(kind, obj, ctx.clone()),
                |obj, err| {
                    let key = reconcile::route::key(kind, &obj.namespace().unwrap_or_default(), &obj.name_any());
                    error_policy_key(&ctx, &key, err)
                },
            )
            .await;
        }));
    }

    // Gateways.
    let gateway_ctx = ctx.clone();
    let reader = gateways.store();
    let trigger = gateways.subscribe().applied_objects();
    tasks.push(tokio::spawn(async move {
        let ctx = gateway_ctx;
        workqueue::run(
            primary(trigger, ()),
            reader,
            |obj| reconcile::gateway::reconcile(obj, ctx.clone()),
            |obj, err| {
                let key = format!("Gateway/{}/{}", obj.namespace().unwrap_or_default(), obj.name_any());
                error_policy_key(&ctx, &key, err)
            },
        )
        .await;
    }));

    tasks.extend([
        exports.start(watch_backoff()),
        services.start(watch_backoff()),
        slices.start(watch_backoff()),
        policies.start(watch_backoff()),
        imports.start(watch_backoff()),
        gateways.start(watch_backoff()),
    ]);
    tasks.extend(route_watches.into_iter().map(|w| w.start(watch_backoff())));
    tasks.push(tokio::spawn(reconcile::gc::run(ctx.clone())));
    Running { context: ctx, tasks }
}
