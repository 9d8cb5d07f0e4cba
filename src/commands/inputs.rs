//! What a command reads: the PATH arguments and every `--table` PATH, once each, or the
//! embedded sample when (and only when) it is asked for.

use std::path::{Component, Path, PathBuf};

use thiserror::Error;

use crate::data::load::LoadOptions;

/// The inputs of `hunt` or `check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inputs {
    /// `--sample`: the data compiled into the binary.
    Sample,
    /// Files and directories, each read once.
    Paths(Vec<PathBuf>),
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum InputError {
    #[error("{command}: no input; give PATH... (export files or directories) or --table TABLE=PATH, or --sample for the embedded sample data")]
    None { command: &'static str },
}

/// One path as given, and what it is on disk.
struct Given {
    path: PathBuf,
    /// The canonical path, when it exists (`-`, a missing path: none).
    real: Option<PathBuf>,
    is_dir: bool,
}

impl Given {
    fn new(path: &Path) -> Given {
        let real = std::fs::canonicalize(path).ok();
        let is_dir = real.as_deref().is_some_and(Path::is_dir);
        Given {
            path: path.to_path_buf(),
            real,
            is_dir,
        }
    }

    /// `other`'s place below this directory, when a walk of this directory reaches it (the
    /// walk skips hidden names); `Some("")` when both are the same path.
    fn reaches(&self, other: &Given) -> Option<PathBuf> {
        match (&self.real, &other.real) {
            (Some(a), Some(b)) if a == b => Some(PathBuf::new()),
            (Some(a), Some(b)) if self.is_dir => {
                let rel = b.strip_prefix(a).ok()?;
                let hidden = rel.components().any(
                    |c| matches!(c, Component::Normal(n) if n.to_string_lossy().starts_with('.')),
                );
                (!hidden).then(|| rel.to_path_buf())
            }
            _ => (self.path == other.path).then(PathBuf::new),
        }
    }
}

/// The paths to read: `paths`, then each `--table` PATH not already among them. A path that
/// another one's walk reaches (the same file, or a file inside a given directory) is dropped,
/// so that no file is read twice; a `--table` PATH dropped that way is respelled as the walk
/// will spell it, so it still decides the table of the files it names.
pub fn merge_inputs(paths: &[PathBuf], options: &mut LoadOptions) -> Vec<PathBuf> {
    let given: Vec<Given> = paths
        .iter()
        .chain(options.forced.iter().map(|(_, p)| p))
        .map(|p| Given::new(p))
        .collect();
    // For each path, the one whose walk reads it: the outermost directory that reaches it,
    // else the first of its equals.
    let cover = |i: usize| -> Option<(usize, PathBuf)> {
        let mut best: Option<(usize, PathBuf)> = None;
        for (j, g) in given.iter().enumerate() {
            if j == i {
                continue;
            }
            if let Some(rel) = g.reaches(&given[i]) {
                let better = match &best {
                    None => true,
                    Some((_, best_rel)) => rel.components().count() > best_rel.components().count(),
                };
                // Equal paths: the first one read wins, the later one is covered.
                if rel.as_os_str().is_empty() && j > i {
                    continue;
                }
                if better {
                    best = Some((j, rel));
                }
            }
        }
        best
    };
    let mut out = Vec::new();
    let n_paths = paths.len();
    for i in 0..given.len() {
        match cover(i) {
            None => out.push(given[i].path.clone()),
            Some((j, rel)) => {
                if i >= n_paths {
                    let spelled = if rel.as_os_str().is_empty() {
                        given[j].path.clone()
                    } else {
                        given[j].path.join(rel)
                    };
                    options.forced[i - n_paths].1 = spelled;
                }
            }
        }
    }
    out
}

/// The inputs of `hunt` or `check`: `--sample`, or the merged paths; none is an error.
pub fn command_inputs(
    command: &'static str,
    paths: &[PathBuf],
    sample: bool,
    options: &mut LoadOptions,
) -> Result<Inputs, InputError> {
    if sample {
        return Ok(Inputs::Sample);
    }
    let merged = merge_inputs(paths, options);
    if merged.is_empty() {
        return Err(InputError::None { command });
    }
    Ok(Inputs::Paths(merged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::schema::TableKind;

    fn options(forced: &[&Path]) -> LoadOptions {
        LoadOptions {
            forced: forced
                .iter()
                .map(|p| (TableKind::DeviceProcess, p.to_path_buf()))
                .collect(),
            ..LoadOptions::default()
        }
    }

    #[test]
    fn table_paths_are_inputs_and_nothing_is_read_twice() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/p.json"), "").unwrap();
        std::fs::write(d.join("x.csv"), "").unwrap();
        let p = d.join("sub/p.json");

        // --table alone: its path is the input.
        let mut o = options(&[&p]);
        assert_eq!(merge_inputs(&[], &mut o), vec![p.clone()]);

        // The same file positionally and by --table: once.
        let mut o = options(&[&p]);
        assert_eq!(
            merge_inputs(std::slice::from_ref(&p), &mut o),
            vec![p.clone()]
        );

        // A --table file inside a given directory: read by the walk, respelled as the walk
        // spells it.
        let spelled = d.join("./sub");
        let mut o = options(&[&p]);
        assert_eq!(
            merge_inputs(std::slice::from_ref(&spelled), &mut o),
            vec![spelled.clone()]
        );
        assert_eq!(o.forced[0].1, spelled.join("p.json"));

        // A file given next to its directory: the directory reads it.
        let mut o = options(&[]);
        assert_eq!(
            merge_inputs(&[d.join("x.csv"), d.to_path_buf()], &mut o),
            vec![d.to_path_buf()]
        );

        // Missing paths and `-` stay (the loader reports them), once each.
        let mut o = options(&[]);
        let missing = d.join("missing.csv");
        assert_eq!(
            merge_inputs(&[missing.clone(), "-".into(), missing.clone()], &mut o),
            vec![missing, PathBuf::from("-")]
        );

        // Nothing at all is an error naming --sample; --sample needs nothing.
        let mut o = options(&[]);
        let e = command_inputs("hunt", &[], false, &mut o).unwrap_err();
        assert!(e.to_string().contains("--sample") && e.to_string().contains("PATH"));
        assert_eq!(
            command_inputs("hunt", &[], true, &mut o),
            Ok(Inputs::Sample)
        );
    }
}
