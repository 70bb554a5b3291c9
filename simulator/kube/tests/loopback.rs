//! The same clusters over loopback: plain HTTP and HTTPS (CA + leaf) with bearer tokens,
//! reached through a generated kubeconfig with one context per cluster.

mod common;

use std::net::SocketAddr;

use common::cluster;
use futures::TryStreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ObjectMeta, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use sim_kube::kubeconfig::{Endpoint, render};
use sim_kube::server::{serve_http, serve_https};

const LOOPBACK: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

async fn client_for(kubeconfig: &str, context: &str) -> anyhow::Result<Client> {
    let kc = Kubeconfig::from_yaml(kubeconfig)?;
    let config =
        Config::from_custom_kubeconfig(kc, &KubeConfigOptions { context: Some(context.into()), ..Default::default() })
            .await?;
    Ok(Client::try_from(config)?)
}

fn cm(name: &str) -> ConfigMap {
    ConfigMap { metadata: ObjectMeta { name: Some(name.into()), ..Default::default() }, ..Default::default() }
}

#[tokio::test]
async fn two_clusters_over_https_and_http_with_one_kubeconfig() -> anyhow::Result<()> {
    let (a, b) = (cluster("cluster-a"), cluster("cluster-b"));
    let (la, lb) = (serve_https(&a, LOOPBACK).await?, serve_http(&b, LOOPBACK).await?);
    let yaml = render(&[
        Endpoint {
            name: "cluster-a".into(),
            server: la.url(),
            ca_pem: Some(a.ca_pem().map_err(anyhow::Error::msg)?),
            token: a.token().into(),
            namespace: "default".into(),
        },
        Endpoint {
            name: "cluster-b".into(),
            server: lb.url(),
            ca_pem: None,
            token: b.token().into(),
            namespace: "default".into(),
        },
    ]);
    for (context, name) in [("cluster-a", "in-a"), ("cluster-b", "in-b")] {
        let cms: Api<ConfigMap> = Api::default_namespaced(client_for(&yaml, context).await?);
        cms.create(&PostParams::default(), &cm(name)).await?;
    }
    // Each cluster holds only its own object.
    let in_a: Api<ConfigMap> = Api::default_namespaced(a.client());
    let in_b: Api<ConfigMap> = Api::default_namespaced(b.client());
    assert!(in_a.get_opt("in-a").await?.is_some() && in_a.get_opt("in-b").await?.is_none());
    assert!(in_b.get_opt("in-b").await?.is_some() && in_b.get_opt("in-a").await?.is_none());
    Ok(())
}

#[tokio::test]
async fn wrong_or_missing_tokens_are_401() -> anyhow::Result<()> {
    let a = cluster("cluster-a");
    let (tls, plain) = (serve_https(&a, LOOPBACK).await?, serve_http(&a, LOOPBACK).await?);
    let ca = a.ca_pem().map_err(anyhow::Error::msg)?;
    for (server, ca, token, expected) in [
        (tls.url(), Some(ca.clone()), "wrong", Some(401)),
        (tls.url(), Some(ca.clone()), "", Some(401)),
        (plain.url(), None, "wrong", Some(401)),
        (plain.url(), None, "", None),
    ] {
        let mut yaml = render(&[Endpoint {
            name: "c".into(),
            server: server.clone(),
            ca_pem: ca,
            token: token.into(),
            namespace: "default".into(),
        }]);
        if token.is_empty() {
            yaml = yaml.replace("token: ''", "{}").replace("token: \"\"", "{}");
        }
        let cms: Api<ConfigMap> = Api::default_namespaced(client_for(&yaml, "c").await?);
        match (cms.list(&Default::default()).await, expected) {
            (Err(kube::Error::Api(s)), Some(code)) => {
                assert_eq!(
                    (s.code, s.reason.as_str(), s.message.as_str()),
                    (code, "Unauthorized", "Unauthorized"),
                    "{server} token {token:?}"
                );
            }
            (Ok(_), None) => {}
            (other, _) => panic!("{server} token {token:?}: {other:?}"),
        }
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn watch_timeout_is_honoured_exactly() -> anyhow::Result<()> {
    let a = cluster("cluster-a");
    let cms: Api<ConfigMap> = Api::default_namespaced(a.client());
    let started = tokio::time::Instant::now();
    let stream = cms.watch(&WatchParams::default().timeout(290).disable_bookmarks(), "0").await?;
    let events: Vec<WatchEvent<ConfigMap>> = stream.try_collect().await?;
    assert!(events.is_empty());
    assert_eq!(started.elapsed().as_secs(), 290);
    // A bookmark just before the close when asked for.
    let stream = cms.watch(&WatchParams::default().timeout(5), "0").await?;
    let events: Vec<WatchEvent<ConfigMap>> = stream.try_collect().await?;
    assert!(matches!(events.last(), Some(WatchEvent::Bookmark(_))), "{events:?}");

    Ok(())
}
