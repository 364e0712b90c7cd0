// Nothing in the catalog is close, and the template is not a literal.
const NOWHERE: &str = wechatpay_chain::chain!("v3/nothing/like/this/anywhere/at/all");

fn build(path: &str) -> &str {
    wechatpay_chain::chain!(path)
}

fn main() {
    let _ = (NOWHERE, build("v3/certificates"));
}
