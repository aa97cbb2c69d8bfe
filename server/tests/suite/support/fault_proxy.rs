//! A TCP proxy on loopback in front of a real server, which makes the
//! faults a network makes: the server down (nothing listens), an answer
//! the proxy makes up (503 with `Retry-After`), and an answer lost after
//! the server acted on the request.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does with one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Passes it through.
    Pass,
    /// Answers this status itself (with `Retry-After` seconds if given);
    /// the server never sees the request.
    Status(u16, Option<u64>),
    /// Passes the request on, lets the server answer, and closes the
    /// connection without passing the answer back.
    LoseAnswer,
}

pub struct FaultProxy {
    /// `http://127.0.0.1:{port}`: where to point Sidecar.
    pub origin: String,
    addr: SocketAddr,
    upstream: SocketAddr,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    listening: Mutex<Option<JoinHandle<()>>>,
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://127.0.0.1:{port}`), listening.
    pub async fn start(upstream: &str) -> FaultProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("upstream host:port");
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = socket.local_addr().unwrap();
        let proxy = FaultProxy {
            origin: format!("http://{addr}"),
            addr,
            upstream,
            faults: Arc::default(),
            listening: Mutex::new(None),
        };
        proxy.listen_on(socket);
        proxy
    }

    fn listen_on(&self, socket: TcpSocket) {
        let listener = socket.listen(64).unwrap();
        let faults = self.faults.clone();
        let upstream = self.upstream;
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let fault = faults.lock().unwrap().pop_front().unwrap_or(Fault::Pass);
                tokio::spawn(handle(client, upstream, fault));
            }
        });
        *self.listening.lock().unwrap() = Some(task);
    }

    /// The next connections meet these faults, in order; then all pass.
    pub fn then(&self, faults: &[Fault]) {
        self.faults.lock().unwrap().extend(faults.iter().cloned());
    }

    /// Stops listening: connections are refused, as from a server that is down.
    pub fn go_down(&self) {
        if let Some(task) = self.listening.lock().unwrap().take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn come_back(&self) {
        for _ in 0..50 {
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_reuseaddr(true).unwrap();
            if socket.bind(self.addr).is_ok() {
                self.listen_on(socket);
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the proxy could not listen on {} again", self.addr);
    }
}

/// Reads one HTTP request's head and body (by `Content-Length`).
async fn read_request(client: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = client.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return buf;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return buf;
            }
        }
    }
}

async fn handle(mut client: TcpStream, upstream: SocketAddr, fault: Fault) {
    match fault {
        Fault::Pass => {
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        }
        Fault::Status(status, retry_after) => {
            read_request(&mut client).await;
            let retry = retry_after
                .map(|s| format!("retry-after: {s}\r\n"))
                .unwrap_or_default();
            let body = r#"{"error":"temporarily_unavailable"}"#;
            let answer = format!(
                "HTTP/1.1 {status} Fault\r\ncontent-type: application/json\r\n{retry}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(answer.as_bytes()).await;
            let _ = client.shutdown().await;
        }
        Fault::LoseAnswer => {
            let request = read_request(&mut client).await;
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                let _ = server.write_all(&request).await;
                // Wait for the server's answer, and throw it away.
                let mut answer = [0u8; 4096];
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), server.read(&mut answer)).await;
            }
            drop(client);
        }
    }
}
