//! The Lattice control plane as plain data and functions: no HTTP here. One [`Lattice`]
//! holds every account and region; each call names its operation, its caller and the
//! virtual time, and is validated against the model before it may touch state.
//!
//! A failing call leaves the state exactly as it was: a mutating call runs on the
//! partition and is rolled back as a whole on error.

mod config;
mod error;
mod generic;
mod networks;
mod page;
mod records;
mod resource_groups;
mod services;
mod tagging;
mod target_groups;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use sim_core::IdGenerator;

pub use config::{Config, DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Lifecycle, Quotas, TargetHealth, quota_code};
pub use error::{Error, Result, SERVICE_CODE};
pub use page::project;
pub use records::*;

use crate::model::{self, Model};

/// The APIs one simulator serves over one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// VPC Lattice; its operations go by their own names (`CreateTargetGroup`).
    Lattice,
    /// The Resource Groups Tagging API; its operations go by their IAM action names,
    /// `tagging:GetResources`, in calls, fault plans and the journal.
    Tagging,
}

impl Api {
    /// The prefix of the Tagging API's operation names.
    pub const TAGGING_PREFIX: &'static str = "tagging:";

    /// The API of a (possibly prefixed) operation name, and the model's name for it.
    pub fn of(operation: &str) -> (Api, &str) {
        match operation.strip_prefix(Self::TAGGING_PREFIX) {
            Some(name) => (Api::Tagging, name),
            None => (Api::Lattice, operation),
        }
    }

    pub fn model(self) -> &'static Model {
        match self {
            Api::Lattice => &model::LATTICE,
            Api::Tagging => &model::TAGGING,
        }
    }

    /// Whether an operation only reads: `Get*` and `List*` of either API.
    pub fn is_read_only(operation: &str) -> bool {
        let (_, name) = Self::of(operation);
        name.starts_with("Get") || name.starts_with("List") || name.starts_with("Describe")
    }
}

/// Who calls and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Ctx {
    pub account: String,
    pub region: String,
    pub now_ms: u64,
    /// Eventual consistency: List operations hide resources created less than this long ago.
    pub hide_newer_than_ms: Option<u64>,
    /// The caller's access key; each caller's resource ids come from a stream of its own.
    /// Empty for calls that name no caller (they draw from the root stream).
    pub caller: String,
}

impl Ctx {
    pub fn new(account: impl Into<String>, region: impl Into<String>, now_ms: u64) -> Self {
        Self { account: account.into(), region: region.into(), now_ms, hide_newer_than_ms: None, caller: String::new() }
    }

    /// The same call context, made by `caller`.
    pub fn by(self, caller: impl Into<String>) -> Self {
        Self { caller: caller.into(), ..self }
    }
}

/// Everything one call may read besides the partition it changes.
pub(crate) struct Env<'a> {
    pub ctx: &'a Ctx,
    pub config: &'a Config,
    pub ids: &'a IdGenerator,
}

impl Env<'_> {
    pub fn now(&self) -> u64 {
        self.ctx.now_ms
    }

    /// Whether a List call may show a resource created at `created_at_ms` yet.
    pub fn visible(&self, common: &Common) -> bool {
        self.ctx.hide_newer_than_ms.is_none_or(|hide| common.created_at_ms + hide <= self.ctx.now_ms)
    }

    pub fn arn(&self, resource: &str) -> String {
        format!("arn:aws:vpc-lattice:{}:{}:{resource}", self.ctx.region, self.ctx.account)
    }

    pub fn common(&self, id: String, resource: &str) -> Common {
        Common { arn: self.arn(resource), id, created_at_ms: self.now(), last_updated_at_ms: self.now() }
    }
}

