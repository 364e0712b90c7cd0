//! XXE, entity expansion, injection.

use super::*;

#[test]
fn doctypes_are_refused() {
    let hostile = [
        // External entity (XXE).
        r#"<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>"#,
        // External entity over the network.
        r#"<!DOCTYPE xml [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><xml><a>&x;</a></xml>"#,
        // Parameter entities (out-of-band exfiltration).
        r#"<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p; %q;]><xml><a>1</a></xml>"#,
        r#"<!DOCTYPE xml [<!ENTITY % f SYSTEM "file:///etc/passwd"><!ENTITY % e "<!ENTITY x '%f;'>"> %e;]><xml><a>&x;</a></xml>"#,
        // An external DTD.
        r#"<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><a>1</a></xml>"#,
        r#"<!DOCTYPE xml PUBLIC "-//X//Y" "file:///etc/passwd"><xml/>"#,
        // A DOCTYPE alone.
        "<!DOCTYPE xml><xml><a>1</a></xml>",
        // An internal entity (PHP expands it).
        r#"<!DOCTYPE xml [<!ENTITY e "EXPANDED">]><xml><a>&e;</a></xml>"#,
    ];
    for text in hostile {
        assert_eq!(parse(text.as_bytes()), Err(XmlError::Doctype), "{text}");
    }
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut text = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for level in 1..=9 {
        let previous = if level == 1 { "lol".to_owned() } else { format!("lol{}", level - 1) };
        text.push_str(&format!("<!ENTITY lol{level} \"{}\">\n", format!("&{previous};").repeat(10)));
    }
    text.push_str("]>\n<xml><a>&lol9;</a></xml>");
    let started = Instant::now();
    assert_eq!(parse(text.as_bytes()), Err(XmlError::Doctype));
    assert!(started.elapsed() < Duration::from_secs(1));
    // The quadratic-blowup variant: one large entity referenced many times.
    let blowup =
        format!("<!DOCTYPE x [<!ENTITY a \"{}\">]><xml><a>{}</a></xml>", "A".repeat(10_000), "&a;".repeat(10_000));
    assert_eq!(parse(blowup.as_bytes()), Err(XmlError::Doctype));
}

#[test]
fn only_predefined_entities_and_char_refs() {
    let parsed = parse(b"<xml><a>&lt;&gt;&amp;&apos;&quot;&#65;&#x4e2d;&#x1F600;</a></xml>").unwrap();
    assert_eq!(parsed["a"], "<>&'\"A中😀");
    // Undefined entities: no DTD can define them, so they are errors, never empty or passed through.
    assert_eq!(parse(b"<xml><a>&x;</a></xml>"), Err(XmlError::UnknownEntity { name: "x".into() }));
    assert_eq!(parse(b"<xml><a>&nbsp;</a></xml>"), Err(XmlError::UnknownEntity { name: "nbsp".into() }));
    assert!(parse(b"<xml><a b=\"&x;\">1</a></xml>").is_err());
    // Character references to characters XML forbids.
    assert_eq!(parse(b"<xml><a>&#1;</a></xml>"), Err(XmlError::InvalidCharRef { reference: "#1".into() }));
    assert!(parse(b"<xml><a>&#0;</a></xml>").is_err());
    assert!(parse(b"<xml><a>&#xFFFE;</a></xml>").is_err());
    assert!(parse(b"<xml><a>&#xD800;</a></xml>").is_err());
    assert!(parse(b"<xml><a>&#99999999;</a></xml>").is_err());
    // A bare ampersand.
    assert!(parse(b"<xml><a>a & b</a></xml>").is_err());
}

#[test]
fn xinclude_is_just_an_element() {
    let text =
        r#"<xml xmlns:xi="http://www.w3.org/2001/XInclude"><a>1</a><xi:include href="file:///etc/passwd"/></xml>"#;
    assert_eq!(Value::Object(parse(text.as_bytes()).unwrap()), json!({"a": "1", "xi:include": ""}));
}

#[test]
fn writer_escapes_injection_attempts() {
    let attempts = [
        "</sign><sign>FORGED",
        "x</a><sign>FORGED</sign><a>",
        "x]]><sign>FORGED</sign><![CDATA[",
        "]]></a><sign>FORGED</sign><a><![CDATA[",
        "<![CDATA[</sign>]]>",
        "&lt;sign&gt;",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;",
        "<?xml version=\"1.0\"?>",
    ];
    for attempt in attempts {
        let fields = obj(&json!({"a": attempt, "b": "ok"}));
        let text = to_xml(&fields).unwrap();
        let parsed = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{attempt}: {e}\n{text}"));
        assert_eq!(parsed, fields, "{attempt}");
        assert!(!parsed.contains_key("sign"), "{attempt}");
    }
    // Keys cannot inject markup: anything that is not a name becomes <item>.
    let fields = obj(&json!({"a><sign>FORGED</sign><b": "v", "c d": "w", "e/": "x"}));
    let text = to_xml(&fields).unwrap();
    assert_eq!(text, "<xml><item>v</item><item>w</item><item>x</item></xml>");
    // A forged sign through a value does not verify, and never replaces the real one.
    let k = key();
    let mut fields = obj(&json!({"return_code": "SUCCESS", "attach": "</attach><sign>0000</sign><attach>"}));
    sign::sign_fields(&mut fields, &k).unwrap();
    let parsed = parse(to_xml(&fields).unwrap().as_bytes()).unwrap();
    assert_eq!(parsed, fields);
    assert!(sign::verify(&parsed, &k).is_ok());
}
