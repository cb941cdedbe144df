# Builds checkout-bff and the BigCommerce sandbox. Queries are checked against the committed
# .sqlx/ data, so the build needs no database.
FROM rust:1-bookworm AS chef
RUN cargo install cargo-chef --locked
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --recipe-path recipe.json
COPY . .
ENV SQLX_OFFLINE=true
RUN cargo build --release --bins

FROM debian:bookworm-slim AS runtime
RUN apt-get update -y \
    && apt-get install -y --no-install-recommends ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=builder /app/target/release/checkout-bff /usr/local/bin/checkout-bff
COPY --from=builder /app/target/release/bc-sandbox /usr/local/bin/bc-sandbox
COPY config config
ENV APP_ENVIRONMENT=production
# 8080: shoppers (and /healthz); 9090: the admin listener, for the platform's network only.
EXPOSE 8080 9090
ENTRYPOINT ["checkout-bff"]
