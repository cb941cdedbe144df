use std::collections::HashMap;
use std::path::Path;

use checkout_bff::configuration::{load_configuration, Environment};
use secrecy::ExposeSecret;

fn load(
    environment: Environment,
    variables: &[(&str, &str)],
) -> Result<checkout_bff::configuration::Settings, String> {
    let variables: HashMap<String, String> = variables
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    load_configuration(Path::new("config"), environment, variables).map_err(|e| e.to_string())
}

#[test]
fn environment_variables_override_files_with_the_app_prefix_and_double_underscore() {
    let settings = load(
        Environment::Local,
        &[
            ("APP_APPLICATION__PORT", "9123"),
            ("APP_BIGCOMMERCE__ACCESS_TOKEN", "from-env"),
            (
                "APP_APPLICATION__CORS_ALLOWED_ORIGINS",
                "https://a.example,https://b.example",
            ),
        ],
    )
    .expect("valid configuration");

    assert_eq!(settings.application.port, 9123);
    assert_eq!(
        settings.bigcommerce.access_token.expose_secret(),
        "from-env"
    );
    assert_eq!(
        settings.application.cors_allowed_origins,
        vec!["https://a.example", "https://b.example"]
    );
}

#[test]
fn a_configuration_error_names_its_key() {
    type Case<'a> = (Environment, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case<'_>] = &[
        (
            Environment::Local,
            &[("APP_APPLICATION__PORT", "eighty")],
            "application.port",
        ),
        (
            Environment::Local,
            &[("APP_BIGCOMMERCE__CURRENCY", "dollars")],
            "bigcommerce.currency",
        ),
        (
            Environment::Local,
            &[("APP_APPLICATION__LOG_FORMAT", "xml")],
            "application.log_format",
        ),
        (
            Environment::Local,
            &[(
                "APP_APPLICATION__CORS_ALLOWED_ORIGINS",
                "https://shop.example/path",
            )],
            "application.cors_allowed_origins",
        ),
        (
            Environment::Local,
            &[("APP_SESSION__COOKIE_NAME", "__Host-session")],
            "session.cookie_name",
        ),
        (
            Environment::Local,
            &[("APP_RATE_LIMITS__ADDRESS_SHARE", "-0.5")],
            "rate_limits.address_share",
        ),
        (
            Environment::Local,
            &[("APP_RATE_LIMITS__SESSION_SHARE", "0")],
            "rate_limits.session_share",
        ),
        // Production has no committed secrets: a missing one stops start-up, by name.
        (
            Environment::Production,
            &[
                ("APP_BIGCOMMERCE__STORE_HASH", "abc123"),
                ("APP_BIGCOMMERCE__CLIENT_ID", "id"),
            ],
            "bigcommerce.access_token",
        ),
        (
            Environment::Production,
            &[
                ("APP_BIGCOMMERCE__STORE_HASH", "abc123"),
                ("APP_BIGCOMMERCE__CLIENT_ID", "id"),
                ("APP_BIGCOMMERCE__ACCESS_TOKEN", "token"),
                ("APP_BIGCOMMERCE__CLIENT_SECRET", "secret"),
                ("APP_WEBHOOKS__SECRET", "hook-secret"),
            ],
            "session.signing_key",
        ),
        (
            Environment::Local,
            &[("APP_SESSION__SIGNING_KEY", "too-short")],
            "session.signing_key",
        ),
    ];
    for (environment, variables, key) in cases {
        let error = load(*environment, variables).expect_err("configuration should be refused");
        assert!(error.contains(key), "error `{error}` does not name `{key}`");
    }
}

#[test]
fn secrets_do_not_appear_in_debug_output() {
    let settings = load(
        Environment::Local,
        &[("APP_BIGCOMMERCE__ACCESS_TOKEN", "s3cr3t-token-value")],
    )
    .expect("valid configuration");
    assert!(!format!("{settings:?}").contains("s3cr3t-token-value"));
}

#[test]
fn the_cache_listener_connects_where_the_pool_does_unless_told_otherwise() {
    let settings = load(Environment::Local, &[]).expect("valid configuration");
    let options = settings.database.listener_connect_options();
    assert_eq!(options.get_port(), settings.database.port);
    assert_eq!(options.get_host(), settings.database.host);
    assert!(settings.database.migrate_on_start);

    let settings = load(
        Environment::Local,
        &[
            ("APP_DATABASE__LISTENER_HOST", "primary.db.internal"),
            ("APP_DATABASE__LISTENER_PORT", "5439"),
            ("APP_DATABASE__MIGRATE_ON_START", "false"),
        ],
    )
    .expect("valid configuration");
    let options = settings.database.listener_connect_options();
    assert_eq!(options.get_host(), "primary.db.internal");
    assert_eq!(options.get_port(), 5439);
    assert_eq!(
        options.get_application_name(),
        Some(checkout_bff::configuration::LISTENER_APPLICATION_NAME)
    );
    assert!(!settings.database.migrate_on_start);
}
