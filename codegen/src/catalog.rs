//! The endpoint catalogs (`macros/data/endpoints.json`, `endpoints-v2.json`) and the chain node tree built
//! from them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::names::{camel, is_placeholder, method_name, placeholder_name};

pub struct Endpoint {
    pub method: String,
    /// For APIv2 with the `v2/` prefix.
    pub path: String,
    pub params: Vec<String>,
    pub query: Vec<String>,
    pub summary: String,
    pub group: String,
    pub host: String,
    pub upload: bool,
    pub download: bool,
    pub encrypted: bool,
    pub v2: bool,
}

pub struct Node {
    /// Segments from the root; placeholders as written in the first path that reached this node.
    pub display: Vec<String>,
    /// Every placeholder name seen at this node's position (only for placeholder nodes).
    pub placeholder_names: Vec<String>,
    /// Static segment (or `{}` for the placeholder child) → node index.
    pub children: BTreeMap<String, usize>,
    pub endpoints: Vec<usize>,
    pub type_name: String,
}

pub struct Catalog {
    pub endpoints: Vec<Endpoint>,
    pub nodes: Vec<Node>,
}

fn str_field(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn list_field(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn rows(text: &str, what: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str(text).map_err(|e| format!("{what} is not valid JSON: {e}"))? {
        Value::Array(rows) => Ok(rows),
        _ => Err(format!("{what} must be a JSON array")),
    }
}

impl Node {
    pub fn path(&self) -> String {
        self.display.join("/")
    }
}

pub fn load(v3_text: &str, v2_text: &str) -> Result<Catalog, String> {
    let v3 = rows(v3_text, "macros/data/endpoints.json")?;
    let v2 = rows(v2_text, "macros/data/endpoints-v2.json")?;
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
            group: str_field(row, "group"),
            host: str_field(row, "host"),
            upload: row.get("upload").and_then(Value::as_bool).unwrap_or(false),
            download: row.get("download").and_then(Value::as_bool).unwrap_or(false),
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
                let name = placeholder_name(seg).to_owned();
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
        let mut name = path_camel(&node.display);
        let count = taken.entry(name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            name.push_str(&count.to_string());
        }
        node.type_name = name;
    }
    Ok(Catalog { endpoints, nodes })
}

/// CamelCase of path segments: placeholders as `By<Name>`, a trailing empty segment as `TrailingSlash`.
pub fn path_camel<S: AsRef<str>>(segments: &[S]) -> String {
    let mut name = String::new();
    for seg in segments {
        let seg = seg.as_ref();
        if is_placeholder(seg) {
            name.push_str("By");
            name.push_str(&camel(placeholder_name(seg)));
        } else if seg.is_empty() {
            name.push_str("TrailingSlash");
        } else {
            name.push_str(&camel(seg));
        }
    }
    name
}

impl Catalog {
    /// Method names for the static children of one node, with sibling clashes resolved: the segment whose
    /// wire spelling already is the name keeps it, the other gets `_kebab`. `(method, segment, child)`.
    pub fn child_methods(&self, node: &Node) -> Vec<(String, String, usize)> {
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
}
