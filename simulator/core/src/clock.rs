//! Virtual time: a fixed epoch plus an offset that either a test advances by hand or that
//! follows tokio's clock (which scenarios pause and auto-advance).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 2026-01-01T00:00:00Z: the epoch every virtual clock starts from, so timestamps in
/// snapshots do not depend on the day a test runs.
pub const DEFAULT_EPOCH_MS: u64 = 1_767_225_600_000;

#[derive(Clone, Debug)]
enum Source {
    /// Offset moved only by [`Clock::advance`].
    Manual(Arc<AtomicU64>),
    /// Offset = tokio time elapsed since the clock was made (paused or real).
    Tokio(tokio::time::Instant),
}

/// A cheap, cloneable handle on one world's time. Clones share the same time.
#[derive(Clone, Debug)]
pub struct Clock {
    epoch_ms: u64,
    source: Source,
}

impl Clock {
    /// A clock that only moves when [`Clock::advance`] is called.
    pub fn manual() -> Self {
        Self { epoch_ms: DEFAULT_EPOCH_MS, source: Source::Manual(Arc::default()) }
    }

    /// A clock that follows tokio's clock from now on: virtual under `tokio::time::pause`,
    /// wall-clock time otherwise. Must be called inside a tokio runtime.
    pub fn tokio() -> Self {
        Self { epoch_ms: DEFAULT_EPOCH_MS, source: Source::Tokio(tokio::time::Instant::now()) }
    }

    /// A tokio-following clock whose epoch is the real current time, for `serve`.
    pub fn wall() -> Self {
        let epoch_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        Self { epoch_ms, source: Source::Tokio(tokio::time::Instant::now()) }
    }

    /// Milliseconds since the clock started.
    pub fn elapsed_ms(&self) -> u64 {
        match &self.source {
            Source::Manual(offset) => offset.load(Ordering::SeqCst),
            Source::Tokio(start) => start.elapsed().as_millis() as u64,
        }
    }

    /// Milliseconds since the Unix epoch, on this clock.
    pub fn now_ms(&self) -> u64 {
        self.epoch_ms + self.elapsed_ms()
    }

    /// Moves a manual clock forward. On a tokio clock time is moved by tokio
    /// (`tokio::time::advance`), so this only reports that it cannot.
    pub fn advance(&self, by: Duration) -> bool {
        match &self.source {
            Source::Manual(offset) => {
                offset.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
                true
            }
            Source::Tokio(_) => false,
        }
    }

    /// RFC 3339 with whole seconds and `Z`, the form Kubernetes puts on the wire.
    pub fn rfc3339_seconds(ms: u64) -> String {
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
    }

    /// RFC 3339 with milliseconds and `Z`, the form AWS puts on the wire.
    pub fn rfc3339(ms: u64) -> String {
        humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual();
        let start = clock.now_ms();
        assert_eq!(clock.now_ms(), start);
        assert!(clock.advance(Duration::from_secs(10)));
        assert_eq!(clock.clone().now_ms(), start + 10_000);
    }

    #[test]
    fn timestamps_are_rfc3339_with_millis() {
        assert_eq!(Clock::rfc3339(DEFAULT_EPOCH_MS + 339), "2026-01-01T00:00:00.339Z");
        assert_eq!(Clock::rfc3339_seconds(DEFAULT_EPOCH_MS + 1_339), "2026-01-01T00:00:01Z");
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let clock = Clock::tokio();
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(clock.elapsed_ms(), 30_000);
        assert!(!clock.advance(Duration::from_secs(1)));
    }
}
