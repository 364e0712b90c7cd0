//! Fuzz targets: downloads: a real HTTP exchange with an in-process server.

use super::*;

/// How the loopback server frames a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Chunked,
    Length,
    /// Until the connection closes (no length).
    Close,
    /// A `Content-Length` larger than what is sent, then the connection closes.
    ShortLength,
    /// Chunks without the final empty chunk, then the connection closes.
    UnfinishedChunks,
}

struct Plan {
    framing: Framing,
    chunks: Vec<Vec<u8>>,
}

struct Server {
    port: u16,
    plans: Mutex<HashMap<u64, Plan>>,
    next: AtomicU64,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        // Binding 127.0.0.1 port 0 fails only when the machine has no loopback: not an input property.
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the download target");
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        Server { port, plans: Mutex::new(HashMap::new()), next: AtomicU64::new(0) }
    })
}

/// Answers requests on one connection: `GET /v3/billdownload/file?token=N` gets plan N.
fn serve(stream: TcpStream) {
    // Chunks go out as separate small writes: without this, Nagle's algorithm and delayed ACKs add
    // tens of milliseconds to every exchange.
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let token = line.split_once("token=").and_then(|(_, t)| t.split([' ', '&']).next()?.parse::<u64>().ok());
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
        }
        let plan = token.and_then(|t| server().plans.lock().ok()?.remove(&t));
        let Some(plan) = plan else {
            let _ = writer.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            continue;
        };
        let total: usize = plan.chunks.iter().map(Vec::len).sum();
        let head = match plan.framing {
            Framing::Chunked | Framing::UnfinishedChunks => "Transfer-Encoding: chunked\r\n".to_owned(),
            Framing::Length => format!("Content-Length: {total}\r\n"),
            Framing::Close => "Connection: close\r\n".to_owned(),
            Framing::ShortLength => format!("Content-Length: {}\r\nConnection: close\r\n", total + 7),
        };
        let mut out = format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n{head}\r\n").into_bytes();
        for chunk in plan.chunks.iter().filter(|c| !c.is_empty()) {
            if matches!(plan.framing, Framing::Chunked | Framing::UnfinishedChunks) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            } else {
                out.extend_from_slice(chunk);
            }
            if writer.write_all(&out).is_err() {
                return;
            }
            out.clear();
        }
        match plan.framing {
            Framing::Chunked => out.extend_from_slice(b"0\r\n\r\n"),
            Framing::Length => {}
            _ => {
                let _ = writer.write_all(&out);
                let _ = writer.flush();
                let _ = writer.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
        if writer.write_all(&out).and_then(|()| writer.flush()).is_err() {
            return;
        }
    }
}

