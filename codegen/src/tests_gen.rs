//! The generated typed tests (`tests/generated/typed/*.rs`, run by `tests/sdk/typed_generated.rs`): per
//! endpoint, the request built from the schema's example values (required fields only, then every field)
//! checked against the JSON the schema names, and the answer parsed from a JSON made of the schema's
//! examples and serialized back.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::names::{is_placeholder, lit, placeholder_name};
use crate::out::{Out, header};
use crate::typed::{Def, ExprCtx, Gen, Module, Place, ResponseKind, Side, Ty};

const WHAT: &str = "typed tests from codegen/data/schemas.json";

/// A raw string literal holding `text`.
fn raw(text: &str) -> String {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
}

/// The query text of a value as the SDK writes it (PHP `http_build_query`), before percent-encoding:
/// `(name, text)` pairs.
fn query_pairs(name: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((name.to_owned(), if *b { "1" } else { "0" }.to_owned())),
        Value::Number(n) => out.push((name.to_owned(), n.to_string())),
        Value::String(s) => out.push((name.to_owned(), s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                query_pairs(&format!("{name}[{i}]"), item, out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                query_pairs(&format!("{name}[{k}]"), item, out);
            }
        }
    }
}

impl Gen<'_> {
    /// JSON pointers (into the example JSON of `ty`) of encrypted values, with their plain text, and the
    /// Rust accessor of each from a value of `ty` (`access` is the expression so far).
    fn encrypted_paths(
        &self,
        ty: &Ty,
        all: bool,
        pointer: &str,
        access: &str,
        out: &mut Vec<(String, String, String)>,
    ) {
        if let Ty::Def(id) = ty
            && let Def::Struct(s) = &self.defs[*id]
        {
            for f in s.fields.iter().filter(|f| f.place == Place::Body && (all || !f.optional)) {
                let pointer = format!("{pointer}/{}", f.wire.replace('~', "~0").replace('/', "~1"));
                let field = if f.optional {
                    format!("{access}.{}.as_ref().unwrap()", f.ident)
                } else {
                    format!("({access}.{})", f.ident)
                };
                match (&f.ty, f.encrypted) {
                    (Ty::Sensitive, true) => {
                        out.push((pointer, value_text(&f.example), field));
                    }
                    (Ty::Vec(_), true) => {
                        out.push((format!("{pointer}/0"), value_text(&f.example), format!("{field}[0]")))
                    }
                    (Ty::Vec(inner), false) => {
                        self.encrypted_paths(inner, all, &format!("{pointer}/0"), &format!("{field}[0]"), out)
                    }
                    (other, _) => self.encrypted_paths(other, all, &pointer, &field, out),
                }
            }
        }
    }

    fn module_of(&self, index: usize) -> Module {
        Module::Endpoint(index)
    }

    fn media_for(path: &str) -> &'static str {
        if path.ends_with("video_upload") { "media(\"example.mp4\")" } else { "media(\"example.jpg\")" }
    }

    /// Checks of one request example (`all`: with the optional fields).
    fn request_check(&self, index: usize, all: bool, out: &mut String) {
        let m = &self.modules[index];
        let mut ctx = ExprCtx {
            module: self.module_of(index),
            media: Self::media_for(&m.path),
            uses_shared: false,
            uses_json: false,
        };
        let request_ty = Ty::Def(m.request);
        let expr = self.expr(&request_ty, &Value::Null, all, &mut ctx, 1);
        let request = self.structure(m.request);
        let _ = writeln!(out, "    let request = {expr};");
        if m.unsupported.is_some() {
            out.push_str("    check_unsendable(&request);\n");
            return;
        }
        // Path and query as WeChat Pay expects them.
        let mut path = String::new();
        for (i, seg) in m.path.split('/').enumerate() {
            if i > 0 {
                path.push('/');
            }
            if is_placeholder(seg) {
                let name = placeholder_name(seg);
                let f = request.fields.iter().find(|f| f.place == Place::Path && f.wire == name);
                path.push_str(&f.map(|f| value_text(&f.example)).unwrap_or_default());
            } else {
                path.push_str(seg);
            }
        }
        let mut pairs = Vec::new();
        let mut sealed_query = Vec::new();
        for f in request.fields.iter().filter(|f| f.place == Place::Query && (all || !f.optional)) {
            let value = self.example_json(&f.ty, &f.example, all);
            if f.encrypted {
                sealed_query.push(f.wire.clone());
            }
            query_pairs(&f.wire, &value, &mut pairs);
        }
        let query = pairs.iter().map(|(k, v)| format!("({}, {})", lit(k), lit(v))).collect::<Vec<_>>().join(", ");
        let sealed_query = sealed_query.iter().map(|k| lit(k)).collect::<Vec<_>>().join(", ");
        let headers: Vec<String> = request
            .fields
            .iter()
            .filter(|f| f.place == Place::Header && (all || !f.optional))
            .map(|f| format!("({}, {})", lit(&f.wire), lit(&value_text(&f.example))))
            .collect();
        let target = format!("{}, &[{query}], &[{sealed_query}], &[{}]", lit(&format!("/{path}")), headers.join(", "));
        match &m.response {
            ResponseKind::Download => {
                let _ = writeln!(out, "    check_download(request, {target});");
            }
            _ if m.upload => {
                let meta = match m.meta {
                    Some(id) => self.example_json(&Ty::Def(id), &Value::Null, all),
                    None => Value::Object(Default::default()),
                };
                let mut sealed = Vec::new();
                if let Some(id) = m.meta {
                    self.encrypted_paths(&Ty::Def(id), all, "", "", &mut sealed);
                }
                let fills = m.meta_fills.iter().map(|f| lit(f)).collect::<Vec<_>>().join(", ");
                let pointers = sealed.iter().map(|(p, _, _)| lit(p)).collect::<Vec<_>>().join(", ");
                let _ = writeln!(
                    out,
                    "    check_upload(request, {target}, {}, &[{fills}], &[{pointers}]);",
                    raw(&meta.to_string())
                );
            }
            _ => {
                let body = if m.has_body {
                    format!("Some({})", raw(&self.example_json(&request_ty, &Value::Null, all).to_string()))
                } else {
                    "None".to_owned()
                };
                let mut sealed = Vec::new();
                self.encrypted_paths(&request_ty, all, "", "", &mut sealed);
                let pointers = sealed.iter().map(|(p, _, _)| lit(p)).collect::<Vec<_>>().join(", ");
                let _ = writeln!(out, "    check_request(request, {target}, {body}, &[{pointers}]);");
            }
        }
    }

    fn endpoint_test(&self, index: usize, out: &mut Out) {
        let m = &self.modules[index];
        let mut text = String::new();
        let _ = writeln!(text, "/// `{} {}`", m.method, m.path);
        text.push_str("#[test]\n");
        let _ = writeln!(text, "fn {}() {{", m.module_name);
        let _ = writeln!(text, "    use wechatpay_chain::typed::{}::{}::*;", m.group_module, m.module_name);
        let mut body = String::new();
        let _ = writeln!(body, "    assert_eq!({}::PATH, {});", m.request_name, lit(&m.path));
        if !matches!(m.response, ResponseKind::Download) {
            let _ = writeln!(
                body,
                "    assert_eq!({}::METHOD, wechatpay_chain::http::Method::{});",
                m.request_name, m.method
            );
        }
        self.request_check(index, false, &mut body);
        self.request_check(index, true, &mut body);
        if let ResponseKind::Def(id) = &m.response {
            let ty = Ty::Def(*id);
            let json = self.example_json(&ty, &Value::Null, true).to_string();
            let mut sealed = Vec::new();
            self.encrypted_paths(&ty, true, "", "answer", &mut sealed);
            if sealed.is_empty() {
                let _ = writeln!(body, "    check_answer::<{}>({});", m.response_name, raw(&json));
            } else {
                let pointers = sealed
                    .iter()
                    .map(|(p, plain, _)| format!("({}, {})", lit(p), lit(plain)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let accessors =
                    sealed.iter().map(|(_, _, a)| format!("{a}.expose().to_owned()")).collect::<Vec<_>>().join(", ");
                let _ = writeln!(
                    body,
                    "    check_sealed_answer::<{}>({}, &[{pointers}], |answer| vec![{accessors}]);",
                    m.response_name,
                    raw(&json)
                );
            }
        }
        let uses_shared = body.contains("shared::");
        if uses_shared {
            text.push_str("    use wechatpay_chain::typed::shared;\n");
        }
        if m.upload {
            // `Media` is what `media(…)` returns; nothing else to import.
        }
        text.push_str(&body);
        text.push_str("}\n");
        out.push_str(&text);
        out.blank();
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn generate(g: &Gen<'_>) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, m) in g.modules.iter().enumerate() {
        groups.entry(m.group_module.as_str()).or_default().push(i);
    }
    for (group, members) in &groups {
        let mut out = Out::new();
        out.push_str(&header(WHAT));
        out.inner_doc(format!("Generated checks of the typed requests of `typed::{group}`."));
        out.line("#![allow(unused_imports)]");
        out.blank();
        out.line(
            "use crate::typed_generated::{check_answer, check_download, check_request, check_sealed_answer, \
             check_unsendable, check_upload, media};",
        );
        out.line("use wechatpay_chain::typed::{DownloadEndpoint as _, Endpoint as _};");
        out.blank();
        for &i in members {
            g.endpoint_test(i, &mut out);
        }
        files.insert(format!("tests/generated/typed/{group}.rs"), out.into_string());
    }
    let mut top = Out::new();
    top.push_str(&header(WHAT));
    top.inner_doc("The generated checks, one module per typed group, and the list of generated requests.");
    top.blank();
    for group in groups.keys() {
        top.line(format!("mod {group};"));
    }
    top.blank();
    top.doc("Every generated request: `(method, path, type name)`, in catalog order.");
    top.line("pub const REQUESTS: &[(&str, &str, &str)] = &[");
    for m in &g.modules {
        top.line(format!("({}, {}, {}),", lit(&m.method), lit(&m.path), lit(&m.request_name)));
    }
    top.line("];");
    files.insert("tests/generated/typed/mod.rs".to_owned(), top.into_string());
    let _ = Side::Request;
    files
}
