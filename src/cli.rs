//! The command line (the contract in DESIGN.md): `proxyhunt [PATH]...`, `proxyhunt hunt`,
//! `proxyhunt check`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "proxyhunt",
    version,
    about = "Hunt anonymized sign-ins and multi-hop proxy use in Sentinel / Defender exports"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Exports to open in the console (files or directories); none = the embedded sample data.
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub shared: SharedArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the detections headless and write the findings.
    Hunt(HuntArgs),
    /// Show what was recognised: tables, files, rows, time range, missing or unparseable
    /// columns, and which detections can run.
    Check(CheckArgs),
    /// Write a large, realistic, deterministic export set for benchmarks, with planted true
    /// positives; the expected findings count is written to DIR/expected.json.
    Generate(GenerateArgs),
    /// Print both rules as runnable KQL, with the tuning's active filters added.
    Kql(KqlArgs),
    /// Print the built-in false-positive catalog as a TOML tuning file to start from.
    Catalog,
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
    /// Read the files at or under PATH as TABLE (e.g. DeviceProcessEvents=exports/proc.csv).
    #[arg(long = "table", value_name = "TABLE=PATH")]
    pub tables: Vec<String>,
    /// Keep a Parquet copy of each parsed export in DIR and read it instead next time (an
    /// export that changed is parsed again).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Exports to read (files or directories); none = the embedded sample data.
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub shared: SharedArgs,
    /// Output format; default from the --out extension, else ndjson.
    #[arg(long, value_name = "csv|json|ndjson|parquet")]
    pub format: Option<String>,
    /// Where to write the findings; `-` or absent = standard output.
    #[arg(long, value_name = "FILE|-")]
    pub out: Option<PathBuf>,
    /// Overwrite --out if it exists.
    #[arg(long)]
    pub force: bool,
    /// Write CSV cells exactly as they are, even those a spreadsheet would run as formulas.
    #[arg(long)]
    pub csv_raw: bool,
    /// Keep suppressed findings, naming the filters in a SuppressedBy column.
    #[arg(long)]
    pub show_suppressed: bool,
}

#[derive(Debug, Args)]
pub struct KqlArgs {
    /// Tuning file (or `builtin`) whose active filters are added as `where not(...)` clauses.
    #[arg(long, value_name = "FILE|builtin")]
    pub tuning: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Exports to check (files or directories); none = the embedded sample data.
    pub paths: Vec<PathBuf>,
    /// Read the files at or under PATH as TABLE.
    #[arg(long = "table", value_name = "TABLE=PATH")]
    pub tables: Vec<String>,
    /// Keep a Parquet copy of each parsed export in DIR and read it instead next time.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}
