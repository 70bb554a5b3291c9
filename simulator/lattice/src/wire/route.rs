//! Routing on the raw path: split on `/`, then percent-decode each segment, so an ARN in a
//! label (sent as `arn%3Aaws%3A…%2F…`) stays one segment (lattice-api.md §1).

use std::sync::LazyLock;

use percent_encoding::percent_decode_str;

use crate::model::{self, Operation};

enum Segment {
    Literal(&'static str),
    Label(&'static str),
}

struct Route {
    method: &'static str,
    segments: Vec<Segment>,
    operation: &'static Operation,
}

static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    model::operations()
        .iter()
        .map(|op| Route {
            method: op.method,
            segments: split(op.uri)
                .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(label) => Segment::Label(label),
                    None => Segment::Literal(s),
                })
                .collect(),
            operation: op,
        })
        .collect()
});

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

/// The operation for a method and raw path, with its decoded path labels.
pub fn find_operation(method: &str, raw_path: &str) -> Option<(&'static Operation, Vec<(&'static str, String)>)> {
    let segments: Vec<&str> = split(raw_path).collect();
    'routes: for route in ROUTES.iter().filter(|r| r.method == method && r.segments.len() == segments.len()) {
        let mut labels = Vec::new();
        for (pattern, actual) in route.segments.iter().zip(&segments) {
            match pattern {
                Segment::Literal(lit) if lit == actual => {}
                Segment::Literal(_) => continue 'routes,
                Segment::Label(name) => {
                    labels.push((*name, percent_decode_str(actual).decode_utf8_lossy().into_owned()))
                }
            }
        }
        return Some((route.operation, labels));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_arns_are_one_label() {
        let (op, labels) =
            find_operation("GET", "/tags/arn%3Aaws%3Avpc-lattice%3Aus-west-2%3A123456789012%3Aservice%2Fsvc-0123")
                .unwrap();
        assert_eq!(op.name, "ListTagsForResource");
        assert_eq!(
            labels,
            [("resourceArn", "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123".to_string())]
        );
    }

    #[test]
    fn colliding_routes_are_told_apart() {
        assert_eq!(find_operation("PATCH", "/services/s/listeners/l/rules").unwrap().0.name, "BatchUpdateRule");
        assert_eq!(find_operation("PATCH", "/services/s/listeners/l/rules/r").unwrap().0.name, "UpdateRule");
        assert_eq!(find_operation("POST", "/targetgroups/t/listtargets").unwrap().0.name, "ListTargets");
        assert_eq!(find_operation("POST", "/targetgroups/t/registertargets").unwrap().0.name, "RegisterTargets");
        assert_eq!(find_operation("DELETE", "/tags/x").unwrap().0.name, "UntagResource");
        assert!(find_operation("PUT", "/targetgroups").is_none());
        assert!(find_operation("GET", "/nothing/here").is_none());
    }
}
