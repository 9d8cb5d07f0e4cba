//! Deciding which of the four tables a file holds: `--table` first, then the file name, then
//! the columns. A union of several tables is refused rather than guessed.

use super::columns::locate;
use super::raw::RawSource;
use super::read::base_name;
use super::schema::TableKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RecognisedBy {
    Forced,
    FileName,
    Columns,
}

impl RecognisedBy {
    pub fn describe(self) -> &'static str {
        match self {
            RecognisedBy::Forced => "by --table",
            RecognisedBy::FileName => "by file name",
            RecognisedBy::Columns => "by columns",
        }
    }
}

/// Columns that must all be present for a file to be taken as the table by its columns.
fn signature(table: TableKind) -> &'static [&'static [&'static str]] {
    match table {
        TableKind::SignIn => &[
            &["UserPrincipalName"],
            &["IPAddress"],
            &["ResultType"],
            &["TimeGenerated", "CreatedDateTime"],
        ],
        TableKind::ThreatIntel => &[&["Pattern"], &["Tags"], &["IsActive"]],
        TableKind::DeviceProcess => &[&["ProcessCommandLine"], &["FileName"], &["DeviceName"]],
        TableKind::DeviceNetwork => &[&["RemotePort"], &["RemoteIP"], &["DeviceName"]],
    }
}

/// Columns a table never has: their presence means another table (or a union of several).
fn foreign(table: TableKind) -> &'static [&'static str] {
    match table {
        TableKind::DeviceProcess => &["RemotePort", "RemoteIP"],
        TableKind::DeviceNetwork => &["ProcessCommandLine"],
        _ => &[],
    }
}

/// The table named by a file name such as `DeviceProcessEvents_part2.csv.gz`.
pub fn table_from_file_name(path: &str) -> Option<TableKind> {
    let (stem, _) = base_name(path);
    TableKind::ALL.into_iter().find(|t| {
        t.names().iter().any(|n| {
            let n = n.to_ascii_lowercase();
            stem.strip_prefix(&n)
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric()))
        })
    })
}

/// Recognises a source, or says why it is none of the four tables.
pub fn recognise(
    source: &RawSource,
    forced: Option<TableKind>,
) -> Result<(TableKind, RecognisedBy), String> {
    if let Some(t) = forced {
        return Ok((t, RecognisedBy::Forced));
    }
    if let Some(t) = table_from_file_name(&source.path) {
        return Ok((t, RecognisedBy::FileName));
    }
    let has = |name: &str| locate(&source.headers, name).is_some();
    let signed: Vec<TableKind> = TableKind::ALL
        .into_iter()
        .filter(|t| signature(*t).iter().all(|alts| alts.iter().any(|c| has(c))))
        .collect();
    let matching: Vec<TableKind> = signed
        .iter()
        .copied()
        .filter(|t| !foreign(*t).iter().any(|c| has(c)))
        .collect();
    match (matching.as_slice(), signed.as_slice()) {
        ([t], _) => Ok((*t, RecognisedBy::Columns)),
        ([], []) => Err(format!(
            "not one of the four tables ({} column(s), matching none of them); use --table NAME=PATH to force",
            source.headers.len()
        )),
        _ => {
            let names: Vec<&str> = signed.iter().map(|t| t.name()).collect();
            Err(format!(
                "has columns of several tables ({}, and columns those tables do not have): a union of tables? Split it or use --table NAME=PATH",
                names.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            table_from_file_name("x/DeviceProcessEvents.csv"),
            Some(TableKind::DeviceProcess)
        );
        assert_eq!(
            table_from_file_name("devicenetworkevents_part2.ndjson.gz"),
            Some(TableKind::DeviceNetwork)
        );
        assert_eq!(
            table_from_file_name("SigninLogs-2024.json"),
            Some(TableKind::SignIn)
        );
        assert_eq!(
            table_from_file_name("AADNonInteractiveUserSignInLogs.parquet"),
            Some(TableKind::SignIn)
        );
        assert_eq!(table_from_file_name("DeviceProcessEventsX.csv"), None);
        assert_eq!(table_from_file_name("sign-in_adelete.csv"), None);
    }
}
