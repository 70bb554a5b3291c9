//! The control surface over HTTP (under `/_latticelab`): reset, snapshots, call counters
//! and the journal, fault plans. The same operations as [`Simulator`]'s methods.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use sim_core::FaultPlan;

use crate::Simulator;

pub fn router() -> Router<Simulator> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/reset", post(reset))
        .route("/snapshot", get(snapshot_json))
        .route("/snapshot.yaml", get(snapshot_yaml))
        .route("/calls", get(calls))
        .route("/journal", get(journal))
        .route("/faults", get(faults).post(add_fault).delete(clear_faults))
}

async fn reset(State(sim): State<Simulator>) -> StatusCode {
    sim.reset();
    StatusCode::NO_CONTENT
}

async fn snapshot_json(State(sim): State<Simulator>) -> Response {
    Json(sim.snapshot_json()).into_response()
}

async fn snapshot_yaml(State(sim): State<Simulator>) -> Response {
    ([("content-type", "application/yaml")], sim.snapshot_yaml()).into_response()
}

async fn calls(State(sim): State<Simulator>) -> Response {
    Json(json!(sim.journal().counters())).into_response()
}

async fn journal(State(sim): State<Simulator>) -> Response {
    Json(json!(sim.journal().entries())).into_response()
}

async fn faults(State(sim): State<Simulator>) -> Response {
    Json(json!(sim.faults())).into_response()
}

/// Takes one plan, e.g. `{"scope": {"operation": "ListTargetGroups"},
/// "kind": {"type": "throttling", "retryAfterSecs": 1}, "trigger": {"count": 2}}`.
async fn add_fault(State(sim): State<Simulator>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<FaultPlan>(&body) {
        Ok(plan) => {
            sim.add_fault(plan);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"message": format!("not a fault plan: {e}")}))).into_response(),
    }
}

async fn clear_faults(State(sim): State<Simulator>) -> StatusCode {
    sim.clear_faults();
    StatusCode::NO_CONTENT
}
