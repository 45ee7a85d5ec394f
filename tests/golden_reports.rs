//! The headless reports of every bundled scenario, at three seeds for ten simulated minutes,
//! must not change when the code is reorganised: every field of the report recorded in
//! `tests/golden/` must come out with the same value, in the same place. The report may
//! gain fields (docs/design.md: "Fields may be added, never renamed"), so a field the
//! recording lacks is allowed anywhere. A deliberate change of behaviour re-records them
//! with `GOLDEN_UPDATE=1 cargo test --test golden_reports` and says why in its commit.

use std::fmt;
use std::path::PathBuf;
use std::process::Command;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

const SEEDS: [u64; 3] = [1, 7, 42];

fn scenarios() -> Vec<String> {
    minikafka::sim::Scenario::bundled_names()
        .map(str::to_string)
        .collect()
}

fn report(scenario: &str, seed: u64) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_minikafka-tui"))
        .args([
            "--headless",
            "--json",
            "--duration",
            "600s",
            "--scenario",
            scenario,
        ])
        .args(["--seed", &seed.to_string()])
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{scenario} seed {seed}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn golden_path(scenario: &str, seed: u64) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{scenario}-{seed}.json"))
}

#[test]
fn every_bundled_scenario_keeps_every_recorded_field() {
    let names = scenarios();
    assert!(names.len() >= 9, "scenarios listed: {names:?}");
    let update = std::env::var_os("GOLDEN_UPDATE").is_some();
    let jobs: Vec<(String, u64)> = names
        .iter()
        .flat_map(|n| SEEDS.iter().map(move |s| (n.clone(), *s)))
        .collect();
    // Two at a time: each run is one process, and the machines this runs on are small.
    let mut mismatches = Vec::new();
    for pair in jobs.chunks(2) {
        let handles: Vec<_> = pair
            .iter()
            .cloned()
            .map(|(n, s)| std::thread::spawn(move || (report(&n, s), n, s)))
            .collect();
        for h in handles {
            let (got, name, seed) = h.join().unwrap();
            let path = golden_path(&name, seed);
            if update {
                std::fs::write(&path, &got).unwrap();
                continue;
            }
            let want = std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (record it with GOLDEN_UPDATE=1)", path.display())
            });
            if let Err(at) = keeps_every_field(&parse(&want), &parse(&got), "") {
                mismatches.push(format!("{name} seed {seed}: {at}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "reports changed: {mismatches:?}");
}

/// JSON with the order of object keys kept, which `serde_json::Value` does not keep.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    Scalar(serde_json::Value),
}

fn parse(bytes: &[u8]) -> Json {
    serde_json::from_slice(bytes).expect("a report is JSON")
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Scalar(serde_json::Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some(field) = map.next_entry()? {
            fields.push(field);
        }
        Ok(Json::Object(fields))
    }
}

/// Whether `got` keeps everything `want` recorded: objects have every recorded key, with an
/// equal value, in the recorded order (new keys may sit anywhere); arrays have the same
/// length and keep each element; scalars are equal. On failure, the path to the first
/// difference.
fn keeps_every_field(want: &Json, got: &Json, path: &str) -> Result<(), String> {
    match (want, got) {
        (Json::Object(w), Json::Object(g)) => {
            let mut last = None;
            for (key, value) in w {
                let at = format!("{path}.{key}");
                let i = g
                    .iter()
                    .position(|(k, _)| k == key)
                    .ok_or_else(|| format!("{at} is missing"))?;
                if last.is_some_and(|l| i < l) {
                    return Err(format!("{at} moved before a field recorded ahead of it"));
                }
                last = Some(i);
                keeps_every_field(value, &g[i].1, &at)?;
            }
            Ok(())
        }
        (Json::Array(w), Json::Array(g)) if w.len() == g.len() => w
            .iter()
            .zip(g)
            .enumerate()
            .try_for_each(|(i, (w, g))| keeps_every_field(w, g, &format!("{path}[{i}]"))),
        (Json::Array(w), Json::Array(g)) => Err(format!(
            "{path} has {} elements, {} recorded",
            g.len(),
            w.len()
        )),
        (Json::Scalar(w), Json::Scalar(g)) if w == g => Ok(()),
        _ => Err(format!("{path} is {got:?}, {want:?} recorded")),
    }
}

#[test]
fn the_comparison_allows_new_fields_and_nothing_else() {
    let recorded = parse(br#"{"a": 1, "b": [{"x": null}, {"x": 2}], "c": "s"}"#);
    let keeps = |got: &str| keeps_every_field(&recorded, &parse(got.as_bytes()), "");
    assert_eq!(
        keeps(r#"{"a": 1, "b": [{"x": null}, {"x": 2}], "c": "s"}"#),
        Ok(())
    );
    assert_eq!(
        keeps(r#"{"a": 1, "n": 0, "b": [{"x": null, "y": 1}, {"x": 2}], "c": "s", "z": []}"#),
        Ok(())
    );
    assert_eq!(
        keeps(r#"{"a": 1, "b": [{"x": null}, {"x": 3}], "c": "s"}"#),
        Err(".b[1].x is Scalar(Number(3)), Scalar(Number(2)) recorded".into())
    );
    assert_eq!(
        keeps(r#"{"a": 1, "b": [{"x": null}], "c": "s"}"#),
        Err(".b has 1 elements, 2 recorded".into())
    );
    assert_eq!(
        keeps(r#"{"a": 1, "b": [{"x": null}, {"x": 2}]}"#),
        Err(".c is missing".into())
    );
    assert_eq!(
        keeps(r#"{"b": [{"x": null}, {"x": 2}], "a": 1, "c": "s"}"#),
        Err(".b moved before a field recorded ahead of it".into())
    );
    assert!(keeps(r#"{"a": 1.0, "b": [{"x": null}, {"x": 2}], "c": "s"}"#).is_err());
}
