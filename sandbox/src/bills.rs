//! Bills: `GET /v3/bill/tradebill` and `GET /v3/bill/fundflowbill` make a small WeChat-style CSV bill
//! (plain or gzip) for `bill_date`, registered under a random token; the answer gives the SHA-1 of the
//! original bill and a `download_url`, valid for 30 s. `GET /v3/billdownload/file?token=…` then answers
//! the file itself, unsigned (as WeChat Pay sends it).
//!
//! The gzip writer uses DEFLATE stored blocks (RFC 1951 `BTYPE=00`) and its own CRC-32 (RFC 1952), so no
//! compression crate is needed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};

use aws_lc_rs::digest;
use bytes::Bytes;
use serde_json::json;

use crate::lock;
use crate::route::{Answer, File, Reply, Request, method_not_allowed, parse_query};
use crate::state::State;

/// How long a `download_url` stays valid, in seconds.
const DOWNLOAD_TTL: i64 = 30;

/// The bills issued so far, and the sandbox's own origin (for `download_url`).
#[derive(Default)]
pub(crate) struct Bills {
    origin: OnceLock<String>,
    downloads: Mutex<HashMap<String, Download>>,
}

impl Bills {
    /// Records the listening address once it is known.
    pub(crate) fn set_origin(&self, addr: SocketAddr) {
        let _ = self.origin.set(format!("http://{addr}"));
    }
}

/// A bill file waiting to be downloaded.
struct Download {
    file: File,
    expires: i64,
}

/// The bill endpoints; `None` for other paths.
pub(crate) fn route(state: &State, request: &Request<'_>) -> Option<Answer> {
    let bill = match request.path {
        "/v3/bill/tradebill" => Some(Bill::Trade),
        "/v3/bill/fundflowbill" => Some(Bill::FundFlow),
        "/v3/billdownload/file" => None,
        _ => return None,
    };
    if request.method != "GET" {
        return Some(method_not_allowed(request));
    }
    Some(match bill {
        Some(kind) => Answer::Json(self::bill(state, kind, request.query, request.now)),
        None => download(state, request.query, request.now),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Copy)]
enum Bill {
    Trade,
    FundFlow,
}

/// Checks `YYYY-MM-DD` is a real date.
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let number =
        |r: std::ops::Range<usize>| text.get(r).filter(|s| s.bytes().all(|c| c.is_ascii_digit()))?.parse().ok();
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else { return false };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && year >= 1
}

fn bill(state: &State, kind: Bill, query: &str, now: i64) -> Reply {
    let query = parse_query(query);
    let param_error = |name: &str, issue: String| Reply::field_error(400, "PARAM_ERROR", "参数错误", name, &issue);
    let Some(date) = query.get("bill_date").filter(|d| !d.is_empty()) else {
        return param_error("bill_date", "bill_date is required (YYYY-MM-DD)".to_owned());
    };
    if !is_date(date) {
        return param_error("bill_date", format!("`{date}` is not a date in the form YYYY-MM-DD"));
    }
    let rfc3339 = crate::notify::rfc3339_cst(now);
    let today = rfc3339.get(..10).unwrap_or_default();
    if date.as_str() > today {
        return Reply::error(
            400,
            "INVALID_REQUEST",
            format!("账单日期不能晚于今天 (bill_date {date} is after today, {today} China Standard Time)"),
        );
    }
    let choice = |name: &str, allowed: &[&'static str]| -> Result<Option<&'static str>, Reply> {
        match query.get(name) {
            None => Ok(None),
            Some(v) => allowed
                .iter()
                .find(|a| **a == v.as_str())
                .map(|a| Some(*a))
                .ok_or_else(|| param_error(name, format!("`{v}` is not one of {}", allowed.join(", ")))),
        }
    };
    let gzip = match choice("tar_type", &["GZIP"]) {
        Ok(t) => t.is_some(),
        Err(reply) => return reply,
    };
    let csv = match kind {
        Bill::Trade => match choice("bill_type", &["ALL", "SUCCESS", "REFUND"]) {
            Ok(t) => trade_bill(&state.mchid, date, t.unwrap_or("ALL")),
            Err(reply) => return reply,
        },
        Bill::FundFlow => match choice("account_type", &["BASIC", "OPERATION", "FEES"]) {
            Ok(t) => fund_flow_bill(&state.mchid, date, t.unwrap_or("BASIC")),
            Err(reply) => return reply,
        },
    };
    // WeChat Pay's documentation: hash_value is the digest of the original bill ("原始账单（gzip需要解压缩）
    // 的摘要值"), so for GZIP it is over the decompressed CSV, not the bytes downloaded.
    let hash = hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, csv.as_bytes()).as_ref());
    let file = if gzip {
        File { bytes: Bytes::from(gzip_stored(csv.as_bytes())), content_type: "application/x-gzip" }
    } else {
        File { bytes: Bytes::from(csv), content_type: "text/plain; charset=utf-8" }
    };
    let token = crate::keys::random_alnum(64);
    let origin = state.bills.origin.get().map_or("http://127.0.0.1", String::as_str);
    let url = format!("{origin}/v3/billdownload/file?token={token}");
    let mut downloads = lock(&state.bills.downloads);
    downloads.retain(|_, d| d.expires >= now);
    downloads.insert(token, Download { file, expires: now.saturating_add(DOWNLOAD_TTL) });
    Reply::ok(json!({"hash_type": "SHA1", "hash_value": hash, "download_url": url}))
}

