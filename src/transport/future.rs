//! [`ResponseFuture`]: the future of an async call, started lazily on the SDK runtime and aborted when
//! dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::runtime::{self, AbortOnDrop, spawn};
use crate::error::Error;
use crate::response::Response;

/// The future of an async call. Created lazily: the request starts on first poll.
#[must_use = "futures do nothing unless polled"]
pub struct ResponseFuture {
    state: State,
}

type Job = Pin<Box<dyn Future<Output = Result<Response, Error>> + Send + 'static>>;

enum State {
    Ready(Option<Result<Response, Error>>),
    Lazy(Option<Job>),
    Running(AbortOnDrop<Result<Response, Error>>),
    Done,
}

impl ResponseFuture {
    pub(crate) fn ready(result: Result<Response, Error>) -> Self {
        ResponseFuture { state: State::Ready(Some(result)) }
    }

    pub(crate) fn lazy(job: Job) -> Self {
        ResponseFuture { state: State::Lazy(Some(job)) }
    }
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Ready(_) => "ready",
            State::Lazy(_) => "not started",
            State::Running(_) => "running",
            State::Done => "done",
        };
        f.debug_tuple("ResponseFuture").field(&state).finish()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                State::Ready(result) => {
                    let out = result.take();
                    self.state = State::Done;
                    return match out {
                        Some(r) => Poll::Ready(r),
                        None => Poll::Pending,
                    };
                }
                State::Lazy(job) => {
                    let Some(job) = job.take() else {
                        self.state = State::Done;
                        return Poll::Pending;
                    };
                    match spawn(job) {
                        Ok(handle) => self.state = State::Running(handle),
                        Err(e) => self.state = State::Ready(Some(Err(e))),
                    }
                }
                State::Running(handle) => {
                    let joined = std::task::ready!(Pin::new(handle).poll(cx));
                    self.state = State::Done;
                    return Poll::Ready(runtime::joined(joined));
                }
                State::Done => return Poll::Pending,
            }
        }
    }
}
