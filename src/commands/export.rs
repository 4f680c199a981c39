//! `perfassist export`: a profile's plan written as one runner's script, to a folder or stdout.

use perfassist::exit;
use perfassist::export::{self, ExportError, Selection};
use perfassist::output;
use perfassist::plan;

use super::{Failure, load_profile, time_scale, warn_about_shape};
use crate::cli::ExportArgs;

pub fn run(args: &ExportArgs) -> Result<i32, Failure> {
    let scale = args.time_scale.map(time_scale).transpose()?;
    let (loaded, profile_bytes) =
        load_profile(&args.profile, &perfassist::inputs::Limits::default())?;
    let mut plan = plan::generate(&loaded.profile, &plan::Defaults::default());
    if let Some(f) = scale {
        plan = plan.time_scaled(f);
    }
    warn_about_shape(&args.profile, &profile_bytes, &plan);
    let selection = match args.scenario.as_str() {
        "all" => Selection::All,
        name => Selection::One(name.to_string()),
    };
    let files =
        export::export_files(&plan, args.to, &selection, args.target.as_deref()).map_err(|e| {
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
            for file in &files {
                let path = dir.join(&file.file_name);
                output::write_atomic(&path, file.contents.as_bytes()).map_err(|e| {
                    Failure::Internal(format!("{}: cannot write: {e}", path.display()))
                })?;
                eprintln!(
                    "wrote {} to {}",
                    what(file, &files, args.to),
                    path.display()
                );
            }
        }
        None => {
            // The first file is the script; what it runs beside it needs a folder.
            if let Some(main) = files.first() {
                print!("{}", main.contents);
            }
            for companion in files.iter().skip(1) {
                eprintln!(
                    "note: this script runs {} beside it: export with --out DIR to write both",
                    companion.file_name
                );
            }
        }
    }
    Ok(exit::OK)
}

/// How the `wrote` line names a file: the script, or the file it runs.
fn what(file: &export::ExportFile, files: &[export::ExportFile], to: export::Runner) -> String {
    match files.first() {
        Some(main) if main.file_name != file.file_name => {
            format!("the file {} runs", main.file_name)
        }
        _ => format!("{} script", to.name()),
    }
}
