//! Real AWS as a world's Lattice (`latticelab run --lattice aws`). Every create call the
//! harness and its reference controllers make carries the run's tag ([`RUN_ID_TAG`]); what
//! assertions see is the part of the account that carries it, read back through the API in
//! the simulator's state shape; and all of it is deleted when a world is released and again
//! when the run ends, failed or not.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_vpclattice::Client;
use aws_sdk_vpclattice::types::RuleAction;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::{Map, Value, json};

/// The tag every resource of a run carries; its value is the run id.
pub const RUN_ID_TAG: &str = "latticelab-run-id";

/// A world's Lattice on real AWS: a client whose creates carry the run id, and the mapping
/// from the scenarios' VPC ids to real ones.
#[derive(Clone, Debug)]
pub struct AwsLattice {
    pub client: Client,
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
        Ok(Self { client, run_id: run_id.into(), account_id, region, vpcs })
    }

    /// The real VPC of a scenario's VPC id (itself when unmapped).
    pub fn real_vpc(&self, scenario_vpc: &str) -> String {
        self.vpcs.get(scenario_vpc).cloned().unwrap_or_else(|| scenario_vpc.into())
    }

    /// The run's part of the account in the simulator's state shape, VPC ids mapped back to
    /// the scenario's and the run's tag left out.
    pub async fn read_state(&self) -> anyhow::Result<Value> {
        read_state(&self.client, &self.run_id, &self.vpcs).await
    }

    /// Deletes everything that carries the run's tag, children first, waiting out what
    /// Lattice still reports in use (associations being deleted, targets draining).
    pub async fn delete_run(&self) -> anyhow::Result<()> {
        delete_run(&self.client, &self.run_id).await
    }
}

fn records(items: Vec<Value>) -> Value {
    let map: Map<String, Value> =
        items.into_iter().map(|r| (r["id"].as_str().unwrap_or_default().to_string(), r)).collect();
    Value::Object(map)
}

/// The tags of `arn` as JSON; whether they carry `run_id`.
async fn tags_of(client: &Client, arn: &str, run_id: &str) -> anyhow::Result<(Map<String, Value>, bool)> {
    let out =
        client.list_tags_for_resource().resource_arn(arn).send().await.with_context(|| format!("tags of {arn}"))?;
    let mut tags: Map<String, Value> =
        out.tags().into_iter().flatten().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let ours = tags.remove(RUN_ID_TAG).is_some_and(|v| v == run_id);
    Ok((tags, ours))
}

async fn read_state(client: &Client, run_id: &str, vpcs: &BTreeMap<String, String>) -> anyhow::Result<Value> {
    let back: HashMap<&str, &str> = vpcs.iter().map(|(s, r)| (r.as_str(), s.as_str())).collect();
    let back = |vpc: &str| back.get(vpc).map_or(vpc.to_string(), |s| s.to_string());
    let mut tags = Map::new();

    let mut networks = Vec::new();
    let mut vpc_associations = Vec::new();
    for sn in client.list_service_networks().into_paginator().items().send().try_collect().await? {
        let arn = sn.arn().unwrap_or_default().to_string();
        let (t, ours) = tags_of(client, &arn, run_id).await?;
        if !ours {
            continue;
        }
        let id = sn.id().unwrap_or_default().to_string();
        tags.insert(arn.clone(), Value::Object(t));
        networks.push(json!({"id": id, "arn": arn, "name": sn.name()}));
        let associations =
            client.list_service_network_vpc_associations().service_network_identifier(&id).into_paginator();
        for a in associations.items().send().try_collect().await? {
            vpc_associations
                .push(json!({"id": a.id(), "serviceNetworkId": id, "vpcId": back(a.vpc_id().unwrap_or_default()),
                                         "status": a.status().map(|s| s.as_str().to_string())}));
        }
    }

    let mut services = Vec::new();
    let (mut listeners, mut rules, mut service_associations) = (Vec::new(), Vec::new(), Vec::new());
    for svc in client.list_services().into_paginator().items().send().try_collect().await? {
        let arn = svc.arn().unwrap_or_default().to_string();
        let (t, ours) = tags_of(client, &arn, run_id).await?;
        if !ours {
            continue;
        }
        let id = svc.id().unwrap_or_default().to_string();
        tags.insert(arn.clone(), Value::Object(t));
        services.push(
            json!({"id": id, "arn": arn, "name": svc.name(), "status": svc.status().map(|s| s.as_str().to_string())}),
        );
        let associations = client.list_service_network_service_associations().service_identifier(&id).into_paginator();
        for a in associations.items().send().try_collect().await? {
            service_associations
                .push(json!({"id": a.id(), "serviceId": id, "serviceNetworkId": a.service_network_id(),
                                             "status": a.status().map(|s| s.as_str().to_string())}));
        }
        for l in client.list_listeners().service_identifier(&id).into_paginator().items().send().try_collect().await? {
            let lid = l.id().unwrap_or_default().to_string();
            listeners.push(json!({"id": lid, "arn": l.arn(), "serviceId": id, "name": l.name(), "port": l.port(),
                                  "protocol": l.protocol().map(|p| p.as_str().to_string())}));
            let listed = client.list_rules().service_identifier(&id).listener_identifier(&lid).into_paginator();
            for r in listed.items().send().try_collect().await? {
                let rule = client
                    .get_rule()
                    .service_identifier(&id)
                    .listener_identifier(&lid)
                    .rule_identifier(r.id().unwrap_or_default())
                    .send()
                    .await
                    .context("GetRule")?;
                rules.push(json!({"id": r.id(), "arn": r.arn(), "serviceId": id, "listenerId": lid, "name": r.name(),
                                  "isDefault": r.is_default(), "priority": r.priority(), "action": action(rule.action())}));
            }
        }
    }

    let mut groups = Vec::new();
    for tg in client.list_target_groups().into_paginator().items().send().try_collect().await? {
        let arn = tg.arn().unwrap_or_default().to_string();
        let (t, ours) = tags_of(client, &arn, run_id).await?;
        if !ours {
            continue;
        }
        let id = tg.id().unwrap_or_default().to_string();
        tags.insert(arn.clone(), Value::Object(t));
        let targets: Vec<Value> = client
            .list_targets()
            .target_group_identifier(&id)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await?
            .iter()
            .map(|x| json!({"id": x.id(), "port": x.port(), "status": x.status().map(|s| s.as_str().to_string())}))
            .collect();
        groups.push(json!({"id": id, "arn": arn, "name": tg.name(),
            "config": {"port": tg.port(), "protocol": tg.protocol().map(|p| p.as_str().to_string()),
                       "vpcIdentifier": back(tg.vpc_identifier().unwrap_or_default())},
            "targets": targets, "phase": {"status": tg.status().map(|s| s.as_str().to_string())}}));
    }

    Ok(json!({
        "serviceNetworks": records(networks),
        "serviceNetworkVpcAssociations": records(vpc_associations),
        "services": records(services),
        "serviceNetworkServiceAssociations": records(service_associations),
        "listeners": records(listeners),
        "rules": records(rules),
        "targetGroups": records(groups),
        "tags": tags,
    }))
}

