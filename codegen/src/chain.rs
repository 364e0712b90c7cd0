//! Chain nodes (`src/chain/nodes.rs`, `src/chain/nodes/*.rs`), the catalog table
//! (`src/catalog/data.rs`) and the reachability list for `tests/sdk/catalog.rs`.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, Node};
use crate::names::{is_placeholder, lit, placeholder_name};
use crate::out::{Out, header};

/// A typed request generated for a catalog endpoint, linked from its chain node.
pub struct TypedLink {
    pub feature: String,
    /// `crate::typed::facemch::GetFacemchUsersByFaceSid`.
    pub rust_path: String,
    pub name: String,
    /// `Client::call` or `Client::call_download`.
    pub call: &'static str,
}

const WHAT: &str = "chain nodes from macros/data/endpoints*.json";

/// The file a node lives in: depth-1 nodes (`v3`, `v2`, `hk`, …) in `nodes.rs`, everything else by its
/// first two segments (`v3/pay/…` in `nodes/v3_pay.rs`).
fn file_of(node: &Node) -> Option<String> {
    if node.display.len() < 2 {
        return None;
    }
    Some(format!("{}_{}", node.display[0], node.display[1]).replace('-', "_").to_ascii_lowercase())
}

fn node_doc(catalog: &Catalog, node: &Node, typed: &BTreeMap<usize, TypedLink>, out: &mut Out) {
    let mut doc = format!("Chain node `{}`.\n", node.path());
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
    // The doc text ends with a line break; drop it so no empty doc line follows.
    out.doc(doc.trim_end_matches('\n'));
    let links: Vec<(&str, &str, &TypedLink)> = node
        .endpoints
        .iter()
        .filter_map(|&i| {
            typed.get(&i).map(|l| (catalog.endpoints[i].method.as_str(), catalog.endpoints[i].path.as_str(), l))
        })
        .collect();
    if !links.is_empty() {
        // The blank line ends the table; the typed requests exist only with their feature.
        out.doc("");
        for (method, path, link) in links {
            out.cfg_doc(
                &link.feature,
                &format!(
                    "- `{method} {path}` as a typed request: [`{}`]({}) (`{}`)",
                    link.name, link.rust_path, link.call
                ),
            );
        }
    }
}

fn emit_node(catalog: &Catalog, node: &Node, typed: &BTreeMap<usize, TypedLink>, out: &mut Out) {
    let ty = &node.type_name;
    node_doc(catalog, node, typed, out);
    out.line("#[derive(Clone, Debug)]");
    out.line("#[must_use = \"a chain node does nothing until a verb such as `.get(…)` is called\"]");
    out.line(format!("pub struct {ty}(crate::Chain);"));
    out.blank();
    out.line(format!("impl {ty} {{"));
    for (name, seg, child) in catalog.child_methods(node) {
        let child_node = &catalog.nodes[child];
        let mdoc = if seg.is_empty() {
            format!("Appends an empty segment: `{}/`.", node.path())
        } else {
            format!("Appends the segment `{seg}`: `{}`.", child_node.path())
        };
        out.doc(mdoc);
        out.line("#[inline]");
        out.line(format!(
            "pub fn {name}(self) -> {} {{ {}(self.0.push_literal({})) }}",
            child_node.type_name,
            child_node.type_name,
            lit(&seg)
        ));
    }
    match node.children.get("{}") {
        Some(&child) => {
            let child_node = &catalog.nodes[child];
            let names =
                child_node.placeholder_names.iter().map(|n| format!("`\"{n}\"`")).collect::<Vec<_>>().join(" or ");
            out.doc(format!(
                "Appends the placeholder `{{name}}` (catalog name: {names}): `{}`.\n\nThe value comes from the request \
                 options at call time and is percent-encoded; `param(\"+name\")` keeps reserved characters such as `/`.",
                child_node.path()
            ));
            out.line("#[inline]");
            out.line(format!(
                "pub fn param(self, name: &str) -> {} {{ {}(self.0.param(name)) }}",
                child_node.type_name, child_node.type_name
            ));
        }
        None => {
            out.doc(
                "Appends the placeholder `{name}`; the catalog has none here, so the result is an untyped\n\
                 [`Chain`](crate::Chain).",
            );
            out.line("#[inline]");
            out.line("pub fn param(self, name: &str) -> crate::Chain { self.0.param(name) }");
        }
    }
    out.line("}");
    out.blank();
    out.line(format!("node_impls!({ty});"));
    out.blank();
}

pub struct ChainFiles {
    /// Repository-relative path → contents.
    pub files: BTreeMap<String, String>,
}

