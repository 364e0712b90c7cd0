//! The sandbox's own APIv2 codec: flat `<xml>` documents, and the `sign` field (MD5 or HMAC-SHA256 over
//! the byte-sorted `k=v` pairs plus `&key=`). Written independently of the SDK's `v2` module, so that a
//! mistake there is caught here rather than mirrored.

use aws_lc_rs::hmac;
use md5::{Digest, Md5};
use quick_xml::events::Event;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// The two APIv2 signature algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignType {
    Md5,
    HmacSha256,
}

impl SignType {
    /// `sign_type` as a request gives it: absent means MD5.
    pub(crate) fn from_field(value: Option<&str>) -> Result<SignType, ()> {
        match value {
            None | Some("MD5") => Ok(SignType::Md5),
            Some("HMAC-SHA256") => Ok(SignType::HmacSha256),
            Some(_) => Err(()),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }
}

/// The string WeChat Pay signs: `k=v` pairs sorted by name (bytes), without `sign` and empty values,
/// joined with `&`, then `&key=<APIv2 key>`.
fn signing_string(fields: &Map<String, Value>, key: &str) -> String {
    let mut pairs: Vec<(&str, String)> = fields
        .iter()
        .filter(|(name, _)| name.as_str() != "sign")
        .filter_map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            (!text.is_empty()).then_some((name.as_str(), text))
        })
        .collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (name, text) in pairs {
        out.push_str(name);
        out.push('=');
        out.push_str(&text);
        out.push('&');
    }
    out.push_str("key=");
    out.push_str(key);
    out
}

fn upper_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The `sign` of `fields` under `key`.
pub(crate) fn sign(sign_type: SignType, fields: &Map<String, Value>, key: &str) -> String {
    let message = signing_string(fields, key);
    match sign_type {
        SignType::Md5 => upper_hex(&Md5::digest(message.as_bytes())),
        SignType::HmacSha256 => {
            let mac = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
            upper_hex(hmac::sign(&mac, message.as_bytes()).as_ref())
        }
    }
}

/// Checks `fields["sign"]` under `key`; the algorithm is the one its length implies (32 hex digits:
/// MD5, 64: HMAC-SHA256). Returns the algorithm that verified.
pub(crate) fn verify(fields: &Map<String, Value>, key: &str) -> Option<SignType> {
    let given = fields.get("sign").and_then(Value::as_str)?;
    let sign_type = match given.len() {
        32 => SignType::Md5,
        64 => SignType::HmacSha256,
        _ => return None,
    };
    let expected = sign(sign_type, fields, key);
    bool::from(expected.as_bytes().ct_eq(given.to_ascii_uppercase().as_bytes())).then_some(sign_type)
}

/// Parses a flat `<xml><name>text</name>…</xml>` document (text or CDATA values). Anything else — a
/// DOCTYPE, nested elements, a different root — is refused.
pub(crate) fn parse(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.len() > 1024 * 1024 {
        return Err("the body is larger than 1 MiB".to_owned());
    }
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut fields = Map::new();
    let mut depth = 0usize;
    let mut current: Option<(String, String)> = None;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::DocType(_) => return Err("a DOCTYPE is not accepted".to_owned()),
            Event::Start(start) => {
                depth += 1;
                let name = start.name().as_ref().to_owned();
                match depth {
                    1 if name == "xml" => {}
                    1 => return Err(format!("the root element is <{name}>, not <xml>")),
                    2 => current = Some((name, String::new())),
                    _ => return Err("nested elements are not accepted".to_owned()),
                }
            }
            Event::Empty(empty) => {
                if depth != 1 {
                    return Err("an empty element outside <xml>".to_owned());
                }
                let name = empty.name().as_ref().to_owned();
                fields.insert(name, Value::String(String::new()));
            }
            Event::Text(text) => {
                let decoded = text.xml10_content();
                match current.as_mut() {
                    Some((_, value)) => value.push_str(&decoded),
                    None if decoded.trim().is_empty() => {}
                    None => return Err("text outside a field".to_owned()),
                }
            }
            Event::GeneralRef(reference) => {
                let name: &str = reference.as_ref();
                let resolved = match name {
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "amp" => "&".to_owned(),
                    "apos" => "'".to_owned(),
                    "quot" => "\"".to_owned(),
                    _ => match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                        Some(c) => c.to_string(),
                        None => return Err(format!("the entity &{name}; is not accepted")),
                    },
                };
                match current.as_mut() {
                    Some((_, value)) => value.push_str(&resolved),
                    None => return Err("text outside a field".to_owned()),
                }
            }
            Event::CData(data) => match current.as_mut() {
                Some((_, value)) => value.push_str(&data.xml10_content()),
                None => return Err("CDATA outside a field".to_owned()),
            },
            Event::End(_) => {
                if depth == 2
                    && let Some((name, value)) = current.take()
                {
                    fields.insert(name, Value::String(value));
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
        }
    }
    if depth != 0 {
        return Err("the document ends inside an element".to_owned());
    }
    Ok(fields)
}

/// Writes `fields` as `<xml>`, every text value in CDATA (split around `]]>`), numbers as they are.
pub(crate) fn to_xml(fields: &Map<String, Value>) -> String {
    let mut out = String::from("<xml>");
    for (name, value) in fields {
        out.push('<');
        out.push_str(name);
        out.push('>');
        match value {
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => {
                out.push_str("<![CDATA[");
                out.push_str(&s.replace("]]>", "]]]]><![CDATA[>"));
                out.push_str("]]>");
            }
            _ => {}
        }
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    out.push_str("</xml>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_sign_of_wechat_pays_documented_example() {
        // The example of WeChat Pay's APIv2 signature guide (签名算法).
        let fields: Map<String, Value> = serde_json::from_str(
            r#"{"appid":"wxd930ea5d5a258f4f","mch_id":"10000100","device_info":"1000","body":"test",
                "nonce_str":"ibuaiVcKdpRxkhJA"}"#,
        )
        .unwrap();
        let key = "192006250b4c09247ec02edce69f6a2d";
        assert_eq!(sign(SignType::Md5, &fields, key), "9A0A8659F005D6984697E2CA0A9CF3B7");
        let mut signed = fields.clone();
        signed.insert("sign".into(), sign(SignType::HmacSha256, &fields, key).into());
        assert_eq!(verify(&signed, key), Some(SignType::HmacSha256));
        assert_eq!(verify(&signed, "another key"), None);
    }

    #[test]
    fn xml_round_trip_and_refusals() {
        let mut fields = Map::new();
        fields.insert("a".into(), "x]]>y<&".into());
        fields.insert("n".into(), 5.into());
        let xml = to_xml(&fields);
        let back = parse(xml.as_bytes()).unwrap();
        assert_eq!(back["a"], "x]]>y<&");
        assert_eq!(back["n"], "5");
        assert!(parse(b"<!DOCTYPE x><xml></xml>").is_err());
        assert!(parse(b"<xml><a><b>1</b></a></xml>").is_err());
        assert!(parse(b"<other/>").is_err());
        assert_eq!(parse(b"<xml><a>&lt;&#x41;</a></xml>").unwrap()["a"], "<A");
    }
}
