//! The Resource Groups Tagging API driven by the real `aws-sdk-resourcegroupstagging`
//! (awsJson1_1), over the same tags as Lattice's own `TagResource`; RPC v2 CBOR requests
//! handed to the router as botocore sends them; the error shapes of bad requests.

mod common;

use std::collections::BTreeMap;

use aws_sdk_resourcegroupstagging::Client as Tagging;
use aws_sdk_resourcegroupstagging::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_resourcegroupstagging::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_resourcegroupstagging::error::ProvideErrorMetadata;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use aws_sdk_vpclattice::types::{TargetGroupConfig, TargetGroupProtocol, TargetGroupType};
use axum::body::Body;
use http_body_util::BodyExt;
use sim_core::{FaultKind, FaultPlan, FaultScope, FaultTrigger};
use sim_lattice::client::InProcessHttpClient;
use sim_lattice::{Simulator, wire};
use tower::ServiceExt;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const VPC: &str = "vpc-0a1b2c3d4e5f60718";

fn tagging(sim: &Simulator, partition: &str) -> Tagging {
    let conf = aws_sdk_resourcegroupstagging::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new(common::ACCESS_KEY, common::SECRET_KEY, None, None, "static"))
        .retry_partition(RetryPartition::new(partition.to_string()))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .endpoint_url("http://lattice.in-process.invalid")
        .http_client(InProcessHttpClient::new(wire::router(sim.clone())))
        .build();
    Tagging::from_conf(conf)
}

/// A target group with these tags; its ARN.
async fn group(
    lattice: &aws_sdk_vpclattice::Client,
    name: &str,
    tags: &[(&str, &str)],
) -> Result<String, Box<dyn std::error::Error>> {
    let config = TargetGroupConfig::builder().port(80).protocol(TargetGroupProtocol::Http).vpc_identifier(VPC).build();
    let mut create = lattice.create_target_group().name(name).r#type(TargetGroupType::Ip).config(config);
    for (k, v) in tags {
        create = create.tags(*k, *v);
    }
    Ok(create.send().await?.arn().ok_or("arn")?.to_string())
}

fn filter(key: &str, values: &[&str]) -> TagFilter {
    TagFilter::builder().key(key).set_values(Some(values.iter().map(|v| v.to_string()).collect())).build()
}

#[tokio::test]
async fn get_resources_filters_by_tags_and_type_and_pages() -> TestResult {
    let sim = Simulator::with_seed(7);
    let lattice = common::in_process(&sim, "rgta-lattice");
    let rgta = tagging(&sim, "rgta-get");
    let a = group(&lattice, "web-a", &[("ClusterName", "c1"), ("ServiceName", "web")]).await?;
    let b = group(&lattice, "web-b", &[("ClusterName", "c2"), ("ServiceName", "web")]).await?;
    group(&lattice, "api-a", &[("ClusterName", "c1"), ("ServiceName", "api")]).await?;
    let svc = lattice.create_service().name("store").tags("ServiceName", "web").send().await?;
    let untagged = group(&lattice, "bare", &[]).await?;

    let found = rgta
        .get_resources()
        .tag_filters(filter("ServiceName", &["web"]))
        .tag_filters(filter("ClusterName", &["c1", "c2"]))
        .resource_type_filters("vpc-lattice:targetgroup")
        .send()
        .await?;
    let arns: Vec<&str> = found.resource_tag_mapping_list().iter().filter_map(|m| m.resource_arn()).collect();
    let mut expected = vec![a.as_str(), b.as_str()];
    expected.sort();
    assert_eq!(arns, expected, "both web groups, not the api group nor the service");
    assert_eq!(found.pagination_token(), Some(""), "one page: the empty token ends it");

    // A key with no values matches any value; the service type sees only the service.
    let services = rgta
        .get_resources()
        .tag_filters(filter("ServiceName", &[]))
        .resource_type_filters("vpc-lattice:service")
        .send()
        .await?;
    let arns: Vec<&str> = services.resource_tag_mapping_list().iter().filter_map(|m| m.resource_arn()).collect();
    assert_eq!(arns, [svc.arn().ok_or("arn")?]);

    // Every tagged resource, two per page, through the SDK's paginator.
    let pages: Vec<_> =
        rgta.get_resources().resources_per_page(2).into_paginator().send().collect::<Result<Vec<_>, _>>().await?;
    let listed: Vec<String> = pages
        .iter()
        .flat_map(|p| p.resource_tag_mapping_list())
        .filter_map(|m| m.resource_arn().map(String::from))
        .collect();
    assert_eq!(pages.len(), 2, "four tagged resources, two per page");
    assert_eq!(listed.len(), 4);
    assert!(!listed.contains(&untagged), "a resource that never had a tag is not listed");

    // By ARN: the tags as Lattice holds them; an ARN that names nothing is left out.
    let missing = a.replace("tg-", "tg-ffff");
    let by_arn = rgta.get_resources().resource_arn_list(&a).resource_arn_list(&missing).send().await?;
    let [mapping] = by_arn.resource_tag_mapping_list() else { panic!("one mapping: {by_arn:?}") };
    let tags: BTreeMap<&str, &str> = mapping.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, BTreeMap::from([("ClusterName", "c1"), ("ServiceName", "web")]));
    Ok(())
}

