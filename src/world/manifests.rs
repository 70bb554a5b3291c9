//! Applying YAML manifests to a cluster as `kubectl apply --server-side` would.

use anyhow::{Context as _, bail};
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use serde::Deserialize;
use serde_json::Value;

use super::World;

/// What one manifest document became.
#[derive(Clone, Debug)]
pub struct Applied {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl World {
    fn resource_for(&self, cluster: &str, api_version: &str, kind: &str) -> anyhow::Result<(ApiResource, bool)> {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let rt = self
            .cluster(cluster)?
            .cluster
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

    fn api(
        &self,
        cluster: &str,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> anyhow::Result<(Api<DynamicObject>, bool)> {
        let (ar, namespaced) = self.resource_for(cluster, api_version, kind)?;
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
        let mut applied = Vec::new();
        for (i, doc) in serde_yaml_ng::Deserializer::from_str(yaml).enumerate() {
            let value = Value::deserialize(doc).with_context(|| format!("document {} is not valid YAML", i + 1))?;
            if value.is_null() {
                continue;
            }
            let api_version =
                value["apiVersion"].as_str().with_context(|| format!("document {}: apiVersion is missing", i + 1))?;
            let kind = value["kind"].as_str().with_context(|| format!("document {}: kind is missing", i + 1))?;
            let name = value["metadata"]["name"]
                .as_str()
                .with_context(|| format!("document {}: metadata.name is missing", i + 1))?
                .to_string();
            let namespace = value["metadata"]["namespace"].as_str().map(String::from);
            let (api, namespaced) = self.api(cluster, api_version, kind, namespace.as_deref())?;
            if !namespaced && namespace.is_some() {
                bail!("document {}: {kind} is cluster-scoped but names a namespace", i + 1);
            }
            // Like kubectl, an apply that meets a conflict is tried again (a few times).
            let mut attempt = 0;
            loop {
                match api.patch(&name, &PatchParams::apply(manager).force(), &Patch::Apply(&value)).await {
                    Ok(_) => break,
                    Err(kube::Error::Api(s)) if s.code == 409 && attempt < 5 => attempt += 1,
                    Err(e) => return Err(anyhow::Error::new(e).context(format!("applying {kind} {name} to {cluster}"))),
                }
            }
            applied.push(Applied {
                kind: kind.into(),
                namespace: namespaced.then(|| namespace.unwrap_or_else(|| "default".into())),
                name,
            });
        }
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
        let (api, _) = self.api(cluster, api_version, kind, namespace)?;
        match api.delete(name, &Default::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(e.into()),
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
        let (api, _) = self.api(cluster, api_version, kind, namespace)?;
        api.patch(name, &PatchParams::default(), &Patch::Merge(patch)).await?;
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
        let (api, _) = self.api(cluster, api_version, kind, namespace)?;
        Ok(api.get_opt(name).await?.map(|o| serde_json::to_value(o).unwrap_or_default()))
    }
}
