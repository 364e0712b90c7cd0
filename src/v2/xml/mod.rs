//! The XML of APIv2: a writer with the PHP SDK's `Transformer::toXml` layout and a parser in the
//! shape of its `Transformer::toArray`, both over `serde_json` maps.
//!
//! ```
//! use serde_json::json;
//! use wechatpay_chain::v2::xml;
//!
//! let fields = json!({"mch_id": "1900000001", "body": "a<b", "note": "x]]>y"});
//! let text = xml::to_xml(fields.as_object().unwrap())?;
//! assert_eq!(
//!     text,
//!     "<xml><mch_id>1900000001</mch_id><body><![CDATA[a<b]]></body>\
//!      <note><![CDATA[x]]]]><![CDATA[>y]]></note></xml>"
//! );
//! assert_eq!(xml::parse(text.as_bytes())?, *fields.as_object().unwrap());
//! # Ok::<(), wechatpay_chain::v2::XmlError>(())
//! ```
//!
//! **Writing** ([`to_xml`]): an `<xml>` root, no declaration, no whitespace. A key becomes the element
//! name if it is a valid name by the PHP rule (`^[\pL_][\pL0-9._:-]*$`, which also keeps it a valid
//! XML name), otherwise `item`; list elements are `<item>`s; nested maps nest; an empty list or map is
//! `<k/>`. Scalars are PHP string casts: `true` → `1`, `false`/`null`/`""` → `<k></k>`, numbers as PHP
//! prints them (`0`, `1.5`, `1.0E+20`). Text with any of `<` `>` `&` `"` is written as CDATA, other
//! text literally (`'` included). Unlike PHP the output is always well-formed XML:
//! - `]]>` inside CDATA is split across two sections (`<![CDATA[x]]]]><![CDATA[>y]]>`); PHP writes it
//!   verbatim, which ends the section early;
//! - a carriage return is written as `&#13;` (a raw one would be read back as a line feed, and so
//!   signed differently by the receiver);
//! - characters XML 1.0 cannot carry (controls other than tab, LF, CR; U+FFFE; U+FFFF) are an error,
//!   [`XmlError::UnwritableCharacter`], where PHP would emit invalid XML.
//!
//! **Parsing** ([`parse`]): the root name is ignored; an element without child elements becomes its
//! text (CDATA unwrapped, references decoded, line ends normalized, attributes dropped, empty → `""`);
//! one with child elements becomes a nested map (whitespace between children ignored); repeated
//! names become a list. Unlike PHP (which returns `[]` for anything it cannot parse, strips invalid
//! characters and expands internal DTD entities):
//! - any DOCTYPE is refused ([`XmlError::Doctype`]), so no entity is ever defined, expanded or
//!   fetched; only the five predefined entities and numeric character references are decoded;
//! - malformed input, invalid characters and non-UTF-8 input are errors, not an empty map;
//! - text mixed with child elements is an error ([`XmlError::MixedContent`]) at every depth, the root
//!   included (`<xml><a/>junk</xml>`), rather than silently dropped; whitespace between elements is
//!   ignored;
//! - `]]>` in text outside CDATA is an error (XML 1.0 §2.4), so a PHP-written CDATA section with
//!   an unsplit `]]>` is refused instead of misread;
//! - the input size ([`MAX_INPUT`]) and nesting depth ([`MAX_DEPTH`]) are limited, and the parser
//!   does not recurse, so hostile input cannot exhaust the stack.
//!
//! [`XmlError::UnwritableCharacter`]: super::XmlError::UnwritableCharacter
//! [`XmlError::Doctype`]: super::XmlError::Doctype
//! [`XmlError::MixedContent`]: super::XmlError::MixedContent
//!
//! # What survives a round trip
//!
//! [`parse`]`(`[`to_xml`]`(fields))` gives `fields` back exactly when every value is a string and
//! every key is an element name ([`is_element_name`]), with nested maps (non-empty) of the same —
//! the shape APIv2 requests and answers have. The string may hold anything XML can carry: markup
//! characters, `]]>`, line breaks (a carriage return included), leading and trailing spaces:
//!
//! ```
//! use serde_json::json;
//! use wechatpay_chain::v2::xml::{parse, to_xml};
//!
//! let fields = json!({"a": " <b>&\"]]>'\r\n ", "c": {"d": "1", "e": ""}, "中文": "值"});
//! let fields = fields.as_object().unwrap();
//! assert_eq!(&parse(to_xml(fields)?.as_bytes())?, fields);
//! # Ok::<(), wechatpay_chain::v2::XmlError>(())
//! ```
//!
//! Everything else comes back in another shape, as with the PHP SDK, because the XML does not say
//! more: numbers and booleans come back as their PHP text (`1` → `"1"`, `true` → `"1"`, `false` and
//! `null` → `""`); an empty list or map comes back as `""`; a list `[x, y]` under key `k` comes back as
//! `{"item": [x, y]}` (a one-element list as `{"item": x}`); a key that is not an element name is
//! written as `item`. Attributes, comments and processing instructions in parsed documents are
//! dropped, and line ends in text are normalized (CR LF and CR become LF; write a CR as `&#13;` to
//! keep it, as [`to_xml`] does):
//!
//! ```
//! use serde_json::json;
//! use wechatpay_chain::v2::xml::{parse, to_xml};
//!
//! let fields = json!({"n": 1, "t": true, "f": false, "z": null, "e": [], "l": ["x", "y"], "1bad": "v"});
//! let back = parse(to_xml(fields.as_object().unwrap())?.as_bytes())?;
//! assert_eq!(
//!     serde_json::Value::Object(back),
//!     json!({"n": "1", "t": "1", "f": "", "z": "", "e": "", "l": {"item": ["x", "y"]}, "item": "v"})
//! );
//! # Ok::<(), wechatpay_chain::v2::XmlError>(())
//! ```
//!
//! The parser is [quick-xml](https://docs.rs/quick-xml)'s pull reader with its strict checks on (end
//! tag names, comments); names, characters, references, attributes and document structure are
//! checked here on top of it.

