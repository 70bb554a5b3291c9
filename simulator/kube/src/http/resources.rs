//! Verbs on resources: get, list, watch, create, update, patch, delete, deletecollection,
//! with the subresources, selectors, pagination, dry-run and fault plans.

use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use http::{Method, header};
use serde_json::{Value, json};
use sim_core::FaultKind;

use super::body;
use super::path::ResourcePath;
use super::query::Query;
use super::respond;
use super::table::{self, Include};
use super::watch::{self, WatchRequest};
use crate::cluster::Cluster;
use crate::error::{ApiError, ApiResult, qualified};
use crate::patch::PatchKind;
use crate::resource::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{DeleteOptions, DeleteOutcome, ListQuery, Propagation, Subresource, WriteOptions};

/// What a request does, named as fault plans name operations.
fn verb(method: &Method, target: &ResourcePath, query: &Query) -> &'static str {
    match (method, target.name.is_some()) {
        (&Method::GET, false) if query.flag("watch") => "watch",
        (&Method::GET, false) => "list",
        (&Method::GET, true) => "get",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, false) => "deletecollection",
        (&Method::DELETE, true) => "delete",
        _ => "unknown",
    }
}

pub async fn handle(cluster: Cluster, target: ResourcePath, req: Request) -> Response {
    let query = Query::parse(req.uri().query());
    let verb = verb(req.method(), &target, &query);
    let decision = cluster.decide(&format!("{verb} {}", target.plural));
    if decision.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.delay_ms)).await;
    }
    match decision.error {
        Some(FaultKind::Throttling { retry_after_secs }) => {
            let mut e = ApiError::new(429, "TooManyRequests", "Too many requests, please try again later.");
            e.details = Some(json!({"retryAfterSeconds": retry_after_secs}));
            return respond::error(&e);
        }
        Some(FaultKind::InternalError { .. }) => {
            return respond::error(&ApiError::internal("Internal error occurred: injected fault"));
        }
        Some(FaultKind::Conflict) => {
            let name = target.name.clone().unwrap_or_default();
            return respond::error(&ApiError::conflict(&target.group, &target.plural, &name));
        }
        _ => {}
    }
    match serve(&cluster, &target, verb, &query, req, decision.error).await {
        Ok(response) => response,
        Err(e) => respond::error(&e),
    }
}

fn resolve(cluster: &Cluster, target: &ResourcePath) -> ApiResult<ResourceType> {
    let rt = cluster
        .store()
        .registry
        .resolve(&target.group, &target.version, &target.plural)
        .cloned()
        .ok_or_else(ApiError::no_route)?;
    // A cluster-scoped type under a namespace, or a named namespaced object outside one.
    if (!rt.namespaced && target.namespace.is_some())
        || (rt.namespaced && target.namespace.is_none() && target.name.is_some())
    {
        return Err(ApiError::no_route());
    }
    Ok(rt)
}

fn subresource(rt: &ResourceType, target: &ResourcePath, method: &Method) -> ApiResult<Option<Subresource>> {
    let sub = match target.subresource.as_deref() {
        None => return Ok(None),
        Some("status") if rt.status_subresource => Subresource::Status,
        Some("finalize") if rt.plural == "namespaces" && rt.group.is_empty() => Subresource::Finalize,
        Some(_) => return Err(ApiError::no_route()),
    };
    let allowed = match sub {
        Subresource::Status => matches!(*method, Method::GET | Method::PUT | Method::PATCH),
        Subresource::Finalize => *method == Method::PUT,
    };
    if !allowed {
        return Err(ApiError::method_not_allowed(
            method.as_str(),
            &format!("{}/{}", rt.plural, target.subresource.as_deref().unwrap_or_default()),
        ));
    }
    Ok(Some(sub))
}

fn write_options(query: &Query, req: &Request) -> ApiResult<WriteOptions> {
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let derived = user_agent.split('/').next().filter(|s| !s.is_empty()).unwrap_or("unknown").to_string();
    Ok(WriteOptions {
        dry_run: query.dry_run()?,
        field_manager: query.get("fieldManager").map(String::from),
        default_manager: derived,
        field_validation: query.field_validation()?,
        force: query.flag("force"),
    })
}

