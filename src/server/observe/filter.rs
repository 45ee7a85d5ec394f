//! Which topics and groups to watch: `--topic REGEX`, `--group REGEX` (each matching the
//! whole name, as Kafka's own tools match their patterns), and Kafka's internal topics only
//! when asked.

use regex::Regex;

/// The topic and group filters of one observer.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    topic: Option<Regex>,
    group: Option<Regex>,
    include_internal: bool,
}

impl Filter {
    /// Filters from the flags' patterns; a pattern that does not compile is an error.
    pub fn new(
        topic: Option<&str>,
        group: Option<&str>,
        include_internal: bool,
    ) -> Result<Filter, regex::Error> {
        let whole = |p: &str| Regex::new(&format!("^(?:{p})$"));
        Ok(Filter {
            topic: topic.map(whole).transpose()?,
            group: group.map(whole).transpose()?,
            include_internal,
        })
    }

    /// Whether to show `name`; `internal` is what Metadata says of it.
    pub fn topic(&self, name: &str, internal: bool) -> bool {
        (self.include_internal || !(internal || is_internal(name)))
            && self.topic.as_ref().is_none_or(|r| r.is_match(name))
    }

    /// Whether to show group `name`.
    pub fn group(&self, name: &str) -> bool {
        self.group.as_ref().is_none_or(|r| r.is_match(name))
    }
}

/// Kafka's own topics: `__consumer_offsets`, `__transaction_state` and anything else named
/// with two leading underscores.
pub fn is_internal(topic: &str) -> bool {
    topic.starts_with("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_names_and_internal_topics_hide() {
        let f = Filter::new(Some("orders|pay.*"), Some("bill.*"), false).unwrap();
        assert!(f.topic("orders", false));
        assert!(f.topic("payments", false));
        assert!(!f.topic("orders-dlq", false), "the whole name must match");
        assert!(f.group("billing"));
        assert!(!f.group("audit"));
        let all = Filter::new(None, None, false).unwrap();
        assert!(!all.topic("__consumer_offsets", true));
        assert!(!all.topic("__strimzi", false));
        assert!(!all.topic("metrics", true), "Metadata's flag counts too");
        let internal = Filter::new(None, None, true).unwrap();
        assert!(internal.topic("__consumer_offsets", true));
        assert!(Filter::new(Some("("), None, false).is_err());
    }
}
