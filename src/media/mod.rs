//! Media uploads (图片/视频/文件上传): a file sent as `multipart/form-data` with a `meta` JSON part,
//! where the request signature covers the `meta` JSON, not the multipart body.
//!
//! Build a [`Media`] from a path, bytes or an async reader, pass it with
//! [`Options::media`](crate::Options::media), and `post` to an upload endpoint:
//!
//! ```
//! use wechatpay_sandbox::Sandbox;
//! use wechatpay_chain::{Media, Options};
//!
//! let sandbox = Sandbox::start()?;
//! let client = sandbox.client_builder().build()?;
//! # let png = b"\x89PNG\r\n\x1a\n".to_vec();
//! let media = Media::from_bytes("logo.png", png)?; // or Media::from_path("/path/to/logo.png")?
//! let res = client.v3().merchant().media().upload().post(Options::new().media(media))?;
//! let media_id = res.json()?["media_id"].as_str().unwrap_or_default().to_owned();
//! assert!(!media_id.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is sent
//!
//! * `meta` defaults to `{"filename":"<name>","sha256":"<lowercase hex SHA-256 of the file>"}`, compact, in
//!   that order, encoded like wechatpay-php's `json_encode` with default flags: non-ASCII characters become
//!   `\uXXXX` (lowercase hex, surrogate pairs above U+FFFF) and `/` becomes `\/`. These are the bytes that
//!   are signed, so a Rust upload signs exactly what the PHP SDK signs. [`Media::meta`] replaces the meta
//!   with any JSON object (encoded the same way); [`Media::meta_json`] takes JSON text verbatim.
//! * The body is `--B`, the `meta` part (`Content-Type: application/json`, then
//!   `Content-Disposition: form-data; name="meta"`), the `file` part (`Content-Disposition: form-data;
//!   name="file"; filename="<name, raw UTF-8>"`, `Content-Length`, `Content-Type` from the extension), then
//!   `--B--`, every line ending in CRLF: byte for byte what Guzzle's `MultipartStream` writes. `B` is 40
//!   random hex characters from the operating system's CSPRNG unless [`Media::boundary`] sets it.
//! * `Content-Type: multipart/form-data; boundary=B` and a `Content-Length` (PHP streams it chunked with
//!   `Expect: 100-Continue`; a fixed length is simpler for every server and proxy on the way).
//!
//! # Checked before anything is sent
//!
//! | endpoint | file extensions | largest file |
//! | --- | --- | --- |
//! | `POST v3/merchant/media/upload` (图片上传) | jpg, jpeg, png, bmp | 2 MiB |
//! | `POST v3/merchant/media/video_upload` (视频上传) | avi, wmv, mpeg, mp4, mov, mkv, flv, f4v, m4v, rmvb | 5 MiB |
//! | the other 12 catalogued upload endpoints, and `POST` paths not in the catalog | any | 5 MiB for images (jpg, jpeg, png, bmp, gif, webp, tif, tiff), else 10 MiB |
//!
//! Extensions compare case-insensitively. Empty files are refused everywhere; so are media on a method
//! other than `POST` and on catalogued endpoints that are not uploads (a JSON endpoint would reject the
//! multipart body after signature checking anyway). The general caps are the largest files WeChat Pay
//! documents for its other upload endpoints; WeChat Pay's own, smaller per-API limits still apply there.
//! Every refusal is an [`InputErrorKind::Media`] error and nothing leaves the process.

use std::fmt;
use std::future::poll_fn;
use std::io::Read;
use std::path::Path;
use std::pin::Pin;

use crate::crypto::backend::digest;
use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::{Map, Value};
use tokio::io::{AsyncRead, ReadBuf};

mod wire;

use wire::{check_boundary, contains, multipart_content_type, php_json, random_boundary};

use crate::catalog::ENDPOINTS;
use crate::error::{Error, InputErrorKind};

/// The largest file a [`Media`] holds (10 MiB, the largest any upload endpoint accepts here); readers
/// stop as soon as it is exceeded.
pub const MAX_FILE_SIZE: usize = 10 * 1024 * 1024;

