//! Target groups and their targets (controller.md §2.6, §2.7, `target_group_manager.go`,
//! `targets_manager.go`).

use aws_sdk_vpclattice::types::{
    HealthCheckConfig, HealthCheckProtocolVersion, IpAddressType, Matcher, Target as LatticeTarget, TargetGroupConfig,
    TargetGroupProtocol, TargetGroupProtocolVersion, TargetGroupStatus, TargetGroupType, TargetStatus,
};

use super::Lattice;
use crate::error::{Error, Result, aws};
use crate::model::{HealthCheck, Target, TargetGroupModel};
use crate::tags::Tags;

/// A target group found or created for a model.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub id: String,
    pub arn: String,
    pub health_check: Option<HealthCheck>,
}

const CHUNK: usize = 100;

fn lattice_health_check(hc: &HealthCheck) -> HealthCheckConfig {
    HealthCheckConfig::builder()
        .set_enabled(hc.enabled)
        .set_protocol(hc.protocol.as_deref().map(TargetGroupProtocol::from))
        .set_protocol_version(hc.protocol_version.as_deref().map(HealthCheckProtocolVersion::from))
        .set_port(hc.port)
        .set_path(hc.path.clone())
        .set_health_check_interval_seconds(hc.interval)
        .set_health_check_timeout_seconds(hc.timeout)
        .set_healthy_threshold_count(hc.healthy)
        .set_unhealthy_threshold_count(hc.unhealthy)
        .set_matcher(hc.matcher.clone().map(Matcher::HttpCode))
        .build()
}

fn from_lattice(hc: &HealthCheckConfig) -> HealthCheck {
    HealthCheck {
        enabled: hc.enabled,
        protocol: hc.protocol.as_ref().map(|p| p.as_str().to_string()),
        protocol_version: hc.protocol_version.as_ref().map(|p| p.as_str().to_string()),
        port: hc.port,
        path: hc.path.clone(),
        interval: hc.health_check_interval_seconds,
        timeout: hc.health_check_timeout_seconds,
        healthy: hc.healthy_threshold_count,
        unhealthy: hc.unhealthy_threshold_count,
        matcher: match &hc.matcher {
            Some(Matcher::HttpCode(code)) => Some(code.clone()),
            _ => None,
        },
    }
}

impl Lattice {
    /// Tag search plus field match (§2.6 steps 1–2). In-progress candidates are a retry.
    pub async fn find_target_group(
        &self,
        model: &TargetGroupModel,
        cluster_name: &str,
        vpc: &str,
    ) -> Result<Option<Found>> {
        let candidates = self.find_target_groups(vpc, &model.identity_tags(cluster_name)).await?;
        for arn in candidates {
            let got = match self.client.get_target_group().target_group_identifier(&arn).send().await {
                Ok(got) => got,
                Err(e) => {
                    let e = aws(e);
                    if e.is_not_found() {
                        continue;
                    }
                    return Err(e);
                }
            };
            let status = got.status.clone();
            if status == Some(TargetGroupStatus::CreateFailed) {
                continue;
            }
            let Some(config) = got.config.as_ref() else { continue };
            let matches = config.port == Some(model.port)
                && config.protocol.as_ref().map(|p| p.as_str()) == Some(model.protocol.as_str())
                && config.ip_address_type.as_ref().map(|p| p.as_str()) == Some(model.ip_address_type.as_str())
                && got.r#type == Some(TargetGroupType::Ip)
                && config.vpc_identifier.as_deref() == Some(vpc);
            if !matches {
                continue;
            }
            match status {
                Some(TargetGroupStatus::CreateInProgress | TargetGroupStatus::DeleteInProgress) => {
                    return Err(Error::Retry(format!(
                        "target group {arn} is {}",
                        status.map(|s| s.as_str().to_string()).unwrap_or_default()
                    )));
                }
                _ => {
                    return Ok(Some(Found {
                        id: got.id.clone().unwrap_or_default(),
                        arn,
                        health_check: config.health_check.as_ref().map(from_lattice),
                    }));
                }
            }
        }
        Ok(None)
    }

    /// Create or update one target group (§2.6 TG upsert).
    pub async fn upsert_target_group(
        &self,
        model: &TargetGroupModel,
        name: String,
        cluster_name: &str,
        vpc: &str,
        managed_by: &str,
    ) -> Result<Found> {
        match self.find_target_group(model, cluster_name, vpc).await? {
            None => {
                let config = TargetGroupConfig::builder()
                    .port(model.port)
                    .protocol(TargetGroupProtocol::from(model.protocol.as_str()))
                    .set_protocol_version(
                        (!model.protocol_version.is_empty())
                            .then(|| TargetGroupProtocolVersion::from(model.protocol_version.as_str())),
                    )
                    .ip_address_type(IpAddressType::from(model.ip_address_type.as_str()))
                    .vpc_identifier(vpc)
                    .set_health_check(model.health_check.as_ref().map(lattice_health_check))
                    .build();
                let created = self
                    .client
                    .create_target_group()
                    .name(name)
                    .r#type(TargetGroupType::Ip)
                    .config(config)
                    .set_tags(Some(model.create_tags(cluster_name, managed_by).into_iter().collect()))
                    .send()
                    .await
                    .map_err(aws)?;
                match created.status {
                    Some(TargetGroupStatus::Active | TargetGroupStatus::CreateInProgress) => {}
                    other => return Err(Error::Retry(format!("target group created with status {other:?}"))),
                }
                if let Some(arn) = &created.arn {
                    self.remember_created_group(vpc, &model.identity_tags(cluster_name), arn);
                }
                Ok(Found {
                    id: created.id.unwrap_or_default(),
                    arn: created.arn.unwrap_or_default(),
                    health_check: None,
                })
            }
            Some(found) => {
                let current = self.tags(&found.arn).await?;
                self.reconcile_user_tags(&found.arn, &current, &model.user_tags).await?;
                let wanted = model
                    .health_check
                    .clone()
                    .unwrap_or_default()
                    .with_defaults(&model.protocol, &model.protocol_version);
                if found.health_check.as_ref() != Some(&wanted) {
                    self.client
                        .update_target_group()
                        .target_group_identifier(&found.id)
                        .health_check(lattice_health_check(&wanted))
                        .send()
                        .await
                        .map_err(aws)?;
                }
                Ok(found)
            }
        }
    }

