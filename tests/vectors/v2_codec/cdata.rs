//! CDATA round trips.

use super::*;

#[test]
fn cdata_round_trips() {
    let values = [
        "]]>",
        "x]]>y",
        "]]>]]>",
        "]]]>",
        "]]]]>>",
        ">]]>]]>",
        "a<]]",
        "a<]",
        "<![CDATA[",
        "<![CDATA[x]]>",
        "< > & \" '",
        "&amp;&lt;",
        "中文 <b>粗体</b> & emoji 😀 ",
        "tab\tnew\nline",
        "cr\r\nlf\r",
        "\r",
        "<\r>",
        "  leading and trailing  ",
        "\"",
        ">",
        "\u{7F}\u{85}\u{A0}\u{FFFD}\u{10FFFF}",
    ];
    for value in values {
        let fields = obj(&json!({"v": value}));
        let text = to_xml(&fields).unwrap();
        assert_eq!(parse(text.as_bytes()).unwrap(), fields, "{value:?} -> {text}");
    }
    assert_eq!(to_xml(&obj(&json!({"g": "x]]>y"}))).unwrap(), "<xml><g><![CDATA[x]]]]><![CDATA[>y]]></g></xml>");
}

#[test]
fn generated_round_trips() {
    // Deterministic pseudo-random strings over the pieces that trouble XML writers.
    let pieces = [
        "]]>",
        "]",
        "]]",
        ">",
        "<",
        "&",
        "\"",
        "'",
        "\r",
        "\n",
        "\r\n",
        "\t",
        " ",
        "a",
        "中",
        "😀",
        "&amp;",
        "<![CDATA[",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..2000 {
        let mut value = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bits = state;
        for _ in 0..(bits % 9) {
            bits = bits.rotate_right(5);
            value.push_str(pieces[(bits % pieces.len() as u64) as usize]);
        }
        let fields = obj(&json!({"v": value, "w": [value.clone(), {"x": value.clone()}]}));
        let text = to_xml(&fields).unwrap();
        let parsed = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(parsed["v"], value, "{text}");
        assert_eq!(parsed["w"]["item"][0], value, "{text}");
        assert_eq!(parsed["w"]["item"][1]["x"], value, "{text}");
    }
}
