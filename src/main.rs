//! Thin entry point: parse the command line, dispatch, map outcomes to exit codes.
//! Exit codes: 0 success; 1 usage or I/O error (including no terminal for the console); 2 a detection's table was unusable (hunt) or a
//! file could not be read (check).

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use cli::{Cli, Command};
use proxyhunt::commands::check::write_check;
use proxyhunt::commands::hunt::{run_hunt, window_text, HuntRequest, Output};
use proxyhunt::commands::options::{hunt_options, load_options, OptionError};
use proxyhunt::data::load::load;
use proxyhunt::export::{CsvSafety, Format};
use proxyhunt::generate::{generate, GenFormat, GenOptions};
use proxyhunt::tui::ConsoleArgs;

/// Polars and the loaders allocate and free large buffers from several threads at once; with
/// the system allocator that churn was a third of a hunt's time, spent by the kernel mapping and
/// zeroing pages (`perf`: `clear_page_erms`, page faults). mimalloc keeps and reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use proxyhunt::tuning::kql::tuned_kql;
use proxyhunt::tuning::{load_tuning, TuningSource, CATALOG};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(io::stderr(), "proxyhunt: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `--tuning FILE|builtin` / `--no-tuning` / neither (no filters).
fn tuning_source(tuning: &Option<std::path::PathBuf>, no_tuning: bool) -> TuningSource {
    match tuning {
        _ if no_tuning => TuningSource::None,
        Some(p) if p.as_os_str() == "builtin" => TuningSource::Builtin,
        Some(p) => TuningSource::File(p.clone()),
        None => TuningSource::None,
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Check(args)) => {
            let ds = load(&args.paths, &load_options(&args.tables, &args.cache)?);
            let ok = write_check(&ds, &mut io::stdout().lock())?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Some(Command::Generate(args)) => {
            let format = match args.format.as_str() {
                "csv" => GenFormat::Csv,
                "ndjson" => GenFormat::Ndjson,
                other => anyhow::bail!("--format: unknown {other:?}; give csv or ndjson"),
            };
            let options = GenOptions {
                signins: args.signins,
                process: args.process,
                network: args.network,
                ti: args.ti,
                seed: args.seed,
                format,
                hit_scale: args.hit_scale,
            };
            let expected = generate(&args.out, &options)
                .with_context(|| format!("writing {}", args.out.display()))?;
            println!("{}", serde_json::to_string(&expected)?);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Kql(args)) => {
            let (tuning, issues) = load_tuning(&tuning_source(&args.tuning, false))?;
            for i in issues {
                eprintln!("proxyhunt: tuning: {i}");
            }
            print!("{}", tuned_kql(&tuning));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Catalog) => {
            print!("{CATALOG}");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Hunt(args)) => {
            let shared = &args.shared;
            let options = hunt_options(&shared.now, &shared.lookback, &shared.detections)?;
            let format = match (&args.format, &args.out) {
                (Some(f), _) => {
                    Format::from_name(f).ok_or_else(|| OptionError::Format(f.clone()))?
                }
                (None, Some(p)) => Format::from_path(p).unwrap_or(Format::Ndjson),
                (None, None) => Format::Ndjson,
            };
            let output = Output {
                format,
                path: args.out.clone(),
                force: args.force,
                csv: if args.csv_raw {
                    CsvSafety::Raw
                } else {
                    CsvSafety::Neutralise
                },
            };
            let request = HuntRequest {
                paths: args.paths.clone(),
                load_options: load_options(&shared.tables, &shared.cache)?,
                options,
                explicit: !shared.detections.is_empty(),
                tuning: tuning_source(&shared.tuning, shared.no_tuning),
                show_suppressed: args.show_suppressed,
                output,
            };
            // Unlocked handles: loading runs on worker threads, and a lock held here for the
            // whole run would block any of them that writes to stderr (a panic message, say).
            let outcome = run_hunt(&request, &mut io::stdout(), &mut io::stderr())?;
            Ok(if outcome.failed {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        None => {
            let shared = &cli.shared;
            let hunt = hunt_options(&shared.now, &shared.lookback, &shared.detections)?;
            let window = format!("window {}", window_text(hunt.lookback));
            proxyhunt::tui::run(ConsoleArgs {
                paths: cli.paths.clone(),
                load: load_options(&shared.tables, &shared.cache)?,
                hunt,
                window,
                tuning: tuning_source(&shared.tuning, shared.no_tuning),
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
