//! Typed calls (feature `typed`, and `typed-facemch` for the seed endpoint): `#[derive(Endpoint)]`,
//! `Client::call`/`call_async` against the sandbox, the generated seed request
//! `GetFacemchUsersByFaceSid` with its decrypted real name and named credential types, declarative
//! sensitive fields (`#[encrypt]`, `typed::encrypt`, `typed::decrypt`, nested), and the derive's compile
//! errors.

use crate::common;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wechatpay_chain::crypto::{PrivateKey, PublicKey};
use wechatpay_chain::http::Method;
use wechatpay_chain::sensitive::Sensitive;
use wechatpay_chain::typed::facemch::get_facemch_users_by_face_sid::{CredentialType, InfoType, RealNameInfo};
use wechatpay_chain::typed::facemch::{GetFacemchUsersByFaceSid, GetFacemchUsersByFaceSidResponse as FaceUser};
use wechatpay_chain::typed::{Endpoint, Typed, decrypt};
use wechatpay_chain::{Client, Error, SensitiveEncryptor, Verification};
use wechatpay_sandbox::Sandbox;

const FACE_SID: &str = "aabbccdd12345";
const APPID: &str = "wx2b029c08a6233333";

/// The seed request: the user behind `FACE_SID` under `APPID`.
fn query(info_type: InfoType) -> GetFacemchUsersByFaceSid {
    GetFacemchUsersByFaceSid {
        face_sid: FACE_SID.into(),
        info_type,
        appid: APPID.into(),
        sub_mchid: None,
        sub_appid: None,
        sub_serial_no: None,
    }
}

fn assert_signed<T>(user: &Typed<T>) {
    assert_eq!(user.raw().status(), 200);
    assert!(matches!(user.raw().verification(), Verification::Signed { .. }), "{:?}", user.raw().verification());
}

/// A sandbox whose WeChat Pay public key is the vector key, so tests can decrypt what the client encrypts.
fn sandbox_with_known_public_key() -> Sandbox {
    Sandbox::builder()
        .public_key(common::PUB_KEY_ID, common::key_text("wechatpay_pubkey_private_key.pem"))
        .start()
        .unwrap()
}

/// Decrypts a ciphertext the client made for the vector WeChat Pay public key.
fn wechatpay_decrypt(ciphertext: &Value) -> String {
    let key = PrivateKey::load(&common::key_uri("wechatpay_pubkey_private_key.pem")).unwrap();
    key.decrypt_oaep(ciphertext.as_str().unwrap()).unwrap().into_inner()
}

/// Encrypts `text` for the merchant of `sandbox` (as WeChat Pay encrypts answers' personal data).
fn for_merchant(sandbox: &Sandbox, text: &str) -> String {
    let key = PublicKey::load(sandbox.keys().merchant_public_key_pem()).unwrap();
    SensitiveEncryptor::new("merchant", key).encrypt(text).unwrap()
}

// --- the derive and the call path ---

#[test]
fn call_gives_the_typed_answer_and_the_raw_response() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let mut request = query(InfoType::AskUnionid);
    request.sub_appid = Some("wx2b029c08a6255555".to_owned());
    let user = client.call(request).unwrap();
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
        tokio::task::spawn_blocking(move || client.call(query(InfoType::AskRealName))).await.unwrap().unwrap()
    };
    let user = client.call_async(query(InfoType::AskRealName)).await.unwrap();
    assert_signed(&user);
    assert_eq!(*user, *blocking, "decrypted to the same name and number");
    assert!(user.real_name_info.is_some());
    assert!(user.sub_openid.is_none());
    assert_eq!(user.into_inner(), blocking.into_inner());
}

#[test]
fn errors_come_through_unchanged() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let mut request = query(InfoType::AskUnionid);
    request.appid = String::new();
    let err = client.call(request).unwrap_err();
    let chained = client
        .chain("v3/facemch/users/{face_sid}")
        .get(json!({"face_sid": FACE_SID, "query": {"info_type": "ASK_UNIONID", "appid": ""}}))
        .unwrap_err();
    let without_request_id = |e: &Error| e.to_string().split(" [Request-ID").next().map(str::to_owned);
    assert_eq!(without_request_id(&err), without_request_id(&chained));
    assert!(err.to_string().contains("PARAM_ERROR"), "{err}");
}

