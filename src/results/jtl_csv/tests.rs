//! The one-pass JTL CSV reader: columns, delimiters, bad cells and their positions.

use super::*;

fn read_str(text: &str) -> Result<RunResults, ResultsError> {
    read("t.jtl", text.as_bytes())
}

#[test]
fn header_with_quoted_cells_and_failures() {
    let text = "timeStamp,elapsed,label,responseCode,responseMessage,success,failureMessage\n\
                1700000000000,100,home,200,OK,true,\n\
                1700000000500,300,\"search, full\",500,\"Server\nError\",false,\"bad, \"\"really\"\"\"\n\
                1700000001000,200,home,200,OK,true,\n";
    let r = read_str(text).unwrap();
    assert_eq!(r.overall.requests, Some(3));
    assert_eq!(r.overall.errors, Some(1));
    assert_eq!(r.endpoints.len(), 2);
    assert_eq!(r.endpoints[1].name, "search, full");
    assert_eq!(r.overall.status_codes.get("500"), Some(&1));
    assert_eq!(r.duration_s, Some(1.2));
}

#[test]
fn non_numeric_elapsed_names_line_column_and_field() {
    let text =
        "timeStamp,elapsed,label,success\n1700000000000,12,a,true\n1700000000001,abc,a,true\n";
    let e = read_str(text).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(d.field, "elapsed");
    assert_eq!((d.line, d.column), (Some(3), Some(2)));
    assert!(d.message.contains("whole number"), "{}", d.message);
}

#[test]
fn truncated_last_line_is_skipped_with_a_note() {
    let text = "timeStamp,elapsed,label,success\n1700000000000,12,a,true\n1700000000001,1";
    let r = read_str(text).unwrap();
    assert_eq!(r.overall.requests, Some(1));
    assert!(r.notes.iter().any(|n| n.contains("line 3 is incomplete")));
}

#[test]
fn short_row_in_the_middle_is_an_error() {
    let text = "timeStamp,elapsed,label,success\n1700000000000,12\n1700000000001,1,a,true\n";
    let e = read_str(text).unwrap_err();
    assert_eq!(e.diagnostics[0].line, Some(2));
}

#[test]
fn formatted_timestamps_and_tab_delimiter() {
    let text = "timeStamp\telapsed\tlabel\tsuccess\n2024/05/01 12:00:00.000\t10\ta\ttrue\n2024/05/01 12:00:01.990\t10\ta\tfalse\n";
    let r = read_str(text).unwrap();
    assert_eq!(r.duration_s, Some(2.0));
    assert_eq!(r.overall.errors, Some(1));
}

#[test]
fn headerless_layout_unknown_is_explained() {
    let e = read_str("1700000000000,12,a,200,OK,t,text,true,99\n").unwrap_err();
    assert!(e.diagnostics[0].message.contains("12 (JMeter 2.13)"));
}

#[test]
fn header_without_elapsed_names_the_missing_column() {
    let e = read_str("timeStamp,label,success\n1700000000000,a,true\n").unwrap_err();
    assert_eq!(e.diagnostics[0].field, "elapsed");
    assert!(e.diagnostics[0].message.contains("no `elapsed` column"));
}
