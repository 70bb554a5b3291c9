//! Applying YAML manifests to a cluster as `kubectl apply --server-side` would.

use anyhow::{Context as _, bail};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::discovery::Scope;
use serde::Deserialize;
use serde_json::Value;

use super::World;

/// A Kubernetes client error as a sentence: an API server's refusal as its code, reason and
/// message (kube's own display repeats the whole `Status` in debug form).
pub fn kube_error(e: kube::Error) -> anyhow::Error {
    match e {
        kube::Error::Api(status) => {
            let mut text = format!("{} {}: {}", status.code, status.reason, status.message);
            if status.message.is_empty() {
                text = format!("{} {}", status.code, status.reason);
            }
            anyhow::anyhow!(text)
        }
        other => anyhow::Error::new(other),
    }
}

/// What one manifest document became.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Applied {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl World {
    /// The API resource of `kind` in `api_version` and whether it is namespaced: from the
    /// embedded cluster's registry, else from discovery (remembered per world).
    pub(crate) async fn resource_for(
        &self,
        cluster: &str,
        api_version: &str,
        kind: &str,
    ) -> anyhow::Result<(ApiResource, bool)> {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let wc = self.cluster(cluster)?;
        let Some(sim) = &wc.embedded else {
            let key = (cluster.to_string(), api_version.to_string(), kind.to_string());
            if let Some(found) = self.discovered.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
                return Ok(found.clone());
            }
            let gvk = GroupVersionKind::gvk(group, version, kind);
            let (ar, caps) = kube::discovery::pinned_kind(&wc.client, &gvk)
                .await
                .with_context(|| format!("no kind {kind} in {api_version} on cluster {cluster}"))?;
            let found = (ar, caps.scope == Scope::Namespaced);
            self.discovered.lock().unwrap_or_else(|e| e.into_inner()).insert(key, found.clone());
            return Ok(found);
        };
        let rt = sim
            .resource_types()
            .into_iter()
            .find(|rt| rt.group == group && rt.kind == kind && rt.versions.iter().any(|v| v == version))
            .with_context(|| format!("no kind {kind} in {api_version} on cluster {cluster}"))?;
        let ar = ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: api_version.into(),
            kind: kind.into(),
            plural: rt.plural.clone(),
        };
        Ok((ar, rt.namespaced))
    }

    async fn api(
        &self,
        cluster: &str,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> anyhow::Result<(Api<DynamicObject>, bool)> {
        let (ar, namespaced) = self.resource_for(cluster, api_version, kind).await?;
        let client = self.kube(cluster)?;
        let api = if namespaced {
            Api::namespaced_with(client, namespace.unwrap_or("default"), &ar)
        } else {
            Api::all_with(client, &ar)
        };
        Ok((api, namespaced))
    }

    /// Applies every document of `yaml` to `cluster` (server-side apply, field manager
    /// `latticelab`, forced), in order.
    pub async fn apply(&self, cluster: &str, yaml: &str) -> anyhow::Result<Vec<Applied>> {
        self.apply_as(cluster, yaml, "latticelab").await
    }

    /// [`World::apply`] under another field manager: the same content applied by a second
    /// manager changes `managedFields`, so watchers see a MODIFIED event with an unchanged spec.
    pub async fn apply_as(&self, cluster: &str, yaml: &str, manager: &str) -> anyhow::Result<Vec<Applied>> {
        let mut documents = Vec::new();
        for (i, doc) in serde_yaml_ng::Deserializer::from_str(yaml).enumerate() {
            let value = Value::deserialize(doc).with_context(|| format!("document {} is not valid YAML", i + 1))?;
            if !value.is_null() {
                documents.push(value);
            }
        }
        self.apply_documents_as(cluster, &documents, manager).await
    }

    /// [`World::apply`] of documents already parsed.
    pub async fn apply_documents(&self, cluster: &str, documents: &[Value]) -> anyhow::Result<Vec<Applied>> {
        self.apply_documents_as(cluster, documents, "latticelab").await
    }

    async fn apply_documents_as(
        &self,
        cluster: &str,
        documents: &[Value],
        manager: &str,
    ) -> anyhow::Result<Vec<Applied>> {
        let mut applied = Vec::new();
        for (i, value) in documents.iter().enumerate() {
            let api_version =
                value["apiVersion"].as_str().with_context(|| format!("document {}: apiVersion is missing", i + 1))?;
            let kind = value["kind"].as_str().with_context(|| format!("document {}: kind is missing", i + 1))?;
            let name = value["metadata"]["name"]
                .as_str()
                .with_context(|| format!("document {}: metadata.name is missing", i + 1))?
                .to_string();
            let namespace = value["metadata"]["namespace"].as_str().map(String::from);
            let (api, namespaced) = self
                .api(cluster, api_version, kind, namespace.as_deref())
                .await
                .with_context(|| format!("document {}", i + 1))?;
            if !namespaced && namespace.is_some() {
                bail!("document {}: {kind} is cluster-scoped but names a namespace", i + 1);
            }
            // Like kubectl, an apply that meets a conflict is tried again (a few times).
            let mut attempt = 0;
            loop {
                match api.patch(&name, &PatchParams::apply(manager).force(), &Patch::Apply(value)).await {
                    Ok(_) => break,
                    Err(kube::Error::Api(s)) if s.code == 409 && attempt < 5 => attempt += 1,
                    Err(e) => return Err(kube_error(e).context(format!("applying {kind} {name} to {cluster}"))),
                }
            }
            applied.push(Applied {
                api_version: api_version.into(),
                kind: kind.into(),
                namespace: namespaced.then(|| namespace.unwrap_or_else(|| "default".into())),
                name,
            });
        }
        let mut record = self.applied.lock().unwrap_or_else(|e| e.into_inner());
        record.extend(applied.iter().map(|a| (cluster.to_string(), a.clone())));
        Ok(applied)
    }

    /// Deletes one object (404 is not an error).
    pub async fn delete(
        &self,
        cluster: &str,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> anyhow::Result<()> {
        let (api, _) = self.api(cluster, api_version, kind, namespace).await?;
        match api.delete(name, &Default::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(kube_error(e).context(format!("deleting {kind} {name} from {cluster}"))),
        }
    }

    /// A JSON merge patch on one object.
    pub async fn patch(
        &self,
        cluster: &str,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        patch: &Value,
    ) -> anyhow::Result<()> {
        let (api, _) = self.api(cluster, api_version, kind, namespace).await?;
        api.patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .map_err(|e| kube_error(e).context(format!("patching {kind} {name} in {cluster}")))?;
        Ok(())
    }

    /// One object as JSON, if it exists.
    pub async fn get(
        &self,
        cluster: &str,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> anyhow::Result<Option<Value>> {
        let (api, _) = self.api(cluster, api_version, kind, namespace).await?;
        let got = api
            .get_opt(name)
            .await
            .map_err(|e| kube_error(e).context(format!("reading {kind} {name} in {cluster}")))?;
        Ok(got.map(|o| serde_json::to_value(o).unwrap_or_default()))
    }
}

impl World {
    /// Every object of `kind` on `cluster`, across namespaces, as JSON in key order.
    pub async fn objects(&self, cluster: &str, api_version: &str, kind: &str) -> anyhow::Result<Vec<Value>> {
        let (ar, _) = self.resource_for(cluster, api_version, kind).await?;
        let wc = self.cluster(cluster)?;
        if let Some(sim) = &wc.embedded {
            return Ok(sim.objects(&ar.group, &ar.plural));
        }
        let api: Api<DynamicObject> = Api::all_with(wc.client.clone(), &ar);
        let list = api.list(&Default::default()).await.with_context(|| format!("listing {kind} on {cluster}"))?;
        let mut out: Vec<Value> = list
            .items
            .into_iter()
            .map(|mut o| {
                // Items of a list carry no type; the embedded store's objects do.
                o.types = Some(kube::api::TypeMeta { api_version: api_version.into(), kind: kind.into() });
                serde_json::to_value(o).unwrap_or_default()
            })
            .collect();
        out.sort_by_key(|o| (o["metadata"]["namespace"].to_string(), o["metadata"]["name"].to_string()));
        Ok(out)
    }

    /// Every object of every listable resource on `cluster`, by resource name, as the
    /// embedded store dumps them.
    pub async fn dump(&self, cluster: &str) -> anyhow::Result<Value> {
        let wc = self.cluster(cluster)?;
        if let Some(sim) = &wc.embedded {
            return Ok(sim.dump());
        }
        let discovery = kube::discovery::Discovery::new(wc.client.clone()).run().await.context("discovery")?;
        let mut out = serde_json::Map::new();
        for group in discovery.groups() {
            for (ar, caps) in group.recommended_resources() {
                if !caps.supports_operation(kube::discovery::verbs::LIST) {
                    continue;
                }
                let api: Api<DynamicObject> = Api::all_with(wc.client.clone(), &ar);
                if let Ok(list) = api.list(&Default::default()).await
                    && !list.items.is_empty()
                {
                    let key =
                        if ar.group.is_empty() { ar.plural.clone() } else { format!("{}.{}", ar.plural, ar.group) };
                    out.insert(key, serde_json::to_value(list.items).unwrap_or_default());
                }
            }
        }
        Ok(Value::Object(out))
    }

    /// Replaces the endpoints of Service `namespace/name` (as scaling its pods would): one
    /// ready endpoint per address, on the ports its EndpointSlice already has.
    pub async fn set_endpoints(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
        addresses: &[&str],
    ) -> anyhow::Result<()> {
        let slices = self.objects(cluster, "discovery.k8s.io/v1", "EndpointSlice").await?;
        let slice = slices
            .iter()
            .find(|s| {
                s["metadata"]["namespace"] == namespace && s["metadata"]["labels"]["kubernetes.io/service-name"] == name
            })
            .with_context(|| format!("service {namespace}/{name} in {cluster} has no EndpointSlice"))?;
        let endpoints: Vec<Value> =
            addresses.iter().map(|a| serde_json::json!({"addresses": [a], "conditions": {"ready": true}})).collect();
        let doc = serde_json::json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": slice["metadata"]["name"], "namespace": namespace, "labels": slice["metadata"]["labels"]},
            "addressType": slice["addressType"], "ports": slice["ports"], "endpoints": endpoints});
        self.apply_documents(cluster, &[doc]).await.map(|_| ())
    }

    /// What this world applied, per cluster, in order.
    pub fn applied(&self) -> Vec<(String, Applied)> {
        self.applied.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
