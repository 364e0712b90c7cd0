//! `codegen/data/schemas.json`: request and response schemas of the APIv3 endpoints (format in
//! `codegen/data/README.md`).

use serde_json::{Map, Value};

pub struct SchemaEndpoint {
    pub method: String,
    pub path: String,
    pub doc_urls: Vec<String>,
    pub params: Vec<Value>,
    pub request: Option<Value>,
    pub request_content_type: Option<String>,
    /// Status code → schema, in source order.
    pub responses: Vec<(String, Option<Value>)>,
}

pub struct Schemas {
    pub endpoints: Vec<SchemaEndpoint>,
    pub definitions: Map<String, Value>,
    /// `repo@commit` of the source.
    pub source: String,
}

pub fn load(text: &str) -> Result<Schemas, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("codegen/data/schemas.json is not JSON: {e}"))?;
    let endpoints =
        root.get("endpoints").and_then(Value::as_array).ok_or("codegen/data/schemas.json has no `endpoints` array")?;
    let definitions = root.get("definitions").and_then(Value::as_object).cloned().unwrap_or_default();
    let source = root
        .get("source")
        .map(|s| {
            format!(
                "{}@{}",
                s.get("repo").and_then(Value::as_str).unwrap_or("?"),
                s.get("commit").and_then(Value::as_str).unwrap_or("?")
            )
        })
        .unwrap_or_default();
    let mut out = Vec::with_capacity(endpoints.len());
    for e in endpoints {
        let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
        let method = text("method").ok_or("a schema endpoint has no method")?;
        let path = text("path").ok_or("a schema endpoint has no path")?;
        let responses = e
            .get("responses")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), if v.is_null() { None } else { Some(v.clone()) })).collect())
            .unwrap_or_default();
        out.push(SchemaEndpoint {
            doc_urls: e
                .get("doc_urls")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
                .unwrap_or_default(),
            params: e.get("params").and_then(Value::as_array).cloned().unwrap_or_default(),
            request: e.get("request").filter(|r| !r.is_null()).cloned(),
            request_content_type: text("request_content_type"),
            responses,
            method,
            path,
        });
    }
    Ok(Schemas { endpoints: out, definitions, source })
}

/// `X` of `{"$ref": "#/definitions/X"}`.
pub fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/"))
}

pub fn str_of<'a>(schema: &'a Value, key: &str) -> Option<&'a str> {
    schema.get(key).and_then(Value::as_str)
}

pub fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object).filter(|p| !p.is_empty())
}

pub fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
