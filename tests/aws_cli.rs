//! The real `aws` CLI against `latticelab serve`: create / get / list / update / tag /
//! untag / delete for networks, services, listeners, rules, target groups, targets and
//! associations, and the exception names of the error cases.
//!
//! Needs the `aws` CLI: `LATTICELAB_AWS_CLI`, else `.venv/bin/aws` (made by `.ci/run`),
//! else `aws` on PATH. Without one the test prints why and reports itself skipped; with
//! `LATTICELAB_REQUIRE_AWS_CLI=1` (set by `.ci/run`) a missing CLI is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Served;
use serde_json::Value;

mod common;

fn aws_cli() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("LATTICELAB_AWS_CLI") {
        return Some(PathBuf::from(path));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws");
    if venv.exists() {
        return Some(venv);
    }
    let on_path = Command::new("aws").arg("--version").output().is_ok_and(|o| o.status.success());
    on_path.then(|| PathBuf::from("aws"))
}

/// The aws CLI, or `None` after printing why `test` is skipped; with
/// `LATTICELAB_REQUIRE_AWS_CLI` (set by `.ci/run`) a missing CLI fails the test instead.
fn aws_cli_or_skip(test: &str) -> Option<PathBuf> {
    let cli = aws_cli();
    if cli.is_none() {
        assert!(
            std::env::var("LATTICELAB_REQUIRE_AWS_CLI").is_err(),
            "LATTICELAB_REQUIRE_AWS_CLI is set but no aws CLI was found"
        );
        common::skipped(test, "no aws CLI (set LATTICELAB_AWS_CLI or run .ci/run)");
    }
    cli
}

struct Aws<'a> {
    cli: PathBuf,
    served: &'a Served,
    /// The CLI's service command: `vpc-lattice` unless [`Aws::service`] says otherwise.
    service: &'static str,
}

impl<'a> Aws<'a> {
    fn new(cli: PathBuf, served: &'a Served) -> Self {
        Self { cli, served, service: "vpc-lattice" }
    }

    fn service(self, service: &'static str) -> Self {
        Self { service, ..self }
    }

    fn call(&self, args: &[&str]) -> Result<Value, String> {
        let out = Command::new(&self.cli)
            .arg(self.service)
            .args(args)
            .args(["--endpoint-url", self.served.var("LATTICE_ENDPOINT"), "--output", "json"])
            .env("AWS_ACCESS_KEY_ID", self.served.var("AWS_ACCESS_KEY_ID"))
            .env("AWS_SECRET_ACCESS_KEY", self.served.var("AWS_SECRET_ACCESS_KEY"))
            .env("AWS_DEFAULT_REGION", self.served.var("REGION"))
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .map_err(|e| format!("cannot run aws: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        Ok(if stdout.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&stdout).map_err(|e| e.to_string())?
        })
    }

    fn ok(&self, args: &[&str]) -> Value {
        self.call(args).unwrap_or_else(|e| panic!("aws {} {}: {e}", self.service, args.join(" ")))
    }

