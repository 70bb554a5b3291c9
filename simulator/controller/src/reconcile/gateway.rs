//! Gateway → service network (controller.md §4.1).

use std::sync::Arc;

use crate::workqueue::Action;
use gateway_api::gatewayclasses::GatewayClass;
use gateway_api::gateways::Gateway;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::{Context, add_finalizer, remove_finalizer};
use crate::error::{Error, Result};
use crate::model::route::{Route, RouteKind};

pub const GATEWAY_CONTROLLER: &str = "application-networking.k8s.aws/gateway-api-controller";
pub const FINALIZER: &str = "gateway.k8s.aws/resources";

/// The Gateway (as JSON) if its GatewayClass is ours.
pub async fn controlled_gateway(ctx: &Context, namespace: &str, name: &str) -> Result<Option<Value>> {
    let Some(gateway) = Api::<Gateway>::namespaced(ctx.kube.clone(), namespace).get_opt(name).await? else {
        return Ok(None);
    };
    let class = Api::<GatewayClass>::all(ctx.kube.clone()).get_opt(&gateway.spec.gateway_class_name).await?;
    if class.is_some_and(|c| c.spec.controller_name == GATEWAY_CONTROLLER) {
        Ok(Some(serde_json::to_value(&gateway).map_err(|e| Error::Deploy(e.to_string()))?))
    } else {
        Ok(None)
    }
}

async fn referencing_routes(ctx: &Context, gateway: &Gateway) -> Result<usize> {
    let (ns, name) = (gateway.namespace().unwrap_or_default(), gateway.name_any());
    let mut count = 0;
    for kind in RouteKind::ALL {
        let ar = ApiResource {
            group: "gateway.networking.k8s.io".into(),
            version: "v1".into(),
            api_version: "gateway.networking.k8s.io/v1".into(),
            kind: kind.kind().into(),
            plural: kind.plural().into(),
        };
        let routes = Api::<DynamicObject>::all_with(ctx.kube.clone(), &ar).list(&ListParams::default()).await?;
        for r in routes.items {
            let route = Route::from_json(kind, &serde_json::to_value(&r).unwrap_or_default());
            count += route.parent_refs.iter().filter(|p| p.name == name && p.namespace == ns).count();
        }
    }
    Ok(count)
}

pub async fn reconcile(gateway: Arc<Gateway>, ctx: Arc<Context>) -> Result<Action> {
    let ns = gateway.namespace().unwrap_or_default();
    let api: Api<Gateway> = Api::namespaced(ctx.kube.clone(), &ns);
    let Some(gateway) = api.get_opt(&gateway.name_any()).await? else { return Ok(Action::await_change()) };
    if controlled_gateway(&ctx, &ns, &gateway.name_any()).await?.is_none() {
        return Ok(Action::await_change());
    }
    if gateway.metadata.deletion_timestamp.is_some() {
        if referencing_routes(&ctx, &gateway).await? > 0 {
            return Err(Error::Deploy(format!(
                "cannot delete gateway {ns}/{}: routes still reference it",
                gateway.name_any()
            )));
        }
        remove_finalizer(&api, &gateway, FINALIZER).await?;
        return Ok(Action::await_change());
    }
    add_finalizer(&api, &gateway, FINALIZER).await?;
    let network = ctx.config.override_network().map(String::from).unwrap_or_else(|| gateway.name_any());
    let (status, reason, message) = match ctx.lattice.find_service_network(&network, &ctx.config).await {
        Ok(Some(sn)) => ("True", "Programmed", format!("aws-service-network-arn: {}", sn.arn.unwrap_or_default())),
        Ok(None) => ("False", "Pending", "VPC Lattice Service Network not found".to_string()),
        Err(e) if e.to_string().contains("ErrNameConflict") => ("False", "Invalid", e.to_string()),
        Err(e) => return Err(e),
    };
    let generation = gateway.metadata.generation.unwrap_or(0);
    let now = ctx.config.clock.timestamp().to_string();
    let conditions = json!([
        {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "observedGeneration": generation, "lastTransitionTime": now},
        {"type": "Programmed", "status": status, "reason": reason, "message": message, "observedGeneration": generation, "lastTransitionTime": now},
    ]);
    let current: Vec<(String, String, String)> = gateway
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .map(|cs| cs.iter().map(|c| (c.type_.clone(), c.status.clone(), c.reason.clone())).collect())
        .unwrap_or_default();
    let wanted = vec![
        ("Accepted".to_string(), "True".to_string(), "Accepted".to_string()),
        ("Programmed".into(), status.into(), reason.into()),
    ];
    if current != wanted {
        api.patch_status(
            &gateway.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&json!({"status": {"conditions": conditions}})),
        )
        .await?;
    }
    Ok(Action::await_change())
}

/// Start-up with `DEFAULT_SERVICE_NETWORK`: create it if missing and associate it with our VPC,
/// best effort.
pub async fn ensure_default_network(ctx: &Context) {
    let name = ctx.config.default_service_network.clone();
    if name.is_empty() {
        return;
    }
    let result: Result<()> = async {
        let id = match ctx.lattice.find_service_network(&name, &ctx.config).await? {
            Some(sn) => sn.id.unwrap_or_default(),
            None => ctx
                .lattice
                .client
                .create_service_network()
                .name(&name)
                .send()
                .await
                .map_err(crate::error::aws)?
                .id
                .unwrap_or_default(),
        };
        let associations = ctx
            .lattice
            .client
            .list_service_network_vpc_associations()
            .vpc_identifier(&ctx.config.cluster_vpc_id)
            .send()
            .await
            .map_err(crate::error::aws)?;
        if !associations.items.iter().any(|a| a.service_network_id.as_deref() == Some(id.as_str())) {
            ctx.lattice
                .client
                .create_service_network_vpc_association()
                .service_network_identifier(&id)
                .vpc_identifier(&ctx.config.cluster_vpc_id)
                .send()
                .await
                .map_err(crate::error::aws)?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!("default service network {name}: {e}");
    }
}
