//! Typed calls (feature `typed`): `#[derive(Endpoint)]`, `Client::call`/`call_async` against the sandbox,
//! the `FaceUser` model, and the derive's compile errors.

use serde::Serialize;
use serde_json::{Value, json};
use wechatpay_chain::Verification;
use wechatpay_chain::http::Method;
use wechatpay_chain::sandbox::Sandbox;
use wechatpay_chain::typed::facemch::{CredentialType, FaceUser, InfoType, QueryFaceUser, RealNameInfo};
use wechatpay_chain::typed::{Endpoint, Typed};

const FACE_SID: &str = "aabbccdd12345";
const APPID: &str = "wx2b029c08a6233333";

fn assert_signed<T>(user: &Typed<T>) {
    assert_eq!(user.raw().status(), 200);
    assert!(matches!(user.raw().verification(), Verification::Signed { .. }), "{:?}", user.raw().verification());
}

#[test]
fn call_gives_the_typed_answer_and_the_raw_response() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let mut query = QueryFaceUser::new(FACE_SID, InfoType::AskUnionid, APPID);
    query.sub_appid = Some("wx2b029c08a6255555".to_owned());
    let user = client.call(query).unwrap();
    assert_signed(&user);

    // The same request through the chain gives the same body, parsed the same way.
    let chained = client
        .chain("v3/facemch/users/{face_sid}")
        .get(json!({"face_sid": FACE_SID, "query": {"info_type": "ASK_UNIONID", "appid": APPID, "sub_appid": "wx2b029c08a6255555"}}))
        .unwrap();
    assert_eq!(chained.body(), user.raw().body());
    let expected: FaceUser = chained.json_as().unwrap();
    assert_eq!(*user, expected);
    assert!(user.openid.as_deref().is_some_and(|id| id.starts_with('o')));
    assert!(user.union_id.as_deref().is_some_and(|id| id.starts_with("oU")));
    assert!(user.sub_openid.is_some());
    assert!(user.real_name_info.is_none());
    let (value, raw) = user.into_parts();
    assert_eq!(value, expected);
    assert_eq!(raw.json_as::<FaceUser>().unwrap(), expected);
}

#[tokio::test]
async fn call_async_gives_the_same_answer() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let blocking = {
        let client = client.clone();
        tokio::task::spawn_blocking(move || client.call(QueryFaceUser::new(FACE_SID, InfoType::AskUnionid, APPID)))
            .await
            .unwrap()
            .unwrap()
    };
    let user = client.call_async(QueryFaceUser::new(FACE_SID, InfoType::AskUnionid, APPID)).await.unwrap();
    assert_signed(&user);
    assert_eq!(*user, *blocking);
    assert!(user.sub_openid.is_none());
    assert_eq!(user.into_inner(), blocking.into_inner());
}

#[test]
fn errors_come_through_unchanged() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let err = client.call(QueryFaceUser::new(FACE_SID, InfoType::AskUnionid, "")).unwrap_err();
    let chained = client
        .chain("v3/facemch/users/{face_sid}")
        .get(json!({"face_sid": FACE_SID, "query": {"info_type": "ASK_UNIONID", "appid": ""}}))
        .unwrap_err();
    let without_request_id = |e: &wechatpay_chain::Error| e.to_string().split(" [Request-ID").next().map(str::to_owned);
    assert_eq!(without_request_id(&err), without_request_id(&chained));
    assert!(err.to_string().contains("PARAM_ERROR"), "{err}");
}

#[test]
fn real_name_decrypts_to_stable_values_and_debug_redacts() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let ask = || client.call(QueryFaceUser::new(FACE_SID, InfoType::AskRealName, APPID)).unwrap();
    let (first, second) = (ask(), ask());
    assert_signed(&first);
    let (a, b) = (first.real_name_info.as_ref().unwrap(), second.real_name_info.as_ref().unwrap());
    assert_ne!(a.encrypted_real_name, b.encrypted_real_name, "OAEP ciphertexts are randomized");
    let (a, b) = (a.decrypt(&client).unwrap(), b.decrypt(&client).unwrap());
    assert_eq!(a.real_name.expose(), b.real_name.expose());
    assert_eq!(a.credential_id.expose(), b.credential_id.expose());
    assert_eq!(a.credential_type, CredentialType::IdCard);
    let number = a.credential_id.expose();
    assert_eq!(number.len(), 18);
    assert!(number.starts_with("110101"));
    assert!(!a.real_name.expose().is_empty());

    let debug = format!("{a:?} {:?} {first:?}", first.real_name_info);
    assert!(!debug.contains(a.real_name.expose()), "{debug}");
    assert!(!debug.contains(number), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
    // The ciphertexts stay out of Debug too.
    assert!(
        !format!("{:?}", first.real_name_info).contains(&first.real_name_info.as_ref().unwrap().encrypted_real_name)
    );

    // Another client (other merchant key) cannot decrypt.
    let other = Sandbox::start().unwrap().client_builder().build().unwrap();
    assert!(first.real_name_info.as_ref().unwrap().decrypt(&other).is_err());
}

