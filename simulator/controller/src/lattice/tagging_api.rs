//! The Resource Groups Tagging API as the real controller's default tagging path calls it
//! (`pkg/aws/services/tagging.go`, controller.md §2.6): `GetResources` by ARN list (at most
//! 100 per call) or by tag filters and resource type, all pages; `TagResources` and
//! `UntagResources` on one ARN. Nothing here is cached.

use std::collections::HashMap;

use aws_sdk_resourcegroupstagging::Client;
use aws_sdk_resourcegroupstagging::types::{ResourceTagMapping, TagFilter};

use crate::error::{Result, aws};
use crate::tags::Tags;

/// `GetResources` takes at most this many ARNs.
const MAX_ARNS_PER_CALL: usize = 100;
/// The resource type of a Lattice target group.
const TARGET_GROUP_TYPE: &str = "vpc-lattice:targetgroup";

fn tags_of(mapping: &ResourceTagMapping) -> Tags {
    mapping.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()
}

/// Every page of one `GetResources` request.
async fn all_pages(
    request: aws_sdk_resourcegroupstagging::operation::get_resources::builders::GetResourcesFluentBuilder,
) -> Result<Vec<ResourceTagMapping>> {
    let mut out = Vec::new();
    let mut pages = request.into_paginator().send();
    while let Some(page) = pages.next().await {
        out.extend(page.map_err(aws)?.resource_tag_mapping_list.unwrap_or_default());
    }
    Ok(out)
}

/// `GetTagsForArns`: the tags of each listed resource that exists, by ARN.
pub async fn tags_for_arns(client: &Client, arns: &[String]) -> Result<HashMap<String, Tags>> {
    let mut found = HashMap::new();
    for chunk in arns.chunks(MAX_ARNS_PER_CALL) {
        let request = client.get_resources().set_resource_arn_list(Some(chunk.to_vec()));
        for mapping in all_pages(request).await? {
            if let Some(arn) = mapping.resource_arn() {
                found.insert(arn.to_string(), tags_of(&mapping));
            }
        }
    }
    Ok(found)
}

/// `FindResourcesByTags(targetgroup)`: the ARNs of the target groups carrying every wanted
/// tag, each key filtered by its one value.
pub async fn find_target_groups(client: &Client, wanted: &Tags) -> Result<Vec<String>> {
    let filters = wanted.iter().map(|(k, v)| TagFilter::builder().key(k).values(v).build()).collect();
    let request = client.get_resources().set_tag_filters(Some(filters)).resource_type_filters(TARGET_GROUP_TYPE);
    Ok(all_pages(request).await?.iter().filter_map(|m| m.resource_arn().map(String::from)).collect())
}

/// `TagResources` on one ARN. A per-resource failure in `FailedResourcesMap` is not an error,
/// as the real controller reads only the call's own error.
pub async fn tag(client: &Client, arn: &str, tags: &Tags) -> Result<()> {
    let mut request = client.tag_resources().resource_arn_list(arn);
    for (k, v) in tags {
        request = request.tags(k, v);
    }
    request.send().await.map_err(aws)?;
    Ok(())
}

/// `UntagResources` on one ARN (per-resource failures ignored, as [`tag`]).
pub async fn untag(client: &Client, arn: &str, keys: &[String]) -> Result<()> {
    client.untag_resources().resource_arn_list(arn).set_tag_keys(Some(keys.to_vec())).send().await.map_err(aws)?;
    Ok(())
}
