//! `chain!`: a path template checked against the bundled catalog at compile time.
//!
//! The closeness rules are those of `wechatpay_chain::hint` (which names the closest catalogued paths
//! when WeChat Pay answers 404 at run time); a proc-macro crate cannot share code with the crate it
//! serves, so the few lines of scoring live in both, with tests on each side.

use std::sync::OnceLock;

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, LitStr, Token};

const CATALOG: &str = include_str!("../data/endpoints.json");
const CATALOG_V2: &str = include_str!("../data/endpoints-v2.json");

/// The most paths an error names.
const MAX_SUGGESTIONS: usize = 3;
const WHOLE: f32 = 1.0;
const SPELLING: f32 = 0.1;
const VALUE: f32 = 0.3;
const NEAR: f32 = 0.2;

/// `chain!("template")` or `chain!(client, "template")`.
pub(crate) struct Input {
    client: Option<Expr>,
    template: LitStr,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) && (input.peek2(Token![,]) || is_last_token(input)) {
            let template: LitStr = input.parse()?;
            let _: Option<Token![,]> = input.parse()?;
            if !input.is_empty() {
                return Err(
                    input.error("chain!: expected `chain!(\"path/template\")` or `chain!(client, \"path/template\")`")
                );
            }
            return Ok(Input { client: None, template });
        }
        let client: Expr = input.parse()?;
        if input.is_empty() {
            return Err(syn::Error::new_spanned(
                client,
                "chain!: the path template must be a string literal, checked at compile time; for a template \
                 computed at run time use `client.chain(template)`",
            ));
        }
        let _: Token![,] = input.parse()?;
        let template: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "chain!: the path template must be a string literal, e.g. \"v3/pay/transactions/native\"",
            )
        })?;
        let _: Option<Token![,]> = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("chain!: expected `chain!(client, \"path/template\")`"));
        }
        Ok(Input { client: Some(client), template })
    }
}

fn is_last_token(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    fork.parse::<LitStr>().is_ok() && fork.is_empty()
}

/// One catalogued path template, split into segments; `None` stands for a placeholder.
struct Template {
    path: String,
    segments: Vec<Option<String>>,
}

fn catalog() -> Result<&'static [Template], String> {
    static LOADED: OnceLock<Result<Vec<Template>, String>> = OnceLock::new();
    LOADED.get_or_init(load).as_ref().map(Vec::as_slice).map_err(Clone::clone)
}

fn load() -> Result<Vec<Template>, String> {
    let mut templates: Vec<Template> = Vec::new();
    for (text, prefix) in [(CATALOG, ""), (CATALOG_V2, "v2/")] {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(text).map_err(|e| format!("chain!: the bundled catalog is not valid JSON: {e}"))?;
        for row in rows {
            let path = row.get("path").and_then(serde_json::Value::as_str).unwrap_or_default();
            let path = format!("{prefix}{path}");
            if path.is_empty() || templates.iter().any(|t| t.path == path) {
                continue;
            }
            let segments = path.split('/').map(|s| (!is_template_placeholder(s)).then(|| s.to_owned())).collect();
            templates.push(Template { path, segments });
        }
    }
    Ok(templates)
}

fn is_template_placeholder(segment: &str) -> bool {
    segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}')
}

/// `{x}`, `{+x}`, `<x>` or a whole `_x_`, as `Client::chain` reads them.
fn is_written_placeholder(segment: &str) -> bool {
    let wrapped = |open: char, close: char| segment.len() > 2 && segment.starts_with(open) && segment.ends_with(close);
    let name =
        |inner: &str| !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if wrapped('{', '}') {
        let inner = &segment[1..segment.len() - 1];
        return name(inner.strip_prefix('+').unwrap_or(inner));
    }
    (wrapped('<', '>') || wrapped('_', '_')) && name(&segment[1..segment.len() - 1])
}

/// What the caller wrote, as segments: no leading `/`, no `?query` or `{?query}` expression.
fn segments(template: &str) -> Vec<&str> {
    let mut path = template;
    if let Some(at) = path.find("{?").or_else(|| path.find("{&")) {
        path = &path[..at];
    }
    let path = path.split('?').next().unwrap_or_default();
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.is_empty() { Vec::new() } else { path.split('/').collect() }
}

/// How a written template relates to a catalogued one.
#[derive(PartialEq)]
enum Fit {
    /// Same shape: literals equal, placeholders where the catalog has them.
    Exact,
    /// Equal but for a value written where the catalog has a placeholder (index of the first).
    Value(usize),
    No,
}

fn fit(wanted: &[&str], template: &Template) -> Fit {
    if wanted.len() != template.segments.len() {
        return Fit::No;
    }
    let mut value = None;
    for (i, (w, t)) in wanted.iter().zip(&template.segments).enumerate() {
        match t {
            None if is_written_placeholder(w) => {}
            None if !w.is_empty() => {
                value.get_or_insert(i);
            }
            Some(literal) if literal == w => {}
            _ => return Fit::No,
        }
    }
    value.map_or(Fit::Exact, Fit::Value)
}

fn closest<'a>(wanted: &[&str], catalog: &'a [Template]) -> Vec<&'a str> {
    let limit = WHOLE.min(0.34 * wanted.len() as f32);
    let mut scored: Vec<(f32, &str)> = catalog
        .iter()
        .filter(|t| t.segments.len().abs_diff(wanted.len()) <= 1)
        .map(|t| (distance(wanted, &t.segments), t.path.as_str()))
        .filter(|(cost, _)| *cost <= limit)
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let Some(&(best, _)) = scored.first() else { return Vec::new() };
    scored.into_iter().take_while(|(cost, _)| *cost <= best + NEAR).take(MAX_SUGGESTIONS).map(|(_, p)| p).collect()
}

