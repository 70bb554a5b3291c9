//! Parameter types for the domain nouns of the step library. Each matches only the values
//! it allows, so a misspelled operation or kind matches no step, and [`crate::scenario::lint`]
//! then says which word is wrong by matching loosely ([`LOOSE`]) and parsing.

use std::str::FromStr;
use std::time::Duration;

/// A cluster's name, quoted: `"cluster-a"`.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "cluster", regex = r#""[a-z0-9][a-z0-9-]*""#)]
pub struct Cluster(pub String);

impl FromStr for Cluster {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let name = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s);
        let valid = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-');
        if valid {
            Ok(Self(name.to_string()))
        } else {
            Err(format!("{s} is not a quoted cluster name like \"cluster-a\""))
        }
    }
}

/// `namespace/name`.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "object", regex = r"[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9.-]*")]
pub struct Object {
    pub namespace: String,
    pub name: String,
}

impl FromStr for Object {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (namespace, name) = s.split_once('/').ok_or_else(|| format!("{s} is not namespace/name"))?;
        let label = |t: &str| {
            !t.is_empty() && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b))
        };
        if !label(namespace) || !label(name) || namespace.contains('.') {
            return Err(format!("{s} is not namespace/name in lower case"));
        }
        Ok(Self { namespace: namespace.into(), name: name.into() })
    }
}

impl std::fmt::Display for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// `30 seconds`, `1 second`, `5 minutes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "duration", regex = r"\d+ (?:seconds?|minutes?)")]
pub struct Span(pub Duration);

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a duration like `30 seconds` or `2 minutes`");
        let (n, unit) = s.split_once(' ').ok_or_else(bad)?;
        let n: u64 = n.parse().map_err(|_| bad())?;
        match unit {
            "second" | "seconds" => Ok(Self(Duration::from_secs(n))),
            "minute" | "minutes" => Ok(Self(Duration::from_secs(n * 60))),
            _ => Err(bad()),
        }
    }
}

/// A condition status: `True`, `False`, `Unknown`.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "status", regex = "True|False|Unknown")]
pub struct Status(pub String);

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "True" | "False" | "Unknown" => Ok(Self(s.into())),
            _ => Err(format!("{s} is not a condition status (True, False or Unknown)")),
        }
    }
}

/// How an assertion is held against time, written before it:
/// - nothing: once the world has settled, within the scenario's bound;
/// - `within 60 seconds, `: the same with its own bound;
/// - `for 60 seconds, `: as above, and then true at every check for that long;
/// - `at no point within 60 seconds, `: false at every check for that long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "timing", regex = r"(?:(?:within|for|at no point within) \d+ (?:seconds?|minutes?), )?")]
pub enum Timing {
    Settled(Option<Duration>),
    For(Duration),
    AtNoPoint(Duration),
}

impl FromStr for Timing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim_end().trim_end_matches(',');
        if s.is_empty() {
            return Ok(Self::Settled(None));
        }
        let span = |rest: &str| rest.parse::<Span>().map(|d| d.0);
        if let Some(rest) = s.strip_prefix("at no point within ") {
            return Ok(Self::AtNoPoint(span(rest)?));
        }
        if let Some(rest) = s.strip_prefix("within ") {
            return Ok(Self::Settled(Some(span(rest)?)));
        }
        if let Some(rest) = s.strip_prefix("for ") {
            return Ok(Self::For(span(rest)?));
        }
        Err(format!("{s:?} is not `within N seconds,`, `for N seconds,` or `at no point within N seconds,`"))
    }
}

/// The route kinds the controller reconciles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "route_kind", regex = "HTTPRoute|GRPCRoute|TLSRoute")]
pub enum RouteKind {
    Http,
    Grpc,
    Tls,
}

impl RouteKind {
    pub fn kind(self) -> Kind {
        match self {
            RouteKind::Http => Kind::HttpRoute,
            RouteKind::Grpc => Kind::GrpcRoute,
            RouteKind::Tls => Kind::TlsRoute,
        }
    }
}

