//! The command line (the contract in DESIGN.md): `proxyhunt [PATH]...`, `proxyhunt hunt`,
//! `proxyhunt check`, and the helpers around them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

/// Exit codes, shown by `--help` and the man page (the README has the same table).
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  usage error (unknown option, bad value, no input), or an output that cannot be written
  2  hunt: an input could not be read, every row of a table was rejected, a detection you asked
     for (or every detection) could not run;
     check: a problem of error level, or no file recognised as a table";

const EXAMPLES: &str = "\
Examples:
  proxyhunt                                   open the console on the embedded sample data
  proxyhunt exports/                          open the console on a folder of exports
  proxyhunt check exports/                    what each file was recognised as
  proxyhunt hunt exports/ --out findings.csv  run the detections, write CSV
  proxyhunt hunt --sample --lookback rule     hunt the embedded sample data
  proxyhunt hunt --table DeviceProcessEvents=proc.json
  proxyhunt completions bash > /etc/bash_completion.d/proxyhunt";

/// The text after `--help`: examples, then exit codes.
fn after_help() -> String {
    format!("{EXAMPLES}\n\n{EXIT_CODES}")
}

#[derive(Debug, Parser)]
#[command(
    name = "proxyhunt",
    version,
    about = "Hunt anonymized sign-ins and multi-hop proxy use in Sentinel / Defender exports",
    after_help = after_help()
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Exports to open in the console (files or directories); none = the embedded sample data.
    pub paths: Vec<PathBuf>,
    /// Open the embedded sample data (the default when no PATH or --table is given).
    #[arg(long, conflicts_with_all = ["paths", "tables"])]
    pub sample: bool,
    #[command(flatten)]
    pub shared: SharedArgs,
}

