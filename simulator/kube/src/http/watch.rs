//! Watch streams (kube-apiserver.md §6.5): newline-delimited events flushed one by one;
//! synthetic ADDED from "now" or a replay from a resourceVersion; selector transitions
//! (a change that leaves the selector is DELETED); 410 Expired delivered *inside* a 200 stream
//! (kube-runtime relists only then); bookmarks; `timeoutSeconds` honoured exactly and
//! timeout-less streams never closed early.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header;
use serde_json::{Value, json};
use sim_core::FaultKind;
use tokio::sync::{broadcast, mpsc};

use super::table::{self, Include};
use crate::cluster::{Cluster, WatchSignal};
use crate::error::{ApiError, ApiResult};
use crate::meta;
use crate::resource::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{Change, EventType, ListQuery, at_version};

pub struct WatchRequest {
    pub rt: ResourceType,
    pub version: String,
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub resource_version: Option<String>,
    pub timeout: Option<Duration>,
    pub bookmarks: bool,
    pub send_initial_events: bool,
    pub resource_version_match: Option<String>,
    pub table: Option<Include>,
    pub fault: Option<FaultKind>,
}

impl WatchRequest {
    fn matches(&self, obj: &Value) -> bool {
        self.labels.matches(&meta::labels(obj)) && self.fields.matches(obj)
    }

    /// The event a change is, for this watch (or none).
    fn event_for(&self, change: &Change) -> Option<(&'static str, Value)> {
        if change.resource != (self.rt.group.clone(), self.rt.plural.clone()) {
            return None;
        }
        if self.namespace.as_ref().is_some_and(|ns| *ns != change.namespace) {
            return None;
        }
        let now = self.matches(&change.object);
        let before = change.previous.as_ref().is_some_and(|p| self.matches(p));
        match change.type_ {
            EventType::Added => now.then(|| ("ADDED", change.object.clone())),
            EventType::Deleted => (before || now).then(|| ("DELETED", change.object.clone())),
            EventType::Modified => match (before, now) {
                (false, true) => Some(("ADDED", change.object.clone())),
                (true, true) => Some(("MODIFIED", change.object.clone())),
                (true, false) => {
                    // The old content, carrying the new resourceVersion.
                    let mut old = change.previous.clone().expect("matched before");
                    meta::meta_mut(&mut old).insert("resourceVersion".into(), change.rv.to_string().into());
                    Some(("DELETED", old))
                }
                (false, false) => None,
            },
        }
    }

    fn line(&self, type_: &str, object: &Value, now_ms: u64) -> Bytes {
        let object = at_version(object, &self.rt, &self.version);
        let object = match self.table {
            Some(include) if type_ != "BOOKMARK" && type_ != "ERROR" => table::table(
                &self.rt,
                std::slice::from_ref(&object),
                json!({"resourceVersion": object["metadata"]["resourceVersion"]}),
                include,
                now_ms,
            ),
            _ => object,
        };
        let mut line = serde_json::to_vec(&json!({"type": type_, "object": object})).unwrap_or_default();
        line.push(b'\n');
        Bytes::from(line)
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Value {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(&self.version), "metadata": meta})
    }
}

fn error_line(e: &ApiError) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": "ERROR", "object": e.into_status()})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

fn streaming(rx: mpsc::Receiver<Bytes>) -> Response {
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::convert::Infallible>(b), rx))
    });
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(Body::from_stream(stream))
        .expect("a valid response")
}

