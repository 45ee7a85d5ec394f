//! The part of a frame's snapshot that comes from the network server: its address and
//! connections for the header, and each client, by `client.id`, beside the simulated
//! producers.

use std::net::SocketAddr;

use crate::server::ClientStats;

use super::{ProducerView, ServerInfo, View};

/// Adds the server's address, its connection count and its clients to `view`. Called after
/// the simulation's part, which it extends rather than replaces.
pub fn fill_from_server(
    listen: SocketAddr,
    connections: usize,
    clients: &[ClientStats],
    view: &mut View,
) {
    view.header.server = Some(ServerInfo {
        listen: listen.to_string(),
        connections,
    });
    for c in clients {
        let name = if c.client_id.is_empty() {
            "(no client.id)".to_string()
        } else {
            c.client_id.clone()
        };
        // A client that both produces and fetches gets a row for each, so each rate has
        // its own column entry.
        if c.produced_records > 0 {
            view.producers.push(ProducerView {
                name: name.clone(),
                topic: "(network)".to_string(),
                rate: c.produce_rate,
                keys: "client".to_string(),
                partitioner: "client".to_string(),
                produced: c.produced_records,
            });
        }
        if c.fetched_records > 0 {
            view.producers.push(ProducerView {
                name,
                topic: "(network)".to_string(),
                rate: c.fetch_rate,
                keys: "fetching".to_string(),
                partitioner: "-".to_string(),
                produced: c.fetched_records,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, produced: u64, fetched: u64) -> ClientStats {
        let mut c = ClientStats::default();
        c.client_id = id.to_string();
        c.connections = 1;
        c.produced_records = produced;
        c.fetched_records = fetched;
        c.produce_rate = produced as f64;
        c.fetch_rate = fetched as f64;
        c
    }

    #[test]
    fn header_and_client_rows() {
        let clients = [
            client("kcat", 100, 0),
            client("py", 5, 7),
            client("idle", 0, 0),
        ];
        let mut view = View::default();
        fill_from_server("127.0.0.1:9092".parse().unwrap(), 2, &clients, &mut view);
        let server = view.header.server.as_ref().unwrap();
        assert_eq!(server.listen, "127.0.0.1:9092");
        assert_eq!(server.connections, 2);
        let rows: Vec<(&str, &str, u64)> = view
            .producers
            .iter()
            .map(|p| (p.name.as_str(), p.keys.as_str(), p.produced))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("kcat", "client", 100),
                ("py", "client", 5),
                ("py", "fetching", 7)
            ],
            "a client that did nothing yet has no row"
        );
    }
}
