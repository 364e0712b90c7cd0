//! Catalog hints: which catalogued endpoint a path was probably meant to be.
//!
//! When WeChat Pay answers `404` for a path that matches no catalogued template, the
//! [`ApiError`](crate::error::ApiError) names the closest catalogued paths
//! ([`ApiError::suggestions`](crate::error::ApiError::suggestions)): a PHP-style camelCase segment
//! (`outTradeNo` → `out-trade-no`), a typo, a missing or extra segment. The work happens only on a 404,
//! never on the success path: one pass over the catalogued templates, comparing segments (templates
//! whose length differs by more than one segment are skipped).
//!
//! ```
//! use wechatpay_chain::hint;
//!
//! // A concrete path matches a template when every literal segment is equal; placeholders take any value.
//! assert!(hint::is_catalogued("/v3/pay/transactions/out-trade-no/1217752501201407033233368018"));
//! assert!(!hint::is_catalogued("v3/pay/transactions/outTradeNo/1217752501201407033233368018"));
//! assert_eq!(
//!     hint::closest("v3/pay/transactions/outTradeNo/1217752501201407033233368018", None),
//!     ["v3/pay/transactions/out-trade-no/{out_trade_no}"]
//! );
//! ```

use crate::catalog::{ENDPOINTS, ENDPOINTS_V2, Endpoint};

/// The most paths a hint names.
pub const MAX_SUGGESTIONS: usize = 3;

/// The cost of a missing or extra segment, and the most any one segment can cost.
const WHOLE: f32 = 1.0;
/// A segment that differs only in PHP's camelCase, case or `_`/`-` spelling.
const SPELLING: f32 = 0.1;
/// A value where the template has a placeholder: free in effect, but a literal match ranks first.
const VALUE: f32 = 0.05;
/// A candidate whose endpoints do not take the request's method.
const OTHER_METHOD: f32 = 0.1;
/// Candidates this close to the best one are named too.
const NEAR: f32 = 0.2;

/// Whether `path` matches a catalogued template (APIv3, or APIv2 under `v2/`): the same number of
/// segments, every literal segment equal, and a non-empty value (or any placeholder: `{x}`, `<x>`,
/// `_x_`) wherever the template has a placeholder. A leading `/` and a `?query` are ignored.
pub fn is_catalogued(path: &str) -> bool {
    let wanted = segments(path);
    catalog().any(|e| matches(&wanted, e.path))
}

/// The catalogued path templates closest to `path`, best first: at most [`MAX_SUGGESTIONS`], and none
/// when nothing is close (more than one segment's worth of difference, or about a third of the path).
/// With `method`, templates that have an endpoint for it rank before those that do not.
///
/// A segment costs nothing when it is equal, little when it is the same words spelled otherwise
/// (`outTradeNo`, `OUT_TRADE_NO` → `out-trade-no`), its edit distance when it is a typo, and one whole
/// segment when it is missing, extra or unrelated.
pub fn closest(path: &str, method: Option<&str>) -> Vec<&'static str> {
    let wanted = segments(path);
    if wanted.is_empty() {
        return Vec::new();
    }
    let limit = WHOLE.min(0.34 * wanted.len() as f32);
    let mut scored: Vec<(f32, &'static str)> = Vec::new();
    for endpoint in catalog() {
        let template: Vec<&str> = endpoint.path.split('/').collect();
        if template.len().abs_diff(wanted.len()) > 1 {
            continue;
        }
        let mut cost = distance(&wanted, &template);
        if cost > limit {
            continue;
        }
        if let Some(method) = method {
            let has_method = catalog().any(|e| e.path == endpoint.path && e.method.eq_ignore_ascii_case(method));
            if !has_method {
                cost += OTHER_METHOD;
            }
        }
        match scored.iter_mut().find(|(_, p)| *p == endpoint.path) {
            Some(entry) => entry.0 = entry.0.min(cost),
            None => scored.push((cost, endpoint.path)),
        }
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let Some(&(best, _)) = scored.first() else { return Vec::new() };
    scored.into_iter().take_while(|(cost, _)| *cost <= best + NEAR).take(MAX_SUGGESTIONS).map(|(_, p)| p).collect()
}

/// The hint for a 404 answer to `path`: the closest catalogued paths when `path` matches none.
pub(crate) fn for_not_found(path: &str, method: &str) -> Vec<&'static str> {
    if is_catalogued(path) { Vec::new() } else { closest(path, Some(method)) }
}

fn catalog() -> impl Iterator<Item = &'static Endpoint> {
    ENDPOINTS.iter().chain(ENDPOINTS_V2)
}

/// The path's segments without a leading `/` and the query.
fn segments(path: &str) -> Vec<&str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.is_empty() { Vec::new() } else { path.split('/').collect() }
}

fn is_template_placeholder(segment: &str) -> bool {
    segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}')
}

