//! Procedural macros for `wechatpay-chain`.
//!
//! The endpoint catalogs (`data/endpoints.json`, 1020 APIv3 endpoints, and `data/endpoints-v2.json`, 136
//! APIv2 endpoints placed under `v2/`) are compiled into this crate.
//! [`catalog!`] turns it into one chain node type per catalogued path prefix, each offering exactly the
//! segments that continue a catalogued path. The macros are invoked inside `wechatpay-chain`; they are
//! not meant to be called by users directly.
//!
//! # Naming rule (segment → method)
//!
//! Each generated method carries its literal wire segment; the name is derived one way only:
//!
//! 1. `-` becomes `_`, and an ASCII capital `C` becomes `_c` (`complaints-v2` → `complaints_v2`).
//! 2. A name that is a Rust keyword or the name of a chain method (`return`, `use`, `try`, `delete`,
//!    `get`, `seg`, `param`, …) gets a trailing `_`: `.return_()`, `.use_()`, `.delete_()`.
//! 3. When two sibling segments map to the same name (`policy-periods` next to `policy_periods`), the one
//!    whose wire spelling already is that name keeps it and the other gets `_kebab`:
//!    `.policy_periods()` → `policy_periods`, `.policy_periods_kebab()` → `policy-periods`.
//! 4. A trailing empty segment (`v3/applyment4sub/applyment/`) is `.trailing_slash()`.
//! 5. Placeholder children (`{face_sid}`) are reached with `.param("face_sid")`; siblings with different
//!    placeholder names share one node.

mod chain;
mod endpoint;

use proc_macro::TokenStream;
use proc_macro2::{Ident, Span, TokenStream as TokenStream2};
use quote::quote;
use std::collections::BTreeMap;

const CATALOG: &str = include_str!("../data/endpoints.json");
/// The APIv2 catalog (136 XML endpoints); its paths are relative to `v2/`.
const CATALOG_V2: &str = include_str!("../data/endpoints-v2.json");

/// Rust keywords (strict, reserved and edition-2024) that cannot be plain method names.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// Methods every node already has (inherent, via `Deref<Target = Chain>`, or from std traits).
const RESERVED: &[&str] = &[
    "seg",
    "param",
    "template",
    "client",
    "prepare",
    "request",
    "request_async",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "get_async",
    "post_async",
    "put_async",
    "patch_async",
    "delete_async",
    "clone",
    "into",
    "from",
    "deref",
    "to_owned",
    "borrow",
    "fmt",
    "eq",
];

struct Endpoint {
    method: String,
    path: String,
    params: Vec<String>,
    query: Vec<String>,
    summary: String,
    host: String,
    upload: bool,
    download: bool,
    encrypted: bool,
    /// From the APIv2 catalog (`path` already carries the `v2/` prefix).
    v2: bool,
}

struct Node {
    /// Segments from the root; placeholders as written in the first path that reached this node.
    display: Vec<String>,
    /// Every placeholder name seen at this node's position (only for placeholder nodes).
    placeholder_names: Vec<String>,
    children: BTreeMap<String, usize>,
    endpoints: Vec<usize>,
    type_name: String,
}

struct Catalog {
    endpoints: Vec<Endpoint>,
    nodes: Vec<Node>,
}

fn str_field(v: &serde_json::Value, key: &str) -> String {
    v.get(key).and_then(|x| x.as_str()).unwrap_or_default().to_owned()
}

fn list_field(v: &serde_json::Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(|x| x.as_array())
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn is_placeholder(seg: &str) -> bool {
    seg.starts_with('{') && seg.ends_with('}')
}

fn rows(text: &str, what: &str) -> Result<Vec<serde_json::Value>, String> {
    let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("{what} is not valid JSON: {e}"))?;
    match raw {
        serde_json::Value::Array(rows) => Ok(rows),
        _ => Err(format!("{what} must be a JSON array")),
    }
}

