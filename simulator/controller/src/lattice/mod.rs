//! The controller's Lattice layer: target groups and targets, services, associations,
//! listeners and rules over `aws-sdk-vpclattice`, and the tag reads and writes of either
//! tagging path (controller.md §2.6 and §6.1): the Resource Groups Tagging API
//! (`aws-sdk-resourcegroupstagging`, the default) or Lattice's own calls.

pub mod routes;
mod tagging_api;
pub mod target_groups;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_vpclattice::Client;
use aws_sdk_vpclattice::types::TargetGroupSummary;
use tokio::time::Instant;

use crate::error::{Result, aws};
use crate::tags::Tags;

/// Tags of one resource are cached this long (quirk H-8; `docs/controller.md#tag-caches`).
const TAG_CACHE_TTL: Duration = Duration::from_secs(60);

/// One 60-second tag cache, as each of the real controller's Lattice clients keeps one.
#[derive(Default)]
struct TagCache(Mutex<HashMap<String, (Instant, Tags)>>);

impl TagCache {
    fn get(&self, arn: &str) -> Option<Tags> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(arn).filter(|(at, _)| at.elapsed() < TAG_CACHE_TTL).map(|(_, tags)| tags.clone())
    }

    fn put(&self, arn: &str, tags: &Tags) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(arn.to_string(), (Instant::now(), tags.clone()));
    }

    fn forget(&self, arn: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(arn);
    }
}

/// Which reads are cached (`docs/controller.md#tag-caches`). The real controller has two
/// Lattice clients, each with its own cache: the main one (ownership checks: a service's or
/// an association's `ManagedBy`, a service network's tags), and, in Lattice-tagging mode only,
/// the tagging one (the target-group lookups and the tag updates). In the default mode the
/// lookups go to the Resource Groups Tagging API, which nothing caches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TagCaching {
    pub ownership: bool,
    pub lookups: bool,
}

/// The two AWS clients a controller instance holds; its configuration's
/// [`TaggingApi`](crate::TaggingApi) decides whether the tagging one is used.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub lattice: Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
}

pub struct Lattice {
    pub client: Client,
    /// The Resource Groups Tagging API client, in the default mode; `None` in
    /// Lattice-tagging mode.
    resource_groups: Option<aws_sdk_resourcegroupstagging::Client>,
    /// The main client's cache (`None` when off).
    ownership_cache: Option<TagCache>,
    /// The tagging client's cache (`None` when off).
    lookup_cache: Option<TagCache>,
    /// The ARNs of the target groups this controller created, by identity (VPC and tags);
    /// `None` when lists are trusted right after a create (quirk H-10).
    created: Option<Mutex<HashMap<String, String>>>,
    /// Tag keys this controller neither sets nor removes ([`ControllerConfig::kept_tags`]).
    kept_tags: Vec<String>,
}

impl Lattice {
    pub fn new(client: Client, caching: TagCaching, trust_lists_after_create: bool) -> Self {
        Self {
            client,
            resource_groups: None,
            ownership_cache: caching.ownership.then(TagCache::default),
            lookup_cache: caching.lookups.then(TagCache::default),
            created: (!trust_lists_after_create).then(|| Mutex::new(HashMap::new())),
            kept_tags: Vec::new(),
        }
    }

    pub(crate) fn resource_groups(&self) -> Option<&aws_sdk_resourcegroupstagging::Client> {
        self.resource_groups.as_ref()
    }

    /// Reads and writes tags through the Resource Groups Tagging API (the default mode).
    pub fn with_resource_groups(mut self, tagging: aws_sdk_resourcegroupstagging::Client) -> Self {
        self.resource_groups = Some(tagging);
        self
    }

    /// Leaves the tags with these keys alone when it brings user tags to what it wants.
    pub fn with_kept_tags(mut self, keys: Vec<String>) -> Self {
        self.kept_tags = keys;
        self
    }

    fn group_key(vpc: &str, identity: &Tags) -> String {
        format!("target group|{vpc}|{identity:?}")
    }

    fn service_key(name: &str) -> String {
        format!("service|{name}")
    }

    fn remember(&self, key: String, id: &str) {
        if let Some(created) = &self.created {
            created.lock().unwrap_or_else(|e| e.into_inner()).insert(key, id.into());
        }
    }

