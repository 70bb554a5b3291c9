//! Existing clusters named by kubeconfig contexts (EKS, kind, or a `latticelab serve` world):
//! the harness creates only our CRDs, where they are missing, and after each world removes
//! only what that world applied.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::{BackendCluster, BackendKind, BackendOptions, ClusterBackend, Power};
use crate::world::ClusterSpec;

pub struct FromKubeconfig {
    options: BackendOptions,
}

impl FromKubeconfig {
    pub fn new(options: BackendOptions) -> Self {
        Self { options }
    }

    fn path(&self) -> Option<PathBuf> {
        self.options
            .kubeconfig
            .clone()
            // KUBECONFIG may list several files; the first is the one read here.
            .or_else(|| std::env::var("KUBECONFIG").ok()?.split(':').find(|p| !p.is_empty()).map(PathBuf::from))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config")))
    }

    /// The context of cluster `name`: as mapped by `--context name=context`, else its name.
    fn context(&self, name: &str) -> String {
        self.options.contexts.iter().find(|(c, _)| c == name).map(|(_, ctx)| ctx.clone()).unwrap_or_else(|| name.into())
    }
}

/// A client for `context` of the kubeconfig at `path`.
pub async fn client_for(path: &Path, context: &str) -> anyhow::Result<kube::Client> {
    let kubeconfig =
        Kubeconfig::read_from(path).with_context(|| format!("cannot read kubeconfig {}", path.display()))?;
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        let known: Vec<&str> = kubeconfig.contexts.iter().map(|c| c.name.as_str()).collect();
        anyhow::bail!("kubeconfig {} has no context {context:?} (it has {known:?})", path.display());
    }
    let options = KubeConfigOptions { context: Some(context.into()), ..KubeConfigOptions::default() };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .with_context(|| format!("kubeconfig {} context {context}", path.display()))?;
    kube::Client::try_from(config).context("kube client")
}

#[async_trait::async_trait]
impl ClusterBackend for FromKubeconfig {
    fn kind(&self) -> BackendKind {
        BackendKind::Kubeconfig
    }

    fn powers(&self) -> Vec<Power> {
        vec![Power::ReferenceController, Power::LatticeSimulator]
    }

    fn unavailable(&self) -> Option<String> {
        match self.path() {
            None => Some("no kubeconfig: pass --kubeconfig, or set KUBECONFIG or HOME".into()),
            Some(p) if !p.exists() => Some(format!("kubeconfig {} does not exist", p.display())),
            Some(_) => None,
        }
    }

    async fn cluster(
        &self,
        spec: &ClusterSpec,
        _index: usize,
        _seed: u64,
        _clock: &sim_core::Clock,
    ) -> anyhow::Result<BackendCluster> {
        let path = self.path().context("no kubeconfig")?;
        let context = self.context(&spec.name);
        let client = client_for(&path, &context).await.with_context(|| format!("cluster {}", spec.name))?;
        super::crds::ensure_crds(&client).await.with_context(|| format!("cluster {} ({context})", spec.name))?;
        let kubeconfig = super::crds::single_context_kubeconfig(&path, &context, &self.options.state_dir)?;
        Ok(BackendCluster { client, embedded: None, kubeconfig: Some(kubeconfig), keep_alive: None })
    }
}
