//! REST-JSON over axum: one router serves every operation of the Lattice model (routed from
//! the generated table), the Resource Groups Tagging API over the same state
//! ([`tagging`]), and the control surface under [`CONTROL_PREFIX`].

pub mod auth;
mod control;
mod error;
mod input;
mod route;
pub mod tagging;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub use error::AwsError;
pub use route::find_operation;

use crate::Simulator;
use crate::state::Error;

/// Paths under this prefix are the simulator's own, never Lattice's.
pub const CONTROL_PREFIX: &str = "/_latticelab";

/// Request bodies larger than this are refused (the largest Lattice request, an auth
/// policy, is 10 KB; this leaves ample room).
const MAX_BODY_BYTES: usize = 4 << 20;

/// The whole simulator as a router: serve it on a socket or call it in-process.
pub fn router(sim: Simulator) -> Router {
    Router::new().nest(CONTROL_PREFIX, control::router()).fallback(handle).with_state(sim)
}

async fn handle(State(sim): State<Simulator>, request: Request) -> Response {
    let observer = request.headers().contains_key(auth::OBSERVER_HEADER);
    let request_id = if observer { "observer".to_string() } else { sim.request_id() };
    let mut response = answer(&sim, request).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

async fn answer(sim: &Simulator, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let tagging_request = tagging::recognise(&parts);
    let refuse = |e: Error| match &tagging_request {
        Some(t) => tagging::error(t.protocol, &e),
        None => AwsError(e).into_response(),
    };
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return refuse(Error::invalid("The request body could not be read or is too large")),
    };
    let caller = match auth::caller(sim, &parts, &body) {
        Ok(caller) => caller,
        Err(e) => return refuse(e),
    };
    if let Some(request) = &tagging_request {
        return tagging::answer(sim, &parts, request, &body, &caller).await;
    }
    let path = parts.uri.path();
    let Some((operation, labels)) = find_operation(parts.method.as_str(), path) else {
        return AwsError(Error::Validation {
            message: format!("No operation matches {} {path}", parts.method),
            reason: "unknownOperation",
            fields: Vec::new(),
        })
        .into_response();
    };
    let input = match input::build(operation, labels, parts.uri.query(), &body) {
        Ok(input) => input,
        Err(e) => return AwsError(e).into_response(),
    };
    match sim.call(operation.name, input, &caller).await {
        Ok(output) => success(operation.success_code, &output),
        Err(e) => AwsError(e).into_response(),
    }
}

fn success(code: u16, output: &serde_json::Value) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    (status, [("content-type", "application/json")], Body::from(output.to_string())).into_response()
}
