//! Locale datetimes as the Log Analytics portal writes them from browsers in each language
//! (Intl.DateTimeFormat output, checked with Node 20 / ICU 78), and the per-file inference.

use super::*;

fn at(text: &str) -> Nanos {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("valid test datetime")
        .timestamp_nanos_opt()
        .expect("in range")
}

fn local(
    order: DateOrder,
    date_sep: DateSep,
    sep: TimeSep,
    clock: Clock,
    decimal: Option<Decimal>,
) -> DatetimeFormat {
    DatetimeFormat::Local(LocalFormat {
        order,
        date_sep,
        time: Some(TimeFormat {
            sep,
            clock,
            decimal,
        }),
    })
}

use Clock::*;
use DateOrder::*;
use Decimal::*;
use TimeSep::Colon;

fn infer_all(values: &[&str]) -> Inference {
    infer(values.iter().copied())
}

fn known(values: &[&str]) -> (DatetimeFormat, Option<String>) {
    match infer_all(values) {
        Inference::Known {
            format,
            settled_by,
            unreadable: 0,
            first_unreadable: None,
        } => (format, settled_by),
        other => panic!("{values:?}: not a clean inference: {other:?}"),
    }
}

/// (locale, value as the locale writes it, instant, format inferred from it alone or with a
/// day above 12, description).
#[test]
fn each_locale_is_inferred_described_and_parsed() {
    let cases: &[(&str, &str, &str, DatetimeFormat, &str)] = &[
        (
            "en-US",
            "4/28/2021, 2:08:45.221 PM",
            "2021-04-28T14:08:45.221Z",
            local(Mdy, DateSep::Slash, Colon, H12, Some(Point)),
            "month-first m/d/y h:M:S.f AM/PM (en-US)",
        ),
        (
            "en-US (Chrome 110: U+202F before PM)",
            "4/28/2021, 2:08:45\u{202f}PM",
            "2021-04-28T14:08:45Z",
            local(Mdy, DateSep::Slash, Colon, H12, None),
            "month-first m/d/y h:M:S AM/PM (en-US)",
        ),
        (
            "ja-JP",
            "2020/10/16 0:00:01.403",
            "2020-10-16T00:00:01.403Z",
            local(Ymd, DateSep::Slash, Colon, H24, Some(Point)),
            "year-first y/m/d H:M:S.f (ja-JP, zh-CN)",
        ),
        (
            "en-GB",
            "16/10/2020, 00:00:01.403",
            "2020-10-16T00:00:01.403Z",
            local(Dmy, DateSep::Slash, Colon, H24, Some(Point)),
            "day-first d/m/y H:M:S.f (en-GB, en-IE)",
        ),
        (
            "en-GB as the issue quotes it (no comma)",
            "16/10/2020 00:00:01.403",
            "2020-10-16T00:00:01.403Z",
            local(Dmy, DateSep::Slash, Colon, H24, Some(Point)),
            "day-first d/m/y H:M:S.f (en-GB, en-IE)",
        ),
        (
            "de-DE",
            "16.10.2020, 0:00:01,403",
            "2020-10-16T00:00:01.403Z",
            local(Dmy, DateSep::Dot, Colon, H24, Some(Comma)),
            "day-first d.m.y H:M:S,f (de-DE, nb-NO, pl-PL, ro-RO, ru-RU, tr-TR, uk-UA)",
        ),
        (
            "fr-FR",
            "16/10/2020 14:08:45,221",
            "2020-10-16T14:08:45.221Z",
            local(Dmy, DateSep::Slash, Colon, H24, Some(Comma)),
            "day-first d/m/y H:M:S,f (es-ES, fr-FR, it-IT, pt-BR, pt-PT)",
        ),
        (
            "nl-NL",
            "16-10-2020, 14:08:45,221",
            "2020-10-16T14:08:45.221Z",
            local(Dmy, DateSep::Dash, Colon, H24, Some(Comma)),
            "day-first d-m-y H:M:S,f (nl-NL)",
        ),
        (
            "fi-FI",
            "16.10.2020 klo 14.08.45,221",
            "2020-10-16T14:08:45.221Z",
            local(Dmy, DateSep::Dot, TimeSep::Dot, H24, Some(Comma)),
            "day-first d.m.y H.M.S,f (da-DK, fi-FI)",
        ),
        (
            "da-DK",
            "16.10.2020, 0.00.01,403",
            "2020-10-16T00:00:01.403Z",
            local(Dmy, DateSep::Dot, TimeSep::Dot, H24, Some(Comma)),
            "day-first d.m.y H.M.S,f (da-DK, fi-FI)",
        ),
        (
            "cs-CZ",
            "16. 10. 2020 0:00:01,403",
            "2020-10-16T00:00:01.403Z",
            local(Dmy, DateSep::DotSpace, Colon, H24, Some(Comma)),
            "day-first d. m. y H:M:S,f (cs-CZ, hr-HR, sk-SK)",
        ),
        (
            "hr-HR (trailing dot)",
            "16. 10. 2020. 14:08:45,221",
            "2020-10-16T14:08:45.221Z",
            local(Dmy, DateSep::DotSpace, Colon, H24, Some(Comma)),
            "day-first d. m. y H:M:S,f (cs-CZ, hr-HR, sk-SK)",
        ),
        (
            "ko-KR",
            "2021. 4. 28. PM 2:08:45.221",
            "2021-04-28T14:08:45.221Z",
            local(Ymd, DateSep::DotSpace, Colon, H12, Some(Point)),
            "year-first y. m. d h:M:S.f AM/PM (ko-KR)",
        ),
        (
            "ko-KR (Korean markers)",
            "2021. 4. 28. 오전 12:08:45.221",
            "2021-04-28T00:08:45.221Z",
            local(Ymd, DateSep::DotSpace, Colon, H12, Some(Point)),
            "year-first y. m. d h:M:S.f AM/PM (ko-KR)",
        ),
        (
            "hu-HU",
            "2021. 04. 28. 14:08:45,221",
            "2021-04-28T14:08:45.221Z",
            local(Ymd, DateSep::DotSpace, Colon, H24, Some(Comma)),
            "year-first y. m. d H:M:S,f (hu-HU)",
        ),
        (
            "zh-TW",
            "2021/4/28 下午2:08:45.221",
            "2021-04-28T14:08:45.221Z",
            local(Ymd, DateSep::Slash, Colon, H12, Some(Point)),
            "year-first y/m/d h:M:S.f AM/PM (zh-TW)",
        ),
        (
            "en-CA",
            "2021-04-28, 2:08:45.221 p.m.",
            "2021-04-28T14:08:45.221Z",
            local(Ymd, DateSep::Dash, Colon, H12, Some(Point)),
            "year-first y-m-d h:M:S.f AM/PM (en-CA)",
        ),
        (
            "en-AU",
            "28/04/2021, 2:08:45.221 pm",
            "2021-04-28T14:08:45.221Z",
            local(Dmy, DateSep::Slash, Colon, H12, Some(Point)),
            "day-first d/m/y h:M:S.f AM/PM (en-AU, en-IN, en-NZ, es-MX)",
        ),
        (
            "es-MX",
            "28/4/2021, 12:00:01.403 a.m.",
            "2021-04-28T00:00:01.403Z",
            local(Dmy, DateSep::Slash, Colon, H12, Some(Point)),
            "day-first d/m/y h:M:S.f AM/PM (en-AU, en-IN, en-NZ, es-MX)",
        ),
        (
            "el-GR",
            "28/4/2021, 2:08:45,221 μ.μ.",
            "2021-04-28T14:08:45.221Z",
            local(Dmy, DateSep::Slash, Colon, H12, Some(Comma)),
            "day-first d/m/y h:M:S,f AM/PM (el-GR)",
        ),
        (
            "id-ID",
            "28/4/2021, 14.08.45,221",
            "2021-04-28T14:08:45.221Z",
            local(Dmy, DateSep::Slash, TimeSep::Dot, H24, Some(Comma)),
            "day-first d/m/y H.M.S,f (id-ID)",
        ),
        (
            "de-CH",
            "28.4.2021, 14:08:45.221",
            "2021-04-28T14:08:45.221Z",
            local(Dmy, DateSep::Dot, Colon, H24, Some(Point)),
            "day-first d.m.y H:M:S.f (de-CH, he-IL)",
        ),
        (
            "en-ZA",
            "2021/04/28, 14:08:45,221",
            "2021-04-28T14:08:45.221Z",
            local(Ymd, DateSep::Slash, Colon, H24, Some(Comma)),
            "year-first y/m/d H:M:S,f (en-ZA)",
        ),
    ];
    for (locale, text, instant, format, description) in cases {
        let (got, _) = known(&[text]);
        assert_eq!(got, *format, "{locale}: {text}");
        assert_eq!(got.describe(), *description, "{locale}");
        assert_eq!(format.parse(text), Some(at(instant)), "{locale}: {text}");
    }
}

