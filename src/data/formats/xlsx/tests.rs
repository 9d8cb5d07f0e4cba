//! The workbooks made by tools/fixtures/make_xlsx.py, cell by cell.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/xlsx")
        .join(name)
}

const HEADERS: [&str; 15] = [
    "Timestamp",
    "DeviceId",
    "DeviceName",
    "ActionType",
    "FileName",
    "ProcessId",
    "ProcessCommandLine",
    "ProcessCreationTime",
    "AccountDomain",
    "AccountName",
    "InitiatingProcessFileName",
    "InitiatingProcessCommandLine",
    "IsProcessRemoteSession",
    "ProcessVersionInfoFileVersion",
    "AdditionalFields",
];

fn row(cells: [Option<&str>; 15]) -> Vec<Option<String>> {
    cells.iter().map(|c| c.map(str::to_string)).collect()
}

/// The three result rows with typed cells (date cells, numbers, booleans, an error cell).
fn typed_rows() -> Vec<Vec<Option<String>>> {
    vec![
        row([
            Some("2024-03-01T08:00:00.123Z"),
            Some("a1b2c3"),
            Some("ws-01.contoso.com"),
            Some("ProcessCreated"),
            Some("tor.exe"),
            Some("4242"),
            Some(r#"tor.exe --SocksPort 9050 -f "C:\Users\alice\torrc""#),
            Some("2024-03-01T08:00:00Z"),
            Some("contoso"),
            Some("alice"),
            Some("cmd.exe"),
            Some("cmd /c start tor.exe"),
            Some("false"),
            Some("10.5"),
            Some("{\"Note\":\"multi\nline\"}"),
        ]),
        row([
            Some("2024-03-02T23:59:59.999Z"),
            Some("d4e5f6"),
            Some("ws-02.contoso.com"),
            Some("ProcessCreated"),
            Some("ssh.exe"),
            Some("7"),
            Some("ssh -D 1080 jump.example.org"),
            None,
            Some("contoso"),
            Some("bob"),
            Some("powershell.exe"),
            Some("powershell.exe -nop -w hidden"),
            Some("true"),
            None,
            None,
        ]),
        row([
            Some("2024-02-29T00:00:00Z"),
            Some("d4e5f6"),
            Some("ws-02.contoso.com"),
            Some("ProcessCreated"),
            Some("plink.exe"),
            Some("-1"),
            Some("plink -R 8080:localhost:80 ünïcode"),
            Some("2024-02-28T12:30:00.5Z"),
            Some("contoso"),
            Some("bob"),
            Some("cmd.exe"),
            None,
            Some("false"),
            Some("0.1"),
            Some("{}"),
        ]),
    ]
}

fn headers() -> Vec<String> {
    HEADERS.iter().map(|h| h.to_string()).collect()
}

#[test]
fn date_cells_become_rfc3339_utc() {
    let (sheet, warnings) =
        read_first_sheet(&fixture("DeviceProcessEvents_dates.xlsx")).expect("read");
    assert_eq!(sheet.name, "Sheet1");
    assert_eq!(sheet.headers, headers());
    // Rows 2 to 4; the formatted but empty row 5 is left out.
    let want: Vec<(u64, Vec<Option<String>>)> = (2..).zip(typed_rows()).collect();
    assert_eq!(sheet.rows, want);
    assert_eq!(
        warnings,
        vec![CellWarning {
            row: 3,
            column: "ProcessVersionInfoFileVersion".into(),
            message: "error cell #N/A: read as empty".into(),
        }]
    );
    assert_eq!(
        warnings[0].to_string(),
        "row 3, column ProcessVersionInfoFileVersion: error cell #N/A: read as empty"
    );
    assert_eq!(
        warnings[0]
            .to_issue("x.xlsx", Some("DeviceProcessEvents"))
            .to_string(),
        "warning: x.xlsx: row 3: table DeviceProcessEvents, column \
         ProcessVersionInfoFileVersion: error cell #N/A: read as empty"
    );
}

#[test]
fn date_cells_in_the_1904_date_system() {
    let (sheet, warnings) =
        read_first_sheet(&fixture("DeviceProcessEvents_1904.xlsx")).expect("read");
    assert_eq!(sheet.headers, headers());
    // The header is on sheet row 2 (row 1 is empty): data rows are 3 and 4.
    let want: Vec<(u64, Vec<Option<String>>)> =
        (3..).zip(typed_rows().into_iter().take(2)).collect();
    assert_eq!(sheet.rows, want);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].row, 4);
}