fn distance(wanted: &[&str], template: &[Option<String>]) -> f32 {
    let mut previous: Vec<f32> = (0..=template.len()).map(|j| j as f32 * WHOLE).collect();
    let mut current = vec![0.0; template.len() + 1];
    for (i, w) in wanted.iter().enumerate() {
        current[0] = (i + 1) as f32 * WHOLE;
        for (j, t) in template.iter().enumerate() {
            let replace = previous[j] + segment_cost(w, t.as_deref());
            current[j + 1] = replace.min(previous[j + 1] + WHOLE).min(current[j] + WHOLE);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[template.len()]
}

fn segment_cost(wanted: &str, template: Option<&str>) -> f32 {
    let Some(template) = template else {
        return match wanted {
            "" => WHOLE,
            w if is_written_placeholder(w) => 0.0,
            _ => VALUE,
        };
    };
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
    if ratio > 0.5 { WHOLE } else { SPELLING + ratio }
}

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

fn quoted(paths: &[&str]) -> String {
    paths.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
}

/// Checks `template` against the catalog: `Ok` when a catalogued template has its shape, else the
/// compile error's message.
fn check(template: &str) -> Result<(), String> {
    let catalog = catalog()?;
    if template.contains("://") || template.starts_with("{+") {
        return Err(format!(
            "chain!: `{template}` is a URL, not a catalogued path template; use `client.chain(\"{template}\")`"
        ));
    }
    let wanted = segments(template);
    if wanted.is_empty() {
        return Err("chain!: the path template is empty; write one such as \"v3/pay/transactions/native\"".to_owned());
    }
    let mut value_fit = None;
    for t in catalog {
        match fit(&wanted, t) {
            Fit::Exact => return Ok(()),
            Fit::Value(i) if value_fit.is_none() => value_fit = Some((i, t)),
            _ => {}
        }
    }
    if let Some((i, t)) = value_fit {
        let placeholder = t.path.split('/').nth(i).unwrap_or("{…}");
        return Err(format!(
            "chain!: segment `{}` of `{template}` stands where the catalogued endpoint `{}` has the placeholder \
             `{placeholder}`; write `{placeholder}` and pass the value in the options (values never go into a \
             path template)",
            wanted[i], t.path
        ));
    }
    let near = closest(&wanted, catalog);
    let outside = "for an endpoint outside the catalog, use `client.chain(\"…\")`, which is not checked";
    if near.is_empty() {
        Err(format!("chain!: `{template}` is not a catalogued endpoint and none is close; {outside}"))
    } else {
        Err(format!("chain!: `{template}` is not a catalogued endpoint; the closest: {}; {outside}", quoted(&near)))
    }
}

/// Expands `chain!`: the literal itself, or `client.chain(literal)`.
pub(crate) fn expand(input: Input) -> TokenStream {
    let template = &input.template;
    if let Err(message) = check(&template.value()) {
        return syn::Error::new(template.span(), message).into_compile_error();
    }
    match input.client {
        None => quote!(#template),
        Some(client) => quote!((#client).chain(#template)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogued_templates_pass() {
        for ok in [
            "v3/pay/transactions/native",
            "/v3/pay/transactions/native",
            "v3/pay/transactions/out-trade-no/{out_trade_no}",
            "v3/pay/transactions/out-trade-no/{n}/close",
            "v3/pay/transactions/out-trade-no/<n>/close",
            "v3/pay/transactions/out-trade-no/_n_/close",
            "v3/facemch/users/{face_sid}{?info_type,appid}",
            "v3/bill/tradebill?bill_date=2024-11-24",
            "v3/applyment4sub/applyment/",
            "v2/pay/micropay",
            "v2/secapi/pay/refund",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        // Every catalogued template passes as written.
        for t in catalog().unwrap() {
            assert_eq!(check(&t.path), Ok(()), "{}", t.path);
        }
    }

    #[test]
    fn wrong_templates_name_the_closest() {
        let e = check("v3/pay/transactions/outTradeNo/{out_trade_no}").unwrap_err();
        assert!(e.contains("the closest: `v3/pay/transactions/out-trade-no/{out_trade_no}`"), "{e}");
        let e = check("v3/pay/transactions/nativ").unwrap_err();
        assert!(e.contains("`v3/pay/transactions/native`"), "{e}");
        let e = check("v3/pay/transactions/out-trade-no/123").unwrap_err();
        assert!(e.contains("stands where") && e.contains("`{out_trade_no}`"), "{e}");
        let e = check("v3/nothing/like/this/at/all").unwrap_err();
        assert!(e.contains("none is close"), "{e}");
        assert!(check("https://api.mch.weixin.qq.com/v3/certificates").unwrap_err().contains("URL"));
        assert!(check("").unwrap_err().contains("empty"));
        assert!(check("{+url}").is_err());
    }

    #[test]
    fn spelling() {
        assert_eq!(kebab("outTradeNo"), "out-trade-no");
        assert_eq!(kebab("OUT_TRADE_NO"), "out-trade-no");
        assert_eq!(levenshtein("nativ", "native"), 1);
        assert!(is_written_placeholder("{+media}"));
        assert!(!is_written_placeholder("_"));
        assert!(!is_written_placeholder("sub_"));
    }
}
