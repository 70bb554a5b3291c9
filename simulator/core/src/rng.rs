//! One seeded random stream per world. ChaCha8 is portable and stable across platforms and
//! releases, which is what "same seed → same ids" needs.

use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// A shared handle on a seeded stream; clones draw from the same stream.
#[derive(Clone, Debug)]
pub struct SeededRng {
    seed: u64,
    inner: Arc<Mutex<ChaCha8Rng>>,
}

impl SeededRng {
    pub fn new(seed: u64) -> Self {
        Self { seed, inner: Arc::new(Mutex::new(ChaCha8Rng::seed_from_u64(seed))) }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// An independent stream for one component, derived from this stream's seed and the
    /// component's label alone — not from draws — so that one component drawing more (a
    /// fault plan deciding) never shifts another's stream (ids).
    pub fn fork(&self, label: &str) -> SeededRng {
        SeededRng::new(fork_seed(self.seed, label))
    }

    pub fn next_u64(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).next_u64()
    }

    /// A uniform draw in `[0, 1)`.
    pub fn unit(&self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&self, p: f64) -> bool {
        self.unit() < p.clamp(0.0, 1.0)
    }

    /// `len` characters from `alphabet`.
    pub fn string_from(&self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| alphabet[(self.next_u64() % alphabet.len() as u64) as usize] as char).collect()
    }

    /// A version-4-shaped UUID drawn from the stream.
    pub fn uuid(&self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// A sub-seed of `seed` for `label` (FNV-1a over both: stable across platforms and releases).
pub fn fork_seed(seed: u64, label: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.to_le_bytes().into_iter().chain([0xff]).chain(label.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (a, b) = (SeededRng::new(7), SeededRng::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, (0..5).map(|_| SeededRng::new(8).next_u64()).collect::<Vec<_>>());
    }

    #[test]
    fn forks_are_independent_of_draws_and_of_each_other() {
        let a = SeededRng::new(7);
        let ids = a.fork("ids");
        let first: Vec<u64> = (0..3).map(|_| ids.next_u64()).collect();
        let b = SeededRng::new(7);
        let _ = (b.fork("faults").next_u64(), b.next_u64());
        assert_eq!(b.fork("ids").next_u64(), first[0], "drawing from a sibling or the parent does not shift a fork");
        assert_ne!(a.fork("ids").next_u64(), a.fork("faults").next_u64());
        assert_ne!(fork_seed(7, "ids"), fork_seed(8, "ids"));
    }

    #[test]
    fn uuid_has_version_and_variant() {
        let id = SeededRng::new(1).uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    }

    #[test]
    fn chance_extremes() {
        let rng = SeededRng::new(3);
        assert!((0..100).all(|_| !rng.chance(0.0)));
        assert!((0..100).all(|_| rng.chance(1.0)));
    }
}