fn load() -> Result<Catalog, String> {
    let v3 = rows(CATALOG, "endpoint catalog")?;
    let v2 = rows(CATALOG_V2, "APIv2 endpoint catalog")?;
    let mut endpoints = Vec::with_capacity(v3.len() + v2.len());
    for (row, is_v2) in v3.iter().map(|r| (r, false)).chain(v2.iter().map(|r| (r, true))) {
        let headers = list_field(row, "headers");
        let path = str_field(row, "path");
        endpoints.push(Endpoint {
            method: str_field(row, "method"),
            path: if is_v2 { format!("v2/{path}") } else { path },
            params: list_field(row, "params"),
            query: list_field(row, "query"),
            summary: str_field(row, "summary"),
            host: str_field(row, "host"),
            upload: row.get("upload").and_then(|b| b.as_bool()).unwrap_or(false),
            download: row.get("download").and_then(|b| b.as_bool()).unwrap_or(false),
            encrypted: headers.iter().any(|h| h.eq_ignore_ascii_case("Wechatpay-Serial")),
            v2: is_v2,
        });
    }

    let mut nodes = vec![Node {
        display: Vec::new(),
        placeholder_names: Vec::new(),
        children: BTreeMap::new(),
        endpoints: Vec::new(),
        type_name: String::new(),
    }];
    for (index, endpoint) in endpoints.iter().enumerate() {
        if endpoint.path.is_empty() || endpoint.path.starts_with('/') {
            return Err(format!("catalog path `{}` must be relative and non-empty", endpoint.path));
        }
        let mut current = 0;
        for seg in endpoint.path.split('/') {
            let key = if is_placeholder(seg) { "{}".to_owned() } else { seg.to_owned() };
            if !is_placeholder(seg) && !seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(format!(
                    "catalog segment `{seg}` in `{}` has characters outside [A-Za-z0-9_-]",
                    endpoint.path
                ));
            }
            let next = match nodes[current].children.get(&key) {
                Some(&next) => next,
                None => {
                    let mut display = nodes[current].display.clone();
                    display.push(seg.to_owned());
                    nodes.push(Node {
                        display,
                        placeholder_names: Vec::new(),
                        children: BTreeMap::new(),
                        endpoints: Vec::new(),
                        type_name: String::new(),
                    });
                    let next = nodes.len() - 1;
                    nodes[current].children.insert(key, next);
                    next
                }
            };
            if is_placeholder(seg) {
                let name = seg[1..seg.len() - 1].to_owned();
                if !nodes[next].placeholder_names.contains(&name) {
                    nodes[next].placeholder_names.push(name);
                }
            }
            current = next;
        }
        nodes[current].endpoints.push(index);
    }

    // Type names: CamelCase of the path, placeholders as `By<Name>`, made unique by a numeric suffix.
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    for node in nodes.iter_mut().skip(1) {
        let mut name = String::new();
        for seg in &node.display {
            if is_placeholder(seg) {
                name.push_str("By");
                name.push_str(&camel(&seg[1..seg.len() - 1]));
            } else if seg.is_empty() {
                name.push_str("TrailingSlash");
            } else {
                name.push_str(&camel(seg));
            }
        }
        let count = taken.entry(name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            name.push_str(&count.to_string());
        }
        node.type_name = name;
    }
    Ok(Catalog { endpoints, nodes })
}