impl FromStr for RouteKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "HTTPRoute" => Ok(Self::Http),
            "GRPCRoute" => Ok(Self::Grpc),
            "TLSRoute" => Ok(Self::Tls),
            _ => Err(format!("{s} is not a route kind (HTTPRoute, GRPCRoute or TLSRoute)")),
        }
    }
}

macro_rules! kinds {
    ($($variant:ident = $name:literal in $api_version:literal,)*) => {
        /// A Kubernetes kind a scenario may name, with the API version the harness uses for it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
        #[param(
            name = "kind",
            regex = "Service|EndpointSlice|Namespace|ConfigMap|ServiceExport|ServiceImport|TargetGroupPolicy|VpcAssociationPolicy|AccessLogPolicy|IAMAuthPolicy|HTTPRoute|GRPCRoute|TLSRoute|Gateway|GatewayClass|ReferenceGrant"
        )]
        pub enum Kind { $($variant,)* }

        impl Kind {
            pub const ALL: &[Kind] = &[$(Kind::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(Kind::$variant => $name,)* }
            }

            pub fn api_version(self) -> &'static str {
                match self { $(Kind::$variant => $api_version,)* }
            }
        }
    };
}

kinds! {
    Service = "Service" in "v1",
    EndpointSlice = "EndpointSlice" in "discovery.k8s.io/v1",
    Namespace = "Namespace" in "v1",
    ConfigMap = "ConfigMap" in "v1",
    ServiceExport = "ServiceExport" in "application-networking.k8s.aws/v1alpha1",
    ServiceImport = "ServiceImport" in "application-networking.k8s.aws/v1alpha1",
    TargetGroupPolicy = "TargetGroupPolicy" in "application-networking.k8s.aws/v1alpha1",
    VpcAssociationPolicy = "VpcAssociationPolicy" in "application-networking.k8s.aws/v1alpha1",
    AccessLogPolicy = "AccessLogPolicy" in "application-networking.k8s.aws/v1alpha1",
    IamAuthPolicy = "IAMAuthPolicy" in "application-networking.k8s.aws/v1alpha1",
    HttpRoute = "HTTPRoute" in "gateway.networking.k8s.io/v1",
    GrpcRoute = "GRPCRoute" in "gateway.networking.k8s.io/v1",
    TlsRoute = "TLSRoute" in "gateway.networking.k8s.io/v1",
    Gateway = "Gateway" in "gateway.networking.k8s.io/v1",
    GatewayClass = "GatewayClass" in "gateway.networking.k8s.io/v1",
    ReferenceGrant = "ReferenceGrant" in "gateway.networking.k8s.io/v1beta1",
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL.iter().copied().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
            format!("{s} is not a kind the harness knows{}", did_you_mean(s, &names))
        })
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every operation of the Lattice model (a test holds this list to the model).
pub const OPERATIONS: &str = "BatchUpdateRule|CreateAccessLogSubscription|CreateListener|CreateResourceConfiguration|CreateResourceGateway|CreateRule|CreateService|CreateServiceNetwork|CreateServiceNetworkResourceAssociation|CreateServiceNetworkServiceAssociation|CreateServiceNetworkVpcAssociation|CreateTargetGroup|DeleteAccessLogSubscription|DeleteAuthPolicy|DeleteDomainVerification|DeleteListener|DeleteResourceConfiguration|DeleteResourceEndpointAssociation|DeleteResourceGateway|DeleteResourcePolicy|DeleteRule|DeleteService|DeleteServiceNetwork|DeleteServiceNetworkResourceAssociation|DeleteServiceNetworkServiceAssociation|DeleteServiceNetworkVpcAssociation|DeleteTargetGroup|DeregisterTargets|GetAccessLogSubscription|GetAuthPolicy|GetDomainVerification|GetListener|GetResourceConfiguration|GetResourceGateway|GetResourcePolicy|GetRule|GetService|GetServiceNetwork|GetServiceNetworkResourceAssociation|GetServiceNetworkServiceAssociation|GetServiceNetworkVpcAssociation|GetTargetGroup|ListAccessLogSubscriptions|ListDomainVerifications|ListListeners|ListResourceConfigurations|ListResourceEndpointAssociations|ListResourceGateways|ListRules|ListServiceNetworkResourceAssociations|ListServiceNetworkServiceAssociations|ListServiceNetworkVpcAssociations|ListServiceNetworkVpcEndpointAssociations|ListServiceNetworks|ListServices|ListTagsForResource|ListTargetGroups|ListTargets|PutAuthPolicy|PutResourcePolicy|RegisterTargets|StartDomainVerification|TagResource|UntagResource|UpdateAccessLogSubscription|UpdateListener|UpdateResourceConfiguration|UpdateResourceGateway|UpdateRule|UpdateService|UpdateServiceNetwork|UpdateServiceNetworkVpcAssociation|UpdateTargetGroup";

