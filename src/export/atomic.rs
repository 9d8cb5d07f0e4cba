//! Writing an output file safely, also as root.
//!
//! - A regular file is written to a temporary sibling (created exclusively, so a planted link
//!   at its name is never followed) and moved into place: a reader never sees half a file.
//!   Without `force` the move is a hard link, which fails if the name exists, so nothing is
//!   overwritten, even by a race. The temporary file is removed whatever happens, including a
//!   panic while encoding.
//! - An existing FIFO or character device (`/dev/null`, `/dev/stdout`, `>(gzip > x)`) is opened
//!   and written to as a stream; it is never replaced by a regular file, and needs no `force`.
//! - A symbolic link is never replaced. Findings refuse it ([`Links::Refuse`]); the tuning file
//!   the console saves to is written through it ([`Links::Follow`]), as editors do.
//! - A file that is also an input is never overwritten, even with `force`.
//! - Directories, block devices and sockets are refused.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::ExportError;
use crate::data::discover::discover;
use crate::data::issues::IssueLog;

/// What to do with a symbolic link at the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Refuse it (findings: a link planted at the output name must not redirect the write).
    Refuse,
    /// Write to the file it points to, keeping the link (the console's tuning file).
    Follow,
}

/// Where and how to write.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    pub path: &'a Path,
    /// Overwrite an existing regular file.
    pub force: bool,
    pub links: Links,
    /// Files and directories read as input; no file at or under them is overwritten.
    pub inputs: &'a [PathBuf],
}

/// How a destination will be written.
#[derive(Debug)]
enum Plan {
    /// An existing FIFO or character device, written in place.
    Stream,
    /// A regular file at `target` (the path, or where its link points), replaced atomically.
    Replace { target: PathBuf, exists: bool },
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |error| ExportError::Io {
        path: path.to_path_buf(),
        error,
    }
}

#[cfg(unix)]
fn kind_of(t: &fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_block_device() {
        Some("block device")
    } else if t.is_socket() {
        Some("socket")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn kind_of(_: &fs::FileType) -> Option<&'static str> {
    None
}

#[cfg(unix)]
fn is_stream(t: &fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    t.is_fifo() || t.is_char_device()
}

#[cfg(not(unix))]
fn is_stream(_: &fs::FileType) -> bool {
    false
}

/// The same file: device and inode on Unix, else the canonical path.
#[cfg(unix)]
fn same_file(a: &fs::Metadata, _: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(b).is_ok_and(|m| m.dev() == a.dev() && m.ino() == a.ino())
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// The input file that `target` (an existing regular file) is, if any.
fn input_at(target: &Path, meta: &fs::Metadata, inputs: &[PathBuf]) -> Option<PathBuf> {
    if inputs.is_empty() {
        return None;
    }
    let mut log = IssueLog::default();
    discover(inputs, &mut log)
        .into_iter()
        .map(|input| input.path)
        .find(|f| same_file(meta, target, f))
}

fn plan(dest: &Destination) -> Result<Plan, ExportError> {
    let path = dest.path;
    let link = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A missing folder is said now, not after the work.
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            match fs::metadata(parent) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(ExportError::ParentNotADirectory(path.to_path_buf())),
                Err(e) => return Err(io_error(path)(e)),
            }
            return Ok(Plan::Replace {
                target: path.to_path_buf(),
                exists: false,
            });
        }
        Err(e) => return Err(io_error(path)(e)),
        Ok(m) => m,
    };
    let is_link = link.file_type().is_symlink();
    // What the name leads to (through any link).
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(_) if is_link => return Err(ExportError::Symlink(path.to_path_buf())),
        Err(e) => return Err(io_error(path)(e)),
    };
    let ft = meta.file_type();
    if is_stream(&ft) {
        return Ok(Plan::Stream);
    }
    if ft.is_dir() {
        return Err(ExportError::IsDirectory(path.to_path_buf()));
    }
    if let Some(kind) = kind_of(&ft) {
        return Err(ExportError::NotAFile {
            path: path.to_path_buf(),
            kind,
        });
    }
    let target = match (is_link, dest.links) {
        (false, _) => path.to_path_buf(),
        (true, Links::Refuse) => return Err(ExportError::Symlink(path.to_path_buf())),
        (true, Links::Follow) => fs::canonicalize(path).map_err(io_error(path))?,
    };
    if let Some(input) = input_at(&target, &meta, dest.inputs) {
        return Err(ExportError::IsInput {
            path: path.to_path_buf(),
            input,
        });
    }
    if !dest.force {
        return Err(ExportError::Exists(path.to_path_buf()));
    }
    Ok(Plan::Replace {
        target,
        exists: true,
    })
}

