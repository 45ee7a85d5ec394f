//! Which version of each read API to speak to a broker: the newest both sides know.

use std::collections::BTreeMap;

use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};

/// The versions the observer builds requests for. Upper bounds stop where a version names
/// topics by id only (Fetch 13, OffsetFetch 10, Metadata 13 is the same as 12 for us).
const OURS: &[(ApiKey, i16, i16)] = &[
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::Metadata, 1, 12),
    (ApiKey::ListOffsets, 1, 10),
    (ApiKey::FindCoordinator, 0, 6),
    (ApiKey::ListGroups, 0, 5),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::ConsumerGroupDescribe, 0, 1),
    (ApiKey::OffsetFetch, 1, 9),
    (ApiKey::Fetch, 4, 12),
    // v1 wraps the mechanism's messages in SaslAuthenticate, the only way this client speaks.
    (ApiKey::SaslHandshake, 1, 1),
    (ApiKey::SaslAuthenticate, 0, 2),
];

/// The version of each API this observer and one broker share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Versions {
    chosen: BTreeMap<i16, i16>,
}

impl Versions {
    /// Chooses from a broker's ApiVersions answer. An API missing on either side is absent.
    pub fn negotiate(theirs: &ApiVersionsResponse) -> Versions {
        let mut chosen = BTreeMap::new();
        for &(api, min, max) in OURS {
            let key = api as i16;
            if let Some(v) = theirs.api_keys.iter().find(|v| v.api_key == key) {
                let (lo, hi) = (min.max(v.min_version), max.min(v.max_version));
                if lo <= hi {
                    chosen.insert(key, hi);
                }
            }
        }
        Versions { chosen }
    }

    /// Before negotiation, a new connection speaks only ApiVersions.
    pub fn bootstrap() -> Versions {
        Versions {
            chosen: BTreeMap::from([(ApiKey::ApiVersions as i16, 3)]),
        }
    }

    /// The version to send `api` at, or `None` when the broker does not offer it.
    pub fn get(&self, api: ApiKey) -> Option<i16> {
        self.chosen.get(&(api as i16)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::api_versions_response::ApiVersion;

    fn offered(apis: &[(ApiKey, i16, i16)]) -> ApiVersionsResponse {
        ApiVersionsResponse::default().with_api_keys(
            apis.iter()
                .map(|&(k, lo, hi)| {
                    ApiVersion::default()
                        .with_api_key(k as i16)
                        .with_min_version(lo)
                        .with_max_version(hi)
                })
                .collect(),
        )
    }

    #[test]
    fn the_newest_shared_version_wins_and_gaps_are_absent() {
        let v = Versions::negotiate(&offered(&[
            (ApiKey::Metadata, 0, 13),
            (ApiKey::OffsetFetch, 1, 7),
            (ApiKey::Fetch, 13, 17),
            (ApiKey::Produce, 3, 9),
        ]));
        assert_eq!(v.get(ApiKey::Metadata), Some(12));
        assert_eq!(v.get(ApiKey::OffsetFetch), Some(7));
        assert_eq!(v.get(ApiKey::Fetch), None, "no version in common");
        assert_eq!(v.get(ApiKey::ConsumerGroupDescribe), None, "not offered");
        assert_eq!(v.get(ApiKey::Produce), None, "never ours to send");
    }
}
