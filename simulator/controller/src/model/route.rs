//! Routes as the controller reads them (any of HTTPRoute, GRPCRoute, TLSRoute, from their
//! JSON), and the Lattice rule matches, priorities and listener choices they become
//! (controller.md §4.2–§4.5).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::tags;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteKind {
    Http,
    Grpc,
    Tls,
}

impl RouteKind {
    pub fn kind(&self) -> &'static str {
        match self {
            RouteKind::Http => "HTTPRoute",
            RouteKind::Grpc => "GRPCRoute",
            RouteKind::Tls => "TLSRoute",
        }
    }

    pub fn plural(&self) -> &'static str {
        match self {
            RouteKind::Http => "httproutes",
            RouteKind::Grpc => "grpcroutes",
            RouteKind::Tls => "tlsroutes",
        }
    }

    /// The `RouteType` tag of the Lattice service.
    pub fn route_type(&self) -> &'static str {
        match self {
            RouteKind::Http => "http",
            RouteKind::Grpc => "grpc",
            RouteKind::Tls => "tls",
        }
    }

    pub fn finalizer(&self) -> &'static str {
        match self {
            RouteKind::Http => "httproute.k8s.aws/resources",
            RouteKind::Grpc => "grpcroute.k8s.aws/resources",
            RouteKind::Tls => "tlsroute.k8s.aws/resources",
        }
    }

    /// The protocol version an import for this route kind would prefer (fixed H-2).
    pub fn preferred_version(&self) -> &'static str {
        match self {
            RouteKind::Http => "HTTP1",
            RouteKind::Grpc => "GRPC",
            RouteKind::Tls => "",
        }
    }

    pub const ALL: [RouteKind; 3] = [RouteKind::Http, RouteKind::Grpc, RouteKind::Tls];
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParentRef {
    pub name: String,
    pub namespace: String,
    pub section_name: Option<String>,
    pub port: Option<i32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BackendRef {
    /// `None` when the stored object has no `group` (only without CRD defaulting).
    pub group: Option<String>,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub port: Option<i32>,
    pub weight: i32,
}

impl BackendRef {
    pub fn is_import(&self) -> bool {
        self.kind == "ServiceImport"
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouteRule {
    pub matches: Vec<Value>,
    pub backend_refs: Vec<BackendRef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub kind: RouteKind,
    pub name: String,
    pub namespace: String,
    pub annotations: BTreeMap<String, String>,
    pub parent_refs: Vec<ParentRef>,
    pub hostnames: Vec<String>,
    pub rules: Vec<RouteRule>,
    pub deleting: bool,
}

impl Route {
    pub fn from_json(kind: RouteKind, obj: &Value) -> Route {
        let namespace = obj["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
        let s = |v: &Value| v.as_str().map(String::from);
        let parent_refs = obj["spec"]["parentRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| ParentRef {
                name: s(&p["name"]).unwrap_or_default(),
                namespace: s(&p["namespace"]).unwrap_or_else(|| namespace.clone()),
                section_name: s(&p["sectionName"]),
                port: p["port"].as_i64().map(|p| p as i32),
            })
            .collect();
        let rules = obj["spec"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| RouteRule {
                matches: r["matches"].as_array().cloned().unwrap_or_default(),
                backend_refs: r["backendRefs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|b| BackendRef {
                        group: s(&b["group"]),
                        kind: s(&b["kind"]).unwrap_or_else(|| "Service".into()),
                        name: s(&b["name"]).unwrap_or_default(),
                        namespace: s(&b["namespace"]).unwrap_or_else(|| namespace.clone()),
                        port: b["port"].as_i64().map(|p| p as i32),
                        weight: b["weight"].as_i64().map_or(1, |w| w as i32),
                    })
                    .collect(),
            })
            .collect();
        Route {
            kind,
            name: obj["metadata"]["name"].as_str().unwrap_or_default().to_string(),
            namespace,
            annotations: obj["metadata"]["annotations"]
                .as_object()
                .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                .unwrap_or_default(),
            parent_refs,
            hostnames: obj["spec"]["hostnames"].as_array().into_iter().flatten().filter_map(s).collect(),
            rules,
            deleting: !obj["metadata"]["deletionTimestamp"].is_null(),
        }
    }

    pub fn user_tags(&self) -> tags::Tags {
        tags::user_tags(self.annotations.get(tags::USER_TAGS).map(String::as_str))
    }
}

/// A Lattice rule match, in the form `GetRule` returns and the controller compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleMatch {
    pub method: Option<String>,
    /// `(exact?, path)`.
    pub path: Option<(bool, String)>,
    /// `(name, exact value)`, case-insensitive.
    pub headers: Vec<(String, String)>,
}

/// The Lattice match of a route rule (§4.4 Matches, GRPCRoute).
pub fn rule_match(kind: RouteKind, matches: &[Value]) -> Result<RuleMatch, String> {
    if matches.len() > 1 {
        return Err("LATTICE_NO_SUPPORT_FOR_MULTIPLE_MATCHES".into());
    }
    let Some(m) = matches.first() else {
        let method = (kind == RouteKind::Grpc).then(|| "POST".to_string());
        return Ok(RuleMatch { method, path: Some((false, "/".into())), headers: vec![] });
    };
    let mut out = RuleMatch::default();
    let headers: Vec<&Value> = m["headers"].as_array().map(|h| h.iter().collect()).unwrap_or_default();
    if headers.len() > 5 {
        return Err("too many headers in a match: at most 5".into());
    }
    for h in headers {
        if h["type"].as_str().unwrap_or("Exact") != "Exact" {
            return Err(format!("unsupported header match type {}", h["type"]));
        }
        out.headers.push((
            h["name"].as_str().unwrap_or_default().to_string(),
            h["value"].as_str().unwrap_or_default().to_string(),
        ));
    }
    match kind {
        RouteKind::Grpc => {
            out.method = Some("POST".into());
            let service = m["method"]["service"].as_str();
            let method = m["method"]["method"].as_str();
            out.path = Some(match (service, method) {
                (Some(s), Some(me)) => (true, format!("/{s}/{me}")),
                (Some(s), None) => (false, format!("/{s}/")),
                (None, None) => (false, "/".into()),
                (None, Some(_)) => return Err("cannot match a gRPC method without a service".into()),
            });
        }
        _ => {
            if m["queryParams"].as_array().is_some_and(|q| !q.is_empty()) {
                return Err("query parameter matches are not supported".into());
            }
            out.method = m["method"].as_str().map(String::from);
            if let Some(path) = m.get("path").filter(|p| !p.is_null()) {
                let value = path["value"].as_str().unwrap_or("/").to_string();
                out.path = Some(match path["type"].as_str() {
                    Some("Exact") => (true, value),
                    Some("PathPrefix") => (false, value),
                    other => return Err(format!("unsupported path match type {other:?}")),
                });
            }
        }
    }
    Ok(out)
}

/// Rule priorities (§4.4): annotated ones as given (i+1 when not an integer), the others the
/// previous priority + 1.
pub fn priorities(route: &Route) -> Vec<i32> {
    let mut out = Vec::new();
    let mut previous = 0;
    for i in 0..route.rules.len() {
        let priority = match route.annotations.get(&format!("{}rule-{i}-priority", tags::PREFIX)) {
            Some(text) => text.trim().parse().unwrap_or(i as i32 + 1),
            None => previous + 1,
        };
        out.push(priority);
        previous = priority;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_and_priorities() {
        assert_eq!(
            rule_match(RouteKind::Http, &[]).unwrap(),
            RuleMatch { method: None, path: Some((false, "/".into())), headers: vec![] }
        );
        assert_eq!(
            rule_match(RouteKind::Grpc, &[json!({"method": {"service": "s", "method": "m"}})]).unwrap().path,
            Some((true, "/s/m".into()))
        );
        assert!(rule_match(RouteKind::Http, &[json!({}), json!({})]).is_err());
        assert!(rule_match(RouteKind::Http, &[json!({"path": {"type": "RegularExpression", "value": "/x"}})]).is_err());
        let mut route = Route::from_json(
            RouteKind::Http,
            &json!({"metadata": {"name": "r", "namespace": "n"}, "spec": {"rules": [{}, {}, {}]}}),
        );
        assert_eq!(priorities(&route), [1, 2, 3]);
        route.annotations.insert(format!("{}rule-1-priority", tags::PREFIX), "10".into());
        assert_eq!(priorities(&route), [1, 10, 11]);
    }
}
