//! The typed layer: one request and one response type per schema endpoint (`src/typed/generated/**`),
//! the `typed-*` features, and the data the generated tests are built from.
//!
//! This module holds the model the parts share (definitions, endpoint modules, the generator's state);
//! `collect` and `endpoint` build it from the schema, `naming` names its types, `docs` and `examples`
//! write its rustdoc, `emit` turns it into Rust items and `files` into the generated files.

mod collect;
mod docs;
mod emit;
mod endpoint;
mod examples;
mod files;
mod naming;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::chain::TypedLink;
use crate::schema::Schemas;

pub use self::examples::ExprCtx;
pub use self::files::generate;

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

/// The text of a JSON value: a string as it is, anything else as JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
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
}
