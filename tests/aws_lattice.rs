//! `latticelab run --lattice aws`: real VPC Lattice through the standard credential chain,
//! guarded. Here "AWS" is a `latticelab serve` simulator reached the way real AWS is — the
//! SDK's credential and region chain, `AWS_ENDPOINT_URL_VPC_LATTICE` — so the guard, the
//! run-id tagging, the reading back and the clean-up are exercised end to end. The same run
//! against the real service needs credentials and `LATTICELAB_AWS_RUN=1`; without them that
//! test prints SKIPPED and why.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use latticelab::world::aws::{AwsLattice, RUN_ID_TAG};

fn aws_env(served: &common::Served) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_VPC_LATTICE", served.var("LATTICE_ENDPOINT").to_string()),
        ("AWS_ACCESS_KEY_ID", served.var("AWS_ACCESS_KEY_ID").to_string()),
        ("AWS_SECRET_ACCESS_KEY", served.var("AWS_SECRET_ACCESS_KEY").to_string()),
        ("AWS_REGION", served.var("REGION").to_string()),
        ("AWS_ACCOUNT_ID", served.var("AWS_ACCOUNT_ID").to_string()),
        // No profile or instance role of this machine may take part.
        ("AWS_CONFIG_FILE", "/nonexistent".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

fn latticelab(args: &[&str], env: &[(&str, String)], state: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_latticelab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("run")
        .args(args)
        .arg("--report")
        .arg(state.join("report"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("latticelab run starts");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn real_aws_is_refused_without_consent() {
    let served = common::Served::start_with(&["--controller", "none"]);
    let state = tempfile::tempdir().unwrap();
    let (ok, output) = latticelab(&["--lattice", "aws", "features/import"], &aws_env(&served), state.path());
    assert!(!ok && output.contains("pass --allow-aws-writes"), "{output}");
    let controller = format!("external:{} controller", env!("CARGO_BIN_EXE_latticelab"));
    let (ok, output) = latticelab(
        &["--lattice", "aws", "--allow-aws-writes", "--controller", &controller, "features/import"],
        &aws_env(&served),
        state.path(),
    );
    assert!(!ok && output.contains("could not carry the run id"), "{output}");
    let lattice = served.lattice();
    let networks = tokio::runtime::Runtime::new().unwrap().block_on(lattice.list_service_networks().send()).unwrap();
    assert!(networks.items().is_empty(), "a refused run created nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_create_carries_the_run_id_and_only_the_runs_resources_are_read_and_deleted() {
    let served = common::Served::start_with(&["--controller", "none"]);
    // The settings the environment would give, without changing this process's environment.
    let connect = |run_id: &'static str| {
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(served.var("LATTICE_ENDPOINT"))
            .region(aws_config::Region::new(served.var("REGION").to_string()))
            .credentials_provider(aws_sdk_vpclattice::config::Credentials::new(
                served.var("AWS_ACCESS_KEY_ID"),
                served.var("AWS_SECRET_ACCESS_KEY"),
                None,
                None,
                "test",
            ));
        AwsLattice::from_loader(run_id, BTreeMap::new(), loader, served.var("AWS_ACCOUNT_ID").to_string())
    };
    let aws = connect("run-1").await.unwrap();
    let tg = aws
        .client
        .create_target_group()
        .name("k8s-tagged")
        .r#type(aws_sdk_vpclattice::types::TargetGroupType::Ip)
        .config(
            aws_sdk_vpclattice::types::TargetGroupConfig::builder()
                .port(80)
                .protocol(aws_sdk_vpclattice::types::TargetGroupProtocol::Http)
                .vpc_identifier("vpc-0aaaaaaaaaaaaaaa1")
                .build(),
        )
        .tags("owner", "test")
        .send()
        .await
        .unwrap();
    let arn = tg.arn().unwrap();
    let seen = served.lattice().list_tags_for_resource().resource_arn(arn).send().await.unwrap();
    let tags = seen.tags().unwrap();
    assert_eq!(tags.get(RUN_ID_TAG).map(String::as_str), Some("run-1"), "{tags:?}");
    assert_eq!(tags.get("owner").map(String::as_str), Some("test"), "the caller's own tags stay");

    let view = aws.view().await.unwrap();
    assert_eq!(view.target_groups.len(), 1, "the run's part of the account");
    assert_eq!(view.target_groups[0].tags.get("owner").map(String::as_str), Some("test"));
    assert!(!view.target_groups[0].tags.contains_key(RUN_ID_TAG), "the run's tag is left out of the view");
    let other = connect("run-2").await.unwrap();
    assert!(other.view().await.unwrap().target_groups.is_empty(), "another run's");
    other.delete_run().await.unwrap();
    assert_eq!(served.lattice().list_target_groups().send().await.unwrap().items().len(), 1, "not ours: kept");
    aws.delete_run().await.unwrap();
    assert!(served.lattice().list_target_groups().send().await.unwrap().items().is_empty(), "ours: deleted");
}

/// The import features with Lattice "on AWS": they pass, every world cleans up after itself
/// (also the failing one below), and the account holds nothing afterwards.
#[test]
fn a_run_on_aws_passes_and_leaves_nothing_behind() {
    let served = common::Served::start_with(&["--controller", "none"]);
    let state = tempfile::tempdir().unwrap();
    let env = aws_env(&served);
    let (ok, output) = latticelab(&["--lattice", "aws", "--allow-aws-writes", "features/import"], &env, state.path());
    assert!(ok, "{output}");
    assert!(
        output.contains("run id latticelab-") && output.contains("skipped on the embedded backend with Lattice on AWS")
    );

    let failing = state.path().join("failing.feature");
    std::fs::write(
        &failing,
        "Feature: a failure\n  Scenario: a route to nowhere\n    \
         Given a service network \"net\" associated with every cluster\n    \
         When \"cluster-a\" applies:\n      \"\"\"\n      apiVersion: v1\n      kind: Service\n      \
         metadata: {name: web}\n      spec: {ports: [{port: 80}]}\n      ---\n      \
         apiVersion: application-networking.k8s.aws/v1alpha1\n      kind: ServiceExport\n      \
         metadata: {name: web, annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}}\n      \"\"\"\n    \
         Then within 30 seconds, export default/web of \"cluster-a\" has 1 target group\n    \
         And within 2 seconds, Lattice holds 7 target groups\n",
    )
    .unwrap();
    let (ok, output) =
        latticelab(&["--lattice", "aws", "--allow-aws-writes", failing.to_str().unwrap()], &env, state.path());
    assert!(!ok && output.contains("1 failed"), "the failing scenario fails: {output}");

    let lattice = served.lattice();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (networks, services, groups) = rt.block_on(async {
        (
            lattice.list_service_networks().send().await.unwrap().items().len(),
            lattice.list_services().send().await.unwrap().items().len(),
            lattice.list_target_groups().send().await.unwrap().items().len(),
        )
    });
    assert_eq!((networks, services, groups), (0, 0, 0), "service networks, services, target groups left");
}

/// The same against the real service, only when asked to and with credentials.
#[test]
fn a_run_on_real_aws() {
    if std::env::var("LATTICELAB_AWS_RUN").as_deref() != Ok("1") {
        common::skipped(
            "a_run_on_real_aws",
            "creates real VPC Lattice resources; set LATTICELAB_AWS_RUN=1, AWS credentials, AWS_REGION, AWS_ACCOUNT_ID and --vpc mappings in LATTICELAB_AWS_VPCS",
        );
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let mut args = vec!["--lattice".to_string(), "aws".into(), "--allow-aws-writes".into()];
    for m in std::env::var("LATTICELAB_AWS_VPCS").unwrap_or_default().split_whitespace() {
        args.extend(["--vpc".to_string(), m.to_string()]);
    }
    args.push("features/import/service-import-reference.feature".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, output) = latticelab(&args, &[], state.path());
    assert!(ok, "{output}");
}