#[test]
fn text_cells_are_kept_as_written() {
    let (sheet, warnings) =
        read_first_sheet(&fixture("DeviceProcessEvents_text.xlsx")).expect("read");
    assert_eq!(sheet.name, "Export");
    assert_eq!(sheet.headers, headers());
    let want = vec![
        (
            2,
            row([
                Some("2024-03-01T08:00:00.1234567Z"),
                Some("a1b2c3"),
                Some("ws-01.contoso.com"),
                Some("ProcessCreated"),
                Some("tor.exe"),
                Some("4242"),
                Some(r#"tor.exe --SocksPort 9050 -f "C:\Users\alice\torrc""#),
                Some("2024-03-01T08:00:00Z"),
                Some("contoso"),
                Some("alice"),
                Some("cmd.exe"),
                Some("cmd /c start tor.exe"),
                Some("False"),
                Some("10.5"),
                Some("{\"Note\":\"multi\nline\"}"),
            ]),
        ),
        (
            3,
            row([
                Some("2024-03-02T23:59:59.999Z"),
                Some("d4e5f6"),
                Some("ws-02.contoso.com"),
                Some("ProcessCreated"),
                Some("ssh.exe"),
                Some("7"),
                Some("ssh -D 1080 jump.example.org"),
                None,
                Some("contoso"),
                Some("bob"),
                Some("powershell.exe"),
                Some("powershell.exe -nop -w hidden"),
                Some("True"),
                // Text that reads #N/A is text, not an error cell.
                Some("#N/A"),
                None,
            ]),
        ),
        (
            4,
            row([
                Some("2024-02-29T00:00:00Z"),
                Some("d4e5f6"),
                Some("ws-02.contoso.com"),
                Some("ProcessCreated"),
                Some("plink.exe"),
                Some("-1"),
                Some("plink -R 8080:localhost:80 ünïcode"),
                Some("2024-02-28T12:30:00.5Z"),
                Some("contoso"),
                Some("bob"),
                Some("cmd.exe"),
                None,
                Some("False"),
                Some("0.1"),
                Some("{}"),
            ]),
        ),
    ];
    assert_eq!(sheet.rows, want);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn reads_from_memory_too() {
    let bytes = std::fs::read(fixture("DeviceProcessEvents_dates.xlsx")).expect("bytes");
    let (sheet, _) =
        read_first_sheet_from(Cursor::new(bytes), Path::new("in-memory.xlsx")).expect("read");
    assert_eq!(sheet.rows.len(), 3);
}

fn error_text(name: &str) -> String {
    read_first_sheet(&fixture(name))
        .expect_err("refused")
        .to_string()
}

#[test]
fn refusals_name_the_file_and_what_to_do() {
    let path = |name: &str| fixture(name).display().to_string();
    assert_eq!(
        error_text("not_a_workbook.xlsx"),
        format!(
            "{}: not an Excel workbook (.xlsx files are zip archives; this one is not); it looks \
             like text (CSV?): name it .csv",
            path("not_a_workbook.xlsx")
        )
    );
    assert_eq!(
        error_text("encrypted.xlsx"),
        format!(
            "{}: the workbook is encrypted (password-protected): open it in Excel, remove the \
             password (File > Info > Protect Workbook > Encrypt with Password) and save it again",
            path("encrypted.xlsx")
        )
    );
    assert_eq!(
        error_text("legacy_97_2003.xlsx"),
        format!(
            "{}: an Excel 97-2003 workbook (.xls), not .xlsx: open it in Excel and save it as \
             .xlsx or CSV",
            path("legacy_97_2003.xlsx")
        )
    );
    assert_eq!(
        error_text("empty_sheet.xlsx"),
        format!(
            "{}: the first sheet \"Empty\" is empty (no header row)",
            path("empty_sheet.xlsx")
        )
    );
    let missing = fixture("no_such.xlsx");
    let err = read_first_sheet(&missing).expect_err("refused");
    assert!(matches!(err, XlsxError::Io { .. }));
    assert!(err
        .to_string()
        .starts_with(&format!("{}: cannot read the file: ", missing.display())));
}

#[test]
fn a_zip_that_is_no_workbook() {
    // An empty zip archive: the end-of-central-directory record alone.
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend_from_slice(&[0; 18]);
    let err = read_first_sheet_from(Cursor::new(zip), Path::new("a.xlsx")).expect_err("refused");
    assert!(matches!(err, XlsxError::Unreadable { .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with("a.xlsx: cannot read the workbook: "));
    let gz = read_first_sheet_from(Cursor::new(vec![0x1f, 0x8b, 8, 0]), Path::new("b.xlsx"))
        .expect_err("refused");
    assert_eq!(
        gz.to_string(),
        "b.xlsx: not an Excel workbook (.xlsx files are zip archives; this one is not); it is \
         gzip-compressed"
    );
}

#[test]
fn cells_render_like_the_other_readers() {
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};
    let mut warnings = Vec::new();
    let mut text = |cell: Data| cell_text(&cell, 7, "C", &mut warnings);
    assert_eq!(text(Data::Int(9050)), Some("9050".into()));
    assert_eq!(text(Data::Float(9050.0)), Some("9050".into()));
    assert_eq!(text(Data::Float(-2.25)), Some("-2.25".into()));
    assert_eq!(
        text(Data::Float(1e21)),
        Some("1000000000000000000000".into())
    );
    assert_eq!(text(Data::Bool(true)), Some("true".into()));
    assert_eq!(text(Data::String(String::new())), None);
    assert_eq!(text(Data::Empty), None);
    assert_eq!(
        text(Data::DateTimeIso("2024-03-01T08:00:00".into())),
        Some("2024-03-01T08:00:00".into())
    );
    // 45352.5 days after 1899-12-30 (1900 system) is 2024-03-01 12:00; in the 1904 system the
    // same serial number is 1462 days later.
    let date = |v: f64, is_1904: bool| {
        Data::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, is_1904))
    };
    assert_eq!(
        text(date(45352.5, false)),
        Some("2024-03-01T12:00:00Z".into())
    );
    assert_eq!(
        text(date(45352.5 - 1462.0, true)),
        Some("2024-03-01T12:00:00Z".into())
    );
    // Excel keeps milliseconds: the serial number's float noise below them is rounded away.
    assert_eq!(
        text(date(45352.0 + 0.123 / 86_400.0, false)),
        Some("2024-03-01T00:00:00.123Z".into())
    );
    let duration = Data::DateTime(ExcelDateTime::new(
        1.5 + 0.25 / 86_400.0,
        ExcelDateTimeType::TimeDelta,
        false,
    ));
    assert_eq!(text(duration), Some("1.12:00:00.250".into()));
    assert_eq!(text(Data::Error(CellErrorType::Div0)), None);
    assert_eq!(
        warnings,
        vec![CellWarning {
            row: 7,
            column: "C".into(),
            message: "error cell #DIV/0!: read as empty".into(),
        }]
    );
    assert_eq!(format_timespan(-61_000), "-00:01:01");
}
