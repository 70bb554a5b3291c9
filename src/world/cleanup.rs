//! Leaving real clusters as a world found them. Embedded clusters go away with their world;
//! a kind, k3s or kubeconfig cluster is shared by every scenario of a run, so each world
//! removes what it applied (finalizers first: its controllers are stopped by then) and the
//! events recorded about those objects.

use std::time::Duration;

use anyhow::Context as _;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::json;

use super::World;

impl World {
    /// Stops the controllers, then removes from every real cluster what this world applied.
    pub async fn release(&mut self) -> anyhow::Result<()> {
        for c in &mut self.clusters {
            c.controller = None;
            if let Some(process) = &c.external {
                process.stop().await;
            }
        }
        let mut applied = self.applied();
        applied.reverse();
        let mut seen = std::collections::HashSet::new();
        applied.retain(|a| seen.insert(a.clone()));
        let mut problems = Vec::new();
        for (cluster, a) in &applied {
            if self.cluster(cluster)?.embedded.is_some() {
                continue;
            }
            if let Err(e) = self.remove(cluster, a).await {
                problems.push(format!("{cluster}: {} {}: {e:#}", a.kind, a.name));
            }
        }
        if let Some(aws) = &self.config.aws
            && let Err(e) = aws.delete_run().await
        {
            problems.push(format!("AWS: {e:#}"));
        }
        anyhow::ensure!(problems.is_empty(), "cleaning up: {}", problems.join("; "));
        Ok(())
    }

    async fn remove(&self, cluster: &str, a: &super::Applied) -> anyhow::Result<()> {
        let (ar, _) = self.resource_for(cluster, &a.api_version, &a.kind).await?;
        let client = self.kube(cluster)?;
        let api: Api<DynamicObject> = match &a.namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
            None => Api::all_with(client.clone(), &ar),
        };
        let unhold = Patch::Merge(json!({"metadata": {"finalizers": null}}));
        let gone = |r: Result<_, kube::Error>| match r {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(e),
        };
        gone(api.delete(&a.name, &DeleteParams::background()).await.map(|_| ()))?;
        gone(api.patch(&a.name, &PatchParams::default(), &unhold).await.map(|_| ()))?;
        sim_core::eventually(Duration::from_secs(120), || async {
            match api.get_opt(&a.name).await {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err(format!("{} {} is still there", a.kind, a.name)),
                Err(e) => Err(e.to_string()),
            }
        })
        .await?;
        if let Some(ns) = &a.namespace {
            let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client, ns);
            let about =
                ListParams::default().fields(&format!("involvedObject.kind={},involvedObject.name={}", a.kind, a.name));
            if let Ok(list) = events.list(&about).await {
                for e in list.items {
                    let name = e.metadata.name.unwrap_or_default();
                    gone(events.delete(&name, &DeleteParams::default()).await.map(|_| ()))
                        .with_context(|| format!("deleting event {name}"))?;
                }
            }
        }
        Ok(())
    }
}