    /// Every target of a target group, all pages.
    pub async fn list_targets(&self, id: &str) -> Result<Vec<(String, i32, Option<TargetStatus>)>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_targets()
                .target_group_identifier(id)
                .set_next_token(token)
                .send()
                .await
                .map_err(aws)?;
            out.extend(
                page.items.into_iter().map(|t| (t.id.unwrap_or_default(), t.port.unwrap_or_default(), t.status)),
            );
            token = page.next_token;
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn deregister(&self, id: &str, targets: &[(String, i32)]) -> Result<()> {
        for chunk in targets.chunks(CHUNK) {
            let out = self
                .client
                .deregister_targets()
                .target_group_identifier(id)
                .set_targets(Some(
                    chunk
                        .iter()
                        .map(|(t, p)| LatticeTarget::builder().id(t).port(*p).build().expect("id is set"))
                        .collect(),
                ))
                .send()
                .await
                .map_err(aws)?;
            if let Some(failed) = out.unsuccessful.filter(|f| !f.is_empty()) {
                return Err(Error::Deploy(format!("failed to deregister {} targets from {id}", failed.len())));
            }
        }
        Ok(())
    }

    /// Targets sync (§2.6): deregister stale non-draining targets, then register all wanted.
    pub async fn sync_targets(&self, id: &str, wanted: &[Target]) -> Result<()> {
        let current = self.list_targets(id).await?;
        let stale: Vec<(String, i32)> = current
            .iter()
            .filter(|(t, p, status)| {
                status.as_ref() != Some(&TargetStatus::Draining) && !wanted.iter().any(|w| w.id == *t && w.port == *p)
            })
            .map(|(t, p, _)| (t.clone(), *p))
            .collect();
        let deregistered = self.deregister(id, &stale).await;
        let mut registered = Ok(());
        for chunk in wanted.chunks(CHUNK) {
            let out = self
                .client
                .register_targets()
                .target_group_identifier(id)
                .set_targets(Some(
                    chunk
                        .iter()
                        .map(|t| LatticeTarget::builder().id(&t.id).port(t.port).build().expect("id is set"))
                        .collect(),
                ))
                .send()
                .await;
            match out {
                Ok(out) if out.unsuccessful.as_ref().is_some_and(|f| !f.is_empty()) => {
                    registered = Err(Error::Deploy(format!("failed to register targets to {id}")));
                }
                Ok(_) => {}
                Err(e) => registered = Err(aws(e)),
            }
        }
        deregistered.and(registered)
    }

    /// Deletes one target group (§2.7 step 2): a draining target is a retry; NotFound is done.
    pub async fn delete_target_group(&self, id: &str) -> Result<()> {
        let targets = match self.list_targets(id).await {
            Ok(t) => t,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        if targets.iter().any(|(_, _, s)| s.as_ref() == Some(&TargetStatus::Draining)) {
            return Err(Error::Retry(format!("targets of {id} are draining")));
        }
        let all: Vec<(String, i32)> = targets.into_iter().map(|(t, p, _)| (t, p)).collect();
        self.deregister(id, &all).await?;
        match self.client.delete_target_group().target_group_identifier(id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = aws(e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    /// Every target group with its tags, for the GC and import resolution (tags `None` when
    /// they could not be read).
    pub async fn target_groups_with_tags(
        &self,
    ) -> Result<Vec<(aws_sdk_vpclattice::types::TargetGroupSummary, Option<Tags>)>> {
        let groups = self.list_target_groups(None).await?;
        if let Some(rgta) = self.resource_groups() {
            // `GetTagsForArns`: one `GetResources` per 100 ARNs; a group the answer leaves
            // out has no tags.
            let arns: Vec<String> = groups.iter().filter_map(|tg| tg.arn.clone()).collect();
            let mut tags = super::tagging_api::tags_for_arns(rgta, &arns).await?;
            return Ok(groups
                .into_iter()
                .map(|tg| {
                    let found = tg.arn.as_deref().map(|arn| tags.remove(arn).unwrap_or_default());
                    (tg, found)
                })
                .collect());
        }
        let mut out = Vec::new();
        for tg in groups {
            let tags = match tg.arn.as_deref() {
                Some(arn) => self.tags(arn).await.ok(),
                None => None,
            };
            out.push((tg, tags));
        }
        Ok(out)
    }
}