fn download(state: &State, query: &str, now: i64) -> Answer {
    let query = parse_query(query);
    let Some(token) = query.get("token").filter(|t| !t.is_empty()) else {
        return Answer::Json(Reply::field_error(400, "PARAM_ERROR", "参数错误", "token", "token is required"));
    };
    match lock(&state.bills.downloads).get(token.as_str()).filter(|d| d.expires >= now) {
        Some(d) => Answer::File(d.file.clone()),
        None => Answer::Json(Reply::error(
            404,
            "RESOURCE_NOT_EXISTS",
            "账单文件不存在或下载链接已过期 (unknown or expired download token)",
        )),
    }
}

/// Deterministic pseudo-random numbers for a bill: SHA-256 of the seed, then of the previous block.
struct Stream {
    block: digest::Digest,
    at: usize,
}

impl Stream {
    fn new(seed: &str) -> Stream {
        Stream { block: digest::digest(&digest::SHA256, seed.as_bytes()), at: 0 }
    }

    /// A number in `0..n` (`n` ≥ 1).
    fn below(&mut self, n: u64) -> u64 {
        if self.at + 8 > self.block.as_ref().len() {
            self.block = digest::digest(&digest::SHA256, self.block.as_ref());
            self.at = 0;
        }
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&self.block.as_ref()[self.at..self.at + 8]);
        self.at += 8;
        u64::from_be_bytes(eight) % n.max(1)
    }
}

/// Fen as yuan with two decimals.
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.unsigned_abs() / 100, fen.unsigned_abs() % 100)
}

/// Units of 10⁻⁵ yuan with five decimals (WeChat Pay's fee precision).
fn yuan5(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    format!("{sign}{}.{:05}", units.unsigned_abs() / 100_000, units.unsigned_abs() % 100_000)
}

/// A CSV line of backtick-prefixed fields, as in WeChat Pay bills.
fn row(fields: &[String]) -> String {
    let mut line = fields.iter().map(|f| format!("`{f}")).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// A payment in a sandbox bill.
struct Order {
    time: String,
    /// When the partial refund of the first order was booked.
    refund_time: String,
    transaction_id: String,
    out_trade_no: String,
    openid: String,
    /// Fen.
    amount: i64,
}

impl Order {
    /// The partial refund of this order that the bills show.
    fn refund(&self) -> i64 {
        (self.amount / 2).max(1)
    }
}

/// One day's two payments of a sandbox merchant, derived from the merchant id and the date.
fn orders(mchid: &str, date: &str) -> Vec<Order> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = Stream::new(&format!("bill\x1f{mchid}\x1f{date}"));
    let compact: String = date.chars().filter(char::is_ascii_digit).collect();
    (0..2)
        .map(|i| {
            let time = format!("{date} {:02}:{:02}:{:02}", 9 + 6 * i + s.below(6), s.below(60), s.below(60));
            let transaction_id = format!("4200{:06}{compact}{:010}", s.below(1_000_000), s.below(10_000_000_000));
            let out_trade_no = format!("SANDBOX{compact}{:06}", s.below(1_000_000));
            let openid: String =
                (0..22).map(|_| char::from(ALPHABET[usize::try_from(s.below(64)).unwrap_or(0)])).collect();
            let amount = 1 + i64::try_from(s.below(99_999)).unwrap_or(0);
            let refund_time = format!("{date} 21:{:02}:{:02}", s.below(60), s.below(60));
            let openid = format!("oUpF8u{openid}");
            Order { time, refund_time, transaction_id, out_trade_no, openid, amount }
        })
        .collect()
}

const APPID: &str = "wx2421b1c4370ec43b";

