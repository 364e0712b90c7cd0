//! Failures before or while sending: configuration, input, connection, time.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use super::Sent;

/// A refused client configuration: which setting, and what to load instead.
#[derive(Clone, Debug)]
pub struct ConfigError {
    setting: &'static str,
    message: String,
    key: Option<crate::crypto::KeyError>,
}

impl ConfigError {
    pub(crate) fn new(setting: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError { setting, message: message.into(), key: None }
    }

    /// A key or certificate of `setting` that did not load; `what` names it (empty for the only one).
    pub(crate) fn key(setting: &'static str, what: &str, error: crate::crypto::KeyError) -> ConfigError {
        let message = if what.is_empty() { error.to_string() } else { format!("{what}: {error}") };
        ConfigError { setting, message, key: Some(error) }
    }

    /// The key loading error behind this one, when a key or certificate did not load.
    pub fn key_error(&self) -> Option<&crate::crypto::KeyError> {
        self.key.as_ref()
    }

    /// The builder setting at fault (`"mchid"`, `"serial"`, `"private_key"`, `"certs"`, `"base_uri"`, …).
    pub fn setting(&self) -> &'static str {
        self.setting
    }

    /// What was wrong and what to do instead.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid client configuration `{}`: {}", self.setting, self.message)
    }
}

impl StdError for ConfigError {}

/// The category of an [`InputError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputErrorKind {
    /// The path template is malformed (`{` without `}`, bad variable name, stray `<`).
    Template,
    /// A path template variable has no value in the options.
    MissingVariable,
    /// A path template variable is empty, `.` or `..`, which would change the request path.
    BadVariable,
    /// An option key is neither a request option nor a variable of the path template.
    UnknownOption,
    /// Two options (or an option and the template) say contradictory things.
    ConflictingOptions,
    /// An option has the wrong type or an unusable value.
    InvalidOption,
    /// The resulting URL is not usable (scheme, host, fragment).
    Url,
    /// The request is for something this SDK version does not do (APIv2 XML endpoints).
    Unsupported,
    /// A media upload was refused before sending: file too large, extension not allowed, empty or
    /// unreadable file, or an endpoint or method that takes no upload (see [`media`](crate::media)).
    Media,
}

/// Invalid chain, template or options. Nothing was sent.
#[derive(Clone, Debug)]
pub struct InputError {
    kind: InputErrorKind,
    message: String,
}

impl InputError {
    pub(crate) fn new(kind: InputErrorKind, message: impl Into<String>) -> InputError {
        InputError { kind, message: message.into() }
    }

    /// The category.
    pub fn kind(&self) -> InputErrorKind {
        self.kind
    }

    /// What was wrong and what to do instead.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid request, nothing was sent: {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// A connection-level failure.
#[derive(Debug)]
pub struct TransportError {
    sent: Sent,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl TransportError {
    pub(crate) fn new(sent: Sent, message: impl Into<String>, source: Option<Box<dyn StdError + Send + Sync>>) -> Self {
        TransportError { sent, message: message.into(), source }
    }

    /// Whether the request may have left the process.
    pub fn sent(&self) -> Sent {
        self.sent
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
            let mut next = source.source();
            while let Some(cause) = next {
                write!(f, ": {cause}")?;
                next = cause.source();
            }
        }
        match self.sent {
            Sent::No => f.write_str(" (nothing was sent)"),
            Sent::Maybe => f.write_str(" (the request may have reached WeChat Pay; query before retrying)"),
            Sent::Yes => f.write_str(" (WeChat Pay received the request)"),
        }
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// The call exceeded its connect or total time limit.
#[derive(Clone, Debug)]
pub struct TimeoutError {
    sent: Sent,
    after: Duration,
    phase: &'static str,
}

impl TimeoutError {
    pub(crate) fn new(sent: Sent, after: Duration, phase: &'static str) -> Self {
        TimeoutError { sent, after, phase }
    }

    /// Whether the request may have left the process (`No` for a connect timeout).
    pub fn sent(&self) -> Sent {
        self.sent
    }

    /// The limit that was exceeded.
    pub fn after(&self) -> Duration {
        self.after
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} timed out after {:?}", self.phase, self.after)?;
        match self.sent {
            Sent::No => f.write_str(" (nothing was sent)"),
            _ => f.write_str(" (the request may have reached WeChat Pay; query before retrying)"),
        }
    }
}

impl std::error::Error for TimeoutError {}
