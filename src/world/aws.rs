//! Real AWS as a world's Lattice (`latticelab run --lattice aws`). Every create call the
//! harness and its reference controllers make carries the run's tag ([`RUN_ID_TAG`]); what
//! assertions see is the part of the account that carries it, read through the same typed
//! view as the simulator ([`super::view`]); and all of it is deleted when a world is released
//! and again when the run ends, failed or not.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_vpclattice::Client;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::{Value, json};

/// The tag every resource of a run carries; its value is the run id.
pub const RUN_ID_TAG: &str = "latticelab-run-id";

/// A world's Lattice on real AWS: a client whose creates carry the run id, and the mapping
/// from the scenarios' VPC ids to real ones.
#[derive(Clone, Debug)]
pub struct AwsLattice {
    pub client: Client,
    /// The Resource Groups Tagging API of the same account and region (controllers on real
    /// AWS tag through Lattice, so it is handed over unused).
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub run_id: String,
    pub account_id: String,
    pub region: String,
    /// Scenario VPC id → real VPC id.
    pub vpcs: BTreeMap<String, String>,
}

/// Adds the run's tag to the body of every `Create*` request, after the SDK serialized it
/// and before it is signed. An interceptor rather than a tag at each call site, so that the
/// reference controller's own creates carry it too without knowing about runs (its
/// configuration keeps the tag when it reconciles user tags: `kept_tags`).
#[derive(Debug)]
struct RunIdTags {
    run_id: String,
}

impl Intercept for RunIdTags {
    fn name(&self) -> &'static str {
        "RunIdTags"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !cfg.load::<Metadata>().is_some_and(|m| m.name().starts_with("Create")) {
            return Ok(());
        }
        let request = context.request_mut();
        let Some(bytes) = request.body().bytes() else { return Ok(()) };
        let mut body: Value = if bytes.is_empty() { json!({}) } else { serde_json::from_slice(bytes)? };
        let Some(fields) = body.as_object_mut() else { return Ok(()) };
        let tags = fields.entry("tags").or_insert_with(|| json!({}));
        if let Some(tags) = tags.as_object_mut() {
            tags.insert(RUN_ID_TAG.into(), Value::String(self.run_id.clone()));
        }
        let bytes = serde_json::to_vec(&body)?;
        request.headers_mut().insert("content-length", bytes.len().to_string());
        *request.body_mut() = SdkBody::from(bytes);
        Ok(())
    }
}

impl AwsLattice {
    /// Connects with the standard credential chain and region (environment, profiles, SSO,
    /// instance roles; `AWS_ENDPOINT_URL_VPC_LATTICE` is honoured).
    pub async fn connect(run_id: &str, vpcs: BTreeMap<String, String>) -> anyhow::Result<Self> {
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        Self::from_loader(run_id, vpcs, loader, std::env::var("AWS_ACCOUNT_ID").unwrap_or_default()).await
    }

    /// [`AwsLattice::connect`] with the settings of `loader` (region, credentials, endpoint)
    /// and `account_id`.
    pub async fn from_loader(
        run_id: &str,
        vpcs: BTreeMap<String, String>,
        loader: aws_config::ConfigLoader,
        account_id: String,
    ) -> anyhow::Result<Self> {
        let https = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let shared = loader.http_client(https).load().await;
        let region = shared
            .region()
            .map(ToString::to_string)
            .context("no AWS region: set AWS_REGION or a profile's region (the standard chain found none)")?;
        let tags = RunIdTags { run_id: run_id.into() };
        let client = Client::from_conf(aws_sdk_vpclattice::config::Builder::from(&shared).interceptor(tags).build());
        let tagging = aws_sdk_resourcegroupstagging::Client::new(&shared);
        Ok(Self { client, tagging, run_id: run_id.into(), account_id, region, vpcs })
    }

    /// The real VPC of a scenario's VPC id (itself when unmapped).
    pub fn real_vpc(&self, scenario_vpc: &str) -> String {
        self.vpcs.get(scenario_vpc).cloned().unwrap_or_else(|| scenario_vpc.into())
    }

