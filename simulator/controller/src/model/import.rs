//! ServiceImport resolution (controller.md §3.2): which mode a backendRef is in, and the
//! first exported target group in list order that the annotations accept. Pure, so that
//! property tests can drive it directly.

use std::collections::BTreeMap;

use crate::tags::{self, Tags};

/// How a ServiceImport backendRef is resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Modes 1 and 2: a tag search.
    Search(Query),
    /// Mode 3: this external target group id.
    External { id: String, arn: String },
}

/// A tag search: ServiceName and ServiceNamespace, optionally a cluster and a VPC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub name: String,
    pub namespace: String,
    pub cluster: Option<String>,
    pub vpc: Option<String>,
}

/// Why a Mode-3 import is refused (the route's `ResolvedRefs` reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeError {
    ConflictingServiceImportAnnotations,
    InvalidExternalTargetGroup(String),
}

/// The mode for a backendRef named `name` in `namespace` whose ServiceImport has
/// `annotations` (empty when there is no ServiceImport object).
pub fn mode(annotations: &BTreeMap<String, String>, name: &str, namespace: &str) -> Result<Mode, ModeError> {
    let discovery = [tags::EXPORT_NAME, tags::AWS_VPC, tags::EKS_CLUSTER_NAME];
    let arn = annotations.get(tags::TARGET_GROUP_ARN).map(|a| a.trim()).filter(|a| !a.is_empty());
    if let Some(arn) = arn {
        if discovery.iter().any(|k| annotations.contains_key(*k)) {
            return Err(ModeError::ConflictingServiceImportAnnotations);
        }
        return target_group_id(arn)
            .map(|id| Mode::External { id, arn: arn.to_string() })
            .ok_or_else(|| ModeError::InvalidExternalTargetGroup(arn.to_string()));
    }
    // Only export-name is trimmed (#922). The cluster and VPC filters are compared as written
    // and only an empty value means "no filter" (controller.md §1.2), so " c1" matches nothing.
    let trimmed = |k: &str| annotations.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let as_written = |k: &str| annotations.get(k).filter(|v| !v.is_empty()).cloned();
    Ok(Mode::Search(Query {
        name: trimmed(tags::EXPORT_NAME).unwrap_or_else(|| name.to_string()),
        namespace: namespace.to_string(),
        cluster: as_written(tags::EKS_CLUSTER_NAME),
        vpc: as_written(tags::AWS_VPC),
    }))
}

/// `arn:<partition>:vpc-lattice:<region>:<account>:targetgroup/tg-[0-9a-z]{17}`.
pub fn target_group_id(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, _partition, service, _region, _account, resource] = parts.as_slice() else { return None };
    if *prefix != "arn" || *service != "vpc-lattice" {
        return None;
    }
    let id = resource.strip_prefix("targetgroup/")?;
    let ok = id.len() == 20
        && id.starts_with("tg-")
        && id[3..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    ok.then(|| id.to_string())
}

/// A target group as the search sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub arn: String,
    pub vpc: String,
    pub tags: Option<Tags>,
}

/// The first candidate (in list order) the query accepts. With `prefer_version`, a candidate
/// whose ProtocolVersion tag equals it wins over earlier ones (the fixed H-2 behaviour).
pub fn resolve<'a>(query: &Query, candidates: &'a [Candidate], prefer_version: Option<&str>) -> Option<&'a Candidate> {
    let accepted = candidates.iter().filter(|c| {
        let Some(t) = &c.tags else { return false };
        let tag = |k: &str| t.get(k).map(String::as_str);
        tag(tags::SOURCE_TYPE) == Some("ServiceExport")
            && tag(tags::TG_SERVICE_NAME) == Some(query.name.as_str())
            && tag(tags::TG_SERVICE_NAMESPACE) == Some(query.namespace.as_str())
            && query.cluster.as_deref().is_none_or(|c| tag(tags::CLUSTER_NAME) == Some(c))
            && query.vpc.as_deref().is_none_or(|v| c.vpc == v)
    });
    let accepted: Vec<&Candidate> = accepted.collect();
    if let Some(version) = prefer_version
        && let Some(best) = accepted
            .iter()
            .find(|c| c.tags.as_ref().and_then(|t| t.get(tags::PROTOCOL_VERSION)).map(String::as_str) == Some(version))
    {
        return Some(best);
    }
    accepted.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn modes() {
        let q = |name: &str, cluster: Option<&str>| {
            Mode::Search(Query {
                name: name.into(),
                namespace: "ns".into(),
                cluster: cluster.map(String::from),
                vpc: None,
            })
        };
        assert_eq!(mode(&annotations(&[]), "svc", "ns"), Ok(q("svc", None)));
        assert_eq!(mode(&annotations(&[(tags::EXPORT_NAME, " other ")]), "svc", "ns"), Ok(q("other", None)));
        assert_eq!(
            mode(&annotations(&[(tags::EXPORT_NAME, "  "), (tags::EKS_CLUSTER_NAME, "c1")]), "svc", "ns"),
            Ok(q("svc", Some("c1")))
        );
        assert_eq!(mode(&annotations(&[(tags::EKS_CLUSTER_NAME, "")]), "svc", "ns"), Ok(q("svc", None)));
        assert_eq!(mode(&annotations(&[(tags::EKS_CLUSTER_NAME, " c1")]), "svc", "ns"), Ok(q("svc", Some(" c1"))));
        let arn = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123456789abcdef0";
        assert_eq!(
            mode(&annotations(&[(tags::TARGET_GROUP_ARN, arn)]), "svc", "ns"),
            Ok(Mode::External { id: "tg-0123456789abcdef0".into(), arn: arn.into() })
        );
        // An empty aws-vpc still counts as present for the conflict check (E-I8).
        assert_eq!(
            mode(&annotations(&[(tags::TARGET_GROUP_ARN, arn), (tags::AWS_VPC, "")]), "svc", "ns"),
            Err(ModeError::ConflictingServiceImportAnnotations)
        );
        assert!(matches!(
            mode(&annotations(&[(tags::TARGET_GROUP_ARN, "arn:aws:ec2:x:1:instance/i-1")]), "svc", "ns"),
            Err(ModeError::InvalidExternalTargetGroup(_))
        ));
    }
}