/// A placeholder as a caller may write it: `{x}`, `<x>` or a whole `_x_`.
fn is_written_placeholder(segment: &str) -> bool {
    let wrapped = |open: char, close: char| segment.len() > 2 && segment.starts_with(open) && segment.ends_with(close);
    wrapped('{', '}') || wrapped('<', '>') || wrapped('_', '_')
}

fn matches(wanted: &[&str], template: &str) -> bool {
    let mut parts = template.split('/');
    for segment in wanted {
        match parts.next() {
            Some(t) if is_template_placeholder(t) => {
                if segment.is_empty() {
                    return false;
                }
            }
            Some(t) if t == *segment => {}
            _ => return false,
        }
    }
    parts.next().is_none()
}

/// Segment-level edit distance: a missing or extra segment costs [`WHOLE`], a different one
/// [`segment_cost`].
fn distance(wanted: &[&str], template: &[&str]) -> f32 {
    let mut previous: Vec<f32> = (0..=template.len()).map(|j| j as f32 * WHOLE).collect();
    let mut current = vec![0.0; template.len() + 1];
    for (i, w) in wanted.iter().enumerate() {
        current[0] = (i + 1) as f32 * WHOLE;
        for (j, t) in template.iter().enumerate() {
            let replace = previous[j] + segment_cost(w, t);
            current[j + 1] = replace.min(previous[j + 1] + WHOLE).min(current[j] + WHOLE);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[template.len()]
}

fn segment_cost(wanted: &str, template: &str) -> f32 {
    if is_template_placeholder(template) {
        return match wanted {
            "" => WHOLE,
            w if is_written_placeholder(w) => 0.0,
            _ => VALUE,
        };
    }
    if wanted == template {
        return 0.0;
    }
    if is_written_placeholder(wanted) {
        return WHOLE;
    }
    let kebab = kebab(wanted);
    if kebab == template {
        return SPELLING;
    }
    let edits = levenshtein(&kebab, template).min(levenshtein(wanted, template));
    let longest = kebab.chars().count().max(template.chars().count()).max(1);
    let ratio = edits as f32 / longest as f32;
    // More than half the characters differ: another word, not a typo.
    if ratio > 0.5 { WHOLE } else { SPELLING + ratio }
}

/// `outTradeNo` → `out-trade-no`, `OUT_TRADE_NO` → `out-trade-no`: the words of a segment, lowercase,
/// joined with `-` (the catalog's spelling of most segments).
fn kebab(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len() + 4);
    let mut previous_lower = false;
    for c in segment.chars() {
        if c == '_' || c == '-' {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            previous_lower = false;
        } else if c.is_ascii_uppercase() {
            if previous_lower {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else {
            out.push(c);
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// Character edit distance; segments are short, so the quadratic table is a few hundred cells.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concrete_paths_match_templates() {
        assert!(is_catalogued("/v3/pay/transactions/out-trade-no/1217752501201407033233368018"));
        assert!(is_catalogued("v3/pay/transactions/out-trade-no/{out_trade_no}"));
        assert!(is_catalogued("v3/pay/transactions/out-trade-no/_n_/close"));
        assert!(is_catalogued("/v3/certificates?x=1"));
        assert!(is_catalogued("v3/applyment4sub/applyment/"));
        assert!(is_catalogued("v2/pay/micropay"));
        assert!(!is_catalogued("v3/pay/transactions/out-trade-no/"));
        assert!(!is_catalogued("v3/pay/transactions/out-trade-no"));
        assert!(!is_catalogued("v3/pay/transactions/outTradeNo/1"));
        assert!(!is_catalogued(""));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            closest("/v3/pay/transactions/outTradeNo/1", Some("GET")),
            ["v3/pay/transactions/out-trade-no/{out_trade_no}"]
        );
        assert_eq!(
            closest("v3/pay/transactions/OUT_TRADE_NO/1/close", None),
            ["v3/pay/transactions/out-trade-no/{out_trade_no}/close"]
        );
        assert_eq!(closest("v3/bill/tradebil", None), ["v3/bill/tradebill"]);
        assert_eq!(closest("v3/merchantService/complaintsV2", Some("GET"))[0], "v3/merchant-service/complaints-v2");
        // One segment short: the value is missing.
        assert!(
            closest("v3/pay/transactions/out-trade-no", Some("GET"))
                .contains(&"v3/pay/transactions/out-trade-no/{out_trade_no}")
        );
        // Nothing close: no suggestion rather than a random one.
        assert!(closest("v3/nope", None).is_empty());
        assert!(closest("v3/completely/unrelated/words/here", None).is_empty());
        assert!(closest("", None).is_empty());
        assert!(for_not_found("/v3/pay/transactions/out-trade-no/1", "GET").is_empty());
    }

    #[test]
    fn spelling() {
        assert_eq!(kebab("outTradeNo"), "out-trade-no");
        assert_eq!(kebab("OUT_TRADE_NO"), "out-trade-no");
        assert_eq!(kebab("complaintsV2"), "complaints-v2");
        assert_eq!(kebab("applyment4sub"), "applyment4sub");
        assert_eq!(levenshtein("tradebil", "tradebill"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
    }
}
