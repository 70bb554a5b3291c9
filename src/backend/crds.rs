//! What every real cluster needs before a world can use it: our CRDs (generated from the
//! Rust types, as the embedded clusters serve them) and a kubeconfig an external controller
//! can be pointed at.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use kube::config::Kubeconfig;
use latticelab_crds::Channel;

/// Creates each of our CRDs the cluster does not have yet and waits until all are
/// Established. CRDs that exist are left as they are: on a cluster the real controller's
/// chart installed, its CRDs win.
pub async fn ensure_crds(client: &kube::Client) -> anyhow::Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut names = Vec::new();
    for crd in latticelab_crds::all_crds_for(Channel::Standard) {
        let name = crd.metadata.name.clone().unwrap_or_default();
        if api.get_opt(&name).await.with_context(|| format!("reading CRD {name}"))?.is_none() {
            match api.create(&PostParams::default(), &crd).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 409 => {}
                Err(e) => return Err(anyhow::Error::new(e).context(format!("creating CRD {name}"))),
            }
        }
        names.push(name);
    }
    sim_core::eventually(Duration::from_secs(60), || async {
        for name in &names {
            let crd = api.get(name).await.map_err(|e| format!("{name}: {e}"))?;
            let established = crd
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True");
            if !established {
                return Err(format!("CRD {name} is not Established"));
            }
        }
        Ok(())
    })
    .await
    .map_err(anyhow::Error::new)
}

/// A copy of the kubeconfig at `path` whose current context is `context`, in `dir`: what an
/// external controller process gets as `KUBECONFIG`.
pub fn single_context_kubeconfig(path: &Path, context: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    let mut kubeconfig =
        Kubeconfig::read_from(path).with_context(|| format!("cannot read kubeconfig {}", path.display()))?;
    kubeconfig.current_context = Some(context.into());
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file: String = context.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let out = dir.join(format!("kubeconfig-{file}"));
    std::fs::write(&out, serde_yaml_ng::to_string(&kubeconfig)?)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(out)
}