#[test]
fn options_put_fields_in_place_and_leave_out_none() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    type Seed = GetFacemchUsersByFaceSid;
    assert_eq!((Seed::METHOD, Seed::PATH), (Method::GET, "v3/facemch/users/{face_sid}"));
    let mut request = query(InfoType::AskRealName);
    request.face_sid = "a/b c".to_owned();
    request.sub_mchid = Some("1900000109".to_owned());
    let prepared = client.chain(Seed::PATH).prepare(Seed::METHOD, request.to_options().unwrap()).unwrap();
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

    /// A unit struct is an endpoint without parameters.
    #[derive(Endpoint)]
    #[endpoint(method = "GET", path = "v3/certificates", response = Value)]
    struct Nothing;

    let prepared = client.chain(Nothing::PATH).prepare(Nothing::METHOD, Nothing.to_options().unwrap()).unwrap();
    assert_eq!((prepared.request_target(), prepared.body().is_empty()), ("/v3/certificates", true));
}

// --- the seed endpoint: its answer with the real name decrypted ---

#[test]
fn real_name_comes_back_decrypted_and_redacted() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let ask = || client.call(query(InfoType::AskRealName)).unwrap();
    let (first, second) = (ask(), ask());
    assert_signed(&first);
    let raw = |user: &Typed<FaceUser>| user.raw().json().unwrap()["real_name_info"].clone();
    let (raw_a, raw_b) = (raw(&first), raw(&second));
    assert_ne!(raw_a["encrypted_real_name"], raw_b["encrypted_real_name"], "OAEP ciphertexts are randomized");

    let (a, b) = (first.real_name_info.as_ref().unwrap(), second.real_name_info.as_ref().unwrap());
    assert_eq!(a, b, "the same person both times");
    assert_eq!(a.credential_type, Some(CredentialType::IdCard));
    let name = a.encrypted_real_name.as_ref().unwrap();
    let number = a.encrypted_credential_id.as_ref().unwrap().expose();
    assert_eq!(number.len(), 18);
    assert!(number.starts_with("110101"));
    assert!(!name.expose().is_empty());
    // What was decrypted is what WeChat Pay encrypted.
    assert_eq!(client.decrypt_sensitive(raw_a["encrypted_real_name"].as_str().unwrap()).unwrap(), *name);

    let debug = format!("{first:?} {a:?} {:?}", first.real_name_info);
    assert!(!debug.contains(name.expose()), "{debug}");
    assert!(!debug.contains(number), "{debug}");
    let answer = format!("{:?}", *first);
    assert!(!answer.contains(first.openid.as_deref().unwrap()), "the openid stays out of Debug: {answer}");
    assert!(debug.contains("redacted"), "{debug}");

    // Another merchant's key cannot decrypt it: the call fails as a sensitive-field error.
    let other = Sandbox::builder().fresh_keys().start().unwrap().client_builder().build().unwrap();
    let err = Typed::<FaceUser>::parse(first.raw().clone(), &other).unwrap_err();
    assert!(matches!(err, Error::Sensitive(_)), "{err:?}");
    // Without a client, a model with decrypted fields does not parse at all.
    let err = Typed::<FaceUser>::from_response(first.raw().clone()).unwrap_err();
    assert!(err.to_string().contains("merchant private key"), "{err}");
    assert!(first.raw().json_as::<FaceUser>().is_err());
}

#[test]
fn face_user_serde_round_trips_and_refuses_plain_text() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let mut request = query(InfoType::AskUnionid);
    request.sub_appid = Some("wx2b029c08a6255555".to_owned());
    let user = client.call(request).unwrap();
    let sent: Value = user.raw().json().unwrap();
    assert_eq!(serde_json::to_value(&*user).unwrap(), sent);
    assert_eq!(serde_json::from_value::<FaceUser>(sent).unwrap(), *user);

    // With the real name: parsing (with the key) gives the same model; serializing it would write the
    // name as plain text, so it fails, and the error does not quote it.
    let user = client.call(query(InfoType::AskRealName)).unwrap();
    let reparsed: FaceUser = decrypt::from_slice(&client, user.raw().body()).unwrap();
    assert_eq!(reparsed, *user);
    let err = serde_json::to_value(&*user).unwrap_err().to_string();
    assert!(err.contains("does not serialize"), "{err}");
    assert!(!err.contains(user.real_name_info.as_ref().unwrap().encrypted_real_name.as_ref().unwrap().expose()));
    let mut without = user.into_inner();
    without.real_name_info = None;
    assert!(serde_json::to_value(&without).is_ok());
}

