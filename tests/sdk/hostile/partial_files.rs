//! Partial files.

use super::*;

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn a_failed_download_never_leaves_a_file_that_looks_complete() {
    let server = endless_chunked();
    let dir = temp_dir("partial");
    let target = dir.join("bill.csv");

    let client = server.client();
    let path = target.clone();
    let error = within("save, endless", move || {
        let download = client
            .chain("v3/billdownload/file")
            .download(Options::new().query("token", "t").max_bytes(2 * MIB))
            .unwrap();
        download.save(&path).unwrap_err()
    });
    assert!(matches!(saved_kind(&error), DownloadErrorKind::TooLarge { .. }), "{error}");
    assert_eq!(entries(&dir), Vec::<String>::new(), "neither the file nor its .part may remain");

    // An earlier complete file stays as it was.
    std::fs::write(&target, b"the previous bill").unwrap();
    let client = server.client();
    let link = bill_link(&server, "t", "0".repeat(40), false);
    let path = target.clone();
    let error = within("save_bill_to, endless", move || {
        client.save_bill_to(&link, Options::new().download_timeout(Duration::from_secs(1)), true, &path).unwrap_err()
    });
    assert!(matches!(download_kind(&error), DownloadErrorKind::DeadlineExceeded { .. }), "{error}");
    assert_eq!(entries(&dir), vec!["bill.csv".to_owned()]);
    assert_eq!(std::fs::read(&target).unwrap(), b"the previous bill");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_complete_download_is_renamed_into_place() {
    let body = "交易时间,公众账号ID\n2024-11-24,wx1\n";
    let server = Hostile::start(move |stream, _| {
        write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
        wait_for_close(stream)
    });
    let dir = temp_dir("complete");
    let target = dir.join("bill.csv");
    let client = server.client();
    let link = bill_link(&server, "t", sha1_hex(body.as_bytes()), false);
    let path = target.clone();
    let written = within("save_bill_to", move || client.save_bill_to(&link, (), false, &path).unwrap());
    assert_eq!(written, body.len() as u64);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), body);
    assert_eq!(entries(&dir), vec!["bill.csv".to_owned()]);

    // The wrong digest: the complete body arrives, but the file is not kept.
    std::fs::remove_file(&target).unwrap();
    let client = server.client();
    let link = bill_link(&server, "t", "0".repeat(40), false);
    let path = target.clone();
    let error = within("save_bill_to, bad digest", move || client.save_bill_to(&link, (), false, &path).unwrap_err());
    assert!(matches!(download_kind(&error), DownloadErrorKind::DigestMismatch { .. }), "{error}");
    assert_eq!(entries(&dir), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&dir);
}
