//! The headless reports of every bundled scenario, at three seeds for ten simulated minutes,
//! must not change when the code is reorganised: each is compared byte for byte with the
//! report recorded in `tests/golden/`. A deliberate change of behaviour re-records them with
//! `GOLDEN_UPDATE=1 cargo test --test golden_reports` and says why in its commit.

use std::path::PathBuf;
use std::process::Command;

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
fn every_bundled_scenario_reports_exactly_as_recorded() {
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
            if got != want {
                mismatches.push(format!("{name} seed {seed}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "reports changed: {mismatches:?}");
}
