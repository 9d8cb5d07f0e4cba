//! Saving a new filter: appended to the tuning file as text, so the file's comments and layout
//! stay exactly as they were, checked by parsing the result, and written atomically.

use std::path::Path;

use super::file::{parse_tuning, read_tuning_text};
use crate::export::{write_atomically, ExportError};

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The tuning file is there but cannot be read, or is not UTF-8 or not TOML: appending to
    /// it would not make it load.
    #[error("{0}")]
    File(super::file::TuningError),
    #[error("the new filter would not load: {0}")]
    Invalid(String),
    /// The file is not as the save left it.
    #[error("{0}")]
    Changed(String),
    #[error(transparent)]
    Write(#[from] ExportError),
}

/// Appends `block` to the tuning file at `path` (created if absent). The block must load as one
/// more filter with no new problem; problems the file already had are not the block's, and do
/// not stop the save.
pub fn append_filter(path: &Path, block: &str) -> Result<(), SaveError> {
    let name = path.display().to_string();
    let (mut text, before) = if path.exists() {
        let text = read_tuning_text(path).map_err(SaveError::File)?;
        let before = parse_tuning(&name, &text).map_err(SaveError::File)?;
        (text, before)
    } else {
        (
            "# proxyhunt tuning file (see `proxyhunt catalog` for the built-in filters)\n"
                .to_string(),
            (Vec::new(), Vec::new()),
        )
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(block);
    let (filters, issues) =
        parse_tuning(&name, &text).map_err(|e| SaveError::Invalid(e.to_string()))?;
    if let Some(new) = issues.iter().find(|i| !before.1.contains(i)) {
        return Err(SaveError::Invalid(new.to_string()));
    }
    if filters.len() != before.0.len() + 1 {
        return Err(SaveError::Invalid(format!(
            "{name}: the new filter did not load"
        )));
    }
    write_atomically(path, text.as_bytes(), true)?;
    Ok(())
}

/// Takes back a save: removes `block` from the end of the tuning file at `path`, where
/// [`append_filter`] put it. Refused when the file no longer ends with it (edited since).
pub fn remove_appended(path: &Path, block: &str) -> Result<(), SaveError> {
    let text = read_tuning_text(path).map_err(SaveError::File)?;
    let Some(before) = text.strip_suffix(block) else {
        return Err(SaveError::Changed(format!(
            "{} changed since the exclusion was saved; remove it by hand",
            path.display()
        )));
    };
    write_atomically(path, before.as_bytes(), true)?;
    Ok(())
}