    fn recall(&self, key: &str) -> Option<String> {
        self.created.as_ref()?.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    fn forget_created(&self, key: &str) {
        if let Some(created) = &self.created {
            created.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
        }
    }

    /// Remembers a target group this controller created (when H-10 is off).
    pub fn remember_created_group(&self, vpc: &str, identity: &Tags, arn: &str) {
        self.remember(Self::group_key(vpc, identity), arn);
    }

    /// Remembers a Lattice service this controller created (when H-10 is off).
    pub fn remember_created_service(&self, name: &str, id: &str) {
        self.remember(Self::service_key(name), id);
    }

    /// Every target group (all pages), optionally in one VPC, in list order.
    pub async fn list_target_groups(&self, vpc: Option<&str>) -> Result<Vec<TargetGroupSummary>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_target_groups()
                .set_vpc_identifier(vpc.map(String::from))
                .set_next_token(token)
                .send()
                .await
                .map_err(aws)?;
            out.extend(page.items.unwrap_or_default());
            token = page.next_token;
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn cached_tags(&self, cache: Option<&TagCache>, arn: &str) -> Result<Tags> {
        if let Some(tags) = cache.and_then(|c| c.get(arn)) {
            return Ok(tags);
        }
        let out = self.client.list_tags_for_resource().resource_arn(arn).send().await.map_err(aws)?;
        let tags: Tags = out.tags.unwrap_or_default().into_iter().collect();
        if let Some(cache) = cache {
            cache.put(arn, &tags);
        }
        Ok(tags)
    }

    /// A resource's tags as the tagging client reads them: target-group lookups and the
    /// current tags of an update (`GetResources` by ARN; in Lattice-tagging mode
    /// `ListTagsForResource`, cached, H-8).
    pub async fn tags(&self, arn: &str) -> Result<Tags> {
        if let Some(rgta) = &self.resource_groups {
            let found = tagging_api::tags_for_arns(rgta, &[arn.to_string()]).await?;
            return Ok(found.get(arn).cloned().unwrap_or_default());
        }
        self.cached_tags(self.lookup_cache.as_ref(), arn).await
    }

    /// A resource's tags as the main client reads them: who manages it (cached, H-8).
    pub async fn owner_tags(&self, arn: &str) -> Result<Tags> {
        self.cached_tags(self.ownership_cache.as_ref(), arn).await
    }

    /// A tag write goes through the tagging client, which forgets its own cached copy only.
    fn forget(&self, arn: &str) {
        if let Some(cache) = &self.lookup_cache {
            cache.forget(arn);
        }
    }

    pub async fn tag(&self, arn: &str, tags: &Tags) -> Result<()> {
        if tags.is_empty() {
            return Ok(());
        }
        if let Some(rgta) = &self.resource_groups {
            return tagging_api::tag(rgta, arn, tags).await;
        }
        self.forget(arn);
        self.client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    pub async fn untag(&self, arn: &str, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        if let Some(rgta) = &self.resource_groups {
            return tagging_api::untag(rgta, arn, keys).await;
        }
        self.forget(arn);
        self.client.untag_resource().resource_arn(arn).set_tag_keys(Some(keys.to_vec())).send().await.map_err(aws)?;
        Ok(())
    }

    /// Brings a resource's user tags (those not owned by the controller) to `wanted`.
    pub async fn reconcile_user_tags(&self, arn: &str, current: &Tags, wanted: &Tags) -> Result<()> {
        let stale: Vec<String> = current
            .keys()
            .filter(|k| !crate::tags::is_controller_tag(k) && !wanted.contains_key(*k) && !self.kept_tags.contains(*k))
            .cloned()
            .collect();
        let missing: Tags =
            wanted.iter().filter(|(k, v)| current.get(*k) != Some(v)).map(|(k, v)| (k.clone(), v.clone())).collect();
        self.untag(arn, &stale).await?;
        self.tag(arn, &missing).await
    }

    /// `FindResourcesByTags`: the ARNs of the target groups whose tags include every wanted
    /// key with an equal value. By default one `GetResources` search (tag filters and the
    /// target-group type, any VPC: the field match after it checks the VPC); in
    /// Lattice-tagging mode the groups of `vpc`, each's tags compared (an empty value
    /// matches an empty value). With H-10 off, a group this controller created and the
    /// search does not show (yet) is added at the end.
    pub async fn find_target_groups(&self, vpc: &str, wanted: &Tags) -> Result<Vec<String>> {
        let mut found = Vec::new();
        if let Some(rgta) = &self.resource_groups {
            found = tagging_api::find_target_groups(rgta, wanted).await?;
        } else {
            for tg in self.list_target_groups(Some(vpc)).await? {
                let Some(arn) = tg.arn.clone() else { continue };
                let tags = self.tags(&arn).await?;
                if wanted.iter().all(|(k, v)| tags.get(k) == Some(v)) {
                    found.push(arn);
                }
            }
        }
        if let Some(arn) = self.recall(&Self::group_key(vpc, wanted))
            && !found.contains(&arn)
        {
            found.push(arn);
        }
        Ok(found)
    }
}
