//! The command line: with no command the binary serves; the other commands do one job against
//! the same configuration and exit (`migrate`, `webhooks register|list`,
//! `privacy export|erase`).

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use url::Url;
use uuid::Uuid;

use crate::bigcommerce::{BigCommerceClient, CorrelationId, Hook};
use crate::configuration::Settings;
use crate::database::{get_connection_pool, migrate_database};
use crate::domain::CustomerId;
use crate::metrics::Metrics;
use crate::privacy;
use crate::webhooks::register_hooks;

/// checkout-bff: a backend-for-frontend that sells through BigCommerce carts.
///
/// Every command reads its configuration from ./config and APP_* variables (see
/// config/base.yaml).
#[derive(Debug, Parser)]
#[command(name = "checkout-bff", version)]
pub struct Cli {
    /// What to do; serves when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the binary was asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve shoppers (the default).
    Serve,
    /// Apply the database migrations and exit (for deployments that set
    /// database.migrate_on_start to false).
    Migrate,
    /// Manage the store's webhooks.
    #[command(subcommand, arg_required_else_help = true)]
    Webhooks(WebhooksCommand),
    /// Answer a customer's privacy request.
    #[command(subcommand, arg_required_else_help = true)]
    Privacy(PrivacyCommand),
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum WebhooksCommand {
    /// Subscribe the store's cart hooks to URL (idempotent; repairs what it finds).
    Register {
        /// Where BigCommerce sends the callbacks: an absolute http(s) URL.
        #[arg(long, value_name = "URL", value_parser = destination)]
        destination: Url,
    },
    /// Show the store's hooks.
    List,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum PrivacyCommand {
    /// Print, as JSON on stdout, every session, remembered cart and cart snapshot this service
    /// keeps of the customer.
    Export {
        /// The BigCommerce customer id.
        #[arg(long, value_name = "N", value_parser = customer_id)]
        customer_id: CustomerId,
    },
    /// Delete every session, remembered cart and cart snapshot this service keeps of the
    /// customer.
    Erase {
        /// The BigCommerce customer id.
        #[arg(long, value_name = "N", value_parser = customer_id)]
        customer_id: CustomerId,
    },
}

fn destination(raw: &str) -> Result<Url, String> {
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(format!("`{raw}` is not an absolute http(s) URL")),
    }
}

fn customer_id(raw: &str) -> Result<CustomerId, String> {
    raw.parse::<i64>()
        .ok()
        .and_then(|value| CustomerId::parse(value).ok())
        .ok_or_else(|| format!("`{raw}` is not a customer id (a positive integer)"))
}

/// Runs a command that is not `Serve`; returns the process exit code.
pub async fn run(command: Command, settings: &Settings) -> i32 {
    match execute(command, settings).await {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("checkout-bff: {error:#}");
            1
        }
    }
}

async fn execute(command: Command, settings: &Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => anyhow::bail!("`serve` is not a one-shot command"),
        Command::Migrate => {
            let pool = get_connection_pool(&settings.database);
            migrate_database(&pool).await?;
            tracing::info!(target: "audit", event = "admin_action", action = "migrate");
            println!("the database is migrated");
            Ok(())
        }
        Command::Webhooks(command) => webhooks(command, settings).await,
        Command::Privacy(command) => privacy(command, settings).await,
    }
}

async fn webhooks(command: WebhooksCommand, settings: &Settings) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::new()?);
    let client = BigCommerceClient::new(&settings.bigcommerce, &settings.quota, metrics)?;
    let webhooks = &settings.webhooks;
    match command {
        WebhooksCommand::Register { destination } => {
            if destination.path() != webhooks.path {
                eprintln!(
                    "note: the destination's path `{}` is not webhooks.path `{}`",
                    destination.path(),
                    webhooks.path
                );
            }
            let registrations = register_hooks(&client, webhooks, &destination)
                .await
                .context("registering the hooks failed")?;
            tracing::info!(target: "audit", event = "admin_action", action = "webhooks_register", destination.host = destination.host_str(), hooks = registrations.len());
            let rows: Vec<(&str, &Hook)> = registrations
                .iter()
                .map(|registration| (registration.describe(), registration.hook()))
                .collect();
            print_table(&rows);
        }
        WebhooksCommand::List => {
            let cx = CorrelationId(Uuid::new_v4());
            let hooks = client
                .list_hooks(&webhooks.secret_header, &webhooks.secret, cx)
                .await
                .context("listing the hooks failed")?;
            if hooks.is_empty() {
                println!("the store has no webhooks");
            }
            let rows: Vec<(&str, &Hook)> = hooks.iter().map(|hook| ("", hook)).collect();
            print_table(&rows);
        }
    }
    Ok(())
}

