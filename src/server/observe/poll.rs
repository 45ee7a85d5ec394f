//! One poll of a cluster, as a handful of rounds, each one batched request (or a few) per
//! broker, the brokers asked at once:
//!
//! ```text
//! Metadata (any broker)
//!   → ListOffsets earliest + latest (each leader)
//!   → ListGroups (each broker) → FindCoordinator (one broker, all groups)
//!   → ConsumerGroupDescribe / DescribeGroups (each coordinator)
//!   → OffsetFetch (each coordinator)
//!   → Fetch at committed offsets, a few KiB per partition (each leader, when needed)
//! ```
//!
//! A round that fails at one broker leaves a warning and the rest of the snapshot stands;
//! only Metadata failing everywhere fails the poll.

mod groups;
mod timestamps;
mod topics;

use super::ObserveError;
use super::cluster::Cluster;
use super::filter::Filter;
use super::snapshot::ClusterSnapshot;

pub use timestamps::{READS_PER_POLL, TimestampCache};

/// Warning lines kept per poll; past this they are counted.
const MAX_WARNINGS: usize = 20;

/// What a poll could not read, bounded.
#[derive(Debug, Default)]
pub struct Warnings {
    lines: Vec<String>,
    dropped: usize,
}

impl Warnings {
    pub fn push(&mut self, line: String) {
        if self.lines.len() < MAX_WARNINGS {
            self.lines.push(line);
        } else {
            self.dropped += 1;
        }
    }

    fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.lines.push(format!("and {} more", self.dropped));
        }
        self.lines
    }
}

/// A cluster, the filters, and what is remembered between polls.
#[derive(Debug)]
pub struct Poller {
    cluster: Cluster,
    filter: Filter,
    timestamps: TimestampCache,
}

impl Poller {
    /// A poller over `cluster`, reading what `filter` lets through.
    pub fn new(cluster: Cluster, filter: Filter) -> Poller {
        Poller {
            cluster,
            filter,
            timestamps: TimestampCache::default(),
        }
    }

    /// Reads the cluster once; `at_ms` is the wall-clock time the snapshot is stamped with.
    pub async fn poll(&mut self, at_ms: i64) -> Result<ClusterSnapshot, ObserveError> {
        let md = self.cluster.metadata().await?;
        let mut snap = topics::from_metadata(&md, &self.filter, at_ms);
        let mut warn = Warnings::default();
        topics::read_offsets(&mut self.cluster, &mut snap, &mut warn).await;
        groups::read_groups(&mut self.cluster, &self.filter, &mut snap, &mut warn).await;
        groups::describe(&mut self.cluster, &mut snap, &mut warn).await;
        groups::read_offsets(&mut self.cluster, &mut snap, &mut warn).await;
        timestamps::read_timestamps(
            &mut self.cluster,
            &mut snap,
            &mut self.timestamps,
            &mut warn,
        )
        .await;
        snap.warnings = warn.finish();
        Ok(snap)
    }
}
