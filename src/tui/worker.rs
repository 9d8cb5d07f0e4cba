//! The background thread: loading, detecting, context queries, exports and saving exclusions
//! run here so the screen never freezes. Requests go in, replies come out; the UI drops replies
//! it no longer wants (latest request wins).

use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread;

use polars::prelude::*;

use super::state::{Loaded, SavedExclusion, DEFAULT_TUNING_FILE};
use crate::chains::{chains, ChainWindows};
use crate::data::load::{load_with_progress, Dataset, LoadOptions};
use crate::detect::prefilter::load_for_hunt;
use crate::detect::{hunt, DetectionId, HuntOptions};
use crate::explore::context::{every_event_options, indicators_by_ip};
use crate::explore::{context_events, finding_rows, ContextEvent, Entity, RowIndex};
use crate::export::{write_findings, CsvSafety, ExportError, Format, OutputSpec};
use crate::kql::time::Nanos;
use crate::replay::both::{replay_both, Replays};
use crate::tuning::save::{append_filter, remove_appended};
use crate::tuning::{load_tuning, Filter, Tuning, TuningSource};

pub enum Request {
    Load {
        paths: Vec<PathBuf>,
        load: Box<LoadOptions>,
        hunt: HuntOptions,
        window: String,
        tuning: TuningSource,
    },
    Context {
        dataset: Arc<Dataset>,
        entity: Entity,
        center: Nanos,
        half_window: Nanos,
    },
    Export {
        findings: DataFrame,
        path: PathBuf,
        force: bool,
    },
    /// Append a new filter's TOML block to the tuning file.
    SaveFilter {
        path: PathBuf,
        block: String,
        filter: Box<Filter>,
    },
    /// Remove the last saved exclusion from the end of the tuning file.
    UndoSave(SavedExclusion),
    /// Write go hunt's events.
    ExportEvents {
        events: Vec<ContextEvent>,
        path: PathBuf,
        force: bool,
    },
    /// Replay rule 000 over the load the findings came from, untuned and with this tuning.
    Replay {
        dataset: Arc<Dataset>,
        tuning: Box<Tuning>,
        generation: u64,
    },
}

pub enum Reply {
    Progress(String),
    Loaded(Box<Loaded>),
    /// Every event, after a [`Reply::Loaded`] that held only the rows that match (go hunt needs
    /// them all).
    EventsLoaded(Arc<Dataset>),
    LoadFailed(String),
    Context {
        entity: Entity,
        half_window: Nanos,
        events: Result<Vec<ContextEvent>, String>,
    },
    Exported {
        path: PathBuf,
        rows: usize,
        result: Result<(), String>,
    },
    Saved {
        path: PathBuf,
        block: String,
        filter: Box<Filter>,
        result: Result<(), String>,
    },
    Undone {
        saved: SavedExclusion,
        result: Result<(), String>,
    },
    /// The replay of request `generation` (`Ok(None)`: no sign-ins or threat intel to replay).
    Replayed {
        generation: u64,
        result: Result<Option<Box<Replays>>, String>,
    },
}

/// Starts the worker; it ends when the request channel closes.
pub fn spawn() -> (Sender<Request>, Receiver<Reply>) {
    let (req_tx, req_rx) = channel::<Request>();
    let (rep_tx, rep_rx) = channel::<Reply>();
    thread::spawn(move || {
        // The paths loaded last: an export never overwrites one of them.
        let mut inputs: Vec<PathBuf> = Vec::new();
        for req in req_rx {
            if let Request::Load { paths, tuning, .. } = &req {
                inputs = paths.clone();
                if let TuningSource::File(t) = tuning {
                    inputs.push(t.clone());
                }
            }
            if let Some(reply) = handle(req, &rep_tx, &inputs) {
                if rep_tx.send(reply).is_err() {
                    break;
                }
            }
        }
    });
    (req_tx, rep_rx)
}

/// Runs the detections on a loaded dataset, reads the tuning, and prepares what the console shows.
pub fn loaded_from(
    ds: Dataset,
    options: &HuntOptions,
    window: String,
    tuning: &TuningSource,
) -> Result<Loaded, String> {
    let (tuning_filters, issues) =
        load_tuning(tuning).map_err(|e| format!("reading the tuning file: {e}"))?;
    let tuning_path = match tuning {
        TuningSource::File(p) => p.clone(),
        _ => PathBuf::from(DEFAULT_TUNING_FILE),
    };
    let result = hunt(&ds, options).map_err(|e| format!("running the detections: {e}"))?;
    let rows = finding_rows(&result.findings).map_err(|e| e.to_string())?;
    let indicators = indicators_by_ip(&ds, result.now).map_err(|e| e.to_string())?;
    let index = RowIndex::new(&rows);
    let chains = chains(&result.findings, ChainWindows::default()).map_err(|e| e.to_string())?;
    Ok(Loaded {
        dataset: Arc::new(ds),
        findings: result.findings,
        rows,
        index,
        now: result.now,
        window,
        not_run: result.not_run,
        indicators,
        chains,
        tuning: tuning_filters,
        tuning_path,
        tuning_issues: issues.iter().map(ToString::to_string).collect(),
        complete: true,
    })
}

