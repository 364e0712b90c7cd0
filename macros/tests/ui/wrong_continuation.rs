// Typed nodes offer only catalogued continuations: `facemch` has no `transactions` child.
fn check(client: &wechatpay_chain::Client) {
    let _ = client.v3().facemch().transactions();
}

fn main() {}