/// The subcommands' names, for the message about an unknown one.
pub const COMMANDS: &[&str] = &[
    "hunt",
    "chains",
    "check",
    "generate",
    "replay",
    "kql",
    "catalog",
    "completions",
    "man",
];

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the detections headless and write the findings.
    #[command(after_help = after_help())]
    Hunt(HuntArgs),
    /// Show what was recognised: tables, files, rows, time range, missing or unparseable
    /// columns, and which detections can run.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Write a large, realistic, deterministic export set for benchmarks, with planted true
    /// positives; the expected findings count is written to DIR/expected.json.
    Generate(GenerateArgs),
    /// Join findings across detection types by user, device, address and time, and rank users
    /// with anonymised sign-ins: without Tor on a device of theirs (likely a stolen token) first.
    #[command(after_help = CHAINS_HELP)]
    Chains(HuntArgs),
    /// Replay rule 000 as Sentinel schedules it: every run over the data, the alerts and the
    /// incidents it would have raised, and with --tuning which of them the tuning removes.
    #[command(after_help = REPLAY_HELP)]
    Replay(ReplayArgs),
    /// Print both rules as runnable KQL, with the tuning's active filters added.
    Kql(KqlArgs),
    /// Print the built-in false-positive catalog as a TOML tuning file to start from.
    Catalog,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    #[command(after_help = "Examples:
  proxyhunt completions bash > ~/.local/share/bash-completion/completions/proxyhunt
  proxyhunt completions zsh > ~/.zfunc/_proxyhunt
  proxyhunt completions fish > ~/.config/fish/completions/proxyhunt.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to standard output, e.g. `proxyhunt man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to write the four tables into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 100_000)]
    pub signins: u64,
    #[arg(long, default_value_t = 100_000)]
    pub process: u64,
    #[arg(long, default_value_t = 100_000)]
    pub network: u64,
    #[arg(long, default_value_t = 10_000)]
    pub ti: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// csv or ndjson.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Multiplies the planted true-positive rates (0.1% of sign-ins, 0.2% of process and
    /// network events).
    #[arg(long, default_value_t = 1.0)]
    pub hit_scale: f64,
}

#[derive(Debug, Args, Clone)]
pub struct SharedArgs {
    /// The instant now() stands for: an RFC 3339 time, or `latest` (the newest sign-in or device
    /// event).
    #[arg(long, default_value = "latest", value_name = "RFC3339|latest")]
    pub now: String,
    /// Event window: `all` events, the `rule`'s own windows (sign-ins 1h, device events 24h), or
    /// a duration such as 90m, 12h, 7d.
    #[arg(long, default_value = "all", value_name = "all|rule|DURATION")]
    pub lookback: String,
    /// False-positive filters: a tuning file (TOML), or `builtin` for the built-in catalog with
    /// its default switches. Without it no filter applies and results equal Kusto's.
    #[arg(long, value_name = "FILE|builtin", conflicts_with = "no_tuning")]
    pub tuning: Option<PathBuf>,
    /// Apply no false-positive filters (the default).
    #[arg(long)]
    pub no_tuning: bool,
    /// Detection to run (repeatable): anonymized-signin, multihop-proxy. Default: both.
    #[arg(long = "detection", value_name = "ID")]
    pub detections: Vec<String>,
    #[command(flatten)]
    pub input: InputArgs,
}

/// How inputs are read: the options `check`, `hunt`, `replay` and the console share.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// Read the files at or under PATH as TABLE (e.g. DeviceProcessEvents=exports/proc.csv);
    /// PATH is read whether or not it is also given as a PATH argument.
    #[arg(long = "table", value_name = "TABLE=PATH")]
    pub tables: Vec<String>,
    /// Keep a Parquet copy of each parsed export in DIR and read it instead next time (an
    /// export that changed is parsed again).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Day/month order of datetimes in portal CSV exports whose values leave it open (no day
    /// above 12): dmy (day first, e.g. en-GB, de-DE) or mdy (month first, en-US).
    #[arg(long, value_name = "dmy|mdy|ymd")]
    pub date_order: Option<String>,
}

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Exports to read (files or directories). With none (and no --table), give --sample.
    pub paths: Vec<PathBuf>,
    /// Hunt the embedded sample data instead of files.
    #[arg(long, conflicts_with_all = ["paths", "tables"])]
    pub sample: bool,
    #[command(flatten)]
    pub shared: SharedArgs,
    /// Output format; default from the --out extension, else ndjson. With --out, an extension
    /// naming another format is refused.
    #[arg(long, value_name = "csv|json|ndjson|parquet")]
    pub format: Option<String>,
    /// Where to write the findings; `-` or absent = standard output. A name ending in `.gz` is
    /// gzip-compressed (findings.csv.gz).
    #[arg(long, value_name = "FILE|-")]
    pub out: Option<PathBuf>,
    /// Overwrite --out if it is an existing regular file (never a link, nor an input).
    #[arg(long)]
    pub force: bool,
    /// Write CSV cells exactly as they are, even those a spreadsheet would run as formulas.
    #[arg(long)]
    pub csv_raw: bool,
    /// Keep suppressed findings, naming the filters in a SuppressedBy column.
    #[arg(long)]
    pub show_suppressed: bool,
    #[command(flatten)]
    pub beyond: BeyondArgs,
}

/// Coverage beyond the rule: findings the detections as written miss, labelled as such.
#[derive(Debug, Args, Clone)]
pub struct BeyondArgs {
    /// Add beyond-the-rule findings after the exact ones, with DetectionType values of their own
    /// (AnonymizedSignIn+, ProxyToolLaunch+, SSHMultiHopProxy+) and a BeyondRule reason.
    #[arg(long)]
    pub beyond: bool,
    /// A Tor exit list (one address per line, as the Tor Project publishes it); sign-ins from
    /// its addresses that the rule misses become AnonymizedSignIn+ findings. Implies --beyond.
    #[arg(long, value_name = "FILE")]
    pub tor_list: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct KqlArgs {
    /// Tuning file (or `builtin`) whose active filters are added as `where not(...)` clauses.
    #[arg(long, value_name = "FILE|builtin")]
    pub tuning: Option<PathBuf>,
    /// Print rule 000 as it works if Sentinel cuts every table to the query period (R6): set
    /// queryPeriod to 14d and read the threat intel over 14 days, sign-ins still over 1 hour.
    #[arg(long)]
    pub period_fix: bool,
}

const CHAINS_HELP: &str = "\
Examples:
  proxyhunt chains exports/                      chains as NDJSON, users ranked first
  proxyhunt chains exports/ --out chains.csv
  proxyhunt chains exports/ --beyond --tor-list tor-exits.lst

Options are hunt's; the chains are built from the findings hunt would write (with --tuning,
after it; with --beyond, the beyond-the-rule findings join chains too).

Exit codes: as for hunt.";

const REPLAY_HELP: &str = "\
Examples:
  proxyhunt replay exports/ --out replay.json
  proxyhunt replay exports/ --tuning tuning.toml --format json
  proxyhunt replay exports/ --from 2026-05-05T00:00:00Z --to 2026-05-12T00:00:00Z --first-run 2026-05-05T00:07:00Z
  proxyhunt replay exports/ --rule deployed-rule.yaml --table-scope period

The rule's schedule, trigger, alert and incident settings come from the seed's YAML, or from
--rule (a deployed copy, whose query must be rule 000's). See the README for the choices made
where Sentinel's behaviour is not documented (sentinel-replay.md R1-R27).

Exit codes:
  0  success
  1  usage error, or an output that cannot be written
  2  the sign-in or threat-intel table could not be used";

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Exports to read (files or directories). With none (and no --table), give --sample.
    pub paths: Vec<PathBuf>,
    /// Replay over the embedded sample data.
    #[arg(long, conflicts_with_all = ["paths", "tables"])]
    pub sample: bool,
    /// The end of the replay when --to is not given: an RFC 3339 time, or `latest` (the newest
    /// sign-in).
    #[arg(long, default_value = "latest", value_name = "RFC3339|latest")]
    pub now: String,
    /// The first query time considered (default: the oldest sign-in).
    #[arg(long, value_name = "RFC3339")]
    pub from: Option<String>,
    /// The last query time considered (default: --now).
    #[arg(long, value_name = "RFC3339")]
    pub to: Option<String>,
    /// The schedule's phase: a time the rule ran at (default: --from). Runs are every
    /// queryFrequency from it.
    #[arg(long, value_name = "RFC3339")]
    pub first_run: Option<String>,
    /// The rule as a tenant deployed it (YAML); its query must be rule 000's.
    #[arg(long, value_name = "FILE")]
    pub rule: Option<PathBuf>,
    /// `query`: the KQL's own time filters; `period`: every table cut to the query period.
    #[arg(long, default_value = "query", value_name = "query|period")]
    pub table_scope: String,
    /// False-positive filters; the replay is then run untuned and tuned, and compared.
    #[arg(long, value_name = "FILE|builtin")]
    pub tuning: Option<PathBuf>,
    /// How long after its scheduled time a run's alert is stamped (R3).
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub delay: String,
    /// An alert exactly one lookback after an incident's first alert starts a new incident.
    #[arg(long)]
    pub lookback_exclusive: bool,
    /// What-if: every incident is closed this long after it is created (R22).
    #[arg(long, value_name = "DURATION")]
    pub close_after: Option<String>,
    /// `json`: one document; `ndjson`: one alert per line.
    #[arg(long, default_value = "json", value_name = "json|ndjson")]
    pub format: String,
    /// Where to write; `-` or absent = standard output.
    #[arg(long, value_name = "FILE|-")]
    pub out: Option<PathBuf>,
    /// Overwrite --out if it is an existing regular file (never a link, nor an input).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Exports to check (files or directories). With none (and no --table), give --sample.
    pub paths: Vec<PathBuf>,
    /// Check the embedded sample data instead of files.
    #[arg(long, conflicts_with_all = ["paths", "tables"])]
    pub sample: bool,
    #[command(flatten)]
    pub input: InputArgs,
}
