#!/usr/bin/env python3
"""Writes the curated seed corpora fuzz/corpus/<target>/seed-* from tests/data (the golden vectors of
wechatpay-php 1.4.12 and their throwaway keys) and the formats the sandbox speaks.

Run from anywhere: `python3 fuzz/make_seeds.py` (needs the `cryptography` package for the signed
notifications). It rewrites every seed-* file, so the committed seeds are reproducible; the input
framing of each target is documented on its function in src/fuzzing.rs.
"""

import base64
import gzip
import hashlib
import json
import struct
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CORPUS = ROOT / "fuzz" / "corpus"

MCHID = "1900000001"
PLATFORM_SERIAL = "7B9F2C366F58149F90CC94CDEEAD667C4816FFDC"
PUB_KEY_ID = "PUB_KEY_ID_0112345678202411240000000000000000"
APIV3_KEY = b"pJKrljmXR68AHQ5YJK2AaVG8opcVCFfX"
APIV2_KEY = "GcOWSRrXHahnYIF9qpp0u4AMvS9IKGu1"
NOW = 1795562040

# One-byte header name codes of src/fuzzing.rs (WELL_KNOWN_HEADERS, 1-based).
CODES = {
    "wechatpay-timestamp": 1,
    "wechatpay-nonce": 2,
    "wechatpay-signature": 3,
    "wechatpay-serial": 4,
    "wechatpay-statement-sha1": 5,
    "request-id": 6,
}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def cases(name):
    return json.loads((DATA / "vectors" / f"{name}.json").read_text())["cases"]


def key(name):
    return (DATA / "keys" / name).read_bytes()


def b(text):
    return text.encode() if isinstance(text, str) else text


def field(text):
    data = b(text)
    assert b"\0" not in data, data
    return data + b"\0"


def u16(n):
    return struct.pack("<H", n & 0xFFFF)


written = {}


def seed(target, name, data):
    written.setdefault(target, []).append((f"seed-{name}", data))


def headers(pairs):
    out = bytes([len(pairs)])
    for name, value in pairs:
        code = CODES.get(name.lower())
        out += (bytes([code]) + b"\0") if code else field(name)
        out += field(value)
    return out


