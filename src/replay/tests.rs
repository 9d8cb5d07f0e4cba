//! The R-rules that change a count or a field, as tables of small cases.

use std::path::PathBuf;

use super::alerts::{custom_details, entities, fill, DETAILS_BYTES, ENTITIES_BYTES};
use super::incidents::IncidentOptions;
use super::rule::{rule_000, EventGrouping, Rule};
use super::runs::TableScope;
use super::*;
use crate::data::load::{load, Dataset, LoadOptions};
use crate::data::values::parse_datetime;
use crate::kql::time::{DAY, HOUR, MINUTE};
use crate::tuning::{parse_tuning, Tuning};

const SIGNIN_HEADER: &str = "TimeGenerated,UserPrincipalName,AppDisplayName,IPAddress,Location,ResultType,ConditionalAccessStatus,AuthenticationRequirement,CorrelationId,UniqueTokenIdentifier";
const TI_HEADER: &str = "TimeGenerated,Id,IsActive,ValidUntil,Tags,Pattern";

fn t(text: &str) -> Nanos {
    parse_datetime(text).unwrap()
}

/// A sign-in row: (time, user, ip).
fn signin(time: &str, user: &str, ip: &str) -> String {
    format!("{time},{user},Teams,{ip},DE,0,notApplied,singleFactorAuthentication,c-{user}-{time},u-{time}")
}

/// An indicator row: (ingested, valid until, tag, ip).
fn indicator(time: &str, until: &str, tag: &str, ip: &str) -> String {
    format!("{time},ind-{ip}-{time},True,{until},{tag},[ipv4-addr:value = '{ip}']")
}

struct Data {
    _dir: tempfile::TempDir,
    ds: Dataset,
}

fn data(signins: &[String], indicators: &[String]) -> Data {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, header: &str, rows: &[String]| {
        let mut text = String::from(header);
        for r in rows {
            text.push('\n');
            text.push_str(r);
        }
        text.push('\n');
        std::fs::write(dir.path().join(name), text).unwrap();
    };
    write(
        "AADNonInteractiveUserSignInLogs.csv",
        SIGNIN_HEADER,
        signins,
    );
    write("ThreatIntelIndicators.csv", TI_HEADER, indicators);
    let ds = load(&[PathBuf::from(dir.path())], &LoadOptions::default());
    assert!(ds.issues.lines().is_empty(), "{:?}", ds.issues.lines());
    Data { _dir: dir, ds }
}

fn options(from: &str, to: &str) -> ReplayOptions {
    ReplayOptions {
        from: t(from),
        to: t(to),
        first_run: t(from),
        scope: TableScope::Query,
        delay: DEFAULT_DELAY,
        incidents: IncidentOptions::default(),
    }
}

fn run(d: &Data, rule: &Rule, o: &ReplayOptions) -> Replay {
    replay(&d.ds, rule, o, None).unwrap()
}

#[test]
fn r8_overlapping_windows_put_an_event_in_four_alerts() {
    let d = data(
        &[signin(
            "2026-05-12T10:05:00Z",
            "carol@x.com",
            "185.220.101.47",
        )],
        &[indicator(
            "2026-05-10T00:00:00Z",
            "",
            "tor",
            "185.220.101.47",
        )],
    );
    let r = run(
        &d,
        &rule_000(),
        &options("2026-05-12T09:00:00Z", "2026-05-12T12:00:00Z"),
    );
    // Runs at 10:15, 10:30, 10:45 and 11:00 see it (10:05 > T - 1h and <= T); 11:05 is past.
    let fired: Vec<String> = r
        .runs
        .iter()
        .filter(|x| x.fired)
        .map(|x| crate::data::values::format_datetime(x.run.time))
        .collect();
    assert_eq!(
        fired,
        [
            "2026-05-12T10:15:00Z",
            "2026-05-12T10:30:00Z",
            "2026-05-12T10:45:00Z",
            "2026-05-12T11:00:00Z"
        ]
    );
    let s = r.summary();
    assert_eq!((s.runs, s.alerts, s.events, s.appearances), (13, 4, 1, 4));
    // 5-hour grouping, AnyAlert: one incident.
    assert_eq!(r.incidents.len(), 1);
    assert_eq!(r.incidents[0].alerts.len(), 4);
    // An alert is stamped T + 5 min; its times are its events'.
    let a = &r.alerts[0];
    assert_eq!(a.created, t("2026-05-12T10:20:00Z"));
    assert_eq!(
        (a.start, a.end),
        (t("2026-05-12T10:05:00Z"), t("2026-05-12T10:05:00Z"))
    );
    assert_eq!(a.overall_count, 1);
}

