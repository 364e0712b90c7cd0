//! The SDK-owned I/O runtime: one process-wide multi-threaded tokio runtime (threads named
//! `wechatpay-io`) that async calls, downloads and certificate refreshes run on, whoever the caller is,
//! and that blocking calls made inside a tokio runtime hand their I/O to.

use std::future::Future;
use std::sync::OnceLock;

use crate::error::{Error, Sent, TransportError};

thread_local! {
    static ON_IO_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    let rt = RUNTIME.get_or_init(|| {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 16);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("wechatpay-io")
            .on_thread_start(|| ON_IO_THREAD.with(|f| f.set(true)))
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    rt.as_ref().map_err(|e| {
        Error::Transport(TransportError::new(Sent::No, format!("the SDK's I/O runtime could not start ({e})"), None))
    })
}

/// Spawns `job` on the SDK runtime; the task is aborted if the returned handle is dropped first.
pub(crate) fn spawn<T: Send + 'static>(
    job: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<AbortOnDrop<Result<T, Error>>, Error> {
    Ok(AbortOnDrop(Some(runtime()?.spawn(job))))
}

/// Maps a finished task to its result; a panic inside the SDK is re-raised in the caller.
pub(crate) fn joined<T>(joined: Result<Result<T, Error>, tokio::task::JoinError>) -> Result<T, Error> {
    match joined {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::Transport(TransportError::new(
            Sent::Maybe,
            "the call was cancelled because the SDK's I/O runtime is shutting down",
            None,
        ))),
    }
}

/// Spawns `job` on the SDK runtime to run to completion, whoever waits for it.
pub(crate) fn spawn_detached<T: Send + 'static>(
    job: impl Future<Output = T> + Send + 'static,
) -> Result<tokio::task::JoinHandle<T>, Error> {
    Ok(runtime()?.spawn(job))
}

/// Runs `job` on the SDK runtime and waits for it on the current thread.
pub(crate) fn block_on<T: Send + 'static>(
    job: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, Error> {
    refuse_on_io_thread("a blocking call")?;
    joined(futures::executor::block_on(spawn(job)?))
}

/// Blocking on the SDK's own I/O thread would wait for work that thread must do.
pub(crate) fn refuse_on_io_thread(what: &str) -> Result<(), Error> {
    if ON_IO_THREAD.with(std::cell::Cell::get) {
        return Err(Error::input(
            crate::error::InputErrorKind::Unsupported,
            format!("{what} was made from the SDK's own I/O thread (inside a hook?); use the async form there"),
        ));
    }
    Ok(())
}

/// A task handle that aborts the task if the waiting side goes away (a dropped future, an unwinding
/// blocking caller).
pub(crate) struct AbortOnDrop<T>(Option<tokio::task::JoinHandle<T>>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        match self.0.as_mut() {
            Some(handle) => {
                let out = std::task::ready!(std::pin::Pin::new(handle).poll(cx));
                self.0 = None;
                std::task::Poll::Ready(out)
            }
            None => std::task::Poll::Pending,
        }
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if let Some(handle) = &self.0 {
            handle.abort();
        }
    }
}
