//! Oracles written from the controller's specification alone (`docs/controller.md` §2.4 and
//! §3.2, edge cases E-I3 and E-I8), sharing no code with the reference reconciler: the
//! world's invariants and the properties compare the reconciler — and the Lattice state it
//! leaves behind — against them.

use std::collections::BTreeMap;

pub const AN: &str = "application-networking.k8s.aws/";

/// A Service port as the oracle sees it: a name ("" when unnamed) and a port number.
#[derive(Clone, Debug)]
pub struct ServicePort {
    pub name: String,
    pub port: i32,
    /// The targetPort: a number or a name (only the manifests need it; the endpoint side
    /// already carries the resolved number, §2.4).
    pub target: TargetPort,
}

#[derive(Clone, Debug)]
pub enum TargetPort {
    Number(i32),
    Name(String),
}

#[derive(Clone, Debug)]
pub struct SlicePort {
    /// "" when unnamed.
    pub name: String,
    pub port: i32,
}

#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addresses: Vec<String>,
    pub ready: Option<bool>,
    pub terminating: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct Slice {
    pub ports: Vec<SlicePort>,
    pub endpoints: Vec<Endpoint>,
}

/// §2.4 "Defined port set": split on `,`; each piece parsed as a base-10 int32 as it is (no
/// trimming); empty and unparsable pieces skipped.
pub fn defined_port_set(annotation: &str) -> Vec<i32> {
    let mut set = Vec::new();
    for piece in annotation.split(',') {
        if piece.is_empty() {
            continue;
        }
        // Go's strconv.ParseInt(piece, 10, 32): an optional sign, then ASCII digits only.
        let digits = piece.strip_prefix(['+', '-']).unwrap_or(piece);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(value) = piece.parse::<i64>() else { continue };
        if let Ok(port) = i32::try_from(value) {
            set.push(port);
        }
    }
    set
}

/// §2.4: the `(address, port)` targets of a Service's slices for a defined port set, sorted
/// (the oracle does not claim any order; duplicates are kept, as the controller keeps them).
pub fn expected_targets(ports: &[ServicePort], slices: &[Slice], defined: &[i32]) -> Vec<(String, i32)> {
    // Which slice port names are accepted; None = every slice port.
    let accepted: Option<Vec<&str>> = if defined.is_empty() {
        None
    } else {
        let selected: Vec<&ServicePort> = ports.iter().filter(|p| defined.contains(&p.port)).collect();
        if selected.iter().any(|p| p.name.is_empty()) {
            None // an unnamed selected port "skips the match"
        } else {
            Some(selected.iter().map(|p| p.name.as_str()).collect())
        }
    };
    let mut targets = Vec::new();
    for slice in slices {
        let live: Vec<&Endpoint> = slice.endpoints.iter().filter(|e| e.terminating != Some(true)).collect();
        for port in &slice.ports {
            if accepted.as_ref().is_some_and(|names| !names.contains(&port.name.as_str())) {
                continue;
            }
            for endpoint in &live {
                targets.extend(endpoint.addresses.iter().map(|a| (a.clone(), port.port)));
            }
        }
    }
    targets.sort();
    targets
}

/// The oracle's view of a Service's ports, from the Service object.
pub fn service_ports(service: &serde_json::Value) -> Vec<ServicePort> {
    service["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| ServicePort {
            name: p["name"].as_str().unwrap_or_default().to_string(),
            port: p["port"].as_i64().unwrap_or_default() as i32,
            target: match &p["targetPort"] {
                serde_json::Value::String(name) => TargetPort::Name(name.clone()),
                other => TargetPort::Number(other.as_i64().unwrap_or_default() as i32),
            },
        })
        .collect()
}

/// The oracle's view of an EndpointSlice.
pub fn slice(object: &serde_json::Value) -> Slice {
    let ports = object["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| SlicePort {
            name: p["name"].as_str().unwrap_or_default().to_string(),
            port: p["port"].as_i64().unwrap_or_default() as i32,
        })
        .collect();
    let endpoints = object["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| Endpoint {
            addresses: e["addresses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(String::from))
                .collect(),
            ready: e["conditions"]["ready"].as_bool(),
            terminating: e["conditions"]["terminating"].as_bool(),
        })
        .collect();
    Slice { ports, endpoints }
}