fn content_type(req: &Request) -> String {
    req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

fn accept(req: &Request) -> String {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

async fn serve(
    cluster: &Cluster,
    target: &ResourcePath,
    verb: &str,
    query: &Query,
    req: Request,
    fault: Option<FaultKind>,
) -> ApiResult<Response> {
    let rt = resolve(cluster, target)?;
    let method = req.method().clone();
    let sub = subresource(&rt, target, &method)?;
    let version = target.version.as_str();
    let namespace = target.namespace.clone().unwrap_or_default();
    let name = target.name.clone().unwrap_or_default();
    let accept = accept(&req);
    let now_ms = cluster.store().clock().now_ms();
    match verb {
        "get" => {
            let obj = cluster.store().get(&rt, version, &namespace, &name)?;
            if table::wants_table(&accept) {
                let t = table::table(
                    &rt,
                    std::slice::from_ref(&obj),
                    json!({"resourceVersion": obj["metadata"]["resourceVersion"]}),
                    Include::parse(query.get("includeObject")),
                    now_ms,
                );
                return Ok(respond::json_with(200, table::TABLE_CONTENT_TYPE, &t));
            }
            Ok(respond::json(200, &obj))
        }
        "list" => list(cluster, &rt, target, query, &accept, now_ms).await,
        "watch" => {
            let request = WatchRequest {
                rt,
                version: version.to_string(),
                namespace: target.namespace.clone(),
                labels: LabelSelector::parse(query.get("labelSelector").unwrap_or_default())?,
                fields: FieldSelector::parse(
                    query.get("fieldSelector").unwrap_or_default(),
                    &resolve(cluster, target)?,
                )?,
                resource_version: query.get("resourceVersion").map(String::from),
                timeout: query.number("timeoutSeconds")?.map(Duration::from_secs),
                bookmarks: query.flag("allowWatchBookmarks"),
                send_initial_events: query.flag("sendInitialEvents"),
                resource_version_match: query.get("resourceVersionMatch").map(String::from),
                table: table::wants_table(&accept).then(|| Include::parse(query.get("includeObject"))),
                fault,
            };
            watch::serve(cluster.clone(), request)
        }
        "create" => {
            if target.name.is_some() || sub.is_some() {
                return Err(ApiError::method_not_allowed("POST", &qualified(&rt.group, &rt.plural)));
            }
            let opts = write_options(query, &req)?;
            let ct = content_type(&req);
            let obj = body::decode(&ct, &body::read(req.into_body()).await?, &rt, version)?;
            let outcome = cluster.store().create(&rt, version, target.namespace.as_deref(), obj, &opts)?;
            Ok(respond::with_warnings(respond::json(201, &outcome.object), &outcome.warnings))
        }
        "update" => {
            let opts = write_options(query, &req)?;
            let ct = content_type(&req);
            let obj = body::decode(&ct, &body::read(req.into_body()).await?, &rt, version)?;
            let outcome = cluster.store().update(&rt, version, &namespace, &name, sub, obj, &opts)?;
            Ok(respond::with_warnings(respond::json(200, &outcome.object), &outcome.warnings))
        }
        "patch" => {
            let opts = write_options(query, &req)?;
            let ct = content_type(&req);
            let Some(kind) = PatchKind::from_content_type(&ct) else {
                let accepted = [
                    "application/json-patch+json",
                    "application/merge-patch+json",
                    "application/strategic-merge-patch+json",
                    "application/apply-patch+yaml",
                ];
                return Err(ApiError::unsupported_media_type(&ct, &accepted));
            };
            if query.get("force").is_some() && kind != PatchKind::Apply {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch",
                ));
            }
            let bytes = body::read(req.into_body()).await?;
            let patch = match kind {
                PatchKind::Apply => body::decode_yaml(&bytes)?,
                _ => serde_json::from_slice(&bytes)
                    .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?,
            };
            let outcome = cluster.store().patch(&rt, version, &namespace, &name, sub, kind, &patch, &opts)?;
            let status = if outcome.created { 201 } else { 200 };
            Ok(respond::with_warnings(respond::json(status, &outcome.object), &outcome.warnings))
        }
        "delete" => {
            let ct = content_type(&req);
            let opts = delete_options(query, &body::decode_delete_options(&ct, &body::read(req.into_body()).await?)?)?;
            let outcome = cluster.store().delete(&rt, version, &namespace, &name, &opts)?;
            Ok(match outcome {
                DeleteOutcome::Deleted(obj) if !rt.returns_deleted_object() => {
                    let mut details = json!({"name": name, "kind": rt.plural, "uid": obj["metadata"]["uid"]});
                    if !rt.group.is_empty() {
                        details["group"] = rt.group.clone().into();
                    }
                    respond::json(
                        200,
                        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}),
                    )
                }
                DeleteOutcome::Deleted(obj) | DeleteOutcome::Pending(obj) => respond::json(200, &obj),
            })
        }
        "deletecollection" => {
            let ct = content_type(&req);
            let opts = delete_options(query, &body::decode_delete_options(&ct, &body::read(req.into_body()).await?)?)?;
            let list_query = list_query(&rt, target, query)?;
            let items = cluster.store().delete_collection(&rt, version, &list_query, &opts)?;
            let rv = cluster.resource_version();
            Ok(respond::json(
                200,
                &json!({"kind": rt.list_kind, "apiVersion": rt.api_version(version), "metadata": {"resourceVersion": rv.to_string()}, "items": items}),
            ))
        }
        _ => Err(ApiError::method_not_allowed(method.as_str(), &qualified(&rt.group, &rt.plural))),
    }
}