/// One account in one region.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Partition {
    pub service_networks: BTreeMap<String, ServiceNetwork>,
    pub services: BTreeMap<String, Service>,
    pub listeners: BTreeMap<String, Listener>,
    pub rules: BTreeMap<String, Rule>,
    pub target_groups: BTreeMap<String, TargetGroup>,
    pub service_network_service_associations: BTreeMap<String, ServiceNetworkServiceAssociation>,
    pub service_network_vpc_associations: BTreeMap<String, ServiceNetworkVpcAssociation>,
    /// The other resource kinds, by kind name, then id.
    pub others: BTreeMap<String, BTreeMap<String, Generic>>,
    /// Auth policies by the id of their service network or service.
    pub auth_policies: BTreeMap<String, Policy>,
    /// Resource policies by ARN.
    pub resource_policies: BTreeMap<String, Policy>,
    /// Tags by ARN. Every live taggable resource has an entry, possibly empty.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
}

/// `(account, region, operation, clientToken)` → the request without its token, and the
/// answer given. Kept beside the partitions so the rollback copy of a call stays small.
type ClientTokens = BTreeMap<(String, String, String, String), (Value, Value)>;

/// The whole simulated control plane.
#[derive(Clone, Debug)]
pub struct Lattice {
    config: Config,
    ids: IdGenerator,
    /// One id stream per caller, forked from `ids`: two controllers creating at one virtual
    /// instant get the same ids whichever call arrives first (docs/scenarios.md, "Bundles
    /// and replay").
    caller_ids: BTreeMap<String, IdGenerator>,
    partitions: BTreeMap<(String, String), Partition>,
    client_tokens: ClientTokens,
}

