use wechatpay_chain::typed::Endpoint;

#[derive(Endpoint)]
#[endpoint(method = "POST", path = "v3/pay/transactions/native", response = serde_json::Value)]
struct Order {
    #[body]
    appid: String,
    mchid: String,
}

fn main() {}
