//! The writer: APIv2 fields as `<xml>…</xml>` in the PHP SDK's layout, always well-formed (see the
//! module documentation of [`super`]).

use serde_json::{Map, Value};

use super::super::error::clip;
use super::super::{XmlError, php};
use super::{MAX_DEPTH, is_element_name, is_xml_char};

/// Writes `fields` as `<xml>…</xml>`, the body of an APIv2 request (see the module documentation
/// for the layout). Errors: [`XmlError::UnwritableCharacter`], [`XmlError::TooDeep`].
pub fn to_xml(fields: &Map<String, Value>) -> Result<String, XmlError> {
    to_xml_with_root("xml", fields)
}

/// [`to_xml`] with another root element name, for example `root` (the layout of a refund
/// notification's decrypted `req_info`).
pub fn to_xml_with_root(root: &str, fields: &Map<String, Value>) -> Result<String, XmlError> {
    if !is_element_name(root) {
        return Err(XmlError::InvalidRootName { name: clip(root) });
    }
    let mut out = String::with_capacity(64 + fields.len() * 32);
    out.push('<');
    out.push_str(root);
    out.push('>');
    for (key, value) in fields {
        write_element(&mut out, element_name(key), key, value, 2)?;
    }
    out.push_str("</");
    out.push_str(root);
    out.push('>');
    Ok(out)
}

fn element_name(key: &str) -> &str {
    if is_element_name(key) { key } else { "item" }
}

fn write_element(out: &mut String, name: &str, key: &str, value: &Value, depth: usize) -> Result<(), XmlError> {
    if depth > MAX_DEPTH {
        return Err(XmlError::TooDeep { limit: MAX_DEPTH });
    }
    let empty_container = match value {
        Value::Array(list) => list.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    };
    if empty_container {
        out.push('<');
        out.push_str(name);
        out.push_str("/>");
        return Ok(());
    }
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Array(list) => {
            for item in list {
                write_element(out, "item", key, item, depth + 1)?;
            }
        }
        Value::Object(map) => {
            for (child_key, child) in map {
                write_element(out, element_name(child_key), child_key, child, depth + 1)?;
            }
        }
        scalar => {
            let text = php::scalar_text(scalar).unwrap_or_default();
            if let Some(bad) = text.chars().find(|&c| !is_xml_char(c)) {
                return Err(XmlError::UnwritableCharacter { key: clip(key), code_point: u32::from(bad) });
            }
            write_text(out, &text);
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
    Ok(())
}

/// Text of a leaf element: CDATA when it contains any of `< > & "` (PHP's rule), literal otherwise;
/// a carriage return always as `&#13;`.
fn write_text(out: &mut String, text: &str) {
    let cdata = text.contains(['<', '>', '&', '"']);
    for (i, piece) in text.split('\r').enumerate() {
        if i > 0 {
            out.push_str("&#13;");
        }
        if cdata {
            if !piece.is_empty() {
                push_cdata(out, piece);
            }
        } else {
            out.push_str(piece);
        }
    }
}

/// `<![CDATA[text]]>`, with every `]]>` split across two sections so the text comes back whole.
/// `text` must not contain a carriage return (see [`write_text`]).
pub(crate) fn push_cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    let mut rest = text;
    while let Some(at) = rest.find("]]>") {
        out.push_str(&rest[..at + 2]);
        out.push_str("]]><![CDATA[");
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out.push_str("]]>");
}
