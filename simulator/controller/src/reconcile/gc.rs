//! The background target-group garbage collector (controller.md §2.8): every 30 s, under
//! the write side of the deploy lock.

use kube::api::{Api, DynamicObject};

use super::Context;
use crate::error::Result;
use crate::model::route::{Route, RouteKind};
use crate::quirks::Quirk;
use crate::tags;

/// One pass; returns the ids it deleted.
pub async fn collect(ctx: &Context) -> Result<Vec<String>> {
    let _guard = ctx.gc_lock.write().await;
    let c = &ctx.config;
    let mut deleted = Vec::new();
    for (tg, tags) in ctx.lattice.target_groups_with_tags().await? {
        let Some(tags) = tags else { continue };
        let tag = |k: &str| tags.get(k).cloned().unwrap_or_default();
        let id = tg.id.clone().unwrap_or_default();
        if tg.vpc_identifier.as_deref() != Some(c.cluster_vpc_id.as_str()) || tag(tags::CLUSTER_NAME) != c.cluster_name
        {
            continue;
        }
        let source = tag(tags::SOURCE_TYPE);
        let (svc_name, svc_ns) = (tag(tags::TG_SERVICE_NAME), tag(tags::TG_SERVICE_NAMESPACE));
        let route_source = matches!(source.as_str(), "HTTPRoute" | "GRPCRoute" | "TLSRoute");
        if !(source == "ServiceExport" || route_source) || svc_name.is_empty() || svc_ns.is_empty() {
            continue;
        }
        if route_source && (tag(tags::ROUTE_NAME).is_empty() || tag(tags::ROUTE_NAMESPACE).is_empty()) {
            continue;
        }
        if tg.service_arns.as_ref().is_some_and(|s| !s.is_empty()) {
            continue;
        }
        let fields = (
            tg.port.unwrap_or_default(),
            tg.protocol.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
            tg.ip_address_type.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
            tag(tags::PROTOCOL_VERSION),
        );
        let stale = if source == "ServiceExport" {
            match crate::objects::get_export(&ctx.kube, &svc_ns, &svc_name).await? {
                None => true,
                Some((export, _)) if export.metadata.deletion_timestamp.is_some() => true,
                Some((mut export, _)) => {
                    if ctx.config.quirks.has(Quirk::GcFirstExportedPortOnly)
                        && let Some(ports) = export.spec.exported_ports.as_mut()
                    {
                        // H-1: BuildTargetGroup reads only exportedPorts[0].
                        ports.truncate(1);
                    }
                    match super::export::build_models(&export, ctx, false).await {
                        Ok(models) => !models.iter().any(|m| {
                            (m.port, m.protocol.clone(), m.ip_address_type.clone(), m.protocol_version.clone())
                                == fields
                        }),
                        Err(_) => false,
                    }
                }
            }
        } else {
            let kind = if tag(tags::PROTOCOL_VERSION) == "GRPC" {
                RouteKind::Grpc
            } else if fields.1 == "TCP" {
                RouteKind::Tls
            } else {
                RouteKind::Http
            };
            let api: Api<DynamicObject> =
                Api::namespaced_with(ctx.kube.clone(), &tag(tags::ROUTE_NAMESPACE), &super::route::api_resource(kind));
            match api.get_opt(&tag(tags::ROUTE_NAME)).await? {
                None => true,
                Some(obj) if obj.metadata.deletion_timestamp.is_some() => true,
                Some(obj) => {
                    // Rebuild the route's groups and keep this one only if one of them
                    // matches it: fields and identity tags (`shouldDeleteRouteTg`).
                    let route = Route::from_json(kind, &serde_json::to_value(&obj).unwrap_or_default());
                    match super::route::route_target_groups(&route, ctx).await {
                        Ok(models) => !models.iter().any(|(_, _, m)| {
                            (m.port, m.protocol.clone(), m.ip_address_type.clone())
                                == (fields.0, fields.1.clone(), fields.2.clone())
                                && m.identity_tags(&c.cluster_name).iter().all(|(k, v)| tags.get(k) == Some(v))
                        }),
                        Err(_) => false,
                    }
                }
            }
        };
        if stale {
            match ctx.lattice.delete_target_group(&id).await {
                Ok(()) => deleted.push(id),
                Err(e) => tracing::info!("gc: {} not deleted: {e}", tg.arn.clone().unwrap_or_default()),
            }
        }
    }
    Ok(deleted)
}

/// Runs the collector forever at the configured interval.
pub async fn run(ctx: std::sync::Arc<Context>) {
    let mut interval = tokio::time::interval(ctx.config.gc_interval);
    interval.tick().await;
    loop {
        interval.tick().await;
        if let Err(e) = collect(&ctx).await {
            tracing::info!("gc pass failed: {e}");
        }
    }
}
