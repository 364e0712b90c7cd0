//! Examples: values picked from the schema or made up, written as Rust expressions, JSON and doc examples.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::{Def, EndpointModule, Gen, Module, Place, ResponseKind, Ty, value_text};
use crate::names::lit;
use crate::schema::str_of;

/// A string for a schema without an example, by its format.
fn synth_string(site: &Value) -> String {
    match str_of(site, "format") {
        Some("rfc3339") => "2018-06-08T10:34:56+08:00".to_owned(),
        Some("date") => "2018-06-08".to_owned(),
        Some("url") | Some("MediaUrl") => "https://www.example.com/x".to_owned(),
        Some("numeric") => "100".to_owned(),
        _ => "example".to_owned(),
    }
}

impl Gen<'_> {
    /// The example of a field: its own, or one made up from its type and format.
    pub(super) fn leaf_example(&self, site: &Value, ty: &Ty) -> Value {
        let own = site.get("example");
        match ty {
            Ty::Vec(inner) => {
                let items = site.get("items").cloned().unwrap_or(Value::Null);
                let first =
                    own.and_then(Value::as_array).and_then(|a| a.first()).filter(|v| !v.is_object() && !v.is_array());
                match first {
                    Some(v) => self.scalar_example(&items, inner, Some(v)),
                    None => self.leaf_example(&items, inner),
                }
            }
            _ => self.scalar_example(site, ty, own),
        }
    }

    fn scalar_example(&self, site: &Value, ty: &Ty, own: Option<&Value>) -> Value {
        match ty {
            Ty::Str | Ty::Sensitive => match own {
                Some(Value::String(s)) => Value::String(s.clone()),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => Value::String(v.to_string()),
                _ => Value::String(synth_string(site)),
            },
            Ty::I64 => Value::from(
                own.and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))).unwrap_or(1),
            ),
            Ty::F64 => Value::from(own.and_then(Value::as_f64).unwrap_or(1.5)),
            Ty::Bool => Value::Bool(own.and_then(Value::as_bool).unwrap_or(true)),
            Ty::Json => match own {
                Some(v @ (Value::Object(_) | Value::Array(_))) => v.clone(),
                _ => Value::Object(Map::new()),
            },
            Ty::Def(id) => match self.enumeration(*id) {
                Some(e) => {
                    let wanted = own.map(value_text);
                    let chosen = e
                        .variants
                        .iter()
                        .find(|v| Some(value_text(&v.value)) == wanted)
                        .or_else(|| e.variants.first())
                        .map(|v| v.value.clone());
                    chosen.unwrap_or(Value::Null)
                }
                None => Value::Null,
            },
            Ty::Media | Ty::Vec(_) => Value::Null,
        }
    }
}

/// How an example expression refers to types and the file it uploads.
pub struct ExprCtx<'m> {
    pub module: Module,
    /// The expression for a `Media` value.
    pub media: &'m str,
    pub uses_shared: bool,
    pub uses_json: bool,
}