#[test]
fn face_user_round_trips_through_serde() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    for info_type in [InfoType::AskUnionid, InfoType::AskRealName] {
        let mut query = QueryFaceUser::new(FACE_SID, info_type, APPID);
        query.sub_appid = Some("wx2b029c08a6255555".to_owned());
        let user = client.call(query).unwrap();
        let sent: Value = user.raw().json().unwrap();
        assert_eq!(serde_json::to_value(&*user).unwrap(), sent, "{info_type:?}");
        let back: FaceUser = serde_json::from_value(sent).unwrap();
        assert_eq!(back, *user);
    }
}

#[test]
fn credential_types_never_break_deserialization() {
    let info = |t: i64| json!({"encrypted_real_name": "x", "credential_type": t, "encrypted_credential_id": "y"});
    let id: RealNameInfo = serde_json::from_value(info(1)).unwrap();
    assert_eq!(id.credential_type, CredentialType::IdCard);
    for t in [2, 11, 99, -1] {
        let other: RealNameInfo = serde_json::from_value(info(t)).unwrap();
        assert_eq!(other.credential_type, CredentialType::Unknown(t));
        assert_eq!(serde_json::to_value(&other).unwrap(), info(t));
    }
    let aliased: RealNameInfo = serde_json::from_value(
        json!({"encrypted_real_name": "x", "credential_type": 1, "encrypted_credential_id": "y"}),
    )
    .unwrap();
    assert_eq!(aliased, id);
    assert_eq!(serde_json::from_value::<FaceUser>(json!({})).unwrap(), FaceUser::default());
}

#[test]
fn options_put_fields_in_place_and_leave_out_none() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    assert_eq!((QueryFaceUser::METHOD, QueryFaceUser::PATH), (Method::GET, "v3/facemch/users/{face_sid}"));
    let mut query = QueryFaceUser::new("a/b c", InfoType::AskRealName, APPID);
    query.sub_mchid = Some("1900000109".to_owned());
    let prepared =
        client.chain(QueryFaceUser::PATH).prepare(QueryFaceUser::METHOD, query.to_options().unwrap()).unwrap();
    assert_eq!(
        prepared.request_target(),
        "/v3/facemch/users/a%2Fb%20c?info_type=ASK_REAL_NAME&appid=wx2b029c08a6233333&sub_mchid=1900000109"
    );
    assert!(prepared.body().is_empty());

    #[derive(Serialize)]
    struct Amount {
        total: u64,
    }

    /// A made-up endpoint with every placement.
    #[derive(Endpoint)]
    #[endpoint(method = "POST", path = "v3/things/{+id}/items/{kind}", response = Value)]
    struct Everything {
        #[param]
        id: String,
        #[param]
        kind: u32,
        #[query]
        limit: Option<u32>,
        #[body]
        r#type: String,
        #[body]
        note: Option<String>,
        #[body]
        amount: Amount,
    }

    let e = Everything {
        id: "a/b".into(),
        kind: 7,
        limit: None,
        r#type: "T".into(),
        note: None,
        amount: Amount { total: 1 },
    };
    let prepared = client.chain(Everything::PATH).prepare(Everything::METHOD, e.to_options().unwrap()).unwrap();
    assert_eq!(prepared.method(), Method::POST);
    assert_eq!(prepared.request_target(), "/v3/things/a/b/items/7");
    assert_eq!(&prepared.body()[..], br#"{"type":"T","amount":{"total":1}}"#);
}

#[test]
fn derive_mistakes_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/typed_*.rs");
}
