//! Thin entry point: parse the command line, dispatch, map outcomes to exit codes.
//! Exit codes: 0 success; 1 usage or I/O error (a bad option, no input, no terminal for the
//! console, an output that cannot be written); 2 from hunt: an input could not be read, every
//! row of a table was rejected, a requested detection (or every one) could not run; 2 from
//! check: an error-level problem, or nothing recognised.

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use cli::{Cli, Command, COMMANDS};
use proxyhunt::commands::check::write_check;
use proxyhunt::commands::hunt::{run_hunt, window_text, HuntRequest, Output};
use proxyhunt::commands::inputs::{command_inputs, merge_inputs, Inputs};
use proxyhunt::commands::options::{hunt_options, load_options, OptionError};
use proxyhunt::data::load::{load, load_sample};
use proxyhunt::export::{CsvSafety, Format, OutputSpec};
use proxyhunt::generate::{generate, GenFormat, GenOptions};
use proxyhunt::text::escape_unsafe;
use proxyhunt::tui::ConsoleArgs;

use proxyhunt::tuning::kql::tuned_kql;
use proxyhunt::tuning::{load_tuning, TuningSource, CATALOG};

fn main() -> ExitCode {
    proxyhunt::allocator::configure();
    // Usage errors exit 1 (clap's own default, 2, means "a detection could not run" here);
    // --help and --version exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Headless commands end on a signal as on an error: no temporary output file left behind.
    // (The console reads Ctrl+C as a key; its terminal is restored by its own hooks.)
    if cli.command.is_some() {
        let _ = ctrlc::set_handler(|| {
            proxyhunt::export::remove_temporaries();
            std::process::exit(130);
        });
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(io::stderr(), "proxyhunt: error: {}", error_text(&e));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes on one line, each cause once (an I/O error a message already
/// quotes is not repeated), with control and bidi characters escaped: file names come from
/// directory listings.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    escape_unsafe(&text)
}

/// A first console PATH that is a bare word and names nothing on disk is most likely a
/// mistyped command (`proxyhunt hunts`): say so rather than loading nothing.
fn unknown_command(first: &std::path::Path) -> Option<String> {
    let word = first.to_str()?;
    let bare = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !bare || std::fs::symlink_metadata(first).is_ok() {
        return None;
    }
    Some(format!(
        "unknown command or missing file '{}'; the commands are: {} (see proxyhunt --help)",
        escape_unsafe(word),
        COMMANDS.join(", ")
    ))
}

/// `kql` text with every control or bidi character escaped except the line ends: values in
/// it come from tuning files, and a terminal must not act on them.
fn terminal_safe_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(body) => format!("{}\n", escape_unsafe(body)),
            None => escape_unsafe(line),
        })
        .collect()
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
            let mut options = load_options(&args.tables, &args.cache, &args.date_order)?;
            let ds = match command_inputs("check", &args.paths, args.sample, &mut options)? {
                Inputs::Sample => load_sample(),
                Inputs::Paths(paths) => load(&paths, &options),
            };
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
            let source = tuning_source(&args.tuning, false);
            let (tuning, issues) = load_tuning(&source)?;
            for i in issues {
                eprintln!("proxyhunt: tuning: {}", escape_unsafe(&i.to_string()));
            }
            print!("{}", terminal_safe_lines(&tuned_kql(&tuning)));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Completions(args)) => {
            let mut command = Cli::command();
            clap_complete::generate(args.shell, &mut command, "proxyhunt", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut io::stdout().lock())
                .context("writing the manual page")?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Catalog) => {
            print!("{CATALOG}");
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Hunt(args)) => {
            let shared = &args.shared;
            let options = hunt_options(&shared.now, &shared.lookback, &shared.detections)?;
            let explicit = match &args.format {
                Some(f) => {
                    Some(Format::from_name(f).ok_or_else(|| OptionError::Format(f.clone()))?)
                }
                None => None,
            };
            let format =
                OutputSpec::for_path(args.out.as_deref(), explicit, Format::Ndjson)?.format;
            let mut load = load_options(&shared.tables, &shared.cache, &shared.date_order)?;
            let inputs = command_inputs("hunt", &args.paths, args.sample, &mut load)?;
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
                inputs,
                load_options: load,
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
            if let Some(msg) = cli.paths.first().and_then(|p| unknown_command(p)) {
                eprintln!("proxyhunt: error: {msg}");
                return Ok(ExitCode::from(1));
            }
            let shared = &cli.shared;
            let hunt = hunt_options(&shared.now, &shared.lookback, &shared.detections)?;
            let window = format!("window {}", window_text(hunt.lookback));
            let mut load = load_options(&shared.tables, &shared.cache, &shared.date_order)?;
            // No PATH and no --table (or --sample): the console opens the embedded sample.
            let paths = merge_inputs(&cli.paths, &mut load);
            proxyhunt::tui::run(ConsoleArgs {
                paths,
                load,
                hunt,
                window,
                tuning: tuning_source(&shared.tuning, shared.no_tuning),
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
