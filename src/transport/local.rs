//! A blocking call's I/O on the caller's own thread.
//!
//! Handing a blocking call's request to the SDK runtime and waiting for it costs two cross-thread
//! wake-ups and a scheduler round per exchange, about a quarter of the CPU of a signed call on
//! loopback. So a thread that makes blocking calls, and is not itself inside a tokio runtime, gets its
//! own current-thread runtime and its own connection pools (one per client, with the same TLS, limits
//! and timeouts as the shared ones), and drives the exchange itself: the kernel wakes the caller
//! directly when the answer arrives.
//!
//! Threads inside a tokio runtime (where a nested runtime may not block), and a call made while this
//! thread's runtime is already busy, keep using the SDK runtime, as before.
//!
//! The connections of a thread's pools are only driven while that thread is in a call. An idle
//! connection the server closed in the meantime is noticed before it is reused: each call first lets
//! the runtime read what arrived while the thread was away (the server's close included), so a request
//! is never written to a connection already known to be closed. Each thread keeps at most one idle
//! connection per host and pool, for [`IDLE`] at most; all of it goes when the thread ends or the client
//! is dropped (at the thread's next call).

use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::tls::Connectors;
use super::{Pool, Security, pool};

/// How long a thread's idle connection may wait for its next call. Shorter than the shared pools'
/// minute: an idle thread's connections are not watched, and a server's own idle limit is rarely below
/// this.
const IDLE: Duration = Duration::from_secs(20);

/// What a thread needs to build a client's pools; one per client, shared by its clones.
pub(crate) struct Recipe {
    tls: Connectors,
    connect_timeout: Duration,
}

impl Recipe {
    pub(crate) fn new(tls: Connectors, connect_timeout: Duration) -> Arc<Recipe> {
        Arc::new(Recipe { tls, connect_timeout })
    }
}

/// One client's pools on this thread.
struct Pools {
    owner: Weak<Recipe>,
    standard: Pool,
    merchant: Option<Pool>,
}

/// This thread's runtime and pools.
struct Local {
    runtime: Option<tokio::runtime::Runtime>,
    pools: Vec<Pools>,
}

impl Drop for Local {
    fn drop(&mut self) {
        self.pools.clear();
        if let Some(runtime) = self.runtime.take() {
            // A name lookup still running on the runtime's blocking pool must not hold up the thread's end.
            runtime.shutdown_background();
        }
    }
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// Runs `job(pool, input)` with this thread's pool of `recipe`'s client for `security` on this thread's
/// runtime, and returns its output. `Err(input)` when this thread cannot (it is inside a tokio runtime,
/// this thread's runtime is busy or could not start, or the client has no pool for `security`): the job
/// has not run, and the caller sends `input` on the SDK runtime instead.
pub(crate) fn block_on<T, F: Future>(
    recipe: &Arc<Recipe>,
    security: Security,
    input: T,
    job: impl FnOnce(Pool, T) -> F,
) -> Result<F::Output, T> {
    // `with` below cannot fail once `try_with` has succeeded on this thread.
    if tokio::runtime::Handle::try_current().is_ok() || LOCAL.try_with(|_| ()).is_err() {
        return Err(input);
    }
    LOCAL.with(move |cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else { return Err(input) };
        let Some((runtime, pool)) = Local::ready(&mut slot, recipe, security) else { return Err(input) };
        Ok(runtime.block_on(async move {
            settle().await;
            job(pool, input).await
        }))
    })
}

impl Local {
    /// This thread's runtime, started on first use, and its pool of `recipe`'s client for `security`.
    fn ready<'a>(
        slot: &'a mut Option<Local>,
        recipe: &Arc<Recipe>,
        security: Security,
    ) -> Option<(&'a tokio::runtime::Runtime, Pool)> {
        if slot.is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            *slot = Some(Local { runtime: Some(runtime), pools: Vec::new() });
        }
        let local = slot.as_mut()?;
        let pool = local.pool(recipe, security)?;
        Some((local.runtime.as_ref()?, pool))
    }

    /// This thread's pool of `recipe`'s client for `security`, made on first use; the pools of dropped
    /// clients go.
    fn pool(&mut self, recipe: &Arc<Recipe>, security: Security) -> Option<Pool> {
        self.pools.retain(|p| p.owner.strong_count() > 0);
        let at = match self.pools.iter().position(|p| std::ptr::eq(p.owner.as_ptr(), Arc::as_ptr(recipe))) {
            Some(at) => at,
            None => {
                let shape = |tls| pool(tls, recipe.connect_timeout, IDLE, 1);
                self.pools.push(Pools {
                    owner: Arc::downgrade(recipe),
                    standard: shape(&recipe.tls.standard),
                    merchant: recipe.tls.merchant.as_ref().map(shape),
                });
                self.pools.len() - 1
            }
        };
        let pools = &self.pools[at];
        match security {
            Security::Standard => Some(pools.standard.clone()),
            Security::Required => pools.merchant.clone(),
        }
    }
}

/// Lets this thread's runtime take in what arrived while the thread was away (the I/O driver is
/// polled, then the connection tasks it woke run), so that a connection the server closed meanwhile
/// has left the pool before a request is checked out.
async fn settle() {
    // The first yield polls the driver, which wakes the connection tasks with news; the second lets
    // them run before this task goes on.
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
}