#[tokio::test]
async fn tag_and_untag_resources_change_the_tags_lattice_reads() -> TestResult {
    let sim = Simulator::with_seed(8);
    let lattice = common::loopback(&sim, "rgta-lattice-2").await;
    let rgta = tagging(&sim, "rgta-tag");
    let a = group(&lattice, "one", &[("ClusterName", "c1")]).await?;
    let b = group(&lattice, "two", &[]).await?;
    let gone = a.replace("tg-", "tg-ffff");

    let out = rgta
        .tag_resources()
        .resource_arn_list(&a)
        .resource_arn_list(&b)
        .resource_arn_list(&gone)
        .tags("team", "blue")
        .send()
        .await?;
    let failed = out.failed_resources_map().ok_or("a failure map")?;
    assert_eq!(failed.keys().collect::<Vec<_>>(), [&gone], "only the missing resource fails");
    assert_eq!(failed[&gone].error_code().map(|c| c.as_str()), Some("InvalidParameterException"));
    assert_eq!(failed[&gone].status_code(), 404);
    for arn in [&a, &b] {
        let tags = lattice.list_tags_for_resource().resource_arn(arn).send().await?;
        assert_eq!(tags.tags().and_then(|t| t.get("team")).map(String::as_str), Some("blue"), "{arn}");
    }

    // A reserved key fails that resource and leaves its tags as they were.
    let out = rgta.tag_resources().resource_arn_list(&a).tags("aws:owner", "x").tags("env", "prod").send().await?;
    assert!(out.failed_resources_map().is_some_and(|m| m.contains_key(&a)));
    let tags = lattice.list_tags_for_resource().resource_arn(&a).send().await?;
    assert_eq!(tags.tags().map(|t| t.len()), Some(2), "ClusterName and team, nothing of the refused call");

    rgta.untag_resources().resource_arn_list(&a).tag_keys("team").send().await?;
    let tags = lattice.list_tags_for_resource().resource_arn(&a).send().await?;
    assert_eq!(tags.tags().map(|t| t.keys().cloned().collect::<Vec<_>>()), Some(vec!["ClusterName".to_string()]));

    let journal = sim.journal();
    let ops: Vec<&str> =
        journal.entries().iter().map(|e| e.operation.as_str()).filter(|o| o.starts_with("tagging:")).collect();
    assert_eq!(ops, ["tagging:TagResources", "tagging:TagResources", "tagging:UntagResources"]);
    assert_eq!(sim.activity().writes, 2 + 3, "two creates and three tag writes; reads are not writes");
    Ok(())
}

