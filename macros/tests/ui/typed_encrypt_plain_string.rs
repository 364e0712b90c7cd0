use wechatpay_chain::typed::Endpoint;

#[derive(Endpoint)]
#[endpoint(method = "POST", path = "v3/profitsharing/receivers/add", response = serde_json::Value)]
struct AddReceiver {
    #[body]
    #[encrypt]
    name: String,
}

fn main() {}
