//! Base URIs and how a request path resolves against one: scheme and host checks, the path prefix kept
//! as a directory, characters a URL may not carry percent-encoded, and dot segments refused.

use http::Uri;

use crate::error::{Error, InputErrorKind};

fn input(kind: InputErrorKind, message: impl Into<String>) -> Error {
    Error::input(kind, message)
}

/// Scheme, host and path prefix of a base URI, validated once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BaseUri {
    origin: String,
    path: String,
}

impl BaseUri {
    /// Parses `https://host[:port][/prefix/]`. Plain `http` is accepted for loopback hosts only. A
    /// path prefix is kept as a directory (a missing trailing `/` is added).
    pub(crate) fn parse(text: &str) -> Result<BaseUri, String> {
        let (origin, path) = parse_origin(text)?;
        let mut path = if path.is_empty() { "/".to_owned() } else { path };
        if !path.ends_with('/') {
            path.push('/');
        }
        Ok(BaseUri { origin, path })
    }

    pub(crate) fn as_string(&self) -> String {
        format!("{}{}", self.origin, self.path)
    }
}

fn parse_origin(text: &str) -> Result<(String, String), String> {
    let uri: Uri = text.parse().map_err(|e| format!("`{text}` is not a URL ({e})"))?;
    let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
    let authority =
        uri.authority().ok_or_else(|| format!("`{text}` has no host; write it like https://api.mch.weixin.qq.com/"))?;
    if authority.as_str().contains('@') {
        return Err(format!("`{text}` carries credentials in the URL, which is not allowed"));
    }
    let host = authority.host();
    if host.is_empty() {
        return Err(format!("`{text}` has no host; write it like https://api.mch.weixin.qq.com/"));
    }
    // The text after an IPv6 literal's `]`, or the whole authority: `host[:port]`.
    let after_host = authority.as_str().rsplit_once(']').map_or(authority.as_str(), |(_, rest)| rest);
    if let Some((_, port)) = after_host.rsplit_once(':')
        && !port.parse::<u16>().is_ok_and(|p| p != 0)
    {
        return Err(format!("`{text}` has an invalid port `{port}`; a port is a number from 1 to 65535"));
    }
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    match scheme.as_deref() {
        Some("https") => {}
        Some("http") if loopback => {}
        Some("http") => {
            return Err(format!(
                "`{text}` is plain http; WeChat Pay is https-only (http is allowed for loopback hosts)"
            ));
        }
        _ => return Err(format!("`{text}` must start with https://")),
    }
    if uri.query().is_some() {
        return Err(format!("`{text}` has a query string; a base URI cannot"));
    }
    let scheme = scheme.unwrap_or_default();
    Ok((format!("{scheme}://{}", authority.as_str().to_ascii_lowercase()), uri.path().to_owned()))
}

/// Percent-encodes bytes that may not appear in a URL path (or, with `query`, a query), keeping valid
/// `%XX` escapes: RFC 3986 `pchar` plus `/` (and `?`).
pub(crate) fn sanitize(text: &str, query: bool, out: &mut String) {
    // RFC 3986 unreserved, sub-delims, ":", "@" and "/".
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) || (query && b == b'?');
    super::encode::percent_encode(text, allowed, true, out);
}
/// Resolves the expanded path against `base` (RFC 3986 style, the base path kept as a directory) and
/// returns the origin, the sanitised URL path, and that path without the base's prefix when it had one.
pub(crate) fn resolve(base: &BaseUri, path_part: &str) -> Result<(String, String, Option<String>), Error> {
    let lower = path_part.to_ascii_lowercase();
    let (origin, raw_path, prefix) = if lower.starts_with("https://") || lower.starts_with("http://") {
        let (origin, path) = parse_origin(path_part).map_err(|e| input(InputErrorKind::Url, e))?;
        (origin, if path.is_empty() { "/".to_owned() } else { path }, None)
    } else if path_part.starts_with("//") {
        return Err(input(
            InputErrorKind::Url,
            format!("`{path_part}` starts with `//`; give a full https:// URL instead"),
        ));
    } else if path_part.starts_with('/') {
        (base.origin.clone(), path_part.to_owned(), None)
    } else {
        (base.origin.clone(), format!("{}{path_part}", base.path), Some(base.path.as_str()))
    };

    let mut path = String::with_capacity(raw_path.len() + 8);
    sanitize(&raw_path, false, &mut path);
    for segment in path.split('/') {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        if decoded == "." || decoded == ".." {
            return Err(input(
                InputErrorKind::BadVariable,
                format!("the path `{path}` has a `{decoded}` segment, which would change the endpoint"),
            ));
        }
    }
    let unprefixed = prefix
        .filter(|p| *p != "/")
        .and_then(|p| path.strip_prefix(&p[..p.len() - 1]))
        .filter(|rest| rest.starts_with('/'))
        .map(str::to_owned);
    Ok((origin, path, unprefixed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_uri_rules() {
        let b = BaseUri::parse("https://api.mch.weixin.qq.com").expect("ok");
        assert_eq!(b.as_string(), "https://api.mch.weixin.qq.com/");
        let b = BaseUri::parse("https://API.mch.weixin.qq.com/hk").expect("ok");
        assert_eq!(b.as_string(), "https://api.mch.weixin.qq.com/hk/");
        assert!(BaseUri::parse("http://127.0.0.1:8080/").is_ok());
        assert!(BaseUri::parse("http://[::1]:8080/").is_ok());
        assert!(BaseUri::parse("http://localhost/").is_ok());
        for bad in [
            "http://api.mch.weixin.qq.com/",
            "ftp://x/",
            "https://:443/",
            "https://:/",
            "https://x:/",
            "https://x:d/",
            "https://x:0/",
            "api.mch.weixin.qq.com",
            "https://u:p@x/",
            "https://x/?a=1",
            "",
        ] {
            assert!(BaseUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sanitize_keeps_encoded_triplets() {
        let mut out = String::new();
        sanitize("a b/%2F/%zz/{}/[x]/é", false, &mut out);
        assert_eq!(out, "a%20b/%2F/%25zz/%7B%7D/%5Bx%5D/%C3%A9");
    }
}
