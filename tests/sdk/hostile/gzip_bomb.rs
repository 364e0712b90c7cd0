//! The gzip bomb.

use super::*;

/// A gzip file of `mib` MiB of zeros, in parts that are sent one after another: the gzip header and a
/// first deflate block, one block repeated `mib - 1` times (each 1 MiB of zeros, ~1 KiB, byte-aligned
/// by a sync flush and referring only to earlier zeros, so every repetition decodes the same), the
/// final block, and the trailer (CRC-32 and size). About 2 MB for 2 GiB; never held whole.
struct Bomb {
    head: Vec<u8>,
    block: Vec<u8>,
    repeats: u64,
    tail: Vec<u8>,
}

impl Bomb {
    fn new(mib: u64) -> Bomb {
        use flate2::{Compress, Compression, FlushCompress};
        let zeros = vec![0u8; MIB as usize];
        let mut deflate = Compress::new(Compression::best(), false);
        let mut compress = |input: &[u8], flush| {
            let mut out = Vec::with_capacity(64 * 1024);
            let before = deflate.total_in();
            deflate.compress_vec(input, &mut out, flush).unwrap();
            assert_eq!(deflate.total_in() - before, input.len() as u64, "the whole input is taken at once");
            out
        };
        let first = compress(&zeros, FlushCompress::Sync);
        let block = compress(&zeros, FlushCompress::Sync);
        assert_eq!(compress(&zeros, FlushCompress::Sync), block, "the repeated block is stable");
        let last = compress(&[], FlushCompress::Finish);

        let mut head = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        head.extend_from_slice(&first);
        // The compressor saw a third copy only to check that the block is stable; the final block refers
        // to nothing before it.
        let repeats = mib - 1;
        let mut tail = last;
        tail.extend_from_slice(&crc32_of_zeros(mib * MIB).to_le_bytes());
        tail.extend_from_slice(&((mib * MIB) as u32).to_le_bytes());
        Bomb { head, block, repeats, tail }
    }

    fn len(&self) -> u64 {
        self.head.len() as u64 + self.block.len() as u64 * self.repeats + self.tail.len() as u64
    }

    fn send(&self, stream: &mut impl Write) -> std::io::Result<()> {
        stream.write_all(&self.head)?;
        for _ in 0..self.repeats {
            stream.write_all(&self.block)?;
        }
        stream.write_all(&self.tail)
    }

    /// A server that answers every request with this bomb as the body.
    fn serve(self) -> Hostile {
        let bomb = Arc::new(self);
        Hostile::start(move |stream, _| {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bomb.len()
            )?;
            bomb.send(stream)?;
            wait_for_close(stream)
        })
    }
}

/// CRC-32 (gzip's) of `n` zero bytes without reading them: zero bytes only multiply the CRC register
/// by x^8 each, so the register is 0xFFFFFFFF · x^(8n) mod P, computed by squaring.
fn crc32_of_zeros(n: u64) -> u32 {
    const POLY: u32 = 0xedb8_8320;
    // a · b mod P, bit-reflected (bit 31 is x^0).
    fn mul(a: u32, mut b: u32) -> u32 {
        let mut product = 0;
        for bit in (0..32).rev() {
            if a & (1 << bit) != 0 {
                product ^= b;
            }
            b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
        }
        product
    }
    let (mut power, mut x_2k, mut bits) = (1u32 << 31, 1u32 << 30, n * 8); // x^0, x^1, exponent
    while bits > 0 {
        if bits & 1 == 1 {
            power = mul(x_2k, power);
        }
        x_2k = mul(x_2k, x_2k);
        bits >>= 1;
    }
    !mul(power, 0xffff_ffff)
}

#[test]
fn the_bomb_is_a_valid_gzip_file() {
    let mut crc = flate2::Crc::new();
    crc.update(&vec![0u8; 3 * MIB as usize + 5]);
    assert_eq!(crc32_of_zeros(3 * MIB + 5), crc.sum());
    assert_eq!(crc32_of_zeros(0), 0);

    let bomb = Bomb::new(4);
    let mut gz = Vec::new();
    bomb.send(&mut gz).unwrap();
    assert_eq!(gz.len() as u64, bomb.len());
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut plain).unwrap();
    assert_eq!(plain.len() as u64, 4 * MIB);
    assert!(plain.iter().all(|&b| b == 0));
    // 2 GiB of zeros in about 2 MB.
    let big = Bomb::new(2048);
    assert!(big.len() < 4 * MIB, "{}", big.len());
}