#[test]
fn wechat_pay_documented_real_name_json_parses() {
    // The documented shape (wechatpay.im, v3/facemch/users/{face_sid}), with real ciphertexts for this
    // merchant; every documented credential_type parses, and so does a future one.
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    for t in [1, 2, 5, 11, 12, -1] {
        let doc = json!({
            "union_id": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "sub_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "real_name_info": {
                "encrypted_real_name": for_merchant(&sandbox, "张三"), "credential_type": t,
                "encrypted_credential_id": for_merchant(&sandbox, "11010519491231002X"),
            },
        });
        let user: FaceUser = decrypt::from_value(&client, doc).unwrap();
        let real = user.real_name_info.unwrap();
        let plain = |s: &Option<Sensitive>| s.as_ref().map(|s| s.expose().to_owned());
        assert_eq!(plain(&real.encrypted_real_name).as_deref(), Some("张三"));
        assert_eq!(plain(&real.encrypted_credential_id).as_deref(), Some("11010519491231002X"));
        let kind = real.credential_type.unwrap();
        assert_eq!(kind.code(), t);
        assert_eq!(kind == CredentialType::IdCard, t == 1);
        assert_eq!(matches!(kind, CredentialType::Unknown(_)), !(1..=11).contains(&t));
    }
    // Answers are read leniently: a null or missing ciphertext is `None`, not an error.
    for lenient in [
        json!({"credential_type": 1, "encrypted_credential_id": for_merchant(&sandbox, "x")}),
        json!({
            "encrypted_real_name": null, "credential_type": 1, "encrypted_credential_id": for_merchant(&sandbox, "x"),
        }),
    ] {
        let real = decrypt::from_value::<RealNameInfo>(&client, lenient).unwrap();
        assert!(real.encrypted_real_name.is_none());
        assert_eq!(real.encrypted_credential_id.map(|s| s.expose().to_owned()).as_deref(), Some("x"));
    }
    // Garbage instead of a ciphertext is a sensitive-field error, not a panic; so is a wrong JSON type.
    let garbage = json!({"encrypted_real_name": "!!", "credential_type": 1, "encrypted_credential_id": "%%"});
    assert!(matches!(decrypt::from_value::<RealNameInfo>(&client, garbage), Err(Error::Sensitive(_))));
    let wrong = json!({"encrypted_real_name": 7});
    assert!(matches!(decrypt::from_value::<RealNameInfo>(&client, wrong), Err(Error::Decode(_))));
}

#[test]
fn credential_type_has_the_eleven_labelled_variants() {
    // The schema's labels, in order: 身份证, 护照, 军官证, 士兵证, 回乡证, 临时身份证, 户口簿, 警官证, 台胞证,
    // 营业执照, 其他证件.
    let named = [
        CredentialType::IdCard,
        CredentialType::Passport,
        CredentialType::MilitaryOfficerCard,
        CredentialType::SoldierCard,
        CredentialType::HomeReturnPermit,
        CredentialType::TemporaryIdCard,
        CredentialType::HouseholdRegister,
        CredentialType::PoliceOfficerCard,
        CredentialType::TaiwanCompatriotPermit,
        CredentialType::BusinessLicense,
        CredentialType::OtherCredential,
    ];
    for (code, variant) in (1..=11).zip(named) {
        assert_eq!(CredentialType::from(code), variant);
        assert_eq!(variant.code(), code);
        assert_eq!(serde_json::from_value::<CredentialType>(json!(code)).unwrap(), variant);
        assert_eq!(serde_json::to_value(variant).unwrap(), json!(code));
    }
    for t in [0, 12, 99, -1] {
        let parsed: CredentialType = serde_json::from_value(json!(t)).unwrap();
        assert_eq!(parsed, CredentialType::Unknown(t));
        assert_eq!(serde_json::to_value(parsed).unwrap(), json!(t));
    }
    assert!(serde_json::from_value::<CredentialType>(json!("1")).is_err());
    assert_eq!(serde_json::from_value::<FaceUser>(json!({})).unwrap(), FaceUser::default());
}

// --- declarative sensitive fields in requests ---

/// 添加分账接收方, typed: `name` is encrypted (the sandbox decrypts it with the key `Wechatpay-Serial`
/// names, and refuses the request if that fails).
#[derive(Debug, Endpoint)]
#[endpoint(method = "POST", path = "v3/profitsharing/receivers/add", response = AddedReceiver)]
struct AddReceiver {
    #[body]
    appid: String,
    #[body]
    r#type: String,
    #[body]
    account: String,
    #[body]
    #[encrypt]
    name: Option<Sensitive>,
    #[body]
    relation_type: String,
}

