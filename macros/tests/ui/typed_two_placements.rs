use wechatpay_chain::typed::Endpoint;

#[derive(Endpoint)]
#[endpoint(method = "POST", path = "v3/pay/transactions/native", response = serde_json::Value)]
struct Order {
    #[query]
    #[body]
    appid: String,
}

fn main() {}
