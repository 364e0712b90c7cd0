use wechatpay_chain::typed::Endpoint;

#[derive(Endpoint)]
#[endpoint(method = "FETCH", path = "v3/facemch/users/{face_sid}", response = serde_json::Value)]
struct Query {
    #[param]
    face_sid: String,
}

fn main() {}