/// A trade bill (交易账单) for `bill_type` ALL, SUCCESS or REFUND: two payments and a partial refund of
/// the first, each field of a data line prefixed with a backtick, then the totals.
fn trade_bill(mchid: &str, date: &str, bill_type: &str) -> String {
    let orders = orders(mchid, date);
    let compact: String = date.chars().filter(char::is_ascii_digit).collect();
    let mut csv = String::from(
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,\
         货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,\
         商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n",
    );
    let (mut count, mut settled, mut refunded, mut fees, mut ordered) = (0, 0, 0, 0, 0);
    // A payment line, or with `refund` (refund id, fen) a refund line; the totals follow the lines.
    let mut line = |o: &Order, state: &str, refund: Option<(String, i64)>| {
        let (settle, fee, order_amount) = match refund {
            None => (o.amount, o.amount * 6, o.amount),
            Some((_, r)) => (0, -(r * 6), 0),
        };
        let (refund_id, out_refund_no, refund_fen, refund_type, refund_state) = match &refund {
            None => ("0".to_owned(), "0".to_owned(), 0, "", ""),
            Some((id, r)) => (id.clone(), format!("R{}", o.out_trade_no), *r, "ORIGINAL", "SUCCESS"),
        };
        count += 1;
        settled += settle;
        refunded += refund_fen;
        fees += fee;
        ordered += order_amount;
        row(&[
            if refund.is_some() { &o.refund_time } else { &o.time }.clone(),
            APPID.to_owned(),
            mchid.to_owned(),
            "0".to_owned(),
            String::new(),
            o.transaction_id.clone(),
            o.out_trade_no.clone(),
            o.openid.clone(),
            "JSAPI".to_owned(),
            state.to_owned(),
            "OTHERS".to_owned(),
            "CNY".to_owned(),
            yuan(settle),
            "0.00".to_owned(),
            refund_id,
            out_refund_no,
            yuan(refund_fen),
            "0.00".to_owned(),
            refund_type.to_owned(),
            refund_state.to_owned(),
            "沙箱商品".to_owned(),
            String::new(),
            yuan5(fee),
            "0.60%".to_owned(),
            yuan(order_amount),
            yuan(refund_fen),
            String::new(),
        ])
    };
    if bill_type != "REFUND" {
        for o in &orders {
            csv.push_str(&line(o, "SUCCESS", None));
        }
    }
    if bill_type != "SUCCESS"
        && let Some(o) = orders.first()
    {
        let refund_id = format!("5030{:05}{compact}{:012}", o.amount % 100_000, o.refund());
        csv.push_str(&line(o, "REFUND", Some((refund_id, o.refund()))));
    }
    csv.push_str("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n");
    csv.push_str(&row(&[
        count.to_string(),
        yuan(settled),
        yuan(refunded),
        "0.00".to_owned(),
        yuan5(fees),
        yuan(ordered),
        yuan(refunded),
    ]));
    csv
}

/// A line of a fund-flow bill.
struct Entry<'a> {
    order: &'a Order,
    time: &'a str,
    name: &'static str,
    kind: &'static str,
    income: bool,
    /// Fen.
    amount: i64,
    voucher: String,
}

/// A fund-flow bill (资金账单) of the BASIC, OPERATION or FEES account, then the totals.
fn fund_flow_bill(mchid: &str, date: &str, account: &str) -> String {
    let orders = orders(mchid, date);
    let mut csv = String::from(
        "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,\
         资金变更提交申请人,备注,业务凭证号\r\n",
    );
    let mut entries = Vec::new();
    for o in &orders {
        let (name, kind, income, amount, voucher) = match account {
            "OPERATION" => ("充值", "充值", true, o.amount * 10, o.out_trade_no.clone()),
            // The fee, in fen rounded up.
            "FEES" => ("手续费", "扣除手续费", false, (o.amount * 6 + 999) / 1000, o.out_trade_no.clone()),
            _ => ("交易", "交易", true, o.amount, o.out_trade_no.clone()),
        };
        entries.push(Entry { order: o, time: &o.time, name, kind, income, amount, voucher });
    }
    if let Some(o) = orders.first().filter(|_| account == "BASIC") {
        let voucher = format!("R{}", o.out_trade_no);
        let (name, kind, amount) = ("退款", "退款", o.refund());
        entries.push(Entry { order: o, time: &o.refund_time, name, kind, income: false, amount, voucher });
    }
    let (mut balance, mut income, mut income_count, mut expense, mut expense_count) = (100_000, 0, 0, 0, 0);
    for (i, e) in entries.iter().enumerate() {
        if e.income {
            balance += e.amount;
            income += e.amount;
            income_count += 1;
        } else {
            balance -= e.amount;
            expense += e.amount;
            expense_count += 1;
        }
        let id = &e.order.transaction_id;
        csv.push_str(&row(&[
            e.time.to_owned(),
            id.clone(),
            format!("{}{:08}", id.get(..20).unwrap_or(id), i + 1),
            e.name.to_owned(),
            e.kind.to_owned(),
            if e.income { "收入" } else { "支出" }.to_owned(),
            yuan(e.amount),
            yuan(balance),
            "system".to_owned(),
            String::new(),
            e.voucher.clone(),
        ]));
    }
    csv.push_str("资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n");
    csv.push_str(&row(&[
        entries.len().to_string(),
        income_count.to_string(),
        yuan(income),
        expense_count.to_string(),
        yuan(expense),
    ]));
    csv
}

