//! Compiles the Kubernetes protobuf definitions under `proto/` into the descriptor set that
//! `src/protobuf` decodes request bodies with (docs/kube.md "Protobuf bodies"). protox is a
//! protobuf compiler written in Rust, so no `protoc` is needed to build.

use std::error::Error;
use std::path::PathBuf;

use prost::Message;

/// The files whose messages the server decodes; their imports come with them.
const FILES: [&str; 5] = [
    "k8s.io/api/core/v1/generated.proto",
    "k8s.io/api/discovery/v1/generated.proto",
    "k8s.io/api/coordination/v1/generated.proto",
    "k8s.io/api/events/v1/generated.proto",
    "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/generated.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=proto");
    let set = protox::Compiler::new(["proto"])?
        .include_imports(true)
        .include_source_info(false)
        .open_files(FILES)?
        .file_descriptor_set();
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("kubernetes.descriptors");
    std::fs::write(out, set.encode_to_vec())?;
    Ok(())
}
