//! Planning one endpoint: its request type (parameters, then the body or the multipart parts) and its answer.

use std::collections::BTreeSet;

use serde_json::Value;

use super::naming::{feature_of, method_camel, module_of_group, unique_ident};
use super::{Def, EndpointModule, Field, Gen, Module, Place, ResponseKind, Side, StructDef, Ty};
use crate::catalog::{Catalog, path_camel};
use crate::names::{field_ident, snake_of_camel, unraw};
use crate::schema::{SchemaEndpoint, properties, ref_name, str_of};

impl Gen<'_> {
    /// Plans one endpoint: names, request, response.
    pub(super) fn endpoint(
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
}
