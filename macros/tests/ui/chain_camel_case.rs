// PHP's camelCase spelling of a segment is not the catalog's: the error names the kebab-case path.
const QUERY: &str = wechatpay_chain::chain!("v3/pay/transactions/outTradeNo/{out_trade_no}");

fn main() {
    let _ = QUERY;
}
