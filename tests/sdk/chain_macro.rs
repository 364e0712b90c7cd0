//! Catalog checks: `chain!` expands catalogued templates to usable chains (its compile errors are the
//! `macros/tests/ui/chain_*.rs` cases of `macros/tests/compile_fail.rs`), and a 404 to an uncatalogued
//! path names the closest catalogued ones.

use serde_json::json;
use wechatpay_chain::{Error, chain};
use wechatpay_sandbox::Sandbox;

#[test]
fn catalogued_templates_expand_to_usable_chains() {
    const NATIVE: &str = chain!("v3/pay/transactions/native");
    assert_eq!(NATIVE, "v3/pay/transactions/native");
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let order = json!({
        "appid": "wx2b029c08a6233333", "mchid": sandbox.mchid(), "description": "T-shirt",
        "out_trade_no": "MACRO20261125001", "notify_url": "https://example.com/notify",
        "amount": {"total": 100},
    });
    let res = client.chain(NATIVE).post(json!({"json": order})).unwrap();
    assert!(res.json().unwrap()["code_url"].is_string());

    // Every placeholder form, the client form, and APIv2.
    for chain in [
        chain!(client, "v3/pay/transactions/out-trade-no/{out_trade_no}"),
        chain!(client, "v3/pay/transactions/out-trade-no/<out_trade_no>"),
        chain!(client, "v3/pay/transactions/out-trade-no/_out_trade_no_"),
        chain!(&client, "/v3/pay/transactions/out-trade-no/{out_trade_no}",),
    ] {
        assert!(chain.template().ends_with("v3/pay/transactions/out-trade-no/{out_trade_no}"), "{chain:?}");
        let res = chain.get(json!({"out_trade_no": "MACRO20261125001", "query": {"mchid": sandbox.mchid()}})).unwrap();
        assert_eq!(res.json().unwrap()["out_trade_no"], "MACRO20261125001");
    }
    assert_eq!(chain!(client, "v2/pay/micropay").template(), "v2/pay/micropay");
    assert_eq!(
        chain!("v3/facemch/users/{face_sid}{?info_type,appid}"),
        "v3/facemch/users/{face_sid}{?info_type,appid}"
    );
}

#[test]
fn a_404_to_a_camel_case_path_names_the_catalogued_one() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    // PHP writes `->outTradeNo` and sends `out-trade-no`; here the segment is sent as written.
    let err = client
        .chain("v3/pay/transactions/outTradeNo/{out_trade_no}")
        .get(json!({"out_trade_no": "1217752501201407033233368018", "query": {"mchid": sandbox.mchid()}}))
        .unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!(api.status(), 404);
    assert_eq!(api.suggestions(), ["v3/pay/transactions/out-trade-no/{out_trade_no}"]);
    let message = err.to_string();
    assert!(message.contains("the closest: `v3/pay/transactions/out-trade-no/{out_trade_no}`"), "{message}");

    // A 404 for a catalogued path is about the resource, not the path: no suggestion.
    let err = client
        .chain("v3/pay/transactions/out-trade-no/{out_trade_no}")
        .get(json!({"out_trade_no": "NO-SUCH-ORDER", "query": {"mchid": sandbox.mchid()}}))
        .unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!((api.status().as_u16(), api.code()), (404, Some("ORDER_NOT_EXIST")));
    assert!(api.suggestions().is_empty());
    assert!(!err.to_string().contains("closest"), "{err}");

    // A typo, async.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let err = runtime
        .block_on(client.chain("v3/bill/tradebil").get_async(json!({"query": {"bill_date": "2024-11-24"}})))
        .unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!(api.suggestions(), ["v3/bill/tradebill"]);

    // Nothing close: nothing suggested.
    let err = client.chain("v3/nope").get(()).unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!(api.status(), 404);
    assert!(api.suggestions().is_empty(), "{:?}", api.suggestions());
}
