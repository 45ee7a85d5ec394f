//! Reading a log: records one by one (the library API), batch bytes for a network fetch,
//! the newest keys for the screen, and offsets by timestamp.

use bytes::Bytes;

use super::{LogBounds, OffsetSpec, PartitionLog, Stored};
use crate::broker::batch::{RawRecord, StoredBatch};
use crate::broker::compact::{CompactBatch, Cursor};
use crate::broker::limits::MAX_LOOK_INSIDE_BYTES;
use crate::broker::record::Record;

/// The log's records from an offset up to the high watermark, decoded one at a time.
///
/// Keys and values are slices of the stored bytes (of a decompressed copy for a compressed
/// batch, one allocation per batch), so an uncompressed or simulated record costs no
/// allocation. A compressed batch that would decompress past [`MAX_LOOK_INSIDE_BYTES`],
/// or that turns out malformed, ends the iteration there.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    log: &'a PartitionLog,
    index: usize,
    next: i64,
    until: i64,
    state: State<'a>,
}

#[derive(Debug, Clone)]
enum State<'a> {
    /// At the start of batch `index`.
    Start,
    Wire {
        body: Bytes,
        pos: usize,
        left: u32,
        offset: i64,
        batch: &'a StoredBatch,
    },
    Compact(&'a CompactBatch, Cursor),
    Done,
}

impl<'a> Records<'a> {
    /// Records from `from` up to `until`, never past the high watermark.
    fn new(log: &'a PartitionLog, from: i64, until: i64) -> Self {
        Self::up_to(log, from, until.min(log.high_watermark))
    }

    /// Records from `from` up to `until`, which may pass the high watermark.
    fn up_to(log: &'a PartitionLog, from: i64, until: i64) -> Self {
        let from = from.max(log.log_start_offset);
        Records {
            log,
            index: log.batch_index(from),
            next: from,
            until: until.min(log.end_offset),
            state: State::Start,
        }
    }

    fn enter_batch(&mut self) {
        self.state = match self.log.batches.get(self.index) {
            None => State::Done,
            Some(Stored::Compact(b)) => {
                let skip = (self.next - b.base_offset()).max(0) as u32;
                State::Compact(b, b.cursor(skip))
            }
            Some(Stored::Wire(b)) => match b.body(MAX_LOOK_INSIDE_BYTES) {
                Ok(body) => State::Wire {
                    body,
                    pos: 0,
                    left: b.info().records,
                    offset: b.base_offset(),
                    batch: b,
                },
                Err(_) => State::Done,
            },
        };
    }
}

impl Iterator for Records<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if self.next >= self.until {
                return None;
            }
            match &mut self.state {
                State::Done => return None,
                State::Start => self.enter_batch(),
                State::Compact(batch, cursor) => match batch.next_record(cursor) {
                    Some(r) => {
                        let record = Record::from_parts(
                            self.next,
                            r.timestamp,
                            r.key.cloned(),
                            Some(r.source.value()),
                            None,
                        );
                        self.next += 1;
                        return Some(record);
                    }
                    None => {
                        self.index += 1;
                        self.state = State::Start;
                    }
                },
                State::Wire {
                    body,
                    pos,
                    left,
                    offset,
                    batch,
                } => {
                    if *left == 0 {
                        self.index += 1;
                        self.state = State::Start;
                        continue;
                    }
                    let mut it = batch.records(&body[*pos..]);
                    let Some(Ok(raw)) = it.next() else {
                        self.state = State::Done;
                        return None;
                    };
                    *pos = body.len() - it.rest().len();
                    *left -= 1;
                    let at = *offset;
                    *offset += 1;
                    if at < self.next {
                        continue;
                    }
                    self.next += 1;
                    return Some(wire_record(body, at, &raw));
                }
            }
        }
    }
}

/// A decoded record whose payload slices `body`.
fn wire_record(body: &Bytes, offset: i64, raw: &RawRecord<'_>) -> Record {
    let headers = (raw.header_count > 0).then(|| {
        crate::broker::batch::headers(raw.headers, raw.header_count)
            .map(|(k, v)| crate::broker::Header {
                key: String::from_utf8_lossy(k).into_owned(),
                value: v.map(|v| body.slice_ref(v)),
            })
            .collect()
    });
    Record::from_parts(
        offset,
        raw.timestamp,
        raw.key.map(|k| body.slice_ref(k)),
        raw.value.map(|v| body.slice_ref(v)),
        headers,
    )
}

/// What a network fetch took from one partition: batch bytes in offset order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireRead {
    /// Slices of stored batches, as their producers sent them, and simulated records
    /// encoded for this read. The last may be the start of a batch cut at the byte limit,
    /// as Kafka sends it; clients skip it.
    pub chunks: Vec<Bytes>,
    /// Bytes in `chunks`.
    pub bytes: usize,
    /// Records in the whole batches among them.
    pub records: u64,
}

