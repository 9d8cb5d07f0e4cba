//! Finding the files to read under the paths given: directories recursively and in a stable
//! order, each real file once (however many links lead to it, and without following a link
//! loop for ever), hidden entries left out. Things that are not files (FIFOs, devices, sockets)
//! met in a directory are skipped with a note; given explicitly, a pipe (`<(zcat x.gz)`) or
//! `-` (standard input) is read, a device is refused.

use std::collections::{HashMap, HashSet};
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use super::issues::{Issue, IssueLog, Severity};

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    /// A regular file: its size is known and it can be read again.
    File,
    /// A pipe given on the command line: read once, as it comes.
    Pipe,
    /// Standard input (`-`).
    Stdin,
    /// A Delta table: a folder whose `_delta_log` says which of its Parquet files are live.
    Delta,
}

/// One file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub kind: InputKind,
}

impl Input {
    /// The name shown in messages.
    pub fn display(&self) -> String {
        match self.kind {
            InputKind::Stdin => "(standard input)".to_string(),
            _ => self.path.display().to_string(),
        }
    }
}

/// What a path is, for the walk.
enum Node {
    Dir,
    File,
    Pipe,
    /// A device or socket: never read.
    Other(&'static str),
}

#[cfg(unix)]
fn node(meta: &Metadata) -> Node {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        Node::Dir
    } else if t.is_file() {
        Node::File
    } else if t.is_fifo() {
        Node::Pipe
    } else if t.is_char_device() {
        Node::Other("a character device")
    } else if t.is_block_device() {
        Node::Other("a block device")
    } else if t.is_socket() {
        Node::Other("a socket")
    } else {
        Node::Other("not a regular file")
    }
}

#[cfg(not(unix))]
fn node(meta: &Metadata) -> Node {
    if meta.is_dir() {
        Node::Dir
    } else if meta.is_file() {
        Node::File
    } else {
        Node::Other("not a regular file")
    }
}

fn note(display: &str, message: String) -> Issue {
    Issue {
        severity: Severity::Warning,
        ..Issue::file_error(display, message)
    }
}

/// What makes two names one file.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

/// A file's identity: its device and inode (a hard link or a symbolic link is the same file).
#[cfg(unix)]
fn file_id(meta: &Metadata, _real: PathBuf) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// A file's identity: its real path.
#[cfg(not(unix))]
fn file_id(_meta: &Metadata, real: PathBuf) -> FileId {
    real
}

/// Lists the files under the given paths.
pub fn discover(paths: &[PathBuf], log: &mut IssueLog) -> Vec<Input> {
    let mut walk = Walk {
        out: Vec::new(),
        seen_files: HashMap::new(),
        seen_dirs: HashSet::new(),
    };
    for p in paths {
        if p.as_os_str() == "-" {
            walk.out.push(Input {
                path: p.clone(),
                kind: InputKind::Stdin,
            });
            continue;
        }
        walk.path(p, true, log);
    }
    walk.out
}

struct Walk {
    out: Vec<Input>,
    /// Files already listed, by identity (device and inode: a hard link is the same file), and
    /// the name each was first listed under.
    seen_files: HashMap<FileId, String>,
    /// Directories already entered, by their real path (a link loop ends here).
    seen_dirs: HashSet<PathBuf>,
}

