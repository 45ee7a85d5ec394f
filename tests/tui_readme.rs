//! The README's key table is generated from the key map; this keeps them identical.
//! Run with `UPDATE_README=1` to rewrite the table in place after changing the key map.

use minikafka::tui::{KEYMAP, markdown_table, markdown_table_of, offered};

const START: &str = "<!-- keys:start -->\n";
const END: &str = "<!-- keys:end -->";
const OBSERVE_START: &str = "<!-- observe-keys:start -->\n";
const OBSERVE_END: &str = "<!-- observe-keys:end -->";

#[test]
fn readme_key_table_matches_the_key_map() {
    check_table(START, END, &markdown_table());
}

#[test]
fn readme_observe_key_table_lists_the_keys_offered_without_a_simulation() {
    let offered = KEYMAP.iter().filter(|r| offered(r, false));
    check_table(OBSERVE_START, OBSERVE_END, &markdown_table_of(offered));
}

/// Compares the README's table between two markers with `table`.
fn check_table(start_marker: &str, end_marker: &str, table: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find(start_marker)
        .unwrap_or_else(|| panic!("README has the {start_marker} marker"))
        + start_marker.len();
    let end = readme
        .find(end_marker)
        .unwrap_or_else(|| panic!("README has the {end_marker} marker"));
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &readme[..start], table, &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        table,
        "run with UPDATE_README=1 to regenerate"
    );
}

#[test]
fn readme_documents_every_flag() {
    use clap::CommandFactory;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## Flags").expect("README has a Flags section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    for arg in minikafka::cli::Cli::command().get_arguments() {
        if let Some(long) = arg.get_long() {
            assert!(
                section.contains(&format!("`--{long}")),
                "--{long} is not in README's Flags"
            );
        }
    }
}
