//! k3s clusters in containers, through testcontainers-modules: one container per world
//! cluster, with distinct pod and service CIDRs, our CRDs installed, removed after the run.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use testcontainers_modules::k3s::{K3s as K3sImage, KUBE_SECURE_PORT};
use testcontainers_modules::testcontainers::runners::AsyncRunner as _;
use testcontainers_modules::testcontainers::{ContainerAsync, ImageExt as _};
use tokio::sync::Mutex;

use super::{BackendCluster, BackendKind, BackendOptions, ClusterBackend, Power};
use crate::world::ClusterSpec;

/// The k3s release: Kubernetes 1.32, the version the embedded clusters report.
pub const K3S_IMAGE: &str = "rancher/k3s";
pub const K3S_TAG: &str = "v1.32.5-k3s1";

pub struct K3s {
    options: BackendOptions,
    started: Mutex<BTreeMap<String, (ContainerAsync<K3sImage>, PathBuf)>>,
}

impl K3s {
    pub fn new(options: BackendOptions) -> Self {
        Self { options, started: Mutex::default() }
    }
}

/// The server arguments of the `index`-th cluster: its own pod and service CIDRs (as the
/// kind configurations give them), no bundled ingress.
pub fn server_args(index: usize) -> Vec<String> {
    let n = 10 * (index + 1);
    vec![
        "server".into(),
        "--snapshotter=native".into(),
        "--disable=traefik".into(),
        format!("--cluster-cidr=10.{n}.0.0/16"),
        format!("--service-cidr=10.{}.0.0/16", 100 + n),
    ]
}

#[async_trait::async_trait]
impl ClusterBackend for K3s {
    fn kind(&self) -> BackendKind {
        BackendKind::K3s
    }

    fn powers(&self) -> Vec<Power> {
        vec![Power::ReferenceController, Power::LatticeSimulator]
    }

    fn unavailable(&self) -> Option<String> {
        let image = format!("{K3S_IMAGE}:{K3S_TAG}");
        match std::process::Command::new("docker").args(["image", "inspect", &image]).output() {
            Err(_) => Some("no docker CLI: k3s runs in a container".into()),
            Ok(o) if o.status.success() => None,
            Ok(o) if String::from_utf8_lossy(&o.stderr).contains("No such image") => {
                Some(format!("no {image} image here (and no registry to pull it from)"))
            }
            Ok(o) => Some(format!("the Docker engine does not answer: {}", String::from_utf8_lossy(&o.stderr).trim())),
        }
    }

    async fn cluster(
        &self,
        spec: &ClusterSpec,
        index: usize,
        _seed: u64,
        _clock: &sim_core::Clock,
    ) -> anyhow::Result<BackendCluster> {
        let mut started = self.started.lock().await;
        if !started.contains_key(&spec.name) {
            let dir = self.options.state_dir.join("k3s").join(&spec.name);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let container = K3sImage::default()
                .with_conf_mount(&dir)
                .with_tag(K3S_TAG)
                .with_cmd(server_args(index))
                .with_privileged(true)
                .with_userns_mode("host")
                .start()
                .await
                .with_context(|| format!("starting k3s for cluster {}", spec.name))?;
            let port = container.get_host_port_ipv4(KUBE_SECURE_PORT).await?;
            let text = container.image().read_kube_config().context("reading k3s.yaml")?;
            // k3s writes its own address; the API is reached through the published port.
            let text = text.replace("https://127.0.0.1:6443", &format!("https://127.0.0.1:{port}"));
            let kubeconfig = dir.join("kubeconfig");
            std::fs::write(&kubeconfig, text)?;
            started.insert(spec.name.clone(), (container, kubeconfig));
        }
        let kubeconfig = started[&spec.name].1.clone();
        let client = super::kubeconfig::client_for(&kubeconfig, "default").await?;
        super::crds::ensure_crds(&client).await.with_context(|| format!("k3s cluster {}", spec.name))?;
        Ok(BackendCluster { client, embedded: None, kubeconfig: Some(kubeconfig), keep_alive: None })
    }

    async fn teardown(&self) -> anyhow::Result<()> {
        let started = std::mem::take(&mut *self.started.lock().await);
        for (name, (container, _)) in started {
            if self.options.keep {
                std::mem::forget(container);
                continue;
            }
            container.rm().await.with_context(|| format!("removing the k3s container of {name}"))?;
        }
        Ok(())
    }
}