/// A rule action as the simulator's state writes it.
fn action(action: Option<&RuleAction>) -> Value {
    match action {
        Some(RuleAction::Forward(f)) => json!({"forward": {"targetGroups": f.target_groups().iter()
            .map(|t| json!({"targetGroupIdentifier": t.target_group_identifier(), "weight": t.weight()}))
            .collect::<Vec<_>>()}}),
        Some(RuleAction::FixedResponse(r)) => json!({"fixedResponse": {"statusCode": r.status_code()}}),
        _ => Value::Null,
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
    let state = read_state(client, run_id, &BTreeMap::new()).await?;
    let ids =
        |kind: &str| -> Vec<Value> { state[kind].as_object().into_iter().flat_map(|m| m.values().cloned()).collect() };
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    for rule in ids("rules").iter().filter(|r| r["isDefault"] != true) {
        let (svc, l, r) = (s(rule, "serviceId"), s(rule, "listenerId"), s(rule, "id"));
        delete!(
            &format!("rule {r}"),
            client.delete_rule().service_identifier(&svc).listener_identifier(&l).rule_identifier(&r)
        );
    }
    for l in ids("listeners") {
        let (svc, id) = (s(&l, "serviceId"), s(&l, "id"));
        delete!(&format!("listener {id}"), client.delete_listener().service_identifier(&svc).listener_identifier(&id));
    }
    for a in ids("serviceNetworkServiceAssociations") {
        let id = s(&a, "id");
        delete!(
            &format!("service association {id}"),
            client.delete_service_network_service_association().service_network_service_association_identifier(&id)
        );
    }
    for svc in ids("services") {
        let id = s(&svc, "id");
        delete!(&format!("service {id}"), client.delete_service().service_identifier(&id));
    }
    for tg in ids("targetGroups") {
        let id = s(&tg, "id");
        let targets: Vec<aws_sdk_vpclattice::types::Target> = tg["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| {
                aws_sdk_vpclattice::types::Target::builder()
                    .id(t["id"].as_str().unwrap_or_default())
                    .set_port(t["port"].as_i64().map(|p| p as i32))
                    .build()
                    .ok()
            })
            .collect();
        if !targets.is_empty() {
            client
                .deregister_targets()
                .target_group_identifier(&id)
                .set_targets(Some(targets))
                .send()
                .await
                .with_context(|| format!("deregistering the targets of {id}"))?;
        }
        delete!(&format!("target group {id}"), client.delete_target_group().target_group_identifier(&id));
    }
    for a in ids("serviceNetworkVpcAssociations") {
        let id = s(&a, "id");
        delete!(
            &format!("VPC association {id}"),
            client.delete_service_network_vpc_association().service_network_vpc_association_identifier(&id)
        );
    }
    for sn in ids("serviceNetworks") {
        let id = s(&sn, "id");
        delete!(&format!("service network {id}"), client.delete_service_network().service_network_identifier(&id));
    }
    Ok(())
}
