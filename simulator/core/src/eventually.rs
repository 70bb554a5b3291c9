//! The one way latticelab waits for something to become true: poll a check with a short,
//! growing interval (capped in proportion to the bound) until it passes or a deadline is
//! reached. Under a paused tokio clock the
//! intervals are virtual, so waiting costs no wall time.

use std::future::Future;
use std::time::Duration;

/// The check did not pass in time; carries the last description the check gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedOut {
    pub within: Duration,
    pub last: String,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not true within {:?}: {}", self.within, self.last)
    }
}

impl std::error::Error for TimedOut {}

/// Polls `check` until it returns `Ok`, for at most `within`. `Err(why)` means "not yet".
pub async fn eventually<T, F, Fut>(within: Duration, mut check: F) -> Result<T, TimedOut>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + within;
    // Checks land at most 0.5 % of the bound apart (and at most 50 ms for short bounds), so a
    // long virtual wait does not spend its wall time re-checking.
    let cap = (within / 200).max(Duration::from_millis(50));
    let mut interval = Duration::from_millis(1);
    loop {
        match check().await {
            Ok(value) => return Ok(value),
            Err(last) => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(TimedOut { within, last });
                }
            }
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(cap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn passes_once_the_check_does() {
        let calls = AtomicU32::new(0);
        let n = eventually(Duration::from_secs(1), || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n >= 3 { Ok(n) } else { Err(format!("only {n}")) }
        })
        .await
        .unwrap();
        assert_eq!(n, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn reports_the_last_reason_on_timeout() {
        let e =
            eventually(Duration::from_millis(100), || async { Err::<(), _>("never".to_string()) }).await.unwrap_err();
        assert_eq!(e.last, "never");
    }
}
