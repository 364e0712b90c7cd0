// A misspelled segment, with the client form: the error names the closest catalogued path.
fn check(client: &wechatpay_chain::Client) {
    let _ = wechatpay_chain::chain!(client, "v3/pay/transactions/nativ");
}

fn main() {}
