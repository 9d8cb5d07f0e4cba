//! The sample dataset compiled into the binary, so that `proxyhunt` works from any directory.
//! `tests/sample_data.rs` checks that this list matches `sample-data/`.

pub const FILES: &[(&str, &[u8])] = &[
    (
        "AADNonInteractiveUserSignInLogs.csv",
        include_bytes!("../../sample-data/AADNonInteractiveUserSignInLogs.csv"),
    ),
    (
        "ThreatIntelIndicators.json",
        include_bytes!("../../sample-data/ThreatIntelIndicators.json"),
    ),
    (
        "DeviceProcessEvents.ndjson",
        include_bytes!("../../sample-data/DeviceProcessEvents.ndjson"),
    ),
    (
        "DeviceNetworkEvents.json",
        include_bytes!("../../sample-data/DeviceNetworkEvents.json"),
    ),
];