/// `v3/merchant/media/upload`: image extensions and size limit.
const IMAGE_UPLOAD: Rule = Rule {
    extensions: Some(&["jpg", "jpeg", "png", "bmp"]),
    image_limit: 2 * 1024 * 1024,
    other_limit: 2 * 1024 * 1024,
};
/// `v3/merchant/media/video_upload`: video extensions and size limit.
const VIDEO_UPLOAD: Rule = Rule {
    extensions: Some(&["avi", "wmv", "mpeg", "mp4", "mov", "mkv", "flv", "f4v", "m4v", "rmvb"]),
    image_limit: 5 * 1024 * 1024,
    other_limit: 5 * 1024 * 1024,
};
/// Every other upload: any extension, 5 MiB for images, 10 MiB otherwise.
const GENERAL: Rule = Rule { extensions: None, image_limit: 5 * 1024 * 1024, other_limit: MAX_FILE_SIZE };

/// Extensions counted as images by the general cap.
const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff"];

struct Rule {
    extensions: Option<&'static [&'static str]>,
    image_limit: usize,
    other_limit: usize,
}

/// A file to upload, with its `meta` JSON (see the [module documentation](self)).
///
/// Cheap to clone (the bytes are shared). `Debug` shows the size only: file names and contents may be
/// personal data (ID card scans, business licences).
#[derive(Clone)]
pub struct Media {
    filename: String,
    bytes: Bytes,
    sha256: String,
    meta: Option<Bytes>,
    boundary: Option<String>,
}

impl fmt::Debug for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Media")
            .field("bytes", &self.bytes.len())
            .field("custom_meta", &self.meta.is_some())
            .finish_non_exhaustive()
    }
}

fn refused(message: impl Into<String>) -> Error {
    Error::input(InputErrorKind::Media, message)
}

fn too_large(limit: usize) -> Error {
    refused(format!("the file is larger than {limit} bytes ({}), the most an upload accepts", mib(limit)))
}

fn mib(bytes: usize) -> String {
    format!("{} MiB", bytes / (1024 * 1024))
}

