use wechatpay_chain::sensitive::Sensitive;
use wechatpay_chain::typed::Endpoint;

#[derive(Endpoint)]
#[endpoint(method = "GET", path = "v3/things", response = serde_json::Value)]
struct Find {
    #[query]
    #[encrypt]
    name: Sensitive,
}

fn main() {}