#[test]
fn iso_stays_iso() {
    for values in [
        &["2021-04-28T14:08:45.2213421Z", "2021-04-28 14:08:45"][..],
        // sv-SE and lt-LT write ISO order with a comma fraction.
        &["2020-10-16 0:00:01,403"][..],
    ] {
        let (format, settled) = known(values);
        assert_eq!(format, DatetimeFormat::Iso, "{values:?}");
        assert_eq!(settled, None);
    }
    assert_eq!(
        DatetimeFormat::Iso.parse("2020-10-16 0:00:01,403"),
        Some(at("2020-10-16T00:00:01.403Z"))
    );
    assert_eq!(
        DatetimeFormat::Iso.describe(),
        "ISO 8601 (2021-04-28T14:08:45.221Z)"
    );
    // The en-US form has slashes: not ISO, even though values::parse_datetime reads it.
    assert_eq!(DatetimeFormat::Iso.parse("4/28/2021, 2:08:45 PM"), None);
}

#[test]
fn a_day_above_12_settles_the_order() {
    let (format, settled) = known(&["01/02/2020 10:00:00", "13/01/2020 10:00:00"]);
    assert_eq!(
        format,
        local(Dmy, DateSep::Slash, Colon, H24, None),
        "13/01 can only be day-first"
    );
    assert_eq!(settled.as_deref(), Some("13/01/2020 10:00:00"));
    assert_eq!(
        format.parse("01/02/2020 10:00:00"),
        Some(at("2020-02-01T10:00:00Z"))
    );

    let (format, settled) = known(&["4/1/2021, 12:00:00.000 AM", "4/28/2021, 2:08:45.221 PM"]);
    assert_eq!(format, local(Mdy, DateSep::Slash, Colon, H12, Some(Point)));
    assert_eq!(settled.as_deref(), Some("4/28/2021, 2:08:45.221 PM"));
    assert_eq!(
        format.parse("4/1/2021, 12:00:00.000 AM"),
        Some(at("2021-04-01T00:00:00Z"))
    );
}

