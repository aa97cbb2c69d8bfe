//! Real RFC 7591/7592 authorization servers for tests, started on a
//! loopback port: panva's oidc-provider (tests/peers/oidc-provider, Node.js)
//! and a small server on Authlib's registration endpoints
//! (tests/peers/authlib, Python). Both list the clients they hold at
//! `GET /test/clients` and delete one behind the registrant's back at
//! `DELETE /test/clients/{id}`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::smtp::free_port;

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    OidcProvider,
    Authlib,
}

impl Peer {
    fn command(self, dir: &std::path::Path) -> Command {
        match self {
            Peer::OidcProvider => {
                assert!(
                    dir.join("node_modules/oidc-provider").exists(),
                    "oidc-provider is not installed: run `npm ci` in {}",
                    dir.display()
                );
                let mut command = Command::new("node");
                command.arg("server.mjs");
                command
            }
            Peer::Authlib => {
                let mut command = Command::new("python3");
                command.arg("server.py");
                command
            }
        }
    }

    fn folder(self) -> &'static str {
        match self {
            Peer::OidcProvider => "tests/peers/oidc-provider",
            Peer::Authlib => "tests/peers/authlib",
        }
    }

    /// The metadata document it publishes (Authlib's only the RFC 8414 one).
    fn metadata_path(self) -> &'static str {
        match self {
            Peer::OidcProvider => "/.well-known/openid-configuration",
            Peer::Authlib => "/.well-known/oauth-authorization-server",
        }
    }
}

pub struct PeerServer {
    /// `http://127.0.0.1:{port}`, or the proxy's origin it was started as.
    pub issuer: String,
    child: Child,
}

impl PeerServer {
    /// Starts `peer`, requiring `initial_access_token` to register when
    /// given, and waits until its metadata answers.
    pub async fn start(peer: Peer, initial_access_token: Option<&str>) -> PeerServer {
        let port = free_port();
        Self::start_as(
            peer,
            initial_access_token,
            port,
            &format!("http://127.0.0.1:{port}"),
        )
        .await
    }

    /// Starts `peer` on `port`, naming itself `issuer` (a proxy's origin in
    /// front of it), and waits until its metadata answers there.
    pub async fn start_as(
        peer: Peer,
        initial_access_token: Option<&str>,
        port: u16,
        issuer: &str,
    ) -> PeerServer {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(peer.folder());
        let mut command = peer.command(&dir);
        command
            .current_dir(&dir)
            .arg(port.to_string())
            .arg(initial_access_token.unwrap_or(""))
            .arg(issuer)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let child = command.spawn().unwrap_or_else(|e| panic!("{peer:?}: {e}"));
        let issuer = issuer.to_owned();
        let metadata = format!("{issuer}{}", peer.metadata_path());
        for _ in 0..150 {
            if let Ok(answer) = reqwest::get(&metadata).await {
                if answer.status().is_success() {
                    return PeerServer { issuer, child };
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{peer:?} did not answer at {metadata}");
    }

    /// Every client the server holds (its test listing).
    pub async fn clients(&self) -> Vec<serde_json::Value> {
        reqwest::get(format!("{}/test/clients", self.issuer))
            .await
            .expect("the peer's client list")
            .json()
            .await
            .expect("a JSON list")
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// What openid-client (the end-to-end suite's copy) gets from `issuer`'s
/// token endpoint by client credentials with `client_secret_basic`: the
/// token response's `scope`, or the library's error.
pub async fn openid_client_token(
    peer: Peer,
    issuer: &str,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> Result<String, String> {
    const SCRIPT: &str = r#"
import * as oidc from "openid-client";
const [issuer, id, secret, scope, algorithm] = process.argv.slice(1);
try {
  const config = await oidc.discovery(new URL(issuer), id, undefined, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
    algorithm,
  });
  const tokens = await oidc.clientCredentialsGrant(config, { scope });
  console.log(tokens.access_token ? `scope=${tokens.scope ?? ""}` : "no access token");
} catch (e) {
  console.log(`error=${e.message}`);
}
"#;
    let algorithm = match peer {
        Peer::OidcProvider => "oidc",
        Peer::Authlib => "oauth2",
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end");
    let output = Command::new("node")
        .current_dir(&dir)
        .args([
            "--input-type=module",
            "-e",
            SCRIPT,
            issuer,
            client_id,
            secret,
            scope,
            algorithm,
        ])
        .output()
        .await
        .expect("node with the end-to-end suite's openid-client (npm ci in end2end)");
    let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    said.strip_prefix("scope=").map(str::to_owned).ok_or(said)
}