/// The streamed download path end to end over HTTP: `save_bill` (blocking and async), and `download`
/// read with `Read` or as a `Stream`, with digest and gunzip. Byte 0: bit 0 `tar_type=GZIP`, bit 1
/// gunzip, bit 2 the harness gzips the payload (else the payload is sent as the file), bit 3 corrupt one
/// byte of it, bits 4–5 the digest (0 right, 1 from a field, 2 wrong, 3 right in upper case), bit 6
/// SHA-256 (else SHA-1), bit 7 unused. Byte 1: framing (`% 5`) and path (`/ 5 % 4`: `save_bill`,
/// `save_bill_async`, `Read`, `Stream`). Byte 2: number of chunk cuts, each 2 bytes; the digest field
/// when asked for; payload = rest.
///
/// Properties: an accepted file is complete (a short or unfinished body is always an error), is
/// exactly the bytes sent (or, gunzipped, what they decompress to), and has the promised digest; a
/// complete file with the right digest is accepted with exactly its content; every failure says the
/// request was sent.
pub fn download(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let flags = input.byte();
    let shape = input.byte();
    let (gzip, gunzip, compress, corrupt) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0, flags & 8 != 0);
    let digest_mode = (flags >> 4) & 3;
    let hash_type = if flags & 0x40 != 0 { HashType::Sha256 } else { HashType::Sha1 };
    let framing = [Framing::Chunked, Framing::Length, Framing::Close, Framing::ShortLength, Framing::UnfinishedChunks]
        [usize::from(shape % 5)];
    let path = shape / 5 % 4;
    // `save_bill` knows about gzip; a plain `download` hands out (and digests) the bytes as sent.
    let checked_gzip = gzip && path <= 1;
    let cuts: Vec<usize> = (0..input.byte() % 8).map(|_| usize::from(input.u16())).collect();
    let digest_field = if digest_mode == 1 { Some(input.text()) } else { None };
    let payload = input.rest();

    let mut wire = if gzip && compress {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = encoder.write_all(payload);
        encoder.finish().unwrap_or_default()
    } else {
        payload.to_vec()
    };
    let corrupted = corrupt && !wire.is_empty();
    if corrupted {
        let at = cuts.first().copied().unwrap_or(0) % wire.len();
        wire[at] ^= 0x55;
    }
    let reference = if checked_gzip {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(wire.as_slice()).read_to_end(&mut plain).ok().map(|_| plain)
    } else {
        Some(wire.clone())
    };
    let algorithm = match hash_type {
        HashType::Sha256 => &digest::SHA256,
        _ => &digest::SHA1_FOR_LEGACY_USE_ONLY,
    };
    let true_digest = reference.as_deref().map(|r| digest_hex(algorithm, r)).unwrap_or_default();
    let hash_value = match (digest_mode, digest_field) {
        (1, Some(text)) => text,
        (2, _) => {
            let mut wrong = true_digest.clone().into_bytes();
            if let Some(first) = wrong.first_mut() {
                *first = if *first == b'0' { b'1' } else { b'0' };
            }
            String::from_utf8(wrong).unwrap_or_default()
        }
        (3, _) => true_digest.to_ascii_uppercase(),
        _ => true_digest.clone(),
    };

    let mut cut_points: Vec<usize> = cuts.iter().map(|c| if wire.is_empty() { 0 } else { c % wire.len() }).collect();
    cut_points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cut_points.into_iter().chain(std::iter::once(wire.len())) {
        chunks.push(wire[start..cut].to_vec());
        start = cut;
    }
    let srv = server();
    let token = srv.next.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut plans) = srv.plans.lock() {
        plans.insert(token, Plan { framing, chunks });
    }
    let link = BillLink {
        download_url: format!("http://127.0.0.1:{}/v3/billdownload/file?token={token}", srv.port),
        hash_type,
        hash_value: hash_value.clone(),
        gzip,
    };

    // What the SDK hands out, and whether it calls it complete and verified.
    let (result, out) = match path {
        0 | 1 => {
            let mut out = Vec::new();
            let result = if path == 0 {
                f.client.save_bill(&link, (), gunzip, &mut out)
            } else {
                futures::executor::block_on(f.client.save_bill_async(&link, (), gunzip, &mut out))
            };
            (result, out)
        }
        _ => {
            let mut out = Vec::new();
            let result = read_download(f, &link, path == 2, &mut out);
            (result, out)
        }
    };
    if let Ok(mut plans) = srv.plans.lock() {
        plans.remove(&token);
    }
    let complete = matches!(framing, Framing::Chunked | Framing::Length | Framing::Close);
    let expected_hash = hash_value.trim().to_ascii_lowercase();
    match &result {
        Ok(count) => {
            check!(complete, "a {framing:?} body was accepted as complete");
            check!(*count == out.len() as u64, "{count} bytes reported, {} written", out.len());
            if checked_gzip && gunzip {
                check!(
                    digest_hex(algorithm, &out) == expected_hash,
                    "a gunzipped bill was accepted with another digest"
                );
                if let Some(reference) = &reference {
                    check!(&out == reference, "the gunzipped bill is not the decompressed file");
                }
            } else {
                check!(out == wire, "the file handed out is not the bytes sent");
                let original = if checked_gzip { reference.as_deref() } else { Some(wire.as_slice()) };
                check!(original.is_some(), "a gzip bill that does not decompress was accepted");
                check!(
                    original.is_some_and(|o| digest_hex(algorithm, o) == expected_hash),
                    "a file was accepted although its digest is not `{hash_value}`"
                );
            }
        }
        Err(e) => {
            check!(e.sent() != Sent::No, "a failed download says sent = No: {e}");
            let valid_gzip = !checked_gzip || (compress && !corrupted);
            check!(
                !(complete && matches!(digest_mode, 0 | 3) && valid_gzip && reference.is_some()),
                "a complete file with the right digest was refused ({framing:?}, gzip {checked_gzip}): {e}"
            );
        }
    }
}

/// `Chain::download` with the digest check, read through `Read` (in pieces of varying size) or as a
/// `Stream`, into `out`; returns the byte count like `save_bill`.
fn read_download(f: &Fixture, link: &BillLink, blocking: bool, out: &mut Vec<u8>) -> Result<u64, Error> {
    if blocking {
        let mut download =
            f.client.chain(&link.download_url).download(())?.expect_digest(link.hash_type, &link.hash_value);
        let mut buffer = [0u8; 1000];
        let mut size = 1;
        loop {
            match download.read(&mut buffer[..size]) {
                Ok(0) => return Ok(out.len() as u64),
                Ok(n) => out.extend_from_slice(&buffer[..n]),
                Err(e) => match e.into_inner().map(|inner| inner.downcast::<crate::error::DownloadError>()) {
                    Some(Ok(sdk)) => return Err(Error::from(*sdk)),
                    other => panic!("fuzzing property violated: Download::read failed without an SDK error: {other:?}"),
                },
            }
            size = size % 997 + 7;
        }
    }
    futures::executor::block_on(async {
        use futures::StreamExt;
        let mut download = f
            .client
            .chain(&link.download_url)
            .download_async(())
            .await?
            .expect_digest(link.hash_type, &link.hash_value);
        while let Some(chunk) = download.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.len() as u64)
    })
}