pub fn generate(catalog: &Catalog, typed: &BTreeMap<usize, TypedLink>) -> Result<ChainFiles, String> {
    let mut files = BTreeMap::new();
    let v3_count = catalog.endpoints.iter().filter(|e| !e.v2).count();
    let v2_count = catalog.endpoints.len() - v3_count;

    // Group nodes by file.
    let mut by_file: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (i, node) in catalog.nodes.iter().enumerate().skip(1) {
        match file_of(node) {
            Some(f) => by_file.entry(f).or_default().push(i),
            None => roots.push(i),
        }
    }
    // File names must not clash between different subtrees.
    let mut owners: BTreeMap<&str, String> = BTreeMap::new();
    for (file, nodes) in &by_file {
        for &i in nodes {
            let owner = catalog.nodes[i].display[..2].join("/");
            if let Some(previous) = owners.insert(file.as_str(), owner.clone())
                && previous != owner
            {
                return Err(format!("chain node files clash: `{previous}` and `{owner}` both map to nodes/{file}.rs"));
            }
        }
    }

    let mut top = Out::new();
    top.push_str(&header(WHAT));
    top.inner_doc(format!(
        "Chain node types generated from the endpoint catalog ({v3_count} APIv3 endpoints, {v2_count} APIv2 endpoints \
         under `v2/`).\n\
         \n\
         Each type is one catalogued path prefix, named after it (`V3FacemchUsers` is `v3/facemch/users`,\n\
         `V3FacemchUsersByFaceSid` is `v3/facemch/users/{{face_sid}}`). A node offers only the segments that\n\
         continue a catalogued path, so IDE completion lists the valid next steps and a misspelled segment\n\
         does not compile. Every node dereferences to [`Chain`](crate::Chain) for the verbs and keeps\n\
         [`seg`](crate::Chain::seg) / [`param`](crate::Chain::param) for anything the catalog lacks. Each\n\
         node's documentation lists the endpoints at that path with their summaries and query names, and,\n\
         with the typed feature of the endpoint's group, links its typed request.\n\
         \n\
         # Naming rule (segment → method)\n\
         \n\
         Each generated method carries its literal wire segment; the name is derived one way only:\n\
         \n\
         1. `-` becomes `_`, and an ASCII capital `C` becomes `_c` (`complaints-v2` → `complaints_v2`,\n\
         \x20  `addInstitutionsub` → `add_institutionsub`).\n\
         2. A name that is a Rust keyword or the name of a chain method (`return`, `use`, `try`, `delete`,\n\
         \x20  `get`, `seg`, `param`, …) gets a trailing `_`: `.return_()`, `.use_()`, `.delete_()`.\n\
         3. When two sibling segments map to the same name (`policy-periods` next to `policy_periods`), the one\n\
         \x20  whose wire spelling already is that name keeps it and the other gets `_kebab`:\n\
         \x20  `.policy_periods()` → `policy_periods`, `.policy_periods_kebab()` → `policy-periods`.\n\
         4. A trailing empty segment (`v3/applyment4sub/applyment/`) is `.trailing_slash()`.\n\
         5. Placeholder children (`{{face_sid}}`) are reached with `.param(\"face_sid\")`; siblings with different\n\
         \x20  placeholder names share one node.\n\
         \n\
         Type names are the CamelCase path with placeholders as `By<Name>` and a trailing slash as\n\
         `TrailingSlash`; a name taken twice gets a numeric suffix. The nodes are source generated by\n\
         `cargo run -p wechatpay-codegen` (see `codegen/`) and committed; they are part of the crate's public API\n\
         and follow its semver."
    ));
    top.blank();
    top.line("/// The parts every node type shares: `seg`, `Deref<Target = Chain>` and `From<node> for Chain`.");
    top.line("macro_rules! node_impls {");
    top.line("    ($ty:ident) => {");
    top.line("        impl $ty {");
    top.line(
        "            /// Appends path text (`/`-separated; `{x}`, `_x_` and `<x>` are placeholders). The result is an",
    );
    top.line("            /// untyped [`Chain`](crate::Chain).");
    top.line("            #[inline]");
    top.line("            pub fn seg(self, text: &str) -> crate::Chain {");
    top.line("                self.0.seg(text)");
    top.line("            }");
    top.line("        }");
    top.line("");
    top.line("        impl ::core::ops::Deref for $ty {");
    top.line("            type Target = crate::Chain;");
    top.line("            #[inline]");
    top.line("            fn deref(&self) -> &crate::Chain {");
    top.line("                &self.0");
    top.line("            }");
    top.line("        }");
    top.line("");
    top.line("        impl ::core::convert::From<$ty> for crate::Chain {");
    top.line("            #[inline]");
    top.line("            fn from(node: $ty) -> crate::Chain {");
    top.line("                node.0");
    top.line("            }");
    top.line("        }");
    top.line("    };");
    top.line("}");
    top.blank();
    // The other nodes are split by subtree into files that are included here rather than made modules, so
    // every node keeps the one path `chain::nodes::X` (and rustdoc writes no redirect pages).
    for file in by_file.keys() {
        top.line(format!("include!(\"nodes/{file}.rs\");"));
    }
    top.blank();
    for &i in &roots {
        emit_node(catalog, &catalog.nodes[i], typed, &mut top);
    }
    // The client's roots live with the client (src/client/roots.rs), so this module never names the
    // client; they start each first-level node from a bare chain.
    let mut starts = Out::new();
    starts.push_str(&header(WHAT));
    starts
        .line("//! The client's chain roots (`client.v3()`, `client.v2()`, …): one per first catalogued segment, each");
    starts.line("//! starting a typed chain node at that segment.");
    starts.blank();
    starts.line("use super::Client;");
    starts.line("use crate::chain::nodes;");
    starts.blank();
    starts.line("impl Client {");
    for (name, seg, child) in catalog.child_methods(&catalog.nodes[0]) {
        let child_ty = &catalog.nodes[child].type_name;
        top.line(format!("impl {child_ty} {{"));
        top.line("#[inline]");
        top.line(format!("pub(crate) fn from_chain(chain: crate::Chain) -> {child_ty} {{ {child_ty}(chain) }}"));
        top.line("}");
        starts.doc(format!("Starts a chain at `{seg}` (typed: only catalogued continuations are offered)."));
        starts.line("#[inline]");
        starts.line(format!(
            "pub fn {name}(&self) -> nodes::{child_ty} {{ nodes::{child_ty}::from_chain(self.root().push_literal({})) }}",
            lit(&seg)
        ));
    }
    starts.line("}");
    files.insert("src/client/roots.rs".to_owned(), starts.into_string());
    files.insert("src/chain/nodes.rs".to_owned(), top.into_string());

    for (file, nodes) in &by_file {
        let mut out = Out::new();
        out.push_str(&header(WHAT));
        let prefix = catalog.nodes[nodes[0]].display[..2].join("/");
        out.line(format!("// Chain nodes under `{prefix}`, included by src/chain/nodes.rs."));
        out.blank();
        for &i in nodes {
            emit_node(catalog, &catalog.nodes[i], typed, &mut out);
        }
        files.insert(format!("src/chain/nodes/{file}.rs"), out.into_string());
    }

    files.insert("src/catalog/data.rs".to_owned(), catalog_data(catalog));
    files.insert("tests/generated/reachability.rs".to_owned(), reachability(catalog)?);
    Ok(ChainFiles { files })
}