impl Gen<'_> {
    fn type_path(&self, id: usize, ctx: &mut ExprCtx<'_>) -> String {
        let name = self.def_name(id);
        if self.def_module(id) == ctx.module {
            name.to_owned()
        } else {
            ctx.uses_shared = true;
            format!("shared::{name}")
        }
    }

    /// A Rust expression for the value `leaf` (scalars) or the example of `ty` (structs), indented by
    /// `indent` levels after the first line. `all`: every optional field too, not just the required ones.
    pub fn expr(&self, ty: &Ty, leaf: &Value, all: bool, ctx: &mut ExprCtx<'_>, indent: usize) -> String {
        match ty {
            Ty::Str | Ty::Sensitive => format!("{}.into()", lit(&value_text(leaf))),
            Ty::I64 => leaf.as_i64().unwrap_or(1).to_string(),
            Ty::F64 => format!("{:?}", leaf.as_f64().unwrap_or(1.5)),
            Ty::Bool => leaf.as_bool().unwrap_or(true).to_string(),
            Ty::Json => {
                ctx.uses_json = true;
                format!("serde_json::json!({leaf})")
            }
            Ty::Media => ctx.media.to_owned(),
            Ty::Vec(inner) => format!("vec![{}]", self.expr(inner, leaf, all, ctx, indent)),
            Ty::Def(id) => match &self.defs[*id] {
                Def::Enum(e) => {
                    let path = self.type_path(*id, ctx);
                    match e.variants.iter().find(|v| v.value == *leaf) {
                        Some(v) => format!("{path}::{}", v.ident),
                        None if e.int => format!("{path}::from({})", leaf.as_i64().unwrap_or_default()),
                        None => format!("{path}::from({})", lit(&value_text(leaf))),
                    }
                }
                Def::Struct(s) => {
                    let path = self.type_path(*id, ctx);
                    let pad = "    ".repeat(indent + 1);
                    let mut text = format!("{path} {{\n");
                    let mut omitted = false;
                    for f in &s.fields {
                        if f.optional && !all {
                            omitted = true;
                            continue;
                        }
                        let value = self.expr(&f.ty, &f.example, all, ctx, indent + 1);
                        let value = if f.optional { format!("Some({value})") } else { value };
                        text.push_str(&format!("{pad}{}: {value},\n", f.ident));
                    }
                    let extra = s.extra;
                    if omitted || extra {
                        if self.default_ok(ty) {
                            text.push_str(&format!("{pad}..Default::default()\n"));
                        } else {
                            for f in s.fields.iter().filter(|f| f.optional && !all) {
                                text.push_str(&format!("{pad}{}: None,\n", f.ident));
                            }
                            if extra {
                                text.push_str(&format!("{pad}extra: Default::default(),\n"));
                            }
                        }
                    }
                    text.push_str(&"    ".repeat(indent));
                    text.push('}');
                    text
                }
                Def::Pending => "todo!()".to_owned(),
            },
        }
    }

    /// JSON of the example of `ty` (`all`: with the optional fields).
    pub fn example_json(&self, ty: &Ty, leaf: &Value, all: bool) -> Value {
        match ty {
            Ty::Vec(inner) => Value::Array(vec![self.example_json(inner, leaf, all)]),
            Ty::Def(id) => match &self.defs[*id] {
                Def::Struct(s) => {
                    let mut map = Map::new();
                    for f in s.fields.iter().filter(|f| f.place == Place::Body && (all || !f.optional)) {
                        map.insert(f.wire.clone(), self.example_json(&f.ty, &f.example, all));
                    }
                    Value::Object(map)
                }
                _ => leaf.clone(),
            },
            _ => leaf.clone(),
        }
    }

    /// The documentation example of a request.
    pub(super) fn example_text(&self, m: &EndpointModule) -> String {
        let module = Module::Endpoint(self.modules.iter().position(|x| std::ptr::eq(x, m)).unwrap_or_default());
        let mut ctx =
            ExprCtx { module, media: "Media::from_path(\"photo.jpg\")?", uses_shared: false, uses_json: false };
        let expr = self.expr(&Ty::Def(m.request), &Value::Null, false, &mut ctx, 0);
        let mut text = String::new();
        let _ = writeln!(text, "use wechatpay_chain::typed::{}::{}::*;", m.group_module, m.module_name);
        if ctx.uses_shared {
            text.push_str("use wechatpay_chain::typed::shared;\n");
        }
        if m.upload {
            text.push_str("use wechatpay_chain::Media;\n");
        }
        text.push('\n');
        let _ = writeln!(text, "let request = {expr};");
        match m.response {
            ResponseKind::Download => {
                text.push_str("let download = client.call_download(request)?; // a streamed file\n")
            }
            _ => text.push_str("let answer = client.call(request)?; // or client.call_async(request).await?\n"),
        }
        text
    }
}