fn operation(s: &str) -> Result<String, String> {
    let names: Vec<&str> = OPERATIONS.split('|').collect();
    if names.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!("{s} is not a Lattice operation{}", did_you_mean(s, &names)))
    }
}

/// A Lattice operation, by its API name: `ListTargetGroups`.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(
    name = "operation",
    regex = "BatchUpdateRule|CreateAccessLogSubscription|CreateListener|CreateResourceConfiguration|CreateResourceGateway|CreateRule|CreateService|CreateServiceNetwork|CreateServiceNetworkResourceAssociation|CreateServiceNetworkServiceAssociation|CreateServiceNetworkVpcAssociation|CreateTargetGroup|DeleteAccessLogSubscription|DeleteAuthPolicy|DeleteDomainVerification|DeleteListener|DeleteResourceConfiguration|DeleteResourceEndpointAssociation|DeleteResourceGateway|DeleteResourcePolicy|DeleteRule|DeleteService|DeleteServiceNetwork|DeleteServiceNetworkResourceAssociation|DeleteServiceNetworkServiceAssociation|DeleteServiceNetworkVpcAssociation|DeleteTargetGroup|DeregisterTargets|GetAccessLogSubscription|GetAuthPolicy|GetDomainVerification|GetListener|GetResourceConfiguration|GetResourceGateway|GetResourcePolicy|GetRule|GetService|GetServiceNetwork|GetServiceNetworkResourceAssociation|GetServiceNetworkServiceAssociation|GetServiceNetworkVpcAssociation|GetTargetGroup|ListAccessLogSubscriptions|ListDomainVerifications|ListListeners|ListResourceConfigurations|ListResourceEndpointAssociations|ListResourceGateways|ListRules|ListServiceNetworkResourceAssociations|ListServiceNetworkServiceAssociations|ListServiceNetworkVpcAssociations|ListServiceNetworkVpcEndpointAssociations|ListServiceNetworks|ListServices|ListTagsForResource|ListTargetGroups|ListTargets|PutAuthPolicy|PutResourcePolicy|RegisterTargets|StartDomainVerification|TagResource|UntagResource|UpdateAccessLogSubscription|UpdateListener|UpdateResourceConfiguration|UpdateResourceGateway|UpdateRule|UpdateService|UpdateServiceNetwork|UpdateServiceNetworkVpcAssociation|UpdateTargetGroup"
)]
pub struct Operation(pub String);

impl FromStr for Operation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        operation(s).map(Self)
    }
}

