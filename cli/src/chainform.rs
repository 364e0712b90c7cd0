//! The CHAIN argument: a path template (`v3/pay/transactions/native`), an absolute URL, or a dotted
//! chain as the PHP and Node SDKs write it (`v3.pay.transactions.native`), and what the template asks
//! for (its placeholders).

use wechatpay_chain::chain::php_normalize;

use crate::output::Failure;

/// The CHAIN argument as a path template for `Client::chain`, and whether it was a dotted chain.
///
/// A dotted chain has no `/` and at least one `.`; each of its segments goes through wechatpay-php's
/// normalisation, as PHP applies it to property chains (`->merchantService->complaintsV2`): the first
/// capital is lowercased and every later one becomes `-` + lowercase (`outTradeNo` → `out-trade-no`),
/// and a whole `_x_` is the placeholder `{x}`. Anything else is used as written (never case-mangled).
pub fn template(chain: &str) -> Result<(String, bool), Failure> {
    let dotted = !chain.contains('/') && chain.contains('.') && !chain.contains("://");
    if !dotted {
        return Ok((chain.to_owned(), false));
    }
    let mut segments = Vec::new();
    for segment in chain.split('.') {
        if segment.is_empty() {
            return Err(Failure::input(format!(
                "the dotted chain `{chain}` has an empty segment; write it as v3.pay.transactions.native, or use the \
                 path form (v3/applyment4sub/applyment/ for a trailing slash, a/b.c for a segment with a dot)"
            )));
        }
        segments.push(php_normalize(segment));
    }
    Ok((segments.join("/"), true))
}

/// A placeholder of a path template: its name and whether the template needs a value for it.
#[derive(Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// The variable name, e.g. `out_trade_no`.
    pub name: String,
    /// `{x}`, `{+x}`, `{/x}`… need a value; `{?x}` and `{&x}` (query expressions) may be left out.
    pub required: bool,
}

/// The placeholders of a path template as `Client::chain` reads it (after `<x>` and `_x_` became
/// `{x}`), in order, each once. Malformed expressions are left to the SDK, which names the problem.
pub fn placeholders(template: &str) -> Vec<Placeholder> {
    let converted: Vec<String> = template
        .split('/')
        .map(|segment| match segment.strip_prefix('_').and_then(|s| s.strip_suffix('_')) {
            Some(name)
                if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)) =>
            {
                format!("{{{name}}}")
            }
            _ => segment.replace('<', "{").replace('>', "}"),
        })
        .collect();
    let converted = converted.join("/");
    let mut found: Vec<Placeholder> = Vec::new();
    let mut rest = converted.as_str();
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let expression = &after[..close];
        let (operator, list) = match expression.chars().next() {
            Some(c @ ('+' | '#' | '.' | '/' | ';' | '?' | '&')) => (Some(c), &expression[1..]),
            _ => (None, expression),
        };
        let required = !matches!(operator, Some('?' | '&'));
        for spec in list.split(',') {
            let name = spec.split(':').next().unwrap_or_default().trim_end_matches('*');
            if !name.is_empty() && !found.iter().any(|p| p.name == name) {
                found.push(Placeholder { name: name.to_owned(), required });
            }
        }
        rest = &after[close + 1..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_chains() {
        let t = |c: &str| template(c).unwrap();
        assert_eq!(t("v3.pay.transactions.native"), ("v3/pay/transactions/native".to_owned(), true));
        assert_eq!(
            t("v3.pay.transactions.outTradeNo._out_trade_no_").0,
            "v3/pay/transactions/out-trade-no/{out_trade_no}"
        );
        assert_eq!(t("v3.merchantService.complaintsV2").0, "v3/merchant-service/complaints-v2");
        assert_eq!(t("v3.merchant-service.complaints-v2").0, "v3/merchant-service/complaints-v2");
        assert_eq!(t("v2.secapi.pay.refund").0, "v2/secapi/pay/refund");
        // Path forms and URLs are used as written.
        assert_eq!(t("v3/pay/transactions/outTradeNo"), ("v3/pay/transactions/outTradeNo".to_owned(), false));
        assert!(!t("https://api.mch.weixin.qq.com/v3/billdownload/file?token=a.b").1);
        assert!(!t("v3").1);
        assert!(template("v3..pay").is_err());
        assert!(template("v3.pay.").is_err());
    }

    #[test]
    fn placeholders_of_templates() {
        let names = |t: &str| placeholders(t).into_iter().map(|p| (p.name, p.required)).collect::<Vec<_>>();
        assert_eq!(names("v3/facemch/users/{face_sid}"), [("face_sid".to_owned(), true)]);
        assert_eq!(names("{+url}/x/{a}/{a}"), [("url".to_owned(), true), ("a".to_owned(), true)]);
        assert_eq!(names("v3/x{?b,c*}"), [("b".to_owned(), false), ("c".to_owned(), false)]);
        assert_eq!(names("v3/x/{y:3}"), [("y".to_owned(), true)]);
        assert!(names("v3/pay/transactions/native").is_empty());
        assert!(names("v3/{unclosed").is_empty());
        assert_eq!(names("v3/users/_face_sid_/x/<y>"), [("face_sid".to_owned(), true), ("y".to_owned(), true)]);
        assert!(names("v3/sub_merchants/_").is_empty());
    }
}
