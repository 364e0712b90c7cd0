//! The endpoint chain: segments and placeholders that build a path template.
//!
//! Three ways to name the same endpoint, as in wechatpay-php:
//!
//! ```
//! # let sandbox = wechatpay_sandbox::Sandbox::start().unwrap();
//! # let client = sandbox.client_builder().build().unwrap();
//! let a = client.v3().facemch().users().param("face_sid");          // generated, typed
//! let b = client.chain("v3/facemch/users/{face_sid}");              // RFC 6570 template
//! let c = client.chain("v3/facemch/users/<face_sid>");              // same placeholder, `<x>` form
//! let d = client.v3().facemch().users().seg("_face_sid_");          // PHP property form `_x_`
//! assert!([b.template(), c.template(), d.template()].iter().all(|t| *t == a.template()));
//! ```
//!
//! Rules:
//! - Text is never case-mangled. PHP turns `->outTradeNo->{'N123'}` into `out-trade-no/n123`; here
//!   `.seg("N123")` is `N123`. (Use [`php_normalize`] to see what PHP would have produced.)
//! - In [`Chain::seg`] and [`Client::chain`](crate::Client::chain), `{x}` (and any RFC 6570 expression
//!   such as `{+x}` or `{?a,b}`), `<x>` and a whole segment `_x_` are template variables; everything
//!   else is literal and percent-encoded where a URL needs it.
//! - Values never go into segments: they come from the options at call time and are percent-encoded
//!   (`{x}` like PHP's `rawurlencode`, `{+x}` keeping reserved characters). A missing value is an error.
//! - The generated methods follow the naming rule documented on [`nodes`]: `-` → `_`, keywords and
//!   chain-method names get a trailing `_` (`.return_()`, `.use_()`, `.delete_()`), a sibling clash
//!   such as `policy-periods`/`policy_periods` gives `.policy_periods_kebab()` for the dashed one, and
//!   a trailing empty segment is `.trailing_slash()`. `.seg("…")` reaches anything.

pub mod nodes;

use std::sync::Arc;

use http::Method;

use crate::error::Error;
use crate::pipeline::Engine;
use crate::request::{Options, PreparedRequest};
use crate::response::Response;
use crate::transport::ResponseFuture;
use crate::uri::template;

/// A path template on its way to a request. Build it with [`Client::chain`](crate::Client::chain), the
/// generated methods ([`Client::v3`](crate::Client::v3)…), [`seg`](Chain::seg) and [`param`](Chain::param);
/// finish it with a verb.
#[derive(Clone)]
#[must_use = "a chain does nothing until a verb such as `.get(…)` is called"]
pub struct Chain {
    engine: Arc<Engine>,
    template: String,
    started: bool,
    invalid: Option<String>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Chain").field(&self.template).finish()
    }
}

impl Chain {
    pub(crate) fn root(engine: Arc<Engine>) -> Chain {
        Chain { engine, template: String::new(), started: false, invalid: None }
    }

    fn push_raw(&mut self, text: &str) {
        if self.started {
            self.template.push('/');
        }
        self.template.push_str(text);
        self.started = true;
    }

    /// Appends a catalogued literal segment (used by the generated node methods).
    pub(crate) fn push_literal(mut self, segment: &'static str) -> Chain {
        self.push_raw(segment);
        self
    }

    /// Appends path text: one or more `/`-separated segments. `{x}` (any RFC 6570 expression), `<x>`
    /// and a whole segment `_x_` are template variables; other text is literal. An empty string adds an
    /// empty segment (a trailing slash).
    ///
    /// ```
    /// # let sandbox = wechatpay_sandbox::Sandbox::start().unwrap();
    /// # let client = sandbox.client_builder().build().unwrap();
    /// let c = client.v3().pay().transactions().seg("out-trade-no/_out_trade_no_");
    /// assert_eq!(c.template(), "v3/pay/transactions/out-trade-no/{out_trade_no}");
    /// ```
    pub fn seg(mut self, text: &str) -> Chain {
        let converted = convert_placeholders(text);
        match converted {
            Ok(t) => self.push_raw(&t),
            Err(message) => {
                self.push_raw(text);
                self.invalid.get_or_insert(message);
            }
        }
        self
    }

    /// Appends the placeholder segment `{name}`; `param("+name")` appends `{+name}`, which keeps
    /// reserved characters such as `/` in the value (for ids that arrive already encoded).
    pub fn param(mut self, name: &str) -> Chain {
        let bare = name.strip_prefix('+').unwrap_or(name);
        if !template::is_varname(bare) {
            self.invalid
                .get_or_insert(format!("`{name}` is not a valid placeholder name (letters, digits, `_`, `-`, `.`)"));
        }
        self.push_raw(&format!("{{{name}}}"));
        self
    }

    /// The path template built so far, e.g. `v3/facemch/users/{face_sid}`.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Builds the request without sending it: template expansion, query, body and headers, everything
    /// but the `Authorization` header. Useful to inspect what would be signed.
    pub fn prepare(&self, method: Method, options: impl Into<Options>) -> Result<PreparedRequest, Error> {
        if let Some(message) = &self.invalid {
            return Err(Error::input(crate::error::InputErrorKind::Template, message.clone()));
        }
        self.engine.prepare(&self.template, method, options.into())
    }

    /// Sends the request with any method and waits for the verified response (blocking; see
    /// [`get`](Chain::get)).
    pub fn request(&self, method: Method, options: impl Into<Options>) -> Result<Response, Error> {
        let prepared = self.prepare(method, options)?;
        self.engine.send_blocking(&self.template, prepared)
    }