#[test]
fn no_day_above_12_is_ambiguous_and_names_the_option() {
    let inference = infer_all(&["12/12/2020 10:00:00", "1/2/2021 23:00:00.5", "", "None"]);
    let Inference::Ambiguous { formats, example } = &inference else {
        panic!("not ambiguous: {inference:?}");
    };
    assert_eq!(example, "12/12/2020 10:00:00");
    assert_eq!(
        formats,
        &[
            local(Dmy, DateSep::Slash, Colon, H24, Some(Point)),
            local(Mdy, DateSep::Slash, Colon, H24, Some(Point)),
        ]
    );
    assert_eq!(inference.format(), None);
    assert_eq!(
        inference.to_string(),
        "every datetime fits both day-first and month-first (no day above 12, e.g. \
         \"12/12/2020 10:00:00\"); say which with --date-order dmy or --date-order mdy"
    );
    // The option settles it either way.
    let values = ["12/12/2020 10:00:00", "1/2/2021 23:00:00.5"];
    let dmy = infer_with_order(values.iter().copied(), Some(Dmy));
    assert_eq!(
        dmy.format(),
        Some(local(Dmy, DateSep::Slash, Colon, H24, Some(Point)))
    );
    assert_eq!(
        dmy.format().and_then(|f| f.parse("1/2/2021 23:00:00.5")),
        Some(at("2021-02-01T23:00:00.5Z"))
    );
    let mdy = infer_with_order(values.iter().copied(), Some(Mdy));
    assert_eq!(
        mdy.format().and_then(|f| f.parse("1/2/2021 23:00:00.5")),
        Some(at("2021-01-02T23:00:00.5Z"))
    );
}

