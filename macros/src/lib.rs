//! Procedural macros for `wechatpay-chain`: `#[derive(Endpoint)]` for typed requests and `chain!`, which
//! checks a literal path template against the endpoint catalog at compile time.
//!
//! The derive implements `wechatpay_chain::typed::Endpoint` for a struct whose fields are placed in the
//! path, the query or the JSON body (see [`Endpoint`](macro@Endpoint)). It is re-exported as
//! `wechatpay_chain::typed::Endpoint`; this crate is not meant to be used directly.
//!
//! `data/` keeps the endpoint catalogs (`endpoints.json`, 1020 APIv3 endpoints, and `endpoints-v2.json`,
//! 136 APIv2 endpoints). `chain!` reads them at expansion time (paths only); `wechatpay-codegen`
//! (`codegen/` in the repository) reads them to write the chain nodes and the catalog rows.
//!
//! # Chain nodes: committed source, not a macro (decision, issue 13)
//!
//! Until 2026-11 this crate also expanded the catalog at build time: `catalog!()` made the chain node
//! types (`client.v3().pay().transactions()…`) and `catalog_endpoints!()` the rows of
//! `wechatpay_chain::catalog::ENDPOINTS`. Both now come from `cargo run -p wechatpay-codegen`, which writes
//! `src/chain/nodes.rs` (+ `src/chain/nodes/*.rs`, one file per subtree, included) and
//! `src/catalog/data.rs` in the SDK crate; the files are committed and CI checks they are current
//! (`cargo run -p wechatpay-codegen -- --check`).
//!
//! Measured before switching (2 vCPU Xeon VM shared with other builds, rustc 1.95.0, dev profile,
//! `cargo build -p wechatpay-chain` with default features; user CPU time, which the shared machine
//! disturbs less than wall time; three alternating runs each):
//!
//! | | macro | committed source |
//! | --- | ---: | ---: |
//! | crate rebuilt from scratch (`cargo clean -p wechatpay-chain`) | 15.8–17.0 s | 16.0–17.4 s |
//! | incremental after `touch src/lib.rs` | 2.7–3.1 s | 2.7–2.9 s |
//! | `cargo doc --no-deps -p wechatpay-chain`, size of `target/doc/wechatpay_chain` | 124.1 MB, 1952 pages | 125.6 MB, 1952 pages |
//!
//! Compile time is the same within the machine's noise: the expansion itself was never the cost (the
//! 45,000 lines of node types are, in either form). The rustdoc output is the same pages (the extra
//! 1.5 MB is rustdoc's rendered source of the node files); its size comes from every node page repeating
//! the methods of `Deref<Target = Chain>`, which neither form changes. Split into modules instead of
//! included files, the nodes made 1,733 extra redirect pages, so the files are `include!`d.
//!
//! Committed source wins on everything else: the generated code can be read, grepped and reviewed in a
//! diff when the catalog changes; each node's documentation links its typed request under a
//! `#[cfg_attr(feature = …, doc = …)]`, which the macro could only have done by knowing the typed layer's
//! naming; this crate no longer parses JSON at build time (no `serde_json` dependency); and IDEs see plain
//! Rust. The cost is a generator step, guarded by the freshness check.

mod chain;
mod endpoint;

use proc_macro::TokenStream;

/// Implements `wechatpay_chain::typed::Endpoint` for a request struct.
///
/// ```ignore
/// #[derive(Endpoint)]
/// #[endpoint(method = "GET", path = "v3/facemch/users/{face_sid}", response = FaceUser)]
/// struct QueryFaceUser {
///     #[param] face_sid: String,
///     #[query] appid: String,
///     #[query] sub_mchid: Option<String>, // `None` is left out
/// }
/// ```
///
/// Every field is marked with exactly one of `#[param]` (a `{name}` variable of the template), `#[query]`
/// (a query parameter, in field order) or `#[body]` (a member of the JSON body object); the wire name is
/// the field name. `None` (anything that serializes to `null`) is omitted from the query and the body.
/// Every template variable needs a `#[param]` field and every `#[param]` field a template variable; the
/// method is one of `GET`, `POST`, `PUT`, `PATCH`, `DELETE`. Templates name variables as `{x}` here.
/// (`#[param]` rather than `#[path]`: `path` is a built-in attribute and cannot be a derive helper.)
///
/// `#[body] #[encrypt]` marks a sensitive field (a `Sensitive` or `Option<Sensitive>`): `Client::call`
/// encrypts it with the WeChat Pay key it names in `Wechatpay-Serial`, one key for the whole request.
/// Sensitive fields deeper in the body use `#[serde(with = "wechatpay_chain::typed::encrypt")]`. A unit
/// struct is an endpoint without parameters.
#[proc_macro_derive(Endpoint, attributes(endpoint, param, query, body, encrypt))]
pub fn derive_endpoint(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    endpoint::expand(input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// A path template checked against the bundled catalog at compile time (`wechatpay_chain::chain!`):
/// `chain!("v3/…")` is the literal, `chain!(client, "v3/…")` is `client.chain("v3/…")`; a template
/// without the shape of a catalogued endpoint is a compile error naming the closest catalogued paths.
#[proc_macro]
pub fn chain(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as chain::Input);
    chain::expand(input).into()
}
