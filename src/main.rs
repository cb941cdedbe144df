use checkout_bff::configuration::get_configuration;
use checkout_bff::startup::Application;
use checkout_bff::telemetry::{get_subscriber, init_subscriber};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = match get_configuration() {
        Ok(settings) => settings,
        Err(error) => {
            // Telemetry needs the configuration, so this one goes straight to stderr.
            eprintln!("checkout-bff cannot start: {error}");
            std::process::exit(2);
        }
    };
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