fn catalog_data(catalog: &Catalog) -> String {
    let mut out = Out::new();
    out.push_str(&header("catalog table from macros/data/endpoints*.json"));
    out.inner_doc("The catalog rows, in the order of the data files (path, then method).");
    out.blank();
    out.line("use super::Endpoint;");
    for (v2, name, what) in [(false, "V3", "APIv3"), (true, "V2", "APIv2, paths under `v2/`")] {
        out.blank();
        out.doc(format!("Every catalogued {what} endpoint."));
        out.line(format!("pub(super) static {name}: &[Endpoint] = &["));
        for e in catalog.endpoints.iter().filter(|e| e.v2 == v2) {
            let list = |items: &[String]| items.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ");
            out.line(format!(
                "Endpoint {{ method: {}, path: {}, params: &[{}], query: &[{}], summary: {}, host: {}, upload: {}, \
                 download: {}, encrypted_fields: {} }},",
                lit(&e.method),
                lit(&e.path),
                list(&e.params),
                list(&e.query),
                lit(&e.summary),
                lit(&e.host),
                e.upload,
                e.download,
                e.encrypted
            ));
        }
        out.line("];");
    }
    out.into_string()
}

/// `tests/generated/reachability.rs`: every distinct catalogued path reached through generated methods.
fn reachability(catalog: &Catalog) -> Result<String, String> {
    let mut out = Out::new();
    out.push_str(&header("reachability list from macros/data/endpoints*.json"));
    out.inner_doc("Every distinct catalogued path, reached through the generated chain methods.");
    out.blank();
    out.line("use wechatpay_chain::{Chain, Client};");
    out.blank();
    out.doc("`(path, chain)` for every distinct catalogued path (APIv3 and APIv2).");
    out.line("pub fn chains(client: &Client) -> Vec<(&'static str, Chain)> {");
    out.line("    vec![");
    let mut seen = std::collections::BTreeSet::new();
    for endpoint in &catalog.endpoints {
        if !seen.insert(endpoint.path.clone()) {
            continue;
        }
        let mut calls = String::new();
        let mut node = 0usize;
        for seg in endpoint.path.split('/') {
            if is_placeholder(seg) {
                calls.push_str(&format!(".param({})", lit(placeholder_name(seg))));
                node = catalog.nodes[node].children.get("{}").copied().unwrap_or_default();
            } else {
                let methods = catalog.child_methods(&catalog.nodes[node]);
                let Some((name, _, child)) = methods.into_iter().find(|(_, s, _)| s == seg) else {
                    return Err(format!("no generated method reaches `{seg}` in `{}`", endpoint.path));
                };
                calls.push_str(&format!(".{name}()"));
                node = child;
            }
        }
        out.line(format!("({}, Chain::from(client{calls})),", lit(&endpoint.path)));
    }
    out.line("    ]");
    out.line("}");
    Ok(out.into_string())
}
