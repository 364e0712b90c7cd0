//! Endless, dripping and stalled bodies; a 10 GB Content-Length.

use super::*;

#[test]
fn an_endless_body_stops_at_max_bytes() {
    let server = endless_chunked();
    let client = server.client();
    let (received, ended) = within("endless body, max_bytes", move || {
        drain(&client, Options::new().max_bytes(8 * MIB).download_timeout(Duration::from_secs(60)))
    });
    let error = ended.unwrap_err();
    assert_eq!(download_kind(&error), DownloadErrorKind::TooLarge { limit: 8 * MIB, announced: None }, "{error}");
    assert_eq!(error.sent(), Sent::Yes);
    assert!(received <= 8 * MIB, "{received} bytes handed out past the cap");
    assert!(error.to_string().contains("max_bytes"), "{error}");
    server.wait_connection_closed();

    // The same cap from the client builder.
    let client = vector_builder().base_uri(server.base_uri()).max_download_bytes(MIB).build().unwrap();
    let (_, ended) = within("endless body, max_download_bytes", move || drain(&client, Options::new()));
    assert_eq!(download_kind(&ended.unwrap_err()), DownloadErrorKind::TooLarge { limit: MIB, announced: None });
}

#[test]
fn an_endless_body_stops_at_the_deadline() {
    let server = endless_chunked();
    let client = server.client();
    let started = Instant::now();
    let (received, ended) = within("endless body, deadline", move || {
        drain(&client, Options::new().download_timeout(Duration::from_secs(2)))
    });
    let error = ended.unwrap_err();
    assert_eq!(download_kind(&error), DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(2) });
    assert!(error.is_timeout() && error.sent() == Sent::Yes, "{error}");
    assert!(started.elapsed() >= Duration::from_secs(2), "ended before its deadline");
    assert!(received > 0);
    server.wait_connection_closed();

    // The deadline from the client builder, and JSON options for the per-call form.
    let client = vector_builder().base_uri(server.base_uri()).download_timeout(Duration::from_secs(1)).build().unwrap();
    let (_, ended) = within("endless body, builder deadline", move || drain(&client, Options::new()));
    assert_eq!(
        download_kind(&ended.unwrap_err()),
        DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(1) }
    );
    let client = server.client();
    let (_, ended) = within("endless body, JSON options", move || {
        drain(&client, Options::from(json!({"download_timeout": 1.5, "max_bytes": 1_000_000_000_000u64})))
    });
    assert_eq!(
        download_kind(&ended.unwrap_err()),
        DownloadErrorKind::DeadlineExceeded { limit: Duration::from_millis(1500) }
    );
}

#[test]
fn a_reader_that_stops_reading_still_releases_the_connection_at_the_deadline() {
    let server = endless_chunked();
    let client = server.client();
    let ended = within("paused reader", move || {
        let mut download = client
            .chain("v3/billdownload/file")
            .download(Options::new().query("token", "t").download_timeout(Duration::from_secs(2)))
            .unwrap();
        let mut first = [0u8; 16];
        download.read_exact(&mut first).unwrap();
        // The reader pauses past the deadline while the server keeps sending: the SDK's buffer fills,
        // and the connection is let go at the deadline rather than held for the reader.
        std::thread::sleep(Duration::from_secs(4));
        let mut rest = Vec::new();
        let error = download.read_to_end(&mut rest).unwrap_err();
        let error = Error::from(*error.into_inner().unwrap().downcast::<DownloadError>().unwrap());
        // Reading again after the failure fails again, never a clean end of file.
        let again = download.read(&mut first).unwrap_err();
        (error, again.kind())
    });
    let (error, again) = ended;
    assert_eq!(download_kind(&error), DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(2) });
    assert_eq!(again, std::io::ErrorKind::InvalidData);
    server.wait_connection_closed();
}

