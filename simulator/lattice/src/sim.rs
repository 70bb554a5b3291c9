//! A [`Simulator`]: the Lattice state together with its clock, seed, fault plans and call
//! journal. This is the control surface in Rust; `wire` serves the same over HTTP.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use sim_core::{Call, Clock, FaultKind, FaultPlan, FaultPlans, IdGenerator, Journal, SeededRng};

use crate::state::{self, Api, Config, Ctx, Error, Lattice};

/// Who makes a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub region: String,
    /// The access key id the request was signed with (empty when unsigned); the journal
    /// records it, so calls can be counted per client.
    pub access_key: String,
    /// An observer's calls take no fault, leave no journal entry and count as no write.
    pub observer: bool,
}

impl Caller {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Self { account: account.into(), region: region.into(), ..Self::default() }
    }
}

/// How much the state has been written to: successful calls other than `Get*` and `List*`
/// by callers that are not observers, and when the last one was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    pub writes: u64,
    pub last_write_ms: u64,
}

/// A caller's secret and account, for signature checking and the access-key → account map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub secret_access_key: String,
    pub account_id: String,
}

#[derive(Clone, Debug)]
pub struct SimulatorOptions {
    pub seed: u64,
    pub config: Config,
    pub clock: Clock,
    /// Account of callers whose access key is not in `credentials`.
    pub default_account: String,
    /// Region of unsigned requests.
    pub default_region: String,
    /// Access key id → secret and account.
    pub credentials: BTreeMap<String, Credential>,
    /// Check every SigV4 signature against `credentials` (403 when it does not match).
    pub verify_signatures: bool,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            config: Config::default(),
            clock: Clock::manual(),
            default_account: state::DEFAULT_ACCOUNT_ID.into(),
            default_region: state::DEFAULT_REGION.into(),
            credentials: BTreeMap::new(),
            verify_signatures: false,
        }
    }
}

struct Inner {
    lattice: Lattice,
    faults: FaultPlans,
    /// One fault stream per caller and operation, forked from the simulator's: which of two
    /// concurrent calls a probability fault hits does not depend on which arrived first.
    fault_streams: BTreeMap<String, SeededRng>,
    journal: Journal,
    activity: Activity,
}

/// A cheap, cloneable handle; clones share one simulated control plane.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Mutex<Inner>>,
    options: Arc<SimulatorOptions>,
    /// Fault decisions; resource ids and request ids draw from streams of their own.
    fault_rng: SeededRng,
    request_ids: IdGenerator,
    /// Told every write, so a waiter can wake on the next one.
    writes: Arc<tokio::sync::watch::Sender<Activity>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").field("seed", &self.options.seed).finish_non_exhaustive()
    }
}

impl Simulator {
    pub fn new(options: SimulatorOptions) -> Self {
        // One stream per component, forked from the seed: adding a fault plan (which draws
        // for every call it covers) shifts no resource id, and neither do request ids.
        let seed = SeededRng::new(options.seed);
        let inner = Inner {
            lattice: Lattice::new(options.config.clone(), IdGenerator::new(seed.fork("resource-ids"))),
            faults: FaultPlans::default(),
            fault_streams: BTreeMap::new(),
            journal: Journal::default(),
            activity: Activity::default(),
        };
        Self {
            inner: Arc::new(Mutex::new(inner)),
            options: Arc::new(options),
            fault_rng: seed.fork("faults"),
            request_ids: IdGenerator::new(seed.fork("request-ids")),
            writes: Arc::new(tokio::sync::watch::channel(Activity::default()).0),
        }
    }

    /// A simulator with default options and this seed, on a manual clock.
    pub fn with_seed(seed: u64) -> Self {
        Self::new(SimulatorOptions { seed, ..SimulatorOptions::default() })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not make every later call fail too; calls never
        // panic on input (model_props checks that), so the state behind a poisoned lock
        // is still one that a whole call produced.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn options(&self) -> &SimulatorOptions {
        &self.options
    }

    pub fn clock(&self) -> &Clock {
        &self.options.clock
    }

    pub fn request_id(&self) -> String {
        self.request_ids.request_id()
    }

