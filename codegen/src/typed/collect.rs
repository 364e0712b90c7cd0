//! Collecting definitions from the schema: the Rust type of each field, nested structs and enums, shared types.

use std::collections::BTreeSet;

use serde_json::Value;

use super::naming::{Placed, unique_ident};
use super::{Def, EnumDef, Field, Gen, Module, Place, Side, StructDef, Ty, Variant, value_text};
use crate::names::{camel, field_ident, unraw, variant_ident};
use crate::schema::{properties, ref_name, required, str_of};

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

impl Gen<'_> {
    /// The Rust type of `schema` at a field site, and whether it is encrypted on the wire.
    pub(super) fn convert(
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

    pub(super) fn struct_def(
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

    pub(super) fn fields(
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
}
