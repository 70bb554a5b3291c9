//! Wire conformance with the real `aws-sdk-vpclattice`: every operation's happy path and
//! each error kind, in-process and over loopback.

mod common;

use std::collections::BTreeSet;

use aws_sdk_vpclattice::Client;
use aws_sdk_vpclattice::error::ProvideErrorMetadata;
use aws_sdk_vpclattice::types::*;
use sim_core::{FaultKind, FaultPlan, FaultScope, FaultTrigger};
use sim_lattice::{Simulator, SimulatorOptions, model};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const VPC: &str = "vpc-0a1b2c3d4e5f60718";

fn forward(tg: &str, weight: i32) -> Result<RuleAction, Box<dyn std::error::Error>> {
    Ok(RuleAction::Forward(
        ForwardAction::builder()
            .target_groups(WeightedTargetGroup::builder().target_group_identifier(tg).weight(weight).build()?)
            .build()?,
    ))
}

fn not_found() -> Result<RuleAction, Box<dyn std::error::Error>> {
    Ok(RuleAction::FixedResponse(FixedResponseAction::builder().status_code(404).build()?))
}

fn prefix(path: &str) -> Result<RuleMatch, Box<dyn std::error::Error>> {
    Ok(RuleMatch::HttpMatch(
        HttpMatch::builder()
            .path_match(PathMatch::builder().r#match(PathMatchType::Prefix(path.into())).case_sensitive(false).build())
            .build(),
    ))
}

/// Calls every operation of the model once or more, each expected to succeed, checking
/// what comes back along the way.
async fn every_operation(c: &Client, sim: &Simulator) -> TestResult {
    // Service networks and VPC associations.
    let sn = c.create_service_network().name("mesh").send().await?;
    let sn_id = sn.id().ok_or("sn id")?.to_string();
    assert_eq!(sn.auth_type(), Some(&AuthType::None));
    c.update_service_network().service_network_identifier(&sn_id).auth_type(AuthType::AwsIam).send().await?;
    let got = c.get_service_network().service_network_identifier(sn.arn().ok_or("arn")?).send().await?;
    assert_eq!(got.auth_type(), Some(&AuthType::AwsIam));
    assert!(got.created_at().is_some());
    assert_eq!(c.list_service_networks().send().await?.items().len(), 1);
    let snva = c
        .create_service_network_vpc_association()
        .service_network_identifier(&sn_id)
        .vpc_identifier(VPC)
        .send()
        .await?;
    let snva_id = snva.id().ok_or("snva id")?.to_string();
    assert_eq!(snva.status(), Some(&ServiceNetworkVpcAssociationStatus::Active));
    c.get_service_network_vpc_association().service_network_vpc_association_identifier(&snva_id).send().await?;
    c.update_service_network_vpc_association()
        .service_network_vpc_association_identifier(&snva_id)
        .security_group_ids("sg-0123456789abcdef0")
        .send()
        .await?;
    let got =
        c.get_service_network_vpc_association().service_network_vpc_association_identifier(&snva_id).send().await?;
    assert_eq!(got.security_group_ids(), ["sg-0123456789abcdef0"]);
    assert_eq!(c.list_service_network_vpc_associations().vpc_identifier(VPC).send().await?.items().len(), 1);
    c.list_service_network_vpc_endpoint_associations().service_network_identifier(&sn_id).send().await?;

    // Target groups and targets.
    let tg = c
        .create_target_group()
        .name("web-80")
        .r#type(TargetGroupType::Ip)
        .config(TargetGroupConfig::builder().port(80).protocol(TargetGroupProtocol::Http).vpc_identifier(VPC).build())
        .tags("application-networking.k8s.aws/ManagedBy", "123456789012/cluster-a/vpc-0a1b2c3d4e5f60718")
        .send()
        .await?;
    let tg_id = tg.id().ok_or("tg id")?.to_string();
    assert!(tg_id.starts_with("tg-") && tg_id.len() == 20, "{tg_id}");
    let hc = tg.config().and_then(|c| c.health_check()).ok_or("default health check")?;
    assert_eq!((hc.enabled(), hc.path(), hc.health_check_interval_seconds()), (Some(true), Some("/"), Some(30)));
    c.update_target_group()
        .target_group_identifier(&tg_id)
        .health_check(HealthCheckConfig::builder().path("/healthz").build())
        .send()
        .await?;
    let got = c.get_target_group().target_group_identifier(&tg_id).send().await?;
    assert_eq!(got.config().and_then(|c| c.health_check()).and_then(|h| h.path()), Some("/healthz"));
    let listed = c.list_target_groups().vpc_identifier(VPC).send().await?;
    assert_eq!(listed.items().len(), 1);
    assert_eq!(listed.items()[0].port(), Some(80));
    let reg = c
        .register_targets()
        .target_group_identifier(&tg_id)
        .targets(Target::builder().id("10.0.0.1").port(8080).build()?)
        .targets(Target::builder().id("10.0.0.2").build()?)
        .send()
        .await?;
    assert_eq!((reg.successful().len(), reg.unsuccessful().len()), (2, 0));
    let targets = c.list_targets().target_group_identifier(&tg_id).send().await?;
    assert_eq!(targets.items().len(), 2);
    assert!(targets.items().iter().all(|t| t.status() == Some(&TargetStatus::Unused)), "no rule uses the group yet");

    // Services, listeners, rules.
    let svc = c.create_service().name("store").send().await?;
    let svc_id = svc.id().ok_or("svc id")?.to_string();
    assert!(svc.dns_entry().and_then(|d| d.domain_name()).is_some_and(|d| d.starts_with("store-")));
    c.update_service().service_identifier(&svc_id).auth_type(AuthType::None).send().await?;
    c.get_service().service_identifier(&svc_id).send().await?;
    assert_eq!(c.list_services().send().await?.items().len(), 1);
    let snsa = c
        .create_service_network_service_association()
        .service_identifier(&svc_id)
        .service_network_identifier(&sn_id)
        .send()
        .await?;
    let snsa_id = snsa.id().ok_or("snsa id")?.to_string();
    c.get_service_network_service_association().service_network_service_association_identifier(&snsa_id).send().await?;
    let listed = c.list_service_network_service_associations().service_network_identifier(&sn_id).send().await?;
    assert_eq!(listed.items()[0].service_name(), Some("store"));
    let sn_now = c.get_service_network().service_network_identifier(&sn_id).send().await?;
    assert_eq!((sn_now.number_of_associated_services(), sn_now.number_of_associated_vpcs()), (Some(1), Some(1)));

    let listener = c
        .create_listener()
        .service_identifier(&svc_id)
        .name("http-80")
        .protocol(ListenerProtocol::Http)
        .default_action(not_found()?)
        .send()
        .await?;
    let l_id = listener.id().ok_or("listener id")?.to_string();
    assert_eq!(listener.port(), Some(80));
    c.update_listener()
        .service_identifier(&svc_id)
        .listener_identifier(&l_id)
        .default_action(not_found()?)
        .send()
        .await?;
    c.get_listener().service_identifier(&svc_id).listener_identifier(&l_id).send().await?;
    assert_eq!(c.list_listeners().service_identifier(&svc_id).send().await?.items().len(), 1);
    let rule = c
        .create_rule()
        .service_identifier(&svc_id)
        .listener_identifier(&l_id)
        .name("r-one")
        .priority(1)
        .r#match(prefix("/")?)
        .action(forward(&tg_id, 1)?)
        .send()
        .await?;
    let rule_id = rule.id().ok_or("rule id")?.to_string();
    let rule2 = c
        .create_rule()
        .service_identifier(&svc_id)
        .listener_identifier(&l_id)
        .name("r-two")
        .priority(2)
        .r#match(prefix("/two")?)
        .action(not_found()?)
        .send()
        .await?;
    let rule2_id = rule2.id().ok_or("rule id")?.to_string();
    let got =
        c.get_rule().service_identifier(&svc_id).listener_identifier(&l_id).rule_identifier(&rule_id).send().await?;
    assert_eq!(got.action(), Some(&forward(&tg_id, 1)?));
    c.update_rule()
        .service_identifier(&svc_id)
        .listener_identifier(&l_id)
        .rule_identifier(&rule_id)
        .action(forward(&tg_id, 50)?)
        .send()
        .await?;
    let batch = c
        .batch_update_rule()
        .service_identifier(&svc_id)
        .listener_identifier(&l_id)
        .rules(RuleUpdate::builder().rule_identifier(&rule_id).priority(2).build()?)
        .rules(RuleUpdate::builder().rule_identifier(&rule2_id).priority(1).build()?)
        .send()
        .await?;
    assert_eq!((batch.successful().len(), batch.unsuccessful().len()), (2, 0), "a priority swap succeeds");
    let rules = c.list_rules().service_identifier(&svc_id).listener_identifier(&l_id).send().await?;
    assert_eq!(rules.items().len(), 3, "two rules and the default rule");
    assert_eq!(rules.items().iter().filter(|r| r.is_default() == Some(true)).count(), 1);
    let tg_now = c.get_target_group().target_group_identifier(&tg_id).send().await?;
    assert_eq!(tg_now.service_arns(), [svc.arn().ok_or("svc arn")?.to_string()]);

    // Tags.
    let arn = tg.arn().ok_or("tg arn")?;
    c.tag_resource().resource_arn(arn).tags("team", "web").tags("tier", "1").send().await?;
    c.untag_resource().resource_arn(arn).tag_keys("tier").send().await?;
    let tags = c.list_tags_for_resource().resource_arn(arn).send().await?;
    assert_eq!(tags.tags().map(|t| t.len()), Some(2));
    assert_eq!(tags.tags().and_then(|t| t.get("team")).map(String::as_str), Some("web"));

    // Policies and access logs.
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    c.put_auth_policy().resource_identifier(&svc_id).policy(policy).send().await?;
    assert_eq!(c.get_auth_policy().resource_identifier(&svc_id).send().await?.policy(), Some(policy));
    c.delete_auth_policy().resource_identifier(&svc_id).send().await?;
    c.put_resource_policy().resource_arn(sn.arn().ok_or("arn")?).policy(policy).send().await?;
    c.get_resource_policy().resource_arn(sn.arn().ok_or("arn")?).send().await?;
    c.delete_resource_policy().resource_arn(sn.arn().ok_or("arn")?).send().await?;
    let als = c
        .create_access_log_subscription()
        .resource_identifier(&sn_id)
        .destination_arn("arn:aws:logs:us-west-2:123456789012:log-group:lattice")
        .send()
        .await?;
    let als_id = als.id().to_string();
    assert_eq!(als.resource_id(), sn_id);
    c.get_access_log_subscription().access_log_subscription_identifier(&als_id).send().await?;
    c.update_access_log_subscription()
        .access_log_subscription_identifier(&als_id)
        .destination_arn("arn:aws:s3:::lattice-logs")
        .send()
        .await?;
    assert_eq!(c.list_access_log_subscriptions().resource_identifier(&sn_id).send().await?.items().len(), 1);
    c.delete_access_log_subscription().access_log_subscription_identifier(&als_id).send().await?;

    // Resource gateways, configurations and their associations.
    let rgw = c
        .create_resource_gateway()
        .name("gw-one")
        .vpc_identifier(VPC)
        .subnet_ids("subnet-0123456789abcdef0")
        .send()
        .await?;
    let rgw_id = rgw.id().ok_or("rgw id")?.to_string();
    c.get_resource_gateway().resource_gateway_identifier(&rgw_id).send().await?;
    c.update_resource_gateway()
        .resource_gateway_identifier(&rgw_id)
        .security_group_ids("sg-0123456789abcdef0")
        .send()
        .await?;
    assert_eq!(c.list_resource_gateways().send().await?.items().len(), 1);
    let rcfg = c
        .create_resource_configuration()
        .name("db-config")
        .r#type(ResourceConfigurationType::Group)
        .resource_gateway_identifier(&rgw_id)
        .send()
        .await?;
    let rcfg_id = rcfg.id().ok_or("rcfg id")?.to_string();
    c.get_resource_configuration().resource_configuration_identifier(&rcfg_id).send().await?;
    c.update_resource_configuration()
        .resource_configuration_identifier(&rcfg_id)
        .allow_association_to_shareable_service_network(false)
        .send()
        .await?;
    assert_eq!(c.list_resource_configurations().send().await?.items().len(), 1);
    let snra = c
        .create_service_network_resource_association()
        .resource_configuration_identifier(&rcfg_id)
        .service_network_identifier(&sn_id)
        .send()
        .await?;
    let snra_id = snra.id().ok_or("snra id")?.to_string();
    c.get_service_network_resource_association()
        .service_network_resource_association_identifier(&snra_id)
        .send()
        .await?;
    assert_eq!(
        c.list_service_network_resource_associations().service_network_identifier(&sn_id).send().await?.items().len(),
        1
    );
    c.delete_service_network_resource_association()
        .service_network_resource_association_identifier(&snra_id)
        .send()
        .await?;
    let rea_id =
        sim.add_resource_endpoint_association("123456789012", "us-west-2", &rcfg_id, "vpce-0123456789abcdef0")?;
    let reas = c.list_resource_endpoint_associations().resource_configuration_identifier(&rcfg_id).send().await?;
    assert_eq!(reas.items()[0].id(), Some(rea_id.as_str()));
    c.delete_resource_endpoint_association().resource_endpoint_association_identifier(&rea_id).send().await?;
    c.delete_resource_configuration().resource_configuration_identifier(&rcfg_id).send().await?;
    c.delete_resource_gateway().resource_gateway_identifier(&rgw_id).send().await?;

    // Domain verifications.
    let dv = c.start_domain_verification().domain_name("example.com").send().await?;
    let dv_id = dv.id().to_string();
    assert_eq!(dv.status(), &VerificationStatus::Pending);
    c.get_domain_verification().domain_verification_identifier(&dv_id).send().await?;
    assert_eq!(c.list_domain_verifications().send().await?.items().len(), 1);
    c.delete_domain_verification().domain_verification_identifier(&dv_id).send().await?;

    // Tear down in the order the API demands.
    let dereg = c
        .deregister_targets()
        .target_group_identifier(&tg_id)
        .targets(Target::builder().id("10.0.0.2").port(80).build()?)
        .send()
        .await?;
    assert_eq!(dereg.successful().len(), 1);
    c.delete_rule().service_identifier(&svc_id).listener_identifier(&l_id).rule_identifier(&rule_id).send().await?;
    c.delete_listener().service_identifier(&svc_id).listener_identifier(&l_id).send().await?;
    c.delete_target_group().target_group_identifier(&tg_id).send().await?;
    c.delete_service_network_service_association()
        .service_network_service_association_identifier(&snsa_id)
        .send()
        .await?;
    let deleted = c.delete_service().service_identifier(&svc_id).send().await?;
    assert_eq!(deleted.status(), Some(&ServiceStatus::DeleteInProgress));
    c.delete_service_network_vpc_association().service_network_vpc_association_identifier(&snva_id).send().await?;
    c.delete_service_network().service_network_identifier(&sn_id).send().await?;
    assert!(c.list_services().send().await?.items().is_empty());
    assert!(c.list_target_groups().send().await?.items().is_empty());
    Ok(())
}

fn assert_every_operation_succeeded(sim: &Simulator) {
    let journal = sim.journal();
    let ok: BTreeSet<&str> =
        journal.entries().iter().filter(|e| e.status == 200).map(|e| e.operation.as_str()).collect();
    let missing: Vec<&str> = model::operations().iter().map(|o| o.name).filter(|n| !ok.contains(n)).collect();
    assert!(missing.is_empty(), "operations never answered successfully: {missing:?}");
    assert!(journal.entries().iter().all(|e| e.status == 200), "no call failed");
    // Every answer is valid against its output shape: required members present, ids and
    // ARNs matching their patterns, enums and ranges respected.
    for entry in journal.entries() {
        let op = model::operation(&entry.operation).expect("a model operation");
        let problems = model::validate_input(op.output, &entry.response);
        assert!(problems.is_empty(), "{} answered outside its output shape: {problems:?}\n{}", op.name, entry.response);
    }
}

#[tokio::test]
async fn every_operation_succeeds_in_process() -> TestResult {
    let sim = Simulator::with_seed(1);
    every_operation(&common::in_process(&sim, "every-op-inproc"), &sim).await?;
    assert_every_operation_succeeded(&sim);
    Ok(())
}

#[tokio::test]
async fn every_operation_succeeds_over_loopback() -> TestResult {
    let sim = Simulator::with_seed(1);
    every_operation(&common::loopback(&sim, "every-op-loopback").await, &sim).await?;
    assert_every_operation_succeeded(&sim);
    Ok(())
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_over_both_transports() -> TestResult {
    let (a, b, other) = (Simulator::with_seed(7), Simulator::with_seed(7), Simulator::with_seed(8));
    let ca = common::in_process(&a, "seed-a");
    let cb = common::loopback(&b, "seed-b").await;
    let cother = common::in_process(&other, "seed-other");
    for c in [&ca, &cb, &cother] {
        c.create_service_network().name("one").client_token("t1").send().await?;
        c.create_service().name("two").client_token("t2").send().await?;
    }
    assert_eq!(a.snapshot_yaml(), b.snapshot_yaml());
    assert_ne!(a.snapshot_yaml(), other.snapshot_yaml(), "another seed, other ids");
    Ok(())
}

#[tokio::test]
async fn validation_errors_name_each_bad_field() -> TestResult {
    let sim = Simulator::with_seed(1);
    let c = common::in_process(&sim, "validation");
    let err = c
        .create_target_group()
        .name("UPPER")
        .r#type(TargetGroupType::Ip)
        .config(
            TargetGroupConfig::builder().port(70000).protocol(TargetGroupProtocol::Http).vpc_identifier(VPC).build(),
        )
        .send()
        .await
        .expect_err("invalid")
        .into_service_error();
    let aws_sdk_vpclattice::operation::create_target_group::CreateTargetGroupError::ValidationException(v) = &err
    else {
        panic!("{err:?}");
    };
    let mut fields: Vec<&str> = v.field_list().iter().map(|f| f.name()).collect();
    fields.sort();
    assert_eq!(fields, ["config.port", "name"]);
    assert_eq!(v.reason(), &ValidationExceptionReason::FieldValidationFailed);
    assert!(
        sim.snapshot_json()
            .as_object()
            .is_some_and(|p| p.values().all(|p| p["targetGroups"].as_object().is_some_and(|m| m.is_empty())))
    );
    Ok(())
}

#[tokio::test]
async fn missing_resources_are_not_found() -> TestResult {
    let sim = Simulator::with_seed(1);
    let c = common::loopback(&sim, "not-found").await;
    let err = c
        .get_service()
        .service_identifier("svc-0123456789abcdef0")
        .send()
        .await
        .expect_err("absent")
        .into_service_error();
    let aws_sdk_vpclattice::operation::get_service::GetServiceError::ResourceNotFoundException(e) = &err else {
        panic!("{err:?}");
    };
    assert_eq!((e.resource_id(), e.resource_type()), ("svc-0123456789abcdef0", "SERVICE"));
    Ok(())
}

#[tokio::test]
async fn duplicate_names_and_reused_tokens_conflict() -> TestResult {
    let sim = Simulator::with_seed(1);
    let c = common::in_process(&sim, "conflict");
    c.create_service().name("dup").send().await?;
    let err = c.create_service().name("dup").send().await.expect_err("dup").into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    let first = c.create_service_network().name("net-a").client_token("tok").send().await?;
    let again = c.create_service_network().name("net-a").client_token("tok").send().await?;
    assert_eq!(first.id(), again.id(), "same token, same parameters: the same answer");
    let err = c
        .create_service_network()
        .name("net-b")
        .client_token("tok")
        .send()
        .await
        .expect_err("reuse")
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert_eq!(c.list_service_networks().send().await?.items().len(), 1);
    Ok(())
}

#[tokio::test]
async fn quotas_answer_402() -> TestResult {
    let sim = Simulator::new(SimulatorOptions { seed: 1, ..Default::default() });
    sim.configure(|c| c.quotas.service_networks = 1);
    let c = common::in_process(&sim, "quota");
    c.create_service_network().name("only").send().await?;
    let err = c.create_service_network().name("second").send().await.expect_err("quota").into_service_error();
    let aws_sdk_vpclattice::operation::create_service_network::CreateServiceNetworkError::ServiceQuotaExceededException(
        q,
    ) = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!((q.quota_code(), q.service_code()), ("L-9CAD07FB", "vpc-lattice"));
    assert_eq!(sim.journal().entries().last().map(|e| e.status), Some(402));
    Ok(())
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_then_surfaced() -> TestResult {
    let sim = Simulator::with_seed(1);
    let c = common::loopback(&sim, "throttle").await;
    let throttle = |n| FaultPlan {
        scope: FaultScope::Operation("ListServices".into()),
        kind: FaultKind::Throttling { retry_after_secs: 0 },
        trigger: FaultTrigger::Count(n),
    };
    sim.add_fault(throttle(2));
    c.list_services().send().await?;
    assert_eq!(sim.call_count("ListServices"), 3, "two throttled attempts, then success");
    sim.add_fault(throttle(10));
    let err = c.list_services().send().await.expect_err("throttled throughout");
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(sim.call_count("ListServices"), 6, "three more attempts, all throttled");
    Ok(())
}

#[tokio::test]
async fn internal_errors_are_retried() -> TestResult {
    let sim = Simulator::with_seed(1);
    let c = common::in_process(&sim, "internal");
    sim.add_fault(FaultPlan {
        scope: FaultScope::All,
        kind: FaultKind::InternalError { retry_after_secs: None },
        trigger: FaultTrigger::Count(1),
    });
    c.list_target_groups().send().await?;
    assert_eq!(sim.call_count("ListTargetGroups"), 2);
    Ok(())
}

#[tokio::test]
async fn signatures_are_checked_when_credentials_are_given() -> TestResult {
    let mut options = SimulatorOptions { seed: 1, verify_signatures: true, ..Default::default() };
    options.credentials.insert(
        common::ACCESS_KEY.into(),
        sim_lattice::sim::Credential {
            secret_access_key: common::SECRET_KEY.into(),
            account_id: "210987654321".into(),
        },
    );
    let sim = Simulator::new(options);
    let good = common::in_process(&sim, "sig-good");
    let created = good.create_service().name("signed").send().await?;
    assert!(created.arn().is_some_and(|a| a.contains(":210987654321:service/")), "account from the access-key map");
    let bad = common::in_process_with_secret(&sim, "sig-bad", "wrong-secret");
    let err = bad.list_services().send().await.expect_err("bad signature").into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn eventual_consistency_hides_new_resources_from_lists_for_a_while() -> TestResult {
    let sim = Simulator::with_seed(1);
    let c = common::in_process(&sim, "eventual");
    sim.add_fault(FaultPlan {
        scope: FaultScope::Operation("ListTargetGroups".into()),
        kind: FaultKind::EventualConsistency { hide_secs: 5 },
        trigger: FaultTrigger::Probability(1.0),
    });
    let config = TargetGroupConfig::builder().port(80).protocol(TargetGroupProtocol::Http).vpc_identifier(VPC).build();
    let tg = c.create_target_group().name("fresh").r#type(TargetGroupType::Ip).config(config).send().await?;
    assert!(c.list_target_groups().send().await?.items().is_empty(), "invisible to List at first");
    c.get_target_group().target_group_identifier(tg.id().ok_or("id")?).send().await?;
    sim.clock().advance(std::time::Duration::from_secs(5));
    assert_eq!(c.list_target_groups().send().await?.items().len(), 1, "visible once the window has passed");
    sim.clear_faults();
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn latency_is_spent_on_the_virtual_clock() -> TestResult {
    let sim = Simulator::with_seed(1);
    let c = common::in_process(&sim, "latency");
    sim.add_fault(FaultPlan {
        scope: FaultScope::All,
        kind: FaultKind::Latency { delay_ms: 30_000 },
        trigger: FaultTrigger::Count(1),
    });
    let start = tokio::time::Instant::now();
    c.list_services().send().await?;
    assert!(start.elapsed() >= std::time::Duration::from_secs(30), "{:?}", start.elapsed());
    Ok(())
}

/// What assertions read through: an observer's calls meet no fault, leave no journal entry,
/// count as no write and draw no id, so reading the state changes nothing a controller sees.
#[tokio::test]
async fn an_observer_reads_past_faults_without_leaving_a_trace() -> TestResult {
    let sim = Simulator::with_seed(1);
    let c = common::in_process(&sim, "observed");
    let observer = Client::from_conf(
        common::config(common::SECRET_KEY, "observer")
            .endpoint_url("http://lattice.in-process.invalid")
            .http_client(sim_lattice::client::InProcessHttpClient::observer(sim_lattice::wire::router(sim.clone())))
            .build(),
    );
    c.create_service().name("seen").send().await?;
    let before = (sim.journal().entries().len(), sim.activity());
    sim.add_fault(FaultPlan {
        scope: FaultScope::All,
        kind: FaultKind::Throttling { retry_after_secs: 0 },
        trigger: FaultTrigger::Probability(1.0),
    });
    sim.add_fault(FaultPlan {
        scope: FaultScope::All,
        kind: FaultKind::EventualConsistency { hide_secs: 600 },
        trigger: FaultTrigger::Probability(1.0),
    });
    let listed = observer.list_services().send().await?;
    assert_eq!(listed.items().len(), 1, "neither throttled nor hidden");
    assert_eq!((sim.journal().entries().len(), sim.activity()), before, "no entry, no write");
    let err = c.list_services().send().await.expect_err("the controller's client is throttled");
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(sim.activity(), before.1, "a refused call is no write");
    sim.clear_faults();
    let twin = Simulator::with_seed(1);
    common::in_process(&twin, "twin").create_service().name("seen").send().await?;
    let next = |s: &Simulator| {
        let c = common::in_process(s, "next");
        async move { c.create_service().name("next").send().await.map(|o| o.id().unwrap_or_default().to_string()) }
    };
    assert_eq!(next(&sim).await?, next(&twin).await?, "the observer and the faults drew no resource id");
    Ok(())
}

/// Every call is journaled with the access key it was signed with, so calls can be counted
/// per client.
#[tokio::test]
async fn the_journal_names_each_calls_access_key() -> TestResult {
    let sim = Simulator::with_seed(1);
    common::in_process(&sim, "keys").list_services().send().await?;
    let entry = sim.journal().entries().last().cloned().ok_or("an entry")?;
    assert_eq!((entry.operation.as_str(), entry.caller.as_str()), ("ListServices", common::ACCESS_KEY));
    assert_eq!(sim.call_count_where("ListServices", Some(common::ACCESS_KEY), 0), 1);
    assert_eq!(sim.call_count_where("ListServices", Some("AKIDOTHER"), 0), 0);
    Ok(())
}
