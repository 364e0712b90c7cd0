// A value written where the catalog has a placeholder: values come from the options.
const CLOSE: &str = wechatpay_chain::chain!("v3/pay/transactions/out-trade-no/1217752501201407033233368018/close");

fn main() {
    let _ = CLOSE;
}