fn list_query(rt: &ResourceType, target: &ResourcePath, query: &Query) -> ApiResult<ListQuery> {
    Ok(ListQuery {
        namespace: target.namespace.clone(),
        labels: LabelSelector::parse(query.get("labelSelector").unwrap_or_default())?,
        fields: FieldSelector::parse(query.get("fieldSelector").unwrap_or_default(), rt)?,
        limit: query.number("limit")?.map(|l| l as usize),
        continue_token: query.get("continue").filter(|c| !c.is_empty()).map(String::from),
    })
}

/// A list, with the resourceVersion semantics of kube-apiserver.md §6.4.
async fn list(
    cluster: &Cluster,
    rt: &ResourceType,
    target: &ResourcePath,
    query: &Query,
    accept: &str,
    now_ms: u64,
) -> ApiResult<Response> {
    let list_query = list_query(rt, target, query)?;
    let rv = query.get("resourceVersion").filter(|v| !v.is_empty());
    let rv_match = query.get("resourceVersionMatch").filter(|v| !v.is_empty());
    if list_query.continue_token.is_some() && rv.is_some_and(|v| v != "0") {
        return Err(ApiError::bad_request("specifying resource version is not allowed when using continue"));
    }
    match (rv, rv_match) {
        (None, Some(_)) => {
            return Err(ApiError::new(
                422,
                "Invalid",
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            ));
        }
        (Some("0"), _) | (None, None) => {}
        (Some(text), m) => {
            let wanted: u64 =
                text.parse().map_err(|_| ApiError::bad_request(format!("invalid resource version: {text}")))?;
            let exact = m == Some("Exact") || (m.is_none() && list_query.limit.is_some());
            if exact {
                let current = cluster.resource_version();
                if wanted != current {
                    return Err(ApiError::expired(format!("too old resource version: {wanted} ({current})")));
                }
            } else if !matches!(m, None | Some("NotOlderThan")) {
                return Err(ApiError::bad_request(format!(
                    "resourceVersionMatch: Unsupported value: {:?}",
                    m.unwrap_or_default()
                )));
            } else {
                wait_for_rv(cluster, wanted).await?;
            }
        }
    }
    let version = target.version.as_str();
    let page = cluster.store().list(rt, version, &list_query)?;
    let mut meta = json!({"resourceVersion": page.resource_version.to_string()});
    if let Some(c) = &page.continue_token {
        meta["continue"] = c.clone().into();
    }
    if let Some(r) = page.remaining {
        meta["remainingItemCount"] = r.into();
    }
    if table::wants_table(accept) {
        let items: Vec<Value> = page.items.iter().map(|i| with_type(i, rt, version)).collect();
        let t = table::table(rt, &items, meta, Include::parse(query.get("includeObject")), now_ms);
        return Ok(respond::json_with(200, table::TABLE_CONTENT_TYPE, &t));
    }
    Ok(respond::json(
        200,
        &json!({"kind": rt.list_kind, "apiVersion": rt.api_version(version), "metadata": meta, "items": page.items}),
    ))
}

fn with_type(item: &Value, rt: &ResourceType, version: &str) -> Value {
    let mut item = item.clone();
    item["apiVersion"] = rt.api_version(version).into();
    item["kind"] = rt.kind.clone().into();
    item
}

/// "Not older than N" with N ahead of the counter: wait up to 3 s, then 504 (the real
/// server's behaviour).
async fn wait_for_rv(cluster: &Cluster, wanted: u64) -> ApiResult<()> {
    let mut changes = cluster.store().subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let current = cluster.resource_version();
        if current >= wanted {
            return Ok(());
        }
        match tokio::time::timeout_at(deadline, changes.recv()).await {
            Ok(_) => continue,
            Err(_) => {
                return Err(ApiError::timeout(format!("Too large resource version: {wanted}, current: {current}")));
            }
        }
    }
}

fn delete_options(query: &Query, body: &Value) -> ApiResult<DeleteOptions> {
    let mut propagation = match body["propagationPolicy"].as_str().or(query.get("propagationPolicy")) {
        Some(p) => Some(Propagation::parse(p)?),
        None => None,
    };
    if propagation.is_none() {
        propagation = match body["orphanDependents"].as_bool().or(query.get("orphanDependents").map(|v| v == "true")) {
            Some(true) => Some(Propagation::Orphan),
            Some(false) => Some(Propagation::Background),
            None => None,
        };
    }
    let dry_run = match &body["dryRun"] {
        Value::Array(values) => {
            if values.iter().any(|v| v != "All") {
                return Err(ApiError::bad_request("Invalid dry run value"));
            }
            !values.is_empty()
        }
        _ => query.dry_run()?,
    };
    Ok(DeleteOptions {
        propagation,
        precondition_uid: body["preconditions"]["uid"].as_str().map(String::from),
        precondition_rv: body["preconditions"]["resourceVersion"].as_str().map(String::from),
        dry_run,
    })
}
