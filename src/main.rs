use checkout_bff::cli::{self, Command, USAGE};
use checkout_bff::configuration::get_configuration;
use checkout_bff::startup::Application;
use checkout_bff::telemetry::{get_subscriber, init_subscriber};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let command = Command::parse(std::env::args().skip(1)).unwrap_or_else(|error| {
        eprintln!("checkout-bff: {error}\n\n{USAGE}");
        std::process::exit(2);
    });
    let settings = match get_configuration() {
        Ok(settings) => settings,
        Err(error) => {
            // Telemetry needs the configuration, so this one goes straight to stderr.
            eprintln!("checkout-bff cannot start: {error}");
            std::process::exit(2);
        }
    };
    if command != Command::Serve {
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
