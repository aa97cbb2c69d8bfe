//! Configuration from the environment, with an optional `sidecar.toml` that
//! may set the same keys (the environment wins). An invalid value stops
//! start-up with a message naming the variable.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use url::Url;

mod provisioning;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The 256-bit key that protects secrets at rest.
#[derive(Clone)]
pub struct MasterKey(pub [u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub public_url: Url,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub redis_url: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub master_key: Option<MasterKey>,
    pub allow_private_fetch: bool,
    /// Extra CA certificates (PEM) trusted for server-side fetches.
    pub fetch_ca_pem: Option<Vec<u8>>,
    /// How long a replaced client secret keeps working.
    pub secret_grace_hours: u32,
    pub log_format: LogFormat,
    pub provisioning: engine::provisioning::ProvisioningConfig,
}

const KEYS: &[&str] = &[
    "SIDECAR_ADDR",
    "PUBLIC_URL",
    "SIDECAR_DATA_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "SMTP_URL",
    "SIDECAR_MAIL_FROM",
    "SIDECAR_MASTER_KEY",
    "SIDECAR_ALLOW_PRIVATE_FETCH",
    "SIDECAR_FETCH_CA_FILE",
    "SIDECAR_SECRET_GRACE_HOURS",
    "SIDECAR_LOG_FORMAT",
];

impl Config {
    /// Reads the process environment and `./sidecar.toml` if present.
    pub fn load() -> anyhow::Result<Self> {
        let file = Path::new("sidecar.toml");
        let mut values = if file.exists() {
            read_toml(file)?
        } else {
            BTreeMap::new()
        };
        for key in KEYS.iter().chain(provisioning::KEYS) {
            if let Ok(value) = std::env::var(key) {
                values.insert((*key).to_owned(), value);
            }
        }
        Self::from_values(&values)
    }

    /// Builds the configuration from explicit key/value pairs; empty values
    /// count as unset.
    pub fn from_values(values: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        let get = |key: &str| {
            values
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let addr = match get("SIDECAR_ADDR") {
            Some(v) => v.parse().with_context(|| {
                format!("SIDECAR_ADDR `{v}` is not a socket address like 127.0.0.1:3000")
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let public_url = match get("PUBLIC_URL") {
            Some(v) => {
                let url = Url::parse(&v).with_context(|| {
                    format!(
                        "PUBLIC_URL `{v}` is not an absolute URL like https://sidecar.example.org"
                    )
                })?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    bail!("PUBLIC_URL `{v}` must be an http or https URL with a host");
                }
                if url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
                    bail!("PUBLIC_URL `{v}` must be an origin without a path, query or fragment (Sidecar is served from the root)");
                }
                url
            }
            None => Url::parse("http://127.0.0.1:3000").context("default PUBLIC_URL")?,
        };
        let data_dir = PathBuf::from(get("SIDECAR_DATA_DIR").unwrap_or_else(|| "data".to_owned()));
        let database_url = match get("DATABASE_URL") {
            Some(v)
                if v.starts_with("sqlite:")
                    || v.starts_with("postgres://")
                    || v.starts_with("postgresql://") =>
            {
                v
            }
            Some(v) => bail!(
                "DATABASE_URL `{}` is not supported: use sqlite://PATH or postgres://…",
                engine::platform::db::redact(&v)
            ),
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("sidecar.db").display()
            ),
        };
        let redis_url = match get("REDIS_URL") {
            Some(v) if v.starts_with("redis://") || v.starts_with("rediss://") => Some(v),
            Some(_) => bail!("REDIS_URL must start with redis:// or rediss://"),
            None => None,
        };
        let smtp_url = match get("SMTP_URL") {
            Some(v) if v.starts_with("smtp://") || v.starts_with("smtps://") => Some(v),
            Some(_) => {
                bail!("SMTP_URL must start with smtp:// or smtps:// (e.g. smtp://127.0.0.1:2525)")
            }
            None => None,
        };
        let mail_from = get("SIDECAR_MAIL_FROM").unwrap_or_else(|| {
            let host = public_url.host_str().unwrap_or("localhost");
            let host = if host.contains('.') && host.parse::<std::net::IpAddr>().is_err() {
                host.to_owned()
            } else {
                "sidecar.localhost".to_owned()
            };
            format!("Sidecar <no-reply@{host}>")
        });
        mail_from.parse::<lettre::message::Mailbox>().map_err(|e| {
            anyhow::anyhow!("SIDECAR_MAIL_FROM `{mail_from}` is not a mail address: {e}")
        })?;
        let master_key = match get("SIDECAR_MASTER_KEY") {
            Some(v) => Some(parse_master_key(&v).context("SIDECAR_MASTER_KEY must be 64 hex characters (32 random bytes), e.g. from `openssl rand -hex 32`")?),
            None => None,
        };
        let allow_private_fetch = match get("SIDECAR_ALLOW_PRIVATE_FETCH").as_deref() {
            None | Some("0") | Some("false") | Some("no") => false,
            Some("1") | Some("true") | Some("yes") => true,
            Some(v) => bail!("SIDECAR_ALLOW_PRIVATE_FETCH `{v}` must be true or false"),
        };
        let fetch_ca_pem = match get("SIDECAR_FETCH_CA_FILE") {
            Some(path) => {
                let pem = std::fs::read(&path)
                    .with_context(|| format!("SIDECAR_FETCH_CA_FILE `{path}` could not be read"))?;
                if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
                    bail!("SIDECAR_FETCH_CA_FILE `{path}` holds no PEM certificate");
                }
                Some(pem)
            }
            None => None,
        };
        let secret_grace_hours = match get("SIDECAR_SECRET_GRACE_HOURS") {
            None => 24,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|h| *h <= 720)
                .with_context(|| {
                    format!("SIDECAR_SECRET_GRACE_HOURS `{v}` must be a whole number of hours from 0 to 720")
                })?,
        };
        let log_format = match get("SIDECAR_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(v) => bail!("SIDECAR_LOG_FORMAT `{v}` must be text or json"),
        };
        let provisioning = provisioning::read(&get)?;
        Ok(Self {
            provisioning,
            addr,
            public_url,
            data_dir,
            database_url,
            redis_url,
            smtp_url,
            mail_from,
            master_key,
            allow_private_fetch,
            fetch_ca_pem,
            secret_grace_hours,
            log_format,
        })
    }

    /// Cookies get `Secure` and the `__Host-` prefix behind https.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// The configured master key, or the one in the data dir (created on
    /// first start with 256 random bits, readable by the owner only).
    pub fn master_key_or_generate(&self) -> anyhow::Result<MasterKey> {
        if let Some(key) = &self.master_key {
            return Ok(key.clone());
        }
        let path = self.data_dir.join("master.key");
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("could not read {}", path.display()))?;
            return parse_master_key(text.trim())
                .with_context(|| format!("{} does not hold a valid master key", path.display()));
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!("could not create the data dir {}", self.data_dir.display())
        })?;
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        write_private(&path, &hex::encode(key))
            .with_context(|| format!("could not write {}", path.display()))?;
        tracing::info!(path = %path.display(), "generated a new master key");
        Ok(MasterKey(key))
    }
}

