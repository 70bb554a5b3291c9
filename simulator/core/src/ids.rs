//! Resource ids in the shape AWS gives them: a prefix, then `0` and 16 lower-case hex
//! characters (lattice-api.md §7: real ids look like `svc-0285b53b2e…`).

use crate::SeededRng;

const HEX: &[u8] = b"0123456789abcdef";

/// Draws ids from a world's seeded stream.
#[derive(Clone, Debug)]
pub struct IdGenerator {
    rng: SeededRng,
}

impl IdGenerator {
    pub fn new(rng: SeededRng) -> Self {
        Self { rng }
    }

    /// An independent stream, named by `label`, that depends only on this one's seed.
    pub fn fork(&self, label: &str) -> Self {
        Self { rng: self.rng.fork(label) }
    }

    /// `prefix-0` + 16 hex characters, e.g. `tg-0a1b2c3d4e5f60718`.
    pub fn resource_id(&self, prefix: &str) -> String {
        format!("{prefix}-0{}", self.rng.string_from(HEX, 16))
    }

    /// `n` hex characters, for DNS labels and similar.
    pub fn hex(&self, n: usize) -> String {
        self.rng.string_from(HEX, n)
    }

    pub fn request_id(&self) -> String {
        self.rng.uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_have_seventeen_characters_after_the_prefix() {
        let ids = IdGenerator::new(SeededRng::new(42));
        let id = ids.resource_id("tg");
        assert_eq!(id.len(), "tg-".len() + 17);
        assert!(id[3..].bytes().all(|b| HEX.contains(&b)));
        assert!(id.starts_with("tg-0"));
    }
}
