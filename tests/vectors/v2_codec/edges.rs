//! Writer and parser edge cases.

use super::*;

#[test]
fn writer_scalars_and_shapes() {
    let fields = obj(&json!({
        "t": true, "f": false, "n": null, "e": "", "zero": 0, "neg": -12, "float": 1.5, "big": 1e20,
        "empty_list": [], "empty_map": {}, "list": ["a", ["b"]], "map": {"k": "v", "1": "num"},
    }));
    assert_eq!(
        to_xml(&fields).unwrap(),
        "<xml><t>1</t><f></f><n></n><e></e><zero>0</zero><neg>-12</neg><float>1.5</float><big>1.0E+20</big>\
         <empty_list/><empty_map/><list><item>a</item><item><item>b</item></item></list>\
         <map><k>v</k><item>num</item></map></xml>"
    );
    assert_eq!(xml::to_xml_with_root("root", &obj(&json!({"a": "1"}))).unwrap(), "<root><a>1</a></root>");
    assert_eq!(xml::to_xml_with_root("1root", &Map::new()), Err(XmlError::InvalidRootName { name: "1root".into() }));
}

#[test]
fn writer_refuses_characters_xml_cannot_carry() {
    for bad in ['\u{0}', '\u{1}', '\u{8}', '\u{B}', '\u{C}', '\u{1B}', '\u{1F}', '\u{FFFE}', '\u{FFFF}'] {
        let fields = obj(&json!({"desc": format!("a{bad}b")}));
        assert_eq!(
            to_xml(&fields),
            Err(XmlError::UnwritableCharacter { key: "desc".into(), code_point: u32::from(bad) }),
            "U+{:04X}",
            u32::from(bad)
        );
    }
    // Nested values are checked too, and the error names the key.
    let fields = obj(&json!({"detail": {"inner": "\u{7}"}}));
    assert!(matches!(to_xml(&fields), Err(XmlError::UnwritableCharacter { key, .. }) if key == "inner"));
}

fn nested_value(levels: usize) -> Value {
    let mut value = json!("leaf");
    for _ in 0..levels {
        value = json!({ "a": value });
    }
    value
}

#[test]
fn writer_depth_limit() {
    // Root (level 1) + 31 levels: written and parsed back; one more level is refused.
    let text = to_xml(&obj(&nested_value(MAX_DEPTH - 1))).unwrap();
    assert_eq!(Value::Object(parse(text.as_bytes()).unwrap()), nested_value(MAX_DEPTH - 1));
    let too_deep = obj(&nested_value(MAX_DEPTH));
    assert_eq!(to_xml(&too_deep), Err(XmlError::TooDeep { limit: MAX_DEPTH }));
    assert_eq!(to_xml(&obj(&nested_value(500))), Err(XmlError::TooDeep { limit: MAX_DEPTH }));
}

#[test]
fn parser_depth_limit() {
    let nest = |levels: usize| format!("{}x{}", "<a>".repeat(levels), "</a>".repeat(levels));
    assert!(parse(nest(MAX_DEPTH).as_bytes()).is_ok());
    assert_eq!(parse(nest(MAX_DEPTH + 1).as_bytes()), Err(XmlError::TooDeep { limit: MAX_DEPTH }));
    // Hostile depth: refused at level 33, no recursion, no stack exhaustion.
    let deep = "<a>".repeat(200_000);
    assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooDeep { limit: MAX_DEPTH }));
    let limits = Limits::new(Limits::default().max_bytes, 3);
    assert!(xml::parse_with_limits(b"<x><a><b>1</b></a></x>", limits).is_ok());
    assert!(xml::parse_with_limits(b"<x><a><b><c/></b></a></x>", limits).is_err());
}

#[test]
fn parser_size_limit() {
    let mut text = String::from("<xml><a>");
    text.push_str(&"x".repeat(MAX_INPUT));
    text.push_str("</a></xml>");
    assert_eq!(parse(text.as_bytes()), Err(XmlError::TooLarge { length: text.len(), limit: MAX_INPUT }));
    let limits = Limits::new(2 * MAX_INPUT, Limits::default().max_depth);
    assert_eq!(xml::parse_with_limits(text.as_bytes(), limits).unwrap()["a"].as_str().map(str::len), Some(MAX_INPUT));
    // Many elements within the limit: fine, and repeated names collect into one list.
    let many = format!("<xml>{}</xml>", "<i>1</i>".repeat(100_000));
    assert_eq!(parse(many.as_bytes()).unwrap()["i"].as_array().map(Vec::len), Some(100_000));
}

