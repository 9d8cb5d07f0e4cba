//! Deciding which of the four tables a file holds: `--table` first, then the file name, then
//! the columns. A union of several tables is refused rather than guessed.

use super::columns::locate;
use super::schema::TableKind;
use crate::data::file_name::base_name;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RecognisedBy {
    Forced,
    FileName,
    Columns,
    /// A Defender streaming-API record's `category`.
    Category,
}

impl RecognisedBy {
    pub fn describe(self) -> &'static str {
        match self {
            RecognisedBy::Forced => "by --table",
            RecognisedBy::FileName => "by file name",
            RecognisedBy::Columns => "by columns",
            RecognisedBy::Category => "by its streaming-API category",
        }
    }
}

/// Columns that must all be present for a file to be taken as the table by its columns.
fn signature(table: TableKind) -> &'static [&'static [&'static str]] {
    match table {
        TableKind::SignIn => &[
            &["UserPrincipalName"],
            &["IPAddress"],
            &["ResultType", "status.errorCode"],
            &["TimeGenerated", "CreatedDateTime"],
        ],
        TableKind::ThreatIntel => &[&["Pattern"], &["Tags"], &["IsActive"]],
        TableKind::DeviceProcess => &[&["ProcessCommandLine"], &["FileName"], &["DeviceName"]],
        TableKind::DeviceNetwork => &[&["RemotePort"], &["RemoteIP"], &["DeviceName"]],
        TableKind::LegacyThreatIntel => &[&["NetworkIP"], &["Active"], &["ExpirationDateTime"]],
    }
}

/// Columns a table never has: their presence means another table (or a union of several).
fn foreign(table: TableKind) -> &'static [&'static str] {
    match table {
        TableKind::DeviceProcess => &["RemotePort", "RemoteIP"],
        TableKind::DeviceNetwork => &["ProcessCommandLine"],
        // A file with the new table's columns is the new table, whatever else it holds.
        TableKind::LegacyThreatIntel => &["Pattern", "IsActive"],
        _ => &[],
    }
}

/// The table named by a file name such as `DeviceProcessEvents_part2.csv.gz`, or by the
/// container folder an export service writes it under: the Defender streaming API's
/// `insights-logs-advancedhunting-<table>/` and Log Analytics data export's `am-<table>/`.
pub fn table_from_file_name(path: &str) -> Option<TableKind> {
    let (stem, _) = base_name(path);
    table_named_by(&stem).or_else(|| {
        path.split(['/', '\\'])
            .rev()
            .skip(1)
            .map(str::to_ascii_lowercase)
            .find_map(|dir| {
                let table = dir
                    .strip_prefix("insights-logs-advancedhunting-")
                    .or_else(|| dir.strip_prefix("am-"))?;
                TableKind::ALL
                    .into_iter()
                    .find(|t| t.names().iter().any(|n| n.eq_ignore_ascii_case(table)))
            })
    })
}

/// The table a lower-case file stem starts with (followed by nothing or a separator).
fn table_named_by(stem: &str) -> Option<TableKind> {
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
    path: &str,
    headers: &[String],
    forced: Option<TableKind>,
) -> Result<(TableKind, RecognisedBy), String> {
    let has = |name: &str| locate(headers, name).is_some();
    let by_name = forced
        .map(|t| (t, RecognisedBy::Forced))
        .or_else(|| table_from_file_name(path).map(|t| (t, RecognisedBy::FileName)));
    if let Some((t, by)) = by_name {
        // A name (or --table) says which table; the columns may still say the file is a
        // known other thing (no header row, the legacy TI table) better than "missing columns".
        let signed = signature(t).iter().all(|alts| alts.iter().any(|c| has(c)));
        // The two threat-intel tables' names are easily swapped: a file named after the legacy
        // one that holds the new one's columns is the new one.
        let holds_new = signature(TableKind::ThreatIntel)
            .iter()
            .all(|alts| alts.iter().any(|c| has(c)));
        if t == TableKind::LegacyThreatIntel && by == RecognisedBy::FileName && holds_new {
            return Ok((TableKind::ThreatIntel, RecognisedBy::Columns));
        }
        return match diagnosis(headers) {
            Some(why) if !signed => Err(why),
            _ => Ok((t, by)),
        };
    }
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
        ([], []) => Err(not_one_of_them(headers)),
        _ => {
            let names: Vec<&str> = signed.iter().map(|t| t.name()).collect();
            Err(format!(
                "has columns of several tables ({}, and columns those tables do not have): a union of tables? Split it or use --table NAME=PATH",
                names.join(", ")
            ))
        }
    }
}

/// Why a file is none of the four tables, saying what it looks like when that is known.
fn not_one_of_them(headers: &[String]) -> String {
    diagnosis(headers).unwrap_or_else(|| {
        format!(
            "not one of the four tables ({} column(s), matching none of them); use --table NAME=PATH to force",
            headers.len()
        )
    })
}