/// Does one request; returns its last reply (a load sends its findings on the way).
fn handle(req: Request, tx: &Sender<Reply>, inputs: &[PathBuf]) -> Option<Reply> {
    match req {
        Request::Load {
            paths,
            load,
            hunt,
            window,
            tuning,
        } => {
            // Findings first, from the rows that can match (as `hunt` loads them); then every
            // event, for go hunt, while the analyst already works.
            let in_two = !paths.is_empty();
            let mut progress = |s: String| {
                let _ = tx.send(Reply::Progress(s));
            };
            let ds = if in_two {
                // The rule's sign-ins are kept whichever detections run: the Incidents view
                // replays rule 000 on this load, as `proxyhunt replay` loads it.
                let mut detections = hunt.detections.clone();
                if !detections.contains(&DetectionId::AnonymizedSignin) {
                    detections.push(DetectionId::AnonymizedSignin);
                }
                load_for_hunt(&paths, &load, &detections, &mut progress)
            } else {
                load_with_progress(&paths, &load, &mut progress)
            };
            progress("running the detections".into());
            let mut l = match loaded_from(ds, &hunt, window, &tuning) {
                Ok(l) => l,
                Err(e) => return Some(Reply::LoadFailed(e)),
            };
            l.complete = !in_two;
            if !in_two {
                return Some(Reply::Loaded(Box::new(l)));
            }
            // Every event, for go hunt: only the columns it reads (the repeated ones as
            // dictionaries), and only the rows of the entities it can follow from these
            // findings.
            let every_event = every_event_options(&load, &l.rows);
            tx.send(Reply::Loaded(Box::new(l))).ok()?;
            let all = load_with_progress(&paths, &every_event, &mut progress);
            // The console holds every event for the session: not the load's buffers too.
            crate::data::pool::release_memory();
            Some(Reply::EventsLoaded(Arc::new(all)))
        }
        Request::Context {
            dataset,
            entity,
            center,
            half_window,
        } => {
            let events =
                context_events(&dataset, &entity, center, half_window).map_err(|e| e.to_string());
            Some(Reply::Context {
                entity,
                half_window,
                events,
            })
        }
        Request::Export {
            findings,
            path,
            force,
        } => {
            let rows = findings.height();
            // The name decides (`.csv`, `.json.gz`, ...); no extension is CSV; an unknown one
            // is refused.
            let result = OutputSpec::for_path(Some(&path), None, Format::Csv)
                .and_then(|spec| {
                    write_findings(
                        &findings,
                        spec.format,
                        CsvSafety::Neutralise,
                        &path,
                        force,
                        inputs,
                    )
                })
                .map_err(|e| match e {
                    // The console has no --format: name the extensions only.
                    ExportError::UnknownExtension { path, ext, known } => format!(
                        "{}: unknown extension {ext:?}; name the file {known}",
                        path.display()
                    ),
                    ExportError::NoFormat { path, known } => format!(
                        "{}: cannot tell the format from the name; name the file {known}",
                        path.display()
                    ),
                    other => other.to_string(),
                });
            Some(Reply::Exported { path, rows, result })
        }
        Request::SaveFilter {
            path,
            block,
            filter,
        } => {
            let result = append_filter(&path, &block).map_err(|e| e.to_string());
            Some(Reply::Saved {
                path,
                block,
                filter,
                result,
            })
        }
        Request::ExportEvents {
            events,
            path,
            force,
        } => {
            let rows = events.len();
            let result = crate::export::events::write_events(&events, &path, force, inputs)
                .map_err(|e| e.to_string());
            Some(Reply::Exported { path, rows, result })
        }
        Request::UndoSave(saved) => {
            let result = remove_appended(&saved.path, &saved.block).map_err(|e| e.to_string());
            Some(Reply::Undone { saved, result })
        }
        Request::Replay {
            dataset,
            tuning,
            generation,
        } => {
            let result = replay_both(&dataset, &tuning)
                .map(|r| r.map(Box::new))
                .map_err(|e| e.to_string());
            Some(Reply::Replayed { generation, result })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::load_sample;

    fn export(path: &std::path::Path, inputs: &[PathBuf]) -> Result<(), String> {
        let ds = load_sample();
        let findings = hunt(&ds, &HuntOptions::default()).unwrap().findings;
        let (tx, _rx) = channel();
        let req = Request::Export {
            findings,
            path: path.to_path_buf(),
            force: true,
        };
        match handle(req, &tx, inputs) {
            Some(Reply::Exported { result, .. }) => result,
            _ => panic!("an export replies Exported"),
        }
    }

    #[test]
    fn console_export_follows_the_name_and_spares_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("view.csv.gz");
        export(&gz, &[]).unwrap();
        let mut text = String::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.starts_with("DetectionType,"), "{text}");

        let txt = dir.path().join("view.txt");
        let e = export(&txt, &[]).unwrap_err();
        assert!(
            e.contains("unknown extension \"txt\"") && !e.contains("--format"),
            "{e}"
        );
        assert!(!txt.exists());

        let input = dir.path().join("DeviceProcessEvents.csv");
        std::fs::write(&input, "keep").unwrap();
        let e = export(&input, &[dir.path().to_path_buf()]).unwrap_err();
        assert!(e.contains("is also an input"), "{e}");
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "keep");
    }
}
