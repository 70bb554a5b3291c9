//! Parameter types for the domain nouns of the step library.

use std::str::FromStr;
use std::time::Duration;

/// A cluster's name, quoted: `"cluster-a"`.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "cluster", regex = r#""[a-z0-9][a-z0-9-]*""#)]
pub struct Cluster(pub String);

impl FromStr for Cluster {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(Self(s.trim_matches('"').to_string()))
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
        Ok(Self { namespace: namespace.into(), name: name.into() })
    }
}

/// `30 seconds`, `1 second`, `5 minutes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "duration", regex = r"\d+ (?:seconds?|minutes?)")]
pub struct Span(pub Duration);

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (n, unit) = s.split_once(' ').ok_or("a duration is `<n> seconds` or `<n> minutes`")?;
        let n: u64 = n.parse().map_err(|e| format!("{s}: {e}"))?;
        Ok(Self(Duration::from_secs(if unit.starts_with("minute") { n * 60 } else { n })))
    }
}

/// A condition status: `True`, `False`, `Unknown`.
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(name = "status", regex = "True|False|Unknown")]
pub struct Status(pub String);

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(Self(s.into()))
    }
}
