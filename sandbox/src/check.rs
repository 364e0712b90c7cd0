//! The sandbox's own check of a request's `Authorization` header, written independently of the
//! client's signing code. The RSA verification itself is aws-lc's (the sandbox's CPU per request
//! bounds what a load test against it measures); that the client's signatures are right byte for byte
//! is established independently, by the golden vectors captured from wechatpay-php (OpenSSL) and by
//! the interop drivers, whose clients sign with OpenSSL.

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::Decode;

/// The merchant's public key, parsed once for request checks.
pub(crate) struct MerchantKey {
    key: ParsedPublicKey,
    /// The modulus length in bytes: the length of every valid signature.
    length: usize,
}

impl MerchantKey {
    /// From the merchant's SubjectPublicKeyInfo DER.
    pub(crate) fn from_spki(spki_der: &[u8]) -> Result<MerchantKey, String> {
        let spki = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(spki_der).map_err(|e| e.to_string())?;
        let pkcs1 = spki.subject_public_key.as_bytes().ok_or("the merchant key's bit string has unused bits")?;
        let key = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pkcs1).map_err(|e| e.to_string())?;
        let length =
            aws_lc_rs::rsa::PublicEncryptingKey::from_der(spki_der).map_err(|e| e.to_string())?.key_size_bytes();
        Ok(MerchantKey { key, length })
    }
}

/// The parts of a request the signature covers.
pub(crate) struct Signed<'a> {
    pub(crate) method: &'a str,
    pub(crate) target: &'a str,
    pub(crate) body: &'a [u8],
}

/// Checks `authorization` the way WeChat Pay does: scheme, the five attributes, merchant id, certificate
/// serial, a timestamp within ±300 s of `now`, and RSASSA-PKCS1-v1_5/SHA-256 over
/// `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`. The error text is what the 401 answer says.
pub(crate) fn check(
    authorization: Option<&str>,
    request: &Signed<'_>,
    mchid: &str,
    serial: &str,
    key: &MerchantKey,
    now: i64,
) -> Result<(), String> {
    let header = authorization.ok_or("请求头缺少Authorization (the Authorization header is missing)")?;
    let attributes = header
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .ok_or("Authorization的认证类型不是WECHATPAY2-SHA256-RSA2048 (wrong authorization scheme)")?;

    let (mut got_mchid, mut got_serial, mut got_ts, mut got_nonce, mut got_sig) = (None, None, None, None, None);
    for pair in attributes.split(',') {
        let (name, quoted) = pair.trim().split_once('=').ok_or_else(|| format!("malformed attribute `{pair}`"))?;
        let value = quoted
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| format!("the value of `{name}` is not quoted"))?;
        let slot = match name {
            "mchid" => &mut got_mchid,
            "serial_no" => &mut got_serial,
            "timestamp" => &mut got_ts,
            "nonce_str" => &mut got_nonce,
            "signature" => &mut got_sig,
            other => return Err(format!("unknown Authorization attribute `{other}`")),
        };
        if slot.replace(value).is_some() {
            return Err(format!("Authorization attribute `{name}` appears twice"));
        }
    }
    let missing = |n: &str| format!("Authorization lacks `{n}`");
    let got_mchid = got_mchid.ok_or_else(|| missing("mchid"))?;
    let got_serial = got_serial.ok_or_else(|| missing("serial_no"))?;
    let got_ts = got_ts.ok_or_else(|| missing("timestamp"))?;
    let got_nonce = got_nonce.ok_or_else(|| missing("nonce_str"))?;
    let got_sig = got_sig.ok_or_else(|| missing("signature"))?;

    if got_mchid != mchid {
        return Err(format!("商户号不匹配 (mchid `{got_mchid}` is not this sandbox's merchant `{mchid}`)"));
    }
    if got_serial != serial {
        return Err(format!(
            "商户证书序列号有误 (serial_no `{got_serial}` is not the merchant certificate serial `{serial}`)"
        ));
    }
    if got_nonce.is_empty() {
        return Err("nonce_str is empty".to_owned());
    }
    let timestamp: i64 = if !got_ts.is_empty() && got_ts.len() <= 12 && got_ts.bytes().all(|b| b.is_ascii_digit()) {
        got_ts.parse().map_err(|_| format!("timestamp `{got_ts}` is not a number"))?
    } else {
        return Err(format!("timestamp `{got_ts}` is not Unix seconds"));
    };
    if (now - timestamp).abs() > 300 {
        return Err(format!(
            "请求的时间戳已过期 (timestamp {timestamp} is more than 300 s from the server clock {now})"
        ));
    }
    let signature = STANDARD.decode(got_sig).map_err(|_| "signature is not valid base64 (签名错误)".to_owned())?;
    if signature.len() != key.length {
        return Err("signature has the wrong length (签名错误)".to_owned());
    }

    let mut message = Vec::with_capacity(request.target.len() + request.body.len() + 64);
    for piece in
        [request.method.as_bytes(), request.target.as_bytes(), got_ts.as_bytes(), got_nonce.as_bytes(), request.body]
    {
        message.extend_from_slice(piece);
        message.push(b'\n');
    }
    key.key.verify_sig(&message, &signature).map_err(|_| {
        "签名错误 (the signature does not match METHOD\\nTARGET\\nTIMESTAMP\\nNONCE\\nBODY\\n)".to_owned()
    })?;
    Ok(())
}
