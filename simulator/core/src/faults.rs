//! Fault plans as data: which operations, what goes wrong, and when (by count or by seeded
//! probability). The simulators consult [`FaultPlans::decide`] once per call.

use serde::{Deserialize, Serialize};

use crate::SeededRng;

/// Which calls a plan applies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultScope {
    /// Every operation.
    All,
    /// One operation, by its API name (`ListTargetGroups`).
    Operation(String),
    /// Operations whose space-separated words match these, `*` matching any one word:
    /// `update *`, `* serviceexports`, `watch services`.
    Matching(String),
}

impl FaultScope {
    fn covers(&self, operation: &str) -> bool {
        match self {
            FaultScope::All => true,
            FaultScope::Operation(name) => name == operation,
            FaultScope::Matching(pattern) => {
                let (words, wanted): (Vec<&str>, Vec<&str>) =
                    (operation.split_whitespace().collect(), pattern.split_whitespace().collect());
                words.len() == wanted.len() && words.iter().zip(&wanted).all(|(w, p)| *p == "*" || p == w)
            }
        }
    }
}

/// What goes wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum FaultKind {
    /// 429 ThrottlingException with `Retry-After`.
    #[serde(rename_all = "camelCase")]
    Throttling { retry_after_secs: u32 },
    /// 500 InternalServerException.
    #[serde(rename_all = "camelCase")]
    InternalError { retry_after_secs: Option<u32> },
    /// The answer is delayed by this much (virtual time under a paused clock).
    #[serde(rename_all = "camelCase")]
    Latency { delay_ms: u64 },
    /// List operations do not show resources younger than this.
    #[serde(rename_all = "camelCase")]
    EventualConsistency { hide_secs: u64 },
    /// A write is refused as conflicting with a concurrent one (409).
    Conflict,
    /// A watch stream ends early, as when a connection drops; clients re-watch.
    WatchDrop,
    /// A watch stream ends with an in-stream 410 Expired; clients relist.
    WatchExpired,
}

/// When a plan fires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultTrigger {
    /// The next `n` covered calls.
    Count(u32),
    /// Each covered call with this probability, drawn from the world's seed.
    Probability(f64),
    /// Every covered call until this virtual time (milliseconds on the simulator's clock);
    /// the plan is dropped once it has passed.
    UntilMs(u64),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultPlan {
    pub scope: FaultScope,
    pub kind: FaultKind,
    pub trigger: FaultTrigger,
}

/// What a call must suffer. Several plans may fire at once: one error at most (the first
/// plan added wins), latencies add up, the longest hiding window applies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultDecision {
    pub error: Option<FaultKind>,
    pub delay_ms: u64,
    pub hide_newer_than_secs: Option<u64>,
}

/// The active plans of one simulator, in the order they were added.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FaultPlans {
    plans: Vec<FaultPlan>,
}

impl FaultPlans {
    pub fn add(&mut self, plan: FaultPlan) {
        self.plans.push(plan);
    }

    /// Removes every plan ("the faults stop").
    pub fn clear(&mut self) {
        self.plans.clear();
    }

    pub fn plans(&self) -> &[FaultPlan] {
        &self.plans
    }