#[test]
fn r4_r5_indicators_that_arrive_or_expire_between_runs() {
    let ip = "203.0.113.9";
    let d = data(
        &[
            signin("2026-05-12T10:00:00Z", "a@x.com", ip),
            signin("2026-05-12T10:50:00Z", "b@x.com", ip),
        ],
        // Ingested at 10:20 (no run before sees it), valid until 10:40 (runs from 10:40 do not).
        &[indicator(
            "2026-05-12T10:20:00Z",
            "2026-05-12T10:40:00Z",
            "proxy",
            ip,
        )],
    );
    let r = run(
        &d,
        &rule_000(),
        &options("2026-05-12T10:00:00Z", "2026-05-12T11:30:00Z"),
    );
    let counts: Vec<(String, usize)> = r
        .runs
        .iter()
        .map(|x| {
            (
                crate::data::values::format_datetime(x.run.time)[11..16].to_string(),
                x.run.rows.len(),
            )
        })
        .collect();
    let want: Vec<(String, usize)> = [
        ("10:00", 0), // the sign-in is there, the indicator not yet (R5)
        ("10:15", 0),
        ("10:30", 1), // a@ (10:00 > 09:30); the indicator is live
        ("10:45", 0), // ValidUntil 10:40 is not > 10:45
        ("11:00", 0),
        ("11:15", 0),
        ("11:30", 0),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), *b))
    .collect();
    assert_eq!(counts, want);
}

#[test]
fn r6_period_scope_sees_only_indicators_ingested_in_the_period() {
    let ip = "198.51.100.7";
    let d = data(
        &[signin("2026-05-12T10:05:00Z", "a@x.com", ip)],
        &[indicator("2026-05-11T00:00:00Z", "", "tor", ip)],
    );
    let mut o = options("2026-05-12T10:00:00Z", "2026-05-12T11:00:00Z");
    assert_eq!(run(&d, &rule_000(), &o).summary().alerts, 4);
    o.scope = TableScope::Period;
    assert_eq!(run(&d, &rule_000(), &o).summary().alerts, 0);
}

#[test]
fn r11_name_from_the_first_row_and_the_default_when_a_value_is_empty() {
    let ip = "192.0.2.1";
    let d = data(
        &[
            signin("2026-05-12T10:01:00Z", "old@x.com", ip),
            signin("2026-05-12T10:09:00Z", "new@x.com", ip),
            signin("2026-05-12T11:31:00Z", "", ip),
        ],
        &[indicator("2026-05-12T09:00:00Z", "", "tor", ip)],
    );
    let r = run(
        &d,
        &rule_000(),
        &options("2026-05-12T10:15:00Z", "2026-05-12T11:45:00Z"),
    );
    // The newest row comes first (order by TimeGenerated desc).
    assert_eq!(
        r.alerts[0].name,
        "TOR/Proxy Sign-In - new@x.com from anonymized IP 192.0.2.1"
    );
    assert!(r.alerts[0]
        .description
        .starts_with("User new@x.com authenticated"));
    // 11:45: the newest row has no user: the whole name and description revert.
    let last = r.alerts.last().unwrap();
    assert_eq!(
        last.name,
        "Non-Interactive Sign-In via TOR or Anonymous Proxy"
    );
    assert!(last
        .description
        .starts_with("Detects non-interactive Azure AD sign-ins"));
    // The rule's description as the YAML block gives it, final line break included.
    assert_eq!(last.description, rule_000().description);
    assert!(last.description.ends_with('\n'), "{:?}", last.description);
    // ... and it still counts as an event, with no Account entity (R26).
    assert_eq!(last.events.len(), 1);
    assert_eq!(last.entities.len(), 1, "{:?}", last.entities);
    assert_eq!(fill("{{Nope}} x", None), None);
}

/// Rows with a user and an address each, for the limit tables.
fn rows_of(n: usize, long: usize) -> (Data, Replay) {
    let ip = |i: usize| format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
    let user = |i: usize| format!("{}{i}@x.com", "u".repeat(long));
    let signins: Vec<String> = (0..n)
        .map(|i| {
            signin(
                &format!("2026-05-12T10:{:02}:{:02}Z", 10 + i / 60, i % 60),
                &user(i),
                &ip(i),
            )
        })
        .collect();
    let indicators: Vec<String> = (0..n)
        .map(|i| indicator("2026-05-12T09:00:00Z", "", "tor", &ip(i)))
        .collect();
    let d = data(&signins, &indicators);
    let r = run(
        &d,
        &rule_000(),
        &options("2026-05-12T11:00:00Z", "2026-05-12T11:00:00Z"),
    );
    (d, r)
}