impl Media {
    /// Reads the file at `path` (blocking); the file name sent is the path's last component.
    ///
    /// Fails if the file cannot be read, is larger than [`MAX_FILE_SIZE`], or its name is not UTF-8 or
    /// has characters a multipart header cannot carry (`"`, `\`, control characters).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Media, Error> {
        let path = path.as_ref();
        let shown = path.display();
        let name = path
            .file_name()
            .ok_or_else(|| refused(format!("`{shown}` has no file name")))?
            .to_str()
            .ok_or_else(|| refused(format!("the file name of `{shown}` is not UTF-8")))?
            .to_owned();
        let file = std::fs::File::open(path).map_err(|e| refused(format!("cannot open `{shown}`: {e}")))?;
        if file.metadata().is_ok_and(|m| m.len() > MAX_FILE_SIZE as u64) {
            return Err(too_large(MAX_FILE_SIZE));
        }
        let mut bytes = Vec::new();
        // One byte more than allowed tells a file that grew since its size was read.
        file.take(MAX_FILE_SIZE as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| refused(format!("cannot read `{shown}`: {e}")))?;
        if bytes.len() > MAX_FILE_SIZE {
            return Err(too_large(MAX_FILE_SIZE));
        }
        Media::from_bytes(name, bytes)
    }

    /// A file from memory. `filename` gives the name sent and, by its extension, the file part's
    /// `Content-Type`; as in wechatpay-php only its last `/`-separated component is used.
    ///
    /// ```
    /// use wechatpay_chain::Media;
    /// let media = Media::from_bytes("photo.jpg", vec![0xff, 0xd8, 0xff, 0xd9])?;
    /// assert_eq!(media.filename(), "photo.jpg");
    /// assert_eq!(media.content_type(), "image/jpeg");
    /// # Ok::<(), wechatpay_chain::Error>(())
    /// ```
    pub fn from_bytes(filename: impl Into<String>, bytes: impl Into<Bytes>) -> Result<Media, Error> {
        let filename = basename(filename.into())?;
        let bytes = bytes.into();
        if bytes.len() > MAX_FILE_SIZE {
            return Err(too_large(MAX_FILE_SIZE));
        }
        let sha256 = hex(digest::digest(&digest::SHA256, &bytes).as_ref());
        Ok(Media { filename, bytes, sha256, meta: None, boundary: None })
    }

    /// Reads `reader` to its end (a `tokio::fs::File`, a socket, a decompressor…), stopping with an
    /// error as soon as more than [`MAX_FILE_SIZE`] bytes arrive.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), wechatpay_chain::Error> {
    /// use wechatpay_chain::Media;
    /// let media = Media::from_reader("clip.mp4", &b"\0\0\0\x18ftypmp42"[..]).await?;
    /// assert_eq!(media.len(), 12);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn from_reader<R: AsyncRead + Unpin>(filename: impl Into<String>, mut reader: R) -> Result<Media, Error> {
        let filename = basename(filename.into())?;
        let mut bytes = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let mut buf = ReadBuf::new(&mut chunk);
            poll_fn(|cx| Pin::new(&mut reader).poll_read(cx, &mut buf))
                .await
                .map_err(|e| refused(format!("reading `{filename}` failed: {e}")))?;
            let read = buf.filled();
            if read.is_empty() {
                break;
            }
            if bytes.len() + read.len() > MAX_FILE_SIZE {
                return Err(too_large(MAX_FILE_SIZE));
            }
            bytes.extend_from_slice(read);
        }
        Media::from_bytes(filename, bytes)
    }

    /// Replaces the `meta` JSON with `meta`, a JSON object encoded like the default (compact, key order
    /// kept, `\uXXXX` and `\/` as wechatpay-php). WeChat Pay wants `filename` and `sha256` in it; start
    /// from [`default_meta`](Media::default_meta) to keep them. A `sha256` that is not the file's is refused.
    ///
    /// ```
    /// use serde_json::json;
    /// use wechatpay_chain::Media;
    /// let media = Media::from_bytes("card.jpg", vec![0xff, 0xd8, 0xff, 0xd9])?;
    /// let mut meta = json!({"bank_type": "CARD"});
    /// meta.as_object_mut().unwrap().extend(media.default_meta());
    /// let media = media.meta(meta)?;
    /// assert!(media.meta_bytes().starts_with(br#"{"bank_type":"CARD","filename":"card.jpg","sha256":""#));
    /// # Ok::<(), wechatpay_chain::Error>(())
    /// ```
    pub fn meta(self, meta: Value) -> Result<Media, Error> {
        let Value::Object(map) = &meta else {
            return Err(refused("the media `meta` must be a JSON object"));
        };
        self.check_meta(map)?;
        let mut out = Vec::with_capacity(128);
        php_json(&meta, &mut out);
        Ok(Media { meta: Some(Bytes::from(out)), ..self })
    }

    /// Replaces the `meta` JSON with `json`, signed and sent verbatim (what wechatpay-php's
    /// `MediaUtil::setMeta` takes). It must be a JSON object; a `sha256` that is not the file's is refused.
    pub fn meta_json(self, json: impl Into<String>) -> Result<Media, Error> {
        let json = json.into();
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&json) else {
            return Err(refused("the media `meta` must be the text of a JSON object"));
        };
        self.check_meta(&map)?;
        Ok(Media { meta: Some(Bytes::from(json)), ..self })
    }

    fn check_meta(&self, map: &Map<String, Value>) -> Result<(), Error> {
        match map.get("sha256").and_then(Value::as_str) {
            Some(given) if !given.eq_ignore_ascii_case(&self.sha256) => Err(refused(format!(
                "the media `meta` gives sha256 {given}, but the file's SHA-256 is {}",
                self.sha256
            ))),
            _ => Ok(()),
        }
    }

    /// Sets the multipart boundary instead of a random one. For reproducing a captured request in
    /// tests; the random default is right for real uploads.
    ///
    /// The boundary must be what RFC 2046 allows: 1 to 70 characters of letters, digits,
    /// `'()+_,-./:=?` and spaces, not ending in a space; and it must not occur in the meta or the file
    /// (checked when sending). A boundary with characters that RFC 2045 does not allow in a bare
    /// parameter value (`()/:=?,` and space) is quoted in the `Content-Type`
    /// (`boundary="a=b"`); others are written bare, as PHP does.
    ///
    /// ```
    /// use wechatpay_chain::Media;
    /// let media = Media::from_bytes("a.png", vec![1, 2, 3])?;
    /// assert!(media.clone().boundary("a=b").is_ok());
    /// assert!(media.clone().boundary("trailing ").is_err());
    /// assert!(media.clone().boundary("semi;colon").is_err());
    /// assert!(media.boundary("x".repeat(71)).is_err());
    /// # Ok::<(), wechatpay_chain::Error>(())
    /// ```
    pub fn boundary(self, boundary: impl Into<String>) -> Result<Media, Error> {
        let boundary = boundary.into();
        if let Err(why) = check_boundary(&boundary) {
            return Err(refused(format!(
                "`{}` is not a usable multipart boundary: {why} (RFC 2046: 1 to 70 letters, digits, '()+_,-./:=? \
                 or spaces, not ending in a space)",
                boundary.escape_debug()
            )));
        }
        Ok(Media { boundary: Some(boundary), ..self })
    }

    /// The file name sent (in the `file` part, and in the default meta).
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The file's size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the file is empty (an empty file is refused when sending).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Lowercase hex SHA-256 of the file.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The file part's `Content-Type`, from the extension (`application/octet-stream` when unknown).
    pub fn content_type(&self) -> &'static str {
        mime(&extension(&self.filename))
    }

    /// The default meta, `{"filename": …, "sha256": …}`, as a JSON object to extend.
    pub fn default_meta(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("filename".to_owned(), Value::String(self.filename.clone()));
        map.insert("sha256".to_owned(), Value::String(self.sha256.clone()));
        map
    }

    /// The meta JSON that is signed and sent as the `meta` part.
    pub fn meta_bytes(&self) -> Bytes {
        match &self.meta {
            Some(meta) => meta.clone(),
            None => {
                let mut out = Vec::with_capacity(self.filename.len() + 96);
                php_json(&Value::Object(self.default_meta()), &mut out);
                Bytes::from(out)
            }
        }
    }

    /// The `multipart/form-data` body with `boundary` (the bytes sent).
    fn multipart(&self, boundary: &str, meta: &[u8]) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.bytes.len() + meta.len() + self.filename.len() + 320);
        body.extend_from_slice(b"--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(
            b"\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n",
        );
        body.extend_from_slice(meta);
        body.extend_from_slice(b"\r\n--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
        body.extend_from_slice(self.filename.as_bytes());
        body.extend_from_slice(b"\"\r\n");
        if !self.bytes.is_empty() {
            body.extend_from_slice(format!("Content-Length: {}\r\n", self.bytes.len()).as_bytes());
        }
        body.extend_from_slice(b"Content-Type: ");
        body.extend_from_slice(self.content_type().as_bytes());
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(&self.bytes);
        body.extend_from_slice(b"\r\n--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"--\r\n");
        body
    }
}