impl PartitionLog {
    /// Borrows records from `offset`: at most `max_records`, and no more than `max_bytes` of
    /// payload, except that the first record is always included so a consumer can make
    /// progress past a large record. Reading at the high watermark yields nothing; outside
    /// `log_start..=high_watermark` the log's bounds come back as the error, for the caller to
    /// name the partition.
    pub fn read(
        &self,
        offset: i64,
        max_records: usize,
        max_bytes: u64,
    ) -> Result<impl Iterator<Item = Record> + '_, LogBounds> {
        self.check_fetch_offset(offset)?;
        let until = offset.saturating_add(max_records.min(i64::MAX as usize) as i64);
        let mut bytes = 0u64;
        let mut first = true;
        Ok(Records::new(self, offset, until).take_while(move |r| {
            bytes += u64::from(r.size_bytes());
            let fits = first || bytes <= max_bytes;
            first = false;
            fits
        }))
    }

    /// Like [`PartitionLog::read`], into `out` (which is not cleared); returns the log's
    /// bounds. A caller that reuses `out` allocates nothing for uncompressed records.
    pub fn fetch_into(
        &self,
        offset: i64,
        max_records: usize,
        max_bytes: u64,
        out: &mut Vec<Record>,
    ) -> Result<LogBounds, LogBounds> {
        let records = self.read(offset, max_records, max_bytes)?;
        // The most the read can yield, so the buffer grows once, not by doubling.
        let most = (self.high_watermark - offset).max(0) as usize;
        out.reserve(most.min(max_records));
        out.extend(records);
        Ok(self.bounds())
    }

    /// Records from `offset` up to the high watermark.
    pub fn iter_from(&self, offset: i64) -> Records<'_> {
        Records::new(self, offset, i64::MAX)
    }

    /// The newest `n` records below the high watermark, oldest first.
    pub fn tail(&self, n: usize) -> Records<'_> {
        let from = self.high_watermark.saturating_sub(n as i64);
        Records::new(self, from, i64::MAX)
    }

    /// The record at `offset`, if it is still in the log (past the high watermark too: a
    /// leader holds records its followers have yet to copy).
    pub fn get(&self, offset: i64) -> Option<Record> {
        if offset < self.log_start_offset {
            return None;
        }
        Records::up_to(self, offset, offset + 1).next()
    }

    /// The bytes a network fetch from `offset` sends, as Kafka's log read does: from the
    /// start of the batch holding `offset` (so up to a batch's worth of records before it),
    /// up to the high watermark, within `max_bytes`. With `min_one` the first batch goes
    /// whole even past `max_bytes`, so a consumer always progresses; otherwise a batch cut
    /// at the limit ends the read. Stored batches are sliced, not copied; simulated records
    /// are encoded now.
    pub fn read_wire(
        &self,
        offset: i64,
        max_bytes: usize,
        min_one: bool,
    ) -> Result<WireRead, LogBounds> {
        self.check_fetch_offset(offset)?;
        let mut read = WireRead::default();
        let mut encoded: Vec<u8> = Vec::new();
        let mut limit = max_bytes;
        for batch in self.batches.range(self.batch_index(offset)..) {
            let taken = read.bytes + encoded.len();
            let first = taken == 0 && min_one;
            if batch.base_offset() >= self.high_watermark || (taken >= limit && !first) {
                break;
            }
            match batch {
                Stored::Wire(b) => {
                    if b.end_offset() > self.high_watermark {
                        break;
                    }
                    let size = b.bytes().len();
                    if first {
                        limit = limit.max(size);
                    }
                    flush(&mut encoded, &mut read);
                    let room = limit - read.bytes;
                    if size > room {
                        push_chunk(&mut read, b.bytes().slice(..room), 0);
                        break;
                    }
                    push_chunk(&mut read, b.bytes().clone(), u64::from(b.info().records));
                }
                Stored::Compact(b) => {
                    let room = limit - taken;
                    let from = offset.max(b.base_offset());
                    let before = encoded.len();
                    let n = b.encode(from, self.high_watermark, room, &mut encoded);
                    let grown = encoded.len() - before;
                    if grown > room && !first {
                        encoded.truncate(before);
                        break;
                    }
                    limit = limit.max(taken + grown);
                    read.records += u64::from(n);
                    if from + i64::from(n) < b.end_offset() {
                        break;
                    }
                }
            }
        }
        flush(&mut encoded, &mut read);
        read.chunks.retain(|c| !c.is_empty());
        Ok(read)
    }

    /// Calls `visit` with the keys of the newest records up to the log end, replicated or
    /// not (the strips draw both), oldest first: at most `n`, and only as far back as the
    /// newest batches can be looked into with `limit` bytes decompressed or scanned in all. A batch too large to look into
    /// leaves it and the records before it unvisited (unknown). Only the batches holding
    /// those records are touched, never the rest of the log.
    pub fn tail_keys(&self, n: usize, limit: usize, mut visit: impl FnMut(Option<&[u8]>)) {
        let end = self.end_offset;
        let from = end.saturating_sub(n as i64).max(self.log_start_offset);
        if from >= end {
            return;
        }
        let (first, last) = (self.batch_index(from), self.batch_index(end - 1));
        let mut spent = 0usize;
        let mut start = first;
        let mut bodies: Vec<Option<Bytes>> = Vec::with_capacity(last + 1 - first);
        for i in (first..=last).rev() {
            let body = match &self.batches[i] {
                Stored::Compact(_) => None,
                Stored::Wire(b) => match b.body(limit - spent) {
                    Ok(body) if body.len() <= limit - spent => {
                        spent += body.len();
                        Some(body)
                    }
                    _ => {
                        start = i + 1;
                        break;
                    }
                },
            };
            bodies.push(body);
        }
        for (i, body) in (start..=last).zip(bodies.into_iter().rev()) {
            match (&self.batches[i], body) {
                (Stored::Compact(b), _) => {
                    let skip = (from - b.base_offset()).max(0);
                    let take = end.min(b.end_offset()) - b.base_offset() - skip;
                    for r in b.records(skip as u32).take(take.max(0) as usize) {
                        visit(r.key.map(|k| &k[..]));
                    }
                }
                (Stored::Wire(b), Some(body)) => {
                    for (at, r) in (b.base_offset()..end).zip(b.records(&body)) {
                        let Ok(r) = r else { break };
                        if at >= from {
                            visit(r.key);
                        }
                    }
                }
                (Stored::Wire(_), None) => {
                    unreachable!("every stored batch looked into has a body")
                }
            }
        }
    }

    /// Kafka's ListOffsets for this partition.
    pub fn list_offset(&self, spec: OffsetSpec) -> Option<i64> {
        match spec {
            OffsetSpec::Earliest => Some(self.log_start_offset),
            OffsetSpec::Latest => Some(self.high_watermark),
            OffsetSpec::Timestamp(ts) => self
                .offset_for_timestamp(ts, MAX_LOOK_INSIDE_BYTES)
                .map(|(offset, _)| offset),
        }
    }

    /// The first record below the high watermark whose timestamp is at or after `ts`, with
    /// that timestamp. The batch holding it is the first whose newest timestamp reaches
    /// `ts`; inside it the records are read, decompressing at most `limit` bytes. A batch
    /// too large to look into answers with its first record, the earliest it could be.
    pub fn offset_for_timestamp(&self, ts: i64, limit: usize) -> Option<(i64, i64)> {
        let first = if self.timestamps_monotonic {
            self.batches.partition_point(|b| b.max_timestamp() < ts)
        } else {
            0
        };
        self.batches
            .range(first..)
            .filter(|b| b.max_timestamp() >= ts)
            .find_map(|b| self.first_at_or_after(b, ts, limit))
            .filter(|(offset, _)| *offset < self.high_watermark)
    }

    /// The first record of `batch` from the log start on whose timestamp reaches `ts`.
    fn first_at_or_after(&self, batch: &Stored, ts: i64, limit: usize) -> Option<(i64, i64)> {
        let start = self.log_start_offset;
        match batch {
            Stored::Compact(b) => (b.base_offset()..)
                .zip(b.records(0))
                .find(|(_, r)| r.timestamp >= ts)
                .map(|(o, r)| (o, r.timestamp)),
            Stored::Wire(b) => match b.body(limit) {
                Ok(body) => (b.base_offset()..)
                    .zip(b.records(&body))
                    .map_while(|(o, r)| r.ok().map(|r| (o, r.timestamp)))
                    .find(|(o, t)| *t >= ts && *o >= start),
                Err(_) => Some((b.base_offset().max(start), b.info().first_timestamp)),
            },
        }
    }
}

fn push_chunk(read: &mut WireRead, chunk: Bytes, records: u64) {
    read.bytes += chunk.len();
    read.records += records;
    read.chunks.push(chunk);
}

/// Moves what was encoded so far into a chunk of its own.
fn flush(encoded: &mut Vec<u8>, read: &mut WireRead) {
    if !encoded.is_empty() {
        push_chunk(read, Bytes::from(std::mem::take(encoded)), 0);
    }
}