impl Lattice {
    pub fn new(config: Config, ids: IdGenerator) -> Self {
        Self { config, ids, caller_ids: BTreeMap::new(), partitions: BTreeMap::new(), client_tokens: BTreeMap::new() }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Forgets every resource (the configuration stays).
    pub fn reset(&mut self) {
        self.partitions.clear();
        self.client_tokens.clear();
    }

    /// The partition of one account and region, if anything was ever created there.
    pub fn partition(&self, account: &str, region: &str) -> Option<&Partition> {
        self.partitions.get(&(account.to_string(), region.to_string()))
    }

    /// Every partition, keyed `account/region`, as of `now_ms`.
    pub fn snapshot(&mut self, now_ms: u64) -> BTreeMap<String, Partition> {
        for part in self.partitions.values_mut() {
            part.settle(now_ms);
        }
        self.partitions.iter().map(|((a, r), p)| (format!("{a}/{r}"), p.clone())).collect()
    }

    /// Records what a VPC endpoint for a resource configuration creates through EC2 (no
    /// Lattice operation creates it): a resource endpoint association.
    pub fn add_resource_endpoint_association(
        &mut self,
        ctx: &Ctx,
        resource_configuration: &str,
        vpc_endpoint_id: &str,
    ) -> Result<Value> {
        let part = self.partitions.entry((ctx.account.clone(), ctx.region.clone())).or_default();
        let ids = match ctx.caller.as_str() {
            "" => &self.ids,
            caller => self.caller_ids.entry(caller.to_string()).or_insert_with(|| self.ids.fork(caller)),
        };
        let env = Env { ctx, config: &self.config, ids };
        generic::add_resource_endpoint_association(part, &env, resource_configuration, vpc_endpoint_id)
    }

    /// Applies one operation. `input` is the request as the model names its members (path,
    /// query and body merged); the answer is the output shape's members.
    /// Operations of the Tagging API are named `tagging:GetResources` ([`Api`]).
    pub fn call(&mut self, operation: &str, input: &Value, ctx: &Ctx) -> Result<Value> {
        let (api, name) = Api::of(operation);
        let op = api.model().operation(name).ok_or_else(|| Error::Validation {
            message: format!("Unknown operation {operation}"),
            reason: "unknownOperation",
            fields: Vec::new(),
        })?;
        let problems = api.model().validate_input(op.input, input);
        if !problems.is_empty() {
            return Err(Error::fields(problems));
        }
        let key = (ctx.account.clone(), ctx.region.clone());
        let part = self.partitions.entry(key).or_default();
        part.settle(ctx.now_ms);

        let token = client_token(api.model(), op, input)
            .map(|(token, request)| ((ctx.account.clone(), ctx.region.clone(), op.name.to_string(), token), request));
        if let Some((key, request)) = &token
            && let Some((seen, answer)) = self.client_tokens.get(key)
        {
            let token = &key.3;
            return if seen == request {
                Ok(answer.clone())
            } else {
                Err(Error::conflict(
                    "CLIENT_TOKEN",
                    token,
                    format!("clientToken {token} was already used with different parameters"),
                ))
            };
        }

        let ids = match ctx.caller.as_str() {
            "" => &self.ids,
            caller => self.caller_ids.entry(caller.to_string()).or_insert_with(|| self.ids.fork(caller)),
        };
        let env = Env { ctx, config: &self.config, ids };
        let dispatch = match api {
            Api::Lattice => dispatch,
            Api::Tagging => dispatch_tagging,
        };
        let answer = if Api::is_read_only(op.name) {
            dispatch(op.name, part, &env, input)
        } else {
            let before = part.clone();
            let answer = dispatch(op.name, part, &env, input);
            if answer.is_err() {
                *part = before;
            }
            part.settle(ctx.now_ms);
            part.refresh_usage(ctx.now_ms);
            answer
        };
        let answer = page::project_in(api.model(), op.output, &answer?);
        if let Some((key, request)) = token {
            self.client_tokens.insert(key, (request, answer.clone()));
        }
        Ok(answer)
    }
}

/// The idempotency token of a create, and the request without it (to compare retries).
fn client_token(model: &Model, op: &model::Operation, input: &Value) -> Option<(String, Value)> {
    let member = model.shape(op.input).members.iter().find(|m| m.idempotency_token)?;
    let token = input.get(member.name)?.as_str()?.to_string();
    let mut rest = input.as_object().cloned().unwrap_or_default();
    rest.remove(member.name);
    Some((token, Value::Object(rest)))
}

fn dispatch(operation: &str, part: &mut Partition, env: &Env, input: &Value) -> Result<Value> {
    use generic::Kind as G;
    let input = input.as_object().cloned().unwrap_or_default();
    let i = &input;
    match operation {
        "CreateServiceNetwork" => networks::create_service_network(part, env, i),
        "GetServiceNetwork" => networks::get_service_network(part, env, i),
        "ListServiceNetworks" => networks::list_service_networks(part, env, i),
        "UpdateServiceNetwork" => networks::update_service_network(part, env, i),
        "DeleteServiceNetwork" => networks::delete_service_network(part, env, i),
        "CreateServiceNetworkServiceAssociation" => networks::create_service_network_service_association(part, env, i),
        "GetServiceNetworkServiceAssociation" => networks::get_service_network_service_association(part, env, i),
        "ListServiceNetworkServiceAssociations" => networks::list_service_network_service_associations(part, env, i),
        "DeleteServiceNetworkServiceAssociation" => networks::delete_service_network_service_association(part, env, i),
        "CreateServiceNetworkVpcAssociation" => networks::create_service_network_vpc_association(part, env, i),
        "GetServiceNetworkVpcAssociation" => networks::get_service_network_vpc_association(part, env, i),
        "ListServiceNetworkVpcAssociations" => networks::list_service_network_vpc_associations(part, env, i),
        "UpdateServiceNetworkVpcAssociation" => networks::update_service_network_vpc_association(part, env, i),
        "DeleteServiceNetworkVpcAssociation" => networks::delete_service_network_vpc_association(part, env, i),
        "ListServiceNetworkVpcEndpointAssociations" => {
            networks::list_service_network_vpc_endpoint_associations(part, env, i)
        }
        "CreateService" => services::create_service(part, env, i),
        "GetService" => services::get_service(part, env, i),
        "ListServices" => services::list_services(part, env, i),
        "UpdateService" => services::update_service(part, env, i),
        "DeleteService" => services::delete_service(part, env, i),
        "CreateListener" => services::create_listener(part, env, i),
        "GetListener" => services::get_listener(part, env, i),
        "ListListeners" => services::list_listeners(part, env, i),
        "UpdateListener" => services::update_listener(part, env, i),
        "DeleteListener" => services::delete_listener(part, env, i),
        "CreateRule" => services::create_rule(part, env, i),
        "GetRule" => services::get_rule(part, env, i),
        "ListRules" => services::list_rules(part, env, i),
        "UpdateRule" => services::update_rule(part, env, i),
        "BatchUpdateRule" => services::batch_update_rule(part, env, i),
        "DeleteRule" => services::delete_rule(part, env, i),
        "CreateTargetGroup" => target_groups::create_target_group(part, env, i),
        "GetTargetGroup" => target_groups::get_target_group(part, env, i),
        "ListTargetGroups" => target_groups::list_target_groups(part, env, i),
        "UpdateTargetGroup" => target_groups::update_target_group(part, env, i),
        "DeleteTargetGroup" => target_groups::delete_target_group(part, env, i),
        "RegisterTargets" => target_groups::register_targets(part, env, i),
        "DeregisterTargets" => target_groups::deregister_targets(part, env, i),
        "ListTargets" => target_groups::list_targets(part, env, i),
        "TagResource" => tagging::tag_resource(part, env, i),
        "UntagResource" => tagging::untag_resource(part, env, i),
        "ListTagsForResource" => tagging::list_tags_for_resource(part, env, i),
        "PutAuthPolicy" => tagging::put_auth_policy(part, env, i),
        "GetAuthPolicy" => tagging::get_auth_policy(part, env, i),
        "DeleteAuthPolicy" => tagging::delete_auth_policy(part, env, i),
        "PutResourcePolicy" => tagging::put_resource_policy(part, env, i),
        "GetResourcePolicy" => tagging::get_resource_policy(part, env, i),
        "DeleteResourcePolicy" => tagging::delete_resource_policy(part, env, i),
        "CreateAccessLogSubscription" => generic::create(G::AccessLogSubscription, part, env, i),
        "GetAccessLogSubscription" => generic::get(G::AccessLogSubscription, part, env, i),
        "ListAccessLogSubscriptions" => generic::list(G::AccessLogSubscription, part, env, i),
        "UpdateAccessLogSubscription" => generic::update(G::AccessLogSubscription, part, env, i),
        "DeleteAccessLogSubscription" => generic::delete(G::AccessLogSubscription, part, env, i),
        "CreateResourceGateway" => generic::create(G::ResourceGateway, part, env, i),
        "GetResourceGateway" => generic::get(G::ResourceGateway, part, env, i),
        "ListResourceGateways" => generic::list(G::ResourceGateway, part, env, i),
        "UpdateResourceGateway" => generic::update(G::ResourceGateway, part, env, i),
        "DeleteResourceGateway" => generic::delete(G::ResourceGateway, part, env, i),
        "CreateResourceConfiguration" => generic::create(G::ResourceConfiguration, part, env, i),
        "GetResourceConfiguration" => generic::get(G::ResourceConfiguration, part, env, i),
        "ListResourceConfigurations" => generic::list(G::ResourceConfiguration, part, env, i),
        "UpdateResourceConfiguration" => generic::update(G::ResourceConfiguration, part, env, i),
        "DeleteResourceConfiguration" => generic::delete(G::ResourceConfiguration, part, env, i),
        "CreateServiceNetworkResourceAssociation" => {
            generic::create(G::ServiceNetworkResourceAssociation, part, env, i)
        }
        "GetServiceNetworkResourceAssociation" => generic::get(G::ServiceNetworkResourceAssociation, part, env, i),
        "ListServiceNetworkResourceAssociations" => generic::list(G::ServiceNetworkResourceAssociation, part, env, i),
        "DeleteServiceNetworkResourceAssociation" => {
            generic::delete(G::ServiceNetworkResourceAssociation, part, env, i)
        }
        "ListResourceEndpointAssociations" => generic::list(G::ResourceEndpointAssociation, part, env, i),
        "DeleteResourceEndpointAssociation" => generic::delete(G::ResourceEndpointAssociation, part, env, i),
        "StartDomainVerification" => generic::create(G::DomainVerification, part, env, i),
        "GetDomainVerification" => generic::get(G::DomainVerification, part, env, i),
        "ListDomainVerifications" => generic::list(G::DomainVerification, part, env, i),
        "DeleteDomainVerification" => generic::delete(G::DomainVerification, part, env, i),
        other => Err(Error::Validation {
            message: format!("Unknown operation {other}"),
            reason: "unknownOperation",
            fields: Vec::new(),
        }),
    }
}

fn dispatch_tagging(operation: &str, part: &mut Partition, env: &Env, input: &Value) -> Result<Value> {
    let input = input.as_object().cloned().unwrap_or_default();
    let i = &input;
    match operation {
        "GetResources" => resource_groups::get_resources(part, env, i),
        "TagResources" => resource_groups::tag_resources(part, env, i),
        "UntagResources" => resource_groups::untag_resources(part, env, i),
        "GetTagKeys" => resource_groups::get_tag_keys(part, env, i),
        "GetTagValues" => resource_groups::get_tag_values(part, env, i),
        other => resource_groups::organisation_only(other),
    }
}

/// Members of a validated request.
pub(crate) type Input = Map<String, Value>;

pub(crate) fn str_of<'a>(input: &'a Input, member: &str) -> Option<&'a str> {
    input.get(member).and_then(Value::as_str)
}