/// Checks that `dest` can be written (see the module documentation) without writing it, so
/// that a command can refuse before doing long work.
pub fn check_destination(dest: &Destination) -> Result<(), ExportError> {
    plan(dest).map(|_| ())
}

/// Removes the temporary file when dropped, unless it was moved into place.
struct TempFile {
    path: PathBuf,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|p| p != &self.path);
        }
    }
}

/// The temporary files being written now: an interrupted process removes them
/// ([`remove_temporaries`]), as a failed write does.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every temporary file being written. For a signal handler: the process is about to
/// end without running destructors.
pub fn remove_temporaries() {
    let live = match LIVE.lock() {
        Ok(live) => live,
        Err(poisoned) => poisoned.into_inner(),
    };
    for path in live.iter() {
        let _ = fs::remove_file(path);
    }
}

static TEMP_SERIAL: AtomicU64 = AtomicU64::new(0);

/// Creates a new temporary file beside `target`; never opens one that exists (or a link).
fn create_temp(target: &Path) -> Result<(TempFile, File), ExportError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "findings".into());
    let mut last = None;
    for _ in 0..100 {
        let serial = TEMP_SERIAL.fetch_add(1, Ordering::Relaxed);
        let tmp = target.with_file_name(format!(
            ".{name}.proxyhunt-{}-{serial}.tmp",
            std::process::id()
        ));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => {
                if let Ok(mut live) = LIVE.lock() {
                    live.push(tmp.clone());
                }
                return Ok((TempFile { path: tmp }, f));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(io_error(target)(e)),
        }
    }
    Err(io_error(target)(last.unwrap_or_else(|| {
        std::io::Error::other("no free temporary file name")
    })))
}

/// Runs `body` on a buffered (and, with `gzip`, compressing) writer over `file`, then flushes
/// everything down to `file`.
fn write_into(
    file: File,
    gzip: bool,
    path: &Path,
    body: &mut dyn FnMut(&mut dyn Write) -> Result<(), ExportError>,
) -> Result<File, ExportError> {
    let io = io_error(path);
    let buffered = BufWriter::with_capacity(1 << 20, file);
    let mut buffered = if gzip {
        let mut z = GzEncoder::new(buffered, Compression::default());
        body(&mut z)?;
        z.finish().map_err(&io)?
    } else {
        let mut b = buffered;
        body(&mut b)?;
        b
    };
    buffered.flush().map_err(&io)?;
    buffered.into_inner().map_err(|e| io(e.into_error()))
}

/// Writes an output file by calling `body` with a writer; see the module documentation.
pub fn write_with(
    dest: &Destination,
    gzip: bool,
    body: &mut dyn FnMut(&mut dyn Write) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let path = dest.path;
    let io = io_error(path);
    match plan(dest)? {
        Plan::Stream => {
            let file = OpenOptions::new().write(true).open(path).map_err(&io)?;
            // The name may have been swapped since it was looked at: write only to a stream.
            let ft = file.metadata().map_err(&io)?.file_type();
            if !is_stream(&ft) {
                return Err(ExportError::Changed(path.to_path_buf()));
            }
            write_into(file, gzip, path, body)?;
            Ok(())
        }
        Plan::Replace { target, exists } => {
            let (tmp, file) = create_temp(&target)?;
            if exists {
                if let Ok(m) = fs::metadata(&target) {
                    let _ = fs::set_permissions(&tmp.path, m.permissions());
                }
            }
            let file = write_into(file, gzip, path, body)?;
            file.sync_all().map_err(&io)?;
            drop(file);
            if dest.force {
                // A link put at the name since it was looked at is not replaced.
                if dest.links == Links::Refuse
                    && fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink())
                {
                    return Err(ExportError::Symlink(path.to_path_buf()));
                }
                fs::rename(&tmp.path, &target).map_err(&io)
            } else {
                match fs::hard_link(&tmp.path, &target) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Err(ExportError::Exists(path.to_path_buf()))
                    }
                    Err(e) => Err(io(e)),
                }
            }
            // `tmp` is removed here: after a rename it names nothing; after a hard link it
            // is the second name of the file.
        }
    }
}

