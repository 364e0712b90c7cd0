//! Bills through the ordinary path still work.

use super::*;

#[test]
fn a_genuine_gzip_bill_within_the_limits_is_saved() {
    let csv: Vec<u8> =
        (0..20_000).flat_map(|i| format!("2024-11-24 10:00:{i:05},wx2421b1c4370ec43b,{i}\n").into_bytes()).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&csv).unwrap();
    let gz = Arc::new(gz.finish().unwrap());
    let served = Arc::clone(&gz);
    let server = Hostile::start(move |stream, _| {
        write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", served.len())?;
        stream.write_all(&served)?;
        wait_for_close(stream)
    });
    let client = server.client();
    let link = bill_link(&server, "t", sha1_hex(&csv), true);
    let (plain, packed) = within("genuine bill", move || {
        let mut plain = Vec::new();
        client.save_bill(&link, Options::new().max_bytes(csv.len() as u64), true, &mut plain).unwrap();
        let mut packed = Vec::new();
        client.save_bill(&link, (), false, &mut packed).unwrap();
        assert_eq!(plain, csv);
        // One byte under the decompressed size is over the cap.
        let error = client
            .save_bill(&link, Options::new().max_bytes(csv.len() as u64 - 1), true, &mut Counting::default())
            .unwrap_err();
        assert_eq!(download_kind(&error), DownloadErrorKind::InflatedTooLarge { limit: csv.len() as u64 - 1 });
        (plain.len(), packed)
    });
    assert!(plain > 0);
    assert_eq!(packed, *gz);
}
