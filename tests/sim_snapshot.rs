//! The quickstart report for a fixed seed, pinned: any change to how the simulation
//! behaves shows up here as a reviewable diff.

use minikafka::sim::{Scenario, Simulation};

#[test]
fn quickstart_report_for_seed_42() {
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(42)).unwrap();
    sim.step(60_000);
    let json = serde_json::to_string_pretty(&sim.report()).unwrap();
    insta::assert_snapshot!(json);
}
