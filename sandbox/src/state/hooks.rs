//! Registered webhooks (`/v3/hooks`) and the rules BigCommerce applies to them.

use std::collections::BTreeMap;

use parking_lot::Mutex;
use serde::Serialize;

use crate::webhooks::events::scope_matches;

/// Most hooks allowed per store + client + scope.
const MAX_HOOKS_PER_SCOPE: usize = 10;

/// A hook as `/v3/hooks` returns it.
#[derive(Debug, Clone, Serialize)]
pub struct Hook {
    pub id: i64,
    pub client_id: String,
    pub store_hash: String,
    pub scope: String,
    pub destination: String,
    pub is_active: bool,
    pub headers: Option<BTreeMap<String, String>>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Fields a create or update may set.
#[derive(Debug, Clone, Default)]
pub struct HookChanges {
    pub scope: Option<String>,
    pub destination: Option<String>,
    pub is_active: Option<bool>,
    pub headers: Option<Option<BTreeMap<String, String>>>,
}

/// Why a hook change was refused (422s).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    #[error("hook not found")]
    NotFound,
    #[error("A webhook with this scope and destination already exists.")]
    Duplicate,
    #[error("No more than {MAX_HOOKS_PER_SCOPE} webhooks may be registered for one scope.")]
    TooMany,
}

#[derive(Debug, Default)]
struct Registry {
    hooks: Vec<Hook>,
    next_id: i64,
}

/// The store's hooks.
#[derive(Debug, Default)]
pub struct Hooks {
    inner: Mutex<Registry>,
}

impl Hooks {
    /// Registers a hook; `scope` and `destination` have been checked by the caller.
    pub fn create(&self, template: Hook) -> Result<Hook, HookError> {
        let mut reg = self.inner.lock();
        check_unique(&reg.hooks, None, &template.scope, &template.destination)?;
        reg.next_id += 1;
        let hook = Hook {
            id: reg.next_id,
            ..template
        };
        reg.hooks.push(hook.clone());
        Ok(hook)
    }

    pub fn get(&self, id: i64) -> Option<Hook> {
        self.inner.lock().hooks.iter().find(|h| h.id == id).cloned()
    }

    pub fn list(&self) -> Vec<Hook> {
        self.inner.lock().hooks.clone()
    }

    pub fn update(&self, id: i64, changes: HookChanges, now: i64) -> Result<Hook, HookError> {
        let mut reg = self.inner.lock();
        let current = reg
            .hooks
            .iter()
            .find(|h| h.id == id)
            .cloned()
            .ok_or(HookError::NotFound)?;
        let scope = changes.scope.unwrap_or(current.scope);
        let destination = changes.destination.unwrap_or(current.destination);
        check_unique(&reg.hooks, Some(id), &scope, &destination)?;
        let hook = reg
            .hooks
            .iter_mut()
            .find(|h| h.id == id)
            .ok_or(HookError::NotFound)?;
        hook.scope = scope;
        hook.destination = destination;
        if let Some(active) = changes.is_active {
            hook.is_active = active;
        }
        if let Some(headers) = changes.headers {
            hook.headers = headers;
        }
        hook.updated_at = now;
        Ok(hook.clone())
    }

    pub fn delete(&self, id: i64) -> Option<Hook> {
        let mut reg = self.inner.lock();
        let index = reg.hooks.iter().position(|h| h.id == id)?;
        Some(reg.hooks.remove(index))
    }

    /// Active hooks that receive `scope`.
    pub fn active_for(&self, scope: &str) -> Vec<Hook> {
        self.inner
            .lock()
            .hooks
            .iter()
            .filter(|h| h.is_active && scope_matches(&h.scope, scope))
            .cloned()
            .collect()
    }

    /// Called when a delivery exhausted its retries, as BigCommerce does.
    pub fn deactivate(&self, id: i64, now: i64) {
        if let Some(h) = self.inner.lock().hooks.iter_mut().find(|h| h.id == id) {
            h.is_active = false;
            h.updated_at = now;
        }
    }

    pub fn clear(&self) {
        *self.inner.lock() = Registry::default();
    }
}

fn check_unique(
    hooks: &[Hook],
    except: Option<i64>,
    scope: &str,
    destination: &str,
) -> Result<(), HookError> {
    let others = hooks.iter().filter(|h| Some(h.id) != except);
    let mut same_scope = 0;
    for h in others {
        if h.scope == scope {
            if h.destination == destination {
                return Err(HookError::Duplicate);
            }
            same_scope += 1;
        }
    }
    if same_scope >= MAX_HOOKS_PER_SCOPE {
        return Err(HookError::TooMany);
    }
    Ok(())
}