    /// Streams one of WeChat Pay's file downloads (bills, transfer receipts, complaint images, fapiao
    /// files, overseas statements) with `GET`, without buffering it: returns once the answer's head has
    /// arrived; read the body from the [`Download`](crate::download::Download). Any other path is refused
    /// before sending (use [`get`](Chain::get)).
    pub fn download(&self, options: impl Into<Options>) -> Result<crate::download::Download, Error> {
        let prepared = self.prepare(Method::GET, options)?;
        self.engine.download_blocking(&self.template, prepared)
    }

    /// [`download`](Chain::download), async (any executor).
    pub async fn download_async(&self, options: impl Into<Options>) -> Result<crate::download::Download, Error> {
        let prepared = self.prepare(Method::GET, options)?;
        Arc::clone(&self.engine).download_async(&self.template, prepared).await
    }

    /// Sends the request with any method; the returned future resolves to the verified response.
    pub fn request_async(&self, method: Method, options: impl Into<Options>) -> ResponseFuture {
        match self.prepare(method, options) {
            Ok(prepared) => Arc::clone(&self.engine).send_async(&self.template, prepared),
            Err(e) => ResponseFuture::ready(Err(e)),
        }
    }
}

macro_rules! verbs {
    ($($method:ident $async_method:ident $http:ident $name:literal;)*) => {
        impl Chain {
            $(
                #[doc = concat!("Sends a `", $name, "` and returns the verified response. Blocking: it may be called from any")]
                /// thread, including inside an async runtime (the I/O runs on the SDK's own runtime threads;
                /// the calling thread waits). Prefer the `_async` form inside async code.
                ///
                /// `options` is a `serde_json::Value` in PHP-array shape or an [`Options`] builder.
                pub fn $method(&self, options: impl Into<Options>) -> Result<Response, Error> {
                    self.request(Method::$http, options)
                }

                #[doc = concat!("Sends a `", $name, "`; the future resolves to the verified response.")]
                /// It works on any executor: the I/O runs on the SDK's runtime. Nothing is sent until the
                /// future is first polled; dropping it cancels the call (which may already have reached
                /// WeChat Pay).
                pub fn $async_method(&self, options: impl Into<Options>) -> ResponseFuture {
                    self.request_async(Method::$http, options)
                }
            )*
        }
    };
}

verbs! {
    get get_async GET "GET";
    post post_async POST "POST";
    put put_async PUT "PUT";
    patch patch_async PATCH "PATCH";
    delete delete_async DELETE "DELETE";
}

/// Converts `<x>` anywhere and whole `_x_` segments into `{x}`; refuses stray `<`/`>`.
fn convert_placeholders(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 2);
    for (i, piece) in text.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if piece.len() >= 3
            && piece.starts_with('_')
            && piece.ends_with('_')
            && template::is_varname(&piece[1..piece.len() - 1])
        {
            out.push('{');
            out.push_str(&piece[1..piece.len() - 1]);
            out.push('}');
            continue;
        }
        let mut rest = piece;
        while let Some(open) = rest.find(['<', '>']) {
            if rest.as_bytes()[open] == b'>' {
                return Err(format!(
                    "`>` without `<` in `{text}`; placeholders are written `<name>`, `{{name}}` or `_name_`"
                ));
            }
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('>').ok_or_else(|| format!("`<` without `>` in `{text}`"))?;
            let name = &after[..close];
            if !template::is_varname(name) {
                return Err(format!("`<{name}>` in `{text}` is not a valid placeholder name"));
            }
            out.push('{');
            out.push_str(name);
            out.push('}');
            rest = &after[close + 1..];
        }
        out.push_str(rest);
    }
    Ok(out)
}

/// What wechatpay-php's chain normalisation makes of a segment key — for porting and comparison only;
/// this SDK never applies it. The first `A`–`Z` is lowercased, every later one becomes `-` + lowercase,
/// and a whole `_x_` becomes `{x}`.
///
/// ```
/// use wechatpay_chain::chain::php_normalize;
/// assert_eq!(php_normalize("merchantService"), "merchant-service");
/// assert_eq!(php_normalize("_out_trade_no_"), "{out_trade_no}");
/// assert_eq!(php_normalize("N123"), "n123"); // why PHP users hit case bugs
/// ```
pub fn php_normalize(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len() + 4);
    for (i, c) in segment.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.len() >= 2 && out.starts_with('_') && out.ends_with('_') {
        out = format!("{{{}}}", &out[1..out.len() - 1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_forms() {
        assert_eq!(convert_placeholders("v3/users/_face_sid_").as_deref(), Ok("v3/users/{face_sid}"));
        assert_eq!(convert_placeholders("v3/users/<face_sid>/x").as_deref(), Ok("v3/users/{face_sid}/x"));
        assert_eq!(convert_placeholders("a<b>c").as_deref(), Ok("a{b}c"));
        assert_eq!(convert_placeholders("__x__").as_deref(), Ok("{_x_}"));
        for literal in ["_", "__", "_a", "a_", "_transaction_id", "sub_merchants", "{+x}", "N123", ""] {
            assert_eq!(convert_placeholders(literal).as_deref(), Ok(literal), "{literal}");
        }
        assert!(convert_placeholders("a<b").is_err());
        assert!(convert_placeholders("a>b").is_err());
        assert!(convert_placeholders("<a b>").is_err());
    }
}
