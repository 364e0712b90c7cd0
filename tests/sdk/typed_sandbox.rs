//! Every endpoint the sandbox implements, called through its generated typed request, blocking and async:
//! complaint-notification callbacks (GET/POST/PUT/DELETE), a stock's budget (PATCH), adding a
//! profit-sharing receiver (an encrypted field), the two media uploads, and the bill file download. The
//! sandbox's other endpoints are called typed in `tests/sdk/typed.rs` (face-payment users) and
//! `tests/sdk/typed_pay.rs` (payments, refunds, certificates, bills).

use std::io::Read;

use futures::StreamExt;
use serde_json::Value;
use wechatpay_chain::Media;
use wechatpay_chain::sensitive::Sensitive;
use wechatpay_chain::typed::bill::GetBillTradebill;
use wechatpay_chain::typed::billdownload::GetBilldownloadFile;
use wechatpay_chain::typed::marketing_busifavor::PatchMarketingBusifavorStocksByStockIdBudget as Budget;
use wechatpay_chain::typed::merchant::{PostMerchantMediaUpload, PostMerchantMediaVideoUpload};
use wechatpay_chain::typed::merchant_service::{
    DeleteMerchantServiceComplaintNotifications, GetMerchantServiceComplaintNotifications,
    PostMerchantServiceComplaintNotifications, PutMerchantServiceComplaintNotifications,
};
use wechatpay_chain::typed::profitsharing::PostProfitsharingReceiversAdd;
use wechatpay_chain::typed::profitsharing::post_profitsharing_receivers_add::{RelationType, Type};
use wechatpay_chain::{Client, Verification};
use wechatpay_sandbox::Sandbox;

fn setup() -> (Sandbox, Client) {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    (sandbox, client)
}

const CALLBACK: &str = "https://www.example.com/wechatpay/complaints";

fn create(url: &str) -> PostMerchantServiceComplaintNotifications {
    PostMerchantServiceComplaintNotifications { url: url.into(), ..Default::default() }
}

fn update(url: &str) -> PutMerchantServiceComplaintNotifications {
    PutMerchantServiceComplaintNotifications { url: url.into(), ..Default::default() }
}

#[test]
fn complaint_notifications() {
    let (sandbox, client) = setup();
    let err = client.call(GetMerchantServiceComplaintNotifications::default()).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("RESOURCE_NOT_EXISTS"));
    let created = client.call(create(CALLBACK)).unwrap();
    assert_eq!((created.mchid.as_deref(), created.url.as_deref()), (Some(sandbox.mchid()), Some(CALLBACK)));
    assert!(matches!(created.raw().verification(), Verification::Signed { .. }));
    let read = client.call(GetMerchantServiceComplaintNotifications::default()).unwrap();
    assert_eq!(read.url.as_deref(), Some(CALLBACK));
    let updated = client.call(update("https://www.example.com/v2")).unwrap();
    assert_eq!(updated.url.as_deref(), Some("https://www.example.com/v2"));
    let deleted = client.call(DeleteMerchantServiceComplaintNotifications::default()).unwrap();
    assert_eq!(deleted.raw().status(), 204);
    let () = deleted.into_inner();
    // The sandbox's validation comes through: an http:// callback is refused.
    let err = client.call(create("http://www.example.com")).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("PARAM_ERROR"));
}

#[tokio::test]
async fn complaint_notifications_async() {
    let (_sandbox, client) = setup();
    client.call_async(create(CALLBACK)).await.unwrap();
    let read = client.call_async(GetMerchantServiceComplaintNotifications::default()).await.unwrap();
    assert_eq!(read.url.as_deref(), Some(CALLBACK));
    let updated = client.call_async(update("https://www.example.com/v2")).await.unwrap();
    assert_eq!(updated.url.as_deref(), Some("https://www.example.com/v2"));
    let deleted = client.call_async(DeleteMerchantServiceComplaintNotifications::default()).await.unwrap();
    assert_eq!(deleted.raw().status(), 204);
    let err = client.call_async(GetMerchantServiceComplaintNotifications::default()).await.unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("RESOURCE_NOT_EXISTS"));
}

fn budget(total: Option<i64>, by_day: Option<i64>, request_no: &str) -> Budget {
    Budget {
        stock_id: "98065001".into(),
        target_max_coupons: total,
        target_max_coupons_by_day: by_day,
        modify_budget_request_no: request_no.into(),
        ..Default::default()
    }
}

#[test]
fn stock_budget() {
    let (sandbox, client) = setup();
    let answer = client.call(budget(Some(3000), None, "B-1")).unwrap();
    assert_eq!((answer.max_coupons, answer.max_coupons_by_day), (Some(3000), None));
    let answer = client.call(budget(None, Some(300), "B-2")).unwrap();
    assert_eq!(answer.max_coupons_by_day, Some(300));
    // The optimistic check against the current budget.
    let mut stale = budget(Some(10), None, "B-3");
    stale.current_max_coupons = Some(1);
    let err = client.call(stale).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("INVALID_REQUEST"));
    // What went out: PATCH, the stock id in the path, the JSON body with WeChat Pay's names.
    let logged = sandbox.requests().into_iter().find(|r| r.target.ends_with("/98065001/budget")).unwrap();
    assert_eq!(logged.method, "PATCH");
    let body: Value = serde_json::from_slice(&logged.body).unwrap();
    assert_eq!(body, serde_json::json!({"target_max_coupons": 3000, "modify_budget_request_no": "B-1"}));
}

