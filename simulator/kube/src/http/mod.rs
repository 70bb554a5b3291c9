//! The HTTP face of a cluster: one axum router per cluster, served in-process as a tower
//! Service (`kube::Client::new`) and on loopback over HTTP and HTTPS.

mod body;
pub mod discovery;
pub mod path;
pub mod query;
mod resources;
mod respond;
pub mod table;
mod watch;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use http::header;
use serde_json::json;

use self::path::Route;
use crate::cluster::Cluster;
use crate::error::ApiError;

/// Whether a listener checks bearer tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// In-process: no credentials.
    None,
    /// Plain HTTP: kubectl sends no token over http (kube-apiserver.md §1.2), so a missing
    /// token is accepted; a wrong one is refused.
    IfPresent,
    /// HTTPS: a missing or wrong token is 401.
    Required,
}

#[derive(Clone)]
struct HttpState {
    cluster: Cluster,
    auth: Auth,
}

/// The router of `cluster` for a listener with `auth`.
pub fn router(cluster: Cluster, auth: Auth) -> Router {
    Router::new().fallback(handle).with_state(HttpState { cluster, auth })
}

fn authorized(state: &HttpState, req: &Request) -> bool {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match (state.auth, presented) {
        (Auth::None, _) => true,
        (Auth::IfPresent, None) => true,
        (_, Some(token)) => token == state.cluster.token(),
        (Auth::Required, None) => false,
    }
}

async fn handle(State(state): State<HttpState>, req: Request) -> Response {
    let cluster = state.cluster.clone();
    let (method, path) =
        (req.method().to_string(), req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default());
    let response = serve(state, req).await;
    cluster.record(&method, &path, response.status().as_u16());
    response
}

async fn serve(state: HttpState, req: Request) -> Response {
    if !authorized(&state, &req) {
        return respond::error(&ApiError::unauthorized());
    }
    let cluster = state.cluster;
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    let get = req.method() == http::Method::GET;
    match path::parse(req.uri().path()) {
        Route::Version if get => respond::json(200, &version_info()),
        Route::Health if get => respond::text(200, "ok"),
        // An empty protobuf document: kubectl's client-side validation then finds no schema
        // and lets the object through (kube-apiserver.md §3.1). No `@` in the type: Go's mime
        // parser rejects it.
        Route::OpenApiV2 if get => http::Response::builder()
            .status(200)
            .header(header::CONTENT_TYPE, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            .body(axum::body::Body::empty())
            .expect("a valid response"),
        Route::LegacyRoot if get => {
            let store = cluster.store();
            if discovery::wants_aggregated(&accept) {
                respond::json_with(
                    200,
                    discovery::AGGREGATED_CONTENT_TYPE,
                    &discovery::aggregated(&store.registry, true),
                )
            } else {
                respond::json(200, &discovery::api_versions(&host))
            }
        }
        Route::GroupsRoot if get => {
            let store = cluster.store();
            if discovery::wants_aggregated(&accept) {
                respond::json_with(
                    200,
                    discovery::AGGREGATED_CONTENT_TYPE,
                    &discovery::aggregated(&store.registry, false),
                )
            } else {
                respond::json(200, &discovery::group_list(&store.registry))
            }
        }
        Route::Group(group) if get => match discovery::group(&cluster.store().registry, &group) {
            Some(doc) => respond::json(200, &doc),
            None => respond::error(&ApiError::no_route()),
        },
        Route::GroupVersion(group, version) if get => {
            match discovery::resource_list(&cluster.store().registry, &group, &version) {
                Some(doc) => respond::json(200, &doc),
                None => respond::error(&ApiError::no_route()),
            }
        }
        Route::Resource(target) => resources::handle(cluster, target, req).await,
        Route::Unknown | Route::OpenApiV3 => respond::error(&ApiError::no_route()),
        _ => respond::error(&ApiError::method_not_allowed(req.method().as_str(), req.uri().path())),
    }
}

/// `/version`: 1.32, which pins kubectl's dispatcher to kubectl 1.32 (kube-apiserver.md §1.1).
pub fn version_info() -> serde_json::Value {
    json!({
        "major": "1", "minor": "32", "gitVersion": "v1.32.4", "gitCommit": "latticelab", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "rustc", "compiler": "latticelab",
        "platform": format!("{}/{}", std::env::consts::OS, if std::env::consts::ARCH == "x86_64" { "amd64" } else { std::env::consts::ARCH }),
    })
}
