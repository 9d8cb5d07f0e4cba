//! What a file's name says: its stem (for table names) and its format extension.

/// The file name without compression and format extensions, lower-cased, and the format the
/// extension names (`csv`, `json`, `ndjson`, `parquet`, `xlsx`).
pub fn base_name(path: &str) -> (String, Option<&'static str>) {
    let file = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    let file = file.strip_suffix(".gz").unwrap_or(&file).to_string();
    for (ext, fmt) in [
        (".csv", "csv"),
        (".tsv", "csv"),
        (".json", "json"),
        (".ndjson", "ndjson"),
        (".jsonl", "ndjson"),
        (".parquet", "parquet"),
        (".xlsx", "xlsx"),
    ] {
        if let Some(stem) = file.strip_suffix(ext) {
            return (stem.to_string(), Some(fmt));
        }
    }
    (file, None)
}