/// What to do with the legacy threat-intel table, said wherever it is met.
pub const LEGACY_NOTE: &str = "rule 000 reads ThreatIntelIndicators (Pattern, Tags, IsActive, ValidUntil): export that table instead for the exact rule; proxyhunt reads this one only for `hunt --beyond` (the beyond-the-rule check `legacy-ti`)";

/// What a file is, when its columns say it is a known thing proxyhunt does not read as it is.
fn diagnosis(headers: &[String]) -> Option<String> {
    let has = |name: &str| locate(headers, name).is_some();
    if has("NetworkIP") && (has("ExpirationDateTime") || has("Active")) {
        return Some(format!("this is the legacy ThreatIntelligenceIndicator table (NetworkIP, Active, ExpirationDateTime); {LEGACY_NOTE}"));
    }
    // A column is never named like a datetime; other values may pass for names more often.
    let values = headers.iter().filter(|h| looks_like_a_value(h)).count();
    let datetimes = headers
        .iter()
        .filter(|h| crate::data::values::parse_datetime(h.trim()).is_some())
        .count();
    if !headers.is_empty() && (datetimes > 0 || values * 2 >= headers.len()) {
        return Some(format!(
            "the first row holds values, not column names ({values} of {} look like data): an ADX `.export to csv` without headers? Export with `with (includeHeaders=\"all\")`, or give the file a header row",
            headers.len()
        ));
    }
    None
}

/// A datetime, a number, a GUID or an IP address: what a cell holds, not what a column is named.
fn looks_like_a_value(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() {
        return false;
    }
    let guid = t.len() == 36
        && t.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    crate::data::values::parse_datetime(t).is_some()
        || t.parse::<f64>().is_ok()
        || guid
        || t.parse::<std::net::IpAddr>().is_ok()
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
        // The folders export services write a table under.
        assert_eq!(
            table_from_file_name(
                "blobs/insights-logs-advancedhunting-devicenetworkevents/tenantId=x/y=2024/m=05/d=01/h=10/m=00/PT1H.json"
            ),
            Some(TableKind::DeviceNetwork)
        );
        assert_eq!(
            table_from_file_name("export/am-SigninLogs/WorkspaceResourceId=x/y=2024/PT05M.json"),
            Some(TableKind::SignIn)
        );
        assert_eq!(
            table_from_file_name("insights-logs-advancedhunting-deviceinfo/PT1H.json"),
            None
        );
        assert_eq!(table_from_file_name("sign-in_adelete.csv"), None);
    }

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn says_what_an_unknown_file_looks_like() {
        let legacy = h(&[
            "TimeGenerated",
            "NetworkIP",
            "Active",
            "ExpirationDateTime",
            "Tags",
        ]);
        // By its columns it is the legacy table, read for `--beyond` only.
        assert_eq!(
            recognise("x.csv", &legacy, None),
            Ok((TableKind::LegacyThreatIntel, RecognisedBy::Columns))
        );
        let headerless = h(&[
            "2024-05-01T10:00:00Z",
            "host-1",
            "tor.exe",
            "9001",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
        ]);
        let why = recognise("export.csv", &headerless, None).unwrap_err();
        assert!(why.contains("includeHeaders"), "{why}");
        // Named (or forced) as a table, the columns still say what the file is.
        let why = recognise("DeviceProcessEvents_1.csv", &headerless, None).unwrap_err();
        assert!(why.contains("includeHeaders"), "{why}");
        let why = recognise("x.csv", &headerless, Some(TableKind::DeviceProcess)).unwrap_err();
        assert!(why.contains("includeHeaders"), "{why}");
        let why = recognise("ThreatIntelIndicators.csv", &legacy, None).unwrap_err();
        assert!(
            why.contains("legacy ThreatIntelligenceIndicator")
                && why.contains("export that table instead"),
            "{why}"
        );
        // The new table's columns under the legacy table's name, and a union of both: the new one.
        let new_ti = h(&["TimeGenerated", "Pattern", "Tags", "IsActive", "ValidUntil"]);
        assert_eq!(
            recognise("ThreatIntelligenceIndicator.csv", &new_ti, None),
            Ok((TableKind::ThreatIntel, RecognisedBy::Columns))
        );
        let both = h(&[
            "TimeGenerated",
            "Pattern",
            "Tags",
            "IsActive",
            "NetworkIP",
            "Active",
            "ExpirationDateTime",
        ]);
        assert_eq!(
            recognise("ti.csv", &both, None),
            Ok((TableKind::ThreatIntel, RecognisedBy::Columns))
        );
        let other = h(&["A", "B"]);
        assert!(recognise("x.csv", &other, None)
            .unwrap_err()
            .contains("not one of the four tables"));
    }
}