fn camel(seg: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in seg.chars() {
        if c == '-' || c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Snake-case method name for a literal wire segment (rules 1 and 2 of the crate docs).
fn method_name(seg: &str) -> String {
    if seg.is_empty() {
        return "trailing_slash".to_owned();
    }
    let mut out = String::with_capacity(seg.len() + 2);
    for c in seg.chars() {
        match c {
            '-' => out.push('_'),
            'A'..='Z' => {
                if !out.is_empty() && !out.ends_with('_') {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            }
            _ => out.push(c),
        }
    }
    if KEYWORDS.contains(&out.as_str()) || RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Method names for the static children of one node, with sibling clashes resolved (rule 3).
fn child_methods(node: &Node) -> Vec<(String, String, usize)> {
    let mut by_name: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for (seg, &child) in &node.children {
        if seg == "{}" {
            continue;
        }
        by_name.entry(method_name(seg)).or_default().push((seg.clone(), child));
    }
    let mut out = Vec::new();
    for (name, group) in by_name {
        if group.len() == 1 {
            let (seg, child) = group.into_iter().next().unwrap_or_default();
            out.push((name, seg, child));
            continue;
        }
        for (seg, child) in group {
            if seg == name {
                out.push((name.clone(), seg, child));
            } else {
                out.push((format!("{name}_kebab"), seg, child));
            }
        }
    }
    out
}

fn node_path(node: &Node) -> String {
    node.display.join("/")
}

fn node_doc(catalog: &Catalog, node: &Node) -> String {
    let mut doc = format!("Chain node `{}`.\n", node_path(node));
    if node.placeholder_names.len() > 1 {
        doc.push_str(&format!(
            "\nThe catalog names this placeholder differently on different endpoints: {}.\n",
            node.placeholder_names.iter().map(|n| format!("`{{{n}}}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    if !node.endpoints.is_empty() {
        doc.push_str("\n| verb | endpoint | query | notes |\n| --- | --- | --- | --- |\n");
        for &i in &node.endpoints {
            let e = &catalog.endpoints[i];
            let mut notes = vec![e.summary.clone()];
            if e.v2 {
                notes.push("APIv2 (XML): fields go in the `xml` option".to_owned());
            }
            if e.host != "api.mch.weixin.qq.com" && !e.host.is_empty() {
                notes.push(format!("host `{}`", e.host));
            }
            if e.upload {
                notes.push("media upload".to_owned());
            }
            if e.download {
                notes.push("file download".to_owned());
            }
            if e.encrypted {
                notes.push("encrypted fields (`Wechatpay-Serial`)".to_owned());
            }
            let query = e.query.iter().map(|q| format!("`{q}`")).collect::<Vec<_>>().join(", ");
            doc.push_str(&format!(
                "| `.{}()` | `{} {}` | {} | {} |\n",
                e.method.to_ascii_lowercase(),
                e.method,
                e.path,
                query,
                notes.join("; ")
            ));
        }
    }
    doc
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

fn compile_error(message: &str) -> TokenStream {
    quote!(::core::compile_error!(#message);).into()
}

/// Generates the catalog's chain node types and the root methods on `Client`.
///
/// Expands, inside `wechatpay-chain`, to one `pub struct` per catalogued path prefix wrapping a
/// `crate::chain::Chain`, with a method per literal continuation, `param(name)` (typed when the catalog
/// has a placeholder child, else returning an untyped `Chain`), `seg(text)`, and `Deref<Target = Chain>`
/// for the verbs.
#[proc_macro]
pub fn catalog(_input: TokenStream) -> TokenStream {
    let catalog = match load() {
        Ok(c) => c,
        Err(e) => return compile_error(&e),
    };
    let mut items = Vec::new();
    for node in catalog.nodes.iter().skip(1) {
        let ty = ident(&node.type_name);
        let doc = node_doc(&catalog, node);
        let mut methods = Vec::new();
        for (name, seg, child) in child_methods(node) {
            let child_ty = ident(&catalog.nodes[child].type_name);
            let method = ident(&name);
            let mdoc = if seg.is_empty() {
                format!("Appends an empty segment: `{}/`.", node_path(node))
            } else {
                format!("Appends the segment `{seg}`: `{}`.", node_path(&catalog.nodes[child]))
            };
            methods.push(quote! {
                #[doc = #mdoc]
                #[inline]
                pub fn #method(self) -> #child_ty {
                    #child_ty(self.0.push_literal(#seg))
                }
            });
        }
        match node.children.get("{}") {
            Some(&child) => {
                let child_node = &catalog.nodes[child];
                let child_ty = ident(&child_node.type_name);
                let names =
                    child_node.placeholder_names.iter().map(|n| format!("`\"{n}\"`")).collect::<Vec<_>>().join(" or ");
                let pdoc = format!(
                    "Appends the placeholder `{{name}}` (catalog name: {names}): `{}`.\n\nThe value comes from the \
                     request options at call time and is percent-encoded; `param(\"+name\")` keeps reserved \
                     characters such as `/`.",
                    node_path(child_node)
                );
                methods.push(quote! {
                    #[doc = #pdoc]
                    #[inline]
                    pub fn param(self, name: &str) -> #child_ty {
                        #child_ty(self.0.param(name))
                    }
                });
            }
            None => methods.push(quote! {
                /// Appends the placeholder `{name}`; the catalog has none here, so the result is an untyped
                /// [`Chain`](crate::Chain).
                #[inline]
                pub fn param(self, name: &str) -> crate::Chain {
                    self.0.param(name)
                }
            }),
        }
        items.push(quote! {
            #[doc = #doc]
            #[derive(Clone, Debug)]
            #[must_use = "a chain node does nothing until a verb such as `.get(…)` is called"]
            pub struct #ty(crate::Chain);

            impl #ty {
                #[allow(dead_code)] // only the roots' children are built from a bare chain
                #[inline]
                pub(crate) fn from_chain(chain: crate::Chain) -> #ty {
                    #ty(chain)
                }

                #(#methods)*

                /// Appends path text (`/`-separated; `{x}`, `_x_` and `<x>` are placeholders). The result is an
                /// untyped [`Chain`](crate::Chain).
                #[inline]
                pub fn seg(self, text: &str) -> crate::Chain {
                    self.0.seg(text)
                }
            }

            impl ::core::ops::Deref for #ty {
                type Target = crate::Chain;
                #[inline]
                fn deref(&self) -> &crate::Chain {
                    &self.0
                }
            }

            impl ::core::convert::From<#ty> for crate::Chain {
                #[inline]
                fn from(node: #ty) -> crate::Chain {
                    node.0
                }
            }
        });
    }

    quote! { #(#items)* }.into()
}

/// Expands to the client's chain roots (`impl Client { pub fn v3(&self) -> V3 … }`), one per first
/// segment of the catalog, each starting a typed chain at that segment. Invoked in the client module,
/// so the chain module never names the client.
#[proc_macro]
pub fn catalog_roots(_input: TokenStream) -> TokenStream {
    let catalog = match load() {
        Ok(c) => c,
        Err(e) => return compile_error(&e),
    };
    let mut roots = Vec::new();
    for (name, seg, child) in child_methods(&catalog.nodes[0]) {
        let child_ty = ident(&catalog.nodes[child].type_name);
        let method = ident(&name);
        let rdoc = format!("Starts a chain at `{seg}` (typed: only catalogued continuations are offered).");
        roots.push(quote! {
            #[doc = #rdoc]
            #[inline]
            pub fn #method(&self) -> crate::chain::nodes::#child_ty {
                crate::chain::nodes::#child_ty::from_chain(self.root().push_literal(#seg))
            }
        });
    }
    quote! {
        impl crate::Client {
            #(#roots)*
        }
    }
    .into()
}

/// Expands to the APIv3 catalog as a `&'static [crate::catalog::Endpoint]` expression, or to the APIv2
/// catalog when the input is `v2`.
#[proc_macro]
pub fn catalog_endpoints(input: TokenStream) -> TokenStream {
    let catalog = match load() {
        Ok(c) => c,
        Err(e) => return compile_error(&e),
    };
    let want_v2 = match input.to_string().trim() {
        "" => false,
        "v2" => true,
        other => return compile_error(&format!("catalog_endpoints!: expected nothing or `v2`, not `{other}`")),
    };
    let rows = catalog.endpoints.iter().filter(|e| e.v2 == want_v2).map(|e| {
        let (method, path, summary, host) = (&e.method, &e.path, &e.summary, &e.host);
        let params = &e.params;
        let query = &e.query;
        let (upload, download, encrypted) = (e.upload, e.download, e.encrypted);
        quote! {
            crate::catalog::Endpoint {
                method: #method,
                path: #path,
                params: &[#(#params),*],
                query: &[#(#query),*],
                summary: #summary,
                host: #host,
                upload: #upload,
                download: #download,
                encrypted_fields: #encrypted,
            }
        }
    });
    quote!(&[#(#rows),*]).into()
}

/// Test support: expands to a `Vec<(&'static str, Chain)>` that reaches every catalogued path through the
/// generated methods of the client expression given as input.
#[doc(hidden)]
#[proc_macro]
pub fn catalog_reachability(input: TokenStream) -> TokenStream {
    let catalog = match load() {
        Ok(c) => c,
        Err(e) => return compile_error(&e),
    };
    let client: TokenStream2 = input.into();
    let mut entries = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for endpoint in &catalog.endpoints {
        if !seen.insert(endpoint.path.clone()) {
            continue;
        }
        let mut calls = Vec::new();
        let mut node = 0usize;
        for seg in endpoint.path.split('/') {
            if is_placeholder(seg) {
                let name = &seg[1..seg.len() - 1];
                calls.push(quote!(.param(#name)));
                node = catalog.nodes[node].children.get("{}").copied().unwrap_or_default();
            } else {
                let methods = child_methods(&catalog.nodes[node]);
                let Some((name, _, child)) = methods.into_iter().find(|(_, s, _)| s == seg) else {
                    return compile_error(&format!("no generated method reaches `{seg}` in `{}`", endpoint.path));
                };
                let method = ident(&name);
                calls.push(quote!(.#method()));
                node = child;
            }
        }
        let path = &endpoint.path;
        entries.push(quote!((#path, crate_chain(__client #(#calls)*))));
    }
    quote!({
        let __client = &#client;
        fn crate_chain<T: ::core::convert::Into<::wechatpay_chain::Chain>>(node: T) -> ::wechatpay_chain::Chain {
            node.into()
        }
        ::std::vec![#(#entries),*]
    })
    .into()
}

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