#[derive(Debug, PartialEq, Deserialize)]
struct AddedReceiver {
    r#type: String,
    account: String,
    relation_type: String,
}

fn receiver(name: Option<&str>) -> AddReceiver {
    AddReceiver {
        appid: "wx8888888888888888".into(),
        r#type: "MERCHANT_ID".into(),
        account: "86693852".into(),
        name: name.map(Sensitive::from),
        relation_type: "SERVICE_PROVIDER".into(),
    }
}

#[test]
fn encrypt_attribute_sends_ciphertext_under_the_named_key() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let request = receiver(Some("海南某某有限公司"));
    assert!(!format!("{request:?}").contains("海南"), "plain text stays out of Debug");
    let added = client.call(request).unwrap();
    assert_eq!(added.account, "86693852");

    let logged = sandbox.requests().into_iter().find(|r| r.target.contains("receivers/add")).unwrap();
    let body: Value = serde_json::from_slice(&logged.body).unwrap();
    let ciphertext = body["name"].as_str().unwrap();
    assert_eq!(ciphertext.len(), 344, "RSA-2048 OAEP, base64");
    assert!(!String::from_utf8_lossy(&logged.body).contains("海南"));
    let key_id = client.sensitive_encryptor().unwrap().key_id().to_owned();
    assert_eq!(logged.header("wechatpay-serial"), Some(key_id.as_str()));

    // Without a name nothing is encrypted; the sandbox wants one for MERCHANT_ID, as WeChat Pay does.
    let err = client.call(receiver(None)).unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
}

#[tokio::test]
async fn encrypt_attribute_works_async() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let added = client.call_async(receiver(Some("张三"))).await.unwrap();
    assert_eq!(added.relation_type, "SERVICE_PROVIDER");
    assert_eq!(added.raw().status(), 200);
}

#[derive(Debug, Serialize)]
struct Contact {
    #[serde(with = "wechatpay_chain::typed::encrypt")]
    contact_name: Sensitive,
    #[serde(with = "wechatpay_chain::typed::encrypt", skip_serializing_if = "Option::is_none")]
    mobile_phone: Option<Sensitive>,
    role: String,
}

#[derive(Debug, Serialize)]
struct Identity {
    #[serde(with = "wechatpay_chain::typed::encrypt")]
    id_card_number: Sensitive,
    contacts: Vec<Contact>,
}

/// A made-up endpoint with sensitive fields at three depths.
#[derive(Debug, Endpoint)]
#[endpoint(method = "POST", path = "v3/applyment4sub/applyment/", response = Value)]
struct Apply {
    #[body]
    business_code: String,
    #[body]
    #[encrypt]
    legal_person: Sensitive,
    #[body]
    identity: Identity,
}

fn apply() -> Apply {
    Apply {
        business_code: "APPLY_001".into(),
        legal_person: "李四".into(),
        identity: Identity {
            id_card_number: "11010519491231002X".into(),
            contacts: vec![
                Contact { contact_name: "王五".into(), mobile_phone: Some("13900000000".into()), role: "A".into() },
                Contact { contact_name: "赵六".into(), mobile_phone: None, role: "B".into() },
            ],
        },
    }
}

#[test]
fn nested_fields_are_encrypted_with_one_key() {
    let sandbox = sandbox_with_known_public_key();
    let client = sandbox.client_builder().build().unwrap();
    let options = client.endpoint_options(&apply()).unwrap();
    let prepared = client.chain(Apply::PATH).prepare(Apply::METHOD, options).unwrap();
    assert_eq!(prepared.headers()["wechatpay-serial"], common::PUB_KEY_ID);
    let body: Value = serde_json::from_slice(prepared.body()).unwrap();
    assert_eq!(body["business_code"], "APPLY_001");
    assert_eq!(body["identity"]["contacts"][0]["role"], "A");
    assert!(body["identity"]["contacts"][1].get("mobile_phone").is_none(), "None is left out");
    for (at, plain) in [
        (&body["legal_person"], "李四"),
        (&body["identity"]["id_card_number"], "11010519491231002X"),
        (&body["identity"]["contacts"][0]["contact_name"], "王五"),
        (&body["identity"]["contacts"][0]["mobile_phone"], "13900000000"),
        (&body["identity"]["contacts"][1]["contact_name"], "赵六"),
    ] {
        assert_eq!(wechatpay_decrypt(at), plain, "every field under the key Wechatpay-Serial names");
    }
    assert!(!format!("{:?}", apply()).contains("李四"));
}

