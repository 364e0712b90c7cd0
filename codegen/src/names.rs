//! Identifier rules shared by the chain nodes and the typed layer.

/// Rust keywords (strict, reserved and edition-2024) that cannot be plain identifiers.
pub const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// Keywords that cannot even be raw identifiers (`r#self` is not allowed).
pub const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

/// Methods every chain node already has (inherent, via `Deref<Target = Chain>`, or from std traits).
pub const RESERVED: &[&str] = &[
    "seg",
    "param",
    "template",
    "client",
    "prepare",
    "request",
    "request_async",
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "get_async",
    "post_async",
    "put_async",
    "patch_async",
    "delete_async",
    "clone",
    "into",
    "from",
    "deref",
    "to_owned",
    "borrow",
    "fmt",
    "eq",
];

pub fn is_placeholder(seg: &str) -> bool {
    seg.starts_with('{') && seg.ends_with('}')
}

/// `face_sid` of `{face_sid}`.
pub fn placeholder_name(seg: &str) -> &str {
    &seg[1..seg.len() - 1]
}

/// CamelCase of a path segment or a snake/kebab name: `out-trade-no` → `OutTradeNo`, `face_sid` →
/// `FaceSid`; letters after the first of a piece are kept as they are (`payAuthNo` → `PayAuthNo`).
pub fn camel(seg: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in seg.chars() {
        if !c.is_ascii_alphanumeric() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// snake_case of a CamelCase type name: `PostPayTransactionsJsapi` → `post_pay_transactions_jsapi`.
pub fn snake_of_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower_or_digit = i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower_or_digit || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Snake-case chain method name for a literal wire segment: `-` becomes `_`, an ASCII capital `C`
/// becomes `_c`, and keywords or chain method names get a trailing `_`.
pub fn method_name(seg: &str) -> String {
    if seg.is_empty() {
        return "trailing_slash".to_owned();
    }
    let mut out = String::with_capacity(seg.len() + 2);
    for c in seg.chars() {
        match c {
            '-' => out.push('_'),
            'A'..='Z' => {
                if !out.is_empty() && !out.ends_with('_') {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            }
            _ => out.push(c),
        }
    }
    if KEYWORDS.contains(&out.as_str()) || RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// A snake_case Rust field name for a JSON property name, and whether it differs from the wire name.
/// `type` → `r#type` (serde strips `r#`), `self` → `self_`, `payAuthNo` → `pay_auth_no`, `payer _currency`
/// → `payer_currency`, a leading digit gets `_`.
pub fn field_ident(wire: &str) -> String {
    let mut out = String::with_capacity(wire.len() + 4);
    let chars: Vec<char> = wire.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = if i > 0 { chars[i - 1] } else { '_' };
            if !out.is_empty() && !out.ends_with('_') && (prev.is_ascii_lowercase() || prev.is_ascii_digit()) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    let trimmed = out.trim_matches('_');
    let mut out = if trimmed.is_empty() { "field".to_owned() } else { trimmed.to_owned() };
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if NOT_RAW.contains(&out.as_str()) {
        out.push('_');
    } else if KEYWORDS.contains(&out.as_str()) {
        out.insert_str(0, "r#");
    }
    out
}

/// The name serde gives a field identifier (without `r#`).
pub fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// A CamelCase enum variant for a wire value: pieces split on anything not alphanumeric; an all-caps
/// piece is capitalised (`ASK_UNIONID` → `AskUnionid`), a mixed-case piece keeps its case after the first
/// letter (`iOS` → `IOS`); a name that starts with a digit gets `V` (`01` → `V01`). `None` when the value
/// has no ASCII letters or digits at all (`一级`).
pub fn variant_ident(value: &str) -> Option<String> {
    let mut out = String::new();
    for piece in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        if piece.is_empty() {
            continue;
        }
        let all_upper = !piece.chars().any(|c| c.is_ascii_lowercase());
        let mut chars = piece.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            for c in chars {
                out.push(if all_upper { c.to_ascii_lowercase() } else { c });
            }
        }
    }
    if out.is_empty() || !value.is_ascii() {
        return None;
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "Self" || out == "Unknown" {
        out.push('_');
    }
    Some(out)
}

/// A string as a Rust string literal (`"…"` with escapes; non-ASCII kept).
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a `///` doc line: no line breaks; backticks balanced by the caller.
pub fn doc_text(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(camel("out-trade-no"), "OutTradeNo");
        assert_eq!(camel("payAuthNo"), "PayAuthNo");
        assert_eq!(snake_of_camel("PostPayTransactionsJsapi"), "post_pay_transactions_jsapi");
        assert_eq!(snake_of_camel("GetV3Apply4subjectX"), "get_v3_apply4subject_x");
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("self"), "self_");
        assert_eq!(field_ident("payAuthNo"), "pay_auth_no");
        assert_eq!(field_ident("payer _currency"), "payer_currency");
        assert_eq!(variant_ident("ASK_UNIONID").as_deref(), Some("AskUnionid"));
        assert_eq!(variant_ident("iOS").as_deref(), Some("IOS"));
        assert_eq!(variant_ident("01").as_deref(), Some("V01"));
        assert_eq!(variant_ident("TRANSACTION.SUCCESS").as_deref(), Some("TransactionSuccess"));
        assert_eq!(variant_ident("一级"), None);
        assert_eq!(method_name("return"), "return_");
        assert_eq!(method_name("addInstitutionsub"), "add_institutionsub");
    }
}
