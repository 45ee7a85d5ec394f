//! Immutable records, as stored in a partition's log and handed to readers.

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

/// A record in a log. Once appended it cannot change: its fields are private and
/// payloads are reference-counted [`Bytes`], so every reader shares the same bytes.
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
    pub(crate) fn from_new(offset: i64, new: NewRecord) -> Self {
        let payload =
            new.key.as_ref().map_or(0, Bytes::len) + new.value.as_ref().map_or(0, Bytes::len);
        // Most records carry no headers: skip the header walk and the shared slice for them.
        let (headers, headers_len) = if new.headers.is_empty() {
            (None, 0)
        } else {
            let len: usize = new
                .headers
                .iter()
                .map(|h| h.key.len() + h.value.as_ref().map_or(0, Bytes::len))
                .sum();
            (Some(Arc::from(new.headers)), len)
        };
        Record {
            offset,
            timestamp_ms: new.timestamp_ms,
            key: new.key,
            value: new.value,
            headers,
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
    fn clones_share_payloads() {
        let value = Bytes::from(vec![7u8; 1024]);
        let r = Record::from_new(0, NewRecord::new(1, Some(Bytes::from_static(b"k")), value));
        let c = r.clone();
        assert_eq!(
            r.value().unwrap().as_ptr(),
            c.value().unwrap().as_ptr(),
            "a clone must point at the same bytes"
        );
        assert_eq!(r.size_bytes(), 1025);
    }

    #[test]
    fn size_counts_headers() {
        let mut n = NewRecord::new(0, None, Bytes::from_static(b"abc"));
        n.headers.push(Header {
            key: "trace".into(),
            value: Some(Bytes::from_static(b"12")),
        });
        let r = Record::from_new(5, n);
        assert_eq!(r.size_bytes(), 3 + 5 + 2);
        assert_eq!(r.headers().len(), 1);
        assert_eq!(r.offset(), 5);
    }
}
