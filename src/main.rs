use clap::Parser;

use checkout_bff::cli::{self, Cli, Command};
use checkout_bff::configuration::get_configuration;
use checkout_bff::startup::Application;
use checkout_bff::telemetry::{
    get_subscriber, get_subscriber_with_traces, init_subscriber, Tracing,
};

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
    let tracing = match Tracing::from_env() {
        Ok(tracing) => tracing,
        Err(error) => {
            eprintln!("checkout-bff cannot start: the OTLP trace exporter: {error:#}");
            std::process::exit(2);
        }
    };
    init_subscriber(get_subscriber_with_traces(
        &settings.application.log_filter,
        settings.application.log_format,
        std::io::stdout,
        tracing.as_ref().map(Tracing::tracer),
    ));
    let served = serve(settings).await;
    if let Some(tracing) = tracing {
        tracing.shutdown();
    }
    served
}

async fn serve(settings: checkout_bff::configuration::Settings) -> anyhow::Result<()> {
    let application = Application::build(settings).await?;
    tracing::info!(
        port = application.port(),
        admin_port = application.admin_port(),
        traces = tracing::field::display(if opentelemetry_enabled() {
            "otlp"
        } else {
            "off"
        }),
        "checkout-bff listening"
    );
    application.run_until_stopped().await?;
    Ok(())
}

fn opentelemetry_enabled() -> bool {
    checkout_bff::telemetry::traces_configured(|key| std::env::var(key).ok())
}