    /// What the view of a world on this account keeps: the run's resources, VPC ids mapped
    /// back to the scenario's.
    pub fn scope(&self) -> super::view::Scope {
        super::view::Scope {
            only_tagged: Some((RUN_ID_TAG.to_string(), self.run_id.clone())),
            vpc_names: self.vpcs.iter().map(|(scenario, real)| (real.clone(), scenario.clone())).collect(),
        }
    }

    /// The run's part of the account, in the typed view.
    pub async fn view(&self) -> anyhow::Result<super::view::LatticeView> {
        super::view::read(&self.client, &self.scope()).await
    }

    /// Deletes everything that carries the run's tag, children first, waiting out what
    /// Lattice still reports in use (associations being deleted, targets draining).
    pub async fn delete_run(&self) -> anyhow::Result<()> {
        delete_run(&self.client, &self.run_id).await
    }
}

/// Retries `delete` while Lattice answers that the resource is still in use (associations
/// being deleted, targets draining), up to ten minutes; a resource already gone is deleted.
async fn delete_until_done<F, Fut, E>(what: &str, mut delete: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), aws_sdk_vpclattice::error::SdkError<E>>>,
    E: aws_sdk_vpclattice::error::ProvideErrorMetadata + std::fmt::Debug,
{
    sim_core::eventually(Duration::from_secs(600), || {
        let attempt = delete();
        async move {
            match attempt.await {
                Ok(()) => Ok(()),
                Err(e) => match e.as_service_error().and_then(|s| s.code()) {
                    Some("ResourceNotFoundException") => Ok(()),
                    _ => Err(format!("{e:?}")),
                },
            }
        }
    })
    .await
    .with_context(|| format!("deleting {what}"))
}

/// [`delete_until_done`] of one delete call (a fluent builder, sent afresh on each try).
macro_rules! delete {
    ($what:expr, $call:expr) => {
        delete_until_done($what, || {
            let call = $call;
            async move { call.send().await.map(|_| ()) }
        })
        .await?
    };
}

async fn delete_run(client: &Client, run_id: &str) -> anyhow::Result<()> {
    let scope =
        super::view::Scope { only_tagged: Some((RUN_ID_TAG.to_string(), run_id.to_string())), ..Default::default() };
    let view = super::view::read(client, &scope).await?;
    for rule in view.rules.iter().filter(|r| !r.is_default) {
        let (svc, l, r) = (&rule.service_id, &rule.listener_id, &rule.id);
        delete!(
            &format!("rule {r}"),
            client.delete_rule().service_identifier(svc).listener_identifier(l).rule_identifier(r)
        );
    }
    for l in &view.listeners {
        delete!(
            &format!("listener {}", l.id),
            client.delete_listener().service_identifier(&l.service_id).listener_identifier(&l.id)
        );
    }
    for a in &view.service_associations {
        delete!(
            &format!("service association {}", a.id),
            client.delete_service_network_service_association().service_network_service_association_identifier(&a.id)
        );
    }
    for svc in &view.services {
        delete!(&format!("service {}", svc.id), client.delete_service().service_identifier(&svc.id));
    }
    for tg in &view.target_groups {
        let targets: Vec<aws_sdk_vpclattice::types::Target> = tg
            .targets
            .iter()
            .filter_map(|t| aws_sdk_vpclattice::types::Target::builder().id(&t.id).port(t.port).build().ok())
            .collect();
        if !targets.is_empty() {
            client
                .deregister_targets()
                .target_group_identifier(&tg.id)
                .set_targets(Some(targets))
                .send()
                .await
                .with_context(|| format!("deregistering the targets of {}", tg.id))?;
        }
        delete!(&format!("target group {}", tg.id), client.delete_target_group().target_group_identifier(&tg.id));
    }
    for a in &view.vpc_associations {
        delete!(
            &format!("VPC association {}", a.id),
            client.delete_service_network_vpc_association().service_network_vpc_association_identifier(&a.id)
        );
    }
    for sn in &view.service_networks {
        delete!(
            &format!("service network {}", sn.id),
            client.delete_service_network().service_network_identifier(&sn.id)
        );
    }
    Ok(())
}
