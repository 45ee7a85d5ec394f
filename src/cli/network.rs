//! The Kafka listener beside the UI or `serve`, as the driver sees it: bound on the
//! driver's clock, with the handles the driver pokes when the broker changes under the
//! clients' feet.

use std::net::SocketAddr;

use crate::broker::SharedBroker;
use crate::server::{Server, ServerConfig, ServerError, ServerStats, WakeHandle};

use super::driver::RealTime;

/// What the driver wakes and watches on a running listener.
#[derive(Debug, Clone)]
pub(crate) struct Network {
    /// Wakes fetches waiting for records.
    pub appended: WakeHandle,
    /// Wakes joins and syncs waiting on a group.
    pub groups: WakeHandle,
    /// Connections and client traffic, which change the screen.
    pub stats: ServerStats,
}

/// Binds the listener on `broker`, with network clients' time on `clock`.
pub(crate) async fn bind(
    mut config: ServerConfig,
    broker: SharedBroker,
    clock: RealTime,
) -> Result<(Server, Network), ServerError> {
    // The driver ticks every group a simulation does not own, on this same clock; the
    // server's own timer would tick a simulation's groups too, on the wrong clock.
    config.tick_groups = false;
    let server = Server::bind(config, broker)
        .await?
        .with_time_source(clock.reader());
    let network = Network {
        appended: server.append_waker(),
        groups: server.group_waker(),
        stats: server.stats(),
    };
    Ok((server, network))
}

/// What `serve` prints on stdout once listening: the first broker's address first, as
/// it always did (scripts read the first line), then, in a cluster, every broker's.
pub(crate) fn address_lines(server: &Server) -> Vec<String> {
    let mut lines = vec![format!("minikafka listening on {}", server.local_addr())];
    let brokers = server.broker_addrs();
    if brokers.len() > 1 {
        lines.extend((brokers.iter()).map(|(id, addr)| format!("broker {id} listening on {addr}")));
    }
    lines
}

/// The warning for a listener that other machines can reach, if `addr` is one.
pub(crate) fn exposure_warning(addr: SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "listening on {addr}, which is not a loopback address; the server has no \
             authentication, so anyone who can reach it can read and write"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_beyond_loopback_are_warned_about() {
        assert_eq!(exposure_warning("127.0.0.1:9092".parse().unwrap()), None);
        assert_eq!(exposure_warning("[::1]:9092".parse().unwrap()), None);
        let warning = exposure_warning("0.0.0.0:9092".parse().unwrap()).unwrap();
        assert!(warning.contains("0.0.0.0:9092"), "{warning}");
        assert!(warning.contains("no authentication"), "{warning}");
    }
}
