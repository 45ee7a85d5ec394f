//! Records one at a time, as the library API takes and hands them out. The log itself
//! keeps batches (see `batch` and `compact`); a [`Record`] is read out of one.

use std::sync::Arc;

use bytes::Bytes;

/// A record header: a key and an optional value, as in Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header name.
    pub key: String,
    /// Its value, if any.
    pub value: Option<Bytes>,
}

impl Header {
    fn size_bytes(&self) -> usize {
        self.key.len() + self.value.as_ref().map_or(0, Bytes::len)
    }
}

/// What a producer hands to the broker: everything but the offset, which the log assigns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewRecord {
    /// Milliseconds since the epoch (or the simulation's start), as the producer set it.
    pub timestamp_ms: i64,
    /// The key, if any; it decides the partition.
    pub key: Option<Bytes>,
    /// The value; `None` is a tombstone.
    pub value: Option<Bytes>,
    /// Headers, in order.
    pub headers: Vec<Header>,
}

impl NewRecord {
    /// A record with a value and optional key, and no headers.
    pub fn new(timestamp_ms: i64, key: Option<Bytes>, value: impl Into<Bytes>) -> Self {
        NewRecord {
            timestamp_ms,
            key,
            value: Some(value.into()),
            headers: Vec::new(),
        }
    }
}

/// A record read from a log. It cannot change: its fields are private and payloads are
/// reference-counted [`Bytes`] slices of the stored batch, so every reader shares them.
///
/// Cloning a record copies no payload: it bumps reference counts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    offset: i64,
    timestamp_ms: i64,
    key: Option<Bytes>,
    value: Option<Bytes>,
    // `None` rather than an empty slice so that the common header-less record costs no
    // reference count on clone.
    headers: Option<Arc<[Header]>>,
    size_bytes: u32,
}

impl Record {
    /// A record read out of a batch; its size is worked out here.
    pub(crate) fn from_parts(
        offset: i64,
        timestamp_ms: i64,
        key: Option<Bytes>,
        value: Option<Bytes>,
        headers: Option<Vec<Header>>,
    ) -> Self {
        let payload = key.as_ref().map_or(0, Bytes::len) + value.as_ref().map_or(0, Bytes::len);
        let headers_len: usize = headers.iter().flatten().map(Header::size_bytes).sum();
        Record {
            offset,
            timestamp_ms,
            key,
            value,
            headers: headers.map(Arc::from),
            size_bytes: u32::try_from(payload + headers_len).unwrap_or(u32::MAX),
        }
    }

    /// The record's position in its partition: dense, starting at 0.
    pub fn offset(&self) -> i64 {
        self.offset
    }
    /// Producer-supplied (or append) time, in milliseconds.
    pub fn timestamp_ms(&self) -> i64 {
        self.timestamp_ms
    }
    /// The key, if any.
    pub fn key(&self) -> Option<&Bytes> {
        self.key.as_ref()
    }
    /// The value; `None` is a tombstone.
    pub fn value(&self) -> Option<&Bytes> {
        self.value.as_ref()
    }
    /// Headers, in order.
    pub fn headers(&self) -> &[Header] {
        self.headers.as_deref().unwrap_or(&[])
    }
    /// Payload bytes (key, value and headers) counted against size-based retention and fetch limits.
    pub fn size_bytes(&self) -> u32 {
        self.size_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_counts_key_value_and_headers() {
        let headers = vec![Header {
            key: "trace".into(),
            value: Some(Bytes::from_static(b"12")),
        }];
        let r = Record::from_parts(
            5,
            0,
            Some(Bytes::from_static(b"k")),
            Some(Bytes::from_static(b"abc")),
            Some(headers),
        );
        assert_eq!(r.size_bytes(), 1 + 3 + 5 + 2);
        assert_eq!(r.headers().len(), 1);
        assert_eq!(r.offset(), 5);
        let bare = Record::from_parts(0, 0, None, None, None);
        assert!(bare.headers().is_empty());
        assert_eq!(bare.size_bytes(), 0);
    }
}
