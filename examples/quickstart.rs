//! Quickstart: the seed call (查询用户信息, `GET v3/facemch/users/{face_sid}`) in all three chain forms,
//! blocking and async.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Without configuration it starts the local sandbox and calls that. To call the real API instead, set
//!
//! - `WECHATPAY_MCHID`: merchant id
//! - `WECHATPAY_SERIAL`: merchant API certificate serial
//! - `WECHATPAY_PRIVATE_KEY`: path of the merchant private key PEM (apiclient_key.pem)
//! - `WECHATPAY_CERTS`: comma-separated `ID=PEM_PATH` pairs, e.g.
//!   `PUB_KEY_ID_0112…=/etc/wechatpay/pub_key.pem` (or a platform certificate serial and its PEM)
//! - `WECHATPAY_APIV3_KEY` (optional): the APIv3 key
//! - `WECHATPAY_BASE_URI` (optional): e.g. `https://api2.mch.weixin.qq.com/`

mod support;

use serde_json::{Value, json};
use wechatpay_chain::{Error, Response};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keeps the sandbox alive for the whole run when no real credentials are configured.
    let (client, _sandbox) = match support::client_from_env(&[
        "WECHATPAY_MCHID",
        "WECHATPAY_SERIAL",
        "WECHATPAY_PRIVATE_KEY",
        "WECHATPAY_CERTS",
    ])? {
        Some(client) => {
            println!("calling {}", client.base_uri_string());
            (client, None)
        }
        None => {
            let sandbox = wechatpay_sandbox::Sandbox::start()?;
            println!("no WECHATPAY_* environment: using the local sandbox at {}", sandbox.base_uri());
            (sandbox.client_builder().build()?, Some(sandbox))
        }
    };

    // The options of the PHP documentation's example, as JSON in PHP-array shape.
    let options = json!({
        "face_sid": "aabbccdd12345",
        "query": {
            "info_type": "ASK_UNIONID",
            "appid": "wx2b029c08a6233333",
            "sub_mchid": "123456789",
            "sub_appid": "wx2b029c08a6255555",
            "sub_serial_no": "wx2b029c08a6255555",
        },
    });
    let mut failures = 0;

    // $instance->v3->facemch->users->_face_sid_->get([...])
    let res = client.v3().facemch().users().param("face_sid").get(&options);
    failures += show("blocking, segment methods", res);
    // $instance->chain('v3/facemch/users/{face_sid}')->get([...])
    let res = client.chain("v3/facemch/users/{face_sid}").get(&options);
    failures += show("blocking, chain(\"…/{face_sid}\")", res);
    let res = client.chain("v3/facemch/users/<face_sid>").get(&options);
    failures += show("blocking, chain(\"…/<face_sid>\")", res);

    // The async verbs run on any executor; here, a tokio runtime.
    let runtime = tokio::runtime::Runtime::new()?;
    failures += runtime.block_on(async {
        // $instance->v3->facemch->users->_face_sid_->getAsync([...])->then(...)->wait()
        let mut failures = 0;
        let res = client.v3().facemch().users().param("face_sid").get_async(&options).await;
        failures += show("async, segment methods", res);
        let res = client.chain("v3/facemch/users/{face_sid}").get_async(&options).await;
        failures += show("async, chain(\"…/{face_sid}\")", res);
        let res = client.chain("v3/facemch/users/<face_sid>").get_async(&options).await;
        failures += show("async, chain(\"…/<face_sid>\")", res);
        failures
    });

    if failures > 0 {
        return Err(format!("{failures} of 6 calls failed").into());
    }
    Ok(())
}

fn show(label: &str, result: Result<Response, Error>) -> usize {
    match result.and_then(|res| res.json().map(|v: Value| (res, v)).map_err(Error::from)) {
        Ok((res, value)) => {
            println!("{label}: {} {value}", res.status());
            0
        }
        Err(e) => {
            println!("{label}: error (may have reached WeChat Pay: {}): {e}", e.may_have_been_sent());
            1
        }
    }
}
