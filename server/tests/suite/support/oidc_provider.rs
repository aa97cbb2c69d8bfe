//! A real RFC 7591/7592 authorization server for tests: panva's
//! oidc-provider (tests/peers/oidc-provider), started on a loopback port.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::smtp::free_port;

pub struct OidcProvider {
    /// `http://127.0.0.1:{port}`.
    pub issuer: String,
    child: Child,
}

impl OidcProvider {
    /// Starts it, requiring `initial_access_token` to register when given,
    /// and waits until its metadata answers.
    pub async fn start(initial_access_token: Option<&str>) -> OidcProvider {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/oidc-provider");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "oidc-provider is not installed: run `npm ci` in {}",
            dir.display()
        );
        let port = free_port();
        let mut command = Command::new("node");
        command
            .current_dir(&dir)
            .arg("server.mjs")
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(token) = initial_access_token {
            command.arg(token);
        }
        let child = command.spawn().expect("node (oidc-provider)");
        let issuer = format!("http://127.0.0.1:{port}");
        let metadata = format!("{issuer}/.well-known/openid-configuration");
        for _ in 0..100 {
            if let Ok(answer) = reqwest::get(&metadata).await {
                if answer.status().is_success() {
                    return OidcProvider { issuer, child };
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("oidc-provider did not answer at {metadata}");
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
