// Keyword segments carry a trailing underscore; the bare keyword is not a method.
fn check(client: &wechatpay_chain::Client) {
    let _ = client.v3().marketing().busifavor().coupons().r#use();
}

fn main() {}
