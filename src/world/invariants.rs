//! What every converged world satisfies, checked against the spec oracle
//! ([`crate::oracle`]) rather than the reconciler: each federated export's target groups hold
//! exactly the targets its Service's endpoints give on that group's ports; nothing is
//! orphaned; no object is being deleted with no finalizer left.

use serde_json::Value;

use super::World;
use super::view::{LatticeView, TargetGroup};
use crate::oracle;

const EXPORT_API: &str = "application-networking.k8s.aws/v1alpha1";
const FEDERATION: &str = "application-networking.k8s.aws/federation";
const SERVICE_NAME: &str = "application-networking.k8s.aws/service-name";
const PORT: &str = "application-networking.k8s.aws/port";

/// The targets a group of `export` should hold: exportedPorts mode takes the group's own
/// port as the defined set, legacy mode the `port` annotation (`docs/controller.md` §2.4).
fn expected(export: &Value, service: &Value, slices: &[oracle::Slice], group: &TargetGroup) -> Vec<(String, i32)> {
    let exported = export["spec"]["exportedPorts"].as_array().filter(|p| !p.is_empty());
    let defined = match exported {
        Some(_) => vec![group.port.unwrap_or_default()],
        None => oracle::defined_port_set(export["metadata"]["annotations"][PORT].as_str().unwrap_or_default()),
    };
    let mut targets = oracle::expected_targets(&oracle::service_ports(service), slices, &defined);
    // Lattice holds one target per (address, port), however often the endpoints repeat it.
    targets.dedup();
    targets
}

impl World {
    /// Every federated export whose Service is there (and not being deleted) holds, in each
    /// of its target groups, exactly the targets its endpoints give on that group's ports;
    /// targets on their way out (`DRAINING`) are left aside.
    pub async fn lost_targets(&self, view: &LatticeView) -> anyhow::Result<Vec<String>> {
        let mut problems = Vec::new();
        for c in &self.clusters {
            let cluster = c.spec.name.as_str();
            let exports = self.objects(cluster, EXPORT_API, "ServiceExport").await?;
            let services = self.objects(cluster, "v1", "Service").await?;
            let slices = self.objects(cluster, "discovery.k8s.io/v1", "EndpointSlice").await?;
            for export in &exports {
                let meta = &export["metadata"];
                if meta["annotations"][FEDERATION] != "amazon-vpc-lattice" || !meta["deletionTimestamp"].is_null() {
                    continue;
                }
                let (ns, name) =
                    (meta["namespace"].as_str().unwrap_or_default(), meta["name"].as_str().unwrap_or_default());
                let service_name = meta["annotations"][SERVICE_NAME].as_str().unwrap_or(name);
                let Some(service) = services
                    .iter()
                    .find(|s| s["metadata"]["namespace"] == ns && s["metadata"]["name"] == service_name)
                    .filter(|s| s["metadata"]["deletionTimestamp"].is_null())
                else {
                    continue;
                };
                let own: Vec<oracle::Slice> = slices
                    .iter()
                    .filter(|s| {
                        s["metadata"]["namespace"] == ns
                            && s["metadata"]["labels"]["kubernetes.io/service-name"] == service_name
                    })
                    .map(oracle::slice)
                    .collect();
                let groups = view.export_groups(cluster, ns, name);
                if groups.is_empty() {
                    problems.push(format!("{cluster}: export {ns}/{name} has no target group"));
                }
                for g in groups {
                    let want = expected(export, service, &own, g);
                    let mut got: Vec<(String, i32)> = g
                        .targets
                        .iter()
                        .filter(|t| t.status != Some(aws_sdk_vpclattice::types::TargetStatus::Draining))
                        .map(|t| (t.id.clone(), t.port))
                        .collect();
                    got.sort();
                    if got != want {
                        problems.push(format!(
                            "{cluster}: export {ns}/{name} port {} holds {got:?}, its endpoints give {want:?}",
                            g.port.unwrap_or_default()
                        ));
                    }
                }
            }
        }
        Ok(problems)
    }

    /// Everything [`World::lost_targets`] and [`World::orphans`] find, and every object being
    /// deleted with no finalizer left (a real API server removes such an object at once).
    pub async fn invariant_problems(&self, view: &LatticeView) -> anyhow::Result<Vec<String>> {
        let mut problems = self.orphans(view).await?;
        problems.extend(self.lost_targets(view).await?);
        for c in &self.clusters {
            let Some(sim) = &c.embedded else { continue };
            for (resource, objects) in sim.dump().as_object().into_iter().flatten() {
                for o in objects.as_array().into_iter().flatten() {
                    let deleting = !o["metadata"]["deletionTimestamp"].is_null();
                    let held = o["metadata"]["finalizers"].as_array().is_some_and(|f| !f.is_empty())
                        || resource == "namespaces";
                    if deleting && !held {
                        problems.push(format!(
                            "{}: {resource} {} is deleting with no finalizer",
                            c.spec.name, o["metadata"]["name"]
                        ));
                    }
                }
            }
        }
        Ok(problems)
    }
}