def sign(private_pem, timestamp, nonce, body):
    private = serialization.load_pem_private_key(private_pem, password=None)
    message = f"{timestamp}\n{nonce}\n".encode() + b(body) + b"\n"
    return base64.b64encode(private.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def signed_headers(private_pem, serial, body, timestamp=NOW, nonce="vectorNonce0123456789abcdefABCDE"):
    return [
        ("Wechatpay-Timestamp", str(timestamp)),
        ("Wechatpay-Nonce", nonce),
        ("Wechatpay-Serial", serial),
        ("Wechatpay-Signature", sign(private_pem, timestamp, nonce, body)),
    ]


# --- verify_response ----------------------------------------------------------------------------
def verify_seeds():
    picked = ["valid-platform-certificate", "tampered-nonce", "billdownload-skips-verification",
              "overseas-statements-sha1-digest", "missing-wechatpay-serial", "no-content-204-signed",
              "timestamp-older-than-skew", "wrong-serial-platform-key-pubkey-id"]
    for case in cases("verify"):
        if case["id"] not in picked:
            continue
        request, response = case["input"]["request"], case["input"]["response"]
        method = METHODS.index(request["method"])
        path = "/" + request["url"].split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
        body = base64.b64decode(response["body_base64"]) if response.get("body_base64") else b(response.get("body") or "")
        pairs = [(k, v) for k, v in response["headers"].items() if k.lower() in CODES]
        seed("verify_response", case["id"], bytes([method * 4 + 1]) + field(path) + field("") + headers(pairs) + body)
    # Signed by the harness, then tampered: platform key, 0 s; public key, -250 s; statement.
    seed("verify_response", "signed-platform", b"\0\0" + u16(0) + field("nonce-1") + b"\0" + u16(3) + b'{"a":1}')
    seed("verify_response", "signed-pubkey-skewed", b"\0\1" + u16(-250) + field("N") + b"\x0c" + u16(9) + b"[]")
    seed("verify_response", "signed-statement", b"\0\2" + u16(5) + field("s") + b"\x02" + u16(0) + b"date,amount\n1,2\n")


# --- notifications ------------------------------------------------------------------------------
def notification_body(plaintext, nonce="fdasflkja484", aad="transaction", event="TRANSACTION.SUCCESS"):
    ciphertext = AESGCM(APIV3_KEY).encrypt(nonce.encode(), b(plaintext), aad.encode())
    return json.dumps({
        "id": "EV-2018022511223320873", "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource", "event_type": event, "summary": "支付成功",
        "resource": {"original_type": aad, "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": base64.b64encode(ciphertext).decode(), "associated_data": aad, "nonce": nonce},
    }, ensure_ascii=False, separators=(",", ":")).encode()


def notification_seeds():
    platform, wechatpay = key("platform_private_key.pem"), key("wechatpay_pubkey_private_key.pem")
    transaction = json.dumps({"mchid": MCHID, "out_trade_no": "1217752501201407033233368018",
                              "trade_state": "SUCCESS", "amount": {"total": 100, "currency": "CNY"}})
    body = notification_body(transaction)
    seed("notification_v3", "transaction-platform", b"\1" + headers(signed_headers(platform, PLATFORM_SERIAL, body)) + body)
    refund = json.dumps({"out_refund_no": "1217752501201407033233368018", "refund_status": "SUCCESS"})
    body = notification_body(refund, nonce="jlaiue73Lkjd", aad="refund", event="REFUND.SUCCESS")
    seed("notification_v3", "refund-pubkey", b"\1" + headers(signed_headers(wechatpay, PUB_KEY_ID, body)) + body)
    seed("notification_v3", "probe", b"\1" + headers([("Wechatpay-Signature", "WECHATPAY/SIGNTEST/abc"),
                                                       ("Wechatpay-Serial", PLATFORM_SERIAL)]) + b"{}")
    stale = signed_headers(platform, PLATFORM_SERIAL, body, timestamp=NOW - 3600)
    seed("notification_v3", "stale", b"\1" + headers(stale) + body)
    seed("notification_v3", "built", b"\0" + field("EV-1") + field("TRANSACTION.SUCCESS") + field("fdasflkja484")
         + field("transaction") + field('{"trade_state":"SUCCESS"}') + b"\0" + u16(7))
    seed("notification_v3", "built-text", b"\4" + field("EV-2") + field("REFUND.SUCCESS") + field("n")
         + field("") + field("not json") + b"\3" + u16(100))

    for case in cases("v2"):
        if case["kind"] == "response" and case["id"] in ("response-md5-valid", "response-hmac-sha256-valid",
                                                         "response-md5-valid-cdata-and-whitespace",
                                                         "response-md5-tampered", "response-return-code-fail"):
            seed("notification_v2", case["id"], b"\1" + b(case["input"]["response_body"]))
    seed("notification_v2", "built-md5", b"\0\3" + field("appid") + field("wx2421b1c4370ec43b") + field("mch_id")
         + field(MCHID) + field("total_fee") + field("1") + b"\1")
    seed("notification_v2", "built-hmac", b"\4\2" + field("out_trade_no") + field("a<b&c") + field("attach")
         + field("") + b"\0")

    ecb = next(c for c in cases("v2") if c["id"] == "aes-ecb-refund-req-info")
    outer = ("<xml><return_code>SUCCESS</return_code><appid><![CDATA[wx2421b1c4370ec43b]]></appid>"
             f"<mch_id><![CDATA[{MCHID}]]></mch_id><nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str>"
             f"<req_info><![CDATA[{ecb['input']['ciphertext']}]]></req_info></xml>")
    seed("notification_v2_refund", "vector", b"\1" + outer.encode())
    seed("notification_v2_refund", "fail", b"\1<xml><return_code>FAIL</return_code><return_msg>x</return_msg></xml>")
    seed("notification_v2_refund", "no-req-info", b"\1<xml><return_code>SUCCESS</return_code></xml>")
    seed("notification_v2_refund", "built", b"\0\3" + field("refund_status") + field("SUCCESS") + field("out_refund_no")
         + field("131811191610442717309") + field("refund_recv_accout") + field("支付用户零钱") + b"\5" + u16(17))


# --- request preparation ------------------------------------------------------------------------
def prepare_seeds():
    chosen = {"sign": ["facemch-users-mixed", "post-native-prepay-chinese", "post-raw-body-string",
                       "query-amp-eq", "headers-custom-accept", "error-query-int", "put-complaint-notifications"],
              "chain": ["reserved-expansion", "unicode-lowercase", "placeholder-underscores"],
              "v2": ["request-micropay-md5", "request-get-with-query", "request-xml-nested-and-invalid-names",
                     "request-mchid-mismatch", "request-nonceless"]}
    for file, ids in chosen.items():
        for case in cases(file):
            if case["id"] not in ids:
                continue
            template = case["output"].get("pathname_template") or "/".join(case["input"]["chain"])
            method = METHODS.index(case["input"]["method"])
            options = json.dumps(case["input"]["options"], ensure_ascii=False).encode()
            seed("prepare_json", f"{file}-{case['id']}", bytes([method]) + field(template) + options)
    seed("prepare_json", "absolute-loopback", b"\0" + field("http://127.0.0.1:8080/v3/{+path}")
         + b'{"path":"a/b c","base_uri":"https://api2.mch.weixin.qq.com/"}')

    def op(code, *fields):
        return bytes([code]) + b"".join(field(f) for f in fields)
    seed("prepare_typed", "facemch", b"\0" + field("v3/facemch/users") + op(1, "face_sid")
         + op(2, "face_sid", "aabbccdd12345") + op(3, "info_type", "ASK_UNIONID") + op(7, "Accept", "application/json"))
    seed("prepare_typed", "json-post", b"\1" + field("v3/pay/transactions/native")
         + op(5, '{"mchid":"1900000001","amount":{"total":1}}') + op(9) + b"\x10\x27")
    seed("prepare_typed", "v2-xml", b"\1" + field("v2/pay/micropay")
         + op(10, '{"mch_id":"1900000001","body":"QQ公仔","total_fee":"888"}') + op(11))
    seed("prepare_typed", "seg-and-raw-query", b"\0" + field("v3") + op(0, "bill/<kind>") + op(2, "kind", "trade bill")
         + op(4, "?bill_date=2024-11-24&x=a b"))
    seed("prepare_typed", "media", b"\1" + field("v3/merchant/media/upload") + op(13, "logo.png", "\x89PNG\r\n\x1a\n"))
    seed("prepare_typed", "base-uri-body", b"\2" + field("v3/x/{id}") + op(2, "id", "../..") + op(6, "raw body")
         + op(8, "http://localhost:9/prefix"))


# --- keys ---------------------------------------------------------------------------------------
def pem_der(pem):
    lines = [l for l in pem.decode().splitlines() if l and not l.startswith("-----")]
    return base64.b64decode("".join(lines))


def key_seeds():
    for name in ["merchant_apiclient_key.pem", "merchant_apiclient_key_pkcs1.pem", "platform_cert.pem",
                 "merchant_public_key.pem", "merchant_public_key_pkcs1.pem"]:
        seed("key_load", f"pem-{name[:-4]}", b"\0" + key(name))
    seed("key_load", "pem-crlf-cert", b"\1" + key("merchant_apiclient_cert.pem").replace(b"\n", b"\r\n"))
    seed("key_load", "der-file-cert", b"\2" + pem_der(key("platform_cert.pem")))
    seed("key_load", "der-file-pkcs8", b"\2" + pem_der(key("merchant_apiclient_key.pem")))
    seed("key_load", "pseudo-pkcs1-private", b"\3\0" + pem_der(key("merchant_apiclient_key_pkcs1.pem")))
    seed("key_load", "pseudo-spki", b"\3\3" + pem_der(key("wechatpay_public_key.pem")))
    seed("key_load", "pkcs1-to-spki", b"\4" + pem_der(key("merchant_public_key_pkcs1.pem")))
    seed("key_load", "encrypted", b"\0-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n")


# --- XML ----------------------------------------------------------------------------------------
def xml_seeds():
    for case in cases("v2"):
        if case["kind"] == "transformer" and "xml" in case["input"]:
            seed("xml", case["id"], b"\0" + b(case["input"]["xml"]))
        elif case["id"] in ("response-md5-valid-cdata-and-whitespace", "response-hmac-sha256-valid"):
            seed("xml", case["id"], b"\0" + b(case["input"]["response_body"]))
    seed("xml", "refs-and-cr", b"\0<?xml version=\"1.0\" encoding=\"UTF-8\"?><xml><a>1&#13;\n2&lt;&#x4E2D;</a>"
         b"<b><![CDATA[x]]]]><![CDATA[>y]]></b><!-- c --><c><d>1</d><d>2</d></c></xml>")
    seed("xml", "mixed-nested", b"\0<xml><a>t<b/></a></xml>")
    seed("xml", "write-flat", b"\1" + field("xml") + b"\0" + field("return_code") + field("SUCCESS")
         + b"\0" + field("body") + field("a<b]]>c\r\n"))
    seed("xml", "write-nested", b"\1" + field("root") + b"\2" + field("detail") + field("") + b"\1" + field("goods")
         + field("a|b|c") + b"\3" + field("") + field("") + b"\4" + field("1bad key") + field("\x01"))


# --- ciphers ------------------------------------------------------------------------------------
def cipher_seeds():
    for case in cases("aesgcm"):
        if case["id"] in ("refund-notification", "tampered-tag-last-byte", "base64-with-newlines"):
            i = case["input"]
            seed("aes_gcm", case["id"], b"\0" + field(i["key"]) + field(i["nonce"]) + field(i["associated_data"])
                 + b(i["ciphertext"]))
    seed("aes_gcm", "seal-12", b"\1" + field("") + field("fdasflkja484") + field("transaction") + b"\x21" + u16(40)
         + b'{"trade_state":"SUCCESS"}')
    seed("aes_gcm", "seal-16-own-key", b"\3" + field("0123456789abcdef0123456789abcdef") + field("0123456789abcdef")
         + field("") + b"\7" + u16(3) + b"x")

    for case in cases("v2"):
        if case["kind"] == "aes-ecb":
            i = case["input"]
            k = i.get("apiv2_key") or i["key"]
            seed("aes_ecb", case["id"], b"\0" + field(k) + b(i["ciphertext"]))
    seed("aes_ecb", "round-trip", b"\1" + field(APIV2_KEY) + b"<root><refund_status>SUCCESS</refund_status></root>")
    seed("aes_ecb", "raw-key-block", b"\1" + field("0123456789abcdef0123456789abcdef") + b"0123456789abcdef")

    for case in cases("rsa"):
        if case["kind"] == "decrypt":
            seed("rsa_oaep", case["id"], b"\0" + b(case["input"]["ciphertext"]))
    seed("rsa_oaep", "encrypt-name", b"\1\5" + u16(77) + "张三".encode())
    seed("rsa_oaep", "encrypt-too-long", b"\1\0" + u16(0) + b"a" * 215)


# --- multipart ----------------------------------------------------------------------------------
def multipart_seeds():
    paths = {"v3/merchant/media/upload": 0, "v3/merchant/media/video_upload": 1}
    for case in cases("media"):
        i = case["input"]
        path = case["output"]["request"]["url"].split(".com/", 1)[1]
        control = paths.get(path, 5)
        meta = None
        out = field(i["filename"])
        if control == 5:
            out += field(path)
        if case["kind"] == "custom-meta":
            control |= 0x20
            meta = case["output"]["meta_json"]
            out += field(meta)
        seed("multipart", case["id"], bytes([control]) + out + base64.b64decode(i["file_base64"]))
    seed("multipart", "custom-boundary", b"\x43" + field("clip.mp4") + field("fuzz-boundary_1") + b"\0\0\0\x18ftypmp42")
    seed("multipart", "json-endpoint", b"\4" + field("x.png") + b"\x89PNG")
    seed("multipart", "meta-object", b"\x12" + field("dir/card.jpg") + field('{"bank_type":"CARD"}') + b"\xff\xd8\xff\xd9")


# --- download -----------------------------------------------------------------------------------
def download_seeds():
    bill = "交易时间,公众账号ID,商户号\n`2024-11-24 10:00:00,`wx2421b1c4370ec43b,`1900000001\n总交易单数\n`1\n".encode()
    gz = gzip.compress(bill, mtime=0)
    exempt = next(c for c in cases("verify") if c["id"] == "billdownload-skips-verification")
    real_gz = base64.b64decode(exempt["input"]["response"]["body_base64"])

    def shape(framing, path):
        return bytes([path * 5 + framing])

    def cuts(*points):
        return bytes([len(points)]) + b"".join(u16(p) for p in points)
    seed("download", "plain-chunked", b"\x00" + shape(0, 0) + cuts(10, 40) + bill)
    seed("download", "plain-sha256-length", b"\x40" + shape(1, 1) + cuts() + bill)
    seed("download", "gzip-gunzip", b"\x07" + shape(0, 0) + cuts(5) + bill)
    seed("download", "gzip-keep", b"\x05" + shape(2, 1) + cuts(3, 3) + bill)
    seed("download", "gzip-real-file", b"\x03" + shape(1, 0) + cuts() + real_gz)
    seed("download", "gzip-file-as-sent", b"\x03" + shape(0, 0) + cuts(9) + gz)
    seed("download", "short-length", b"\x00" + shape(3, 0) + cuts(1) + bill)
    seed("download", "unfinished-chunks-read", b"\x00" + shape(4, 2) + cuts(2) + bill)
    seed("download", "wrong-digest-stream", b"\x20" + shape(0, 3) + cuts(7) + bill)
    seed("download", "digest-field", b"\x10" + shape(1, 2) + cuts() + field(hashlib.sha1(bill).hexdigest().upper()) + bill)
    seed("download", "corrupt-gzip", b"\x0f" + shape(0, 1) + cuts(12) + bill)


def main():
    verify_seeds()
    notification_seeds()
    prepare_seeds()
    key_seeds()
    xml_seeds()
    cipher_seeds()
    multipart_seeds()
    download_seeds()
    for target, files in written.items():
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("seed-*"):
            old.unlink()
        for name, data in files:
            (directory / name).write_bytes(data)
        print(f"{target}: {len(files)} seeds, {sum(len(d) for _, d in files)} bytes")


if __name__ == "__main__":
    main()