fn parse_master_key(text: &str) -> anyhow::Result<MasterKey> {
    let bytes = hex::decode(text).context("not hex")?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("not 32 bytes"))?;
    Ok(MasterKey(key))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

fn read_toml(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        let upper = key.to_ascii_uppercase();
        if !KEYS.contains(&upper.as_str()) {
            bail!(
                "{}: unknown key `{key}` (known: {})",
                path.display(),
                KEYS.join(", ")
            );
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Integer(i) => i.to_string(),
            other => bail!(
                "{}: `{key}` must be a string, not {}",
                path.display(),
                other.type_str()
            ),
        };
        values.insert(upper, text);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        Config::from_values(
            &pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn defaults_are_the_embedded_ones() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_origin(), "http://127.0.0.1:3000");
        assert_eq!(c.database_url, "sqlite://data/sidecar.db?mode=rwc");
        assert!(c.redis_url.is_none() && c.smtp_url.is_none() && !c.is_https());
        assert_eq!(c.secret_grace_hours, 24);
    }

    #[test]
    fn an_invalid_value_names_its_variable() {
        for (key, value) in [
            ("SIDECAR_ADDR", "localhost"),
            ("PUBLIC_URL", "sidecar.example.org"),
            ("PUBLIC_URL", "https://example.org/sub"),
            ("DATABASE_URL", "mysql://x"),
            ("REDIS_URL", "http://x"),
            ("SMTP_URL", "mail.example.org"),
            ("SIDECAR_MASTER_KEY", "short"),
            ("SIDECAR_ALLOW_PRIVATE_FETCH", "maybe"),
            ("SIDECAR_SECRET_GRACE_HOURS", "a week"),
            ("SIDECAR_SECRET_GRACE_HOURS", "9999"),
            ("SIDECAR_FETCH_CA_FILE", "/nonexistent/ca.pem"),
            ("SIDECAR_LOG_FORMAT", "xml"),
        ] {
            let err = format!("{:#}", config(&[(key, value)]).unwrap_err());
            assert!(err.contains(key), "{key}={value}: {err}");
        }
    }

    #[test]
    fn https_public_urls_make_cookies_secure() {
        assert!(config(&[("PUBLIC_URL", "https://sidecar.example.org")])
            .unwrap()
            .is_https());
    }
}