/// A media upload ready to send: the request `Content-Type`, the multipart body and the signed meta.
pub(crate) struct Upload {
    pub(crate) content_type: HeaderValue,
    pub(crate) body: Bytes,
    pub(crate) signed: Bytes,
}

/// Checks `media` against the endpoint at `path` (the URL path without the base URI's prefix) and
/// encodes it.
pub(crate) fn upload(media: &Media, method: &Method, path: &str) -> Result<Upload, Error> {
    if method != Method::POST {
        return Err(refused(format!("media are uploaded with POST, not {method}")));
    }
    let path = path.strip_prefix('/').unwrap_or(path);
    let rule = rule_for(path)?;
    let ext = extension(&media.filename);
    if let Some(allowed) = rule.extensions
        && !allowed.contains(&ext.as_str())
    {
        let shown = if ext.is_empty() { "no extension".to_owned() } else { format!("the extension `.{ext}`") };
        return Err(refused(format!("{path} takes files ending in {}; this file has {shown}", allowed.join(", "))));
    }
    let limit = if IMAGE_EXTENSIONS.contains(&ext.as_str()) { rule.image_limit } else { rule.other_limit };
    if media.bytes.is_empty() {
        return Err(refused("the file is empty; WeChat Pay refuses empty files"));
    }
    if media.bytes.len() > limit {
        return Err(refused(format!(
            "the file is {} bytes; {path} accepts at most {limit} bytes ({}) for this file type",
            media.bytes.len(),
            mib(limit)
        )));
    }
    let meta = media.meta_bytes();
    let boundary = match &media.boundary {
        Some(b) => {
            let mut delimiter = b"--".to_vec();
            delimiter.extend_from_slice(b.as_bytes());
            if contains(&meta, &delimiter) || contains(&media.bytes, &delimiter) {
                return Err(refused(format!("the boundary `{b}` occurs in the meta or the file; choose another")));
            }
            b.clone()
        }
        None => random_boundary()?,
    };
    let body = media.multipart(&boundary, &meta);
    let content_type = HeaderValue::try_from(multipart_content_type(&boundary))
        .map_err(|_| refused("the multipart boundary is not a valid header value"))?;
    Ok(Upload { content_type, body: Bytes::from(body), signed: meta })
}

