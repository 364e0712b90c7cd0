//! Fuzz targets: aPIv2 XML.

use super::*;

/// `v2::xml`. Byte 0: mode (even: parse the rest; odd: build a map from the rest and write it).
///
/// Parsing properties: no character data is dropped (the non-whitespace characters of the text inside
/// the root equal those of the returned values); the result writes
/// back (`to_xml`) to XML that parses, and to the same fields where the writer's documented limits
/// allow (element-name keys, no lists, no empty maps); an exact re-serialization (repeated elements,
/// escapes) parses to the same fields. Writing properties: written XML always parses, to the same fields
/// within the same limits; a refusal names an unwritable character, the depth or the root name.
pub fn xml(data: &[u8]) {
    let mut input = Input(data);
    if input.byte() % 2 == 0 {
        xml_parse(input.rest());
    } else {
        xml_write(input);
    }
}

fn xml_parse(text: &[u8]) {
    let _ = xml::parse_with_limits(text, xml::Limits { max_bytes: 64, max_depth: 3 });
    let fields = match xml::parse(text) {
        Ok(fields) => fields,
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
            return;
        }
    };
    if let Some((inside, at_root)) = character_data(text) {
        let kept = count_text(&Value::Object(fields.clone()));
        if at_root > 0 && inside.checked_sub(kept) == Some(at_root) {
            check!(
                false,
                "parsing dropped the {at_root} non-whitespace characters of text next to child elements in the root"
            );
        }
        check!(
            inside == kept,
            "parsing kept {kept} of {inside} non-whitespace text characters ({at_root} in the root)"
        );
    }
    let written = match xml::to_xml(&fields) {
        Ok(written) => Some(written),
        // The writer puts a list's items one level below its name, so a list at the deepest level the
        // parser allows is too deep to write.
        Err(crate::v2::XmlError::TooDeep { .. }) if has_list(&Value::Object(fields.clone())) => None,
        Err(e) => panic!("fuzzing property violated: parsed fields do not write back: {e:?}"),
    };
    if let Some(written) = written {
        check_written(&fields, &written);
    }
    let mut exact = String::from("<xml>");
    write_exact(&fields, &mut exact);
    exact.push_str("</xml>");
    let again = xml::parse(exact.as_bytes());
    check!(again.as_ref().ok() == Some(&fields), "an exact re-serialization parses differently: {again:?}");
}

fn has_list(value: &Value) -> bool {
    match value {
        Value::Array(_) => true,
        Value::Object(map) => map.values().any(has_list),
        _ => false,
    }
}

fn check_written(fields: &Map<String, Value>, written: &str) {
    let reparsed = xml::parse(written.as_bytes());
    check!(reparsed.is_ok(), "written XML does not parse: {reparsed:?}");
    if round_trips(fields) {
        check!(reparsed.as_ref().ok() == Some(fields), "parse → write → parse changed the fields");
    }
}

/// Non-whitespace characters of the character data inside the root element, and of those directly in
/// the root, read with quick-xml's tokenizer (the parser's, with the same strictness). `None` if the
/// tokenizer disagrees that the document is well-formed.
fn character_data(text: &[u8]) -> Option<(usize, usize)> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(text).ok()?;
    let mut reader = quick_xml::Reader::from_str(text.strip_prefix('\u{FEFF}').unwrap_or(text));
    reader.config_mut().trim_text(false);
    let count = |s: &str| s.chars().filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r')).count();
    let (mut depth, mut inside, mut at_root) = (0usize, 0usize, 0usize);
    loop {
        let n = match reader.read_event().ok()? {
            Event::Start(_) => {
                depth += 1;
                0
            }
            Event::End(_) => {
                depth = depth.checked_sub(1)?;
                0
            }
            Event::Text(t) if depth > 0 => count(&t.xml10_content()),
            Event::CData(t) if depth > 0 => count(&t.xml10_content()),
            Event::GeneralRef(r) if depth > 0 => match r.resolve_char_ref() {
                Ok(Some(c)) => count(&c.to_string()),
                _ => 1,
            },
            Event::Eof => return Some((inside, at_root)),
            _ => 0,
        };
        inside += n;
        if depth == 1 {
            at_root += n;
        }
    }
}