#[tokio::test]
async fn bad_requests_get_the_tagging_api_error_shapes() -> TestResult {
    let sim = Simulator::with_seed(9);
    let rgta = tagging(&sim, "rgta-bad");
    let arn = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123456789abcdef0";
    let code = |e: &dyn ProvideErrorMetadata| e.code().map(str::to_string);

    let err =
        rgta.get_resources().resource_arn_list(arn).tag_filters(filter("k", &[])).send().await.expect_err("exclusive");
    assert_eq!(code(&err), Some("InvalidParameterException".into()), "{err:?}");
    assert!(err.into_service_error().is_invalid_parameter_exception());

    let err = rgta.get_resources().resources_per_page(0).send().await.expect_err("out of range");
    assert!(err.message().is_some_and(|m| m.contains("ResourcesPerPage")), "{err:?}");

    let err = rgta.get_resources().pagination_token("not-ours").send().await.expect_err("foreign token");
    assert_eq!(code(&err), Some("InvalidParameterException".into()));

    let mut too_many = rgta.tag_resources().tags("k", "v");
    for i in 0..21 {
        too_many = too_many.resource_arn_list(format!("{arn}{i}"));
    }
    let err = too_many.send().await.expect_err("21 ARNs");
    assert!(err.message().is_some_and(|m| m.contains("ResourceARNList")), "{err:?}");

    sim.add_fault(FaultPlan {
        scope: FaultScope::Operation("tagging:GetResources".into()),
        kind: FaultKind::Throttling { retry_after_secs: 0 },
        trigger: FaultTrigger::Count(1),
    });
    let err = rgta.get_resources().send().await.expect_err("throttled");
    assert_eq!(code(&err), Some("ThrottledException".into()));
    assert!(err.into_service_error().is_throttled_exception());
    Ok(())
}

/// One RPC v2 CBOR request to the router, as botocore sends it.
async fn cbor(
    sim: &Simulator,
    operation: &str,
    body: &serde_json::Value,
    protocol_header: bool,
) -> (u16, http::HeaderMap, serde_json::Value) {
    let mut encoded = Vec::new();
    ciborium::into_writer(body, &mut encoded).expect("encodes");
    let mut request = http::Request::post(format!("/service/ResourceGroupsTaggingAPI_20170126/operation/{operation}"))
        .header("content-type", "application/cbor")
        .header("accept", "application/cbor");
    if protocol_header {
        request = request.header("smithy-protocol", "rpc-v2-cbor");
    }
    let response =
        wire::router(sim.clone()).oneshot(request.body(Body::from(encoded)).expect("request")).await.expect("answer");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    let value = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        ciborium::from_reader(&bytes[..]).expect("a CBOR body")
    };
    (parts.status.as_u16(), parts.headers, value)
}

#[tokio::test]
async fn rpc_v2_cbor_requests_are_answered_in_cbor() -> TestResult {
    let sim = Simulator::with_seed(10);
    let lattice = common::in_process(&sim, "rgta-cbor");
    let a = group(&lattice, "cbor", &[("ClusterName", "c1")]).await?;

    let (status, headers, body) =
        cbor(&sim, "TagResources", &serde_json::json!({"ResourceARNList": [a], "Tags": {"env": "dev"}}), true).await;
    assert_eq!(
        (status, &headers["smithy-protocol"], &headers["content-type"]),
        (200, &"rpc-v2-cbor".parse::<http::HeaderValue>()?, &"application/cbor".parse::<http::HeaderValue>()?)
    );
    assert_eq!(body, serde_json::json!({"FailedResourcesMap": {}}));

    let (status, _, body) =
        cbor(&sim, "GetResources", &serde_json::json!({"TagFilters": [{"Key": "env", "Values": ["dev"]}]}), true).await;
    assert_eq!(status, 200);
    assert_eq!(body["ResourceTagMappingList"][0]["ResourceARN"], serde_json::json!(a));

    let (status, _, body) = cbor(&sim, "GetResources", &serde_json::json!({"ResourcesPerPage": 500}), true).await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "com.amazonaws.resourcegroupstaggingapi#InvalidParameterException");
    assert!(body["Message"].as_str().is_some_and(|m| m.contains("ResourcesPerPage")), "{body}");

    let (status, _, body) = cbor(&sim, "GetResources", &serde_json::json!({}), false).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("com.amazonaws.resourcegroupstaggingapi#SerializationException"))
    );
    let (status, _, body) = cbor(&sim, "NoSuchOperation", &serde_json::json!({}), true).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("com.amazonaws.resourcegroupstaggingapi#UnknownOperationException"))
    );
    Ok(())
}