/// A required member; validation has already checked it, so absence is a client error.
pub(crate) fn required<'a>(input: &'a Input, member: &str) -> Result<&'a str> {
    str_of(input, member).ok_or_else(|| Error::field(member, "is required"))
}

/// The id inside an identifier: identifiers are ids or ARNs whose last path segment is the id.
pub(crate) fn id_of(identifier: &str) -> &str {
    if identifier.starts_with("arn:") { identifier.rsplit('/').next().unwrap_or(identifier) } else { identifier }
}

/// The id of a required `*Identifier` member.
pub(crate) fn ident<'a>(input: &'a Input, member: &str) -> Result<&'a str> {
    required(input, member).map(id_of)
}

pub(crate) fn ts(ms: u64) -> Value {
    Value::String(sim_core::Clock::rfc3339(ms))
}

/// A tag map from a request's `tags` member.
pub(crate) fn tags_of(input: &Input) -> BTreeMap<String, String> {
    input
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default()
}

impl Partition {
    /// Moves every lifecycle whose time has come: creations become `ACTIVE`, deletions
    /// disappear, drained targets leave.
    pub fn settle(&mut self, now_ms: u64) {
        let due = |p: &Phase| p.settles_at_ms.is_some_and(|t| t <= now_ms);
        let mut gone: Vec<String> = Vec::new();
        macro_rules! settle_map {
            ($map:expr) => {
                for (id, r) in $map.iter_mut() {
                    if due(&r.phase) {
                        if r.phase.is("DELETE_IN_PROGRESS") {
                            gone.push(id.clone());
                        } else {
                            r.phase = Phase { status: "ACTIVE".into(), settles_at_ms: None };
                        }
                    }
                }
            };
        }
        settle_map!(self.services);
        settle_map!(self.target_groups);
        settle_map!(self.service_network_service_associations);
        settle_map!(self.service_network_vpc_associations);
        for id in gone {
            if let Some(svc) = self.services.remove(&id) {
                self.cascade_service(&svc);
            } else if let Some(tg) = self.target_groups.remove(&id) {
                self.tags.remove(&tg.common.arn);
            } else if let Some(a) = self.service_network_service_associations.remove(&id) {
                self.tags.remove(&a.common.arn);
            } else if let Some(a) = self.service_network_vpc_associations.remove(&id) {
                self.tags.remove(&a.common.arn);
            }
        }
        for kind in self.others.values_mut() {
            let mut leaving = Vec::new();
            for (id, r) in kind.iter_mut() {
                if let Some(phase) = r.phase.as_mut().filter(|p| due(p)) {
                    if phase.is("DELETE_IN_PROGRESS") {
                        leaving.push((id.clone(), r.common.arn.clone()));
                    } else {
                        *phase = Phase { status: "ACTIVE".into(), settles_at_ms: None };
                    }
                }
            }
            for (id, arn) in leaving {
                kind.remove(&id);
                self.tags.remove(&arn);
            }
        }
        for tg in self.target_groups.values_mut() {
            tg.targets.retain(|t| t.draining_until_ms.is_none_or(|until| until > now_ms));
        }
    }

