//! The command line: with no arguments the binary serves; `webhooks register` and
//! `webhooks list` manage the store's webhooks and exit.

use std::sync::Arc;

use anyhow::Context;
use url::Url;
use uuid::Uuid;

use crate::bigcommerce::{BigCommerceClient, CorrelationId, Hook};
use crate::configuration::Settings;
use crate::metrics::Metrics;
use crate::webhooks::register_hooks;

/// How to call the binary, shown on a usage error.
pub const USAGE: &str = "usage:
  checkout-bff                                       serve (configuration from ./config and APP_*)
  checkout-bff webhooks register --destination URL   subscribe the store's cart hooks to URL
  checkout-bff webhooks list                         show the store's hooks";

/// What the binary was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Serve,
    RegisterWebhooks { destination: Url },
    ListWebhooks,
}

/// A command line that does not parse; the message says what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

impl Command {
    /// Parses the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, UsageError> {
        let args: Vec<String> = args.into_iter().collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match args.as_slice() {
            [] => Ok(Command::Serve),
            ["webhooks", "list"] => Ok(Command::ListWebhooks),
            ["webhooks", "register", "--destination", url]
            | ["webhooks", "register", "--destination=", url] => destination(url),
            ["webhooks", "register", flag] if flag.starts_with("--destination=") => {
                destination(&flag["--destination=".len()..])
            }
            ["webhooks", "register", ..] => Err(UsageError(
                "`webhooks register` needs --destination URL".into(),
            )),
            _ => Err(UsageError(format!("unknown command `{}`", args.join(" ")))),
        }
    }
}

fn destination(raw: &str) -> Result<Command, UsageError> {
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(Command::RegisterWebhooks { destination: url })
        }
        _ => Err(UsageError(format!(
            "--destination `{raw}` is not an absolute http(s) URL"
        ))),
    }
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
    let metrics = Arc::new(Metrics::new()?);
    let client = BigCommerceClient::new(&settings.bigcommerce, &settings.quota, metrics)?;
    let webhooks = &settings.webhooks;
    match command {
        Command::Serve => anyhow::bail!("`serve` is not a one-shot command"),
        Command::RegisterWebhooks { destination } => {
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
            let rows: Vec<(&str, &Hook)> = registrations
                .iter()
                .map(|registration| (registration.describe(), registration.hook()))
                .collect();
            print_table(&rows);
        }
        Command::ListWebhooks => {
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
    use super::Command;

    fn parse(line: &str) -> Result<Command, super::UsageError> {
        Command::parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn the_commands_parse() {
        assert_eq!(parse("").expect("serve"), Command::Serve);
        assert_eq!(parse("webhooks list").expect("list"), Command::ListWebhooks);
        for line in [
            "webhooks register --destination https://bff.example/webhooks/bigcommerce",
            "webhooks register --destination=https://bff.example/webhooks/bigcommerce",
        ] {
            match parse(line).expect(line) {
                Command::RegisterWebhooks { destination } => {
                    assert_eq!(destination.host_str(), Some("bff.example"))
                }
                other => panic!("{line} parsed as {other:?}"),
            }
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
        ] {
            assert!(parse(line).is_err(), "`{line}` parsed");
        }
    }
}
