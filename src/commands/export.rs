//! `perfassist export`: a profile's plan written as one runner's script, to a folder or stdout.

use perfassist::exit;
use perfassist::export::{self, ExportError, Selection};
use perfassist::output;
use perfassist::plan;

use super::{Failure, load_profile};
use crate::cli::ExportArgs;

pub fn run(args: &ExportArgs) -> Result<i32, Failure> {
    let (loaded, _) = load_profile(&args.profile, &perfassist::inputs::Limits::default())?;
    let plan = plan::generate(&loaded.profile, &plan::Defaults::default());
    let selection = match args.scenario.as_str() {
        "all" => Selection::All,
        name => Selection::One(name.to_string()),
    };
    let file = export::export(&plan, args.to, &selection, args.target.as_deref()).map_err(|e| {
        match &e {
            ExportError::UnknownScenario { .. } => eprintln!("error: --scenario: {e}"),
            ExportError::BadTarget { .. } => eprintln!(
                "error: --target / {}: target.base_url: {e}; give e.g. http://127.0.0.1:8080",
                args.profile.display()
            ),
        }
        Failure::BadInput
    })?;
    if plan.target.is_none() && args.target.is_none() {
        eprintln!(
            "warning: no target: the script holds a placeholder and refuses to run; pass --target URL or set target.base_url in {}",
            args.profile.display()
        );
    }
    match &args.out {
        Some(dir) => {
            let path = dir.join(&file.file_name);
            output::write_atomic(&path, file.contents.as_bytes())
                .map_err(|e| Failure::Internal(format!("{}: cannot write: {e}", path.display())))?;
            eprintln!("wrote {} script to {}", args.to.name(), path.display());
        }
        None => print!("{}", file.contents),
    }
    Ok(exit::OK)
}
