//! One watch per kind, shared by every reconciler that needs it, as controller-runtime's
//! shared informers have it: the real controller opens one watch of Services whichever
//! controllers map them, not one per controller.
//!
//! It matters beyond fidelity: identical watch requests at one virtual instant are
//! indistinguishable to the API server, so which of them a fault would hit depended on which
//! reached it first — the loopback sockets' choice, not the seed's (docs/scenarios.md,
//! "Bundles and replay").

use futures::channel::mpsc;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use tokio::task::JoinHandle;

/// A kind's one watch, reflected into a store, and the subscribers its events go to; it
/// starts when [`SharedWatch::start`] is called, after every subscriber is known.
pub struct SharedWatch<K>
where
    K: kube::Resource + Clone + 'static,
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    api: Api<K>,
    writer: reflector::store::Writer<K>,
    subscribers: Vec<mpsc::UnboundedSender<watcher::Event<K>>>,
}

impl<K> SharedWatch<K>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: std::hash::Hash + Eq + Clone + Default + Send + Sync,
{
    pub fn new(api: Api<K>) -> Self {
        Self::with_dynamic_type(api, K::DynamicType::default())
    }
}

impl<K> SharedWatch<K>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: std::hash::Hash + Eq + Clone + Send + Sync,
{
    pub fn with_dynamic_type(api: Api<K>, dt: K::DynamicType) -> Self {
        Self { api, writer: reflector::store::Writer::new(dt), subscribers: Vec::new() }
    }

    /// What the watch has seen so far, as the reflector keeps it.
    pub fn store(&self) -> Store<K> {
        self.writer.as_reader()
    }

    /// Every event of the watch, in its order, as a watcher stream (so the
    /// [`WatchStreamExt`] adapters apply). The store has taken an event before any
    /// subscriber sees it.
    pub fn subscribe(&mut self) -> impl Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static {
        let (tx, rx) = mpsc::unbounded();
        self.subscribers.push(tx);
        rx.map(Ok)
    }

    /// Runs the watch, with `backoff` between failed attempts, until it is aborted.
    pub fn start(self, backoff: impl kube::runtime::utils::Backoff + 'static) -> JoinHandle<()> {
        let Self { api, writer, subscribers } = self;
        tokio::spawn(async move {
            let mut events: BoxStream<'static, _> =
                watcher(api, watcher::Config::default()).backoff(backoff).reflect(writer).boxed();
            while let Some(event) = events.next().await {
                // Errors are the watcher's to recover from (it backs off and relists).
                if let Ok(event) = event {
                    for subscriber in &subscribers {
                        let _ = subscriber.unbounded_send(event.clone());
                    }
                }
            }
        })
    }
}
