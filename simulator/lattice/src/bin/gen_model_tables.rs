//! Regenerates `src/model/generated.rs` from `model/vpc-lattice-2022-11-30.json`.
//! Run from anywhere: `cargo run -p sim-lattice --bin gen-model-tables`.

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = std::fs::read_to_string(crate_dir.join("model/vpc-lattice-2022-11-30.json"))?;
    let text = sim_lattice::model::codegen::generate(&model)?;
    let target = crate_dir.join("src/model/generated.rs");
    std::fs::write(&target, text)?;
    println!("wrote {}", target.display());
    Ok(())
}