/// Writes `bytes` to `path` atomically; refuses to overwrite unless `force`. A link at `path`
/// is written through (the tuning file may be a link into a dotfiles folder).
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<(), ExportError> {
    let dest = Destination {
        path,
        force,
        links: Links::Follow,
        inputs: &[],
    };
    write_with(&dest, false, &mut |w| {
        w.write_all(bytes).map_err(io_error(path))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect()
    }

    fn dest<'a>(path: &'a Path, force: bool, inputs: &'a [PathBuf]) -> Destination<'a> {
        Destination {
            path,
            force,
            links: Links::Refuse,
            inputs,
        }
    }

    #[test]
    fn an_interrupted_write_leaves_nothing_behind() {
        // The signal handler removes what LIVE lists: every file being written is listed, and
        // only while it is.
        // (`remove_temporaries` itself is not called here: other tests write at the same time.)
        let dir = tempfile::tempdir().unwrap();
        let (tmp, file) = create_temp(&dir.path().join("f.csv")).unwrap();
        let path = tmp.path.clone();
        assert!(path.exists() && LIVE.lock().unwrap().contains(&path));
        drop(file);
        drop(tmp);
        assert!(!path.exists() && !LIVE.lock().unwrap().contains(&path));
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_failing_or_panicking_encoder_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("f.csv");
        let failed = write_with(&dest(&out, false, &[]), false, &mut |w| {
            w.write_all(b"half").unwrap();
            Err(ExportError::Encode("the encoder gave up".into()))
        });
        assert!(failed.unwrap_err().to_string().contains("gave up"));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            write_with(&dest(&out, false, &[]), true, &mut |w| {
                w.write_all(b"half").unwrap();
                panic!("encoder bug")
            })
        }));
        assert!(panicked.is_err());
        assert!(!out.exists(), "no output");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
        // An existing file is kept as it was when the write fails with --force.
        fs::write(&out, "precious").unwrap();
        let _ = write_with(&dest(&out, true, &[]), false, &mut |_| {
            Err(ExportError::Encode("no".into()))
        });
        assert_eq!(fs::read_to_string(&out).unwrap(), "precious");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn links_are_refused_for_findings_and_followed_for_the_tuning_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.toml");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = write_with(&dest(&link, true, &[]), false, &mut |w| {
            w.write_all(b"new").map_err(io_error(Path::new("x")))
        })
        .unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(fs::read_to_string(&real).unwrap(), "old");
        write_atomically(&link, b"new", true).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        // A dangling link is refused too.
        let dangling = dir.path().join("dangling.csv");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let e = write_with(&dest(&dangling, true, &[]), false, &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!dir.path().join("nowhere").exists());
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn an_input_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("exports");
        fs::create_dir(&sub).unwrap();
        let input = sub.join("DeviceProcessEvents.csv");
        fs::write(&input, "data").unwrap();
        // Named through another spelling of the same directory.
        let other = dir
            .path()
            .join("exports/../exports/DeviceProcessEvents.csv");
        let inputs = [sub.clone()];
        let e = write_with(&dest(&other, true, &inputs), false, &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("is also an input"), "{e}");
        assert_eq!(fs::read_to_string(&input).unwrap(), "data");
        // A hard link to an input is the input.
        let hard = dir.path().join("hard.csv");
        fs::hard_link(&input, &hard).unwrap();
        let e = write_with(&dest(&hard, true, &inputs), false, &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("is also an input"), "{e}");
    }

    #[test]
    fn devices_and_fifos_are_written_in_place() {
        let null = Path::new("/dev/null");
        write_with(&dest(null, true, &[]), false, &mut |w| {
            w.write_all(b"x").map_err(io_error(null))
        })
        .unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::metadata(null).unwrap().file_type().is_char_device());
        let dir = tempfile::tempdir().unwrap();
        let e = write_with(&dest(dir.path(), true, &[]), false, &mut |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }
}
