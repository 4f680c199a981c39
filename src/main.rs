//! Entry point: parse the command line, set up logging, run the command, exit with its code.

mod cli;
mod commands;

use clap::Parser;

use cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    if let Command::Watch(a) = &cli.command {
        // The daemon sets up its own logging from its settings.
        let code = commands::watch::watch(a).unwrap_or_else(|f| fail(&f));
        std::process::exit(code);
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PERFASSIST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let result = match &cli.command {
        Command::Plan(a) => commands::plan(a),
        Command::Interpret(a) => commands::interpret(a),
        Command::Validate(a) => commands::validate(a),
        Command::Results(a) => commands::show_results(a),
        Command::Evidence(c) => commands::evidence::run(c),
        Command::History(a) => commands::history::run(a),
        Command::Export(a) => commands::export::run(a),
        Command::Status(a) => commands::watch::status(a),
        Command::Watch(_) => Ok(perfassist::exit::OK),
    };
    let code = match result {
        Ok(code) => code,
        Err(f) => fail(&f),
    };
    std::process::exit(code);
}

/// Prints what went wrong, once, and gives the exit code.
fn fail(f: &commands::Failure) -> i32 {
    if let Some(msg) = f.message() {
        eprintln!("error: {msg}");
    }
    f.code()
}
