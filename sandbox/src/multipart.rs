//! `multipart/form-data` as WeChat Pay's media uploads use it: the parts, and the bytes the request
//! signature covers (the `meta` part).

/// The bytes the request signature covers: the body itself, or for `multipart/form-data` the `meta`
/// part (as WeChat Pay signs media uploads). `Err` (answered `401 SIGN_ERROR`) when a multipart body has
/// no readable `meta` part, so the signed message cannot be formed. Framing errors *after* the `meta`
/// part do not stop authentication; the upload route answers them with `400 PARAM_ERROR`.
pub(crate) fn signed_body<'a>(content_type: Option<&str>, body: &'a [u8]) -> Result<&'a [u8], String> {
    let unreadable = |why: &str| {
        format!("签名错误 (a multipart/form-data request is signed over its `meta` part, which cannot be read: {why})")
    };
    match multipart(content_type, body) {
        None => Ok(body),
        Some(Err(e)) => Err(unreadable(&e)),
        Some(Ok(form)) => match form.parts.iter().find(|p| p.name == "meta") {
            Some(meta) => Ok(meta.data),
            None => Err(unreadable(form.error.as_deref().unwrap_or("there is no part named `meta`"))),
        },
    }
}

/// One part of a multipart body.
pub(crate) struct Part<'a> {
    /// The `name` of its `Content-Disposition: form-data`.
    pub(crate) name: String,
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) data: &'a [u8],
}

/// The parts read from a multipart body, and the framing error that stopped reading, if any.
pub(crate) struct Form<'a> {
    pub(crate) parts: Vec<Part<'a>>,
    pub(crate) error: Option<String>,
}

/// `None` unless `content_type` is `multipart/form-data`; `Err` when it has no usable `boundary`.
pub(crate) fn multipart<'a>(content_type: Option<&str>, body: &'a [u8]) -> Option<Result<Form<'a>, String>> {
    let (media_type, params) = match header_params(content_type?) {
        Ok(parsed) => parsed,
        // Only a header that names multipart/form-data is treated as one.
        Err(e) => {
            let head = content_type?.split(';').next().unwrap_or_default().trim();
            return head.eq_ignore_ascii_case("multipart/form-data").then(|| Err(format!("Content-Type: {e}")));
        }
    };
    if media_type != "multipart/form-data" {
        return None;
    }
    let boundary = params.iter().find(|(n, _)| n == "boundary").map(|(_, v)| v.as_str());
    Some(match boundary {
        Some(b) if (1..=70).contains(&b.len()) => Ok(parse_form(b.as_bytes(), body)),
        Some(_) => Err("the boundary must be 1 to 70 characters".to_owned()),
        None => Err("Content-Type multipart/form-data has no boundary parameter".to_owned()),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads a multipart body (RFC 2046 §5.1.1 framing with CRLF line ends, preamble and epilogue ignored).
fn parse_form<'a>(boundary: &[u8], body: &'a [u8]) -> Form<'a> {
    let mut parts = Vec::new();
    let mut delimiter = b"\r\n--".to_vec();
    delimiter.extend_from_slice(boundary);
    let fail = |parts, e: &str| Form { parts, error: Some(e.to_owned()) };
    // The first boundary line opens the body, or follows a preamble.
    let mut pos = if body.starts_with(&delimiter[2..]) {
        delimiter.len() - 2
    } else {
        match find(body, &delimiter) {
            Some(i) => i + delimiter.len(),
            None => return fail(parts, "the body does not contain the boundary"),
        }
    };
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Form { parts, error: None };
        }
        let padding = rest.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
        if !rest[padding..].starts_with(b"\r\n") {
            return fail(parts, "a boundary line is not followed by CRLF (or the closing boundary is missing)");
        }
        pos += padding + 2;
        let (head, data_start) = if body[pos..].starts_with(b"\r\n") {
            (&body[pos..pos], pos + 2)
        } else {
            match find(&body[pos..], b"\r\n\r\n") {
                Some(i) => (&body[pos..pos + i], pos + i + 4),
                None => return fail(parts, "a part's headers are not ended by an empty line"),
            }
        };
        let Some(len) = find(&body[data_start..], &delimiter) else {
            return fail(parts, "a part is not ended by a boundary line");
        };
        match part_headers(head) {
            Ok((name, filename, content_type)) => {
                parts.push(Part { name, filename, content_type, data: &body[data_start..data_start + len] });
            }
            Err(e) => return fail(parts, &e),
        }
        pos = data_start + len + delimiter.len();
    }
}

