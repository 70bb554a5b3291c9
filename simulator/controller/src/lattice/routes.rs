//! Service networks, services and their associations, listeners and rules, and the
//! conversions between the controller's rule model and Lattice's.

use aws_sdk_vpclattice::types::{
    FixedResponseAction, ForwardAction, HeaderMatch, HeaderMatchType, HttpMatch, PathMatch, PathMatchType, RuleAction,
    RuleMatch as LatticeMatch, ServiceNetworkSummary, ServiceNetworkVpcAssociationStatus, ServiceSummary,
    WeightedTargetGroup,
};

use super::Lattice;
use crate::config::ControllerConfig;
use crate::error::{Error, Result, aws};
use crate::model::route::RuleMatch;

/// A rule action: forward to weighted target groups, or a fixed response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Forward(Vec<(String, i32)>),
    Fixed(i32),
}

pub fn to_lattice_match(m: &RuleMatch) -> LatticeMatch {
    let path = m.path.as_ref().map(|(exact, value)| {
        let matcher = if *exact { PathMatchType::Exact(value.clone()) } else { PathMatchType::Prefix(value.clone()) };
        PathMatch::builder().r#match(matcher).case_sensitive(true).build()
    });
    let headers: Vec<HeaderMatch> = m
        .headers
        .iter()
        .map(|(name, value)| {
            HeaderMatch::builder()
                .name(name)
                .r#match(HeaderMatchType::Exact(value.clone()))
                .case_sensitive(false)
                .build()
                .expect("set")
        })
        .collect();
    LatticeMatch::HttpMatch(
        HttpMatch::builder()
            .set_method(m.method.clone())
            .set_path_match(path)
            .set_header_matches((!headers.is_empty()).then_some(headers))
            .build(),
    )
}

pub fn from_lattice_match(m: Option<&LatticeMatch>) -> RuleMatch {
    let Some(LatticeMatch::HttpMatch(http)) = m else { return RuleMatch::default() };
    let path = http.path_match.as_ref().and_then(|p| match &p.r#match {
        Some(PathMatchType::Exact(v)) => Some((true, v.clone())),
        Some(PathMatchType::Prefix(v)) => Some((false, v.clone())),
        _ => None,
    });
    let headers = http
        .header_matches
        .iter()
        .flatten()
        .filter_map(|h| match &h.r#match {
            Some(HeaderMatchType::Exact(v)) => Some((h.name.clone(), v.clone())),
            _ => None,
        })
        .collect();
    RuleMatch { method: http.method.clone(), path, headers }
}

pub fn to_lattice_action(a: &Action) -> RuleAction {
    match a {
        Action::Forward(groups) => RuleAction::Forward(
            ForwardAction::builder()
                .set_target_groups(Some(
                    groups
                        .iter()
                        .map(|(id, w)| {
                            WeightedTargetGroup::builder().target_group_identifier(id).weight(*w).build().expect("set")
                        })
                        .collect(),
                ))
                .build()
                .expect("target groups set"),
        ),
        Action::Fixed(code) => {
            RuleAction::FixedResponse(FixedResponseAction::builder().status_code(*code).build().expect("set"))
        }
    }
}

pub fn from_lattice_action(a: Option<&RuleAction>) -> Option<Action> {
    match a? {
        RuleAction::Forward(f) => Some(Action::Forward(
            f.target_groups.iter().map(|t| (t.target_group_identifier.clone(), t.weight.unwrap_or(1))).collect(),
        )),
        RuleAction::FixedResponse(f) => Some(Action::Fixed(f.status_code)),
        _ => None,
    }
}

/// Whether `arn` belongs to `account` (an empty account means "ours").
fn same_account(arn: &str, account: &str) -> bool {
    account.is_empty() || arn.split(':').nth(4) == Some(account)
}

impl Lattice {
    /// `FindServiceNetwork` (§4.1 step 4): by name or id across all pages; else an ACTIVE
    /// association of our VPC (RAM-shared networks).
    pub async fn find_service_network(
        &self,
        name_or_id: &str,
        config: &ControllerConfig,
    ) -> Result<Option<ServiceNetworkSummary>> {
        let mut all = Vec::new();
        let mut token = None;
        loop {
            let page = self.client.list_service_networks().set_next_token(token).send().await.map_err(aws)?;
            all.extend(page.items);
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        let matching: Vec<ServiceNetworkSummary> = all
            .into_iter()
            .filter(|n| n.name.as_deref() == Some(name_or_id) || n.id.as_deref() == Some(name_or_id))
            .collect();
        if matching.len() > 1 {
            return Err(Error::Deploy(format!("ErrNameConflict: more than one service network matches {name_or_id}")));
        }
        if let Some(network) = matching.into_iter().next() {
            if let Some(arn) = network.arn.as_deref()
                && same_account(arn, &config.account_id)
            {
                match self.owner_tags(arn).await {
                    Ok(_) => {}
                    Err(e) if e.is_access_denied() => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(Some(network));
        }
        if config.cluster_vpc_id.is_empty() {
            return Err(Error::Deploy("CLUSTER_VPC_ID is empty".into()));
        }
        let associations = self
            .client
            .list_service_network_vpc_associations()
            .vpc_identifier(&config.cluster_vpc_id)
            .send()
            .await
            .map_err(aws)?;
        Ok(associations
            .items
            .into_iter()
            .find(|a| {
                a.status == Some(ServiceNetworkVpcAssociationStatus::Active)
                    && (a.service_network_name.as_deref() == Some(name_or_id)
                        || a.service_network_id.as_deref() == Some(name_or_id))
            })
            .map(|a| {
                ServiceNetworkSummary::builder()
                    .set_id(a.service_network_id)
                    .set_name(a.service_network_name)
                    .set_arn(a.service_network_arn)
                    .build()
            }))
    }

    /// `FindService`: `ListServices` (all pages), exact name. With H-10 off, a service this
    /// controller created that the list does not show (yet) is asked for by id.
    pub async fn find_service(&self, name: &str) -> Result<Option<ServiceSummary>> {
        let mut token = None;
        loop {
            let page = self.client.list_services().set_next_token(token).send().await.map_err(aws)?;
            if let Some(found) = page.items.unwrap_or_default().into_iter().find(|s| s.name.as_deref() == Some(name)) {
                return Ok(Some(found));
            }
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        let key = Self::service_key(name);
        let Some(id) = self.recall(&key) else { return Ok(None) };
        match self.client.get_service().service_identifier(&id).send().await {
            Ok(got) => Ok(Some(
                ServiceSummary::builder()
                    .set_id(got.id)
                    .set_name(got.name)
                    .set_arn(got.arn)
                    .set_dns_entry(got.dns_entry)
                    .set_status(got.status)
                    .build(),
            )),
            Err(e) => {
                let e = aws(e);
                if e.is_not_found() {
                    self.forget_created(&key);
                    return Ok(None);
                }
                Err(e)
            }
        }
    }
}
