//! Decompressing a batch's records section, with the output bounded before it is taken.
//!
//! A client's bytes must not decide how much memory the broker takes: a few megabytes of
//! gzip inflate to gigabytes, and a snappy header can claim 4 GiB. Every codec here reads
//! no more than its limit plus one byte (to tell an exact fit from an overflow), and snappy's
//! claimed lengths are checked before room is made for them. LZ4 and zstd are decoded by
//! pure-Rust crates, so the build needs no C compiler.

use std::io::Read;

use super::{BatchError, Compression, corrupt};

/// Snappy's densest element, a 3-byte copy, yields 64 bytes: no valid block claims more
/// than about 21 times its size. A claim beyond this is refused before any memory is zeroed.
const SNAPPY_MAX_EXPANSION: usize = 32;
/// The xerial framing Java clients put around snappy blocks.
const XERIAL_MAGIC: &[u8; 16] = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01";

/// The records section of a `compression` batch, decompressed into at most `limit` bytes.
pub(super) fn decompress(
    compression: Compression,
    data: &[u8],
    limit: usize,
) -> Result<Vec<u8>, BatchError> {
    match compression {
        Compression::None => bounded_copy(data, limit),
        Compression::Gzip => {
            read_bounded(flate2::read::MultiGzDecoder::new(data), data, limit, "gzip")
        }
        Compression::Snappy => unsnappy(data, limit),
        Compression::Lz4 => {
            read_bounded(lz4_flex::frame::FrameDecoder::new(data), data, limit, "lz4")
        }
        Compression::Zstd => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(data)
                .map_err(|e| corrupt(format!("zstd: {e}")))?;
            read_bounded(decoder, data, limit, "zstd")
        }
    }
}

fn bounded_copy(data: &[u8], limit: usize) -> Result<Vec<u8>, BatchError> {
    if data.len() > limit {
        return Err(BatchError::TooLarge { limit });
    }
    Ok(data.to_vec())
}

/// Reads a decoder to its end, refusing output beyond `limit`.
fn read_bounded(
    decoder: impl Read,
    compressed: &[u8],
    limit: usize,
    codec: &str,
) -> Result<Vec<u8>, BatchError> {
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).min(limit));
    decoder
        .take((limit as u64).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| corrupt(format!("{codec}: {e}")))?;
    if out.len() > limit {
        return Err(BatchError::TooLarge { limit });
    }
    Ok(out)
}

/// Decompresses snappy, framed by xerial (Java clients) or raw, checking each block's
/// claimed length against the limit before making room for it.
fn unsnappy(compressed: &[u8], limit: usize) -> Result<Vec<u8>, BatchError> {
    let mut out = Vec::new();
    let Some(mut framed) = compressed.strip_prefix(XERIAL_MAGIC) else {
        snappy_block(compressed, &mut out, limit)?;
        return Ok(out);
    };
    while !framed.is_empty() {
        let Some((len, rest)) = framed.split_first_chunk::<4>() else {
            return Err(corrupt("snappy: a truncated block length"));
        };
        let len = u32::from_be_bytes(*len) as usize;
        if len > rest.len() {
            return Err(corrupt("snappy: a block longer than the batch"));
        }
        let (block, rest) = rest.split_at(len);
        snappy_block(block, &mut out, limit)?;
        framed = rest;
    }
    Ok(out)
}

fn snappy_block(block: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), BatchError> {
    let len = snap::raw::decompress_len(block).map_err(|e| corrupt(format!("snappy: {e}")))?;
    if len > block.len().saturating_mul(SNAPPY_MAX_EXPANSION) {
        return Err(corrupt(format!(
            "snappy: a {}-byte block cannot hold {len} bytes",
            block.len()
        )));
    }
    if out.len().saturating_add(len) > limit {
        return Err(BatchError::TooLarge { limit });
    }
    let start = out.len();
    out.resize(start + len, 0);
    snap::raw::Decoder::new()
        .decompress(block, &mut out[start..])
        .map_err(|e| corrupt(format!("snappy: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut e, data).unwrap();
        e.finish().unwrap()
    }

    fn lz4(data: &[u8]) -> Vec<u8> {
        let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
        std::io::Write::write_all(&mut e, data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    fn snappy(data: &[u8]) -> Vec<u8> {
        let block = snap::raw::Encoder::new().compress_vec(data).unwrap();
        let mut framed = XERIAL_MAGIC.to_vec();
        framed.extend_from_slice(&(block.len() as u32).to_be_bytes());
        framed.extend_from_slice(&block);
        framed
    }

    #[test]
    fn every_codec_round_trips_within_its_limit_and_stops_past_it() {
        let data: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let cases: [(Compression, Vec<u8>); 4] = [
            (Compression::Gzip, gzip(&data)),
            (Compression::Snappy, snappy(&data)),
            (Compression::Lz4, lz4(&data)),
            (Compression::Zstd, zstd(&data)),
        ];
        for (c, packed) in cases {
            assert_eq!(
                decompress(c, &packed, data.len()).as_deref(),
                Ok(&data[..]),
                "{c:?}"
            );
            assert_eq!(
                decompress(c, &packed, data.len() - 1),
                Err(BatchError::TooLarge {
                    limit: data.len() - 1
                }),
                "{c:?}"
            );
        }
    }

    #[test]
    fn bombs_stop_at_the_limit() {
        // 16 MiB of zeros from a few kilobytes, in each codec that can.
        let zeros = vec![0u8; 16 << 20];
        for (c, packed) in [
            (Compression::Gzip, gzip(&zeros)),
            (Compression::Lz4, lz4(&zeros)),
            (Compression::Zstd, zstd(&zeros)),
        ] {
            assert!(packed.len() < 1 << 20, "{c:?}: {}", packed.len());
            assert_eq!(
                decompress(c, &packed, 1 << 20),
                Err(BatchError::TooLarge { limit: 1 << 20 }),
                "{c:?}"
            );
        }
        // A raw snappy header claiming 4 GiB in a few bytes is refused before any memory.
        let claim: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x01, 0x02];
        let err = decompress(Compression::Snappy, claim, usize::MAX).unwrap_err();
        assert!(
            matches!(err, BatchError::Corrupt(ref m) if m.contains("cannot hold")),
            "{err}"
        );
    }

    #[test]
    fn garbage_is_corrupt_not_a_panic() {
        for c in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let err = decompress(c, b"\x04\x22\x4d\x18 definitely not compressed", 1 << 20);
            assert!(matches!(err, Err(BatchError::Corrupt(_))), "{c:?}: {err:?}");
        }
    }
}