    /// Decides what happens to one call of `operation` at `now_ms`, consuming counted plans.
    pub fn decide(&mut self, operation: &str, rng: &SeededRng, now_ms: u64) -> FaultDecision {
        let mut decision = FaultDecision::default();
        for plan in self.plans.iter_mut().filter(|p| p.scope.covers(operation)) {
            let fires = match &mut plan.trigger {
                FaultTrigger::Count(0) => false,
                FaultTrigger::Count(n) => {
                    *n -= 1;
                    true
                }
                FaultTrigger::Probability(p) => rng.chance(*p),
                FaultTrigger::UntilMs(until) => now_ms < *until,
            };
            if !fires {
                continue;
            }
            match &plan.kind {
                FaultKind::Latency { delay_ms } => decision.delay_ms += delay_ms,
                FaultKind::EventualConsistency { hide_secs } => {
                    decision.hide_newer_than_secs = decision.hide_newer_than_secs.max(Some(*hide_secs));
                }
                error => {
                    decision.error.get_or_insert_with(|| error.clone());
                }
            }
        }
        self.plans.retain(|p| match p.trigger {
            FaultTrigger::Count(n) => n > 0,
            FaultTrigger::UntilMs(until) => now_ms < until,
            FaultTrigger::Probability(_) => true,
        });
        decision
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;

    #[test]
    fn matching_scopes_use_word_wildcards() {
        let scope = FaultScope::Matching("update *".into());
        assert!(scope.covers("update serviceexports"));
        assert!(!scope.covers("create serviceexports"));
        assert!(!scope.covers("update"));
        assert!(FaultScope::Matching("* services".into()).covers("watch services"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(scope: FaultScope, trigger: FaultTrigger) -> FaultPlan {
        FaultPlan { scope, kind: FaultKind::Throttling { retry_after_secs: 1 }, trigger }
    }

    #[test]
    fn counted_plans_fire_exactly_n_times_for_their_operation() {
        let rng = SeededRng::new(1);
        let mut plans = FaultPlans::default();
        plans.add(throttle(FaultScope::Operation("ListTargets".into()), FaultTrigger::Count(2)));
        assert_eq!(plans.decide("GetTargetGroup", &rng, 0).error, None);
        assert!(plans.decide("ListTargets", &rng, 0).error.is_some());
        assert!(plans.decide("ListTargets", &rng, 0).error.is_some());
        assert_eq!(plans.decide("ListTargets", &rng, 0).error, None);
        assert!(plans.plans().is_empty(), "spent plans are dropped");
    }

    #[test]
    fn timed_plans_fire_until_their_time_and_then_go() {
        let rng = SeededRng::new(1);
        let mut plans = FaultPlans::default();
        plans.add(throttle(FaultScope::Operation("ListTargets".into()), FaultTrigger::UntilMs(1_000)));
        assert!(plans.decide("ListTargets", &rng, 0).error.is_some());
        assert!(plans.decide("ListTargets", &rng, 999).error.is_some());
        assert_eq!(plans.decide("ListTargets", &rng, 1_000).error, None);
        assert!(plans.plans().is_empty(), "a plan past its time is dropped");
    }

    #[test]
    fn probability_follows_the_seed() {
        let run = |seed| {
            let rng = SeededRng::new(seed);
            let mut plans = FaultPlans::default();
            plans.add(throttle(FaultScope::All, FaultTrigger::Probability(0.5)));
            (0..64).map(|_| plans.decide("X", &rng, 0).error.is_some()).collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        let fired = run(9).iter().filter(|f| **f).count();
        assert!((16..48).contains(&fired), "about half fire: {fired}");
    }

    #[test]
    fn latency_and_hiding_combine_with_errors() {
        let rng = SeededRng::new(1);
        let mut plans = FaultPlans::default();
        plans.add(FaultPlan {
            scope: FaultScope::All,
            kind: FaultKind::Latency { delay_ms: 30 },
            trigger: FaultTrigger::Count(1),
        });
        plans.add(FaultPlan {
            scope: FaultScope::All,
            kind: FaultKind::EventualConsistency { hide_secs: 5 },
            trigger: FaultTrigger::Count(1),
        });
        plans.add(throttle(FaultScope::All, FaultTrigger::Count(1)));
        let d = plans.decide("ListServices", &rng, 0);
        assert_eq!(d.delay_ms, 30);
        assert_eq!(d.hide_newer_than_secs, Some(5));
        assert!(matches!(d.error, Some(FaultKind::Throttling { .. })));
        plans.clear();
        assert_eq!(plans.decide("ListServices", &rng, 0), FaultDecision::default());
    }
}
