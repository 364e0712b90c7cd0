//! The generated chain: every catalogued endpoint is reachable through generated methods, the naming
//! rule's hard cases, and the unsigned-download list against the catalog's download flags.

use crate::common;
#[path = "../generated/reachability.rs"]
mod reachability;

use std::collections::BTreeSet;

use wechatpay_chain::auth::is_unsigned_download;
use wechatpay_chain::catalog::{ENDPOINTS, ENDPOINTS_V2};
use wechatpay_chain::http::Method;
use wechatpay_chain::request::Api;

#[test]
fn the_catalog_is_complete() {
    assert_eq!(ENDPOINTS.len(), 1020);
    let seed = ENDPOINTS.iter().find(|e| e.path == "v3/facemch/users/{face_sid}").expect("seed endpoint");
    assert_eq!((seed.method, seed.params), ("GET", &["face_sid"][..]));
    assert_eq!(seed.query, ["info_type", "appid", "sub_mchid", "sub_appid", "sub_serial_no"]);
    // The flags come straight from the bundled data.
    let raw: serde_json::Value =
        serde_json::from_str(include_str!("../../macros/data/endpoints.json")).expect("catalog JSON");
    let rows = raw.as_array().expect("array");
    assert_eq!(rows.len(), ENDPOINTS.len());
    for (row, e) in rows.iter().zip(ENDPOINTS) {
        assert_eq!((row["method"].as_str(), row["path"].as_str()), (Some(e.method), Some(e.path)));
        assert_eq!(row["download"].as_bool(), Some(e.download), "{}", e.path);
        assert_eq!(row["upload"].as_bool(), Some(e.upload), "{}", e.path);
        let encrypted = row["headers"].as_array().is_some_and(|h| h.iter().any(|v| v == "Wechatpay-Serial"));
        assert_eq!(encrypted, e.encrypted_fields, "{}", e.path);
    }
}

#[test]
fn every_catalogued_path_is_reachable_through_generated_methods() {
    let client = common::vector_builder().build().expect("client");
    let chains = reachability::chains(&client);
    let distinct: BTreeSet<&str> = ENDPOINTS.iter().chain(ENDPOINTS_V2).map(|e| e.path).collect();
    assert_eq!(chains.len(), distinct.len());
    for (path, chain) in &chains {
        assert_eq!(chain.template(), *path);
    }
    // And every endpoint prepares with its placeholders filled in.
    for endpoint in ENDPOINTS {
        let chain = &chains.iter().find(|(p, _)| *p == endpoint.path).expect("chain").1;
        let vars: serde_json::Map<String, serde_json::Value> =
            endpoint.params.iter().map(|p| ((*p).to_owned(), serde_json::Value::from("X1"))).collect();
        let method: Method = endpoint.method.parse().expect("method");
        let prepared = chain.prepare(method, serde_json::Value::Object(vars)).expect(endpoint.path);
        assert!(prepared.request_target().starts_with('/'));
        assert!(!prepared.request_target().contains('{'), "{}", endpoint.path);
    }
    // APIv2 endpoints go to the XML pipeline, without the `v2/` prefix on the wire, signed.
    for endpoint in ENDPOINTS_V2 {
        let chain = &chains.iter().find(|(p, _)| *p == endpoint.path).expect("chain").1;
        let method: Method = endpoint.method.parse().expect("method");
        let fields = serde_json::json!({"mch_id": common::MCHID, "appid": "wx8888888888888888"});
        let options = if method == Method::GET {
            serde_json::json!({"query": fields})
        } else {
            serde_json::json!({"xml": fields})
        };
        let prepared = chain.prepare(method.clone(), options).expect(endpoint.path);
        assert_eq!(prepared.api(), Api::V2 { security: false }, "{}", endpoint.path);
        assert_eq!(prepared.url().path(), &endpoint.path[2..], "{}", endpoint.path);
        let signed = if method == Method::GET {
            prepared.request_target().contains("&sign=")
        } else {
            std::str::from_utf8(prepared.body()).expect("utf-8").ends_with("</sign></xml>")
        };
        assert!(signed, "{}", endpoint.path);
    }
}