#[test]
fn r12_entities_at_most_250_per_mapping_and_64_kb() {
    let (_d, r) = rows_of(300, 0);
    let rows: Vec<&runs::ResultRow> = r.runs[0].run.rows.iter().collect();
    let e = entities(&rule_000(), &rows);
    let count = |ty: &str| e.iter().filter(|v| v["Type"] == ty).count();
    assert_eq!((count("account"), count("ip")), (250, 250));
    // The 250 are per mapping: 300 users from one address give 250 accounts and that address.
    let ip = "10.9.9.9";
    let signins: Vec<String> = (0..300)
        .map(|i| {
            signin(
                &format!("2026-05-12T10:{:02}:{:02}Z", 10 + i / 60, i % 60),
                &format!("p{i}@x.com"),
                ip,
            )
        })
        .collect();
    let d = data(
        &signins,
        &[indicator("2026-05-12T09:00:00Z", "", "tor", ip)],
    );
    let r = run(
        &d,
        &rule_000(),
        &options("2026-05-12T11:00:00Z", "2026-05-12T11:00:00Z"),
    );
    let rows: Vec<&runs::ResultRow> = r.runs[0].run.rows.iter().collect();
    let e = entities(&rule_000(), &rows);
    let count = |ty: &str| e.iter().filter(|v| v["Type"] == ty).count();
    assert_eq!((count("account"), count("ip")), (250, 1));
    // Long names: the 64 KB field fills before the count limit.
    let (_d, r) = rows_of(300, 400);
    let rows: Vec<&runs::ResultRow> = r.runs[0].run.rows.iter().collect();
    let e = entities(&rule_000(), &rows);
    let size = serde_json::Value::Array(e.clone()).to_string().len();
    assert!(
        size <= ENTITIES_BYTES && size > ENTITIES_BYTES - 600,
        "{size}"
    );
    assert!(e.len() < 500);
    // Rows in result order, mappings in rule order: the newest row's account comes first.
    assert_eq!(e[0]["Type"], "account");
    assert_eq!(e[1]["Type"], "ip");
}

#[test]
fn r13_custom_details_distinct_at_most_50_values_and_2_kb() {
    let (_d, r) = rows_of(120, 0);
    let rule = rule_000();
    let rows: Vec<&runs::ResultRow> = r.runs[0].run.rows.iter().collect();
    let details = custom_details(&rule, &rows);
    let get = |k: &str| details.iter().find(|(key, _)| key == k).unwrap().1.clone();
    // One app, one status, one tag set: distinct values.
    assert_eq!(get("AppDisplayName"), ["Teams"]);
    assert_eq!(get("AnonymizationType"), ["[\"tor\"]"]);
    assert_eq!(get("ConditionalAccessStatus"), ["notApplied"]);
    // A detail over many values: 50 at most, and the 2 KB end all of them together.
    let mut wide = rule.clone();
    wide.custom_details = vec![
        ("Users".into(), "UserPrincipalName".into()),
        ("Apps".into(), "AppDisplayName".into()),
    ];
    let details = custom_details(&wide, &rows);
    let users = &details[0].1;
    assert_eq!(users.len(), 50);
    let (_d, r) = rows_of(120, 60);
    let rows: Vec<&runs::ResultRow> = r.runs[0].run.rows.iter().collect();
    let details = custom_details(&wide, &rows);
    let total: usize = details.iter().flat_map(|(_, v)| v).map(String::len).sum();
    assert!(total <= DETAILS_BYTES && details[0].1.len() < 50, "{total}");
    // The key after the one that filled the budget still gets what fits.
    assert_eq!(details[1].1, ["Teams"]);
}

#[test]
fn r10_alert_per_result_and_its_150th_summary_alert() {
    let mut rule = rule_000();
    rule.grouping = EventGrouping::AlertPerResult;
    for (n, alerts, last_events) in [(3, 3, 1), (150, 150, 1), (151, 150, 151)] {
        let (d, _) = rows_of(n, 0);
        let r = run(
            &d,
            &rule,
            &options("2026-05-12T11:00:00Z", "2026-05-12T11:00:00Z"),
        );
        assert_eq!(r.alerts.len(), alerts, "{n} rows");
        assert_eq!(
            r.alerts.last().unwrap().events.len(),
            last_events,
            "{n} rows"
        );
        // Each single alert is named from its own row.
        assert!(r.alerts[1].name.contains(
            &r.runs[0].run.rows[1]
                .row
                .get("UserPrincipalName")
                .to_string()
        ));
    }
}

