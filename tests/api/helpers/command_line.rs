//! Runs the `checkout-bff` binary itself, as a deployment step would, against a test database.

use std::process::Output;

use checkout_bff::configuration::Settings;
use secrecy::ExposeSecret;

/// Runs `checkout-bff ARGS` with the configuration of `settings` (its database and the
/// sandbox it talks to), passed the way a deployment passes it: through `APP_*` variables.
pub async fn run_binary(settings: &Settings, args: &[&str]) -> Output {
    let database = &settings.database;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_checkout-bff"));
    command
        .args(args)
        .env("APP_ENVIRONMENT", "local")
        .env("APP_DATABASE__HOST", &database.host)
        .env("APP_DATABASE__PORT", database.port.to_string())
        .env("APP_DATABASE__USERNAME", &database.username)
        .env("APP_DATABASE__PASSWORD", database.password.expose_secret())
        .env("APP_DATABASE__DATABASE_NAME", &database.database_name)
        .env("APP_DATABASE__REQUIRE_SSL", "false")
        .env("APP_DATABASE__ACQUIRE_TIMEOUT_MS", "2000")
        .env("APP_APPLICATION__LOG_FORMAT", "json")
        .env("RUST_LOG", "info,sqlx=warn");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the binary's runner")
        .expect("run the binary")
}