#[test]
fn the_v2_catalog_is_complete() {
    assert_eq!(ENDPOINTS_V2.len(), 136);
    let raw: serde_json::Value =
        serde_json::from_str(include_str!("../../macros/data/endpoints-v2.json")).expect("catalog JSON");
    let rows = raw.as_array().expect("array");
    assert_eq!(rows.len(), ENDPOINTS_V2.len());
    for (row, e) in rows.iter().zip(ENDPOINTS_V2) {
        assert_eq!(row["method"].as_str(), Some(e.method));
        assert_eq!(format!("v2/{}", row["path"].as_str().expect("path")), e.path);
    }
    // The generated nodes reach them: `client.v2().pay().micropay()` is `v2/pay/micropay`.
    let client = common::vector_builder().build().expect("client");
    assert_eq!(client.v2().pay().micropay().template(), "v2/pay/micropay");
    assert_eq!(client.v2().secapi().pay().refund().template(), "v2/secapi/pay/refund");
    assert_eq!(
        client.v2().mmpaymkttransfers().promotion().transfers().template(),
        "v2/mmpaymkttransfers/promotion/transfers"
    );
}

#[test]
fn naming_rule_hard_cases() {
    let c = common::vector_builder().build().expect("client");
    let cases = [
        // `-` becomes `_`; the wire keeps the dash.
        (c.v3().merchant_service().complaints_v2().template().to_owned(), "v3/merchant-service/complaints-v2"),
        // Segments already spelled with `_` stay as they are.
        (c.v3().merchant().media().video_upload().template().to_owned(), "v3/merchant/media/video_upload"),
        (c.v3().mch_operate().risk().withdrawl_apply().template().to_owned(), "v3/mch_operate/risk/withdrawl-apply"),
        // Keywords take a trailing underscore.
        (c.v3().ecommerce().subsidies().return_().template().to_owned(), "v3/ecommerce/subsidies/return"),
        (c.v3().marketing().busifavor().coupons().use_().template().to_owned(), "v3/marketing/busifavor/coupons/use"),
        (
            c.v3().gov().subsidy().zhejiang().authcode().try_().template().to_owned(),
            "v3/gov/subsidy/zhejiang/authcode/try",
        ),
        // A segment named like a verb is a segment method with `_`; the verb stays the verb.
        (c.v3().profitsharing().receivers().delete_().template().to_owned(), "v3/profitsharing/receivers/delete"),
        (
            c.v3().parking().reminders().application().query().template().to_owned(),
            "v3/parking/reminders/application/query",
        ),
        (c.v3().marketing().partnerships().build().template().to_owned(), "v3/marketing/partnerships/build"),
        // Sibling clash: the underscore spelling keeps the name, the dashed twin gets `_kebab`.
        (
            c.v3().papay().insurance_sign().policy_periods().template().to_owned(),
            "v3/papay/insurance-sign/policy_periods",
        ),
        (
            c.v3().papay().insurance_sign().policy_periods_kebab().template().to_owned(),
            "v3/papay/insurance-sign/policy-periods",
        ),
        // Trailing slash endpoints.
        (c.v3().applyment4sub().applyment().trailing_slash().template().to_owned(), "v3/applyment4sub/applyment/"),
        (c.v3().ecommerce().applyments().trailing_slash().template().to_owned(), "v3/ecommerce/applyments/"),
        // Placeholder siblings with different names share one node.
        (
            c.v3().apply4subject().applyment().param("business_code").cancel().template().to_owned(),
            "v3/apply4subject/applyment/{business_code}/cancel",
        ),
        // Other roots.
        (c.hk().v3().statements().template().to_owned(), "hk/v3/statements"),
        (c.global().v3().customs().orders().template().to_owned(), "global/v3/customs/orders"),
        (c.invoicing().fapiao().fapiao_file().template().to_owned(), "invoicing/fapiao/fapiao-file"),
        // Escape hatches work on every node.
        (c.v3().facemch().seg("newer-api").param("id").template().to_owned(), "v3/facemch/newer-api/{id}"),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

#[test]
fn download_endpoints_are_exactly_the_unsigned_list_plus_signed_statements() {
    for e in ENDPOINTS {
        let path = format!("/{}", e.path.replace("{media_id}", "abc"));
        let statement = matches!(e.path, "hk/v3/statements" | "v3/global/statements");
        let method: Method = e.method.parse().expect("method");
        let unsigned = is_unsigned_download(&method, &path);
        if e.download {
            assert!(unsigned || statement, "{} {} is a download but would be verified", e.method, e.path);
        } else {
            assert!(!unsigned, "{} {} is exempt from verification but not a download", e.method, e.path);
        }
    }
}
