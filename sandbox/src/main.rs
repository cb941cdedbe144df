//! The standalone sandbox: `cargo run -p bc-sandbox` serves http://127.0.0.1:8090 until
//! Ctrl-C or SIGTERM. Settings come from `SANDBOX_*` environment variables (see README).

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("bc_sandbox=info")),
        )
        .init();
    let config = bc_sandbox::env::config_from(|k| std::env::var(k).ok())?;
    let sandbox = bc_sandbox::spawn(config).await?;
    tracing::info!(
        url = %sandbox.base_url(),
        api = %sandbox.api_base_url(),
        public_url = %sandbox.public_url(),
        "BigCommerce sandbox listening"
    );
    println!(
        "bc-sandbox listening on {} (API base {})",
        sandbox.base_url(),
        sandbox.api_base_url()
    );
    wait_for_shutdown().await;
    tracing::info!("shutting down");
    sandbox.stop().await;
    Ok(())
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
