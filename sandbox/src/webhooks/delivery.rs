//! The delivery worker: one task per callback, first attempt at once, then one attempt after
//! each configured delay; when every attempt failed the hook is deactivated. A reset bumps
//! the generation, which stops pending retries of the old state.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::state::hooks::Hook;
use crate::state::AppState;

/// Kept attempts in the delivery log (oldest dropped first).
const LOG_LIMIT: usize = 10_000;

/// One callback to send to one hook.
#[derive(Debug)]
pub struct Job {
    pub hook: Hook,
    pub scope: &'static str,
    pub hash: String,
    pub body: Vec<u8>,
    pub generation: u64,
}

/// One attempt, as `/__sandbox/webhooks/deliveries` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub hook_id: i64,
    pub scope: &'static str,
    pub destination: String,
    pub attempt: usize,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub delivered: bool,
    pub hash: String,
    pub at: i64,
}

/// Sending side of the worker plus the delivery log.
#[derive(Debug)]
pub struct Dispatcher {
    tx: mpsc::UnboundedSender<Job>,
    log: Mutex<Vec<DeliveryRecord>>,
    generation: AtomicU64,
}

impl Dispatcher {
    /// The dispatcher and the receiving end the worker task consumes.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Job>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let dispatcher = Self {
            tx,
            log: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
        };
        (dispatcher, rx)
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Queues a job; never blocks.
    pub fn enqueue(&self, job: Job) {
        // The worker only stops with the sandbox, so a send error means we are shutting down.
        let _ = self.tx.send(job);
    }

    fn record(&self, record: DeliveryRecord) {
        let mut log = self.log.lock();
        if log.len() >= LOG_LIMIT {
            log.remove(0);
        }
        log.push(record);
    }

    pub fn log(&self) -> Vec<DeliveryRecord> {
        self.log.lock().clone()
    }

    /// Forgets the log and abandons pending retries.
    pub fn reset(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        self.log.lock().clear();
    }
}

/// Runs until the channel closes: spawns one delivery task per job.
pub async fn run_worker(state: Arc<AppState>, mut rx: mpsc::UnboundedReceiver<Job>) {
    let client = match reqwest::Client::builder()
        .timeout(state.config.webhook_timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook HTTP client");
            return;
        }
    };
    while let Some(job) = rx.recv().await {
        tokio::spawn(deliver(state.clone(), client.clone(), job));
    }
}

async fn deliver(state: Arc<AppState>, client: reqwest::Client, job: Job) {
    let headers = custom_headers(&job.hook);
    let delays: Vec<Duration> = state.config.webhook_retry_delays.clone();
    if !state.config.webhook_delay.is_zero() {
        tokio::time::sleep(state.config.webhook_delay).await;
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        if state.dispatcher.generation() != job.generation {
            return;
        }
        let result = client
            .post(&job.hook.destination)
            .headers(headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(job.body.clone())
            .send()
            .await;
        let (status, error) = match result {
            Ok(resp) => (Some(resp.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        state.dispatcher.record(DeliveryRecord {
            hook_id: job.hook.id,
            scope: job.scope,
            destination: job.hook.destination.clone(),
            attempt,
            status,
            error,
            delivered,
            hash: job.hash.clone(),
            at: state.clock.unix(),
        });
        if delivered {
            return;
        }
        let Some(delay) = delays.get(attempt - 1) else {
            tracing::warn!(
                hook.id = job.hook.id,
                "webhook retries exhausted; deactivating hook"
            );
            state.hooks.deactivate(job.hook.id, state.clock.unix());
            return;
        };
        tokio::time::sleep(*delay).await;
        let still_active = state.hooks.get(job.hook.id).is_some_and(|h| h.is_active);
        if !still_active {
            return;
        }
    }
}

/// The hook's registered headers; names or values HTTP cannot carry are skipped.
fn custom_headers(hook: &Hook) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in hook.headers.iter().flatten() {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.insert(n, v);
        }
    }
    map
}
