//! Thin entry point: parse the command line, dispatch, map outcomes to exit codes.
//! Exit codes: 0 success; 1 usage or I/O error (a bad option, no input, no terminal for the
//! console, an output that cannot be written); 2 from hunt: an input could not be read, every
//! row of a table was rejected, a requested detection (or every one) could not run; 2 from
//! check: an error-level problem, or nothing recognised; 2 from replay: the sign-in or
//! threat-intel table could not be used.

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use cli::{BeyondArgs, Cli, Command, HuntArgs, COMMANDS};
use proxyhunt::beyond::indicators::read_exit_list;
use proxyhunt::beyond::BeyondOptions;
use proxyhunt::commands::check::write_check;
use proxyhunt::commands::hunt::{run_hunt, window_text, HuntRequest, Output, Produce};
use proxyhunt::commands::inputs::{command_inputs, merge_inputs, Inputs};
use proxyhunt::commands::options::{hunt_options, load_options, parse_now, OptionError};
use proxyhunt::commands::replay::{run_replay, ReplayRequest};
use proxyhunt::data::load::{load, load_sample};
use proxyhunt::data::values::parse_datetime;
use proxyhunt::detect::NowSpec;
use proxyhunt::export::{CsvSafety, Format, OutputSpec};
use proxyhunt::generate::{generate, GenFormat, GenOptions};
use proxyhunt::replay::incidents::IncidentOptions;
use proxyhunt::replay::runs::TableScope;
use proxyhunt::text::escape_unsafe;
use proxyhunt::tui::ConsoleArgs;

use proxyhunt::tuning::kql::tuned_kql;
use proxyhunt::tuning::{load_tuning, TuningSource, CATALOG};

/// `--table`, `--cache` and `--date-order`, as the loader takes them.
fn input_options(
    input: &cli::InputArgs,
) -> Result<proxyhunt::data::load::LoadOptions, OptionError> {
    load_options(&input.tables, &input.cache, &input.date_order)
}

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
            let mut options = input_options(&args.input)?;
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
            let mut kql = tuned_kql(&tuning);
            if args.period_fix {
                kql = proxyhunt::tuning::kql::period_fix(&kql);
            }
            print!("{}", terminal_safe_lines(&kql));
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
        Some(Command::Replay(args)) => {
            let time = |flag: &str, v: &Option<String>| -> Result<Option<i64>> {
                match v {
                    None => Ok(None),
                    Some(text) => parse_datetime(text).map(Some).ok_or_else(|| {
                        anyhow::anyhow!("{flag}: cannot read {text:?}; give an RFC 3339 time such as 2024-05-01T12:00:00Z")
                    }),
                }
            };
            let duration = |flag: &str, text: &str| -> Result<i64> {
                proxyhunt::replay::rule::parse_duration(text).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{flag}: cannot read {text:?}; give a duration such as 5m, 1h, PT5H"
                    )
                })
            };
            let now = match parse_now(&args.now)? {
                NowSpec::Latest => None,
                NowSpec::At(t) => Some(t),
            };
            let scope = match args.table_scope.as_str() {
                "query" => TableScope::Query,
                "period" => TableScope::Period,
                other => anyhow::bail!("--table-scope: unknown {other:?}; give query or period"),
            };
            let ndjson = match args.format.as_str() {
                "json" => false,
                "ndjson" => true,
                other => anyhow::bail!("--format: unknown {other:?}; give json or ndjson"),
            };
            let rule = match &args.rule {
                Some(path) => proxyhunt::replay::rule::load_rule(path)?,
                None => proxyhunt::replay::rule::rule_000(),
            };
            let mut load = input_options(&args.input)?;
            let inputs = command_inputs("replay", &args.paths, args.sample, &mut load)?;
            let request = ReplayRequest {
                inputs,
                load_options: load,
                rule,
                now,
                from: time("--from", &args.from)?,
                to: time("--to", &args.to)?,
                first_run: time("--first-run", &args.first_run)?,
                scope,
                delay: proxyhunt::kql::time::parse_duration(&args.delay)
                    .or_else(|| (args.delay.trim() == "0").then_some(0))
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--delay: cannot read {:?}; give a duration such as 5m or 0s",
                            args.delay
                        )
                    })?,
                incidents: IncidentOptions {
                    lookback_exclusive: args.lookback_exclusive,
                    close_after: args
                        .close_after
                        .as_deref()
                        .map(|d| duration("--close-after", d))
                        .transpose()?,
                },
                tuning: tuning_source(&args.tuning, false),
                ndjson,
                out: args.out.clone(),
                force: args.force,
            };
            let ran = run_replay(&request, &mut io::stdout(), &mut io::stderr())?;
            Ok(if ran {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Some(Command::Hunt(args)) => run_hunt_command(&args, Produce::Findings),
        Some(Command::Chains(args)) => run_hunt_command(&args, Produce::Chains),
        None => {
            if let Some(msg) = cli.paths.first().and_then(|p| unknown_command(p)) {
                eprintln!("proxyhunt: error: {msg}");
                return Ok(ExitCode::from(1));
            }
            let shared = &cli.shared;
            let hunt = hunt_options(&shared.now, &shared.lookback, &shared.detections)?;
            let window = format!("window {}", window_text(hunt.lookback));
            let mut load = input_options(&shared.input)?;
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

/// `hunt` and `chains`: the same load and detections, findings or chains written.
fn run_hunt_command(args: &HuntArgs, produce: Produce) -> anyhow::Result<ExitCode> {
    let shared = &args.shared;
    let options = hunt_options(&shared.now, &shared.lookback, &shared.detections)?;
    let explicit = match &args.format {
        Some(f) => Some(Format::from_name(f).ok_or_else(|| OptionError::Format(f.clone()))?),
        None => None,
    };
    let format = OutputSpec::for_path(args.out.as_deref(), explicit, Format::Ndjson)?.format;
    let mut load = input_options(&shared.input)?;
    let inputs = command_inputs(produce.command(), &args.paths, args.sample, &mut load)?;
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
    let beyond = beyond_options(&args.beyond)?;
    let request = HuntRequest {
        inputs,
        load_options: load,
        options,
        explicit: !shared.detections.is_empty(),
        tuning: tuning_source(&shared.tuning, shared.no_tuning),
        show_suppressed: args.show_suppressed,
        output,
        beyond,
        produce,
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

/// `--beyond` / `--tor-list`: the exit list read (its unreadable lines said), or no beyond.
fn beyond_options(args: &BeyondArgs) -> anyhow::Result<Option<BeyondOptions>> {
    if !args.beyond && args.tor_list.is_none() {
        return Ok(None);
    }
    let exit_list = match &args.tor_list {
        None => None,
        Some(path) => {
            let list = read_exit_list(path).with_context(|| {
                format!(
                    "--tor-list: cannot read {}",
                    escape_unsafe(&path.display().to_string())
                )
            })?;
            for (line, text) in list.unreadable.iter().take(5) {
                eprintln!(
                    "proxyhunt: {}:{line}: not an address, skipped: {}",
                    escape_unsafe(&list.name),
                    escape_unsafe(text)
                );
            }
            if list.unreadable.len() > 5 {
                eprintln!(
                    "proxyhunt: {}: {} more line(s) that are not addresses skipped",
                    escape_unsafe(&list.name),
                    list.unreadable.len() - 5
                );
            }
            Some(std::sync::Arc::new(list))
        }
    };
    Ok(Some(BeyondOptions { exit_list }))
}
