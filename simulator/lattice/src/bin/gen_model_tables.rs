//! Regenerates the tables in `src/model/` from the checked-in models in `model/`.
//! Run from anywhere: `cargo run -p sim-lattice --bin gen-model-tables`.

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    for source in sim_lattice::model::SOURCES {
        let model = std::fs::read_to_string(crate_dir.join("model").join(source.model_file))?;
        let text = sim_lattice::model::codegen::generate(&model, source.model_file)?;
        let target = crate_dir.join("src/model").join(source.generated_file);
        std::fs::write(&target, text)?;
        println!("wrote {}", target.display());
    }
    Ok(())
}