fn count_text(value: &Value) -> usize {
    match value {
        Value::String(s) => s.chars().filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r')).count(),
        Value::Array(items) => items.iter().map(count_text).sum(),
        Value::Object(map) => map.values().map(count_text).sum(),
        _ => 0,
    }
}

/// Whether `to_xml` is documented to give these fields back: keys it writes as themselves, string
/// or non-empty map values, no lists.
fn round_trips(fields: &Map<String, Value>) -> bool {
    fields.iter().all(|(k, v)| {
        xml::is_element_name(k)
            && match v {
                Value::String(_) => true,
                Value::Object(map) => !map.is_empty() && round_trips(map),
                _ => false,
            }
    })
}

/// The parsed shape written back exactly: lists as repeated elements, text escaped, CR as `&#13;`.
fn write_exact(fields: &Map<String, Value>, out: &mut String) {
    for (name, value) in fields {
        let items = match value {
            Value::Array(items) => items.as_slice(),
            other => std::slice::from_ref(other),
        };
        for item in items {
            out.push_str(&format!("<{name}>"));
            match item {
                Value::Object(map) => write_exact(map, out),
                Value::String(s) => {
                    for c in s.chars() {
                        match c {
                            '<' => out.push_str("&lt;"),
                            '&' => out.push_str("&amp;"),
                            '>' => out.push_str("&gt;"),
                            '\r' => out.push_str("&#13;"),
                            c => out.push(c),
                        }
                    }
                }
                _ => {}
            }
            out.push_str(&format!("</{name}>"));
        }
    }
}

/// Root field; then entries: a control byte (bits 0–1: 0 string, 1 list of strings, 2 open a map,
/// 3 close the map; bit 2: the value is the field's raw text, else kept to XML characters), key and
/// value fields.
fn xml_write(mut input: Input<'_>) {
    let root = input.text();
    let root = if root.is_empty() { "xml".to_owned() } else { root };
    let mut stack: Vec<(String, Map<String, Value>)> = vec![(String::new(), Map::new())];
    while !input.is_empty() && stack.len() < 40 {
        let control = input.byte();
        let key = input.text();
        let raw = input.text();
        let value = if control & 4 != 0 { raw } else { raw.chars().filter(|&c| is_xml_char(c)).collect() };
        match control % 4 {
            0 => {
                if let Some((_, map)) = stack.last_mut() {
                    map.insert(key, Value::String(value));
                }
            }
            1 => {
                let list = value.split('|').map(|s| Value::String(s.to_owned())).collect();
                if let Some((_, map)) = stack.last_mut() {
                    map.insert(key, Value::Array(list));
                }
            }
            2 => stack.push((key, Map::new())),
            _ => close_level(&mut stack),
        }
    }
    while stack.len() > 1 {
        close_level(&mut stack);
    }
    let fields = stack.pop().map(|(_, map)| map).unwrap_or_default();
    match xml::to_xml_with_root(&root, &fields) {
        Ok(text) => {
            check!(!contains_unwritable(&Value::Object(fields.clone())), "a value XML cannot carry was written");
            check!(text.starts_with(&format!("<{root}>")) && text.ends_with(&format!("</{root}>")), "root of `{text}`");
            let parsed = xml::parse(text.as_bytes());
            check!(parsed.is_ok(), "written XML does not parse: {parsed:?}");
            if round_trips(&fields) {
                check!(parsed.as_ref().ok() == Some(&fields), "write → parse changed the fields");
            }
        }
        Err(e) => {
            let unwritable = contains_unwritable(&Value::Object(fields.clone()));
            check!(
                matches!(e, crate::v2::XmlError::UnwritableCharacter { .. }) == unwritable
                    || matches!(e, crate::v2::XmlError::TooDeep { .. } | crate::v2::XmlError::InvalidRootName { .. }),
                "writing failed with {e:?}"
            );
        }
    }
}

fn close_level(stack: &mut Vec<(String, Map<String, Value>)>) {
    if stack.len() > 1
        && let (Some((key, map)), Some((_, parent))) = (stack.pop(), stack.last_mut())
    {
        parent.insert(key, Value::Object(map));
    }
}

fn contains_unwritable(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.chars().all(is_xml_char),
        Value::Array(items) => items.iter().any(contains_unwritable),
        Value::Object(map) => map.values().any(contains_unwritable),
        _ => false,
    }
}
