use super::*;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keys");

fn path(name: &str) -> std::path::PathBuf {
    Path::new(KEYS).join(name)
}

fn text(name: &str) -> String {
    std::fs::read_to_string(path(name)).unwrap()
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wechatpay-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    file
}

#[test]
fn typed_constructors_agree_with_the_php_strings() {
    for name in ["merchant_apiclient_key.pem", "merchant_apiclient_key_pkcs1.pem", "platform_private_key.pem"] {
        let loaded = PrivateKey::load(&format!("file://{}", path(name).display())).unwrap();
        let from_pem = PrivateKey::from_pem(&text(name)).unwrap();
        let from_file = PrivateKey::from_pem_file(path(name)).unwrap();
        let der = crate::crypto::pem::decode(&text(name)).unwrap().der;
        let from_der = PrivateKey::from_der(&der).unwrap();
        for key in [&from_pem, &from_file, &from_der] {
            assert_eq!(key.public_key_der(), loaded.public_key_der(), "{name}");
            assert_eq!(key.bits(), 2048);
        }
        // A DER file loads like the PEM it came from.
        let der_file = temp_file(&format!("{name}.der"), &der);
        assert_eq!(PrivateKey::from_pem_file(&der_file).unwrap().public_key_der(), loaded.public_key_der());
    }
    for name in
        ["platform_cert.pem", "merchant_public_key.pem", "merchant_public_key_pkcs1.pem", "wechatpay_public_key.pem"]
    {
        let loaded = PublicKey::load(&text(name)).unwrap();
        let der = crate::crypto::pem::decode(&text(name)).unwrap().der;
        for key in [
            PublicKey::from_pem(&text(name)).unwrap(),
            PublicKey::from_pem_file(path(name)).unwrap(),
            PublicKey::from_der(&der).unwrap(),
        ] {
            assert_eq!(key.rsa_public_key_der(), loaded.rsa_public_key_der(), "{name}");
            assert_eq!(key.certificate(), loaded.certificate(), "{name}");
        }
    }
}

#[test]
fn every_failure_has_a_kind() {
    let kind_of_private = |r: Result<PrivateKey, KeyError>| r.unwrap_err().kind();
    let kind_of_public = |r: Result<PublicKey, KeyError>| r.unwrap_err().kind();

    assert_eq!(kind_of_private(PrivateKey::load("  ")), KeyErrorKind::Empty);
    assert_eq!(kind_of_private(PrivateKey::from_pem("")), KeyErrorKind::Empty);
    assert_eq!(kind_of_public(PublicKey::from_der(&[])), KeyErrorKind::Empty);

    assert_eq!(kind_of_private(PrivateKey::from_pem_file(path("missing.pem"))), KeyErrorKind::File);
    assert_eq!(kind_of_public(PublicKey::from_pem_file(KEYS)), KeyErrorKind::File);

    assert_eq!(kind_of_private(PrivateKey::load("apiclient_key.pem")), KeyErrorKind::Format);
    assert_eq!(kind_of_private(PrivateKey::from_pem("MIIEvQIBADANBg")), KeyErrorKind::Format);
    assert_eq!(kind_of_public(PublicKey::from_der(b"\x30\x03\x02\x01\x01")), KeyErrorKind::Format);
    let odd_label = "-----BEGIN DH PARAMETERS-----\nMIIB\n-----END DH PARAMETERS-----\n";
    assert_eq!(kind_of_public(PublicKey::from_pem(odd_label)), KeyErrorKind::Format);

    let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert_eq!(kind_of_private(PrivateKey::from_pem(encrypted)), KeyErrorKind::Encrypted);

    assert_eq!(kind_of_private(PrivateKey::from_pem(&text("platform_cert.pem"))), KeyErrorKind::WrongKind);
    assert_eq!(kind_of_private(PrivateKey::from_pem_file(path("wechatpay_public_key.pem"))), KeyErrorKind::WrongKind);
    assert_eq!(kind_of_public(PublicKey::from_pem(&text("merchant_apiclient_key.pem"))), KeyErrorKind::WrongKind);

    let broken_cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    assert_eq!(kind_of_public(PublicKey::from_pem(broken_cert)), KeyErrorKind::Malformed);

    // A PKCS#1 RSAPublicKey with a 1024-bit modulus: SEQUENCE { INTEGER (129 bytes), INTEGER 65537 }.
    let mut small = vec![0x30, 0x81, 0x89, 0x02, 0x81, 0x81, 0x00, 0xc1];
    small.extend(std::iter::repeat_n(0x5a, 127));
    small.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
    let e = PublicKey::from_der(&small).unwrap_err();
    assert_eq!(e.kind(), KeyErrorKind::Unsupported, "{e}");
    assert!(e.message().contains("1024 bits"), "{e}");
}

#[test]
fn errors_compose_with_question_mark_and_name_the_file() {
    fn load(path: &Path) -> Result<PrivateKey, Box<dyn std::error::Error + Send + Sync>> {
        Ok(PrivateKey::from_pem_file(path)?)
    }
    let junk = temp_file("junk.pem", b"not a key at all");
    let e = load(&junk).unwrap_err();
    let e = e.downcast_ref::<KeyError>().unwrap();
    assert_eq!(e.kind(), KeyErrorKind::Format);
    assert!(e.to_string().contains("junk.pem"), "{e}");
    assert!(load(&path("merchant_apiclient_key.pem")).is_ok());
}

#[test]
fn damaged_crt_parameters_are_refused() {
    // Found by the `key_load` fuzz target: with one byte of `dP` changed, ring loaded the key and then
    // refused every signature; both backends now refuse it when it is loaded.
    let mut der = crate::crypto::pem::decode(&text("merchant_apiclient_key_pkcs1.pem")).unwrap().der;
    assert!(PrivateKey::load(&format!("private.pkcs1://{}", STANDARD.encode(&der))).is_ok());
    der[842] ^= 0x1b;
    let refused = PrivateKey::load(&format!("private.pkcs1://{}", STANDARD.encode(&der))).unwrap_err();
    assert!(matches!(refused.kind(), KeyErrorKind::Malformed | KeyErrorKind::Backend), "{refused}");
    assert!(PrivateKey::from_der(&der).is_err());
}