#[test]
fn encrypted_fields_never_serialize_as_plain_text_outside_a_call() {
    let err = apply().to_options().unwrap_err();
    assert!(err.to_string().contains("Client::call"), "{err}");
    assert!(!err.to_string().contains("李四"));
    let err = serde_json::to_string(&apply().identity).unwrap_err().to_string();
    assert!(err.contains("Client::call"), "{err}");
    // No encrypted field present: to_options works anywhere.
    assert!(receiver(None).to_options().is_ok());
}

#[test]
fn encryption_failures_send_nothing() {
    let sandbox = Sandbox::start().unwrap();

    // No WeChat Pay key yet (automatic certificate mode before the first download).
    let client = sandbox.merchant_builder().apiv3_key(sandbox.keys().apiv3_key()).build().unwrap();
    let err = client.call(receiver(Some("张三"))).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("encrypt"), "{err}");

    // A field too long for RSA-2048 OAEP.
    let client = sandbox.client_builder().build().unwrap();
    let err = client.call(receiver(Some(&"长".repeat(100)))).unwrap_err();
    assert!(err.to_string().contains("sensitive field"), "{err}");
    assert!(!err.to_string().contains("长长"));
    assert!(sandbox.requests().iter().all(|r| !r.target.contains("receivers/add")), "nothing was sent");

    // Without encrypted fields the key is not needed (and `Wechatpay-Serial` is the client's usual one).
    let options = client.endpoint_options(&receiver(None)).unwrap();
    let prepared = client.chain(AddReceiver::PATH).prepare(AddReceiver::METHOD, options).unwrap();
    assert!(!String::from_utf8_lossy(prepared.body()).contains("name"));
}

// --- declarative sensitive fields in answers ---

#[derive(Debug, PartialEq, Deserialize)]
struct Person {
    #[serde(rename = "encrypted_name", with = "wechatpay_chain::typed::decrypt")]
    name: Sensitive,
    #[serde(default, with = "wechatpay_chain::typed::decrypt")]
    phone: Option<Sensitive>,
    #[serde(default)]
    children: Vec<Person>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Household {
    id: String,
    head: Option<Person>,
}

#[test]
fn nested_fields_are_decrypted_at_any_depth() {
    let sandbox = Sandbox::start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let seal = |text: &str| for_merchant(&sandbox, text);
    let doc = json!({
        "id": "H1",
        "head": {
            "encrypted_name": seal("张三"), "phone": seal("13800000000"),
            "children": [
                {"encrypted_name": seal("张小三"), "phone": null},
                {"encrypted_name": seal("张小四"), "children": [{"encrypted_name": seal("张小小")}]},
            ],
        },
    });
    let household: Household = decrypt::from_value(&client, doc.clone()).unwrap();
    let head = household.head.as_ref().unwrap();
    assert_eq!((head.name.expose(), head.phone.as_ref().map(Sensitive::expose)), ("张三", Some("13800000000")));
    assert_eq!(head.children[0].name.expose(), "张小三");
    assert!(head.children[0].phone.is_none());
    assert_eq!(head.children[1].children[0].name.expose(), "张小小");
    let debug = format!("{household:?}");
    assert!(!debug.contains('张') && !debug.contains("1380"), "{debug}");

    // The first failure is reported as itself, wherever it is.
    let mut broken = doc;
    broken["head"]["children"][1]["children"][0]["encrypted_name"] = json!("AAAA");
    assert!(matches!(decrypt::from_value::<Household>(&client, broken), Err(Error::Sensitive(_))));
}

#[test]
fn a_client_without_a_private_key_cannot_decrypt() {
    // A custom signer holds no private key to decrypt with.
    struct Remote;
    impl wechatpay_chain::auth::Signer for Remote {
        fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
            Err("offline".into())
        }
    }
    let sandbox = Sandbox::start().unwrap();
    let keys = sandbox.keys();
    let client: Client = Client::builder()
        .mchid(keys.mchid())
        .serial(keys.merchant_serial())
        .signer(std::sync::Arc::new(Remote))
        .public_key(keys.public_key_id(), keys.public_key_pem())
        .base_uri(sandbox.base_uri())
        .build()
        .unwrap();
    let doc = json!({"encrypted_name": for_merchant(&sandbox, "张三")});
    let err = decrypt::from_value::<Person>(&client, doc).unwrap_err();
    assert!(matches!(&err, Error::Sensitive(wechatpay_chain::crypto::OaepError::Key(_))), "{err:?}");
    assert!(err.to_string().contains("custom Signer"), "{err}");
}
