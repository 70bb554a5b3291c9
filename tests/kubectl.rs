//! The real `kubectl` against `latticelab serve`'s clusters, through the kubeconfig it
//! writes: apply (created / unchanged / configured, and server-side), get (-o yaml,
//! jsonpath, -w), wait (jsonpath, delete), delete of an object with a finalizer, label,
//! patch (merge / json / strategic), replace with a stale resourceVersion, api-resources,
//! namespace deletion, and server errors as kubectl prints them.
//!
//! Needs `kubectl` (`LATTICELAB_KUBECTL`, else on PATH). Without it each test prints why and
//! reports itself skipped; with `LATTICELAB_REQUIRE_KUBECTL=1` a missing kubectl fails.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::Served;
use sim_core::eventually;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const WITHIN: Duration = Duration::from_secs(30);

fn kubectl_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("LATTICELAB_KUBECTL") {
        return Some(PathBuf::from(path));
    }
    let found =
        std::process::Command::new("kubectl").args(["version", "--client"]).output().is_ok_and(|o| o.status.success());
    found.then(|| PathBuf::from("kubectl"))
}

/// kubectl pointed at a fresh `latticelab serve`, with its own cache and home so that no
/// discovery cache is shared between tests (kube-apiserver.md §12 item 10).
struct Kubectl {
    binary: PathBuf,
    served: Served,
    home: tempfile::TempDir,
}

struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Kubectl {
    fn start(test: &str) -> Option<Self> {
        let Some(binary) = kubectl_binary() else {
            if std::env::var("LATTICELAB_REQUIRE_KUBECTL").as_deref() == Ok("1") {
                panic!("{test}: kubectl not found and LATTICELAB_REQUIRE_KUBECTL=1");
            }
            common::skipped(test, "kubectl not found (set LATTICELAB_KUBECTL or put kubectl on PATH)");
            return None;
        };
        Some(Self { binary, served: Served::start(), home: tempfile::tempdir().expect("temp dir") })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.args(args)
            .env("KUBECONFIG", self.served.dir().join("kubeconfig"))
            .env("KUBECACHEDIR", self.home.path().join("cache"))
            .env("HOME", self.home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    async fn run_with_input(&self, args: &[&str], input: Option<&str>) -> Output {
        use tokio::io::AsyncWriteExt;
        let mut child = self.command(args).spawn().expect("kubectl starts");
        let mut stdin = child.stdin.take().expect("stdin");
        if let Some(input) = input {
            stdin.write_all(input.as_bytes()).await.expect("write stdin");
        }
        drop(stdin);
        let out = child.wait_with_output().await.expect("kubectl runs");
        Output {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.run_with_input(args, None).await
    }

    /// Runs and insists on success; returns stdout.
    async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(out.ok, "kubectl {args:?} failed:\n{}{}", out.stdout, out.stderr);
        out.stdout.trim_end().to_string()
    }

    async fn apply(&self, manifest: &str, extra: &[&str]) -> Output {
        let mut args = vec!["apply", "-f", "-"];
        args.extend_from_slice(extra);
        self.run_with_input(&args, Some(manifest)).await
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).spawn().expect("kubectl starts")
    }
}

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 8080
";

#[tokio::test]
async fn apply_get_and_server_side_apply() {
    let Some(k) = Kubectl::start("apply_get_and_server_side_apply") else { return };
    assert_eq!(k.apply(SERVICE, &[]).await.stdout.trim(), "service/web created");
    assert_eq!(k.apply(SERVICE, &[]).await.stdout.trim(), "service/web unchanged");
    assert_eq!(k.apply(&SERVICE.replace("port: 80", "port: 81"), &[]).await.stdout.trim(), "service/web configured");
    assert_eq!(
        k.ok(&["get", "svc", "web", "-o", "jsonpath={.spec.ports[0].port} {.spec.ports[0].protocol} {.spec.type}"])
            .await,
        "81 TCP ClusterIP"
    );
    let yaml = k.ok(&["get", "svc", "web", "-o", "yaml"]).await;
    assert!(
        yaml.contains("clusterIP: 10.96.") && yaml.contains("sessionAffinity: None") && yaml.contains("- IPv4"),
        "{yaml}"
    );
    let table = k.ok(&["get", "svc", "web"]).await;
    assert!(table.starts_with("NAME") && table.contains("CLUSTER-IP") && table.contains("81/TCP"), "{table}");

    // Server-side apply: created, re-applied, conflicting with another manager, forced.
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: \"1\"\n";
    assert_eq!(k.apply(cm, &["--server-side"]).await.stdout.trim(), "configmap/ssa serverside-applied");
    assert_eq!(k.apply(cm, &["--server-side"]).await.stdout.trim(), "configmap/ssa serverside-applied");
    let theirs = cm.replace("\"1\"", "\"2\"");
    let conflict = k.apply(&theirs, &["--server-side", "--field-manager=other"]).await;
    assert!(
        !conflict.ok && conflict.stderr.contains("conflict") && conflict.stderr.contains(".data.a"),
        "{}",
        conflict.stderr
    );
    assert!(k.apply(&theirs, &["--server-side", "--field-manager=other", "--force-conflicts"]).await.ok);
    assert_eq!(k.ok(&["get", "cm", "ssa", "-o", "jsonpath={.data.a}"]).await, "2");
    let managers = k.ok(&["get", "cm", "ssa", "-o", "jsonpath={.metadata.managedFields[*].manager}"]).await;
    assert!(managers.contains("other"), "{managers}");
    assert!(k.served.stop_ok());
}

#[tokio::test]
async fn watch_wait_and_deletion_with_a_finalizer() {
    let Some(k) = Kubectl::start("watch_wait_and_deletion_with_a_finalizer") else { return };
    // get -w prints objects as they come.
    let mut watch = k.spawn(&["get", "configmaps", "-w", "-o", "name"]);
    let mut lines = BufReader::new(watch.stdout.take().expect("stdout")).lines();
    assert!(k.apply("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\n", &[]).await.ok);
    let line = tokio::time::timeout(WITHIN, lines.next_line()).await.expect("a line in time").expect("readable");
    assert_eq!(line.as_deref(), Some("configmap/watched"));
    watch.kill().await.ok();

    // wait --for=jsonpath succeeds once the value appears.
    let waiting = k.spawn(&["wait", "--for=jsonpath={.data.ready}=yes", "configmap/watched", "--timeout=30s"]);
    k.ok(&["patch", "configmap", "watched", "--type=merge", "-p", r#"{"data":{"ready":"yes"}}"#]).await;
    let out = waiting.wait_with_output().await.expect("wait ends");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("condition met"));

    // delete of an object with a finalizer waits until the finalizer is gone.
    let held = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: [latticelab.test/hold]\n";
    assert!(k.apply(held, &[]).await.ok);
    let wait_gone = k.spawn(&["wait", "--for=delete", "configmap/held", "--timeout=30s"]);
    let mut deleting = k.spawn(&["delete", "configmap", "held"]);
    eventually(WITHIN, || async {
        let ts = k.run(&["get", "cm", "held", "-o", "jsonpath={.metadata.deletionTimestamp}"]).await.stdout;
        if ts.is_empty() { Err("no deletionTimestamp yet".to_string()) } else { Ok(()) }
    })
    .await
    .expect("the object is marked for deletion");
    assert!(deleting.try_wait().expect("pollable").is_none(), "kubectl delete waits for the finalizer");
    k.ok(&["patch", "configmap", "held", "--type=json", "-p", r#"[{"op":"remove","path":"/metadata/finalizers"}]"#])
        .await;
    let status = tokio::time::timeout(WITHIN, deleting.wait()).await.expect("delete ends").expect("exit status");
    assert!(status.success());
    let out = wait_gone.wait_with_output().await.expect("wait ends");
    assert!(out.status.success(), "wait --for=delete: {}", String::from_utf8_lossy(&out.stderr));
    assert!(k.served.stop_ok());
}

#[tokio::test]
async fn imperative_generators_send_protobuf_and_what_they_create_is_stored() {
    let Some(k) = Kubectl::start("imperative_generators_send_protobuf_and_what_they_create_is_stored") else {
        return;
    };
    // -v=8 prints each request's headers: the generators' bodies are protobuf.
    let out = k.run(&["create", "namespace", "proto", "-v=8"]).await;
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stderr.contains("Content-Type: application/vnd.kubernetes.protobuf"), "{}", out.stderr);
    k.ok(&["create", "configmap", "settings", "-n", "proto", "--from-literal=mode=strict", "--from-literal=empty="])
        .await;
    k.ok(&["create", "secret", "generic", "token", "-n", "proto", "--from-literal=password=s3cr3t"]).await;
    k.ok(&["create", "service", "clusterip", "web", "-n", "proto", "--tcp=80:8080"]).await;
    assert_eq!(k.ok(&["get", "ns", "proto", "-o", "jsonpath={.status.phase}"]).await, "Active");
    assert_eq!(
        k.ok(&["get", "cm", "settings", "-n", "proto", "-o", "jsonpath={.data.mode}/{.data.empty}/"]).await,
        "strict//"
    );
    // base64 of "s3cr3t": the bytes protobuf carried, as JSON shows them.
    assert_eq!(k.ok(&["get", "secret", "token", "-n", "proto", "-o", "jsonpath={.data.password}"]).await, "czNjcjN0");
    assert_eq!(
        k.ok(&[
            "get",
            "svc",
            "web",
            "-n",
            "proto",
            "-o",
            "jsonpath={.spec.type} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.selector.app}"
        ])
        .await,
        "ClusterIP 80 8080 web"
    );
    assert!(k.served.stop_ok());
}

#[tokio::test]
async fn label_patch_replace_api_resources_and_namespaces() {
    let Some(k) = Kubectl::start("label_patch_replace_api_resources_and_namespaces") else { return };
    assert!(k.apply(SERVICE, &[]).await.ok);
    assert_eq!(k.ok(&["label", "svc", "web", "tier=front"]).await, "service/web labeled");
    assert_eq!(k.ok(&["get", "svc", "-l", "tier=front", "-o", "name"]).await, "service/web");
    assert_eq!(k.ok(&["get", "svc", "-l", "tier!=front", "-o", "name"]).await, "service/kubernetes");

    // Strategic (the default for built-ins): ports merge by port number.
    k.ok(&["patch", "svc", "web", "-p", r#"{"spec":{"ports":[{"name":"https","port":443,"targetPort":8443}]}}"#]).await;
    assert_eq!(k.ok(&["get", "svc", "web", "-o", "jsonpath={.spec.ports[*].port}"]).await, "80 443");
    k.ok(&["patch", "svc", "web", "--type=merge", "-p", r#"{"spec":{"sessionAffinity":"ClientIP"}}"#]).await;
    k.ok(&[
        "patch",
        "svc",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/ports/1/port","value":444}]"#,
    ])
    .await;
    assert_eq!(
        k.ok(&["get", "svc", "web", "-o", "jsonpath={.spec.sessionAffinity} {.spec.ports[1].port}"]).await,
        "ClientIP 444"
    );
    // A failing JSON-patch test is 422.
    let failed = k
        .run(&["patch", "svc", "web", "--type=json", "-p", r#"[{"op":"test","path":"/spec/type","value":"NodePort"}]"#])
        .await;
    assert!(
        !failed.ok && failed.stderr.contains("The request is invalid: the server rejected our request"),
        "{}",
        failed.stderr
    );

    // replace with a stale resourceVersion is a Conflict.
    let stale = k.ok(&["get", "svc", "web", "-o", "yaml"]).await;
    k.ok(&["label", "svc", "web", "bump=1"]).await;
    let replaced = k.run_with_input(&["replace", "-f", "-"], Some(&stale)).await;
    assert!(
        !replaced.ok
            && replaced.stderr.contains("Conflict")
            && replaced.stderr.contains("the object has been modified"),
        "{}",
        replaced.stderr
    );

    // api-resources lists the CRDs served from the start.
    let resources = k.ok(&["api-resources", "-o", "name"]).await;
    for name in [
        "serviceexports.application-networking.k8s.aws",
        "serviceimports.application-networking.k8s.aws",
        "httproutes.gateway.networking.k8s.io",
        "grpcroutes.gateway.networking.k8s.io",
    ] {
        assert!(resources.lines().any(|l| l == name), "{name} missing from:\n{resources}");
    }

    // delete ns empties the namespace and waits until it is gone.
    assert!(k.apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n", &[]).await.ok);
    assert!(k.apply(&SERVICE.replace("name: web", "name: web\n  namespace: team"), &[]).await.ok);
    assert_eq!(k.ok(&["delete", "ns", "team"]).await, "namespace \"team\" deleted");
    let gone = k.run(&["get", "ns", "team"]).await;
    assert!(!gone.ok && gone.stderr.contains("NotFound"), "{}", gone.stderr);
    assert!(k.served.stop_ok());
}

#[tokio::test]
async fn server_errors_as_kubectl_prints_them() {
    let Some(k) = Kubectl::start("server_errors_as_kubectl_prints_them") else { return };
    // The ServiceImport reference's example: the CRD's schema requires ports and type.
    let import = "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\nmetadata:\n  name: my-service\nspec: {}\n";
    let out = k.apply(import, &[]).await;
    assert!(
        !out.ok
            && out.stderr.contains("spec.ports: Required value")
            && out.stderr.contains("spec.type: Required value"),
        "{}",
        out.stderr
    );
    let valid = "apiVersion: application-networking.k8s.aws/v1alpha1\nkind: ServiceImport\nmetadata:\n  name: my-service\nspec:\n  type: ClusterSetIP\n  ports:\n  - port: 80\n    protocol: TCP\n";
    assert_eq!(
        k.apply(valid, &[]).await.stdout.trim(),
        "serviceimport.application-networking.k8s.aws/my-service created"
    );
    // An enum violation names the field and the supported values.
    let out = k.apply(&valid.replace("ClusterSetIP", "LoadBalancer"), &[]).await;
    assert!(!out.ok && out.stderr.contains("spec.type: Unsupported value: \"LoadBalancer\""), "{}", out.stderr);
    // A kind nobody serves.
    let out = k.apply("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n", &[]).await;
    assert!(!out.ok && out.stderr.contains("no matches for kind \"Widget\""), "{}", out.stderr);
    // A generator's protobuf body is validated as a JSON one is.
    let out = k.run(&["create", "configmap", "Bad_Name"]).await;
    assert!(!out.ok && out.stderr.contains("metadata.name: Invalid value: \"Bad_Name\""), "{}", out.stderr);
    // A manifest in a missing namespace.
    let out = k.apply(&SERVICE.replace("name: web", "name: web\n  namespace: nowhere"), &[]).await;
    assert!(!out.ok && out.stderr.contains("namespaces \"nowhere\" not found"), "{}", out.stderr);
    assert!(k.served.stop_ok());
}