/// What a Lattice fault plan covers: one operation, or `all` of them.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(
    name = "calls",
    regex = "all|BatchUpdateRule|CreateAccessLogSubscription|CreateListener|CreateResourceConfiguration|CreateResourceGateway|CreateRule|CreateService|CreateServiceNetwork|CreateServiceNetworkResourceAssociation|CreateServiceNetworkServiceAssociation|CreateServiceNetworkVpcAssociation|CreateTargetGroup|DeleteAccessLogSubscription|DeleteAuthPolicy|DeleteDomainVerification|DeleteListener|DeleteResourceConfiguration|DeleteResourceEndpointAssociation|DeleteResourceGateway|DeleteResourcePolicy|DeleteRule|DeleteService|DeleteServiceNetwork|DeleteServiceNetworkResourceAssociation|DeleteServiceNetworkServiceAssociation|DeleteServiceNetworkVpcAssociation|DeleteTargetGroup|DeregisterTargets|GetAccessLogSubscription|GetAuthPolicy|GetDomainVerification|GetListener|GetResourceConfiguration|GetResourceGateway|GetResourcePolicy|GetRule|GetService|GetServiceNetwork|GetServiceNetworkResourceAssociation|GetServiceNetworkServiceAssociation|GetServiceNetworkVpcAssociation|GetTargetGroup|ListAccessLogSubscriptions|ListDomainVerifications|ListListeners|ListResourceConfigurations|ListResourceEndpointAssociations|ListResourceGateways|ListRules|ListServiceNetworkResourceAssociations|ListServiceNetworkServiceAssociations|ListServiceNetworkVpcAssociations|ListServiceNetworkVpcEndpointAssociations|ListServiceNetworks|ListServices|ListTagsForResource|ListTargetGroups|ListTargets|PutAuthPolicy|PutResourcePolicy|RegisterTargets|StartDomainVerification|TagResource|UntagResource|UpdateAccessLogSubscription|UpdateListener|UpdateResourceConfiguration|UpdateResourceGateway|UpdateRule|UpdateService|UpdateServiceNetwork|UpdateServiceNetworkVpcAssociation|UpdateTargetGroup"
)]
pub struct Calls(pub sim_core::FaultScope);

impl FromStr for Calls {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "all" {
            return Ok(Self(sim_core::FaultScope::All));
        }
        operation(s).map(|op| Self(sim_core::FaultScope::Operation(op))).map_err(|e| format!("{e} (or `all`)"))
    }
}

/// A count's comparison: `at most`, `at least`, `exactly`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "comparison", regex = "at most|at least|exactly")]
pub enum Comparison {
    AtMost,
    AtLeast,
    Exactly,
}

impl Comparison {
    pub fn holds(self, got: u64, wanted: u64) -> bool {
        match self {
            Comparison::AtMost => got <= wanted,
            Comparison::AtLeast => got >= wanted,
            Comparison::Exactly => got == wanted,
        }
    }
}

impl FromStr for Comparison {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "at most" => Ok(Self::AtMost),
            "at least" => Ok(Self::AtLeast),
            "exactly" => Ok(Self::Exactly),
            _ => Err(format!("{s} is not `at most`, `at least` or `exactly`")),
        }
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Comparison::AtMost => "at most",
            Comparison::AtLeast => "at least",
            Comparison::Exactly => "exactly",
        })
    }
}

/// What a Lattice fault does to a call.
#[derive(Clone, Debug, PartialEq, cucumber::Parameter)]
#[param(
    name = "fault",
    regex = r"429 ThrottlingException|409 ConflictException|500 InternalServerException|a delay of \d+ (?:ms|seconds?)"
)]
pub struct Fault(pub sim_core::FaultKind);

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        use sim_core::FaultKind;
        let kind = match s {
            "429 ThrottlingException" => FaultKind::Throttling { retry_after_secs: 1 },
            "409 ConflictException" => FaultKind::Conflict,
            "500 InternalServerException" => FaultKind::InternalError { retry_after_secs: None },
            _ => {
                let bad = || {
                    format!(
                        "{s:?} is not a Lattice fault: 429 ThrottlingException, 409 ConflictException, 500 InternalServerException or `a delay of N ms`"
                    )
                };
                let rest = s.strip_prefix("a delay of ").ok_or_else(bad)?;
                let (n, unit) = rest.split_once(' ').ok_or_else(bad)?;
                let n: u64 = n.parse().map_err(|_| bad())?;
                let delay_ms = match unit {
                    "ms" => n,
                    "second" | "seconds" => n * 1000,
                    _ => return Err(bad()),
                };
                FaultKind::Latency { delay_ms }
            }
        };
        Ok(Self(kind))
    }
}

