//! kind clusters, created with the `kind` CLI from `kind-configs/` (one document per cluster,
//! distinct pod and service CIDRs), with our CRDs installed, and deleted after the run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::Value;
use tokio::process::Command;
use tokio::sync::Mutex;

use super::{BackendCluster, BackendKind, BackendOptions, ClusterBackend, Power};
use crate::world::ClusterSpec;

pub struct Kind {
    options: BackendOptions,
    /// The clusters created so far, by world cluster name: kind name and kubeconfig.
    created: Mutex<BTreeMap<String, (String, PathBuf)>>,
}

impl Kind {
    pub fn new(options: BackendOptions) -> Self {
        Self { options, created: Mutex::default() }
    }

    fn config_file(&self) -> PathBuf {
        self.options.kind_config.clone().unwrap_or_else(|| PathBuf::from("kind-configs/three-clusters.yaml"))
    }
}

/// The `index`-th cluster document of a multi-document kind configuration.
pub fn cluster_config(path: &Path, index: usize) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let docs = documents(&text).with_context(|| format!("{}", path.display()))?;
    let count = docs.len();
    docs.into_iter().nth(index).with_context(|| {
        format!("{} describes {count} clusters; the world needs at least {}", path.display(), index + 1)
    })
}

/// The kind `Cluster` documents of a configuration file.
pub fn documents(text: &str) -> anyhow::Result<Vec<Value>> {
    use serde::Deserialize as _;
    let mut out = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(doc).with_context(|| format!("document {} is not valid YAML", i + 1))?;
        if value.is_null() {
            continue;
        }
        anyhow::ensure!(
            value["kind"] == "Cluster" && value["apiVersion"] == "kind.x-k8s.io/v1alpha4",
            "document {} is not a kind.x-k8s.io/v1alpha4 Cluster",
            i + 1
        );
        out.push(value);
    }
    Ok(out)
}

async fn kind(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("kind").args(args).output().await.context("running kind (is it on PATH?)")?;
    anyhow::ensure!(out.status.success(), "kind {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[async_trait::async_trait]
impl ClusterBackend for Kind {
    fn kind(&self) -> BackendKind {
        BackendKind::Kind
    }

    fn powers(&self) -> Vec<Power> {
        vec![Power::ReferenceController, Power::LatticeSimulator]
    }

    fn unavailable(&self) -> Option<String> {
        let version = std::process::Command::new("kind").arg("version").output();
        if !version.is_ok_and(|o| o.status.success()) {
            return Some("the kind CLI is not on PATH".into());
        }
        let images = std::process::Command::new("docker").args(["images", "-q", "kindest/node"]).output();
        match images {
            Err(_) => Some("no docker CLI to run kind's nodes".into()),
            Ok(o) if !o.status.success() => Some("the Docker engine does not answer".into()),
            Ok(o) if o.stdout.is_empty() => {
                Some("no kindest/node image here, and kind cannot run without one (no registry to pull it from)".into())
            }
            Ok(_) => None,
        }
    }

    async fn cluster(
        &self,
        spec: &ClusterSpec,
        index: usize,
        _seed: u64,
        _clock: &sim_core::Clock,
    ) -> anyhow::Result<BackendCluster> {
        let mut created = self.created.lock().await;
        if !created.contains_key(&spec.name) {
            let mut config = cluster_config(&self.config_file(), index)?;
            let name = format!("latticelab-{}", spec.name);
            config["name"] = Value::String(name.clone());
            let dir = self.options.state_dir.join("kind");
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let config_path = dir.join(format!("{name}.yaml"));
            std::fs::write(&config_path, serde_yaml_ng::to_string(&config)?)?;
            let kubeconfig = dir.join(format!("kubeconfig-{name}"));
            let (config_arg, kubeconfig_arg) = (config_path.to_string_lossy(), kubeconfig.to_string_lossy());
            kind(&["create", "cluster", "--name", &name, "--config", &config_arg, "--kubeconfig", &kubeconfig_arg])
                .await?;
            created.insert(spec.name.clone(), (name, kubeconfig));
        }
        let (name, kubeconfig) = created[&spec.name].clone();
        let client = super::kubeconfig::client_for(&kubeconfig, &format!("kind-{name}")).await?;
        super::crds::ensure_crds(&client).await.with_context(|| format!("kind cluster {name}"))?;
        Ok(BackendCluster { client, embedded: None, kubeconfig: Some(kubeconfig), keep_alive: None })
    }

    async fn teardown(&self) -> anyhow::Result<()> {
        if self.options.keep {
            return Ok(());
        }
        let created = std::mem::take(&mut *self.created.lock().await);
        let mut failures = Vec::new();
        for (name, _) in created.values() {
            if let Err(e) = kind(&["delete", "cluster", "--name", name]).await {
                failures.push(format!("{e:#}"));
            }
        }
        anyhow::ensure!(failures.is_empty(), "deleting kind clusters: {}", failures.join("; "));
        Ok(())
    }
}
