//! Seed frames mutated the way decoders go wrong: bytes overwritten, inserted, removed,
//! lengths made huge or negative, frames cut short. Shared by the request and the response
//! fuzz tests.

use proptest::prelude::*;

/// A seed, with what it is (`T`, kept as is), with a few bytes edited and perhaps cut short.
pub fn mutated<T: Clone + std::fmt::Debug + 'static>(
    seeds: Vec<(T, Vec<u8>)>,
) -> impl Strategy<Value = (T, Vec<u8>)> {
    let n = seeds.len();
    (
        0..n,
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..6),
        any::<Option<prop::sample::Index>>(),
    )
        .prop_map(move |(i, edits, cut)| {
            let (what, mut f) = seeds[i].clone();
            for (at, op, byte) in edits {
                if f.is_empty() {
                    f.push(byte);
                    continue;
                }
                let at = at.index(f.len());
                match op {
                    0 => f[at] = byte,
                    1 => f.insert(at, byte),
                    2 => {
                        f.remove(at);
                    }
                    // Lengths and counts are where decoders go wrong: make one huge or negative.
                    _ => {
                        let end = (at + 4).min(f.len());
                        for b in &mut f[at..end] {
                            *b = if byte & 1 == 0 { 0x7f } else { 0xff };
                        }
                    }
                }
            }
            if let Some(cut) = cut
                && !f.is_empty()
            {
                f.truncate(cut.index(f.len()));
            }
            (what, f)
        })
}
