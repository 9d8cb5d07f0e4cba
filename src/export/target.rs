//! What an output file's name says it holds. A name is never contradicted: `findings.csv.gz` is
//! gzip-compressed CSV, `findings.json` is JSON, and a name whose extension is not a format
//! proxyhunt writes is refused unless the format is given explicitly.

use std::path::Path;

use super::{ExportError, Format};

/// The format and compression to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Format,
    pub gzip: bool,
}

const KNOWN: &str = ".csv, .json, .ndjson (or .jsonl), .parquet, each optionally followed by .gz";

/// Extensions that name a format or compression proxyhunt does not write: refused even with
/// `--format`, since the file would not be what its name says (`x.csv.bz2` is not bzip2).
const CLAIMED: &[&str] = &[
    "bz2", "bzip2", "xz", "lzma", "zst", "zstd", "lz4", "br", "z", "zip", "7z", "rar", "tar",
    "tgz", "tbz2", "txz", "xlsx", "xlsm", "xls", "ods", "tsv", "xml", "html", "htm", "pdf", "avro",
    "orc", "arrow", "feather", "ipc", "sqlite",
];

/// Whether a file name ends in `.gz` (any case).
fn strip_gz(name: &str) -> Option<&str> {
    let cut = name.len().checked_sub(3)?;
    (name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(".gz")).then(|| &name[..cut])
}

impl OutputSpec {
    /// The spec for writing to `path` (`None` or `-`: standard output), given the format named
    /// explicitly (`--format`), else `default` when the name has no extension.
    ///
    /// Rules: a trailing `.gz` means gzip. The extension before it (or the last one) names the
    /// format; if `explicit` names another, that is refused. An extension proxyhunt does not
    /// write is refused unless `explicit` is given (then the name claims no format we know). A
    /// name with no extension takes `explicit`, else `default`; `NAME.gz` needs `explicit`.
    pub fn for_path(
        path: Option<&Path>,
        explicit: Option<Format>,
        default: Format,
    ) -> Result<OutputSpec, ExportError> {
        let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
            return Ok(OutputSpec {
                format: explicit.unwrap_or(default),
                gzip: false,
            });
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (stem, gzip) = match strip_gz(&name) {
            Some(stem) => (stem, true),
            None => (name.as_str(), false),
        };
        let ext = Path::new(stem)
            .extension()
            .map(|e| e.to_string_lossy().into_owned());
        let format = match (ext, explicit) {
            (Some(ext), explicit) => match (Format::from_name(&ext), explicit) {
                (Some(named), Some(given)) if named != given => {
                    return Err(ExportError::FormatMismatch {
                        path: path.to_path_buf(),
                        named: named.name(),
                        given: given.name(),
                    })
                }
                (Some(named), _) => named,
                (None, Some(_)) if CLAIMED.contains(&ext.to_ascii_lowercase().as_str()) => {
                    return Err(ExportError::ClaimedExtension {
                        path: path.to_path_buf(),
                        ext,
                        known: KNOWN,
                    })
                }
                (None, Some(given)) => given,
                (None, None) => {
                    return Err(ExportError::UnknownExtension {
                        path: path.to_path_buf(),
                        ext,
                        known: KNOWN,
                    })
                }
            },
            (None, Some(given)) => given,
            (None, None) if gzip => {
                return Err(ExportError::NoFormat {
                    path: path.to_path_buf(),
                    known: KNOWN,
                })
            }
            (None, None) => default,
        };
        Ok(OutputSpec { format, gzip })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, explicit: Option<Format>) -> Result<OutputSpec, String> {
        OutputSpec::for_path(Some(Path::new(name)), explicit, Format::Ndjson)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_name_decides_and_is_never_contradicted() {
        let csv_gz = OutputSpec {
            format: Format::Csv,
            gzip: true,
        };
        assert_eq!(spec("out/f.csv.gz", None), Ok(csv_gz));
        assert_eq!(spec("f.CSV.GZ", None), Ok(csv_gz));
        assert_eq!(spec("f.csv.gz", Some(Format::Csv)), Ok(csv_gz));
        assert_eq!(spec("f.jsonl", None).unwrap().format, Format::Ndjson);
        assert_eq!(spec("f.parquet", None).unwrap().format, Format::Parquet);
        assert_eq!(spec("findings", None).unwrap().format, Format::Ndjson);
        assert_eq!(
            spec("findings", Some(Format::Csv)).unwrap().format,
            Format::Csv
        );
        assert_eq!(
            spec("f.txt", Some(Format::Csv)).unwrap().format,
            Format::Csv
        );
        assert_eq!(
            spec("f.gz", Some(Format::Json)),
            Ok(OutputSpec {
                format: Format::Json,
                gzip: true
            })
        );
        let e = spec("f.csv", Some(Format::Json)).unwrap_err();
        assert!(
            e.contains("f.csv") && e.contains("csv") && e.contains("--format json"),
            "{e}"
        );
        let e = spec("f.txt", None).unwrap_err();
        assert!(
            e.contains("f.txt") && e.contains("\"txt\"") && e.contains(".csv"),
            "{e}"
        );
        for claimed in [
            "f.csv.bz2",
            "f.csv.zst",
            "f.zip",
            "f.xlsx",
            "f.ndjson.zip",
            "f.TSV",
        ] {
            let e = spec(claimed, Some(Format::Csv)).unwrap_err();
            assert!(e.contains(claimed) && e.contains("does not write"), "{e}");
        }
        let e = spec("f.gz", None).unwrap_err();
        assert!(e.contains("f.gz") && e.contains("--format"), "{e}");
        assert_eq!(
            OutputSpec::for_path(Some(Path::new("-")), None, Format::Csv)
                .unwrap()
                .format,
            Format::Csv
        );
    }
}
