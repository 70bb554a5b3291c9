//! The hazards of controller.md §9 as named quirks. Profile `v2.1.3` (the default) has them
//! all on, as the real controller behaves; profile `fixed` has them all off; each can be
//! toggled per controller instance.

use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quirk {
    /// H-1: the GC rebuilds an export's model from `exportedPorts[0]` only, so unused target
    /// groups of the other ports are deleted.
    GcFirstExportedPortOnly,
    /// H-2: import resolution ignores protocol: a GRPCRoute may get an HTTP1 target group.
    ImportIgnoresProtocol,
    /// H-3: removing the federation annotation freezes the export and its finalizer.
    FederationRemovalStrandsFinalizer,
    /// H-4: a deleted Service leaves its export's targets registered.
    ServiceDeletionLeavesTargets,
    /// H-5: `ResolvedRefs=True` even when import resolution fails.
    ResolvedRefsIgnoresImportResolution,
    /// H-6: an import failure leaves a partial rule set, without pruning.
    PartialRulesOnImportFailure,
    /// H-7: only the first export of a shared Service gets Service/EndpointSlice events.
    FirstExportOnlyGetsServiceEvents,
    /// H-8: tags are cached for 60 s in Lattice-tagging mode.
    TagCache,
    /// H-9: ServiceImport events reach a route only if the backendRef group is nil or
    /// `application-networking.k8s.aws` (the CRD defaults it to `""`).
    ImportEventsNeedExplicitGroup,
    /// H-10 (not in controller.md §9; found by latticelab's convergence property): lookups
    /// trust Lattice's lists right after a create. While an eventually consistent
    /// ListTargetGroups still hides a new group, the next reconcile creates a second one with
    /// the same tags and fields; the GC keeps both and only the first in list order is synced.
    /// While ListServices hides a new service, deleting its route finds nothing to delete and
    /// the service is orphaned. Off: the controller remembers what it created and asks for it
    /// by id when a list does not show it.
    TrustListsAfterCreate,
    /// H-11 (not in controller.md §9; found by latticelab's convergence property): a failed
    /// finalizer removal on a deleting ServiceExport is only logged (§2.2 step 3), so the
    /// reconcile succeeds without a requeue and the export stays Terminating until some other
    /// event reaches it. Off: the failure is an error and the reconcile is retried.
    FinalizerRemovalFailureOnlyLogged,
}

pub const ALL: [Quirk; 11] = [
    Quirk::GcFirstExportedPortOnly,
    Quirk::ImportIgnoresProtocol,
    Quirk::FederationRemovalStrandsFinalizer,
    Quirk::ServiceDeletionLeavesTargets,
    Quirk::ResolvedRefsIgnoresImportResolution,
    Quirk::PartialRulesOnImportFailure,
    Quirk::FirstExportOnlyGetsServiceEvents,
    Quirk::TagCache,
    Quirk::ImportEventsNeedExplicitGroup,
    Quirk::TrustListsAfterCreate,
    Quirk::FinalizerRemovalFailureOnlyLogged,
];

impl Quirk {
    /// `H-1` … `H-11`.
    pub fn hazard(&self) -> &'static str {
        ["H-1", "H-2", "H-3", "H-4", "H-5", "H-6", "H-7", "H-8", "H-9", "H-10", "H-11"]
            [ALL.iter().position(|q| q == self).expect("listed")]
    }

    pub fn from_hazard(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|q| q.hazard().eq_ignore_ascii_case(name))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quirks(BTreeSet<Quirk>);

impl Quirks {
    /// `v2.1.3` (every quirk on) or `fixed` (none).
    pub fn profile(name: &str) -> Result<Self, String> {
        match name {
            "v2.1.3" => Ok(Self(ALL.into_iter().collect())),
            "fixed" => Ok(Self(BTreeSet::new())),
            other => Err(format!("unknown controller profile {other:?}: expected v2.1.3 or fixed")),
        }
    }

    pub fn has(&self, quirk: Quirk) -> bool {
        self.0.contains(&quirk)
    }

    pub fn set(&mut self, quirk: Quirk, on: bool) -> &mut Self {
        if on {
            self.0.insert(quirk);
        } else {
            self.0.remove(&quirk);
        }
        self
    }

    pub fn with(mut self, quirk: Quirk, on: bool) -> Self {
        self.set(quirk, on);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_and_toggles() {
        let real = Quirks::profile("v2.1.3").unwrap();
        assert!(ALL.iter().all(|q| real.has(*q)));
        let fixed = Quirks::profile("fixed").unwrap();
        assert!(ALL.iter().all(|q| !fixed.has(*q)));
        let one = fixed.with(Quirk::TagCache, true);
        assert!(one.has(Quirk::TagCache) && !one.has(Quirk::GcFirstExportedPortOnly));
        assert_eq!(Quirk::from_hazard("h-9"), Some(Quirk::ImportEventsNeedExplicitGroup));
        assert!(Quirks::profile("v9").is_err());
    }
}
