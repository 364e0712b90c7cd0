//! Certificates and bills: the documented JSON, and the sandbox's answers, blocking and async.

use super::*;

#[test]
fn certificates_list_and_decrypt() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Certificate).start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let list = client.call(GetCertificates { algorithm_type: None }).unwrap();
    round_trips(&list);
    let key = ApiV3Key::new(sandbox.keys().apiv3_key()).unwrap();
    let platforms = sandbox.platform_certificates();
    let data = list.data.as_ref().unwrap();
    assert_eq!(data.len(), platforms.len());
    for certificate in data {
        let pem = certificate.encrypt_certificate.as_ref().unwrap().decrypt(&key).unwrap();
        let serial = certificate.serial_no.as_deref().unwrap();
        assert!(platforms.iter().any(|(known_serial, known)| known_serial == serial && *known == pem));
        assert!(certificate.effective_time.as_deref().unwrap().ends_with("+08:00"));
        assert!(certificate.expire_time.as_deref().unwrap().ends_with("+08:00"));
    }
    let other = ApiV3Key::new("0123456789abcdef0123456789abcdef").unwrap();
    assert!(matches!(data[0].encrypt_certificate.as_ref().unwrap().decrypt(&other), Err(Error::Decode(_))));

    // Merchants on the WeChat Pay public key have none: 404.
    let (_public, client) = setup();
    let err = client.call(GetCertificates { algorithm_type: None }).unwrap_err();
    assert_eq!(err.api().map(|a| a.status().as_u16()), Some(404));
}

#[tokio::test]
async fn certificates_async() {
    let sandbox = Sandbox::builder().sign_mode(SignMode::Mixed).start().unwrap();
    let client = sandbox.client_builder().build().unwrap();
    let list = client.call_async(GetCertificates { algorithm_type: None }).await.unwrap();
    assert_eq!(list.data.as_ref().unwrap()[0].serial_no.as_deref(), Some(sandbox.keys().platform_serial()));
}

#[test]
fn documented_certificates_and_bills_round_trip() {
    let certificates: GetCertificatesResponse = documented(json!({"data": [{
        "serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "effective_time": "2018-06-08T10:34:56+08:00", "expire_time": "2018-12-08T10:34:56+08:00",
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM", "nonce": "61f9c719728a", "associated_data": "certificate",
            "ciphertext": "sRvt…",
        },
    }]}));
    let envelope = certificates.data.as_ref().unwrap()[0].encrypt_certificate.as_ref().unwrap();
    assert_eq!(envelope.associated_data.as_deref(), Some("certificate"));
    let key = ApiV3Key::new("0123456789abcdef0123456789abcdef").unwrap();
    assert!(matches!(envelope.decrypt(&key), Err(Error::Decode(_))), "not a real ciphertext");
    let bill: GetBillTradebillResponse = documented(json!({
        "hash_type": "SHA1", "hash_value": "79bb0f45fc4c42234a918000b2668d689e2bde04",
        "download_url": "https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO",
    }));
    assert_eq!(bill.hash_type.as_deref(), Some("SHA1"));
    let unknown: GetBillTradebillResponse =
        documented(json!({"hash_type": "SM3", "hash_value": "00", "download_url": "x"}));
    assert_eq!(unknown.hash_type.as_deref(), Some("SM3"));
}

#[test]
fn bills_against_the_sandbox() {
    let (_sandbox, client) = setup();
    let mut trade = trade_bill("2024-11-24");
    trade.bill_type = Some(BillType::Success);
    trade.tar_type = Some(TarType::Gzip);
    let bill = client.call(trade).unwrap();
    round_trips(&bill);
    assert_eq!((bill.hash_type.as_deref(), bill.hash_value.as_ref().map(String::len)), (Some("SHA1"), Some(40)));
    assert!(bill.download_url.as_deref().unwrap().contains("/v3/billdownload/file?token="));
    // The query went out with WeChat Pay's names and values.
    let mut refunds = trade_bill("2024-11-24");
    refunds.bill_type = Some(BillType::Refund);
    let prepared =
        client.chain(GetBillTradebill::PATH).prepare(GetBillTradebill::METHOD, refunds.to_options().unwrap()).unwrap();
    assert_eq!(prepared.request_target(), "/v3/bill/tradebill?bill_date=2024-11-24&bill_type=REFUND");

    let fund = GetBillFundflowbill {
        bill_date: "2024-11-24".into(),
        account_type: Some(AccountType::Operation),
        ..Default::default()
    };
    let bill = client.call(fund).unwrap();
    round_trips(&bill);
    assert_eq!(bill.hash_value.as_ref().map(String::len), Some(40));

    let err = client.call(trade_bill("2024-13-01")).unwrap_err();
    assert_eq!(err.api().and_then(|a| a.code()), Some("PARAM_ERROR"));
}

#[tokio::test]
async fn bills_async() {
    let (_sandbox, client) = setup();
    let trade = client.call_async(trade_bill("2024-11-24")).await.unwrap();
    let fund =
        client.call_async(GetBillFundflowbill { bill_date: "2024-11-24".into(), ..Default::default() }).await.unwrap();
    assert_ne!(trade.hash_value, fund.hash_value);
    round_trips(&fund);
}
