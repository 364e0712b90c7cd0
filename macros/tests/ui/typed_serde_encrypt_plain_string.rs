use serde::Serialize;

#[derive(Serialize)]
struct Contact {
    #[serde(with = "wechatpay_chain::typed::encrypt")]
    contact_name: String,
}

fn main() {}
