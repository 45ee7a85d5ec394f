//! Choosing a partition for a record, the way real clients do.
//!
//! Kafka brokers never pick partitions: clients do. Java clients and kafka-python
//! hash keys with murmur2, librdkafka (kcat, confluent-kafka) with crc32, so the
//! same key can land on different partitions depending on the client.

use rand::Rng;

/// Kafka's murmur2 variant (seed `0x9747b28c`), bit-for-bit as `org.apache.kafka.common.utils.Utils.murmur2`.
pub fn murmur2(data: &[u8]) -> u32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = SEED ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    // Java sign-extends bytes before masking with 0xff, which is the same as using them unsigned.
    if tail.len() == 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

/// IEEE CRC-32, as librdkafka's `consistent` partitioners use.
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// How keyed records are mapped to partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyHasher {
    /// Java clients, kafka-python, kafkajs: `(murmur2(key) & 0x7fffffff) % n`.
    #[default]
    Murmur2,
    /// librdkafka and kcat: `crc32(key) % n`.
    Crc32,
}

impl KeyHasher {
    /// The partition for `key` among `partitions` (which must be at least 1).
    pub fn partition(self, key: &[u8], partitions: u32) -> u32 {
        debug_assert!(partitions > 0);
        match self {
            KeyHasher::Murmur2 => (murmur2(key) & 0x7fff_ffff) % partitions,
            KeyHasher::Crc32 => crc32(key) % partitions,
        }
    }

    /// The name used in scenario files and on screen.
    pub fn name(self) -> &'static str {
        match self {
            KeyHasher::Murmur2 => "murmur2",
            KeyHasher::Crc32 => "crc32",
        }
    }
}

/// Where records without a key go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NullKeyStrategy {
    /// Stay on one partition for a batch, then switch: Kafka's default since 2.4,
    /// because it fills batches and lowers latency.
    #[default]
    Sticky,
    /// Cycle through partitions record by record: the pre-2.4 behaviour.
    RoundRobin,
}

/// A producer-side partitioner: hashes keys, and spreads keyless records.
///
/// It holds the state keyless strategies need (the sticky partition, the
/// round-robin cursor); randomness comes from the caller, never a global RNG.
#[derive(Debug, Clone)]
pub struct Partitioner {
    hasher: KeyHasher,
    null_keys: NullKeyStrategy,
    sticky_batch: u32,
    sticky_partition: Option<u32>,
    sticky_left: u32,
    round_robin_next: u32,
}

impl Partitioner {
    /// `sticky_batch` is how many keyless records go to one partition before switching.
    pub fn new(hasher: KeyHasher, null_keys: NullKeyStrategy, sticky_batch: u32) -> Self {
        Partitioner {
            hasher,
            null_keys,
            sticky_batch: sticky_batch.max(1),
            sticky_partition: None,
            sticky_left: 0,
            round_robin_next: 0,
        }
    }

    /// How it hashes keys.
    pub fn hasher(&self) -> KeyHasher {
        self.hasher
    }

    /// Picks the partition for one record.
    pub fn partition<R: Rng + ?Sized>(
        &mut self,
        key: Option<&[u8]>,
        partitions: u32,
        rng: &mut R,
    ) -> u32 {
        let partitions = partitions.max(1);
        if let Some(key) = key {
            return self.hasher.partition(key, partitions);
        }
        match self.null_keys {
            NullKeyStrategy::RoundRobin => {
                let p = self.round_robin_next % partitions;
                self.round_robin_next = self.round_robin_next.wrapping_add(1);
                p
            }
            NullKeyStrategy::Sticky => {
                let current = self.sticky_partition.filter(|&p| p < partitions);
                match current {
                    Some(p) if self.sticky_left > 0 => {
                        self.sticky_left -= 1;
                        p
                    }
                    _ => {
                        // Like Kafka, switch to a different partition when there is one.
                        let mut next = rng.random_range(0..partitions);
                        if partitions > 1 && Some(next) == current {
                            next = (next + 1) % partitions;
                        }
                        self.sticky_partition = Some(next);
                        self.sticky_left = self.sticky_batch - 1;
                        next
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn murmur2_matches_kafka_vectors() {
        assert_eq!(murmur2(b"kafka"), 0xd067_cf64);
        assert_eq!(murmur2(b"giberish123456789"), 0x8f55_2b0c);
        assert_eq!(murmur2(b"1234"), 0x9fc9_7b14);
        assert_eq!(murmur2(b""), 0x106e_08d9);
    }

    #[test]
    fn murmur2_partition_masks_sign_bit() {
        // 0xd067cf64 has the top bit set: Java's toPositive clears it before the modulo.
        assert_eq!(
            KeyHasher::Murmur2.partition(b"kafka", 7),
            (0xd067_cf64u32 & 0x7fff_ffff) % 7
        );
    }

    #[test]
    fn crc32_is_ieee() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(KeyHasher::Crc32.partition(b"123456789", 4), 0xcbf4_3926 % 4);
    }

    #[test]
    fn same_key_same_partition() {
        let mut p = Partitioner::new(KeyHasher::Murmur2, NullKeyStrategy::Sticky, 10);
        let mut rng = StdRng::seed_from_u64(1);
        let first = p.partition(Some(b"user-42"), 12, &mut rng);
        for _ in 0..100 {
            assert_eq!(p.partition(Some(b"user-42"), 12, &mut rng), first);
        }
    }

    #[test]
    fn round_robin_cycles() {
        let mut p = Partitioner::new(KeyHasher::Murmur2, NullKeyStrategy::RoundRobin, 1);
        let mut rng = StdRng::seed_from_u64(1);
        let got: Vec<u32> = (0..7).map(|_| p.partition(None, 3, &mut rng)).collect();
        assert_eq!(got, vec![0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn sticky_switches_after_a_batch() {
        let mut p = Partitioner::new(KeyHasher::Murmur2, NullKeyStrategy::Sticky, 5);
        let mut rng = StdRng::seed_from_u64(7);
        let got: Vec<u32> = (0..15).map(|_| p.partition(None, 4, &mut rng)).collect();
        for batch in got.chunks(5) {
            assert!(batch.iter().all(|&x| x == batch[0]), "{got:?}");
        }
        assert_ne!(got[4], got[5], "must switch partition after a batch");
        assert_ne!(got[9], got[10]);
    }
}