impl Walk {
    fn path(&mut self, path: &Path, explicit: bool, log: &mut IssueLog) {
        let display = path.display().to_string();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                // ELOOP: "Too many levels of symbolic links".
                let looped = e.raw_os_error() == Some(40);
                let msg = if looped {
                    "cannot open: a link that leads back into itself (a loop of links)".to_string()
                } else if std::fs::symlink_metadata(path).is_ok() {
                    format!("cannot open: a link that leads nowhere ({})", os_error(&e))
                } else {
                    format!("cannot open: {}", os_error(&e))
                };
                log.push("unreadable", Issue::file_error(&display, msg));
                return;
            }
        };
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        match node(&meta) {
            Node::Dir if super::formats::delta::is_delta_table(path) => {
                if self.seen_dirs.insert(real) {
                    self.out.push(Input {
                        path: path.to_path_buf(),
                        kind: InputKind::Delta,
                    });
                }
            }
            Node::Dir => {
                if !self.seen_dirs.insert(real) {
                    if !explicit {
                        log.push(
                            "link-loop",
                            note(
                                &display,
                                "directory already read (a link leads back to it); not read again"
                                    .into(),
                            ),
                        );
                    }
                    return;
                }
                self.dir(path, &display, log);
            }
            Node::File => {
                let id = file_id(&meta, real);
                match self.seen_files.get(&id) {
                    None => {
                        self.seen_files.insert(id, display.clone());
                        self.out.push(Input {
                            path: path.to_path_buf(),
                            kind: InputKind::File,
                        });
                    }
                    Some(first) if *first == display && !explicit => {}
                    Some(first) if *first == display => log.push(
                        "duplicate-path",
                        note(&display, "the same file was given twice; read once".into()),
                    ),
                    Some(first) => {
                        let msg = format!("the same file as {first} (a link to it); read once");
                        log.push("duplicate-path", note(&display, msg));
                    }
                }
            }
            Node::Pipe if explicit => self.out.push(Input {
                path: path.to_path_buf(),
                kind: InputKind::Pipe,
            }),
            Node::Pipe => log.push(
                "not-a-file",
                note(&display, "a pipe (FIFO) inside a directory; skipped".into()),
            ),
            Node::Other(what) if explicit => log.push(
                "unreadable",
                Issue::file_error(&display, format!("cannot read: {what}, not a file")),
            ),
            Node::Other(what) => log.push(
                "not-a-file",
                note(&display, format!("{what} inside a directory; skipped")),
            ),
        }
    }

    fn dir(&mut self, path: &Path, display: &str, log: &mut IssueLog) {
        let entries = match std::fs::read_dir(path) {
            Ok(e) => e,
            Err(e) => {
                let msg = format!("cannot list directory: {}", os_error(&e));
                log.push("unreadable", Issue::file_error(display, msg));
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for c in children {
            let hidden = c
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if !hidden {
                self.path(&c, false, log);
            }
        }
    }
}

/// An I/O error said once: `No such file or directory`, not that followed by `(os error 2)`.
pub fn os_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn loops_links_and_non_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.csv"), "x\n").unwrap();
        std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("sub/a.csv"), root.join("b.csv")).unwrap();
        std::os::unix::fs::symlink(root.join("missing"), root.join("dangling.csv")).unwrap();
        let fifo = root.join("pipe.csv");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let mut log = IssueLog::default();
        let found = discover(&[root.to_path_buf()], &mut log);
        let names: Vec<String> = found
            .iter()
            .map(|i| i.path.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, vec!["b.csv"], "{:?}", log.lines());
        let lines = log.lines().join("\n");
        assert!(
            lines.contains("dangling.csv: cannot open: a link that leads nowhere"),
            "{lines}"
        );
        assert!(!lines.contains("os error"), "{lines}");
        if made.is_ok_and(|s| s.success()) {
            assert!(
                lines.contains("pipe.csv: a pipe (FIFO) inside a directory; skipped"),
                "{lines}"
            );
            let explicit = discover(std::slice::from_ref(&fifo), &mut IssueLog::default());
            assert_eq!(explicit[0].kind, InputKind::Pipe);
        }
        assert!(
            lines.contains("a.csv: the same file as") && lines.contains("read once"),
            "{lines}"
        );
        // A hard link is the same file too, inside a walk and given twice.
        std::fs::create_dir(root.join("hard")).unwrap();
        std::fs::hard_link(root.join("sub/a.csv"), root.join("hard/c.csv")).unwrap();
        let mut log = IssueLog::default();
        let both = [root.join("sub/a.csv"), root.join("hard")];
        let found = discover(&both, &mut log);
        assert_eq!(found.len(), 1, "{:?}", log.lines());
        assert!(
            log.lines().join("\n").contains("c.csv: the same file as"),
            "{:?}",
            log.lines()
        );
        let mut log = IssueLog::default();
        let dev = discover(&[PathBuf::from("/dev/zero")], &mut log);
        assert!(dev.is_empty());
        assert!(log.lines()[0].contains("/dev/zero: cannot read: a character device, not a file"));
    }
}