#[test]
fn r18_the_five_hour_rollover_is_inclusive_at_the_boundary() {
    // A sign-in every 15 minutes from an anonymiser: every run fires.
    let ip = "192.0.2.50";
    let signins: Vec<String> = (0..48)
        .map(|i| {
            signin(
                &format!("2026-05-12T{:02}:{:02}:00Z", i / 4, (i % 4) * 15 + 1),
                "a@x.com",
                ip,
            )
        })
        .collect();
    let d = data(
        &signins,
        &[indicator("2026-05-11T00:00:00Z", "", "vpn", ip)],
    );
    let o = options("2026-05-12T00:15:00Z", "2026-05-12T11:00:00Z");
    let r = run(&d, &rule_000(), &o);
    let sizes: Vec<usize> = r.incidents.iter().map(|i| i.alerts.len()).collect();
    assert_eq!(r.alerts.len(), 44);
    assert_eq!(sizes, [21, 21, 2], "inclusive: first + 5 h joins");
    let mut o = o;
    o.incidents.lookback_exclusive = true;
    let sizes: Vec<usize> = run(&d, &rule_000(), &o)
        .incidents
        .iter()
        .map(|i| i.alerts.len())
        .collect();
    assert_eq!(sizes, [20, 20, 4]);
}

#[test]
fn r21_an_incident_holds_150_alerts_at_most() {
    let mut rule = rule_000();
    rule.grouping = EventGrouping::AlertPerResult;
    let (d, _) = rows_of(140, 0);
    // Two runs of 140 results each: 280 alerts within 5 hours.
    let r = run(
        &d,
        &rule,
        &options("2026-05-12T10:30:00Z", "2026-05-12T10:45:00Z"),
    );
    assert_eq!(r.alerts.len(), 280);
    let sizes: Vec<usize> = r.incidents.iter().map(|i| i.alerts.len()).collect();
    assert_eq!(sizes, [150, 130]);
}

#[test]
fn r24_suppression_skips_runs_and_keeps_the_phase() {
    let ip = "192.0.2.60";
    let d = data(
        &[
            signin("2026-05-12T10:01:00Z", "a@x.com", ip),
            signin("2026-05-12T11:01:00Z", "a@x.com", ip),
        ],
        &[indicator("2026-05-11T00:00:00Z", "", "vpn", ip)],
    );
    let mut rule = rule_000();
    rule.suppression = Some(HOUR);
    // 50 minutes: the next run after 10:15 + 50 m on the 15-minute phase is 11:15, not 11:05.
    let mut fifty = rule.clone();
    fifty.suppression = Some(50 * MINUTE);
    let r50 = run(
        &d,
        &fifty,
        &options("2026-05-12T10:00:00Z", "2026-05-12T12:00:00Z"),
    );
    let times: Vec<String> = r50
        .runs
        .iter()
        .filter(|x| !x.suppressed)
        .map(|x| crate::data::values::format_datetime(x.run.time)[11..16].to_string())
        .collect();
    assert_eq!(times, ["10:00", "10:15", "11:15"]);
    let r = run(
        &d,
        &rule,
        &options("2026-05-12T10:00:00Z", "2026-05-12T12:00:00Z"),
    );
    let fired: Vec<String> = r
        .runs
        .iter()
        .filter(|x| x.fired)
        .map(|x| crate::data::values::format_datetime(x.run.time)[11..16].to_string())
        .collect();
    assert_eq!(fired, ["10:15", "11:15"]);
    // 10:30, 10:45, 11:00, then 11:30, 11:45, 12:00.
    assert_eq!(r.summary().runs_suppressed, 6);
}

