//! An `HttpClient` for `aws-sdk-vpclattice` that hands each request to the router
//! in-process: no socket, no DNS, yet the full wire format.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response as SmithyResponse;
use aws_smithy_types::body::SdkBody;
use http_body_util::BodyExt;
use tower::ServiceExt;

#[derive(Clone, Debug)]
pub struct InProcessHttpClient {
    router: axum::Router,
    /// Marks every request as an observer's (`wire::auth::OBSERVER_HEADER`).
    observer: bool,
}

impl InProcessHttpClient {
    #[allow(clippy::new_ret_no_self)] // the SDK takes a SharedHttpClient, so that is what we hand out
    pub fn new(router: axum::Router) -> SharedHttpClient {
        SharedHttpClient::new(Self { router, observer: false })
    }

    /// A client whose calls only observe: no faults, no journal entries, no draws from the
    /// seeded streams — what assertions read the state through.
    pub fn observer(router: axum::Router) -> SharedHttpClient {
        SharedHttpClient::new(Self { router, observer: true })
    }
}

impl HttpConnector for InProcessHttpClient {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let router = self.router.clone();
        let observer = self.observer;
        HttpConnectorFuture::new(async move {
            let request = request.try_into_http1x().map_err(|e| ConnectorError::other(e.into(), None))?;
            let (mut parts, body) = request.into_parts();
            if observer {
                parts.headers.insert(crate::wire::auth::OBSERVER_HEADER, http::HeaderValue::from_static("true"));
            }
            let request = http::Request::from_parts(parts, axum::body::Body::new(body));
            let response = match router.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            let bytes = body.collect().await.map_err(|e| ConnectorError::io(e.into()))?.to_bytes();
            let response = http::Response::from_parts(parts, SdkBody::from(bytes));
            SmithyResponse::try_from(response).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

impl HttpClient for InProcessHttpClient {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}
