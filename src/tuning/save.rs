//! Saving a new filter: appended to the tuning file as text, so the file's comments and layout
//! stay exactly as they were, checked by parsing the result, and written atomically.

use std::path::Path;

use super::file::parse_tuning;
use crate::export::{write_atomically, ExportError};

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("the new filter would not load: {0}")]
    Invalid(String),
    #[error(transparent)]
    Write(#[from] ExportError),
}

/// Appends `block` to the tuning file at `path` (created if absent).
pub fn append_filter(path: &Path, block: &str) -> Result<(), SaveError> {
    let mut text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# proxyhunt tuning file (see `proxyhunt catalog` for the built-in filters)\n"
                .to_string()
        }
        Err(e) => return Err(SaveError::Read(path.display().to_string(), e)),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(block);
    let (_, issues) = parse_tuning(&path.display().to_string(), &text);
    if let Some(first) = issues.first() {
        return Err(SaveError::Invalid(first.to_string()));
    }
    write_atomically(path, text.as_bytes(), true)?;
    Ok(())
}
