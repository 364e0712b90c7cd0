// A segment that is not in the catalog is not a method: the misspelling does not compile.
fn check(client: &wechatpay_chain::Client) {
    let _ = client.v3().facemch().userz();
}

fn main() {}