/// A part's `Content-Disposition` name and filename and its `Content-Type` (header names in any case).
fn part_headers(head: &[u8]) -> Result<(String, Option<String>, Option<String>), String> {
    let text = std::str::from_utf8(head).map_err(|_| "a part's headers are not UTF-8".to_owned())?;
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            // An obsolete folded continuation line.
            match fields.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                None => return Err("a part's headers start with a continuation line".to_owned()),
            }
            continue;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| format!("malformed part header `{line}`"))?;
        fields.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let field = |n: &str| fields.iter().find(|(name, _)| name == n).map(|(_, v)| v.as_str());
    let disposition = field("content-disposition").ok_or("a part has no Content-Disposition header")?;
    let (kind, params) = header_params(disposition).map_err(|e| format!("Content-Disposition: {e}"))?;
    if kind != "form-data" {
        return Err(format!("a part's Content-Disposition is `{kind}`, not form-data"));
    }
    let param = |n: &str| params.iter().find(|(name, _)| name == n).map(|(_, v)| v.clone());
    let name = param("name").ok_or("a part's Content-Disposition has no name")?;
    Ok((name, param("filename"), field("content-type").map(str::to_owned)))
}

/// `type; name=value; name="quoted \" value"` → the lowercase first item and the parameters (names
/// lowercase, values unquoted).
fn header_params(value: &str) -> Result<(String, Vec<(String, String)>), String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in value.chars() {
        if quoted {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
            current.push(c);
        } else if c == ';' {
            items.push(std::mem::take(&mut current));
        } else {
            quoted = c == '"';
            current.push(c);
        }
    }
    if quoted {
        return Err("unterminated quoted string".to_owned());
    }
    items.push(current);
    let mut items = items.into_iter();
    let first = items.next().unwrap_or_default().trim().to_ascii_lowercase();
    let mut params = Vec::new();
    for item in items {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (name, raw) = item.split_once('=').ok_or_else(|| format!("parameter `{item}` has no value"))?;
        let raw = raw.trim();
        let value = match raw.strip_prefix('"') {
            Some(inner) => {
                let inner = inner.strip_suffix('"').ok_or_else(|| format!("parameter `{item}` is badly quoted"))?;
                let mut out = String::with_capacity(inner.len());
                let mut chars = inner.chars();
                while let Some(c) = chars.next() {
                    out.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
                }
                out
            }
            None => raw.to_owned(),
        };
        params.push((name.trim().to_ascii_lowercase(), value));
    }
    Ok((first, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_framing() {
        let body = b"preamble\r\n--XyZ\r\ncontent-disposition: form-data; name=\"meta\"\r\nCONTENT-TYPE: application/json\r\n\r\n{\"a\":1}\r\n--XyZ  \r\nContent-Disposition: form-data; name=file; filename=\"a\\\"b.jpg\"\r\n\r\n\r\n--XY\r\n--XyZ--\r\nepilogue";
        let form = match multipart(Some("Multipart/Form-Data; charset=utf-8; Boundary=\"XyZ\""), body) {
            Some(Ok(form)) => form,
            _ => panic!("parsed"),
        };
        assert_eq!(form.error, None);
        assert_eq!(form.parts.len(), 2);
        assert_eq!((form.parts[0].name.as_str(), form.parts[0].data), ("meta", &b"{\"a\":1}"[..]));
        assert_eq!(form.parts[0].content_type.as_deref(), Some("application/json"));
        assert_eq!(form.parts[1].filename.as_deref(), Some("a\"b.jpg"));
        assert_eq!(form.parts[1].data, b"\r\n--XY");
        assert_eq!(signed_body(Some("multipart/form-data; boundary=XyZ"), body), Ok(&b"{\"a\":1}"[..]));

        // Not multipart: the body itself is signed.
        assert_eq!(signed_body(Some("application/json"), b"{}"), Ok(&b"{}"[..]));
        assert_eq!(signed_body(None, b"x"), Ok(&b"x"[..]));
        // No boundary, or no meta: the signature cannot be checked.
        assert!(signed_body(Some("multipart/form-data"), body).is_err());
        assert!(signed_body(Some("multipart/form-data; boundary=other"), body).is_err());
        assert!(signed_body(Some("multipart/form-data; boundary=\"XyZ"), body).is_err());
        // A truncated body after the meta part: authenticated over meta, the route reports the error.
        let cut = &body[..body.len() - 20];
        assert_eq!(signed_body(Some("multipart/form-data; boundary=XyZ"), cut), Ok(&b"{\"a\":1}"[..]));
        let Some(Ok(form)) = multipart(Some("multipart/form-data; boundary=XyZ"), cut) else { panic!("parsed") };
        assert!(form.error.is_some());
        // A part without Content-Disposition.
        let Some(Ok(form)) = multipart(Some("multipart/form-data; boundary=b"), b"--b\r\nX: y\r\n\r\nz\r\n--b--")
        else {
            panic!("parsed")
        };
        assert!(form.error.as_deref().is_some_and(|e| e.contains("Content-Disposition")), "{:?}", form.error);
    }
}
