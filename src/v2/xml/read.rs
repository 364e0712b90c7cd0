//! The parser: an APIv2 document into its fields, over quick-xml's pull reader, with the refusals
//! and limits the module documentation of [`super`] lists.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde_json::{Map, Value};

use super::super::XmlError;
use super::super::error::clip;
use super::{Limits, is_utf8_label, is_xml_char, is_xml_name, is_xml_whitespace};

/// Parses an APIv2 document into its fields, with the default [`Limits`]. See the module
/// documentation for the shape and for what is refused.
pub fn parse(input: &[u8]) -> Result<Map<String, Value>, XmlError> {
    parse_with_limits(input, Limits::default())
}

/// [`parse`] with other limits.
pub fn parse_with_limits(input: &[u8], limits: Limits) -> Result<Map<String, Value>, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge { length: input.len(), limit: limits.max_bytes });
    }
    let text = std::str::from_utf8(input).map_err(|e| XmlError::NotUtf8 { position: e.valid_up_to() })?;
    if let Some((position, c)) = text.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        return Err(XmlError::InvalidCharacter { position, code_point: u32::from(c) });
    }
    Parser::new(text.strip_prefix('\u{FEFF}').unwrap_or(text), limits).run()
}

/// One open element.
struct Frame {
    name: String,
    fields: Map<String, Value>,
    text: String,
    has_children: bool,
}

impl Frame {
    fn new(name: String) -> Frame {
        Frame { name, fields: Map::new(), text: String::new(), has_children: false }
    }

    /// The element's name and value: its fields if it has child elements, else its text.
    fn into_entry(self) -> Result<(String, Value), XmlError> {
        if self.has_children {
            if !is_xml_whitespace(&self.text) {
                return Err(XmlError::MixedContent { element: clip(&self.name) });
            }
            Ok((self.name, Value::Object(self.fields)))
        } else {
            Ok((self.name, Value::String(self.text)))
        }
    }
}