#[test]
fn a_date_order_that_does_not_fit_is_refused() {
    let values = ["01/02/2020 10:00", "13/01/2020 10:00"];
    let inference = infer_with_order(values.iter().copied(), Some(Mdy));
    assert_eq!(
        inference,
        Inference::Contradicted {
            order: Mdy,
            example: "13/01/2020 10:00".into()
        }
    );
    assert_eq!(
        inference.to_string(),
        "--date-order mdy does not fit the datetimes, e.g. \"13/01/2020 10:00\""
    );
    assert!(matches!(
        infer_with_order(values.iter().copied(), Some(Ymd)),
        Inference::Contradicted { order: Ymd, .. }
    ));
    assert!(matches!(
        infer_with_order(["2020/10/16 0:00:01"].into_iter(), Some(Dmy)),
        Inference::Contradicted { order: Dmy, .. }
    ));
    assert!(matches!(
        infer_with_order(["2020-10-16T00:00:01Z"].into_iter(), Some(Mdy)),
        Inference::Contradicted { order: Mdy, .. }
    ));
    assert_eq!(
        infer_with_order(["2020/10/16 0:00:01"].into_iter(), Some(Ymd)).format(),
        Some(local(Ymd, DateSep::Slash, Colon, H24, None))
    );
}

#[test]
fn mixed_formats_are_refused() {
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["13/01/2020 10:00", "01/13/2020 10:00"],
            "13/01/2020 10:00",
            "01/13/2020 10:00",
        ),
        (
            &["2020-10-16T00:00:01Z", "16/10/2020 00:00:01"],
            "2020-10-16T00:00:01Z",
            "16/10/2020 00:00:01",
        ),
        (
            &["16.10.2020 00:00:01,403", "16.10.2020 00:00:01.403"],
            "16.10.2020 00:00:01,403",
            "16.10.2020 00:00:01.403",
        ),
        (
            &["4/28/2021, 2:08:45 PM", "4/28/2021, 14:08:45"],
            "4/28/2021, 2:08:45 PM",
            "4/28/2021, 14:08:45",
        ),
        (
            &["16.10.2020 00:00:01", "16/10/2020 00:00:01"],
            "16.10.2020 00:00:01",
            "16/10/2020 00:00:01",
        ),
        (
            &["16.10.2020", "16.10.2020 00:00:01"],
            "16.10.2020",
            "16.10.2020 00:00:01",
        ),
    ];
    for (values, first, second) in cases {
        let inference = infer_all(values);
        assert_eq!(
            inference,
            Inference::Mixed {
                first: first.to_string(),
                second: second.to_string()
            },
            "{values:?}"
        );
        assert_eq!(
            inference.to_string(),
            format!("datetimes in more than one format: \"{first}\" and \"{second}\"")
        );
    }
}

#[test]
fn values_in_no_format() {
    let inference = infer_all(&["yesterday", "Oct 16 2020", "16/10/20 10:00"]);
    assert_eq!(
        inference,
        Inference::Unrecognised {
            example: "yesterday".into()
        }
    );
    assert_eq!(
        inference.to_string(),
        "datetimes in no format proxyhunt reads, e.g. \"yesterday\""
    );
    // Thai browsers write the Buddhist year (2563 = 2020): refused, not read 543 years off.
    let thai = infer_all(&["16/10/2563 0:00:01.403"]);
    assert_eq!(
        thai.to_string(),
        "datetimes in no format proxyhunt reads, e.g. \"16/10/2563 0:00:01.403\" (a year such \
         as 2563 is the Thai Buddhist calendar: export from a browser set to a Gregorian locale)"
    );
    // A few unreadable cells among good ones: the format is decided, the cells are counted.
    let inference = infer_all(&["16/10/2020 00:00:01", "garbage", "31/04/2020 00:00:00"]);
    assert_eq!(
        inference,
        Inference::Known {
            format: local(Dmy, DateSep::Slash, Colon, H24, None),
            settled_by: Some("16/10/2020 00:00:01".into()),
            unreadable: 2,
            first_unreadable: Some("garbage".into()),
        }
    );
    assert_eq!(
        inference.to_string(),
        "datetimes read as day-first d/m/y H:M:S (en-GB, en-IE, es-ES, fr-FR, it-IT, pt-BR, \
         pt-PT); day/month order settled by \"16/10/2020 00:00:01\"; 2 value(s) in no datetime \
         format, first \"garbage\""
    );
    assert_eq!(
        infer_all(&["", " ", "None", "null", "NULL"]),
        Inference::NoValues
    );
    // Control characters in a value are escaped in the message.
    assert_eq!(
        infer_all(&["\u{1b}[31mred"]).to_string(),
        "datetimes in no format proxyhunt reads, e.g. \"\\x1b[31mred\""
    );
}