// ---------------------------------------------------------------------------------------------------
// gzip with stored blocks

/// The CRC-32 of RFC 1952 (reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF).
fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[n] = c;
            n += 1;
        }
        table
    };
    !data.iter().fold(!0u32, |c, b| TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8))
}

/// A gzip file (RFC 1952) whose DEFLATE stream (RFC 1951) is stored, uncompressed blocks of at most
/// 65535 bytes.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let blocks = data.len().div_ceil(0xFFFF).max(1);
    let mut out = Vec::with_capacity(data.len() + 5 * blocks + 18);
    // ID1 ID2, CM = 8 (deflate), FLG = 0, MTIME = 0, XFL = 0, OS = 255 (unknown).
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let mut chunks = data.chunks(0xFFFF).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        // BFINAL in bit 0, BTYPE = 00 in bits 1-2; a stored block then starts on a byte boundary.
        out.push(u8::from(chunks.peek().is_none()));
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    // ISIZE: the input length modulo 2^32.
    out.extend_from_slice(&((data.len() & 0xFFFF_FFFF) as u32).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gunzip_stored(gz: &[u8]) -> Result<Vec<u8>, String> {
        if gz.len() < 18 || gz[..4] != [0x1f, 0x8b, 8, 0] {
            return Err("not a plain gzip header".into());
        }
        let mut pos = 10;
        let mut out = Vec::new();
        loop {
            let header = *gz.get(pos).ok_or("truncated")?;
            if header & 0b110 != 0 {
                return Err("not a stored block".into());
            }
            let field = |at: usize| gz.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]])).ok_or("truncated");
            let (len, nlen) = (field(pos + 1)?, field(pos + 3)?);
            if len != !nlen {
                return Err("LEN/NLEN mismatch".into());
            }
            let start = pos + 5;
            out.extend_from_slice(gz.get(start..start + usize::from(len)).ok_or("truncated")?);
            pos = start + usize::from(len);
            if header & 1 == 1 {
                break;
            }
        }
        let trailer = gz.get(pos..pos + 8).ok_or("no trailer")?;
        let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        if crc != crc32(&out) || size as usize != out.len() || gz.len() != pos + 8 {
            return Err("bad trailer".into());
        }
        Ok(out)
    }

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    }

    #[test]
    fn gzip_stored_blocks_round_trip() {
        for len in [0usize, 1, 100, 0xFFFF, 0x10000, 3 * 0xFFFF + 7] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let gz = gzip_stored(&data);
            assert_eq!(gz.len(), data.len() + 18 + 5 * data.len().div_ceil(0xFFFF).max(1), "{len}");
            assert_eq!(gunzip_stored(&gz).as_deref(), Ok(data.as_slice()), "{len}");
        }
        // The empty input is one final empty stored block.
        assert_eq!(&gzip_stored(b"")[10..15], &[1, 0, 0, 0xff, 0xff]);
    }

    #[test]
    fn dates_and_amounts() {
        assert!(is_date("2024-02-29") && is_date("2000-02-29") && is_date("2024-12-31"));
        assert!(!is_date("2023-02-29") && !is_date("1900-02-29") && !is_date("2024-13-01") && !is_date("2024-04-31"));
        assert!(!is_date("2024-1-01") && !is_date("2024/01/01") && !is_date("") && !is_date("２０２４-01-01"));
        assert_eq!((yuan(1), yuan(-12345), yuan(100)), ("0.01".into(), "-123.45".into(), "1.00".into()));
        assert_eq!(yuan5(6), "0.00006");
        let bill = trade_bill("1900000001", "2024-11-24", "ALL");
        assert!(bill.starts_with("交易时间,公众账号ID,商户号,"));
        assert_eq!(bill.lines().count(), 6);
        assert_eq!(bill, trade_bill("1900000001", "2024-11-24", "ALL"));
        assert_eq!(trade_bill("1900000001", "2024-11-24", "SUCCESS").lines().count(), 5);
        assert_eq!(fund_flow_bill("1900000001", "2024-11-24", "BASIC").lines().count(), 6);
    }
}