async fn privacy(command: PrivacyCommand, settings: &Settings) -> anyhow::Result<()> {
    let pool = get_connection_pool(&settings.database);
    match command {
        PrivacyCommand::Export { customer_id } => {
            let export = privacy::export_customer(&pool, customer_id)
                .await
                .context("reading the customer's data failed")?;
            let json = serde_json::to_string_pretty(&export)?;
            println!("{json}");
        }
        PrivacyCommand::Erase { customer_id } => {
            let erased = privacy::erase_customer(&pool, customer_id)
                .await
                .context("erasing the customer's data failed")?;
            println!(
                "customer {customer_id} erased: sessions {}, remembered carts {}, cart snapshots {}, \
                 lines left behind {}",
                erased.sessions,
                erased.remembered_carts,
                erased.cart_snapshots,
                erased.lines_left_behind
            );
        }
    }
    Ok(())
}

/// One line per hook. The secret is never printed, only whether the hook carries it.
fn print_table(rows: &[(&str, &Hook)]) {
    if rows.is_empty() {
        return;
    }
    let scope_width = rows
        .iter()
        .map(|(_, hook)| hook.scope.len())
        .max()
        .unwrap_or(0)
        .max("SCOPE".len());
    let result_width = rows
        .iter()
        .map(|(result, _)| result.len())
        .max()
        .unwrap_or(0)
        .max("RESULT".len());
    println!(
        "{:<result_width$} {:<8} {:<scope_width$} {:<6} {:<7} DESTINATION",
        "RESULT", "ID", "SCOPE", "ACTIVE", "SECRET"
    );
    for (result, hook) in rows {
        println!(
            "{:<result_width$} {:<8} {:<scope_width$} {:<6} {:<7} {}",
            result,
            hook.id,
            hook.scope,
            if hook.is_active { "yes" } else { "NO" },
            if hook.carries_secret { "ok" } else { "WRONG" },
            hook.destination
        );
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Command, PrivacyCommand, WebhooksCommand};

    fn parse(line: &str) -> Result<Option<Command>, clap::Error> {
        Cli::try_parse_from(std::iter::once("checkout-bff").chain(line.split_whitespace()))
            .map(|cli| cli.command)
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_commands_parse() {
        assert_eq!(parse("").expect("serve"), None);
        assert_eq!(parse("serve").expect("serve"), Some(Command::Serve));
        assert_eq!(parse("migrate").expect("migrate"), Some(Command::Migrate));
        assert_eq!(
            parse("webhooks list").expect("list"),
            Some(Command::Webhooks(WebhooksCommand::List))
        );
        for line in [
            "webhooks register --destination https://bff.example/webhooks/bigcommerce",
            "webhooks register --destination=https://bff.example/webhooks/bigcommerce",
        ] {
            match parse(line).expect(line) {
                Some(Command::Webhooks(WebhooksCommand::Register { destination })) => {
                    assert_eq!(destination.host_str(), Some("bff.example"))
                }
                other => panic!("{line} parsed as {other:?}"),
            }
        }
        for (line, erase) in [
            ("privacy export --customer-id 7", false),
            ("privacy erase --customer-id=7", true),
        ] {
            let customer = match parse(line).expect(line) {
                Some(Command::Privacy(PrivacyCommand::Export { customer_id })) if !erase => {
                    customer_id
                }
                Some(Command::Privacy(PrivacyCommand::Erase { customer_id })) if erase => {
                    customer_id
                }
                other => panic!("{line} parsed as {other:?}"),
            };
            assert_eq!(customer.get(), 7);
        }
    }

    #[test]
    fn bad_command_lines_are_refused() {
        for line in [
            "webhooks",
            "webhooks register",
            "webhooks register --destination",
            "webhooks register --destination not-a-url",
            "webhooks register --destination ftp://bff.example/x",
            "webhooks delete",
            "serve now",
            "migrate now",
            "privacy",
            "privacy export",
            "privacy erase --customer-id 0",
            "privacy erase --customer-id -3",
            "privacy erase --customer-id someone@example.com",
        ] {
            assert!(parse(line).is_err(), "`{line}` parsed");
        }
    }
}