/// Adds a child's value; a repeated name turns the entry into a list.
fn insert(fields: &mut Map<String, Value>, name: String, value: Value) {
    match fields.get_mut(&name) {
        // Parsed values are strings or maps; a list can only be one made here for a repeated name.
        Some(Value::Array(list)) => list.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            fields.insert(name, value);
        }
    }
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
    limits: Limits,
    stack: Vec<Frame>,
    root: Option<Map<String, Value>>,
    seen_markup: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, limits: Limits) -> Parser<'a> {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
        Parser { reader, limits, stack: Vec::new(), root: None, seen_markup: false }
    }

    fn malformed(&self, error: &quick_xml::Error) -> XmlError {
        XmlError::Malformed { position: self.reader.error_position(), reason: clip(&error.to_string()) }
    }

    /// Content where no element is open: before the root (not XML at all) or after it.
    fn outside_root(&self) -> XmlError {
        let position = self.reader.buffer_position();
        if self.root.is_none() { XmlError::NotXml { position } } else { XmlError::OutsideRoot { position } }
    }

    fn run(mut self) -> Result<Map<String, Value>, XmlError> {
        loop {
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(e) => return Err(self.malformed(&e)),
            };
            let first = !self.seen_markup;
            self.seen_markup = true;
            match event {
                Event::Decl(decl) => {
                    if !first {
                        return Err(XmlError::Malformed {
                            position: self.reader.buffer_position(),
                            reason: "an XML declaration is only allowed at the very start".to_owned(),
                        });
                    }
                    match decl.encoding() {
                        None => {}
                        Some(Ok(encoding)) if is_utf8_label(&encoding) => {}
                        Some(Ok(encoding)) => return Err(XmlError::UnsupportedEncoding { declared: clip(&encoding) }),
                        Some(Err(e)) => {
                            return Err(XmlError::Malformed {
                                position: self.reader.buffer_position(),
                                reason: clip(&format!("bad XML declaration: {e}")),
                            });
                        }
                    }
                }
                Event::DocType(_) => return Err(XmlError::Doctype),
                Event::Comment(_) | Event::PI(_) => {}
                Event::Start(start) => {
                    let name = self.open(&start)?;
                    self.stack.push(Frame::new(name));
                }
                Event::Empty(start) => {
                    let name = self.open(&start)?;
                    self.close(Frame::new(name))?;
                }
                Event::End(_) => {
                    // quick-xml has checked that the end tag matches the innermost open element.
                    let Some(frame) = self.stack.pop() else {
                        return Err(self.outside_root());
                    };
                    self.close(frame)?;
                }
                Event::Text(text) if text.contains("]]>") => {
                    // XML 1.0 §2.4: `]]>` may only end a CDATA section. This is what a CDATA section
                    // with an unsplit `]]>` inside (as the PHP SDK writes it) looks like.
                    return Err(XmlError::Malformed {
                        position: self.reader.buffer_position(),
                        reason: "`]]>` in text outside a CDATA section (an unsplit `]]>` inside CDATA?)".to_owned(),
                    });
                }
                Event::Text(text) => match self.stack.last_mut() {
                    Some(frame) => frame.text.push_str(&text.xml10_content()),
                    None => {
                        if !is_xml_whitespace(&text) {
                            return Err(self.outside_root());
                        }
                    }
                },
                Event::CData(cdata) => match self.stack.last_mut() {
                    Some(frame) => frame.text.push_str(&cdata.xml10_content()),
                    None => return Err(self.outside_root()),
                },
                Event::GeneralRef(reference) => {
                    let c = resolve_reference(&reference)?;
                    match self.stack.last_mut() {
                        Some(frame) => frame.text.push(c),
                        None => return Err(self.outside_root()),
                    }
                }
                Event::Eof => {
                    if let Some(open) = self.stack.last() {
                        return Err(XmlError::Malformed {
                            position: self.reader.buffer_position(),
                            reason: format!("the document ends inside <{}>", clip(&open.name)),
                        });
                    }
                    return self.root.ok_or(XmlError::NoRoot);
                }
            }
        }
    }

    /// Checks a start (or empty-element) tag before its element is opened: one root, depth, name,
    /// attribute syntax. Returns the name.
    fn open(&mut self, start: &BytesStart<'_>) -> Result<String, XmlError> {
        if self.root.is_some() {
            return Err(self.outside_root());
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep { limit: self.limits.max_depth });
        }
        let name = start.name();
        let name: &str = name.as_ref();
        if !is_xml_name(name) {
            return Err(XmlError::InvalidName { name: clip(name) });
        }
        // Attributes are dropped, but must be well-formed, with known references only.
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| XmlError::Malformed {
                position: self.reader.buffer_position(),
                reason: clip(&format!("bad attribute in <{name}>: {e}")),
            })?;
            attribute.normalized_value(XmlVersion::Implicit1_0).map_err(|e| XmlError::Malformed {
                position: self.reader.buffer_position(),
                reason: clip(&format!("bad attribute value in <{name}>: {e}")),
            })?;
        }
        if let Some(parent) = self.stack.last_mut() {
            parent.has_children = true;
        }
        Ok(name.to_owned())
    }

    /// Hands a finished element to its parent, or makes it the document's root.
    fn close(&mut self, frame: Frame) -> Result<(), XmlError> {
        match self.stack.last_mut() {
            Some(parent) => {
                let (name, value) = frame.into_entry()?;
                insert(&mut parent.fields, name, value);
            }
            None => {
                if !is_xml_whitespace(&frame.text) {
                    // Text beside child elements is mixed content, at the root as at any depth.
                    return Err(if frame.has_children {
                        XmlError::MixedContent { element: clip(&frame.name) }
                    } else {
                        XmlError::RootText { element: clip(&frame.name) }
                    });
                }
                self.root = Some(frame.fields);
            }
        }
        Ok(())
    }
}

/// The character of a reference: one of the five predefined entities or a character reference to
/// a character XML 1.0 allows.
fn resolve_reference(reference: &BytesRef<'_>) -> Result<char, XmlError> {
    let name: &str = reference;
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Ok(c),
            _ => Err(XmlError::InvalidCharRef { reference: clip(name) }),
        };
    }
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => Err(XmlError::UnknownEntity { name: clip(name) }),
    }
}