#[test]
fn r25_tuning_removes_reduces_or_leaves_each_incident() {
    let d = data(
        &[
            signin("2026-05-12T10:01:00Z", "lab@x.com", "192.0.2.70"),
            signin("2026-05-12T10:02:00Z", "carol@x.com", "192.0.2.71"),
            signin("2026-05-13T10:01:00Z", "lab@x.com", "192.0.2.70"),
        ],
        &[
            indicator("2026-05-11T00:00:00Z", "", "vpn", "192.0.2.70"),
            indicator("2026-05-11T00:00:00Z", "", "tor", "192.0.2.71"),
        ],
    );
    let o = options("2026-05-12T10:00:00Z", "2026-05-13T12:00:00Z");
    let untuned = run(&d, &rule_000(), &o);
    assert_eq!(untuned.incidents.len(), 2);
    let text = "[[filter]]\nid = \"lab\"\ntitle = \"t\"\nreason = \"r\"\ndetection_types = [\"AnonymizedSignIn\"]\nenabled = true\n[[filter.when]]\nfield = \"UserPrincipalName\"\nequals = \"lab@x.com\"\n";
    let tuning_of = |text: &str| {
        let (filters, issues) = parse_tuning("t.toml", text).unwrap();
        assert!(issues.is_empty(), "{issues:?}");
        Tuning {
            filters,
            today: "2026-01-01".into(),
        }
    };
    let tuning = tuning_of(text);
    let tuned = replay(&d.ds, &rule_000(), &o, Some(&tuning)).unwrap();
    let diff = incident_diff(&untuned, &tuned, false);
    assert_eq!(diff[0].status, "reduced");
    assert_eq!((diff[0].events, diff[0].suppressed_events), (2, 1));
    assert_eq!(diff[0].filters, ["lab"]);
    assert_eq!(diff[0].tuned_incidents, [1]);
    assert_eq!(diff[1].status, "removed");
    assert_eq!(diff[1].suppressed_alerts, 4);
    assert!(diff[1].tuned_incidents.is_empty());
    assert_eq!(tuned.incidents.len(), 1);
    // A filter that expired before a run does not apply to it.
    let expiring = text.replace("enabled = true", "enabled = true\nexpires = 2026-05-13");
    let tuning = tuning_of(&expiring);
    let tuned = replay(&d.ds, &rule_000(), &o, Some(&tuning)).unwrap();
    let diff = incident_diff(&untuned, &tuned, false);
    assert_eq!(diff[1].status, "unchanged");
    // ... while it still applies to the runs before that day.
    assert_eq!(diff[0].status, "reduced");
    // AlertPerResult: each alert is judged by its own row; the lab alerts go, carol's stay.
    let mut per_result = rule_000();
    per_result.grouping = EventGrouping::AlertPerResult;
    let untuned = run(&d, &per_result, &o);
    let tuned = replay(&d.ds, &per_result, &o, Some(&tuning_of(text))).unwrap();
    let diff = incident_diff(&untuned, &tuned, true);
    assert_eq!(untuned.incidents[0].alerts.len(), 8);
    assert_eq!(
        (diff[0].status, diff[0].alerts, diff[0].suppressed_alerts),
        ("reduced", 8, 4)
    );
    assert_eq!(diff[0].tuned_incidents, [1]);
}

#[test]
fn r4_window_edges_at_t_and_t_minus_one_hour() {
    // A sign-in exactly at T is in T's run (rows up to T exist); one exactly at T - 1h is not
    // (`TimeGenerated > ago(1h)` is strict).
    let ip = "192.0.2.90";
    let d = data(
        &[signin("2026-05-12T10:00:00Z", "a@x.com", ip)],
        &[indicator("2026-05-11T00:00:00Z", "", "tor", ip)],
    );
    let r = run(
        &d,
        &rule_000(),
        &options("2026-05-12T09:45:00Z", "2026-05-12T11:15:00Z"),
    );
    let fired: Vec<String> = r
        .runs
        .iter()
        .filter(|x| x.fired)
        .map(|x| crate::data::values::format_datetime(x.run.time)[11..16].to_string())
        .collect();
    assert_eq!(fired, ["10:00", "10:15", "10:30", "10:45"]);
}

#[test]
fn r7_r15_a_trigger_on_no_rows_raises_an_empty_alert_with_the_window_times() {
    let d = data(
        &[signin("2026-05-12T10:05:00Z", "a@x.com", "192.0.2.91")],
        &[indicator("2026-05-11T00:00:00Z", "", "tor", "192.0.2.91")],
    );
    for grouping in [EventGrouping::SingleAlert, EventGrouping::AlertPerResult] {
        let mut rule = rule_000();
        rule.trigger = super::rule::Trigger::Equal;
        rule.threshold = 0;
        rule.grouping = grouping;
        let r = run(
            &d,
            &rule,
            &options("2026-05-12T10:00:00Z", "2026-05-12T11:15:00Z"),
        );
        // 10:00 and 11:15 see nothing: they alert; 10:15 to 11:00 see the sign-in: they do not.
        assert_eq!(r.alerts.len(), 2, "{grouping:?}");
        let a = &r.alerts[0];
        assert!(a.events.is_empty());
        assert_eq!(
            (a.start, a.end),
            (t("2026-05-12T09:00:00Z"), t("2026-05-12T10:00:00Z"))
        );
        assert_eq!(a.name, rule.name);
    }
}