#[test]
fn parse_edge_cases() {
    let dmy = local(Dmy, DateSep::Slash, Colon, H24, None);
    let mdy12 = local(Mdy, DateSep::Slash, Colon, H12, None);
    let de = local(Dmy, DateSep::Dot, Colon, H24, Some(Comma));
    let ja12 = local(Ymd, DateSep::Slash, Colon, H12, None);
    let cases: &[(DatetimeFormat, &str, Option<&str>)] = &[
        // Leap days.
        (dmy, "29/02/2020 10:00:00", Some("2020-02-29T10:00:00Z")),
        (dmy, "29/02/2021 10:00:00", None),
        (mdy12, "2/29/2020, 1:00:00 PM", Some("2020-02-29T13:00:00Z")),
        // Impossible dates and times.
        (dmy, "31/04/2020 00:00:00", None),
        (dmy, "00/04/2020 00:00:00", None),
        (dmy, "16/13/2020 00:00:00", None),
        (dmy, "16/10/2020 24:00:00", None),
        (dmy, "16/10/2020 23:60:00", None),
        (dmy, "16/10/2020 23:59:60", None),
        // 1- and 2-digit hours, minutes without seconds.
        (dmy, "1/2/2020 7:05:09", Some("2020-02-01T07:05:09Z")),
        (dmy, "01/02/2020 07:05", Some("2020-02-01T07:05:00Z")),
        (dmy, "01/02/2020 7:5:09", None),
        // 12-hour clock: 12 AM is midnight, 12 PM noon, 13 PM nothing, no marker is not 12h.
        (
            mdy12,
            "4/28/2021, 12:08:45 AM",
            Some("2021-04-28T00:08:45Z"),
        ),
        (
            mdy12,
            "4/28/2021, 12:08:45 PM",
            Some("2021-04-28T12:08:45Z"),
        ),
        (mdy12, "4/28/2021, 13:08:45 PM", None),
        (mdy12, "4/28/2021, 2:08:45 pm", Some("2021-04-28T14:08:45Z")),
        (mdy12, "4/28/2021 2:08:45 PM", Some("2021-04-28T14:08:45Z")),
        (mdy12, "4/28/2021, 2:08:45PM", None),
        (mdy12, "4/28/2021, 2:08:45", None),
        (mdy12, "4/28/2021, PM 2:08:45 PM", None),
        (ja12, "2021/4/28 午後2:08:45", Some("2021-04-28T14:08:45Z")),
        (ja12, "2021/4/28 午前0:05:00", Some("2021-04-28T00:05:00Z")),
        // Comma decimals, 7 fraction digits (Kusto ticks) and beyond, floored to 100 ns.
        (
            de,
            "16.10.2020, 0:00:01,403",
            Some("2020-10-16T00:00:01.403Z"),
        ),
        (
            de,
            "16.10.2020 0:00:01,4031234",
            Some("2020-10-16T00:00:01.4031234Z"),
        ),
        (
            de,
            "16.10.2020 0:00:01,403123499",
            Some("2020-10-16T00:00:01.4031234Z"),
        ),
        (de, "16.10.2020 0:00:01.403", None),
        (de, "16.10.2020 0:00:01", Some("2020-10-16T00:00:01Z")),
        (de, "16/10/2020 0:00:01,403", None),
        (de, "16.10.2020", None),
        // Surrounding space and a no-break space inside.
        (
            de,
            " 16.10.2020,\u{a0}0:00:01,5 ",
            Some("2020-10-16T00:00:01.5Z"),
        ),
        // Trailing junk, two-digit years.
        (dmy, "16/10/2020 00:00:01 UTC", None),
        (dmy, "16/10/20 00:00:01", None),
        (dmy, "", None),
    ];
    for (format, text, want) in cases {
        assert_eq!(format.parse(text), want.map(at), "{format}: {text:?}");
    }
    let date_only = DatetimeFormat::Local(LocalFormat {
        order: Dmy,
        date_sep: DateSep::Dot,
        time: None,
    });
    assert_eq!(known(&["16.10.2020", "1.2.2021"]).0, date_only);
    assert_eq!(
        date_only.parse("1.2.2021"),
        Some(at("2021-02-01T00:00:00Z"))
    );
    assert_eq!(date_only.parse("1.2.2021 10:00:00"), None);
    assert_eq!(date_only.describe(), "day-first d.m.y");
}