    /// One API call, as the wire makes it: faults first, then validation and state. An
    /// observer's call meets no fault and is not journaled. Tagging API operations are
    /// named `tagging:GetResources` ([`Api`]).
    pub async fn call(&self, operation: &str, input: Value, caller: &Caller) -> Result<Value, Error> {
        let (account, region) = (caller.account.as_str(), caller.region.as_str());
        if caller.observer {
            let ctx = Ctx::new(account, region, self.options.clock.now_ms());
            return self.lock().lattice.call(operation, &input, &ctx);
        }
        let decision = {
            let mut inner = self.lock();
            let key = format!("{} {operation}", caller.access_key);
            let rng = inner.fault_streams.entry(key).or_insert_with_key(|key| self.fault_rng.fork(key)).clone();
            inner.faults.decide(operation, &rng, self.options.clock.now_ms())
        };
        if decision.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(decision.delay_ms)).await;
        }
        let now_ms = self.options.clock.now_ms();
        let mut inner = self.lock();
        let answer = match decision.error {
            Some(FaultKind::Throttling { retry_after_secs }) => {
                Err(Error::Throttling { message: "Rate exceeded".into(), retry_after_secs: Some(retry_after_secs) })
            }
            Some(FaultKind::InternalError { retry_after_secs }) => {
                Err(Error::Internal { message: "An internal error occurred".into(), retry_after_secs })
            }
            Some(FaultKind::Conflict) => Err(Error::Conflict {
                message: "The request conflicts with a concurrent update".into(),
                resource_id: String::new(),
                resource_type: "UNKNOWN",
            }),
            _ => {
                let mut ctx = Ctx::new(account, region, now_ms).by(&caller.access_key);
                ctx.hide_newer_than_ms = decision.hide_newer_than_secs.map(|s| s * 1000);
                inner.lattice.call(operation, &input, &ctx)
            }
        };
        let (status, response) = match &answer {
            Ok(out) => (200, out.clone()),
            Err(e) => {
                let api = Api::of(operation).0;
                (e.status_in(api), json!({"error": e.shape_name_in(api), "message": e.to_string()}))
            }
        };
        if status < 300 && !Api::is_read_only(operation) {
            inner.activity = Activity { writes: inner.activity.writes + 1, last_write_ms: now_ms };
            self.writes.send_replace(inner.activity);
        }
        inner.journal.record(Call { at_ms: now_ms, caller: &caller.access_key, operation }, input, status, response);
        answer
    }

    /// A VPC endpoint's association with a resource configuration (made through EC2 in
    /// AWS, so only the control surface can make one here). Returns its id.
    pub fn add_resource_endpoint_association(
        &self,
        account: &str,
        region: &str,
        resource_configuration: &str,
        vpc_endpoint_id: &str,
    ) -> Result<String, Error> {
        let ctx = Ctx::new(account, region, self.options.clock.now_ms());
        let view =
            self.lock().lattice.add_resource_endpoint_association(&ctx, resource_configuration, vpc_endpoint_id)?;
        Ok(view["id"].as_str().unwrap_or_default().to_string())
    }

    /// Forgets every resource, fault plan and journal entry.
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.lattice.reset();
        inner.faults.clear();
        inner.journal.clear();
    }

    pub fn add_fault(&self, plan: FaultPlan) {
        self.lock().faults.add(plan);
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub fn faults(&self) -> Vec<FaultPlan> {
        self.lock().faults.plans().to_vec()
    }

    /// Changes the configuration (delays, quotas, target health) from now on.
    pub fn configure(&self, change: impl FnOnce(&mut Config)) {
        change(self.lock().lattice.config_mut());
    }

    pub fn journal(&self) -> Journal {
        self.lock().journal.clone()
    }

    pub fn call_count(&self, operation: &str) -> u64 {
        self.lock().journal.count(operation)
    }

    /// Calls of `operation` signed with `access_key` (any when `None`) since `since_ms`.
    pub fn call_count_where(&self, operation: &str, access_key: Option<&str>, since_ms: u64) -> u64 {
        self.lock().journal.count_where(operation, access_key, since_ms)
    }

    pub fn activity(&self) -> Activity {
        self.lock().activity
    }

    /// A receiver that sees every write from now on ([`Simulator::activity`] after it).
    pub fn watch_writes(&self) -> tokio::sync::watch::Receiver<Activity> {
        self.writes.subscribe()
    }

    /// Every partition as stable JSON (sorted keys, ids in order).
    pub fn snapshot_json(&self) -> Value {
        let now = self.options.clock.now_ms();
        let snapshot = self.lock().lattice.snapshot(now);
        serde_json::to_value(snapshot).unwrap_or_default()
    }

    /// The same snapshot as YAML.
    pub fn snapshot_yaml(&self) -> String {
        serde_yaml_ng::to_string(&self.snapshot_json()).unwrap_or_default()
    }

    /// Read-only access to the state, for assertions and property tests.
    pub fn inspect<T>(&self, f: impl FnOnce(&Lattice) -> T) -> T {
        f(&self.lock().lattice)
    }
}
