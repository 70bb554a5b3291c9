//! The controller's Lattice layer against scripted responses (aws-smithy-mocks): the calls it
//! makes, in order, and the retry / requeue decision each outcome leads to.

use std::time::Duration;

use aws_sdk_vpclattice::Client;
use aws_sdk_vpclattice::operation::create_target_group::CreateTargetGroupOutput;
use aws_sdk_vpclattice::operation::delete_target_group::DeleteTargetGroupError;
use aws_sdk_vpclattice::operation::deregister_targets::DeregisterTargetsOutput;
use aws_sdk_vpclattice::operation::get_target_group::GetTargetGroupOutput;
use aws_sdk_vpclattice::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_vpclattice::operation::list_target_groups::ListTargetGroupsOutput;
use aws_sdk_vpclattice::operation::list_targets::{ListTargetsError, ListTargetsOutput};
use aws_sdk_vpclattice::types::error::{ConflictException, ResourceNotFoundException, ThrottlingException};
use aws_sdk_vpclattice::types::{
    IpAddressType, TargetGroupConfig, TargetGroupProtocol, TargetGroupProtocolVersion, TargetGroupStatus,
    TargetGroupSummary, TargetGroupType, TargetStatus, TargetSummary,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use sim_controller::error::Error;
use sim_controller::lattice::{Lattice, TagCaching};
use sim_controller::model::{Source, TargetGroupModel};
use sim_controller::reconcile::requeue_after;

const RETRY: Duration = Duration::from_secs(10);
const ARN: &str = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123456789abcdef0";
const VPC: &str = "vpc-0aaaaaaaaaaaaaaa1";

fn fast(builder: aws_sdk_vpclattice::config::Builder) -> aws_sdk_vpclattice::config::Builder {
    builder.retry_config(
        aws_sdk_vpclattice::config::retry::RetryConfig::standard()
            .with_max_attempts(20)
            .with_initial_backoff(Duration::from_millis(1)),
    )
}

fn model() -> TargetGroupModel {
    TargetGroupModel {
        source: Source::Export { namespace: "default".into(), name: "inventory".into() },
        service_name: "inventory".into(),
        service_namespace: "default".into(),
        port: 80,
        protocol: "HTTP".into(),
        protocol_version: "HTTP1".into(),
        ip_address_type: "IPV4".into(),
        health_check: None,
        user_tags: Default::default(),
        targets: Some(vec![]),
    }
}

fn target(status: TargetStatus) -> TargetSummary {
    TargetSummary::builder().id("10.0.0.1").port(8080).status(status).build()
}

fn not_found() -> ResourceNotFoundException {
    ResourceNotFoundException::builder()
        .message("gone")
        .resource_id("tg")
        .resource_type("TARGET_GROUP")
        .build()
        .unwrap()
}

fn tg_with_status(status: TargetGroupStatus) -> GetTargetGroupOutput {
    GetTargetGroupOutput::builder()
        .id("tg-0123456789abcdef0")
        .arn(ARN)
        .r#type(TargetGroupType::Ip)
        .status(status)
        .config(
            TargetGroupConfig::builder()
                .port(80)
                .protocol(TargetGroupProtocol::Http)
                .protocol_version(TargetGroupProtocolVersion::Http1)
                .ip_address_type(IpAddressType::Ipv4)
                .vpc_identifier(VPC)
                .build(),
        )
        .build()
}

#[tokio::test]
async fn throttling_then_success_is_retried_by_the_sdk() {
    let listing = mock!(Client::list_targets)
        .sequence()
        .error(|| {
            ListTargetsError::ThrottlingException(
                ThrottlingException::builder().message("Rate exceeded").build().unwrap(),
            )
        })
        .times(2)
        .output(|| ListTargetsOutput::builder().items(target(TargetStatus::Healthy)).build().unwrap())
        .build();
    let lattice = Lattice::new(
        mock_client!(aws_sdk_vpclattice, RuleMode::Sequential, [&listing], fast),
        TagCaching::default(),
        true,
    );
    let targets = lattice.list_targets("tg-0123456789abcdef0").await.unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(listing.num_calls(), 3);
}

#[tokio::test]
async fn a_target_group_already_gone_is_a_successful_delete() {
    let listing = mock!(Client::list_targets).then_error(|| ListTargetsError::ResourceNotFoundException(not_found()));
    // Sequential with only this rule: any further call (deregister, delete) would panic.
    let lattice = Lattice::new(
        mock_client!(aws_sdk_vpclattice, RuleMode::Sequential, [&listing], fast),
        TagCaching::default(),
        true,
    );
    lattice.delete_target_group("tg-0123456789abcdef0").await.unwrap();
    assert_eq!(listing.num_calls(), 1);
}

#[tokio::test]
async fn not_found_in_the_middle_of_a_delete_counts_as_deleted() {
    let listing = mock!(Client::list_targets)
        .then_output(|| ListTargetsOutput::builder().items(target(TargetStatus::Healthy)).build().unwrap());
    let deregister = mock!(Client::deregister_targets)
        .match_requests(|r| r.targets().len() == 1 && r.targets()[0].id() == "10.0.0.1")
        .then_output(|| DeregisterTargetsOutput::builder().build());
    let delete = mock!(Client::delete_target_group)
        .then_error(|| DeleteTargetGroupError::ResourceNotFoundException(not_found()));
    let lattice = Lattice::new(
        mock_client!(aws_sdk_vpclattice, RuleMode::Sequential, [&listing, &deregister, &delete], fast),
        TagCaching::default(),
        true,
    );
    lattice.delete_target_group("tg-0123456789abcdef0").await.unwrap();
    assert_eq!((listing.num_calls(), deregister.num_calls(), delete.num_calls()), (1, 1, 1));
}

#[tokio::test]
async fn a_conflict_on_delete_fails_and_backs_off_exponentially() {
    let listing = mock!(Client::list_targets)
        .then_output(|| ListTargetsOutput::builder().set_items(Some(vec![])).build().unwrap());
    let delete = mock!(Client::delete_target_group).then_error(|| {
        DeleteTargetGroupError::ConflictException(
            ConflictException::builder()
                .message("target group is in use by a listener rule")
                .resource_id("tg")
                .resource_type("TARGET_GROUP")
                .build()
                .unwrap(),
        )
    });
    // Sequential: no DeregisterTargets call is expected for an empty group.
    let lattice = Lattice::new(
        mock_client!(aws_sdk_vpclattice, RuleMode::Sequential, [&listing, &delete], fast),
        TagCaching::default(),
        true,
    );
    let e = lattice.delete_target_group("tg-0123456789abcdef0").await.unwrap_err();
    assert!(e.is_conflict(), "{e}");
    assert_eq!(delete.num_calls(), 1, "a conflict is not retried by the SDK");
    // The finalizer stays and the reconcile backs off: 5 ms, 10 ms, … capped at 1000 s.
    assert_eq!(requeue_after(&e, 0, RETRY), Duration::from_millis(5));
    assert_eq!(requeue_after(&e, 3, RETRY), Duration::from_millis(40));
    assert_eq!(requeue_after(&e, 40, RETRY), Duration::from_secs(1000));
}

#[tokio::test]
async fn a_draining_target_makes_delete_a_ten_second_retry() {
    let listing = mock!(Client::list_targets)
        .then_output(|| ListTargetsOutput::builder().items(target(TargetStatus::Draining)).build().unwrap());
    let lattice = Lattice::new(
        mock_client!(aws_sdk_vpclattice, RuleMode::Sequential, [&listing], fast),
        TagCaching::default(),
        true,
    );
    let e = lattice.delete_target_group("tg-0123456789abcdef0").await.unwrap_err();
    assert!(matches!(e, Error::Retry(_)), "{e}");
    assert_eq!(requeue_after(&e, 7, RETRY), RETRY);
}

#[tokio::test]
async fn create_in_progress_is_a_retry_then_active_is_found() {
    let list =
        mock!(Client::list_target_groups).match_requests(|r| r.vpc_identifier() == Some(VPC)).then_output(|| {
            ListTargetGroupsOutput::builder()
                .items(TargetGroupSummary::builder().id("tg-0123456789abcdef0").arn(ARN).build())
                .build()
        });
    let tags = mock!(Client::list_tags_for_resource).then_output(|| {
        ListTagsForResourceOutput::builder()
            .tags("application-networking.k8s.aws/ClusterName", "cluster-a")
            .tags("application-networking.k8s.aws/ServiceName", "inventory")
            .tags("application-networking.k8s.aws/ServiceNamespace", "default")
            .tags("application-networking.k8s.aws/SourceTypeKey", "ServiceExport")
            .tags("application-networking.k8s.aws/ProtocolVersion", "HTTP1")
            .build()
    });
    let get = mock!(Client::get_target_group)
        .sequence()
        .output(|| tg_with_status(TargetGroupStatus::CreateInProgress))
        .output(|| tg_with_status(TargetGroupStatus::Active))
        .build();
    let lattice = Lattice::new(
        mock_client!(aws_sdk_vpclattice, RuleMode::MatchAny, [&list, &tags, &get], fast),
        TagCaching::default(),
        true,
    );
    let first = lattice.find_target_group(&model(), "cluster-a", VPC).await.unwrap_err();
    assert!(matches!(first, Error::Retry(_)), "{first}");
    assert_eq!(requeue_after(&first, 0, RETRY), RETRY);
    let found = lattice.find_target_group(&model(), "cluster-a", VPC).await.unwrap().expect("found once ACTIVE");
    assert_eq!(found.id, "tg-0123456789abcdef0");
    assert_eq!((list.num_calls(), tags.num_calls(), get.num_calls()), (2, 2, 2));
}

#[tokio::test]
async fn a_missing_group_is_created_with_the_controllers_tags() {
    let list = mock!(Client::list_target_groups)
        .then_output(|| ListTargetGroupsOutput::builder().set_items(Some(vec![])).build());
    let create = mock!(Client::create_target_group)
        .match_requests(|r| {
            let tags = r.tags().cloned().unwrap_or_default();
            r.name().is_some_and(|n| n == "k8s-default-inventory-abcdefghij")
                && r.r#type() == Some(&TargetGroupType::Ip)
                && r.config().and_then(|c| c.port) == Some(80)
                && r.config().and_then(|c| c.health_check.clone()).is_none()
                && tags.get("application-networking.k8s.aws/ManagedBy").map(String::as_str)
                    == Some("123456789012/cluster-a/vpc-0aaaaaaaaaaaaaaa1")
                && tags.get("application-networking.k8s.aws/SourceTypeKey").map(String::as_str) == Some("ServiceExport")
                && !tags.contains_key("application-networking.k8s.aws/RouteName")
        })
        .then_output(|| {
            CreateTargetGroupOutput::builder()
                .id("tg-0fedcba9876543210")
                .arn(ARN)
                .status(TargetGroupStatus::Active)
                .build()
        });
    let lattice = Lattice::new(
        mock_client!(aws_sdk_vpclattice, RuleMode::Sequential, [&list, &create], fast),
        TagCaching::default(),
        true,
    );
    let name = sim_controller::names::target_group("default", "inventory", "abcdefghij");
    let found = lattice
        .upsert_target_group(&model(), name, "cluster-a", VPC, "123456789012/cluster-a/vpc-0aaaaaaaaaaaaaaa1")
        .await
        .unwrap();
    assert_eq!(found.id, "tg-0fedcba9876543210");
    assert_eq!(create.num_calls(), 1);
}

/// The real controller caches tags per Lattice client: the main client's reads (who manages
/// a resource) always, the tagging client's lookups only in Lattice-tagging mode; in the
/// default mode lookups go to the Tagging API, which caches nothing.
#[tokio::test(start_paused = true)]
async fn tags_are_cached_only_where_the_real_controller_caches_them() {
    let arn = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123456789abcdef0";
    for (lookups, lookup_calls) in [(false, 2), (true, 1)] {
        let tags = mock!(Client::list_tags_for_resource)
            .match_requests(move |r| r.resource_arn() == Some(arn))
            .then_output(|| ListTagsForResourceOutput::builder().tags("k", "v").build());
        let caching = TagCaching { ownership: true, lookups };
        let lattice = Lattice::new(mock_client!(aws_sdk_vpclattice, RuleMode::MatchAny, [&tags]), caching, true);
        lattice.tags(arn).await.unwrap();
        lattice.tags(arn).await.unwrap();
        assert_eq!(tags.num_calls(), lookup_calls, "lookups cached: {lookups}");
        lattice.owner_tags(arn).await.unwrap();
        lattice.owner_tags(arn).await.unwrap();
        assert_eq!(tags.num_calls(), lookup_calls + 1, "ownership reads are cached in either mode");
        tokio::time::advance(Duration::from_secs(61)).await;
        lattice.owner_tags(arn).await.unwrap();
        assert_eq!(tags.num_calls(), lookup_calls + 2, "a cached copy lives 60 seconds");
    }
}
