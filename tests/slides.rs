//! `--slides`: every bundled scenario gives one SVG per timeline beat, each a well-formed
//! SVG document with the screen's text in it, and an index page that lists every caption
//! in timeline order.

use std::path::{Path, PathBuf};
use std::process::Command;

use minikafka::sim::Scenario;
use minikafka::tui::escape;

const BIN: &str = env!("CARGO_BIN_EXE_minikafka-tui");

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mk-slides-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn svgs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    files.sort();
    files
}

/// The text of every `<text>` element, one string per element.
fn svg_texts(doc: &roxmltree::Document<'_>) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn every_scenario_gives_a_valid_svg_per_beat_and_an_index_of_captions() {
    for name in Scenario::bundled_names() {
        let scenario = Scenario::bundled(name).unwrap();
        let dir = out_dir(name);
        let out = Command::new(BIN)
            .args(["--scenario", name, "--slides"])
            .arg(&dir)
            .args(["--size", "100x30"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let files = svgs(&dir);
        assert_eq!(files.len(), scenario.timeline.len(), "{name}: one per beat");
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let doc = roxmltree::Document::parse(&text)
                .unwrap_or_else(|e| panic!("{}: not valid XML: {e}", file.display()));
            let root = doc.root_element();
            assert!(root.has_tag_name(("http://www.w3.org/2000/svg", "svg")));
            assert_eq!(root.attribute("width"), Some("840"), "100 columns");
            let texts = svg_texts(&doc).concat();
            assert!(
                texts.contains(name),
                "{}: the header names the scenario",
                file.display()
            );
        }
        let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
        let mut from = 0;
        for (i, beat) in scenario.timeline.iter().enumerate() {
            let file = format!(
                "src=\"{}\"",
                files[i].file_name().unwrap().to_string_lossy()
            );
            let at = index[from..]
                .find(&file)
                .unwrap_or_else(|| panic!("{name}: {file} in order"));
            from += at;
            if !beat.caption.is_empty() {
                let caption = escape(&beat.caption);
                let at = index[from..]
                    .find(&format!("</span> {caption}</figcaption>"))
                    .unwrap_or_else(|| panic!("{name}: caption {caption:?}"));
                from += at;
                // The slide's banner shows the caption's start.
                let svg = std::fs::read_to_string(&files[i]).unwrap();
                let doc = roxmltree::Document::parse(&svg).unwrap();
                let first = beat.caption.split(' ').next().unwrap();
                assert!(
                    svg_texts(&doc)
                        .iter()
                        .any(|t| t.contains(&format!("» {first}"))),
                    "{name}: banner of slide {i}"
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_bad_size_is_a_usage_error() {
    let out = Command::new(BIN)
        .args(["--slides", "/nonexistent-dir", "--size", "10x5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--size"));
}