/// The rule for `path`: the two media endpoints, other catalogued uploads or uncatalogued paths (the
/// general cap), or a refusal for catalogued endpoints that take no upload.
fn rule_for(path: &str) -> Result<&'static Rule, Error> {
    match path {
        "v3/merchant/media/upload" => return Ok(&IMAGE_UPLOAD),
        "v3/merchant/media/video_upload" => return Ok(&VIDEO_UPLOAD),
        _ => {}
    }
    let matching: Vec<_> = ENDPOINTS.iter().filter(|e| e.method == "POST" && template_matches(e.path, path)).collect();
    if matching.is_empty() || matching.iter().any(|e| e.upload) {
        return Ok(&GENERAL);
    }
    Err(refused(format!("POST {path} is not a media upload endpoint; send its body with `json` instead")))
}

/// Whether catalog template `template` (`v3/a/{x}/b`) matches the concrete `path`, segment by segment.
fn template_matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let placeholder = ts.starts_with('{') && ts.ends_with('}');
                if !(placeholder && !ps.is_empty() || ts == ps) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The last `/`-separated component (PHP `basename`), checked for characters a quoted header value cannot
/// carry unescaped.
fn basename(name: String) -> Result<String, Error> {
    let trimmed = name.trim_end_matches('/');
    let base = trimmed.rsplit('/').next().unwrap_or_default();
    if base.is_empty() {
        return Err(refused(format!("`{}` has no file name", name.escape_debug())));
    }
    if base.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
        return Err(refused(format!(
            "the file name `{}` has a quote, backslash or control character, which a multipart header cannot carry",
            base.escape_debug()
        )));
    }
    Ok(base.to_owned())
}

/// The lowercase extension, or `""`.
fn extension(filename: &str) -> String {
    filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
}

/// The file part's `Content-Type` by extension: the values Guzzle's `MimeType::fromExtension` gives
/// for the types WeChat Pay takes.
fn mime(extension: &str) -> &'static str {
    match extension {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "bmp" => "image/bmp",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "avi" => "video/x-msvideo",
        "wmv" => "video/x-ms-wmv",
        "mpeg" | "mpg" => "video/mpeg",
        "mp4" | "f4v" => "video/mp4",
        "mov" => "video/quicktime",
        "mkv" => "video/x-matroska",
        "flv" => "video/x-flv",
        "m4v" => "video/x-m4v",
        "rmvb" => "application/vnd.rn-realmedia-vbr",
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "zip" => "application/zip",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(basename("a/b/c.png".into()).expect("ok"), "c.png");
        assert!(basename("a\"b.png".into()).is_err());
        assert!(basename("dir/".into()).is_ok_and(|b| b == "dir"));
        assert!(basename("/".into()).is_err());
        assert!(template_matches("v3/a/{x}/b", "v3/a/1/b"));
        assert!(!template_matches("v3/a/{x}/b", "v3/a//b"));
        assert!(!template_matches("v3/a/{x}/b", "v3/a/1/b/c"));
        assert_eq!(extension("ANIM.GIF"), "gif");
        assert_eq!(extension("blob"), "");
        assert!(rule_for("v3/pay/transactions/jsapi").is_err());
        assert!(rule_for("v3/marketing/bank/packages/123/tasks").is_ok());
        assert!(rule_for("v3/not/catalogued").is_ok());
    }
}
