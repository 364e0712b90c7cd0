//! Emitting Rust items: structs, enums, and each endpoint's module with its `Endpoint` impl.

use super::docs::prose;
use super::{Def, EndpointModule, Field, Gen, Module, Place, ResponseKind, Side, StructDef, Ty, value_text};
use crate::names::{lit, unraw};
use crate::out::Out;

/// Response fields shown as `<redacted>` in `Debug`: user identifiers.
const REDACTED: &[&str] = &["openid", "sub_openid", "sp_openid", "union_id", "unionid", "sub_unionid"];

/// Imports an endpoint module or the shared module needs.
#[derive(Default)]
pub(super) struct Uses {
    pub(super) sensitive: bool,
    pub(super) media: bool,
    pub(super) value: bool,
    pub(super) map: bool,
}

impl Gen<'_> {
    fn rust_ty(&self, ty: &Ty, from: Module, uses: &mut Uses) -> String {
        match ty {
            Ty::Str => "String".to_owned(),
            Ty::I64 => "i64".to_owned(),
            Ty::F64 => "f64".to_owned(),
            Ty::Bool => "bool".to_owned(),
            Ty::Json => {
                uses.value = true;
                "Value".to_owned()
            }
            Ty::Sensitive => {
                uses.sensitive = true;
                "Sensitive".to_owned()
            }
            Ty::Media => {
                uses.media = true;
                "Media".to_owned()
            }
            Ty::Vec(inner) => format!("Vec<{}>", self.rust_ty(inner, from, uses)),
            Ty::Def(id) => {
                let name = self.def_name(*id);
                if self.def_module(*id) == from { name.to_owned() } else { format!("crate::typed::shared::{name}") }
            }
        }
    }

    fn field_ty(&self, f: &Field, from: Module, uses: &mut Uses) -> String {
        let t = self.rust_ty(&f.ty, from, uses);
        if f.optional { format!("Option<{t}>") } else { t }
    }

    fn has_redacted(&self, s: &StructDef) -> bool {
        s.side != Side::Request && s.fields.iter().any(|f| REDACTED.contains(&f.wire.as_str()) && f.ty == Ty::Str)
    }

    pub(super) fn emit_struct(
        &self,
        id: usize,
        module: Module,
        cfg: Option<&str>,
        out: &mut Out,
        uses: &mut Uses,
        doc: &str,
    ) {
        let s = self.structure(id);
        let request = s.side == Side::Request;
        let top_request = request && self.modules.iter().any(|m| m.request == id);
        let body = top_request && self.modules.iter().any(|m| m.request == id && m.has_body);
        let serialize = !top_request || body;
        let has_media = s.fields.iter().any(|f| f.ty == Ty::Media);
        let extra = s.extra;
        let redacted = self.has_redacted(s);
        let mut derives = vec!["Clone"];
        if !redacted {
            derives.push("Debug");
        }
        if !has_media {
            derives.push("PartialEq");
        }
        if self.default_ok(&Ty::Def(id)) {
            derives.push("Default");
        }
        if serialize {
            derives.push("serde::Serialize");
        }
        if !request {
            derives.push("serde::Deserialize");
        }
        out.doc(doc);
        if let Some(cfg) = cfg {
            out.line(cfg);
        }
        out.line(format!("#[derive({})]", derives.join(", ")));
        if s.side == Side::Response {
            out.line("#[non_exhaustive]");
        }
        out.line(format!("pub struct {} {{", s.name));
        for f in &s.fields {
            out.doc(&f.doc);
            let mut attrs: Vec<String> = Vec::new();
            let vec = matches!(f.ty, Ty::Vec(_));
            if serialize || !request {
                if request && f.place != Place::Body {
                    attrs.push("skip".to_owned());
                } else {
                    if f.optional && !request {
                        attrs.push("default".to_owned());
                    }
                    if unraw(&f.ident) != f.wire {
                        attrs.push(format!("rename = {}", lit(&f.wire)));
                    }
                    if f.encrypted {
                        let module = if request { "crate::typed::encrypt" } else { "crate::typed::decrypt" };
                        let module = if vec { format!("{module}::each") } else { module.to_owned() };
                        attrs.push(format!("with = {}", lit(&module)));
                    }
                    if f.optional {
                        attrs.push("skip_serializing_if = \"Option::is_none\"".to_owned());
                    }
                }
            }
            if !attrs.is_empty() {
                out.line(format!("#[serde({})]", attrs.join(", ")));
            }
            out.line(format!("pub {}: {},", f.ident, self.field_ty(f, module, uses)));
        }
        if extra {
            uses.map = true;
            uses.value = true;
            if request {
                out.doc(
                    "Fields the schema does not describe, sent after the described ones as given (empty: nothing is\n\
                     added). For fields WeChat Pay takes that the schema lacks.",
                );
            } else {
                out.doc("Fields this version does not know, kept as sent (so the answer serializes back unchanged).");
            }
            out.line("#[serde(flatten)]");
            out.line("pub extra: Map<String, Value>,");
        }
        out.line("}");
        out.blank();
        if redacted {
            if let Some(cfg) = cfg {
                out.line(cfg);
            }
            out.line(format!("impl std::fmt::Debug for {} {{", s.name));
            out.line("fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {");
            out.line(format!("f.debug_struct({})", lit(&s.name)));
            for f in &s.fields {
                if REDACTED.contains(&f.wire.as_str()) && f.ty == Ty::Str {
                    out.line(format!(
                        ".field({}, &crate::typed::__private::Redacted(&self.{}))",
                        lit(unraw(&f.ident)),
                        f.ident
                    ));
                } else {
                    out.line(format!(".field({}, &self.{})", lit(unraw(&f.ident)), f.ident));
                }
            }
            if extra {
                out.line(".field(\"extra\", &self.extra)");
            }
            out.line(".finish()");
            out.line("}");
            out.line("}");
            out.blank();
        }
        if s.aead {
            let arg = |name: &str| match s.fields.iter().find(|f| f.wire == name) {
                Some(f) if f.optional => format!("self.{}.as_deref()", f.ident),
                Some(f) => format!("Some(self.{}.as_str())", f.ident),
                None => "None".to_owned(),
            };
            if let Some(cfg) = cfg {
                out.line(cfg);
            }
            out.line(format!("impl {} {{", s.name));
            out.doc(
                "The plain text of this `AEAD_AES_256_GCM` envelope, decrypted with the APIv3 key (for a certificate,\n\
                 the PEM certificate). Fails for another algorithm, a missing field, a ciphertext that does not\n\
                 decrypt under `key`, or plain text that is not UTF-8.",
            );
            out.line("pub fn decrypt(&self, key: &crate::crypto::ApiV3Key) -> Result<String, crate::Error> {");
            out.line(format!(
                "crate::typed::__private::open_aead(key, {}, {}, {}, {})",
                arg("algorithm"),
                arg("nonce"),
                arg("associated_data"),
                arg("ciphertext")
            ));
            out.line("}");
            out.line("}");
            out.blank();
        }
    }

    /// An enum through `wire_enum!`/`int_enum!`, indented by hand (rustfmt leaves macro bodies alone).
    pub(super) fn emit_enum(&self, id: usize, cfg: Option<&str>, out: &mut Out, doc: &str, depth: usize) {
        let Some(e) = self.enumeration(id) else { return };
        let pad = |n: usize| "    ".repeat(depth + n);
        if let Some(cfg) = cfg {
            out.line(format!("{}{cfg}", pad(0)));
        }
        out.line(format!("{}crate::typed::{}! {{", pad(0), if e.int { "int_enum" } else { "wire_enum" }));
        for line in doc.split('\n') {
            out.line(if line.is_empty() { format!("{}///", pad(1)) } else { format!("{}/// {line}", pad(1)) });
        }
        out.line(format!("{}pub enum {} {{", pad(1), e.name));
        for v in &e.variants {
            let text = value_text(&v.value);
            let vdoc = match &v.label {
                Some(label) => format!("`{}`: {}", text.replace('`', "'"), prose(label)),
                None => format!("`{}`.", text.replace('`', "'")),
            };
            out.line(format!("{}/// {vdoc}", pad(2)));
            let value = if e.int { text.clone() } else { lit(&text) };
            out.line(format!("{}{} = {value},", pad(2), v.ident));
        }
        out.line(format!("{}}}", pad(1)));
        out.line(format!("{}}}", pad(0)));
        out.blank();
    }

    /// The nested types of `module`, in the order they were made.
    pub(super) fn module_defs(&self, module: Module, skip: &[usize]) -> Vec<usize> {
        (0..self.defs.len()).filter(|&id| self.def_module(id) == module && !skip.contains(&id)).collect()
    }

    pub(super) fn emit_endpoint(&self, m: &EndpointModule, out: &mut Out) {
        let module = Module::Endpoint(self.modules.iter().position(|x| std::ptr::eq(x, m)).unwrap_or_default());
        let mut body = Out::new();
        let mut uses = Uses::default();
        // The request.
        let mut doc = self.request_doc(m);
        let example = self.example_text(m);
        doc.push_str("\n\n# Example\n\nBuilt from WeChat Pay's documented example values (the same code is compiled and checked by\n`tests/sdk/typed_generated.rs`):\n\n```text\n");
        doc.push_str(&example);
        doc.push_str("```");
        self.emit_struct(m.request, module, None, &mut body, &mut uses, &doc);
        self.emit_request_impl(m, &mut body);
        // The response.
        match &m.response {
            ResponseKind::Def(id) if self.def_module(*id) == module => {
                let doc = format!("The answer to [`{}`] (`{} {}`).", m.request_name, m.method, m.path);
                self.emit_struct(*id, module, None, &mut body, &mut uses, &doc);
            }
            ResponseKind::Def(id) => {
                body.doc(format!("The answer to [`{}`] (`{} {}`): a shared type.", m.request_name, m.method, m.path));
                body.line(format!("pub type {} = crate::typed::shared::{};", m.response_name, self.def_name(*id)));
                body.blank();
            }
            ResponseKind::Empty => {
                body.doc(format!("The answer to [`{}`] (`{} {}`) has no body.", m.request_name, m.method, m.path));
                body.line(format!("pub type {} = ();", m.response_name));
                body.blank();
            }
            ResponseKind::Json => {
                uses.value = true;
                body.doc(format!(
                    "The answer to [`{}`] (`{} {}`): the schema describes no fields, so it is any JSON.",
                    m.request_name, m.method, m.path
                ));
                body.line(format!("pub type {} = Value;", m.response_name));
                body.blank();
            }
            ResponseKind::Download => {}
        }
        let skip: Vec<usize> = match &m.response {
            ResponseKind::Def(id) => vec![m.request, *id],
            _ => vec![m.request],
        };
        for id in self.module_defs(module, &skip) {
            let doc = self.nested_doc(id, &m.request_name);
            match &self.defs[id] {
                Def::Struct(_) => self.emit_struct(id, module, None, &mut body, &mut uses, &doc),
                Def::Enum(_) => self.emit_enum(id, None, &mut body, &doc, 1),
                Def::Pending => {}
            }
        }
        out.doc(format!("`{} {}`: {}.", m.method, m.path, prose(&m.summary)));
        out.line(format!("pub mod {} {{", m.module_name));
        if uses.sensitive {
            out.line("use crate::sensitive::Sensitive;");
        }
        if uses.media {
            out.line("use crate::Media;");
        }
        match (uses.map, uses.value) {
            (true, true) => out.line("use serde_json::{Map, Value};"),
            (false, true) => out.line("use serde_json::Value;"),
            (true, false) => out.line("use serde_json::Map;"),
            (false, false) => {}
        }
        out.blank();
        out.push_str(&body.into_string());
        out.line("}");
        out.blank();
    }

    fn emit_request_impl(&self, m: &EndpointModule, out: &mut Out) {
        let s = self.structure(m.request);
        let download = matches!(m.response, ResponseKind::Download);
        if download {
            out.line(format!("impl crate::typed::DownloadEndpoint for {} {{", m.request_name));
        } else {
            out.line(format!("impl crate::typed::Endpoint for {} {{", m.request_name));
            out.line(format!("const METHOD: http::Method = http::Method::{};", m.method));
        }
        out.line(format!("const PATH: &'static str = {};", lit(&m.path)));
        if !download {
            out.line(format!("type Response = {};", m.response_name));
        }
        out.blank();
        out.line("fn to_options(&self) -> Result<crate::Options, crate::Error> {");
        if let Some(why) = &m.unsupported {
            out.line(format!("Err(crate::typed::__private::unsupported({}))", lit(why)));
            out.line("}");
            out.line("}");
            out.blank();
            return;
        }
        let uses_p = m.upload || s.fields.iter().any(|f| matches!(f.place, Place::Path | Place::Query | Place::Header));
        if uses_p {
            out.line("use crate::typed::__private as p;");
        }
        out.line("let options = crate::Options::new();");
        for f in &s.fields {
            let wire = lit(&f.wire);
            let line = match (f.place, f.encrypted) {
                (Place::Path, _) => format!("let options = p::param(options, {wire}, &self.{})?;", f.ident),
                (Place::Query, true) => {
                    format!("let options = p::query_sensitive(options, {wire}, &self.{})?;", f.ident)
                }
                (Place::Query, false) => format!("let options = p::query(options, {wire}, &self.{})?;", f.ident),
                (Place::Header, _) => format!("let options = p::header(options, {wire}, &self.{})?;", f.ident),
                _ => continue,
            };
            out.line(line);
        }
        if m.upload {
            let meta = match m.meta {
                Some(_) => "Some(&self.meta)".to_owned(),
                None => "None::<&()>".to_owned(),
            };
            let fills = m.meta_fills.iter().map(|f| lit(f)).collect::<Vec<_>>().join(", ");
            out.line(format!("p::media(options, &self.media, {meta}, &[{fills}])"));
        } else if m.has_body {
            out.line("Ok(options.json(self))");
        } else {
            out.line("Ok(options)");
        }
        out.line("}");
        out.line("}");
        out.blank();
    }
}
