//! Minimal PEM (RFC 7468) decoding: label + DER bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// One decoded PEM block.
pub(crate) struct Pem {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
    /// RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED` (legacy OpenSSL encrypted keys).
    pub(crate) legacy_encrypted: bool,
}

/// Decodes every PEM block of `text`, in order (a certificate chain, a CA bundle).
pub(crate) fn decode_all(text: &str) -> Result<Vec<Pem>, String> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let (block, used) = decode_at(&rest[start..])?;
        blocks.push(block);
        rest = &rest[start + used..];
    }
    Ok(blocks)
}

const BEGIN: &str = "-----BEGIN ";

/// Decodes the first PEM block of `text`. Line breaks may be LF or CRLF; whitespace inside the
/// base64 body is ignored.
pub(crate) fn decode(text: &str) -> Result<Pem, String> {
    let start = text.find(BEGIN).ok_or("no `-----BEGIN …-----` line found")?;
    decode_at(&text[start..]).map(|(block, _)| block)
}

/// Decodes the block `text` starts with; also returns how many bytes of `text` it took.
fn decode_at(text: &str) -> Result<(Pem, usize), String> {
    let after_begin = &text[BEGIN.len()..];
    let label_end = after_begin.find("-----").ok_or("the BEGIN line is not closed with `-----`")?;
    let label = after_begin[..label_end].trim().to_owned();
    let body_and_rest = &after_begin[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let end = body_and_rest.find(&end_marker).ok_or_else(|| format!("no `{end_marker}` line found"))?;
    let body = &body_and_rest[..end];
    let used = BEGIN.len() + label_end + 5 + end + end_marker.len();

    let mut legacy_encrypted = false;
    let mut b64 = String::with_capacity(body.len());
    for line in body.lines() {
        let line = line.trim();
        if line.contains(':') {
            // RFC 1421 encapsulated header (Proc-Type, DEK-Info): only legacy encrypted keys have these.
            if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                legacy_encrypted = true;
            }
            continue;
        }
        b64.extend(line.chars().filter(|c| !c.is_ascii_whitespace()));
    }
    let der = STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| format!("the base64 inside the `{label}` block is invalid ({e})"))?;
    if der.is_empty() {
        return Err(format!("the `{label}` block is empty"));
    }
    Ok((Pem { label, der, legacy_encrypted }, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lf_and_crlf() {
        let der: Vec<u8> = (0u8..=200).collect();
        let b64 = STANDARD.encode(&der);
        let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"));
        let crlf = pem.replace('\n', "\r\n");
        for text in [pem, crlf] {
            let decoded = decode(&text).expect("decodes");
            assert_eq!(decoded.label, "PUBLIC KEY");
            assert_eq!(decoded.der, der);
            assert!(!decoded.legacy_encrypted);
        }
    }

    #[test]
    fn refuses_broken_blocks() {
        assert!(decode("nothing here").is_err());
        assert!(decode("-----BEGIN X-----\nAAAA\n").is_err());
        assert!(decode("-----BEGIN X-----\n!!!!\n-----END X-----").is_err());
        assert!(decode("-----BEGIN X-----\n\n-----END X-----").is_err());
    }

    #[test]
    fn flags_legacy_encryption() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----";
        assert!(decode(text).expect("decodes").legacy_encrypted);
    }
}
