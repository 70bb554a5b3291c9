//! The controllers' work queue, as controller-runtime runs one: keys in the order they were
//! added (a key already waiting is not added twice; a key added while it is being reconciled
//! runs again afterwards), delayed keys in the order they fall due, and one reconcile at a
//! time per controller (`MaxConcurrentReconciles` defaults to 1 in the real controller).
//!
//! kube-runtime's `Controller` runs reconciles concurrently and picks among those ready in
//! hash-map order, which the process seeds at random; a world's timeline must depend on its
//! seed alone, so the order here is a queue's.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::time::Instant;

/// What a reconcile asks for next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Action {
    requeue_after: Option<Duration>,
}

impl Action {
    /// Reconcile again after `duration`, whatever happens meanwhile.
    pub fn requeue(duration: Duration) -> Self {
        Self { requeue_after: Some(duration) }
    }

    /// Reconcile again only when something about the object changes.
    pub fn await_change() -> Self {
        Self { requeue_after: None }
    }

    pub fn requeue_after(&self) -> Option<Duration> {
        self.requeue_after
    }
}

/// The keys waiting for a reconcile.
struct Queue<K: kube::Resource> {
    /// Keys to reconcile now, first in first out.
    ready: VecDeque<String>,
    /// Keys to reconcile later, by when (and then by when they were added).
    later: BTreeMap<(Instant, u64), String>,
    /// When each key in `later` falls due.
    due: HashMap<String, (Instant, u64)>,
    refs: HashMap<String, ObjectRef<K>>,
    added: u64,
}

impl<K: kube::Resource> Queue<K>
where
    K::DynamicType: Clone + Eq + std::hash::Hash,
{
    fn new() -> Self {
        Self { ready: VecDeque::new(), later: BTreeMap::new(), due: HashMap::new(), refs: HashMap::new(), added: 0 }
    }

    fn key(r: &ObjectRef<K>) -> String {
        format!("{}/{}", r.namespace.as_deref().unwrap_or_default(), r.name)
    }

    /// `Add`: at the end of the queue, unless it waits there already.
    fn add(&mut self, r: ObjectRef<K>) {
        let key = Self::key(&r);
        if let Some(at) = self.due.remove(&key) {
            self.later.remove(&at);
        }
        if !self.ready.contains(&key) {
            self.ready.push_back(key.clone());
        }
        self.refs.insert(key, r);
    }

    /// `AddAfter`: due at `at`, unless it is already queued or due sooner.
    fn add_at(&mut self, r: ObjectRef<K>, at: Instant) {
        let key = Self::key(&r);
        if self.ready.contains(&key) || self.due.get(&key).is_some_and(|(t, _)| *t <= at) {
            return;
        }
        if let Some(old) = self.due.remove(&key) {
            self.later.remove(&old);
        }
        self.added += 1;
        self.later.insert((at, self.added), key.clone());
        self.due.insert(key.clone(), (at, self.added));
        self.refs.insert(key, r);
    }

    /// Moves what has fallen due to the end of the queue, in due order.
    fn promote(&mut self, now: Instant) {
        while let Some((&(at, seq), _)) = self.later.first_key_value() {
            if at > now {
                break;
            }
            let key = self.later.remove(&(at, seq)).expect("the first entry");
            self.due.remove(&key);
            if !self.ready.contains(&key) {
                self.ready.push_back(key);
            }
        }
    }

    fn pop(&mut self) -> Option<ObjectRef<K>> {
        let key = self.ready.pop_front()?;
        if self.due.contains_key(&key) { self.refs.get(&key).cloned() } else { self.refs.remove(&key) }
    }

    fn next_due(&self) -> Option<Instant> {
        self.later.first_key_value().map(|((at, _), _)| *at)
    }
}

/// Reconciles, one at a time, the objects `triggers` name, reading each from `store`; what a
/// reconcile returns (or `error_policy`, when it fails) says when to come back. The triggers
/// are drained on a task of their own, so the store keeps up while a reconcile runs.
pub async fn run<K, T, R, RFut, E>(triggers: T, store: Store<K>, reconcile: R, error_policy: E)
where
    K: kube::Resource + Clone + Send + Sync + 'static,
    K::DynamicType: Clone + Eq + std::hash::Hash + Send + Sync,
    T: Stream<Item = ObjectRef<K>> + Send + 'static,
    R: Fn(Arc<K>) -> RFut,
    RFut: Future<Output = Result<Action, crate::error::Error>>,
    E: Fn(&K, &crate::error::Error) -> Action,
{
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let feeder = tokio::spawn(async move {
        let mut triggers = std::pin::pin!(triggers);
        while let Some(r) = triggers.next().await {
            if tx.send(r).is_err() {
                return;
            }
        }
    });
    let _stop_feeder = AbortOnDrop(feeder);
    let mut queue = Queue::<K>::new();
    loop {
        while let Ok(r) = rx.try_recv() {
            queue.add(r);
        }
        queue.promote(Instant::now());
        let Some(r) = queue.pop() else {
            let wake = queue.next_due();
            tokio::select! {
                biased;
                got = rx.recv() => match got {
                    Some(r) => queue.add(r),
                    None => return,
                },
                () = sleep_until(wake) => {}
            }
            continue;
        };
        // An object that is gone from the store has nothing left to reconcile.
        let Some(obj) = store.get(&r) else { continue };
        let next = match reconcile(obj.clone()).await {
            Ok(action) => action,
            Err(e) => error_policy(&obj, &e),
        };
        if let Some(after) = next.requeue_after() {
            queue.add_at(r, Instant::now() + after);
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    fn r(name: &str) -> ObjectRef<ConfigMap> {
        ObjectRef::new(name).within("default")
    }

    #[tokio::test(start_paused = true)]
    async fn keys_come_in_the_order_they_were_added_and_fall_due() {
        let mut q = Queue::<ConfigMap>::new();
        let now = Instant::now();
        q.add(r("b"));
        q.add(r("a"));
        q.add(r("b"));
        q.add_at(r("c"), now + Duration::from_secs(5));
        q.add_at(r("d"), now + Duration::from_secs(2));
        q.add_at(r("c"), now + Duration::from_secs(9));
        assert_eq!(q.pop().map(|r| r.name), Some("b".into()), "first added, once");
        assert_eq!(q.pop().map(|r| r.name), Some("a".into()));
        assert!(q.pop().is_none());
        assert_eq!(q.next_due(), Some(now + Duration::from_secs(2)));
        q.promote(now + Duration::from_secs(6));
        assert_eq!(q.pop().map(|r| r.name), Some("d".into()), "in due order");
        assert_eq!(q.pop().map(|r| r.name), Some("c".into()), "the sooner of two due times");
        assert!(q.next_due().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn an_add_now_overrides_a_later_due_time() {
        let mut q = Queue::<ConfigMap>::new();
        q.add_at(r("a"), Instant::now() + Duration::from_secs(60));
        q.add(r("a"));
        assert_eq!(q.pop().map(|r| r.name), Some("a".into()));
        assert!(q.next_due().is_none(), "no second run at 60 s");
    }
}
