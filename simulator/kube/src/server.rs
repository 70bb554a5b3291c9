//! Serving a cluster on loopback: plain HTTP (anonymous, or a matching token) and HTTPS
//! (the cluster's CA and leaf; a token is required), HTTP/1.1 with TCP_NODELAY.

use std::net::SocketAddr;

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::cluster::Cluster;
use crate::http::{Auth, router};

/// A running listener; dropping it stops accepting connections.
pub struct Listener {
    pub addr: SocketAddr,
    pub tls: bool,
    task: JoinHandle<()>,
}

impl Listener {
    pub fn url(&self) -> String {
        format!("{}://{}", if self.tls { "https" } else { "http" }, self.addr)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `cluster` over plain HTTP on `addr` (port 0 picks a free one).
pub async fn serve_http(cluster: &Cluster, addr: SocketAddr) -> std::io::Result<Listener> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = router(cluster.clone(), Auth::IfPresent);
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let _ = tcp.set_nodelay(true);
            let app = app.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(app))
                    .await;
            });
        }
    });
    Ok(Listener { addr, tls: false, task })
}

/// Serves `cluster` over HTTPS on `addr` with its generated CA and leaf certificate.
pub async fn serve_https(cluster: &Cluster, addr: SocketAddr) -> std::io::Result<Listener> {
    let config = cluster.tls().and_then(|t| t.server_config()).map_err(std::io::Error::other)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = router(cluster.clone(), Auth::Required);
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let _ = tcp.set_nodelay(true);
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
                    .await;
            });
        }
    });
    Ok(Listener { addr, tls: true, task })
}
