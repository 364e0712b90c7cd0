//! Key and certificate files that are not key files.

use super::*;

fn config_message(error: Error) -> String {
    match error {
        Error::Config(c) => c.message().to_owned(),
        other => panic!("expected a configuration error, got {other}"),
    }
}

#[cfg(unix)]
#[test]
fn devices_fifos_directories_and_huge_files_are_not_read_as_keys() {
    let dir = temp_dir("keys");
    let fifo = dir.join("apiclient_key.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
    let huge = dir.join("huge.pem");
    std::fs::write(&huge, vec![b'A'; 2 * MIB as usize]).unwrap();

    let mut inputs = vec![
        ("/dev/zero".to_owned(), "not a regular file"),
        ("/dev/urandom".to_owned(), "not a regular file"),
        (dir.display().to_string(), "is a directory"),
        (huge.display().to_string(), "larger than 1024 KiB"),
    ];
    if made {
        // Opening a FIFO for reading would block until a writer comes: it must not be opened.
        inputs.push((fifo.display().to_string(), "not a regular file"));
    }
    for (path, expected) in inputs {
        let uri = format!("file://{path}");
        let (key, cert, root, tls) = {
            let uri = uri.clone();
            within("key files", move || {
                let base = || {
                    Client::builder()
                        .mchid(MCHID)
                        .serial(MERCHANT_SERIAL)
                        .cert(PUB_KEY_ID, key_uri("wechatpay_public_key.pem"))
                };
                (
                    base().private_key(uri.clone()).build().unwrap_err(),
                    vector_builder()
                        .public_key("PUB_KEY_ID_0112345678202411240000000000000001", uri.clone())
                        .build()
                        .unwrap_err(),
                    vector_builder().root_certificate(uri.clone()).build().unwrap_err(),
                    vector_builder()
                        .merchant_tls_pem(key_uri("merchant_apiclient_cert.pem"), uri.clone())
                        .build()
                        .unwrap_err(),
                )
            })
        };
        for error in [key, cert, root, tls] {
            let message = config_message(error);
            assert!(message.contains(expected) && message.contains(&path), "{path}: {message}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
