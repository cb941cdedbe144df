//! A TCP proxy in front of Postgres that a test can cut and restore, or silence: a database
//! outage and recovery without stopping the server the other tests share, and a network that
//! drops every packet without closing anything.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forwarding,
    /// Open connections are cut, new ones refused.
    Down,
    /// Open connections stay open but carry nothing, either way; new ones are accepted and
    /// carry nothing either.
    Blackhole,
}

pub struct DbProxy {
    pub port: u16,
    mode: watch::Sender<Mode>,
}

impl DbProxy {
    /// Starts forwarding 127.0.0.1:{port} to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let (mode, _) = watch::channel(Mode::Forwarding);
        let modes = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut mode = modes.subscribe();
                let now = *mode.borrow_and_update();
                match now {
                    Mode::Down => drop(client), // The "server" is down: hang up at once.
                    Mode::Blackhole => {
                        tokio::spawn(async move {
                            // Hold the connection without a word until the silence ends.
                            let _client = client;
                            let _ = mode.wait_for(|mode| *mode != Mode::Blackhole).await;
                        });
                    }
                    Mode::Forwarding => {
                        tokio::spawn(forward(client, upstream, mode));
                    }
                }
            }
        });
        Self { port, mode }
    }

    /// The database goes away: open connections are cut, new ones refused.
    pub fn stop(&self) {
        self.mode.send_replace(Mode::Down);
    }

    /// The database is back.
    pub fn restart(&self) {
        self.mode.send_replace(Mode::Forwarding);
    }

    /// The network goes silent: nothing reaches either side, and nothing is closed. Open
    /// connections stay silent (and are closed once the silence ends, as a peer that timed
    /// out would); new ones are accepted into the same silence.
    pub fn blackhole(&self) {
        self.mode.send_replace(Mode::Blackhole);
    }

    /// The silence ends: new connections are forwarded again.
    pub fn heal(&self) {
        self.restart();
    }
}

async fn forward(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => return,
        _ = mode.wait_for(|mode| *mode != Mode::Forwarding) => {}
    }
    if *mode.borrow() == Mode::Blackhole {
        // Stop reading and writing, but keep both sockets open until the silence ends.
        let _ = mode.wait_for(|mode| *mode != Mode::Blackhole).await;
    }
}
