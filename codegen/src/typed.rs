//! The typed layer: one request and one response type per schema endpoint (`src/typed/generated/**`),
//! the `typed-*` features, and the data the generated tests are built from.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::catalog::{Catalog, path_camel};
use crate::chain::TypedLink;
use crate::names::{camel, field_ident, lit, snake_of_camel, unraw, variant_ident};
use crate::out::{Out, header};
use crate::schema::{SchemaEndpoint, Schemas, properties, ref_name, required, str_of};

const WHAT: &str = "typed layer from codegen/data/schemas.json";
const DEFAULT_HOST: &str = "api.mch.weixin.qq.com";

/// Names the generated modules must not define: they are used unqualified by derives and macros, or would
/// shadow the prelude in the module.
const PRELUDE: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "Eq",
    "PartialEq",
    "Hash",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "ToString",
    "ToOwned",
    "Iterator",
    "From",
    "Into",
    "AsRef",
    "Self",
    "Serialize",
    "Deserialize",
    "Value",
    "Map",
    "Media",
    "Sensitive",
    "Endpoint",
];

/// Variant names for labelled integer enums, by label (the labels stay in the docs). Integer enums whose
/// labels are not all here get `V<value>` variants.
const LABEL_NAMES: &[(&str, &str)] = &[
    // credential_type of `GET v3/facemch/users/{face_sid}` (the seed endpoint).
    ("身份证", "IdCard"),
    ("护照", "Passport"),
    ("军官证", "MilitaryOfficerCard"),
    ("⼠兵证", "SoldierCard"),
    ("回乡证", "HomeReturnPermit"),
    ("临时身份证", "TemporaryIdCard"),
    ("户⼝簿", "HouseholdRegister"),
    ("警官证", "PoliceOfficerCard"),
    ("台胞证", "TaiwanCompatriotPermit"),
    ("营业执照", "BusinessLicense"),
    ("其他证件", "OtherCredential"),
];

