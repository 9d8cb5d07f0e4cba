//! Atomic, no-clobber file writes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ExportError;

fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("findings");
    let tmp = format!(".{name}.proxyhunt-{}.tmp", std::process::id());
    path.with_file_name(tmp)
}

/// Writes `bytes` to a temporary file beside `path`, then moves it into place. Without `force`
/// the move is a hard link, which fails if `path` exists, so nothing is ever overwritten by a
/// race either.
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<(), ExportError> {
    if !force && path.exists() {
        return Err(ExportError::Exists(path.to_path_buf()));
    }
    let tmp = temp_sibling(path);
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        if force {
            fs::rename(&tmp, path).map_err(io)
        } else {
            match fs::hard_link(&tmp, path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Err(ExportError::Exists(path.to_path_buf()))
                }
                Err(e) => Err(io(e)),
            }
        }
    })();
    let _ = fs::remove_file(&tmp);
    result
}