mod read;
mod write;

pub use read::{parse, parse_with_limits};
pub(crate) use write::push_cdata;
pub use write::{to_xml, to_xml_with_root};

/// Deepest element nesting accepted when parsing and writing; the root element is level 1.
pub const MAX_DEPTH: usize = 32;

/// Largest document [`parse`] accepts, in bytes (1 MiB). APIv2 answers are a few KiB.
pub const MAX_INPUT: usize = 1024 * 1024;

/// Limits of [`parse_with_limits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest input, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting; the root element is level 1.
    pub max_depth: usize,
}

impl Limits {
    /// Limits of `max_bytes` of input and `max_depth` levels of nesting.
    pub fn new(max_bytes: usize, max_depth: usize) -> Limits {
        Limits { max_bytes, max_depth }
    }
}

impl Default for Limits {
    /// [`MAX_INPUT`] and [`MAX_DEPTH`].
    fn default() -> Limits {
        Limits { max_bytes: MAX_INPUT, max_depth: MAX_DEPTH }
    }
}

// ---------------------------------------------------------------------------------------------
// Names and characters
// ---------------------------------------------------------------------------------------------

/// XML 1.0 (fifth edition) `Char`.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// XML 1.0 (fifth edition) `NameStartChar`.
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 (fifth edition) `NameChar`.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `name` is an XML 1.0 `Name`.
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// Whether the writer uses `key` as an element name (otherwise it writes `<item>`): the PHP SDK's
/// rule `^[\pL_][\pL0-9._:-]*$` (a letter or `_`, then letters, ASCII digits, `.` `_` `:` `-`; no
/// spaces), restricted to names XML 1.0 allows, so the output is always well-formed. Letters are
/// Rust's `char::is_alphabetic`, a close superset of PHP's `\pL`.
///
/// ```
/// use wechatpay_chain::v2::xml::is_element_name;
///
/// assert!(is_element_name("out_trade_no"));
/// assert!(is_element_name("ok:ns") && is_element_name("dash-ok") && is_element_name("中文"));
/// assert!(!is_element_name("1abc") && !is_element_name("has space") && !is_element_name(""));
/// ```
pub fn is_element_name(key: &str) -> bool {
    let mut chars = key.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first == '_' || (first.is_alphabetic() && is_name_start_char(first)))
        && chars.all(|c| (c.is_alphabetic() || matches!(c, '0'..='9' | '.' | '_' | ':' | '-')) && is_name_char(c))
}

fn is_utf8_label(encoding: &str) -> bool {
    encoding.eq_ignore_ascii_case("utf-8") || encoding.eq_ignore_ascii_case("utf8")
}

fn is_xml_whitespace(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::v2::XmlError;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn names() {
        assert!(is_element_name("_u") && is_element_name("a.b") && is_element_name("é"));
        assert!(!is_element_name("-a") && !is_element_name(":a") && !is_element_name("a/b"));
        assert!(!is_element_name("a\u{B7}") || is_xml_name("a\u{B7}"));
        // A letter PHP's rule accepts but XML does not allow at the start of a name.
        assert!(!is_element_name("\u{AA}x"));
        assert!(is_xml_name("a:b") && !is_xml_name("1a") && !is_xml_name(""));
    }

    #[test]
    fn carriage_return_survives() {
        let fields = map(json!({"a": "l1\r\nl2", "b": "<\r>"}));
        let text = to_xml(&fields).unwrap();
        assert_eq!(text, "<xml><a>l1&#13;\nl2</a><b><![CDATA[<]]>&#13;<![CDATA[>]]></b></xml>");
        assert_eq!(parse(text.as_bytes()).unwrap(), fields);
    }

    #[test]
    fn line_ends_are_normalized() {
        let parsed = parse(b"<xml><a>1\r\n2\r3</a></xml>").unwrap();
        assert_eq!(parsed["a"], "1\n2\n3");
    }

    #[test]
    fn mixed_content_is_refused_at_every_depth() {
        let mixed = |text: &[u8], element: &str| {
            assert_eq!(parse(text), Err(XmlError::MixedContent { element: element.into() }), "{text:?}");
        };
        mixed(b"<xml><a/>junk</xml>", "xml");
        mixed(b"<xml>junk<a/></xml>", "xml");
        mixed(b"<xml><a>1</a><![CDATA[x]]></xml>", "xml");
        mixed(b"<xml><a/>&amp;</xml>", "xml");
        mixed(b"<xml><a><b/>junk</a></xml>", "a");
        mixed(b"<xml><a><b><c/>x<c/></b></a></xml>", "b");
        // The fuzz input of issue 16 (after its first byte, which picked the fuzz target): text between
        // the children of the root, which used to be dropped.
        mixed(b"<l><retfoab/>rl>><retfoab/>rl><retfoab/></l>", "l");
        // Whitespace between elements is not content.
        assert_eq!(parse(b"<xml>\n <a>1</a>\r\n\t<b/> </xml>").unwrap(), map(json!({"a": "1", "b": ""})));
    }

    #[test]
    fn repeated_then_single() {
        let parsed = parse(b"<xml><a>1</a><b/><a>2</a><a><c>3</c></a></xml>").unwrap();
        assert_eq!(Value::Object(parsed), json!({"a": ["1", "2", {"c": "3"}], "b": ""}));
    }
}