/// Response fields shown as `<redacted>` in `Debug`: user identifiers.
const REDACTED: &[&str] = &["openid", "sub_openid", "sp_openid", "union_id", "unionid", "sub_unionid"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    Request,
    Response,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Module {
    Shared,
    Endpoint(usize),
}

#[derive(Clone, PartialEq, Debug)]
pub enum Ty {
    Str,
    I64,
    F64,
    Bool,
    Json,
    Sensitive,
    Media,
    Vec(Box<Ty>),
    Def(usize),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Place {
    Path,
    Query,
    Header,
    Body,
    Media,
    Meta,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub ident: String,
    pub wire: String,
    pub ty: Ty,
    pub optional: bool,
    /// `Sensitive` (or `Vec<Sensitive>`) encrypted on the wire.
    pub encrypted: bool,
    pub place: Place,
    /// The example of a scalar, enum, or of the items of a list of those.
    pub example: Value,
    pub doc: String,
}

pub struct StructDef {
    pub name: String,
    pub module: Module,
    pub side: Side,
    pub fields: Vec<Field>,
    /// Has a flattened `extra` map: fields the schema does not describe (answers: kept as sent; request
    /// bodies: sent as given).
    pub extra: bool,
    pub aead: bool,
    pub key: String,
    pub doc: String,
}

pub struct Variant {
    pub ident: String,
    pub value: Value,
    pub label: Option<String>,
}

pub struct EnumDef {
    pub name: String,
    pub module: Module,
    pub int: bool,
    pub variants: Vec<Variant>,
    pub key: String,
    pub doc: String,
}

pub enum Def {
    Struct(StructDef),
    Enum(EnumDef),
    /// Reserved while its fields are converted.
    Pending,
}

pub enum ResponseKind {
    /// No body (`204`, `202` without a schema): `()`.
    Empty,
    /// A struct or shared type.
    Def(usize),
    /// A body without properties: `serde_json::Value`.
    Json,
    /// A file (`Client::call_download`).
    Download,
}

pub struct EndpointModule {
    pub catalog_index: usize,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub group: String,
    pub group_module: String,
    pub feature: String,
    pub host: String,
    pub doc_urls: Vec<String>,
    pub request_name: String,
    pub module_name: String,
    pub request: usize,
    pub response_name: String,
    pub response: ResponseKind,
    pub has_body: bool,
    pub upload: bool,
    /// Why the typed request cannot be sent (a multipart shape `Media` does not produce).
    pub unsupported: Option<String>,
    /// Meta fields filled from the `Media` (`filename`, `sha256`).
    pub meta_fills: Vec<String>,
    /// The meta struct, when the upload has meta fields beyond those.
    pub meta: Option<usize>,
}

pub struct Gen<'a> {
    schemas: &'a Schemas,
    pub defs: Vec<Def>,
    shared: BTreeMap<String, usize>,
    /// Shared definition id → features of the groups that reach it directly.
    shared_users: BTreeMap<usize, BTreeSet<String>>,
    /// Shared definition id → shared definitions it references.
    shared_refs: BTreeMap<usize, BTreeSet<usize>>,
    names: BTreeMap<Module, BTreeMap<String, usize>>,
    pub modules: Vec<EndpointModule>,
    /// While converting: the feature of the current endpoint and the shared definition being converted.
    feature: String,
    in_shared: Vec<usize>,
}

pub struct TypedOutput {
    pub files: BTreeMap<String, String>,
    pub links: BTreeMap<usize, TypedLink>,
    pub features: String,
}

fn feature_of(group: &str) -> String {
    format!("typed-{}", group.replace('/', "-"))
}

fn module_of_group(group: &str) -> String {
    group.replace(['/', '-'], "_").to_ascii_lowercase()
}

fn method_camel(method: &str) -> String {
    let lower = method.to_ascii_lowercase();
    camel(&lower)
}

/// Text for plain doc prose: no line breaks, nothing rustdoc reads as HTML, links or code.
fn prose(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('`', "'")
}

/// A short inline code span of `value`.
fn code_span(value: &str) -> String {
    let mut v: String = value.replace(['\r', '\n'], " ");
    if v.chars().count() > 64 {
        v = v.chars().take(60).collect::<String>() + "…";
    }
    if v.contains('`') {
        format!("`` {v} ``")
    } else if v.is_empty() {
        "`\"\"`".to_owned()
    } else {
        format!("`{v}`")
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The JSON type keyword of a schema, with the source's misspellings read as what they mean.
fn type_of(schema: &Value) -> Option<&str> {
    match str_of(schema, "type").map(str::trim) {
        Some("stringde") => Some("string"),
        Some("int") => Some("integer"),
        Some(t) => Some(t),
        None => None,
    }
}

fn is_int(v: &Value) -> bool {
    v.as_i64().is_some()
}

impl<'a> Gen<'a> {
    fn new(schemas: &'a Schemas) -> Self {
        Gen {
            schemas,
            defs: Vec::new(),
            shared: BTreeMap::new(),
            shared_users: BTreeMap::new(),
            shared_refs: BTreeMap::new(),
            names: BTreeMap::new(),
            modules: Vec::new(),
            feature: String::new(),
            in_shared: Vec::new(),
        }
    }

    pub fn structure(&self, id: usize) -> &StructDef {
        match &self.defs[id] {
            Def::Struct(s) => s,
            _ => panic!("definition {id} is not a struct"),
        }
    }

    pub fn enumeration(&self, id: usize) -> Option<&EnumDef> {
        match &self.defs[id] {
            Def::Enum(e) => Some(e),
            _ => None,
        }
    }

    pub fn def_name(&self, id: usize) -> &str {
        match &self.defs[id] {
            Def::Struct(s) => &s.name,
            Def::Enum(e) => &e.name,
            Def::Pending => "?",
        }
    }

    pub fn def_module(&self, id: usize) -> Module {
        match &self.defs[id] {
            Def::Struct(s) => s.module,
            Def::Enum(e) => e.module,
            Def::Pending => Module::Shared,
        }
    }

    fn reserve_module(&mut self, module: Module, names: &[&str]) {
        let table = self.names.entry(module).or_default();
        for n in PRELUDE.iter().chain(names) {
            table.insert((*n).to_owned(), usize::MAX);
        }
    }

    /// A name for a new type in `module`: `base`, else `parent` + `base`, else `base2`, `base3`…; or the
    /// id of an existing type with the same `key` under one of those names.
    fn place(&mut self, module: Module, base: &str, parent: &str, key: &str) -> Result<Placed, String> {
        let mut candidates = vec![base.to_owned()];
        if !parent.is_empty() {
            candidates.push(format!("{parent}{base}"));
        }
        for n in 2..1000 {
            candidates.push(format!("{base}{n}"));
        }
        for candidate in candidates {
            let existing = self.names.get(&module).and_then(|t| t.get(&candidate)).copied();
            match existing {
                None => {
                    self.defs.push(Def::Pending);
                    let id = self.defs.len() - 1;
                    self.names.entry(module).or_default().insert(candidate.clone(), id);
                    return Ok(Placed::New(id, candidate));
                }
                Some(id) if id != usize::MAX => {
                    let same = match &self.defs[id] {
                        Def::Struct(s) => s.key == key,
                        Def::Enum(e) => e.key == key,
                        Def::Pending => false,
                    };
                    if same {
                        return Ok(Placed::Existing(id));
                    }
                }
                Some(_) => {}
            }
        }
        Err(format!("no free type name for `{base}`"))
    }
}

pub enum Placed {
    New(usize, String),
    Existing(usize),
}

/// `face_sid` → `face_sid_2` while taken.
fn unique_ident(ident: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = ident.clone();
    let mut n = 2;
    while taken.contains(unraw(&candidate)) {
        candidate = format!("{}_{n}", unraw(&ident));
        n += 1;
    }
    taken.insert(unraw(&candidate).to_owned());
    candidate
}

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

impl<'a> Gen<'a> {
    /// The Rust type of `schema` at a field site, and whether it is encrypted on the wire.
    fn convert(
        &mut self,
        schema: &Value,
        hint: &str,
        parent: &str,
        side: Side,
        module: Module,
    ) -> Result<(Ty, bool), String> {
        if let Some(name) = ref_name(schema) {
            let id = self.shared_def(name, side)?;
            return Ok((Ty::Def(id), false));
        }
        let encrypted = matches!(str_of(schema, "x-encrypted"), Some("request" | "response" | "both"));
        let t = type_of(schema);
        if t == Some("array") {
            let items = schema.get("items").cloned().unwrap_or(Value::Null);
            let (inner, enc) = self.convert(&items, hint, parent, side, module)?;
            return Ok((Ty::Vec(Box::new(inner)), enc));
        }
        if encrypted {
            return Ok((Ty::Sensitive, true));
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array).filter(|v| !v.is_empty()) {
            let values = values.clone();
            let id = self.enum_def(schema, &values, hint, parent, module)?;
            return Ok((Ty::Def(id), false));
        }
        let ty = match t {
            Some("object") | None if properties(schema).is_some() => {
                Ty::Def(self.struct_def(schema, hint, parent, side, module)?)
            }
            Some("object") | None => Ty::Json,
            Some("integer") => Ty::I64,
            Some("number") if str_of(schema, "format") == Some("float") => Ty::F64,
            Some("number") => Ty::I64,
            Some("boolean") => Ty::Bool,
            Some("file") => Ty::Media,
            // `string`, and the source's other misspellings of it.
            Some(_) => Ty::Str,
        };
        Ok((ty, false))
    }

    fn struct_def(
        &mut self,
        schema: &Value,
        hint: &str,
        parent: &str,
        side: Side,
        module: Module,
    ) -> Result<usize, String> {
        let key = format!("{side:?}:{schema}");
        let (id, name) = match self.place(module, &camel(hint), parent, &key)? {
            Placed::Existing(id) => return Ok(id),
            Placed::New(id, name) => (id, name),
        };
        self.note_shared_child(id, module);
        let fields = self.fields(schema, &name, side, module, Place::Body, BTreeSet::new())?;
        let aead = str_of(schema, "x-encrypted") == Some("aead");
        let extra = true;
        self.defs[id] =
            Def::Struct(StructDef { name, module, side, fields, aead, key, extra, doc: format!("`{hint}`") });
        Ok(id)
    }

    /// A type made inside a shared definition belongs to it (for its feature gate).
    fn note_shared_child(&mut self, id: usize, module: Module) {
        if module == Module::Shared
            && let Some(&owner) = self.in_shared.last()
        {
            self.shared_refs.entry(owner).or_default().insert(id);
        }
    }

    fn fields(
        &mut self,
        schema: &Value,
        parent_name: &str,
        side: Side,
        module: Module,
        place: Place,
        mut idents: BTreeSet<String>,
    ) -> Result<Vec<Field>, String> {
        let req = required(schema);
        let mut out = Vec::new();
        let Some(props) = properties(schema) else { return Ok(out) };
        let props = props.clone();
        for (wire, prop) in &props {
            let (ty, encrypted) = self.convert(prop, wire, parent_name, side, module)?;
            let mut ident = field_ident(wire);
            if place == Place::Body && side == Side::Request && idents.contains(unraw(&ident)) {
                // Also a path or query parameter.
                ident = format!("body_{}", unraw(&ident));
            }
            let ident = unique_ident(ident, &mut idents);
            let documented_required = req.contains(&wire.as_str());
            // Answers are read leniently: every field of an endpoint's answer may be absent, whatever the
            // schema says (its `required` lists are not reliable for answers).
            let optional = !documented_required
                || side == Side::Response
                || prop.get("nullable").and_then(Value::as_bool) == Some(true);
            let example = self.leaf_example(prop, &ty);
            let mut doc = self.field_doc(wire, prop, &ty, optional, encrypted, side, place);
            if side == Side::Response && documented_required {
                doc.pop();
                doc.push_str("; documented as always present.");
            }
            out.push(Field { ident, wire: wire.clone(), ty, optional, encrypted, place, example, doc });
        }
        Ok(out)
    }

    fn enum_def(
        &mut self,
        schema: &Value,
        values: &[Value],
        hint: &str,
        parent: &str,
        module: Module,
    ) -> Result<usize, String> {
        let int = matches!(type_of(schema), Some("integer" | "number")) && values.iter().all(is_int);
        let labels = schema.get("x-enum-labels").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut variants: Vec<Variant> = Vec::new();
        let mut seen = BTreeSet::new();
        let named_labels: Option<Vec<&str>> = if int {
            values
                .iter()
                .map(|v| {
                    labels
                        .get(&value_text(v))
                        .and_then(Value::as_str)
                        .and_then(|l| LABEL_NAMES.iter().find(|(label, _)| *label == l).map(|(_, n)| *n))
                })
                .collect()
        } else {
            None
        };
        let mut idents = BTreeSet::new();
        for (i, v) in values.iter().enumerate() {
            let text = value_text(v);
            if !seen.insert(text.clone()) {
                continue;
            }
            let label = labels.get(&text).and_then(Value::as_str).map(str::to_owned);
            let base = if int {
                match &named_labels {
                    Some(names) => names[i].to_owned(),
                    None => {
                        let n = v.as_i64().unwrap_or_default();
                        if n < 0 { format!("VMinus{}", n.unsigned_abs()) } else { format!("V{n}") }
                    }
                }
            } else {
                variant_ident(&text).unwrap_or_else(|| format!("Variant{}", i + 1))
            };
            let mut ident = base.clone();
            let mut n = 2;
            while !idents.insert(ident.clone()) {
                ident = format!("{base}{n}");
                n += 1;
            }
            let value = if int { v.clone() } else { Value::String(text) };
            variants.push(Variant { ident, value, label });
        }
        let key = format!("enum:{int}:{}:{}", Value::Array(values.to_vec()), Value::Object(labels));
        match self.place(module, &camel(hint), parent, &key)? {
            Placed::Existing(id) => Ok(id),
            Placed::New(id, name) => {
                self.note_shared_child(id, module);
                self.defs[id] = Def::Enum(EnumDef { name, module, int, variants, key, doc: format!("`{hint}`") });
                Ok(id)
            }
        }
    }

    /// A shared definition as a type: one enum for both sides; for an object, `Name` as requests send it
    /// (required fields plain) and `NameAnswer` as answers bring it (every field optional).
    fn shared_def(&mut self, key: &str, side: Side) -> Result<usize, String> {
        let answer = side != Side::Request;
        let slot = if answer { format!("{key}#answer") } else { format!("{key}#request") };
        let id = match self.shared.get(key).or_else(|| self.shared.get(&slot)) {
            Some(&id) => id,
            None => {
                let schema = self
                    .schemas
                    .definitions
                    .get(key)
                    .cloned()
                    .ok_or_else(|| format!("`#/definitions/{key}` is not in codegen/data/schemas.json"))?;
                if let Some(values) = schema.get("enum").and_then(Value::as_array).filter(|v| !v.is_empty()) {
                    let values = values.clone();
                    let id = self.enum_def(&schema, &values, key, "", Module::Shared)?;
                    if let Def::Enum(e) = &mut self.defs[id] {
                        e.doc = format!("`#/definitions/{key}`");
                    }
                    self.shared.insert(key.to_owned(), id);
                    id
                } else if properties(&schema).is_some() {
                    let name = if answer { format!("{}Answer", camel(key)) } else { camel(key) };
                    let side = if answer { Side::Response } else { Side::Request };
                    let (id, name) = match self.place(Module::Shared, &name, "", &format!("def:{slot}"))? {
                        Placed::New(id, name) => (id, name),
                        Placed::Existing(id) => return Ok(id),
                    };
                    self.shared.insert(slot.clone(), id);
                    self.in_shared.push(id);
                    let fields = self.fields(&schema, &name, side, Module::Shared, Place::Body, BTreeSet::new());
                    self.in_shared.pop();
                    let aead = str_of(&schema, "x-encrypted") == Some("aead");
                    self.defs[id] = Def::Struct(StructDef {
                        name,
                        module: Module::Shared,
                        side,
                        fields: fields?,
                        extra: true,
                        aead,
                        key: format!("def:{slot}"),
                        doc: format!("`#/definitions/{key}`"),
                    });
                    id
                } else {
                    return Err(format!("`#/definitions/{key}` is neither an enum nor an object with properties"));
                }
            }
        };
        match self.in_shared.last() {
            Some(&owner) => {
                self.shared_refs.entry(owner).or_default().insert(id);
            }
            None => {
                self.shared_users.entry(id).or_default().insert(self.feature.clone());
            }
        }
        Ok(id)
    }

    /// The example of a field: its own, or one made up from its type and format.
    fn leaf_example(&self, site: &Value, ty: &Ty) -> Value {
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

    #[allow(clippy::too_many_arguments)]
    fn field_doc(
        &self,
        wire: &str,
        prop: &Value,
        ty: &Ty,
        optional: bool,
        encrypted: bool,
        side: Side,
        place: Place,
    ) -> String {
        let mut doc = match place {
            Place::Path => format!("Path parameter `{{{wire}}}`"),
            Place::Query => format!("Query parameter `{wire}`"),
            Place::Header => format!("Request header `{wire}`"),
            Place::Media => {
                "The file (`multipart/form-data` part `file`); its name and SHA-256 go in the meta".to_owned()
            }
            Place::Body | Place::Meta => format!("`{wire}`"),
        };
        match (side, optional) {
            (Side::Request, false) => doc.push_str(", required"),
            (Side::Request, true) => doc.push_str(", optional (left out when `None`)"),
            (_, true) => doc.push_str(" (`None` when absent)"),
            (_, false) => {}
        }
        let mut notes = Vec::new();
        if let Some(format) = str_of(prop, "format").or_else(|| prop.get("items").and_then(|i| str_of(i, "format"))) {
            match format {
                "rfc3339" => notes.push("an RFC 3339 time".to_owned()),
                "jsonObjectLike" | "jsonArrayLike" => notes.push("JSON text".to_owned()),
                "base64" => {}
                other => notes.push(format!("format `{}`", prose(other))),
            }
        }
        if let Some(n) = prop.get("maxLength").and_then(Value::as_u64) {
            notes.push(format!("at most {n} characters"));
        }
        if encrypted {
            notes.push(match side {
                Side::Request => "sent encrypted with WeChat Pay's key ([`typed::encrypt`](crate::typed::encrypt))".to_owned(),
                _ => "decrypted with the merchant key while the answer is parsed ([`typed::decrypt`](crate::typed::decrypt))"
                    .to_owned(),
            });
        }
        let leaf = match ty {
            Ty::Vec(inner) => inner.as_ref(),
            other => other,
        };
        match leaf {
            Ty::Def(id) => {
                let name = self.def_name(*id);
                let link = match self.def_module(*id) {
                    Module::Shared => format!("[`{name}`](crate::typed::shared::{name})"),
                    Module::Endpoint(_) => format!("[`{name}`]"),
                };
                notes.push(format!("see {link}"));
            }
            Ty::Str | Ty::I64 | Ty::F64 | Ty::Bool if !encrypted => {
                if let Some(example) = prop.get("example").or_else(|| prop.get("items").and_then(|i| i.get("example")))
                    && !example.is_object()
                    && !example.is_array()
                    && !example.is_null()
                {
                    notes.push(format!("e.g. {}", code_span(&value_text(example))));
                }
            }
            _ => {}
        }
        if prop.get("deprecated").and_then(Value::as_bool) == Some(true) {
            notes.push("deprecated".to_owned());
        }
        if !notes.is_empty() {
            doc.push_str("; ");
            doc.push_str(&notes.join("; "));
        }
        doc.push('.');
        doc
    }

    /// Plans one endpoint: names, request, response.
    fn endpoint(
        &mut self,
        catalog_index: usize,
        catalog: &Catalog,
        se: &SchemaEndpoint,
        taken: &mut BTreeSet<String>,
    ) -> Result<(), String> {
        let e = &catalog.endpoints[catalog_index];
        let segments: Vec<&str> = e.path.split('/').collect();
        let trimmed = if segments.first() == Some(&"v3") { &segments[1..] } else { &segments[..] };
        let base = format!("{}{}", method_camel(&e.method), path_camel(trimmed));
        let mut request_name = base.clone();
        let mut n = 2;
        while !taken.insert(request_name.clone()) {
            request_name = format!("{base}{n}");
            n += 1;
        }
        let response_name = format!("{request_name}Response");
        let mid = self.modules.len();
        let module = Module::Endpoint(mid);
        self.reserve_module(module, &[]);
        self.feature = feature_of(&e.group);

        // The request struct: parameters first, then the body.
        self.defs.push(Def::Pending);
        let request = self.defs.len() - 1;
        self.names.entry(module).or_default().insert(request_name.clone(), request);
        self.names.entry(module).or_default().insert(response_name.clone(), usize::MAX);
        let mut fields = Vec::new();
        let mut idents = BTreeSet::new();
        for p in &se.params {
            let name = str_of(p, "name").unwrap_or_default();
            let place = match str_of(p, "in") {
                Some("path") => Place::Path,
                Some("query") => Place::Query,
                Some("header") if name.eq_ignore_ascii_case("Wechatpay-Serial") => continue,
                Some("header") => Place::Header,
                other => return Err(format!("{} {}: parameter `{name}` in {other:?}", e.method, e.path)),
            };
            let (ty, encrypted) = if place == Place::Header && p.get("type").is_none() {
                (Ty::Str, false)
            } else {
                self.convert(p, name, "Request", Side::Request, module)?
            };
            let ident = unique_ident(field_ident(name), &mut idents);
            let optional = place != Place::Path && p.get("required").and_then(Value::as_bool) != Some(true);
            let example = self.leaf_example(p, &ty);
            let doc = self.field_doc(name, p, &ty, optional, encrypted, Side::Request, place);
            fields.push(Field { ident, wire: name.to_owned(), ty, optional, encrypted, place, example, doc });
        }
        let multipart = se.request_content_type.as_deref() == Some("multipart/form-data");
        let mut unsupported = None;
        let mut meta_fills = Vec::new();
        let mut meta = None;
        let mut has_body = false;
        if let Some(body) = &se.request {
            if multipart {
                let props = properties(body).cloned().unwrap_or_default();
                let standard = props.keys().all(|k| k == "file" || k == "meta")
                    && props.get("file").and_then(|f| str_of(f, "type")) == Some("file");
                if !standard {
                    let parts: Vec<String> = props.keys().map(|k| format!("`{k}`")).collect();
                    unsupported = Some(format!(
                        "{} {} takes the multipart parts {}, and `Media` sends only `meta` and `file`",
                        e.method,
                        e.path,
                        parts.join(", ")
                    ));
                }
                fields.push(Field {
                    ident: unique_ident("media".to_owned(), &mut idents),
                    wire: "file".to_owned(),
                    ty: Ty::Media,
                    optional: false,
                    encrypted: false,
                    place: Place::Media,
                    example: Value::Null,
                    doc: self.field_doc("file", &Value::Null, &Ty::Media, false, false, Side::Request, Place::Media),
                });
                let meta_schema = props.get("meta").and_then(|m| m.get("x-json")).cloned();
                if let Some(mut meta_schema) = meta_schema {
                    if standard {
                        if let Some(p) = meta_schema.get_mut("properties").and_then(Value::as_object_mut) {
                            for fill in ["filename", "sha256"] {
                                if p.shift_remove(fill).is_some() {
                                    meta_fills.push(fill.to_owned());
                                }
                            }
                        }
                        if let Some(r) = meta_schema.get_mut("required").and_then(Value::as_array_mut) {
                            r.retain(|v| v != "filename" && v != "sha256");
                        }
                    }
                    if properties(&meta_schema).is_some() {
                        let id = self.struct_def(&meta_schema, "meta", "Request", Side::Request, module)?;
                        meta = Some(id);
                        fields.push(Field {
                            ident: unique_ident("meta".to_owned(), &mut idents),
                            wire: "meta".to_owned(),
                            ty: Ty::Def(id),
                            optional: false,
                            encrypted: false,
                            place: Place::Meta,
                            example: Value::Null,
                            doc: format!(
                                "The `meta` part's fields{}.",
                                if meta_fills.is_empty() {
                                    String::new()
                                } else {
                                    format!(
                                        " besides {}, which come from `media`",
                                        meta_fills.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" and ")
                                    )
                                }
                            ),
                        });
                    }
                }
                if !standard {
                    let mut rest = body.clone();
                    if let Some(p) = rest.get_mut("properties").and_then(Value::as_object_mut) {
                        p.retain(|k, v| k != "meta" && str_of(v, "type") != Some("file"));
                    }
                    fields.extend(self.fields(&rest, "Request", Side::Request, module, Place::Body, idents.clone())?);
                }
            } else {
                has_body = true;
                if ref_name(body).is_some() {
                    return Err(format!("{} {}: a request body that is a `$ref` is not supported", e.method, e.path));
                }
                fields.extend(self.fields(body, "Request", Side::Request, module, Place::Body, idents.clone())?);
            }
        }
        if fields.iter().any(|f| unraw(&f.ident) == "extra") {
            return Err(format!(
                "{} {}: a field named `extra` clashes with the map of undescribed fields",
                e.method, e.path
            ));
        }
        self.defs[request] = Def::Struct(StructDef {
            name: request_name.clone(),
            module,
            side: Side::Request,
            extra: has_body,
            fields,
            aead: false,
            key: format!("request:{}", e.path),
            doc: String::new(),
        });

        let response = if e.download {
            ResponseKind::Download
        } else {
            let schema =
                se.responses.iter().filter(|(code, _)| code.starts_with('2')).find_map(|(_, schema)| schema.clone());
            match schema {
                None => ResponseKind::Empty,
                Some(s) if ref_name(&s).is_some() => {
                    let (ty, _) = self.convert(&s, "response", "", Side::Response, module)?;
                    match ty {
                        Ty::Def(id) => ResponseKind::Def(id),
                        _ => return Err(format!("{} {}: a response `$ref` that is not a type", e.method, e.path)),
                    }
                }
                Some(s) if properties(&s).is_some() => {
                    self.defs.push(Def::Pending);
                    let id = self.defs.len() - 1;
                    self.names.entry(module).or_default().insert(response_name.clone(), id);
                    let fields = self.fields(&s, "Response", Side::Response, module, Place::Body, BTreeSet::new())?;
                    self.defs[id] = Def::Struct(StructDef {
                        name: response_name.clone(),
                        module,
                        side: Side::Response,
                        fields,
                        extra: true,
                        aead: str_of(&s, "x-encrypted") == Some("aead"),
                        key: format!("response:{}", e.path),
                        doc: String::new(),
                    });
                    ResponseKind::Def(id)
                }
                Some(_) => ResponseKind::Json,
            }
        };

        self.modules.push(EndpointModule {
            catalog_index,
            method: e.method.clone(),
            path: e.path.clone(),
            summary: e.summary.clone(),
            group: e.group.clone(),
            group_module: module_of_group(&e.group),
            feature: feature_of(&e.group),
            host: e.host.clone(),
            doc_urls: se.doc_urls.clone(),
            module_name: snake_of_camel(&request_name),
            request_name,
            request,
            response_name,
            response,
            has_body,
            upload: multipart,
            unsupported,
            meta_fills,
            meta,
        });
        Ok(())
    }

    /// Whether a type implements `Default` (every required field does; enums do not).
    pub fn default_ok(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Def(id) => match &self.defs[*id] {
                Def::Struct(s) => s.fields.iter().all(|f| f.optional || self.default_ok(&f.ty)),
                _ => false,
            },
            Ty::Media => false,
            _ => true,
        }
    }

    /// Features whose code needs shared definition `id`.
    fn shared_features(&self) -> BTreeMap<usize, BTreeSet<String>> {
        let mut features: BTreeMap<usize, BTreeSet<String>> = self.shared_users.clone();
        loop {
            let mut changed = false;
            for (owner, refs) in &self.shared_refs {
                let owner_features = features.get(owner).cloned().unwrap_or_default();
                for r in refs {
                    let entry = features.entry(*r).or_default();
                    for f in &owner_features {
                        changed |= entry.insert(f.clone());
                    }
                }
            }
            if !changed {
                return features;
            }
        }
    }
}

/// Imports an endpoint module or the shared module needs.
#[derive(Default)]
struct Uses {
    sensitive: bool,
    media: bool,
    value: bool,
    map: bool,
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

    fn emit_struct(&self, id: usize, module: Module, cfg: Option<&str>, out: &mut Out, uses: &mut Uses, doc: &str) {
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
    fn emit_enum(&self, id: usize, cfg: Option<&str>, out: &mut Out, doc: &str, depth: usize) {
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
    fn module_defs(&self, module: Module, skip: &[usize]) -> Vec<usize> {
        (0..self.defs.len()).filter(|&id| self.def_module(id) == module && !skip.contains(&id)).collect()
    }

    fn nested_doc(&self, id: usize, owner: &str) -> String {
        match &self.defs[id] {
            Def::Struct(s) if s.side == Side::Request => format!("{} of the request [`{owner}`].", s.doc),
            Def::Struct(s) => format!("{} of the answer to [`{owner}`].", s.doc),
            Def::Enum(e) => format!("The values of {} (see [`{owner}`]).", e.doc),
            Def::Pending => String::new(),
        }
    }

    fn request_doc(&self, m: &EndpointModule) -> String {
        let mut doc = format!("{}\n\n`{} {}`", prose(&m.summary), m.method, m.path);
        match &m.response {
            ResponseKind::Download => doc.push_str(
                ": a file download. Send it with [`Client::call_download`](crate::Client::call_download), which streams\n\
                 the answer as a [`Download`](crate::download::Download).",
            ),
            _ => doc.push_str(&format!(
                ". Send it with [`Client::call`](crate::Client::call) or\n[`call_async`](crate::Client::call_async); the answer is a [`{}`].",
                m.response_name
            )),
        }
        doc.push_str(&format!("\n\nGroup `{}`, feature `{}`.", m.group, m.feature));
        if !m.doc_urls.is_empty() {
            doc.push_str("\n\nOfficial documentation: ");
            doc.push_str(&m.doc_urls.iter().map(|u| format!("<{u}>")).collect::<Vec<_>>().join(", "));
            doc.push('.');
        }
        if m.host != DEFAULT_HOST && !m.host.is_empty() {
            doc.push_str(&format!(
                "\n\nServed on `{}`: build the client with that base URI (`ClientBuilder::base_uri`).",
                m.host
            ));
        }
        let request = self.structure(m.request);
        if request.fields.iter().any(|f| f.encrypted) {
            doc.push_str(
                "\n\nIts `Sensitive` fields are encrypted with one WeChat Pay key, which `Wechatpay-Serial` names\n\
                 ([`Client::endpoint_options`](crate::Client::endpoint_options)).",
            );
        }
        if m.upload && m.unsupported.is_none() {
            doc.push_str(&format!(
                "\n\nA media upload: `media` is sent as the `file` part and the signed `meta` JSON{}.",
                if m.meta_fills.is_empty() {
                    " is `meta`".to_owned()
                } else {
                    format!(
                        " carries its {}",
                        m.meta_fills.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" and ")
                    )
                }
            ));
        }
        if let Some(why) = &m.unsupported {
            doc.push_str(&format!(
                "\n\n**Not sendable yet**: {}; `to_options` fails with an error saying so. Build the multipart body\n\
                 yourself and send it through the chain.",
                prose(why)
            ));
        }
        doc
    }

    fn emit_endpoint(&self, m: &EndpointModule, out: &mut Out) {
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
    fn example_text(&self, m: &EndpointModule) -> String {
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

    fn cfg_for(&self, features: &BTreeSet<String>) -> String {
        let list: Vec<String> = features.iter().map(|f| format!("feature = {}", lit(f))).collect();
        if list.len() == 1 { format!("#[cfg({})]", list[0]) } else { format!("#[cfg(any({}))]", list.join(", ")) }
    }
}

pub fn generate<'a>(catalog: &Catalog, schemas: &'a Schemas) -> Result<(TypedOutput, Gen<'a>), String> {
    let mut g = Gen::new(schemas);
    let mut by_key: BTreeMap<(&str, &str), &SchemaEndpoint> = BTreeMap::new();
    for se in &schemas.endpoints {
        by_key.insert((se.method.as_str(), se.path.as_str()), se);
    }
    g.reserve_module(Module::Shared, &[]);
    let mut taken = BTreeSet::new();
    for (i, e) in catalog.endpoints.iter().enumerate() {
        if e.v2 {
            continue;
        }
        if let Some(se) = by_key.get(&(e.method.as_str(), e.path.as_str())) {
            g.endpoint(i, catalog, se, &mut taken)?;
        }
    }

    let mut files = BTreeMap::new();
    let mut links = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, m) in g.modules.iter().enumerate() {
        groups.entry(m.group.clone()).or_default().push(i);
        links.insert(
            m.catalog_index,
            TypedLink {
                feature: m.feature.clone(),
                rust_path: format!("crate::typed::{}::{}", m.group_module, m.request_name),
                name: m.request_name.clone(),
                call: if matches!(m.response, ResponseKind::Download) {
                    "Client::call_download"
                } else {
                    "Client::call"
                },
            },
        );
    }
    // Group module names must be distinct.
    let mut module_names: BTreeMap<String, String> = BTreeMap::new();
    for group in groups.keys() {
        if let Some(other) = module_names.insert(module_of_group(group), group.clone()) {
            return Err(format!("groups `{other}` and `{group}` map to the same module"));
        }
    }

    for (group, members) in &groups {
        let first = &g.modules[members[0]];
        let mut out = Out::new();
        out.push_str(&header(WHAT));
        let mut doc = format!(
            "Typed requests of the group `{group}` (feature `{}`): {} endpoint{}.\n\n| request | endpoint | summary |\n| --- | --- | --- |\n",
            first.feature,
            members.len(),
            if members.len() == 1 { "" } else { "s" }
        );
        for &i in members {
            let m = &g.modules[i];
            doc.push_str(&format!(
                "| [`{}`] | `{} {}` | {} |\n",
                m.request_name,
                m.method,
                m.path,
                prose(&m.summary).replace('|', "\\|")
            ));
        }
        doc.push_str("\nEach request lives in its own module with the types of its fields; the request and its answer are\nre-exported here.");
        out.inner_doc(doc);
        out.line("#![allow(clippy::upper_case_acronyms, clippy::enum_variant_names, clippy::large_enum_variant)]");
        out.blank();
        for &i in members {
            let m = &g.modules[i];
            if matches!(m.response, ResponseKind::Download) {
                out.line(format!("pub use self::{}::{};", m.module_name, m.request_name));
            } else {
                out.line(format!("pub use self::{}::{{{}, {}}};", m.module_name, m.request_name, m.response_name));
            }
        }
        out.blank();
        for &i in members {
            g.emit_endpoint(&g.modules[i], &mut out);
        }
        files.insert(format!("src/typed/generated/{}.rs", module_of_group(group)), out.into_string());
    }

    // Shared definitions.
    let shared_features = g.shared_features();
    let mut all_shared_features = BTreeSet::new();
    let mut shared_body = Out::new();
    let mut uses = Uses::default();
    for id in g.module_defs(Module::Shared, &[]) {
        let features = shared_features.get(&id).cloned().unwrap_or_default();
        if features.is_empty() {
            return Err(format!("shared type `{}` is used by no group", g.def_name(id)));
        }
        all_shared_features.extend(features.iter().cloned());
        let cfg = g.cfg_for(&features);
        let doc = match &g.defs[id] {
            Def::Struct(s) if s.doc.starts_with("`#/") && s.side == Side::Request => format!(
                "The shared definition {} as requests send it (required fields plain), used by every request that \
                 refers to it.",
                s.doc
            ),
            Def::Struct(s) if s.doc.starts_with("`#/") => format!(
                "The shared definition {} as answers bring it (every field optional, unknown fields kept), used by \
                 every answer that refers to it.",
                s.doc
            ),
            Def::Struct(s) => format!("{} of a shared definition.", s.doc),
            Def::Enum(e) => format!("The shared enumeration {}, used by every endpoint that refers to it.", e.doc),
            Def::Pending => String::new(),
        };
        match &g.defs[id] {
            Def::Struct(_) => g.emit_struct(id, Module::Shared, Some(&cfg), &mut shared_body, &mut uses, &doc),
            Def::Enum(_) => g.emit_enum(id, Some(&cfg), &mut shared_body, &doc, 0),
            Def::Pending => {}
        }
    }
    let mut shared = Out::new();
    shared.push_str(&header(WHAT));
    shared.inner_doc(
        "Types of the schema catalog's shared definitions (`#/definitions/…`): one Rust type per definition,\n\
         used by every endpoint that refers to it. Each exists when a feature of a group using it is on.",
    );
    shared.line("#![allow(clippy::upper_case_acronyms, clippy::enum_variant_names)]");
    shared.blank();
    if uses.value || uses.map {
        shared.line("#[allow(unused_imports)]\nuse serde_json::{Map, Value};");
    }
    shared.blank();
    shared.push_str(&shared_body.into_string());
    files.insert("src/typed/generated/shared.rs".to_owned(), shared.into_string());

    // The module list.
    let mut top = Out::new();
    top.push_str(&header(WHAT));
    top.inner_doc(format!(
        "The generated typed layer: {} endpoints in {} groups, from {}.",
        g.modules.len(),
        groups.len(),
        schemas.source
    ));
    top.blank();
    for (group, members) in &groups {
        top.line(format!("#[cfg(feature = {})]", lit(&g.modules[members[0]].feature)));
        top.line(format!("pub mod {};", module_of_group(group)));
    }
    top.line(g.cfg_for(&all_shared_features));
    top.line("pub mod shared;");
    files.insert("src/typed/generated/mod.rs".to_owned(), top.into_string());

    // Cargo features.
    let mut features = String::new();
    features.push_str(
        "# One feature per catalog group (`group` in macros/data/endpoints.json, `/` written `-`), each compiling the\n\
         # typed requests of that group (`wechatpay_chain::typed::<group with / and - as _>`); `typed-all` compiles\n\
         # every group.\n",
    );
    features.push_str("typed-all = [\n");
    for group in groups.keys() {
        let _ = writeln!(features, "    \"{}\",", feature_of(group));
    }
    features.push_str("]\n");
    for group in groups.keys() {
        let _ = writeln!(features, "{} = [\"typed\"]", feature_of(group));
    }
    Ok((TypedOutput { files, links, features }, g))
}
