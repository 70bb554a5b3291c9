//! ServiceExport reconcile (controller.md §2.2): federation gate, finalizer, model build,
//! target-group upsert and targets sync, deletion.

use std::sync::Arc;

use crate::workqueue::Action;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use kube::api::{Api, DynamicObject, ListParams};
use latticelab_crds::aws::{ServiceExport, TargetGroupPolicy};

use super::{Context, Involved, add_finalizer, remove_finalizer};
use crate::error::{Error, Result};
use crate::model::TargetGroupModel;
use crate::model::export::{ExportInputs, build, service_name};
use crate::objects::{exports_api, get_export};
use crate::quirks::Quirk;
use crate::tags;

const COMPONENT: &str = "serviceexport";

pub fn key(export: &ServiceExport) -> String {
    format!("ServiceExport/{}/{}", export.namespace().unwrap_or_default(), export.name_any())
}

fn federated(export: &ServiceExport) -> bool {
    export.annotations().get(tags::FEDERATION).map(String::as_str) == Some(tags::FEDERATION_VALUE)
}

pub async fn reconcile(obj: Arc<DynamicObject>, ctx: Arc<Context>) -> Result<Action> {
    let namespace = obj.namespace().unwrap_or_default();
    let api = exports_api(&ctx.kube, &namespace);
    // The cached copy may be stale; act on the stored one (gone: nothing to do).
    let Some((export, stored)) = get_export(&ctx.kube, &namespace, &obj.name_any()).await? else {
        return Ok(Action::await_change());
    };
    let has_finalizer = export.finalizers().iter().any(|f| f == tags::EXPORT_FINALIZER);
    if !federated(&export) {
        // E-X1: ignored. With the annotation removed after the fact the real controller
        // never cleans up (H-3); the fixed profile releases the export.
        if has_finalizer && !ctx.config.quirks.has(Quirk::FederationRemovalStrandsFinalizer) {
            deploy_delete(&export, &ctx).await?;
            remove_finalizer(&api, &stored, tags::EXPORT_FINALIZER).await?;
        }
        return Ok(Action::await_change());
    }
    if export.metadata.deletion_timestamp.is_some() {
        if let Err(e) = deploy_delete(&export, &ctx).await {
            ctx.event(
                Involved::of(&export),
                COMPONENT,
                "Warning",
                "FailedDeployModel",
                &format!("Failed deploy model due to {e}"),
            )
            .await;
            return Err(e);
        }
        if let Err(e) = remove_finalizer(&api, &stored, tags::EXPORT_FINALIZER).await {
            tracing::info!("removing the finalizer of {}: {e}", key(&export));
            if !ctx.config.quirks.has(Quirk::FinalizerRemovalFailureOnlyLogged) {
                return Err(e);
            }
        }
        return Ok(Action::await_change());
    }
    if let Err(e) = add_finalizer(&api, &stored, tags::EXPORT_FINALIZER).await {
        ctx.event(
            Involved::of(&export),
            COMPONENT,
            "Warning",
            "FailedAddFinalizer",
            &format!("Failed add finalizer due to {e}"),
        )
        .await;
        return Err(Error::Deploy("TODO".into()));
    }
    let models = match build_models(&export, &ctx, false).await {
        Ok(models) => models,
        Err(Error::Build(why)) => {
            ctx.event(
                Involved::of(&export),
                COMPONENT,
                "Warning",
                "FailedBuildModel",
                &format!("Failed BuildModel due to {why}"),
            )
            .await;
            if !ctx.config.quirks.has(Quirk::ServiceDeletionLeavesTargets) {
                // Fixed H-4: a missing Service empties its export's target groups.
                deregister_all(&export, &ctx).await?;
            }
            return Err(Error::Build(why));
        }
        Err(e) => return Err(e),
    };
    if let Err(e) = deploy(&models, &ctx).await {
        ctx.event(
            Involved::of(&export),
            COMPONENT,
            "Warning",
            "FailedDeployModel",
            &format!("Failed deploy model due to {e}"),
        )
        .await;
        return Err(e);
    }
    ctx.succeeded(&key(&export));
    Ok(ctx.config.resync.map_or_else(Action::await_change, Action::requeue))
}

/// The export's target-group models, reading its Service, EndpointSlices and policies.
pub async fn build_models(export: &ServiceExport, ctx: &Context, deleting: bool) -> Result<Vec<TargetGroupModel>> {
    let namespace = export.namespace().unwrap_or_default();
    let service_name = service_name(export);
    let service = Api::<Service>::namespaced(ctx.kube.clone(), &namespace).get_opt(&service_name).await?;
    let slices = match &service {
        Some(_) => {
            let selector = format!("kubernetes.io/service-name={service_name}");
            Api::<EndpointSlice>::namespaced(ctx.kube.clone(), &namespace)
                .list(&ListParams::default().labels(&selector))
                .await?
                .items
        }
        None => vec![],
    };
    let policies = Api::<TargetGroupPolicy>::namespaced(ctx.kube.clone(), &namespace)
        .list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    let inputs = ExportInputs { export, service: service.as_ref(), slices: &slices, policies: &policies, deleting };
    build(&inputs).map_err(Error::Build)
}

/// TG upserts for every model first, then the targets of every target group, then one
/// `ListTargets` per target group (post-synthesize) — controller.md §5.1.
pub async fn deploy(models: &[TargetGroupModel], ctx: &Context) -> Result<Vec<String>> {
    let _guard = ctx.gc_lock.read().await;
    let c = &ctx.config;
    let mut ids = Vec::new();
    for model in models {
        let name = ctx.target_group_name(&model.service_namespace, &model.service_name);
        let found =
            ctx.lattice.upsert_target_group(model, name, &c.cluster_name, &c.cluster_vpc_id, &c.managed_by()).await?;
        ids.push(found.id);
    }
    let mut failures = Vec::new();
    for (model, id) in models.iter().zip(&ids) {
        // A Service being deleted builds no targets model: v2.1.3 leaves the targets (H-4);
        // the fixed profile empties the group, as it does for a Service that is gone.
        let targets = match &model.targets {
            Some(targets) => targets.clone(),
            None if !ctx.config.quirks.has(Quirk::ServiceDeletionLeavesTargets) => Vec::new(),
            None => continue,
        };
        if let Err(e) = ctx.lattice.sync_targets(id, &targets).await {
            failures.push(e);
        }
    }
    if let Some(e) = failures.into_iter().next() {
        return Err(e);
    }
    // Post-synthesize: one ListTargets per target group, for the readiness gates of pods
    // that carry the Lattice gate (pods are not modelled, so nothing is ever pending).
    for id in &ids {
        ctx.lattice.list_targets(id).await?;
    }
    Ok(ids)
}

/// Deletes the export's target groups (§2.7).
async fn deploy_delete(export: &ServiceExport, ctx: &Context) -> Result<()> {
    let models = build_models(export, ctx, true).await?;
    let _guard = ctx.gc_lock.read().await;
    let c = &ctx.config;
    for model in &models {
        if let Some(found) = ctx.lattice.find_target_group(model, &c.cluster_name, &c.cluster_vpc_id).await? {
            ctx.lattice.delete_target_group(&found.id).await?;
        }
    }
    Ok(())
}

async fn deregister_all(export: &ServiceExport, ctx: &Context) -> Result<()> {
    let models = build_models(export, ctx, true).await?;
    let c = &ctx.config;
    for model in &models {
        if let Some(found) = ctx.lattice.find_target_group(model, &c.cluster_name, &c.cluster_vpc_id).await? {
            ctx.lattice.sync_targets(&found.id, &[]).await?;
        }
    }
    Ok(())
}
