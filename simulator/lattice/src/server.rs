//! The router on a loopback TCP socket, with keep-alive and TCP_NODELAY (a keep-alive
//! server that writes headers and body separately stalls on Nagle + delayed ACK:
//! lattice-api.md §13).

use std::future::Future;
use std::net::SocketAddr;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::{Simulator, wire};

/// A bound server, not yet running.
pub struct Server {
    listener: TcpListener,
    sim: Simulator,
}

impl Server {
    /// Binds `addr` (port 0 picks a free one).
    pub async fn bind(addr: SocketAddr, sim: Simulator) -> std::io::Result<Self> {
        Ok(Self { listener: TcpListener::bind(addr).await?, sim })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, wire::router(self.sim)).with_graceful_shutdown(shutdown).await
    }
}

/// Starts a server on `127.0.0.1` in the background; returns its address.
pub async fn spawn_loopback(sim: Simulator) -> std::io::Result<SocketAddr> {
    let server = Server::bind(SocketAddr::from(([127, 0, 0, 1], 0)), sim).await?;
    let addr = server.local_addr()?;
    tokio::spawn(server.run(std::future::pending()));
    Ok(addr)
}
