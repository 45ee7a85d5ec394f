//! Scenario files with mistakes: each error names the file, the line and the field.

use minikafka::sim::{Scenario, ScenarioError, SimError};

fn error(text: &str) -> ScenarioError {
    match Scenario::parse(text, "talk.toml") {
        Err(SimError::Scenario(e)) => e,
        other => panic!("expected a scenario error, got {other:?}"),
    }
}

const GOOD: &str = r#"name = "ok"
[[topics]]
name = "orders"
partitions = 2
[[producers]]
topic = "orders"
rate = 5.0
[[groups]]
name = "billing"
topics = ["orders"]
[[timeline]]
at = "20s"
action = "crash_consumer"
group = "billing"
"#;

/// `GOOD` with line `line` (1-based) replaced.
fn with_line(line: usize, text: &str) -> String {
    let mut lines: Vec<&str> = GOOD.lines().collect();
    lines[line - 1] = text;
    lines.join("\n") + "\n"
}

#[test]
fn the_good_file_parses() {
    let s = Scenario::parse(GOOD, "dir/talk.toml").unwrap();
    assert_eq!(s.name, "talk");
    assert_eq!(s.title, "ok");
    assert_eq!(s.timeline[0].at_ms, 20_000);
}

#[test]
fn unknown_key() {
    let e = error(&with_line(7, "rte = 5.0"));
    assert_eq!((e.origin.as_str(), e.line), ("talk.toml", 7));
    assert_eq!(e.field, "producers[0].rte");
    assert!(e.message.contains("unknown field"), "{}", e.message);
    assert!(e.to_string().starts_with("talk.toml:7:"), "{e}");
}

#[test]
fn wrong_type() {
    let e = error(&with_line(4, "partitions = \"two\""));
    assert_eq!((e.line, e.field.as_str()), (4, "topics[0].partitions"));
}

#[test]
fn bad_duration() {
    let e = error(&with_line(12, "at = \"20x\""));
    assert_eq!((e.line, e.field.as_str()), (12, "timeline[0].at"));
    assert!(e.message.contains("20x"), "{}", e.message);
}

#[test]
fn unknown_group_in_the_timeline() {
    let e = error(&with_line(14, "group = \"shipping\""));
    assert_eq!((e.line, e.field.as_str()), (14, "timeline[0].group"));
    assert!(e.message.contains("shipping"));
}

#[test]
fn unknown_topic() {
    let e = error(&with_line(6, "topic = \"order\""));
    assert_eq!((e.line, e.field.as_str()), (6, "producers[0].topic"));
}

#[test]
fn zero_partitions() {
    let e = error(&with_line(4, "partitions = 0"));
    assert_eq!((e.line, e.field.as_str()), (4, "topics[0].partitions"));
}

#[test]
fn negative_rate() {
    let e = error(&with_line(7, "rate = -5.0"));
    assert_eq!((e.line, e.field.as_str()), (7, "producers[0].rate"));
}

#[test]
fn unknown_action_and_enum_values() {
    let e = error(&with_line(13, "action = \"explode\""));
    assert_eq!((e.line, e.field.as_str()), (13, "timeline[0].action"));
    let e = error(&with_line(7, "keys = \"random\""));
    assert_eq!((e.line, e.field.as_str()), (7, "producers[0].keys"));
}

#[test]
fn missing_field_for_an_action() {
    let e = error(&with_line(14, "topic = \"orders\""));
    assert_eq!((e.line, e.field.as_str()), (13, "timeline[0].group"));
}

#[test]
fn malformed_toml() {
    let e = error(&with_line(9, "name = billing"));
    assert_eq!(e.line, 9);
}

#[test]
fn bad_reset_target_and_session_timeout() {
    let text = GOOD.replace(
        "action = \"crash_consumer\"",
        "action = \"reset_offsets\"\nto = \"yesterday\"",
    );
    let e = error(&text);
    assert_eq!((e.line, e.field.as_str()), (14, "timeline[0].to"));
    let e = error(
        &(GOOD.to_string()
            + "[[groups]]\nname = \"x\"\ntopics = [\"orders\"]\nsession_timeout_ms = 0\n"),
    );
    assert_eq!(
        (e.line, e.field.as_str()),
        (18, "groups[1].session_timeout_ms")
    );
}

#[test]
fn unknown_bundled_name_lists_the_choices() {
    match Scenario::bundled("nope") {
        Err(SimError::UnknownScenario { available, .. }) => {
            assert!(available.contains("quickstart"))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Scenario::load("no/such/file.toml"),
        Err(SimError::Io { .. })
    ));
}

#[test]
fn a_group_added_by_the_timeline_can_be_used_later() {
    let text = GOOD.to_string()
        + "[[timeline]]\nat = \"5s\"\naction = \"add_group\"\nname = \"late\"\ntopics = [\"orders\"]\n\
           [[timeline]]\nat = \"6s\"\naction = \"pause_group\"\ngroup = \"late\"\n";
    let s = Scenario::parse(&text, "t.toml").unwrap();
    assert_eq!(s.timeline.len(), 3);
    assert_eq!(s.timeline[0].at_ms, 5_000, "sorted by time");
    let early = text.replace("at = \"6s\"", "at = \"4s\"");
    let e = error(&early);
    assert_eq!(e.field, "timeline[2].group");
}
