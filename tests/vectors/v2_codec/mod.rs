//! `v2.json` (APIv2) against `wechatpay_chain::v2`: every `hash`, `transformer`, `aes-ecb` and
//! `response` case, the codec part of every `request` case, plus XXE / injection fixtures, CDATA
//! round trips and the parser's limits.
//!
//! The vector tests decide each case by rule, from its own input (never its id); where this SDK
//! differs from the PHP SDK on purpose, the deviation is derived and our behaviour asserted:
//!
//! | deviation | derived from | PHP | here | reason |
//! | --- | --- | --- | --- | --- |
//! | `split-cdata` | a value containing `]]>` | verbatim inside CDATA | split: `<![CDATA[x]]]]><![CDATA[>y]]>` | PHP's output is not well-formed XML |
//! | `doctype-refused` | a DOCTYPE in the input | expands internal entities | `XmlError::Doctype` | DTDs open the door to XXE and entity bombs |
//! | `invalid-character` | characters XML 1.0 does not allow | stripped before parsing / written as is | `XmlError::InvalidCharacter` / `UnwritableCharacter` | not XML; WeChat Pay never sends them |
//! | `unparsable-is-error` | PHP returned `[]` | `[]` | an error | an empty map hides the failure |
//! | `nested-value` | an object or list field | signs `detail=Array` | `SignError::NestedValue` | that signature covers none of the nested content |
//! | `unknown-sign-type` | a `sign_type` other than `MD5` / `HMAC-SHA256` | empty sign | `SignError::UnknownSignType` | the request can only fail |
//! | `mchid-check` | a request PHP refused for its `mch_id` | refused (mch_id check) | not a codec concern | the client compares mch_id with its mchid (`tests/vectors/vectors_v2.rs`) |
//!
//! Run with `WECHATPAY_VECTORS_DIR=<dir>` to check another capture of the same schema.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::rules::{self, Tally, V2Expect, vector_cases};
use serde_json::{Map, Value, json};
use wechatpay_chain::http::StatusCode;
use wechatpay_chain::v2::crypto::{self, EcbKey};
use wechatpay_chain::v2::notify::{self, RefundNotification};
use wechatpay_chain::v2::response::{UNSIGNED_PATHS, is_unsigned_path};
use wechatpay_chain::v2::sign::{self, agency_md5_hex, digest_hex, sign_str, sign_string};
use wechatpay_chain::v2::xml::{self, Limits, MAX_DEPTH, MAX_INPUT, parse, to_xml};
use wechatpay_chain::v2::{
    ApiV2Key, Checked, EcbError, NotifyError, RejectionKind, SignError, SignType, XmlError, check_response,
};

const APIV2_KEY: &str = "GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1";
const FILE: &str = "v2.json";

fn data(path: &str) -> std::path::PathBuf {
    common::data(path)
}

/// The vector cases of one kind (possibly none in a partial capture; `tests/vectors/vectors_v2.rs` checks
/// that every kind of the file is known).
fn cases(kind: &str) -> Vec<Value> {
    vector_cases(FILE).into_iter().filter(|c| c["kind"] == kind).collect()
}

fn key() -> ApiV2Key {
    let text = std::fs::read_to_string(data("keys/secrets.json")).expect("secrets.json");
    let secrets: Value = serde_json::from_str(&text).expect("secrets JSON");
    let apiv2 = secrets["apiv2_key"].as_str().expect("apiv2_key");
    assert_eq!(apiv2, APIV2_KEY);
    ApiV2Key::new(apiv2).expect("APIv2 key")
}

fn obj(value: &Value) -> Map<String, Value> {
    value.as_object().expect("a JSON object").clone()
}

fn id(case: &Value) -> &str {
    case["id"].as_str().unwrap_or_default()
}

/// Every string in `value` (keys and values, nested) that contains `]]>`.
fn cdata_ends(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains("]]>") => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| cdata_ends(i, out)),
        Value::Object(map) => map.values().for_each(|v| cdata_ends(v, out)),
        _ => {}
    }
}

/// PHP's XML with each `]]>`-containing CDATA section split the way this SDK writes it.
fn split_cdata(php_xml: &str, values: &[String]) -> String {
    values.iter().fold(php_xml.to_owned(), |xml, v| {
        xml.replace(&format!("<![CDATA[{v}]]>"), &format!("<![CDATA[{}]]>", v.replace("]]>", "]]]]><![CDATA[>")))
    })
}

/// Whether any string in `value` (keys included) has a character XML 1.0 cannot carry.
fn has_unwritable(value: &Value) -> bool {
    match value {
        Value::String(s) => rules::unwritable_in_xml(s),
        Value::Array(items) => items.iter().any(has_unwritable),
        Value::Object(map) => map.iter().any(|(k, v)| rules::unwritable_in_xml(k) || has_unwritable(v)),
        _ => false,
    }
}

mod cdata;
mod check_response;
mod edges;
mod notifications;
mod signatures;
mod vectors;
mod xml_attacks;
