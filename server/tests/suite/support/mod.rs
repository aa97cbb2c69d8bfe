//! Test harness: a real Sidecar on a loopback port with a fresh database
//! (SQLite by default; PostgreSQL when `SIDECAR_TEST_DATABASE=postgres`),
//! a manual clock, and mail written to a temporary folder.
#![allow(dead_code)]

pub mod fault_proxy;
pub mod peers;
pub mod smtp;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use engine::{Engine, ManualClock};
use reqwest::redirect::Policy;
use reqwest::{header, StatusCode};

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub data_dir: PathBuf,
}

#[derive(Default, Clone)]
pub struct Options {
    pub public_url: Option<String>,
    pub smtp_url: Option<String>,
    pub redis_url: Option<String>,
    /// A database URL to use instead of a fresh one.
    pub database_url: Option<String>,
    /// Lets server-side fetches reach loopback (receivers the test starts).
    pub allow_private_fetch: bool,
    /// `SIDECAR_SECRET_GRACE_HOURS`, when not the default.
    pub secret_grace_hours: Option<u32>,
    /// `SIDECAR_MASTER_KEY` (64 hex characters); replicas share one.
    pub master_key: Option<String>,
    /// Runs no provisioning worker in the process (other processes do).
    pub no_provisioning_worker: bool,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// A fresh PostgreSQL database (`SIDECAR_TEST_POSTGRES_URL`'s server).
pub async fn fresh_postgres_url() -> String {
    let admin_url = std::env::var("SIDECAR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("sidecar_t_{}", uuid::Uuid::new_v4().simple());
    let admin = engine::platform::db::connect(&admin_url)
        .await
        .expect("PostgreSQL for tests");
    sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("database URL with a path");
    format!("{base}/{name}")
}

/// The database URL for a fresh database of the backend under test.
pub async fn fresh_database_url(data_dir: &std::path::Path) -> String {
    match std::env::var("SIDECAR_TEST_DATABASE").as_deref() {
        Ok("postgres") => fresh_postgres_url().await,
        _ => format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("sidecar.db").display()
        ),
    }
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    if std::env::var_os("SIDECAR_TEST_LOG").is_some() {
        let _ = server::telemetry::init_logging(
            server::config::LogFormat::Text,
            server::telemetry::LogOutput::Inline,
        );
    }
    let data_dir =
        std::env::temp_dir().join(format!("sidecar-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let mut values = BTreeMap::new();
    values.insert("SIDECAR_ADDR".to_owned(), addr.to_string());
    values.insert(
        "PUBLIC_URL".to_owned(),
        options.public_url.clone().unwrap_or_else(|| base.clone()),
    );
    values.insert(
        "SIDECAR_DATA_DIR".to_owned(),
        data_dir.display().to_string(),
    );
    let database_url = match &options.database_url {
        Some(url) => url.clone(),
        None => fresh_database_url(&data_dir).await,
    };
    values.insert("DATABASE_URL".to_owned(), database_url);
    if let Some(smtp) = &options.smtp_url {
        values.insert("SMTP_URL".to_owned(), smtp.clone());
    }
    if let Some(hours) = options.secret_grace_hours {
        values.insert("SIDECAR_SECRET_GRACE_HOURS".to_owned(), hours.to_string());
    }
    if let Some(key) = &options.master_key {
        values.insert("SIDECAR_MASTER_KEY".to_owned(), key.clone());
    }
    if options.allow_private_fetch {
        values.insert("SIDECAR_ALLOW_PRIVATE_FETCH".to_owned(), "true".to_owned());
    }
    if let Some(redis) = &options.redis_url {
        values.insert("REDIS_URL".to_owned(), redis.clone());
    }
    let config = server::config::Config::from_values(&values).expect("config");
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let leptos = leptos::prelude::LeptosOptions::builder()
        .output_name("sidecar")
        .site_root("../target/site")
        .site_pkg_dir("pkg")
        .build();
    let sidecar = server::build(config, leptos, Some(clock.clone()))
        .await
        .expect("build sidecar");
    let engine = sidecar.engine.clone();
    tokio::spawn(sidecar.mail_worker.run());
    tokio::spawn(sidecar.webhook_worker.run());
    if !options.no_provisioning_worker {
        tokio::spawn(sidecar.provisioning_worker.run());
    }
    let router = sidecar.router;
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    TestApp {
        addr,
        base,
        client: client(),
        engine,
        clock,
        data_dir,
    }
}

/// A browser-like client: keeps cookies, does not follow redirects (tests
/// look at each 303), and sends our Origin on posts via `post_form`.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub struct Page {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `Set-Cookie` header of the session cookie, whole.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("sidecar_session="))
            .map(str::to_owned)
    }

    #[track_caller]
    pub fn assert_redirect(&self, to: &str) {
        assert_eq!(
            self.status,
            StatusCode::SEE_OTHER,
            "expected 303 to {to}, body: {}",
            self.body
        );
        assert_eq!(self.location(), to);
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "expected {text:?} in page:\n{}",
            self.body
        );
    }
}