/// A target group's lifecycle status, as Lattice names it.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "group_status", regex = "CREATE_IN_PROGRESS|ACTIVE|DELETE_IN_PROGRESS|CREATE_FAILED|DELETE_FAILED")]
pub struct GroupStatus(pub aws_sdk_vpclattice::types::TargetGroupStatus);

impl FromStr for GroupStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        use aws_sdk_vpclattice::types::TargetGroupStatus;
        let status = TargetGroupStatus::from(s);
        if TargetGroupStatus::values().contains(&s) {
            Ok(Self(status))
        } else {
            Err(format!("{s} is not a target group status ({})", TargetGroupStatus::values().join(", ")))
        }
    }
}

/// A target's status, as Lattice names it.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "target_status", regex = "DRAINING|UNAVAILABLE|HEALTHY|UNHEALTHY|INITIAL|UNUSED")]
pub struct TargetState(pub aws_sdk_vpclattice::types::TargetStatus);

impl FromStr for TargetState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        use aws_sdk_vpclattice::types::TargetStatus;
        if TargetStatus::values().contains(&s) {
            Ok(Self(TargetStatus::from(s)))
        } else {
            Err(format!("{s} is not a target status ({})", TargetStatus::values().join(", ")))
        }
    }
}

/// A reference controller profile: `v2.1.3` or `fixed`.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "profile", regex = r"v2\.1\.3|fixed")]
pub struct Profile(pub String);

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        sim_controller::Quirks::profile(s).map(|_| Self(s.to_string()))
    }
}

/// Where the controllers read and write tags: `Lattice` (`DISABLE_TAGGING_SERVICE_API=true`)
/// or `the Resource Groups Tagging API` (the default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "tagging", regex = r"Lattice|the Resource Groups Tagging API")]
pub struct Tagging(pub sim_controller::TaggingApi);

impl Tagging {
    pub const LATTICE: &'static str = "Lattice";
    pub const RESOURCE_GROUPS: &'static str = "the Resource Groups Tagging API";
}

impl FromStr for Tagging {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            Self::LATTICE => Ok(Self(sim_controller::TaggingApi::Lattice)),
            Self::RESOURCE_GROUPS => Ok(Self(sim_controller::TaggingApi::ResourceGroups)),
            other => {
                Err(format!("{other:?} is not a tagging path: expected {} or {}", Self::LATTICE, Self::RESOURCE_GROUPS))
            }
        }
    }
}

/// `" (did you mean X?)"` for the closest of `names` to `s`, or nothing when none is close.
pub fn did_you_mean(s: &str, names: &[&str]) -> String {
    let best = names.iter().map(|n| (strsim::levenshtein(s, n), *n)).min();
    match best {
        Some((d, n)) if d <= (s.len() / 3).max(2) => format!(" (did you mean {n}?)"),
        _ => String::new(),
    }
}

