use clap::Parser;

use checkout_bff::cli::{self, Cli, Command};
use checkout_bff::configuration::get_configuration;
use checkout_bff::startup::Application;
use checkout_bff::telemetry::{get_subscriber, init_subscriber};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    // A usage error exits 2 with the usage; `--help` and `--version` exit 0.
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    let settings = match get_configuration() {
        Ok(settings) => settings,
        Err(error) => {
            // Telemetry needs the configuration, so this one goes straight to stderr.
            eprintln!("checkout-bff cannot start: {error}");
            std::process::exit(2);
        }
    };
    if command != Command::Serve {
        // A one-shot command's logs (the audit trail of `privacy erase`, a migration waiting
        // for the database) go to stderr: stdout is its answer.
        init_subscriber(get_subscriber(
            &settings.application.log_filter,
            settings.application.log_format,
            std::io::stderr,
        ));
        std::process::exit(cli::run(command, &settings).await);
    }
    init_subscriber(get_subscriber(
        &settings.application.log_filter,
        settings.application.log_format,
        std::io::stdout,
    ));
    let application = Application::build(settings).await?;
    tracing::info!(port = application.port(), "checkout-bff listening");
    application.run_until_stopped().await?;
    Ok(())
}
