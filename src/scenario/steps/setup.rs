//! Declaring the world: clusters, VPCs, service networks, the controllers' profile, how long
//! assertions wait, and Lattice's lifecycle delays.

use cucumber::gherkin::Step;
use cucumber::given;

use super::{StepResult, Table, fail};
use crate::scenario::params::{Cluster, Profile, Span, Tagging};
use crate::scenario::{ScenarioWorld, default_clusters};
use crate::world::ClusterSpec;

#[given(expr = "the clusters:")]
fn clusters(w: &mut ScenarioWorld, step: &Step) -> StepResult {
    if w.world.is_some() {
        return fail("the clusters must be declared before any step uses the world");
    }
    let table = Table::of(step, &["cluster", "vpc"], &[])?;
    let mut clusters = Vec::new();
    for row in &table.rows {
        let (name, vpc) = (table.cell(row, "cluster"), table.cell(row, "vpc"));
        name.parse::<Cluster>().or_else(fail)?;
        if !vpc.starts_with("vpc-") {
            return fail(format!("{vpc:?} is not a VPC id (vpc-…)"));
        }
        clusters.push(ClusterSpec::new(name, vpc));
    }
    w.clusters = clusters;
    Ok(())
}

/// The runner reads this step before the world starts (whether it stands in the Background
/// or the scenario), so a Background's applies already run under the chosen profile.
#[given(expr = "the controllers run profile {profile}")]
fn controllers_profile(w: &mut ScenarioWorld, profile: Profile) -> StepResult {
    if w.profile != profile.0 {
        return fail(format!("the world already runs profile {}; choose one profile per scenario", w.profile));
    }
    Ok(())
}

/// Read by the runner before the world starts, as the profile is.
#[given(expr = "the controllers tag through {tagging}")]
fn controllers_tagging(w: &mut ScenarioWorld, tagging: Tagging) -> StepResult {
    if w.tagging != tagging.0 {
        return fail(format!("the world already tags through {:?}; choose one tagging path per scenario", w.tagging));
    }
    Ok(())
}

#[given(expr = "a service network {string} associated with every cluster")]
fn network_everywhere(w: &mut ScenarioWorld, name: String) -> StepResult {
    if w.clusters.is_empty() {
        w.clusters = default_clusters();
    }
    let members = w.clusters.iter().map(|c| c.name.clone()).collect();
    w.networks.push((name, members));
    Ok(())
}

#[given(expr = "a service network {string} associated with {cluster}")]
fn network_with(w: &mut ScenarioWorld, name: String, cluster: Cluster) -> StepResult {
    w.networks.push((name, vec![cluster.0]));
    Ok(())
}

#[given(expr = "assertions wait up to {int} seconds")]
fn within(w: &mut ScenarioWorld, seconds: u64) -> StepResult {
    w.within = std::time::Duration::from_secs(seconds);
    Ok(())
}

/// Upstream #781: a target group takes targets only once ACTIVE.
#[given(expr = "Lattice keeps new target groups CREATE_IN_PROGRESS for {duration}")]
async fn create_delay(w: &mut ScenarioWorld, span: Span) -> StepResult {
    let ms = span.0.as_millis() as u64;
    w.world().await?.sim.configure(|c| c.lifecycle.target_group_create_delay_ms = Some(ms));
    Ok(())
}

#[given(expr = "Lattice keeps deleted target groups DELETE_IN_PROGRESS for {duration}")]
async fn delete_delay(w: &mut ScenarioWorld, span: Span) -> StepResult {
    let ms = span.0.as_millis() as u64;
    w.world().await?.sim.configure(|c| c.lifecycle.target_group_delete_delay_ms = Some(ms));
    Ok(())
}
