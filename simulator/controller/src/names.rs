//! Lattice names (controller.md §1.4). Names are cosmetic; lookups go by tags or by the
//! Lattice service name.

use std::sync::Mutex;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// The first `n` bytes, then leading and trailing `-` stripped (`pkg/utils/common.go`).
pub fn trunc(s: &str, n: usize) -> &str {
    let end = if s.len() <= n { s.len() } else { s.floor_char_boundary(n) };
    s[..end].trim_matches('-')
}

/// Where random name suffixes come from: a seeded stream (deterministic worlds) or the OS.
pub struct Suffixes(Mutex<ChaCha8Rng>);

impl Suffixes {
    pub fn new(seed: Option<u64>) -> Self {
        // Without a seed, names need only differ between runs.
        let seed = seed.unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
        });
        let rng = ChaCha8Rng::seed_from_u64(seed);
        Self(Mutex::new(rng))
    }

    /// 10 characters `[a-z]`.
    pub fn draw(&self) -> String {
        let mut rng = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (0..10).map(|_| (b'a' + (rng.next_u32() % 26) as u8) as char).collect()
    }
}

/// `k8s-<ns>-<name>-<10 random [a-z]>` (`GenerateTgName`), at most 126 characters.
pub fn target_group(namespace: &str, name: &str, suffix: &str) -> String {
    let name = format!("k8s-{}-{}-{suffix}", trunc(namespace, 55), trunc(name, 55));
    name[..name.len().min(126)].to_string()
}

/// `trunc(route,20)-trunc(ns,18)` (`LatticeServiceName`).
pub fn service(route: &str, namespace: &str) -> String {
    format!("{}-{}", trunc(route, 20), trunc(namespace, 18))
}

/// `trunc(route,20)-trunc(ns,18)-<port>-<protocol>` (`k8sLatticeListenerName`).
pub fn listener(route: &str, namespace: &str, port: i32, protocol: &str) -> String {
    let protocol = if protocol == "TLS_PASSTHROUGH" { "tls".to_string() } else { protocol.to_lowercase() };
    format!("{}-{}-{port}-{protocol}", trunc(route, 20), trunc(namespace, 18))
}

/// `k8s-<unix seconds>-rule-<priority>`.
pub fn rule(unix_seconds: u64, priority: i32) -> String {
    format!("k8s-{unix_seconds}-rule-{priority}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_controller() {
        assert_eq!(trunc("-abc-", 10), "abc");
        assert_eq!(trunc("abcdef-ghij", 7), "abcdef");
        assert_eq!(target_group("app", "inventory", "abcdefghij"), "k8s-app-inventory-abcdefghij");
        assert_eq!(service("a-very-long-route-name-indeed", "ns"), "a-very-long-route-na-ns");
        assert_eq!(listener("r", "ns", 443, "TLS_PASSTHROUGH"), "r-ns-443-tls");
        let (a, b) = (Suffixes::new(Some(1)), Suffixes::new(Some(1)));
        assert_eq!(a.draw(), b.draw());
        assert_eq!(a.draw().len(), 10);
    }
}
