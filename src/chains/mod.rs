//! Chains: findings of different detection types joined by entity and time, the two planes of
//! one attack seen together — a token replayed from a Tor exit (sign-ins) and Tor or proxy
//! tooling on a device (endpoints).
//!
//! The question a chain answers for the responder: is this Tor sign-in the user (their own
//! device ran Tor around it) or somebody holding their token (no device of theirs did)? Users
//! with anonymised sign-ins are ranked by that, the stolen-token story first. Chains read the
//! findings only (exact and, with `--beyond`, beyond-the-rule ones) and never change them.

mod build;
mod census;
mod sentence;

use polars::prelude::*;

pub use build::{chains, chains_listed, ChainWindows};

use crate::kql::time::Nanos;

/// What joins a chain's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChainKind {
    /// A user's anonymised sign-ins, and no Tor or proxy tool on any device of theirs around
    /// them: somebody else holding the user's token — what rule 000 was written for.
    SignInWithoutOwnTor,
    /// A user's anonymised sign-ins with Tor or a proxy tool on their own device around them:
    /// likely the user.
    SignInWithOwnTor,
    /// One device: a proxy tool launched, then a connection to a Tor port within minutes.
    ToolThenTorPort,
    /// One user: an SSH multi-hop launch, then a sign-in through an anonymiser.
    SshHopThenSignIn,
    /// A sign-in from an address that a device of the organisation connected to on a Tor port.
    SignInFromOrgTorPeer,
}

impl ChainKind {
    pub fn name(self) -> &'static str {
        match self {
            ChainKind::SignInWithoutOwnTor => "SignInWithoutOwnTor",
            ChainKind::SignInWithOwnTor => "SignInWithOwnTor",
            ChainKind::ToolThenTorPort => "ToolThenTorPort",
            ChainKind::SshHopThenSignIn => "SshHopThenSignIn",
            ChainKind::SignInFromOrgTorPeer => "SignInFromOrgTorPeer",
        }
    }

    /// What the chain suggests, in a few words.
    pub fn verdict(self) -> &'static str {
        match self {
            ChainKind::SignInWithoutOwnTor => "likely stolen token",
            ChainKind::SignInWithOwnTor => "likely the user",
            ChainKind::ToolThenTorPort => "Tor started on the device",
            ChainKind::SshHopThenSignIn => "multi-hop then anonymised sign-in",
            ChainKind::SignInFromOrgTorPeer => "sign-in from the org's own Tor peer",
        }
    }
}

/// A chain: its kind, its findings in time order (rows of the findings frame) and a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub kind: ChainKind,
    /// For user chains (the two sign-in kinds): 1 for the user to look at first.
    pub rank: Option<usize>,
    pub user: String,
    pub device: String,
    pub ip: String,
    /// Rows of the findings frame, oldest first.
    pub findings: Vec<usize>,
    pub first: Nanos,
    pub last: Nanos,
    pub summary: String,
}

/// The chains as a table for export: one row per chain, its members as JSON text.
pub fn chains_frame(chains: &[Chain], findings: &DataFrame) -> PolarsResult<DataFrame> {
    let kinds = findings.column("DetectionType")?.str()?.clone();
    let files = findings.column("SourceFile")?.str()?.clone();
    let lines = findings.column("SourceLine")?.cast(&DataType::Int64)?;
    let lines = lines.i64()?.clone();
    let times = crate::detect::findings::finding_times(findings)?;
    let members: Vec<String> = chains
        .iter()
        .map(|c| {
            let list: Vec<serde_json::Value> = c
                .findings
                .iter()
                .map(|&r| {
                    serde_json::json!({
                        "DetectionType": kinds.get(r),
                        "Time": times[r].map(crate::data::values::format_datetime),
                        "SourceFile": files.get(r),
                        "SourceLine": lines.get(r),
                    })
                })
                .collect();
            crate::export::json::to_compact_string(&serde_json::Value::Array(list))
        })
        .collect();
    let types: Vec<String> = chains
        .iter()
        .map(|c| {
            let mut t: Vec<&str> = c.findings.iter().filter_map(|&r| kinds.get(r)).collect();
            t.sort();
            t.dedup();
            t.join(", ")
        })
        .collect();
    let datetime = |name: &str, at: fn(&Chain) -> Nanos| -> Column {
        let v: Vec<Nanos> = chains.iter().map(at).collect();
        Int64Chunked::from_vec(name.into(), v)
            .into_datetime(TimeUnit::Nanoseconds, None)
            .into_column()
    };
    let text = |name: &str, of: fn(&Chain) -> &str| -> Column {
        Column::new(name.into(), chains.iter().map(of).collect::<Vec<_>>())
    };
    let number = |name: &str, of: fn(&Chain) -> Option<i64>| -> Column {
        Column::new(name.into(), chains.iter().map(of).collect::<Vec<_>>())
    };
    DataFrame::new(
        chains.len(),
        vec![
            number("Rank", |c| c.rank.map(|r| r as i64)),
            text("ChainKind", |c| c.kind.name()),
            text("Verdict", |c| c.kind.verdict()),
            text("User", |c| &c.user),
            text("Device", |c| &c.device),
            text("IP", |c| &c.ip),
            datetime("FirstTime", |c| c.first),
            datetime("LastTime", |c| c.last),
            number("FindingCount", |c| Some(c.findings.len() as i64)),
            Column::new("DetectionTypes".into(), types),
            text("Summary", |c| &c.summary),
            Column::new("Findings".into(), members),
        ],
    )
}

#[cfg(test)]
mod tests;