#[test]
fn a_drip_of_one_byte_a_second_ends_at_the_deadline() {
    let server = Hostile::start(|stream, _| {
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")?;
        loop {
            stream.write_all(b"x")?;
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let client = server.client();
    // The idle timeout (the call's 30 s `timeout`) never fires: a byte arrives every second.
    let (received, ended) =
        within("drip", move || drain(&client, Options::new().download_timeout(Duration::from_secs(3))));
    let error = ended.unwrap_err();
    assert_eq!(download_kind(&error), DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(3) }, "{error}");
    assert!(received < 1000);
    server.wait_connection_closed();
}

#[test]
fn a_stalled_body_ends_at_the_idle_timeout() {
    let server = Hostile::start(|stream, _| {
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nsome")?;
        wait_for_close(stream)
    });
    let client = server.client();
    let (received, ended) = within("stall", move || drain(&client, Options::new().timeout(Duration::from_secs(1))));
    let error = ended.unwrap_err();
    assert_eq!(download_kind(&error), DownloadErrorKind::Stalled { idle: Duration::from_secs(1) }, "{error}");
    assert!(error.is_timeout() && error.sent() == Sent::Yes);
    assert_eq!(received, 4);
    server.wait_connection_closed();

    // Async: the stream's last item is the error, then it ends.
    let client = server.client();
    let items = within("stall, async", move || {
        futures::executor::block_on(async {
            use futures::StreamExt;
            let options = Options::new().query("token", "t").timeout(Duration::from_secs(1));
            let stream = client.chain("v3/billdownload/file").download_async(options).await.unwrap();
            stream.collect::<Vec<_>>().await
        })
    });
    assert!(matches!(items.last(), Some(Err(_))), "{items:?}");
    assert!(items[..items.len() - 1].iter().all(Result::is_ok));
}

/// Announces 10 GB and streams zeros for as long as the client reads.
fn ten_gigabytes() -> Hostile {
    Hostile::start(|stream, _| {
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n")?;
        write_forever(stream, &[0u8; 64 * 1024])
    })
}

#[test]
fn a_ten_gigabyte_content_length_is_refused_before_reading() {
    let server = ten_gigabytes();
    let client = server.client();
    let (received, ended) = within("10 GB, max_bytes", move || drain(&client, Options::new().max_bytes(100 * MIB)));
    let error = ended.unwrap_err();
    assert_eq!(
        download_kind(&error),
        DownloadErrorKind::TooLarge { limit: 100 * MIB, announced: Some(10_000_000_000) },
        "{error}"
    );
    assert_eq!((received, error.sent()), (0, Sent::Yes));
    assert!(error.to_string().contains("10000000000"), "{error}");
    server.wait_connection_closed();

    // A bill has a cap by default; nothing is written.
    let client = server.client();
    let link = bill_link(&server, "big", "0".repeat(40), false);
    let (written, error) = within("10 GB bill", move || {
        let mut out = Counting::default();
        let error = client.save_bill(&link, (), false, &mut out).unwrap_err();
        (out.0, error)
    });
    assert_eq!(
        download_kind(&error),
        DownloadErrorKind::TooLarge { limit: DEFAULT_MAX_BILL_BYTES, announced: Some(10_000_000_000) }
    );
    assert_eq!(written, 0);

    // Without a cap, the deadline ends it.
    let client = server.client();
    let (received, ended) =
        within("10 GB, no cap", move || drain(&client, Options::new().download_timeout(Duration::from_secs(2))));
    assert_eq!(
        download_kind(&ended.unwrap_err()),
        DownloadErrorKind::DeadlineExceeded { limit: Duration::from_secs(2) }
    );
    assert!(received < 10_000_000_000);
}

#[test]
fn download_limits_are_refused_where_they_do_not_apply() {
    let server = ten_gigabytes();
    let client = server.client();
    for options in [Options::new().max_bytes(1), Options::from(json!({"download_timeout": 5}))] {
        let error = client.chain("v3/pay/transactions/id/1").get(options).unwrap_err();
        assert!(matches!(&error, Error::Input(_)) && error.sent() == Sent::No, "{error}");
        assert!(error.to_string().contains("download"), "{error}");
    }
    for bad in [
        json!({"max_bytes": 0}),
        json!({"max_bytes": -1}),
        json!({"download_timeout": 0}),
        json!({"download_timeout": "1"}),
    ] {
        let error = client.chain("v3/billdownload/file").download(Options::from(bad.clone())).unwrap_err();
        assert!(matches!(error, Error::Input(_)), "{bad}: {error}");
    }
    let error = vector_builder().max_download_bytes(0).build().unwrap_err();
    assert!(matches!(&error, Error::Config(c) if c.setting() == "max_download_bytes"), "{error}");
    let error = vector_builder().download_timeout(Duration::ZERO).build().unwrap_err();
    assert!(matches!(&error, Error::Config(c) if c.setting() == "download_timeout"), "{error}");
}