#[tokio::test]
async fn stock_budget_async() {
    let (_sandbox, client) = setup();
    let answer = client.call_async(budget(Some(500), None, "B-async")).await.unwrap();
    assert_eq!(answer.max_coupons, Some(500));
    let err = client.call_async(budget(Some(1), Some(1), "B-both")).await.unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("PARAM_ERROR"));
}

fn receiver(name: Option<&str>) -> PostProfitsharingReceiversAdd {
    PostProfitsharingReceiversAdd {
        appid: "wx8888888888888888".into(),
        r#type: Type::MerchantId,
        account: "86693852".into(),
        name: name.map(Sensitive::from),
        relation_type: RelationType::ServiceProvider,
        sub_mchid: None,
        sub_appid: None,
        custom_relation: None,
        extra: Default::default(),
    }
}

#[test]
fn profit_sharing_receiver_with_an_encrypted_name() {
    let (sandbox, client) = setup();
    let request = receiver(Some("海南某某有限公司"));
    assert!(!format!("{request:?}").contains("海南"));
    let added = client.call(request).unwrap();
    assert_eq!((added.account.as_deref(), added.r#type.clone()), (Some("86693852"), Some(Type::MerchantId)));
    assert_eq!(added.relation_type, Some(RelationType::ServiceProvider));
    // The sandbox decrypted the name with the key `Wechatpay-Serial` named (or refused the request).
    let logged = sandbox.requests().into_iter().find(|r| r.target.contains("receivers/add")).unwrap();
    let body: Value = serde_json::from_slice(&logged.body).unwrap();
    assert_eq!(body["name"].as_str().map(str::len), Some(344));
    let key_id = client.sensitive_encryptor().unwrap().key_id().to_owned();
    assert_eq!(logged.header("wechatpay-serial"), Some(key_id.as_str()));
    // MERCHANT_ID receivers need the name.
    let err = client.call(receiver(None)).unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
}

#[tokio::test]
async fn profit_sharing_receiver_async() {
    let (_sandbox, client) = setup();
    let added = client.call_async(receiver(Some("张三"))).await.unwrap();
    assert_eq!(added.relation_type, Some(RelationType::ServiceProvider));
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[test]
fn media_uploads() {
    let (sandbox, client) = setup();
    let image = client.call(PostMerchantMediaUpload { media: Media::from_bytes("logo.png", PNG).unwrap() }).unwrap();
    let media_id = image.media_id.clone().unwrap();
    assert!(!media_id.is_empty());
    // The same file gets the same id.
    let again = client.call(PostMerchantMediaUpload { media: Media::from_bytes("logo.png", PNG).unwrap() }).unwrap();
    assert_eq!(again.media_id.as_deref(), Some(media_id.as_str()));
    let clip = Media::from_bytes("clip.mp4", b"\0\0\0\x18ftypmp42".to_vec()).unwrap();
    let video = client.call(PostMerchantMediaVideoUpload { media: clip }).unwrap();
    assert!(video.media_id.as_deref().is_some_and(|id| !id.is_empty()));
    let logged = sandbox.requests().into_iter().find(|r| r.target.ends_with("/media/upload")).unwrap();
    assert!(logged.header("content-type").is_some_and(|t| t.starts_with("multipart/form-data")));
    // The rules of each endpoint are checked before sending: a video is not an image.
    let wrong = Media::from_bytes("clip.mp4", b"\0\0\0\x18ftypmp42".to_vec()).unwrap();
    let err = client.call(PostMerchantMediaUpload { media: wrong }).unwrap_err();
    assert!(err.to_string().contains("jpg"), "{err}");
}

#[tokio::test]
async fn media_uploads_async() {
    let (_sandbox, client) = setup();
    let image = client.call_async(PostMerchantMediaUpload { media: Media::from_bytes("a.jpg", PNG).unwrap() }).await;
    assert!(image.unwrap().media_id.is_some());
    let clip = Media::from_bytes("clip.mov", b"\0\0\0\x14ftypqt  ".to_vec()).unwrap();
    let video = client.call_async(PostMerchantMediaVideoUpload { media: clip }).await.unwrap();
    assert!(video.media_id.is_some());
}

/// The `token` of a bill's `download_url`.
fn token(url: &str) -> String {
    url.split("token=").nth(1).unwrap().to_owned()
}

#[test]
fn bill_file_download() {
    let (_sandbox, client) = setup();
    let bill = client.call(GetBillTradebill { bill_date: "2024-11-24".into(), ..Default::default() }).unwrap();
    let request = GetBilldownloadFile { token: token(bill.download_url.as_deref().unwrap()), tartype: None };
    let mut download = client.call_download(request).unwrap();
    assert_eq!(download.status(), 200);
    let mut text = String::new();
    download.read_to_string(&mut text).unwrap();
    assert!(text.contains(','), "a CSV bill: {text}");
    // An unknown token is the API error it is.
    let err = client.call_download(GetBilldownloadFile { token: "nothing".into(), tartype: None }).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("RESOURCE_NOT_EXISTS"));
}

#[tokio::test]
async fn bill_file_download_async() {
    let (_sandbox, client) = setup();
    let bill = client.call_async(GetBillTradebill { bill_date: "2024-11-24".into(), ..Default::default() }).await;
    let url = bill.unwrap().download_url.clone().unwrap();
    let mut download =
        client.call_download_async(GetBilldownloadFile { token: token(&url), tartype: None }).await.unwrap();
    let mut bytes = Vec::new();
    while let Some(chunk) = download.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    assert!(!bytes.is_empty());
}
