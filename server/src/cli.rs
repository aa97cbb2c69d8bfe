//! The `sidecar` command line. Every command reads the same configuration
//! as `serve`.

use std::io::Read;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use domain::PlatformRole;
use engine::tenancy::tenants::TenantAdmin;
use engine::SystemClock;

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "sidecar",
    version,
    about = "Sidecar: the marketplace and registration portal for SMART on FHIR apps"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server and workers (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage personal access tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage tenants (health systems).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage the signing keys of tenants' authorization servers.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Create the demo accounts, publisher and tenant, and print the credentials.
    SeedDemo,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// New signing keys for the tenant; the old ones keep verifying (and
    /// stay published) until every token they signed has expired.
    Rotate {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create (or update) a verified account; the password is read from stdin.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Option<PlatformRole>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal access token; prints it alone on the last line.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        #[arg(long, default_value = "command line")]
        name: String,
        /// Days until the token expires (1–366); never when omitted.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant; an existing account becomes its admin, an unknown email is invited.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        /// A FHIR server of the tenant (repeat for several).
        #[arg(long = "fhir-base-url")]
        fhir_base_urls: Vec<String>,
    },
}

fn parse_role(input: &str) -> Result<PlatformRole, String> {
    input.parse()
}

/// Runs a command other than `serve`.
pub async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let engine = crate::startup::engine(&config, Arc::new(SystemClock)).await?;
    match command {
        Command::Serve => bail!("serve is run by main"),
        Command::Migrate => println!("Database is up to date."),
        Command::User {
            command: UserCommand::Create { email, role },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("could not read the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let account = engine
                .create_verified_user(&email, password, role)
                .await
                .map_err(user_error)?;
            println!(
                "User {} is ready{}.",
                account.email,
                role.map(|r| format!(" with the {r} role"))
                    .unwrap_or_default()
            );
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    email,
                    scopes,
                    name,
                    expires_in_days,
                },
        } => {
            let email =
                domain::Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let user = engine
                .find_user_by_email(&email)
                .await
                .map_err(user_error)?
                .with_context(|| format!("there is no account for {email}"))?;
            let (token, info) = engine
                .create_personal_token(&user.id, &name, &scopes, expires_in_days)
                .await
                .map_err(user_error)?;
            eprintln!(
                "Created token {} for {} with scopes: {}",
                info.id,
                email,
                domain::TokenScope::join(&info.scopes)
            );
            println!("{token}");
        }
        Command::Tenant {
            command:
                TenantCommand::Create {
                    slug,
                    name,
                    admin_email,
                    fhir_base_urls,
                },
        } => {
            match engine
                .create_tenant_with_urls(&slug, &name, &admin_email, &fhir_base_urls.join(" "))
                .await
                .map_err(user_error)?
            {
                TenantAdmin::Member(email) => {
                    println!("Tenant {slug} created; {email} is its admin.")
                }
                TenantAdmin::Invited(email) => println!(
                    "Tenant {slug} created; {email} has no account yet and was invited by mail."
                ),
            }
            deliver_mail_now(&engine).await?;
        }
        Command::Keys {
            command: KeysCommand::Rotate { tenant },
        } => {
            let kids = engine
                .rotate_signing_keys(&tenant)
                .await
                .map_err(user_error)?;
            println!(
                "Tenant {tenant} signs with new keys ({}); the old ones stay published until their tokens have expired.",
                kids.join(", ")
            );
        }
        Command::SeedDemo => {
            let accounts = engine.seed_demo().await.map_err(user_error)?;
            println!("Demo data is ready. Log in at {} with:", config.public_url);
            for a in accounts {
                println!("  {:<30} {:<28} password: {}", a.role, a.email, a.password);
            }
            println!("Apps launched against demo-health sign in as its end users:");
            for u in engine::seed::DEMO_END_USERS {
                println!(
                    "  {:<30} {:<34} password: {}",
                    u.username, u.fhir_user, u.password
                );
            }
        }
    }
    Ok(())
}

/// One pass of the mail worker, so that a command's mail is not left waiting
/// for the next `serve`.
async fn deliver_mail_now(engine: &engine::Engine) -> anyhow::Result<()> {
    let worker = engine::MailWorker::new(engine.clone(), &engine.config().mail)?;
    if let Err(e) = worker.deliver_due().await {
        eprintln!("Mail is queued and will be sent by the server: {e:#}");
    }
    Ok(())
}

/// Engine errors as a person at a terminal reads them.
fn user_error(err: engine::EngineError) -> anyhow::Error {
    match err.field() {
        Some(field) => anyhow::anyhow!("{field}: {err}"),
        None => anyhow::anyhow!("{err:#}"),
    }
}
