//! `checkout-bff migrate`: the schema as a step of a deployment, and instances that leave the
//! schema alone when told to.

use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{
    admin_connect_options, run_binary, spawn_app_with, test_settings, TestDatabase,
};

const TABLES: [&str; 5] = [
    "sessions",
    "cart_snapshots",
    "idempotency_keys",
    "customer_carts",
    "webhook_deliveries",
];

async fn table_exists(pool: &PgPool, table: &str) -> bool {
    sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
        .bind(table)
        .fetch_one(pool)
        .await
        .expect("look the table up")
}

#[tokio::test]
async fn migrate_creates_the_schema_on_an_empty_database_and_exits_0() {
    // Arrange
    let database = TestDatabase::create().await;
    let mut settings = test_settings();
    settings.database.database_name = database.name.clone();

    // Act
    let output = run_binary(&settings, &["migrate"]).await;

    // Assert
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "migrate failed: {stderr}");
    assert!(
        stderr.contains(r#""target":"audit""#) && stderr.contains(r#""action":"migrate""#),
        "the migration is not in the audit trail: {stderr}"
    );
    let pool = PgPool::connect_with(admin_connect_options().database(&database.name))
        .await
        .expect("connect");
    for table in TABLES {
        assert!(table_exists(&pool, table).await, "no table {table}");
    }
    let migrations = std::fs::read_dir("migrations")
        .expect("migrations/")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|entry| entry.path().extension().is_some_and(|ext| ext == "sql"))
        })
        .count();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .expect("applied migrations");
    assert_eq!(applied, migrations as i64);

    // Once migrated, a second run has nothing to do and still succeeds.
    let again = run_binary(&settings, &["migrate"]).await;
    assert!(
        again.status.success(),
        "a second migrate failed: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    pool.close().await;
}

#[tokio::test]
async fn migrate_exits_non_zero_with_a_message_when_it_cannot_migrate() {
    let mut settings = test_settings();
    settings.database.database_name = format!("missing_{}", Uuid::new_v4().simple());

    let output = run_binary(&settings, &["migrate"]).await;

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("checkout-bff: Failed to migrate the database")
            && stderr.contains("does not exist"),
        "the message does not say what failed: {stderr}"
    );
}

#[tokio::test]
async fn an_unknown_command_exits_2_with_the_usage() {
    let output = run_binary(&test_settings(), &["migrate", "--now"]).await;

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("Usage"));
}

#[tokio::test]
async fn an_instance_with_migrate_on_start_off_leaves_the_schema_alone() {
    let app = spawn_app_with(|settings| settings.database.migrate_on_start = false).await;

    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    for table in TABLES {
        assert!(
            !table_exists(&app.db_pool, table).await,
            "the instance created {table}"
        );
    }
}