pub fn serve(cluster: Cluster, request: WatchRequest) -> ApiResult<Response> {
    if request.send_initial_events && request.resource_version_match.as_deref() != Some("NotOlderThan") {
        return Err(ApiError::new(
            422,
            "Invalid",
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ));
    }
    let since = match request.resource_version.as_deref().filter(|v| !v.is_empty()) {
        None | Some("0") => None,
        Some(text) => {
            Some(text.parse::<u64>().map_err(|_| ApiError::bad_request(format!("invalid resource version: {text}")))?)
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let now_ms = cluster.store().clock().now_ms();
    match request.fault {
        Some(FaultKind::WatchDrop) => return Ok(streaming(rx)),
        Some(FaultKind::WatchExpired) => {
            let current = cluster.resource_version();
            let line =
                error_line(&ApiError::expired(format!("too old resource version: {} ({current})", since.unwrap_or(0))));
            let _ = tx.try_send(line);
            return Ok(streaming(rx));
        }
        _ => {}
    }

    // Initial events and the backlog, read under the lock with the subscription.
    let mut initial: Vec<Bytes> = Vec::new();
    let (start_rv, receiver) = {
        let store = cluster.store();
        // A watch that asks for initial events gets the whole current state, whatever version
        // it names: `resourceVersionMatch=NotOlderThan` only says how old that state may not
        // be. client-go's streaming list replaces its informer's store with what comes before
        // the bookmark, so a backlog alone would empty its cache of every object that did not
        // change since (docs/kube.md, "Watches").
        let since = if request.send_initial_events { None } else { since };
        match since {
            None => {
                let query = ListQuery {
                    namespace: request.namespace.clone(),
                    labels: request.labels.clone(),
                    fields: request.fields.clone(),
                    ..ListQuery::default()
                };
                let page = store.list(&request.rt, &request.rt.storage_version, &query)?;
                for item in &page.items {
                    let mut item = item.clone();
                    item["apiVersion"] = request.rt.storage_api_version().into();
                    item["kind"] = request.rt.kind.clone().into();
                    initial.push(request.line("ADDED", &item, now_ms));
                }
                if request.send_initial_events {
                    initial.push(request.line("BOOKMARK", &request.bookmark(page.resource_version, true), now_ms));
                }
                (page.resource_version, store.subscribe())
            }
            Some(rv) => match store.changes_since(rv) {
                Ok((backlog, receiver)) => {
                    let mut last = rv;
                    for change in backlog {
                        if let Some((type_, obj)) = request.event_for(&change) {
                            initial.push(request.line(type_, &obj, now_ms));
                        }
                        last = change.rv;
                    }
                    if request.send_initial_events {
                        initial.push(request.line("BOOKMARK", &request.bookmark(last, true), now_ms));
                    }
                    (last, receiver)
                }
                Err(expired) => {
                    let _ = tx.try_send(error_line(&expired));
                    return Ok(streaming(rx));
                }
            },
        }
    };
    let signal = cluster.inner.watch_signal.subscribe();
    tokio::spawn(pump(cluster, request, initial, start_rv, receiver, signal, tx));
    Ok(streaming(rx))
}

async fn pump(
    cluster: Cluster,
    request: WatchRequest,
    initial: Vec<Bytes>,
    mut last_rv: u64,
    mut changes: broadcast::Receiver<Arc<Change>>,
    mut signal: tokio::sync::watch::Receiver<WatchSignal>,
    tx: mpsc::Sender<Bytes>,
) {
    for line in initial {
        if tx.send(line).await.is_err() {
            return;
        }
    }
    let deadline = request.timeout.map(|t| tokio::time::Instant::now() + t);
    let timeout = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(timeout);
    signal.mark_unchanged();
    loop {
        // Biased: when several are ready at one instant, the same one goes first every run
        // (an unbiased select draws from the process's randomness).
        tokio::select! {
            biased;
            () = &mut timeout => {
                if request.bookmarks {
                    let now_ms = cluster.store().clock().now_ms();
                    let rv = cluster.resource_version().max(last_rv);
                    let _ = tx.send(request.line("BOOKMARK", &request.bookmark(rv, false), now_ms)).await;
                }
                return;
            }
            () = tx.closed() => return,
            changed = signal.changed() => {
                if changed.is_err() {
                    return;
                }
                let value = *signal.borrow_and_update();
                match value {
                    WatchSignal::Drop(_) => return,
                    WatchSignal::Expire(_) => {
                        let current = cluster.resource_version();
                        let _ = tx.send(error_line(&ApiError::expired(format!("too old resource version: {last_rv} ({current})")))).await;
                        return;
                    }
                    WatchSignal::None => {}
                }
            }
            received = changes.recv() => match received {
                Ok(change) => {
                    if change.rv <= last_rv {
                        continue;
                    }
                    last_rv = change.rv;
                    if let Some((type_, obj)) = request.event_for(&change) {
                        let now_ms = cluster.store().clock().now_ms();
                        if tx.send(request.line(type_, &obj, now_ms)).await.is_err() {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // This watcher fell too far behind to replay: make it relist.
                    let current = cluster.resource_version();
                    let _ = tx.send(error_line(&ApiError::expired(format!("too old resource version: {last_rv} ({current})")))).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}