/// Loose patterns for the parameter types, by name: what a mistyped value still looks
/// like, so the lint can say which parameter is wrong rather than only that no step matched.
pub const LOOSE: &[(&str, &str)] = &[
    ("cluster", r#""[^"]*""#),
    ("object", r"\S+"),
    ("duration", r"\S+ \S+"),
    ("status", r"\S+"),
    ("timing", r"(?:[a-z ]+ \S+ \S+, )?"),
    ("route_kind", r"\S+"),
    ("kind", r"\S+"),
    ("operation", r"\S+"),
    ("calls", r"\S+"),
    ("comparison", r"at \S+|\S+"),
    ("fault", r"\d+ \S+|a delay of \S+ \S+"),
    ("group_status", r"\S+"),
    ("target_status", r"\S+"),
    ("profile", r"\S+"),
    ("tagging", r".+"),
    ("int", r"\S+"),
    ("float", r"\S+"),
    ("word", r"\S+"),
    ("string", r#""[^"]*""#),
];

/// Parses `value` as the parameter type `name`; the error says what is wrong with it.
pub fn check(name: &str, value: &str) -> Result<(), String> {
    fn parse<T: FromStr<Err = String>>(v: &str) -> Result<(), String> {
        v.parse::<T>().map(|_| ())
    }
    match name {
        "cluster" => parse::<Cluster>(value),
        "object" => parse::<Object>(value),
        "duration" => parse::<Span>(value),
        "status" => parse::<Status>(value),
        "timing" => parse::<Timing>(value),
        "route_kind" => parse::<RouteKind>(value),
        "kind" => parse::<Kind>(value),
        "operation" => parse::<Operation>(value),
        "calls" => parse::<Calls>(value),
        "comparison" => parse::<Comparison>(value),
        "fault" => parse::<Fault>(value),
        "group_status" => parse::<GroupStatus>(value),
        "target_status" => parse::<TargetState>(value),
        "profile" => parse::<Profile>(value),
        "tagging" => parse::<Tagging>(value),
        "int" => value.parse::<i64>().map(|_| ()).map_err(|_| format!("{value} is not a whole number")),
        "float" => value.parse::<f64>().map(|_| ()).map_err(|_| format!("{value} is not a number")),
        "string" if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') => Ok(()),
        "string" => Err(format!("{value} is not a quoted string")),
        _ => Ok(()),
    }
}

/// The regexes cucumber expands each parameter type to (the names used in expressions).
pub fn regexes() -> Vec<(&'static str, &'static str)> {
    use cucumber::Parameter;
    vec![
        (Cluster::NAME, Cluster::REGEX),
        (Object::NAME, Object::REGEX),
        (Span::NAME, Span::REGEX),
        (Status::NAME, Status::REGEX),
        (Timing::NAME, Timing::REGEX),
        (RouteKind::NAME, RouteKind::REGEX),
        (Kind::NAME, Kind::REGEX),
        (Operation::NAME, Operation::REGEX),
        (Calls::NAME, Calls::REGEX),
        (Comparison::NAME, Comparison::REGEX),
        (Fault::NAME, Fault::REGEX),
        (GroupStatus::NAME, GroupStatus::REGEX),
        (TargetState::NAME, TargetState::REGEX),
        (Profile::NAME, Profile::REGEX),
        (Tagging::NAME, Tagging::REGEX),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_list_is_the_models() {
        let model: Vec<&str> = sim_lattice::model::operations().iter().map(|o| o.name).collect();
        assert_eq!(OPERATIONS.split('|').collect::<Vec<_>>(), model);
        use cucumber::Parameter;
        assert_eq!(Operation::REGEX, OPERATIONS);
        assert_eq!(Calls::REGEX, format!("all|{OPERATIONS}"));
    }

    #[test]
    fn the_kind_pattern_lists_every_kind() {
        use cucumber::Parameter;
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(Kind::REGEX, names.join("|"));
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            "ListTargetGroup".parse::<Operation>().unwrap_err(),
            "ListTargetGroup is not a Lattice operation (did you mean ListTargetGroups?)"
        );
        assert!("all".parse::<Operation>().is_err(), "all is not an operation");
        assert!("all".parse::<Calls>().is_ok());
        assert!("ServiceExprot".parse::<Kind>().unwrap_err().contains("did you mean ServiceExport?"));
        assert_eq!("".parse::<Timing>(), Ok(Timing::Settled(None)));
        assert_eq!("for 60 seconds, ".parse::<Timing>(), Ok(Timing::For(Duration::from_secs(60))));
        assert_eq!("at no point within 2 minutes, ".parse::<Timing>(), Ok(Timing::AtNoPoint(Duration::from_secs(120))));
        assert!("3 fortnights".parse::<Span>().is_err());
        assert!(matches!(
            "a delay of 250 ms".parse::<Fault>(),
            Ok(Fault(sim_core::FaultKind::Latency { delay_ms: 250 }))
        ));
    }
}
