use wechatpay_chain::sensitive::Sensitive;
use wechatpay_chain::typed::Endpoint;

#[derive(Endpoint)]
#[endpoint(method = "POST", path = "v3/profitsharing/receivers/add", response = serde_json::Value)]
struct AddReceiver {
    #[body]
    #[encrypt(key = "PUB_KEY_ID_0112345678202411240000000000000000")]
    name: Sensitive,
}

fn main() {}
