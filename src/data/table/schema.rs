//! The four tables proxyhunt reads and, for each, the columns the detections and the findings
//! need. Only these columns are materialised, whatever else an export carries.

use std::fmt;

/// The columns of a table to read (or to hold some way), by table.
pub type ColumnsOf = fn(TableKind) -> Vec<&'static str>;

/// A table the detections read.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum TableKind {
    SignIn,
    ThreatIntel,
    DeviceProcess,
    DeviceNetwork,
    /// The legacy `ThreatIntelligenceIndicator` table: read for `--beyond` only (rule 000
    /// reads `ThreatIntelIndicators`).
    LegacyThreatIntel,
}

/// The Kusto type a column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Str,
    DateTime,
    Bool,
    Int,
}

/// Why a column is read, which decides what its absence means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Tested by a `where` or a join: without it the table cannot serve the detection.
    Filter,
    /// Projected into findings: when absent it is empty and `check` says so.
    Output,
    /// Used for entity normalisation and context only: empty when absent, no warning.
    Extra,
}

#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub ty: ColType,
    pub need: Need,
    /// Columns read instead, in order, when `name` is absent (each use is reported).
    pub fallbacks: &'static [&'static str],
}

const fn col(name: &'static str, ty: ColType, need: Need) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        need,
        fallbacks: &[],
    }
}

use ColType::*;
use Need::*;

const SIGN_IN: &[ColumnSpec] = &[
    ColumnSpec {
        name: "TimeGenerated",
        ty: DateTime,
        need: Filter,
        fallbacks: &["CreatedDateTime"],
    },
    col("UserPrincipalName", Str, Output),
    col("AppDisplayName", Str, Output),
    col("IPAddress", Str, Filter),
    // Graph `/auditLogs/signIns` nests these (see the README's column mapping).
    ColumnSpec {
        name: "Location",
        ty: Str,
        need: Output,
        fallbacks: &["location.countryOrRegion"],
    },
    ColumnSpec {
        name: "ResultType",
        ty: Str,
        need: Filter,
        fallbacks: &["status.errorCode"],
    },
    col("ConditionalAccessStatus", Str, Output),
    col("AuthenticationRequirement", Str, Output),
    col("CorrelationId", Str, Output),
    col("UniqueTokenIdentifier", Str, Output),
    col("UserAgent", Str, Extra),
];

const THREAT_INTEL: &[ColumnSpec] = &[
    col("TimeGenerated", DateTime, Filter),
    col("IsActive", Bool, Filter),
    col("ValidUntil", DateTime, Filter),
    col("Tags", Str, Filter),
    col("Pattern", Str, Filter),
    col("Id", Str, Extra),
];

/// The legacy table's columns. Only its address, state and dates decide; the others say why.
const LEGACY_THREAT_INTEL: &[ColumnSpec] = &[
    col("TimeGenerated", DateTime, Filter),
    col("NetworkIP", Str, Filter),
    col("Active", Bool, Filter),
    col("ExpirationDateTime", DateTime, Filter),
    col("NetworkSourceIP", Str, Extra),
    col("NetworkDestinationIP", Str, Extra),
    col("ThreatType", Str, Extra),
    col("Tags", Str, Extra),
    col("Description", Str, Extra),
    col("IndicatorId", Str, Extra),
];

const DEVICE_PROCESS: &[ColumnSpec] = &[
    ColumnSpec {
        name: "Timestamp",
        ty: DateTime,
        need: Filter,
        fallbacks: &["TimeGenerated"],
    },
    col("DeviceName", Str, Output),
    col("AccountName", Str, Output),
    col("FileName", Str, Filter),
    col("ProcessCommandLine", Str, Filter),
    col("InitiatingProcessFileName", Str, Output),
    col("InitiatingProcessCommandLine", Str, Output),
    col("AccountDomain", Str, Extra),
];

const DEVICE_NETWORK: &[ColumnSpec] = &[
    ColumnSpec {
        name: "Timestamp",
        ty: DateTime,
        need: Filter,
        fallbacks: &["TimeGenerated"],
    },
    col("DeviceName", Str, Output),
    col("InitiatingProcessFileName", Str, Output),
    col("InitiatingProcessCommandLine", Str, Output),
    col("RemoteIP", Str, Output),
    col("RemotePort", Int, Filter),
    col("RemoteUrl", Str, Output),
    col("RemoteIPType", Str, Filter),
    col("InitiatingProcessAccountName", Str, Extra),
];

impl TableKind {
    pub const ALL: [TableKind; 5] = [
        TableKind::SignIn,
        TableKind::ThreatIntel,
        TableKind::DeviceProcess,
        TableKind::DeviceNetwork,
        TableKind::LegacyThreatIntel,
    ];

    /// The table's name in Sentinel / Defender.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::SignIn => "AADNonInteractiveUserSignInLogs",
            TableKind::ThreatIntel => "ThreatIntelIndicators",
            TableKind::DeviceProcess => "DeviceProcessEvents",
            TableKind::DeviceNetwork => "DeviceNetworkEvents",
            TableKind::LegacyThreatIntel => "ThreatIntelligenceIndicator",
        }
    }

    /// Every name a file or a `Type` column may give the table by.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            TableKind::SignIn => &["AADNonInteractiveUserSignInLogs", "SigninLogs"],
            TableKind::ThreatIntel => &["ThreatIntelIndicators"],
            TableKind::DeviceProcess => &["DeviceProcessEvents"],
            TableKind::DeviceNetwork => &["DeviceNetworkEvents"],
            TableKind::LegacyThreatIntel => &["ThreatIntelligenceIndicator"],
        }
    }

    pub fn from_name(name: &str) -> Option<TableKind> {
        TableKind::ALL
            .into_iter()
            .find(|t| t.names().iter().any(|n| n.eq_ignore_ascii_case(name)))
    }

    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            TableKind::SignIn => SIGN_IN,
            TableKind::ThreatIntel => THREAT_INTEL,
            TableKind::DeviceProcess => DEVICE_PROCESS,
            TableKind::DeviceNetwork => DEVICE_NETWORK,
            TableKind::LegacyThreatIntel => LEGACY_THREAT_INTEL,
        }
    }

    /// The column that places an event in time (the rule's `TimeGenerated` / `Timestamp`).
    pub fn time_column(self) -> &'static str {
        self.columns()[0].name
    }

    /// Whether the table holds events (as opposed to threat intel) for `--now latest`.
    pub fn is_event_table(self) -> bool {
        !matches!(self, TableKind::ThreatIntel | TableKind::LegacyThreatIntel)
    }
}

impl fmt::Display for TableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Internal columns every loaded table carries, to trace a row to its file and line.
pub const SOURCE_FILE_COLUMN: &str = "_SourceFile";
pub const SOURCE_LINE_COLUMN: &str = "_SourceLine";