    /// A deleted service takes its listeners, rules, policies and log subscriptions along.
    fn cascade_service(&mut self, svc: &Service) {
        self.tags.remove(&svc.common.arn);
        self.auth_policies.remove(&svc.common.id);
        self.resource_policies.remove(&svc.common.arn);
        let listeners: Vec<String> =
            self.listeners.values().filter(|l| l.service_id == svc.common.id).map(|l| l.common.id.clone()).collect();
        for id in listeners {
            self.remove_listener(&id);
        }
        generic::drop_subscriptions_of(self, &svc.common.arn);
    }

    pub(crate) fn remove_listener(&mut self, listener_id: &str) {
        if let Some(l) = self.listeners.remove(listener_id) {
            self.tags.remove(&l.common.arn);
        }
        let rules: Vec<String> =
            self.rules.values().filter(|r| r.listener_id == listener_id).map(|r| r.common.id.clone()).collect();
        for id in rules {
            if let Some(r) = self.rules.remove(&id) {
                self.tags.remove(&r.common.arn);
            }
        }
    }

    /// Target-group ids that some listener default action or rule forwards to, with the
    /// service that does so.
    pub fn forwards(&self) -> Forwards {
        let mut used = Forwards::new();
        let actions = self
            .listeners
            .values()
            .map(|l| (&l.service_id, &l.default_action))
            .chain(self.rules.values().filter_map(|r| r.action.as_ref().map(|a| (&r.service_id, a))));
        for (service_id, action) in actions {
            for tg in forward_target_groups(action) {
                used.entry(tg).or_default().insert(service_id.clone());
            }
        }
        used
    }