async fn page(response: reqwest::Response) -> Page {
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

impl TestApp {
    /// The same server seen from a second browser (its own cookies).
    pub fn other_browser(&self) -> TestApp {
        TestApp {
            addr: self.addr,
            base: self.base.clone(),
            client: client(),
            engine: self.engine.clone(),
            clock: self.clock.clone(),
            data_dir: self.data_dir.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Page {
        page(self.client.get(self.url(path)).send().await.expect("get")).await
    }

    /// A same-origin form post, as a browser sends it.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_form_with_origin(path, fields, Some(&self.base))
            .await
    }

    pub async fn post_form_with_origin(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Page {
        let mut request = self.client.post(self.url(path)).form(fields);
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        page(request.send().await.expect("post")).await
    }

    /// Posts, then follows the 303 like a browser and returns the page shown.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let posted = self.post_form(path, fields).await;
        assert_eq!(
            posted.status,
            StatusCode::SEE_OTHER,
            "POST {path} answered {}: {}",
            posted.status,
            posted.body
        );
        let location = posted.location().to_owned();
        self.get(&location).await
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// Every mail written so far to `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.mail_dir()) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .map(|raw| decode_mail(&raw))
            .filter(|mail| {
                mail.lines()
                    .any(|line| line.eq_ignore_ascii_case(&format!("To: {to}")))
            })
            .collect()
    }

    /// Waits for the `n`th mail to `to` (1-based) and returns it.
    pub async fn wait_for_mail(&self, to: &str, n: usize) -> String {
        for _ in 0..100 {
            let mails = self.mails_to(to);
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            self.engine.wake_mail_worker();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no mail number {n} to {to} arrived; got {:?}",
            self.mails_to(to)
        );
    }

    /// Signs up and verifies `email`, leaving the client logged out.
    pub async fn verified_user(&self, email: &str, password: &str) {
        let before = self.mails_to(email).len();
        self.submit("/signup", &[("email", email), ("password", password)])
            .await;
        let mail = self.wait_for_mail(email, before + 1).await;
        let token = token_in(&mail, "/verify-email?token=");
        self.post_form("/verify-email", &[("token", &token)])
            .await
            .assert_redirect("/login");
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Page {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn is_logged_in(&self) -> bool {
        let page = self.get("/account").await;
        page.body.contains("Your account") && !page.body.contains("You are not logged in")
    }

    pub async fn user_count(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        engine::entity::users::Entity::find()
            .count(self.engine.db())
            .await
            .expect("count")
    }
}

/// The body of a mail, with quoted-printable soft breaks undone.
pub fn decode_mail(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
        .replace("\r\n", "\n")
}

/// The token after `marker` in a mail (up to the end of the link).
pub fn token_in(mail: &str, marker: &str) -> String {
    let start = mail
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in mail:\n{mail}"))
        + marker.len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub const PASSWORD: &str = "lantern orchard pivot";

impl TestApp {
    /// The tenant's audit log, as its admin reads it.
    pub async fn audit_log(&self, tenant: &str, admin: &str) -> serde_json::Value {
        let (status, audit) = self
            .api(
                reqwest::Method::GET,
                &format!("/api/v1/tenants/{tenant}/audit"),
                Some(admin),
                None,
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{audit}");
        audit
    }

    /// A JSON API call with an optional bearer token; the body as JSON (or
    /// as a JSON string when it is not JSON).
    /// A verified developer who owns the publisher `acme` ("Acme Health Apps").
    pub async fn developer(&self, email: &str) -> engine::people::accounts::Account {
        let dev = self
            .engine
            .create_verified_user(email, PASSWORD, None)
            .await
            .expect("developer");
        self.engine
            .create_publisher(&dev, "acme", "Acme Health Apps")
            .await
            .expect("publisher");
        dev
    }

    /// Registers `slug` for `acme` from `manifest`, submits and approves it.
    pub async fn publish(
        &self,
        dev: &engine::people::accounts::Account,
        reviewer: &engine::people::accounts::Account,
        slug: &str,
        manifest: serde_json::Value,
    ) {
        let manifest = serde_json::from_value(manifest).expect("manifest");
        self.engine
            .create_app(dev, "acme", Some(slug), manifest)
            .await
            .expect("create");
        let version = self.engine.submit_app(dev, slug).await.expect("submit");
        self.engine
            .approve_submission(reviewer, &version.id)
            .await
            .expect("approve");
    }

    /// The account of an existing user.
    pub async fn account(&self, email: &str) -> engine::people::accounts::Account {
        let user = self
            .engine
            .find_user_by_email(&domain::Email::parse(email).expect("email"))
            .await
            .expect("lookup")
            .expect("a user with that email");
        self.engine
            .account(&user.id)
            .await
            .expect("account")
            .expect("account")
    }

    pub async fn reviewer(&self, email: &str) -> engine::people::accounts::Account {
        self.engine
            .create_verified_user(email, PASSWORD, Some(domain::PlatformRole::Reviewer))
            .await
            .expect("reviewer")
    }

    /// A new tenant `slug` named `name`, run by a new verified user
    /// `admin@{slug}.example.org`; that admin's `tenant-admin` token.
    pub async fn tenant_with_admin(&self, slug: &str, name: &str) -> String {
        let email = format!("admin@{slug}.example.org");
        let admin = self
            .engine
            .create_verified_user(&email, PASSWORD, None)
            .await
            .expect("tenant admin");
        self.engine
            .create_tenant_as_operator(slug, name, &email)
            .await
            .expect("tenant");
        self.token(&admin, &["tenant-admin"]).await
    }

    /// [`Self::tenant_with_admin`], with `fhir` as the tenant's FHIR base
    /// URL (the `aud` of its tokens).
    pub async fn tenant_with_fhir_server(&self, slug: &str, name: &str, fhir: &str) -> String {
        let admin = self.tenant_with_admin(slug, name).await;
        let (status, body) = self
            .api(
                reqwest::Method::PUT,
                &format!("/api/v1/tenants/{slug}"),
                Some(&admin),
                Some(serde_json::json!({"name": name, "fhir_base_urls": [fhir]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        admin
    }

    /// Installs `app` in `tenant` with `scope` granted: the install.
    pub async fn install(
        &self,
        admin: &str,
        tenant: &str,
        app: &str,
        scope: &str,
    ) -> serde_json::Value {
        let (status, install) = self
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/tenants/{tenant}/installs"),
                Some(admin),
                Some(serde_json::json!({"app": app, "scope": scope})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{install}");
        install
    }

    /// A personal access token of `account` with `scopes`.
    pub async fn token(
        &self,
        account: &engine::people::accounts::Account,
        scopes: &[&str],
    ) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.engine
            .create_personal_token(&account.id, "test", &scopes, None)
            .await
            .expect("token")
            .0
    }

    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = reqwest::Client::new().request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("api call");
        let status = response.status();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }
}

/// A real, viewable PNG of `width`×`height` pixels in one colour
/// (uncompressed deflate, so no image library is needed).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut row = vec![0u8]; // no filter
    row.extend([0x1f, 0x6f, 0xb5].repeat(width as usize));
    let raw = row.repeat(height as usize);
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}