fn bomb_link(server: &Hostile) -> BillLink {
    bill_link(server, "bomb", "0".repeat(40), true)
}

#[test]
fn a_gzip_bomb_stops_at_the_size_cap() {
    let server = Bomb::new(2048).serve();
    for gunzip in [true, false] {
        let client = server.client();
        let link = bomb_link(&server);
        let (written, error) = within("gzip bomb", move || {
            let mut out = Counting::default();
            let error = client.save_bill(&link, Options::new().max_bytes(64 * MIB), gunzip, &mut out).unwrap_err();
            (out.0, error)
        });
        assert_eq!(download_kind(&error), DownloadErrorKind::InflatedTooLarge { limit: 64 * MIB }, "{error}");
        assert_eq!(error.sent(), Sent::Yes);
        assert!(error.to_string().contains("gzip bomb"), "{error}");
        // Decompressed, at most the cap was written; kept compressed, at most what arrived.
        assert!(written <= 64 * MIB, "gunzip={gunzip}: {written} bytes written");
        server.wait_connection_closed();
    }

    // Async, into a tokio writer, with the cap from the builder.
    let client = vector_builder().base_uri(server.base_uri()).max_download_bytes(32 * MIB).build().unwrap();
    let link = bomb_link(&server);
    let error = within("gzip bomb, async", move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async { client.save_bill_async(&link, (), true, &mut tokio::io::sink()).await.unwrap_err() })
    });
    assert_eq!(download_kind(&error), DownloadErrorKind::InflatedTooLarge { limit: 32 * MIB }, "{error}");
    server.wait_connection_closed();
}

/// `VmHWM` (peak resident memory) of this process in KiB, where the system reports it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const MEASURE_ENV: &str = "WECHATPAY_HOSTILE_MEASURE";

/// The 2 GiB bomb through `save_bill` with gunzip and a 512 MiB cap (a quarter of the bomb, 256 times
/// its compressed size, kept moderate because unoptimized test builds inflate slowly), then `VmHWM`.
/// Run alone in a child process by [`gzip_bomb_peak_memory_stays_under_64_mib`], so nothing else in
/// the test binary raises the peak.
#[test]
#[ignore = "run in a process of its own by gzip_bomb_peak_memory_stays_under_64_mib"]
fn gzip_bomb_in_this_process() {
    let server = Bomb::new(2048).serve();
    let client = server.client();
    let link = bomb_link(&server);
    let before = peak_rss_kib().expect("VmHWM in /proc/self/status");
    let (written, error) = within("gzip bomb, 512 MiB", move || {
        let mut out = Counting::default();
        let error = client.save_bill(&link, Options::new().max_bytes(512 * MIB), true, &mut out).unwrap_err();
        (out.0, error)
    });
    let peak = peak_rss_kib().expect("VmHWM in /proc/self/status");
    println!("VmHWM_KIB={peak} (before the bomb: {before})");
    assert_eq!(download_kind(&error), DownloadErrorKind::InflatedTooLarge { limit: 512 * MIB }, "{error}");
    // Everything up to the cap came out, in small steps.
    assert!(written > 511 * MIB && written <= 512 * MIB, "{written}");
    assert!(peak < 64 * 1024, "peak resident memory {peak} KiB during the gzip bomb");
}

#[cfg(target_os = "linux")]
#[test]
fn gzip_bomb_peak_memory_stays_under_64_mib() {
    if std::env::var_os(MEASURE_ENV).is_some() {
        return; // inside the child: the measurement is gzip_bomb_in_this_process
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "hostile::gzip_bomb::gzip_bomb_in_this_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(MEASURE_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Hang detector for the child: generous, since 512 MiB are inflated in an unoptimized build.
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the gzip bomb child process did not finish within 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the measuring test did not run:\n{stdout}");
    let peak: u64 = stdout
        .lines()
        .find_map(|l| l.split("VmHWM_KIB=").nth(1))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM reported:\n{stdout}"));
    assert!(peak < 64 * 1024, "peak resident memory {peak} KiB");
}