    /// Keeps `used_since_ms` true to the current rules and listeners.
    pub(crate) fn refresh_usage(&mut self, now_ms: u64) {
        let used = self.forwards();
        for (id, tg) in self.target_groups.iter_mut() {
            match (used.contains_key(id), tg.used_since_ms) {
                (true, None) => tg.used_since_ms = Some(now_ms),
                (false, Some(_)) => tg.used_since_ms = None,
                _ => {}
            }
        }
    }

    /// ARNs of the services forwarding to a target group (`serviceArns`).
    pub fn service_arns_of(&self, target_group_id: &str) -> Vec<String> {
        self.forwards()
            .get(target_group_id)
            .map(|svcs| svcs.iter().filter_map(|s| self.services.get(s)).map(|s| s.common.arn.clone()).collect())
            .unwrap_or_default()
    }
}

/// Target-group id → the ids of the services whose listeners or rules forward to it.
pub type Forwards = BTreeMap<String, std::collections::BTreeSet<String>>;

/// Target-group ids named by a rule action's `forward`.
pub fn forward_target_groups(action: &Value) -> Vec<String> {
    action["forward"]["targetGroups"]
        .as_array()
        .map(|tgs| {
            tgs.iter().filter_map(|t| t["targetGroupIdentifier"].as_str()).map(|s| id_of(s).to_string()).collect()
        })
        .unwrap_or_default()
}
