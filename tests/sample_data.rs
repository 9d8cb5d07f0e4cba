//! The embedded sample is exactly `sample-data/`'s data files, byte for byte.

mod common;

#[test]
fn embedded_sample_matches_the_directory() {
    let dir = common::repo().join("sample-data");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md") && !n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = proxyhunt::data::sample::FILES
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    embedded.sort();
    assert_eq!(embedded, on_disk);
    for (name, bytes) in proxyhunt::data::sample::FILES {
        assert_eq!(
            *bytes,
            std::fs::read(dir.join(name)).unwrap().as_slice(),
            "{name}"
        );
    }
}