    fn fails_with(&self, args: &[&str], exception: &str) {
        match self.call(args) {
            Ok(v) => panic!("aws {} {} succeeded: {v}", self.service, args.join(" ")),
            Err(e) => {
                assert!(e.contains(exception), "aws {} {}: expected {exception}, got {e}", self.service, args.join(" "))
            }
        }
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

#[test]
fn the_aws_cli_drives_latticelab_serve() {
    let Some(cli) = aws_cli_or_skip("the_aws_cli_drives_latticelab_serve") else { return };
    let served = Served::start();
    let aws = Aws::new(cli, &served);
    let vpc = "vpc-0a1b2c3d4e5f60718";

    let sn = aws.ok(&["create-service-network", "--name", "mesh"]);
    let sn_id = id(&sn);
    aws.ok(&["update-service-network", "--service-network-identifier", &sn_id, "--auth-type", "AWS_IAM"]);
    assert_eq!(aws.ok(&["get-service-network", "--service-network-identifier", &sn_id])["authType"], "AWS_IAM");
    assert_eq!(aws.ok(&["list-service-networks"])["items"].as_array().map(Vec::len), Some(1));
    let snva = aws.ok(&[
        "create-service-network-vpc-association",
        "--service-network-identifier",
        &sn_id,
        "--vpc-identifier",
        vpc,
    ]);
    aws.ok(&["get-service-network-vpc-association", "--service-network-vpc-association-identifier", &id(&snva)]);
    aws.ok(&[
        "update-service-network-vpc-association",
        "--service-network-vpc-association-identifier",
        &id(&snva),
        "--security-group-ids",
        "sg-0123456789abcdef0",
    ]);

    let tg = aws.ok(&[
        "create-target-group",
        "--name",
        "web-80",
        "--type",
        "IP",
        "--config",
        &format!(r#"{{"port":80,"protocol":"HTTP","vpcIdentifier":"{vpc}"}}"#),
    ]);
    let tg_id = id(&tg);
    let tg_arn = tg["arn"].as_str().expect("arn").to_string();
    aws.ok(&["update-target-group", "--target-group-identifier", &tg_id, "--health-check", r#"{"path":"/healthz"}"#]);
    assert_eq!(
        aws.ok(&["get-target-group", "--target-group-identifier", &tg_id])["config"]["healthCheck"]["path"],
        "/healthz"
    );
    assert_eq!(aws.ok(&["list-target-groups", "--vpc-identifier", vpc])["items"][0]["id"], tg_id.as_str());
    aws.ok(&[
        "register-targets",
        "--target-group-identifier",
        &tg_id,
        "--targets",
        "id=10.0.0.1,port=8080",
        "id=10.0.0.2",
    ]);
    let targets = aws.ok(&["list-targets", "--target-group-identifier", &tg_id]);
    assert_eq!(targets["items"].as_array().map(Vec::len), Some(2));

    let svc = aws.ok(&["create-service", "--name", "store"]);
    let svc_id = id(&svc);
    aws.ok(&["update-service", "--service-identifier", &svc_id, "--auth-type", "NONE"]);
    aws.ok(&["get-service", "--service-identifier", &svc_id]);
    let snsa = aws.ok(&[
        "create-service-network-service-association",
        "--service-identifier",
        &svc_id,
        "--service-network-identifier",
        &sn_id,
    ]);
    aws.ok(&[
        "get-service-network-service-association",
        "--service-network-service-association-identifier",
        &id(&snsa),
    ]);
    let listed = aws.ok(&["list-service-network-service-associations", "--service-network-identifier", &sn_id]);
    assert_eq!(listed["items"][0]["serviceName"], "store");

    let listener = aws.ok(&[
        "create-listener",
        "--service-identifier",
        &svc_id,
        "--name",
        "http-80",
        "--protocol",
        "HTTP",
        "--default-action",
        r#"{"fixedResponse":{"statusCode":404}}"#,
    ]);
    let l_id = id(&listener);
    aws.ok(&[
        "update-listener",
        "--service-identifier",
        &svc_id,
        "--listener-identifier",
        &l_id,
        "--default-action",
        r#"{"fixedResponse":{"statusCode":503}}"#,
    ]);
    aws.ok(&["get-listener", "--service-identifier", &svc_id, "--listener-identifier", &l_id]);
    aws.ok(&["list-listeners", "--service-identifier", &svc_id]);
    let forward = format!(r#"{{"forward":{{"targetGroups":[{{"targetGroupIdentifier":"{tg_id}","weight":1}}]}}}}"#);
    let rule = aws.ok(&[
        "create-rule",
        "--service-identifier",
        &svc_id,
        "--listener-identifier",
        &l_id,
        "--name",
        "to-web",
        "--priority",
        "10",
        "--match",
        r#"{"httpMatch":{"pathMatch":{"match":{"prefix":"/"},"caseSensitive":false}}}"#,
        "--action",
        &forward,
    ]);
    let rule_id = id(&rule);
    let on_rule = ["--service-identifier", &svc_id, "--listener-identifier", &l_id, "--rule-identifier", &rule_id];
    aws.ok(&[&["update-rule"][..], &on_rule, &["--priority", "20"]].concat());
    let got = aws.ok(&[&["get-rule"][..], &on_rule].concat());
    assert_eq!(got["priority"], 20);
    assert_eq!(got["action"]["forward"]["targetGroups"][0]["targetGroupIdentifier"], tg_id.as_str());
    let rules = aws.ok(&["list-rules", "--service-identifier", &svc_id, "--listener-identifier", &l_id]);
    assert_eq!(rules["items"].as_array().map(Vec::len), Some(2), "the rule and the default rule");

    aws.ok(&["tag-resource", "--resource-arn", &tg_arn, "--tags", "team=web,tier=1"]);
    aws.ok(&["untag-resource", "--resource-arn", &tg_arn, "--tag-keys", "tier"]);
    let tags = aws.ok(&["list-tags-for-resource", "--resource-arn", &tg_arn]);
    assert_eq!(tags["tags"], serde_json::json!({"team": "web"}));

    // Error cases print the right exception names.
    aws.fails_with(&["get-service", "--service-identifier", "svc-0123456789abcdef0"], "ResourceNotFoundException");
    aws.fails_with(&["create-service", "--name", "store"], "ConflictException");
    aws.fails_with(&["create-service", "--name", "Upper-Case"], "ValidationException");
    aws.fails_with(&["delete-target-group", "--target-group-identifier", &tg_id], "ConflictException");

    aws.ok(&["deregister-targets", "--target-group-identifier", &tg_id, "--targets", "id=10.0.0.1,port=8080"]);
    aws.ok(&[&["delete-rule"][..], &on_rule].concat());
    aws.ok(&["delete-listener", "--service-identifier", &svc_id, "--listener-identifier", &l_id]);
    aws.ok(&["delete-target-group", "--target-group-identifier", &tg_id]);
    aws.ok(&[
        "delete-service-network-service-association",
        "--service-network-service-association-identifier",
        &id(&snsa),
    ]);
    aws.ok(&["delete-service", "--service-identifier", &svc_id]);
    aws.ok(&["delete-service-network-vpc-association", "--service-network-vpc-association-identifier", &id(&snva)]);
    aws.ok(&["delete-service-network", "--service-network-identifier", &sn_id]);
    assert_eq!(aws.ok(&["list-service-networks"])["items"], serde_json::json!([]));
    assert!(served.stop(), "serve stops cleanly on SIGTERM");
}

/// The `aws` CLI (awsJson1_1: its bundled model lists only `json`) against the Tagging API
/// of `latticelab serve`, over the tags Lattice's own calls wrote.
#[test]
fn the_aws_cli_drives_the_tagging_api() {
    let Some(cli) = aws_cli_or_skip("the_aws_cli_drives_the_tagging_api") else { return };
    let served = Served::start();
    let lattice = Aws::new(cli.clone(), &served);
    let tagging = Aws::new(cli, &served).service("resourcegroupstaggingapi");
    let config = r#"{"port":80,"protocol":"HTTP","vpcIdentifier":"vpc-0a1b2c3d4e5f60718"}"#;
    let web =
        lattice.ok(&["create-target-group", "--name", "web", "--type", "IP", "--config", config, "--tags", "team=web"]);
    let web_arn = web["arn"].as_str().expect("arn").to_string();
    lattice.ok(&["create-target-group", "--name", "api", "--type", "IP", "--config", config, "--tags", "team=api"]);

    let found = tagging.ok(&[
        "get-resources",
        "--tag-filters",
        "Key=team,Values=web",
        "--resource-type-filters",
        "vpc-lattice:targetgroup",
    ]);
    let arns: Vec<&str> = found["ResourceTagMappingList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["ResourceARN"].as_str())
        .collect();
    assert_eq!(arns, [web_arn.as_str()]);

    tagging.ok(&["tag-resources", "--resource-arn-list", &web_arn, "--tags", "env=dev"]);
    let tags = lattice.ok(&["list-tags-for-resource", "--resource-arn", &web_arn]);
    assert_eq!(tags["tags"], serde_json::json!({"team": "web", "env": "dev"}), "Lattice reads the Tagging API's write");
    tagging.ok(&["untag-resources", "--resource-arn-list", &web_arn, "--tag-keys", "team"]);
    let by_arn = tagging.ok(&["get-resources", "--resource-arn-list", &web_arn]);
    assert_eq!(by_arn["ResourceTagMappingList"][0]["Tags"], serde_json::json!([{"Key": "env", "Value": "dev"}]));

    tagging.fails_with(&["get-resources", "--resources-per-page", "0"], "InvalidParameterException");
    tagging.fails_with(
        &["get-resources", "--resource-arn-list", &web_arn, "--tag-filters", "Key=team"],
        "InvalidParameterException",
    );
    assert!(served.stop(), "serve stops cleanly on SIGTERM");
}

/// boto3 with the Tagging API's model narrowed to Smithy RPC v2 CBOR (through `AWS_DATA_PATH`):
/// botocore lists `json` before `smithy-rpc-v2-cbor` in its own protocol preference, so by
/// default it speaks awsJson1_1 to this service even though the model lists CBOR first. The
/// script records the protocol header and content type of every request it sends.
const BOTO3_SCRIPT: &str = r#"
import json, os, sys, tempfile
endpoint, key, secret, region, arn = sys.argv[1:6]
import botocore.session
model = botocore.session.get_session().get_service_data("resourcegroupstaggingapi")
model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
data = tempfile.mkdtemp()
version = os.path.join(data, "resourcegroupstaggingapi", model["metadata"]["apiVersion"])
os.makedirs(version)
with open(os.path.join(version, "service-2.json"), "w") as f:
    json.dump(model, f)
os.environ["AWS_DATA_PATH"] = data
import boto3
c = boto3.Session().client("resourcegroupstaggingapi", endpoint_url=endpoint, region_name=region,
                           aws_access_key_id=key, aws_secret_access_key=secret)
sent = []
def seen(request, **kw):
    h = request.headers
    text = lambda v: v.decode() if isinstance(v, bytes) else v
    sent.append([text(h.get("smithy-protocol")), text(h.get("Content-Type"))])
c.meta.events.register("before-send", seen)
c.tag_resources(ResourceARNList=[arn], Tags={"tier": "1"})
found = c.get_resources(TagFilters=[{"Key": "tier", "Values": ["1"]}])
try:
    c.get_resources(ResourcesPerPage=500)
    error = None
except c.exceptions.InvalidParameterException as e:
    error = e.response["Error"]["Code"]
print(json.dumps({"sent": sent, "found": [m["ResourceARN"] for m in found["ResourceTagMappingList"]], "error": error}))
"#;

#[test]
fn boto3_drives_the_tagging_api_over_rpc_v2_cbor() {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python3");
    let has_boto3 = Command::new(&python).args(["-c", "import boto3"]).output().is_ok_and(|o| o.status.success());
    if !has_boto3 {
        assert!(
            std::env::var("LATTICELAB_REQUIRE_AWS_CLI").is_err(),
            "LATTICELAB_REQUIRE_AWS_CLI is set but .venv has no boto3 (.ci/run installs it)"
        );
        common::skipped("boto3_drives_the_tagging_api_over_rpc_v2_cbor", "no boto3 in .venv (run .ci/run)");
        return;
    }
    let served = Served::start();
    let Some(cli) = aws_cli_or_skip("boto3_drives_the_tagging_api_over_rpc_v2_cbor") else { return };
    let lattice = Aws::new(cli, &served);
    let config = r#"{"port":80,"protocol":"HTTP","vpcIdentifier":"vpc-0a1b2c3d4e5f60718"}"#;
    let tg = lattice.ok(&["create-target-group", "--name", "cbor", "--type", "IP", "--config", config]);
    let arn = tg["arn"].as_str().expect("arn").to_string();
    let out = Command::new(&python)
        .args(["-c", BOTO3_SCRIPT])
        .args([
            served.var("LATTICE_ENDPOINT"),
            served.var("AWS_ACCESS_KEY_ID"),
            served.var("AWS_SECRET_ACCESS_KEY"),
            served.var("REGION"),
            arn.as_str(),
        ])
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .expect("python runs");
    assert!(out.status.success(), "boto3: {}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    let cbor = serde_json::json!(["rpc-v2-cbor", "application/cbor"]);
    assert_eq!(report["sent"], serde_json::json!([cbor, cbor, cbor]), "{report}");
    assert_eq!(report["found"], serde_json::json!([arn]));
    assert_eq!(report["error"], "InvalidParameterException");
    assert!(served.stop(), "serve stops cleanly on SIGTERM");
}