#[test]
fn parser_shapes() {
    let text = "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c --><?pi x?>\n<xml a=\"1\">\n  \
                <x><![CDATA[a]]>b<!-- c -->c&amp;</x>\n  <e/><s> </s><n><m>1</m><m>2</m></n>\n</xml>\n<!-- tail -->\n";
    assert_eq!(
        Value::Object(parse(text.as_bytes()).unwrap()),
        json!({"x": "abc&", "e": "", "s": " ", "n": {"m": ["1", "2"]}})
    );
    assert_eq!(parse(b"<xml><a>]]&gt;]]</a><b>]]<!-- -->></b></xml>").unwrap()["a"], "]]>]]");
    assert_eq!(parse(b"<xml/>").unwrap(), Map::new());
    assert_eq!(parse(b"<xml> \n </xml>").unwrap(), Map::new());
    // Colons are kept as part of the name (no namespace processing).
    assert_eq!(parse(b"<xml><ok:ns>z</ok:ns></xml>").unwrap()["ok:ns"], "z");
}

#[test]
fn parser_refusals() {
    type Expect = fn(&XmlError) -> bool;
    let refused: &[(&[u8], Expect)] = &[
        (b"", |e| *e == XmlError::NoRoot),
        (b"  \n", |e| *e == XmlError::NoRoot),
        (b"<?xml version=\"1.0\"?>", |e| *e == XmlError::NoRoot),
        (b"this is not xml", |e| *e == XmlError::NotXml { position: 15 }),
        (b"{\"return_code\":\"SUCCESS\"}", |e| matches!(e, XmlError::NotXml { .. })),
        (b"<![CDATA[x]]><xml/>", |e| matches!(e, XmlError::NotXml { .. })),
        (b"<xml><a>1</a></xml><xml/>", |e| matches!(e, XmlError::OutsideRoot { .. })),
        (b"<xml/>trailing", |e| matches!(e, XmlError::OutsideRoot { .. })),
        (b"<xml><a>1</b></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a>1</a>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a>1", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml></a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a b>1</a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a b=\"1\" b=\"2\">1</a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><!-- a -- b --></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a><![CDATA[x</a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><1a>x</1a></xml>", |e| matches!(e, XmlError::InvalidName { .. })),
        (b"<xml><a>text<b>1</b></a></xml>", |e| *e == XmlError::MixedContent { element: "a".into() }),
        (b"<xml>text</xml>", |e| *e == XmlError::RootText { element: "xml".into() }),
        (b"<xml><a>\x01</a></xml>", |e| *e == XmlError::InvalidCharacter { position: 8, code_point: 1 }),
        (b"<xml><a>\xef\xbf\xbf</a></xml>", |e| matches!(e, XmlError::InvalidCharacter { code_point: 0xFFFF, .. })),
        (b"<xml><a>\xff</a></xml>", |e| *e == XmlError::NotUtf8 { position: 8 }),
        (b"<?xml version=\"1.0\" encoding=\"GBK\"?><xml/>", |e| {
            *e == XmlError::UnsupportedEncoding { declared: "GBK".into() }
        }),
        (b"<xml/><?xml version=\"1.0\"?>", |e| matches!(e, XmlError::Malformed { .. })),
        // `]]>` outside CDATA: how PHP's unsplit CDATA looks to a parser.
        (b"<xml><a><![CDATA[x]]>y]]></a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
        (b"<xml><a>x]]>y</a></xml>", |e| matches!(e, XmlError::Malformed { .. })),
    ];
    for (input, expected) in refused {
        let result = parse(input);
        match &result {
            Err(e) if expected(e) => {}
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
        }
    }
}

#[test]
fn error_names_are_clipped() {
    let long = "n".repeat(10_000);
    let text = format!("<xml><a>&{long};</a></xml>");
    let error = parse(text.as_bytes()).unwrap_err();
    assert!(error.to_string().len() < 400, "{}", error.to_string().len());
}