#[test]
fn r21_r22_overflow_keeps_the_details_and_closing_is_a_what_if() {
    let mut rule = rule_000();
    rule.grouping = EventGrouping::AlertPerResult;
    let (d, _) = rows_of(140, 0);
    let o = options("2026-05-12T10:30:00Z", "2026-05-12T10:45:00Z");
    let r = run(&d, &rule, &o);
    assert_eq!(r.incidents[1].title, r.incidents[0].title);
    assert_ne!(
        r.alerts[r.incidents[1].alerts[0]].name,
        r.incidents[0].title
    );
    // Closed 10 minutes after creation: the second run's alerts start new incidents, and an
    // incident is reported closed only if that happens within the replay.
    let mut o2 = o.clone();
    o2.incidents.close_after = Some(10 * MINUTE);
    let closed = run(&d, &rule, &o2);
    assert_eq!(
        closed
            .incidents
            .iter()
            .map(|i| i.alerts.len())
            .collect::<Vec<_>>(),
        [140, 140]
    );
    assert!(closed.incidents[0].closed.is_some());
    assert!(
        closed.incidents[1].closed.is_none(),
        "closes after the replay ends"
    );
    // Reopened instead, when the rule says so.
    rule.reopen_closed = true;
    let reopened = run(&d, &rule, &o2);
    assert_eq!(
        reopened.incidents.len(),
        2,
        "the 150-alert cap still splits"
    );
    assert!(reopened.incidents[0].closed.is_none());
}

#[test]
fn a_run_is_the_detection_at_t() {
    // Each run equals `hunt --now T --lookback rule` on the rows that exist at T.
    let ip = "192.0.2.80";
    let d = data(
        &[
            signin("2026-05-12T10:01:00Z", "a@x.com", ip),
            signin("2026-05-12T10:40:00Z", "b@x.com", ip),
            signin("2026-05-12T11:20:00Z", "c@x.com", "192.0.2.81"),
        ],
        &[
            indicator("2026-05-12T10:30:00Z", "", "vpn", ip),
            indicator("2026-04-01T00:00:00Z", "", "tor", "192.0.2.81"),
            indicator("2026-05-12T11:00:00Z", "", "tor", "192.0.2.81"),
        ],
    );
    let r = run(
        &d,
        &rule_000(),
        &options("2026-05-12T10:00:00Z", "2026-05-12T12:00:00Z"),
    );
    for outcome in &r.runs {
        let at = outcome.run.time;
        let mut capped = Dataset::default();
        for (k, df) in &d.ds.tables {
            let col = k.time_column();
            let mask = df
                .column(col)
                .unwrap()
                .cast(&polars::prelude::DataType::Int64)
                .unwrap();
            let mask: polars::prelude::BooleanChunked = mask
                .i64()
                .unwrap()
                .iter()
                .map(|v| Some(v.is_some_and(|v| v <= at)))
                .collect();
            capped.tables.insert(*k, df.filter(&mask).unwrap());
        }
        capped.file_names = d.ds.file_names.clone();
        let hunt = crate::detect::hunt(
            &capped,
            &crate::detect::HuntOptions {
                now: crate::detect::NowSpec::At(at),
                lookback: crate::detect::Lookback::Rule,
                detections: vec![crate::detect::DetectionId::AnonymizedSignin],
            },
        )
        .unwrap();
        let want: Vec<String> = crate::explore::finding_rows(&hunt.findings)
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.get("UserPrincipalName"),
                    r.get("AnonymizationType")
                )
            })
            .collect();
        let got: Vec<String> = outcome
            .run
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.row.get("UserPrincipalName"),
                    r.row.get("AnonymizationType")
                )
            })
            .collect();
        assert_eq!(got, want, "at {}", crate::data::values::format_datetime(at));
    }
    // 30 days before 11:20 the April indicator is out: c@ matches by the 11:00 one only.
    assert!(r.runs.iter().any(|x| x
        .run
        .rows
        .iter()
        .any(|r| r.row.get("UserPrincipalName") == "c@x.com")));
    let _ = DAY;
}