#[test]
fn date_order_option() {
    assert_eq!("dmy".parse::<DateOrder>(), Ok(Dmy));
    assert_eq!(" MDY ".parse::<DateOrder>(), Ok(Mdy));
    assert_eq!("ymd".parse::<DateOrder>(), Ok(Ymd));
    let err = "d/m/y".parse::<DateOrder>().expect_err("refused");
    assert_eq!(
        err.to_string(),
        "unknown date order \"d/m/y\": use mdy, dmy or ymd"
    );
    for order in [Dmy, Mdy, Ymd] {
        assert_eq!(order.option_text().parse::<DateOrder>(), Ok(order));
    }
}

/// Splits one CSV line (quotes, doubled quotes; no newlines inside cells in these files).
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().expect("cell").push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            c => cells.last_mut().expect("cell").push(c),
        }
    }
    cells
}

/// The datetime cells of a portal export (the columns whose header ends in ` [UTC]`).
fn portal_datetimes(name: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/locale_csv")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let headers = csv_cells(lines.next().expect("header"));
    let wanted: Vec<usize> = (0..headers.len())
        .filter(|&i| headers[i].ends_with(" [UTC]"))
        .collect();
    assert_eq!(wanted, vec![0, 7], "{name}");
    let mut values = Vec::new();
    for line in lines {
        let cells = csv_cells(line);
        values.extend(wanted.iter().map(|&i| cells[i].clone()));
    }
    values
}

/// The exports made by tools/fixtures/make_locale_csv.js: each file's format is inferred from
/// its own values and every value reads back as the instant that was exported.
#[test]
fn portal_exports_from_each_browser_language() {
    let instants: Vec<Nanos> = [
        "2020-10-16T00:00:01.403Z",
        "2020-10-16T00:00:00.997Z",
        "2020-10-03T13:05:09.010Z",
        "2020-10-03T13:05:08Z",
        "2021-04-28T14:08:45.221Z",
        "2021-04-28T14:08:45.221Z",
        "2021-02-01T23:59:59.999Z",
        "2021-02-01T23:59:59.5Z",
    ]
    .iter()
    .map(|t| at(t))
    .collect();
    let cases: &[(&str, &str)] = &[
        ("en-US", "month-first m/d/y h:M:S.f AM/PM (en-US)"),
        ("ja-JP", "year-first y/m/d H:M:S.f (ja-JP, zh-CN)"),
        ("en-GB", "day-first d/m/y H:M:S.f (en-GB, en-IE)"),
        (
            "de-DE",
            "day-first d.m.y H:M:S,f (de-DE, nb-NO, pl-PL, ro-RO, ru-RU, tr-TR, uk-UA)",
        ),
        (
            "fr-FR",
            "day-first d/m/y H:M:S,f (es-ES, fr-FR, it-IT, pt-BR, pt-PT)",
        ),
        ("nl-NL", "day-first d-m-y H:M:S,f (nl-NL)"),
        ("fi-FI", "day-first d.m.y H.M.S,f (da-DK, fi-FI)"),
        ("ko-KR", "year-first y. m. d h:M:S.f AM/PM (ko-KR)"),
        ("zh-TW", "year-first y/m/d h:M:S.f AM/PM (zh-TW)"),
    ];
    for (locale, description) in cases {
        let values = portal_datetimes(&format!("SigninLogs_{locale}.csv"));
        let inference = infer(values.iter().map(String::as_str));
        let format = inference
            .format()
            .unwrap_or_else(|| panic!("{locale}: {inference}"));
        assert_eq!(format.describe(), *description, "{locale}");
        let parsed: Vec<Option<Nanos>> = values.iter().map(|v| format.parse(v)).collect();
        let want: Vec<Option<Nanos>> = instants.iter().copied().map(Some).collect();
        assert_eq!(parsed, want, "{locale}");
    }
    let values = portal_datetimes("SigninLogs_en-GB_ambiguous.csv");
    let inference = infer(values.iter().map(String::as_str));
    assert_eq!(
        inference.to_string(),
        "every datetime fits both day-first and month-first (no day above 12, e.g. \
         \"06/10/2020, 0:00:01.403\"); say which with --date-order dmy or --date-order mdy"
    );
    let settled = infer_with_order(values.iter().map(String::as_str), Some(Dmy));
    assert_eq!(
        settled.format().and_then(|f| f.parse(&values[0])),
        Some(at("2020-10-06T00:00:01.403Z"))
    );
}
