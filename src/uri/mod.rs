//! URLs: RFC 6570 path templates ([`template`]), PHP's way of encoding values ([`encode`]), and base URIs
//! ([`BaseUri`]). The bottom of the request pipeline: it knows nothing of clients or protocols.

mod base;
pub(crate) mod encode;
pub(crate) mod template;

pub(crate) use base::{BaseUri, resolve, sanitize};
