//! Annotation and tag keys (controller.md §1.2, §1.3) and the `tags` annotation's rules.

use std::collections::BTreeMap;

pub const PREFIX: &str = "application-networking.k8s.aws/";

pub const FEDERATION: &str = "application-networking.k8s.aws/federation";
pub const FEDERATION_VALUE: &str = "amazon-vpc-lattice";
pub const PORT: &str = "application-networking.k8s.aws/port";
pub const SERVICE_NAME: &str = "application-networking.k8s.aws/service-name";
pub const USER_TAGS: &str = "application-networking.k8s.aws/tags";
pub const EXPORT_NAME: &str = "application-networking.k8s.aws/export-name";
pub const EKS_CLUSTER_NAME: &str = "application-networking.k8s.aws/aws-eks-cluster-name";
pub const AWS_VPC: &str = "application-networking.k8s.aws/aws-vpc";
pub const TARGET_GROUP_ARN: &str = "application-networking.k8s.aws/target-group-arn";
pub const SERVICE_NAME_OVERRIDE: &str = "application-networking.k8s.aws/service-name-override";
pub const STANDALONE: &str = "application-networking.k8s.aws/standalone";
pub const ALLOW_TAKEOVER_FROM: &str = "application-networking.k8s.aws/allow-takeover-from";
pub const LATTICE_SERVICE_ARN: &str = "application-networking.k8s.aws/lattice-service-arn";
pub const LATTICE_DOMAIN: &str = "application-networking.k8s.aws/lattice-assigned-domain-name";

pub const EXPORT_FINALIZER: &str = "serviceexport.k8s.aws/resources";

pub const MANAGED_BY: &str = "application-networking.k8s.aws/ManagedBy";
pub const CLUSTER_NAME: &str = "application-networking.k8s.aws/ClusterName";
pub const TG_SERVICE_NAME: &str = "application-networking.k8s.aws/ServiceName";
pub const TG_SERVICE_NAMESPACE: &str = "application-networking.k8s.aws/ServiceNamespace";
pub const SOURCE_TYPE: &str = "application-networking.k8s.aws/SourceTypeKey";
pub const PROTOCOL_VERSION: &str = "application-networking.k8s.aws/ProtocolVersion";
pub const ROUTE_NAME: &str = "application-networking.k8s.aws/RouteName";
pub const ROUTE_NAMESPACE: &str = "application-networking.k8s.aws/RouteNamespace";
pub const ROUTE_TYPE: &str = "application-networking.k8s.aws/RouteType";

pub type Tags = BTreeMap<String, String>;

/// The `tags` annotation: `k=v,k2=v2`, split on `,` then on the first `=`, trimmed; empty,
/// over-long, or badly charactered pairs dropped; the first of a duplicate key wins; at most
/// 50; keys under our prefix or `aws:` dropped (`pkg/k8s/utils.go`).
pub fn user_tags(annotation: Option<&str>) -> Tags {
    let mut tags = Tags::new();
    for pair in annotation.unwrap_or_default().split(',') {
        let Some((k, v)) = pair.split_once('=') else { continue };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || v.is_empty() || k.len() > 128 || v.len() > 256 {
            continue;
        }
        let charset = |s: &str| s.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c));
        if !charset(k) || !charset(v) {
            continue;
        }
        let lower = k.to_ascii_lowercase();
        if lower.starts_with(PREFIX) || lower.starts_with("aws:") {
            continue;
        }
        if tags.len() >= 50 {
            break;
        }
        tags.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    tags
}

/// Tags the controller owns, which user-tag reconciliation never touches.
pub fn is_controller_tag(key: &str) -> bool {
    key.starts_with(PREFIX) || key.to_ascii_lowercase().starts_with("aws:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_tag_rules() {
        let tags =
            user_tags(Some(" team = a ,env=prod,team=b,=x,y=,aws:k=v,application-networking.k8s.aws/X=1,bad!=v"));
        assert_eq!(tags, Tags::from([("team".into(), "a".into()), ("env".into(), "prod".into())]));
        assert!(user_tags(None).is_empty());
    }
}
