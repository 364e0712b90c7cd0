use wechatpay_chain::typed::Endpoint;

#[derive(Endpoint)]
#[endpoint(method = "GET", path = "v3/facemch/users/{face_sid}", response = serde_json::Value)]
struct Query {
    #[query]
    appid: String,
}

fn main() {}