/// An exported target group as the import search sees it (in ListTargetGroups order).
#[derive(Clone, Debug)]
pub struct ExportedGroup {
    pub id: String,
    pub vpc: String,
    pub tags: BTreeMap<String, String>,
}

/// What a ServiceImport backendRef resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Modes 1–2: this target group (the first match in list order, E-I3).
    Found(String),
    /// Modes 1–2: no target group matches.
    NotFound,
    /// Mode 3 with any discovery annotation present, even blank (E-I8).
    Conflicting,
    /// Mode 3 with an ARN that is not a Lattice target-group ARN.
    InvalidArn,
    /// Mode 3: this target-group id, taken from the ARN.
    External(String),
}

const EXPORT_NAME: &str = "export-name";
const CLUSTER: &str = "aws-eks-cluster-name";
const VPC: &str = "aws-vpc";
const ARN: &str = "target-group-arn";

/// §3.2: the resolution of a backendRef named `name` in `namespace` whose ServiceImport has
/// `annotations` (full keys), against the exported groups in list order.
pub fn expected_resolution(
    annotations: &BTreeMap<String, String>,
    name: &str,
    namespace: &str,
    groups: &[ExportedGroup],
) -> Resolution {
    expected_resolution_preferring(annotations, name, namespace, groups, None)
}

/// [`expected_resolution`] as profile `fixed` resolves for a route of one protocol (H-2 fixed):
/// of the groups the annotations accept, the first whose `ProtocolVersion` tag is `prefer`
/// (GRPC for a GRPCRoute), else the first at all.
pub fn expected_resolution_preferring(
    annotations: &BTreeMap<String, String>,
    name: &str,
    namespace: &str,
    groups: &[ExportedGroup],
    prefer: Option<&str>,
) -> Resolution {
    let get = |short: &str| annotations.get(&format!("{AN}{short}"));
    if let Some(arn) = get(ARN).filter(|a| !a.trim().is_empty()) {
        if [EXPORT_NAME, CLUSTER, VPC].iter().any(|k| get(k).is_some()) {
            return Resolution::Conflicting;
        }
        return external_id(arn.trim()).map_or(Resolution::InvalidArn, Resolution::External);
    }
    // export-name is trimmed (#922); the cluster and VPC filters are compared as written, and
    // only an empty value means "no filter" (§1.2).
    let wanted = get(EXPORT_NAME).map(|v| v.trim()).filter(|v| !v.is_empty()).unwrap_or(name);
    let cluster = get(CLUSTER).filter(|v| !v.is_empty());
    let vpc = get(VPC).filter(|v| !v.is_empty());
    let tag = |g: &ExportedGroup, k: &str| g.tags.get(&format!("{AN}{k}")).cloned();
    let accepted: Vec<&ExportedGroup> = groups
        .iter()
        .filter(|g| {
            tag(g, "SourceTypeKey").as_deref() == Some("ServiceExport")
                && tag(g, "ServiceName").as_deref() == Some(wanted)
                && tag(g, "ServiceNamespace").as_deref() == Some(namespace)
                && cluster.is_none_or(|c| tag(g, "ClusterName").as_ref() == Some(c))
                && vpc.is_none_or(|v| &g.vpc == v)
        })
        .collect();
    let preferred = prefer.and_then(|p| accepted.iter().find(|g| tag(g, "ProtocolVersion").as_deref() == Some(p)));
    preferred.or(accepted.first()).map_or(Resolution::NotFound, |g| Resolution::Found(g.id.clone()))
}

/// `arn:<partition>:vpc-lattice:<region>:<account>:targetgroup/tg-` + 17 of `[0-9a-z]`.
fn external_id(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:")?;
    let sections: Vec<&str> = rest.splitn(5, ':').collect();
    if sections.len() != 5 || sections[1] != "vpc-lattice" {
        return None;
    }
    let id = sections[4].strip_prefix("targetgroup/")?;
    let suffix = id.strip_prefix("tg-")?;
    (suffix.len() == 17 && suffix.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())).then(|| id.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oracles_read_the_spec_examples() {
        assert_eq!(defined_port_set("80, 81,abc,,90000000000,+82,-"), [80, 82]);
        let arn = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123456789abcdef0";
        assert_eq!(external_id(arn).as_deref(), Some("tg-0123456789abcdef0"));
        assert_eq!(external_id("arn:aws:ec2:us-west-2:1:targetgroup/tg-0123456789abcdef0"), None);
    }
}
