//! Fuzz targets: multipart uploads.

use super::*;

const UPLOAD_PATHS: [&str; 5] = [
    "v3/merchant/media/upload",
    "v3/merchant/media/video_upload",
    "v3/marketing/favor/media/image-upload",
    "v3/fuzz/not-catalogued",
    "v3/pay/transactions/jsapi",
];
const IMAGE_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "bmp"];
const VIDEO_EXTENSIONS: [&str; 10] = ["avi", "wmv", "mpeg", "mp4", "mov", "mkv", "flv", "f4v", "m4v", "rmvb"];

/// `Media` and the upload body of `prepare`. Byte 0: bits 0–2 the endpoint (5–7: a path field), bit
/// 3 not `POST`, bits 4–5 meta (default, `meta` from a JSON field, `meta_json` from a field), bit 6 a
/// custom boundary field; file-name field; then those fields; file bytes = rest.
///
/// Properties: a file name is refused exactly when its last component is empty or has `"`, `\` or a
/// control character; the SHA-256 is the file's; `Debug` shows no file name; an accepted upload is a
/// non-empty file on `POST`, with the documented extensions at the two media endpoints and never at
/// a JSON endpoint; its body parses, independently, as `multipart/form-data` with exactly the meta
/// part (the signed bytes) and the file part (name and bytes), the boundary occurring nowhere else;
/// the boundary in `Content-Type` is an RFC 2045 token or quoted, and an RFC 2046 boundary.
pub fn multipart(data: &[u8]) {
    let f = fixture();
    let mut input = Input(data);
    let control = input.byte();
    let filename = input.text();
    let path = match control % 8 {
        n @ 0..=4 => UPLOAD_PATHS[usize::from(n)].to_owned(),
        _ => input.text(),
    };
    let method = if control & 8 != 0 {
        [Method::GET, Method::PUT, Method::PATCH, Method::DELETE][usize::from(control >> 4) % 4].clone()
    } else {
        Method::POST
    };
    let meta_field = if control & 0x30 != 0 { Some(input.text()) } else { None };
    let boundary = if control & 0x40 != 0 { Some(input.text()) } else { None };
    let bytes = input.rest().to_vec();

    let base = filename.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
    let media = Media::from_bytes(filename.clone(), bytes.clone());
    let refusable = base.is_empty() || base.chars().any(|c| c == '"' || c == '\\' || c.is_control());
    check!(media.is_err() == refusable, "file name `{}`: {:?}", filename.escape_debug(), media.as_ref().err());
    let Ok(mut media) = media else { return };
    check!(media.filename() == base, "file name `{}` became `{}`", filename.escape_debug(), media.filename());
    check!(media.sha256() == digest_hex(&digest::SHA256, &bytes), "the SHA-256 is not the file's");
    // A name that is part of what `Debug` prints for any file (`custom_meta: false`) proves nothing.
    let shown_anyway = Media::from_bytes("neutral.bin", bytes.clone()).is_ok_and(|m| format!("{m:?}").contains(&base));
    if base.len() >= 6 && !shown_anyway {
        check!(!format!("{media:?}").contains(&base), "Debug of a media shows the file name");
    }
    match ((control >> 4) & 3, meta_field) {
        (0, _) | (_, None) => {}
        (1 | 3, Some(text)) => match media.clone().meta(json_value(text.as_bytes())) {
            Ok(m) => media = m,
            Err(_) => return,
        },
        (_, Some(text)) => match media.clone().meta_json(text) {
            Ok(m) => media = m,
            Err(_) => return,
        },
    }
    if let Some(boundary) = boundary {
        match media.clone().boundary(boundary) {
            Ok(m) => media = m,
            Err(_) => return,
        }
    }
    let Ok(request) = f.client.chain(&path).prepare(method.clone(), Options::new().media(media.clone())) else {
        return;
    };
    check!(method == Method::POST, "a media upload was prepared for {method}");
    check!(!bytes.is_empty(), "an empty file was accepted");
    let extension = base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match path.as_str() {
        "v3/merchant/media/upload" => {
            check!(IMAGE_EXTENSIONS.contains(&extension.as_str()), "`.{extension}` at {path}")
        }
        "v3/merchant/media/video_upload" => {
            check!(VIDEO_EXTENSIONS.contains(&extension.as_str()), "`.{extension}` at {path}")
        }
        "v3/pay/transactions/jsapi" => panic!("fuzzing property violated: a media upload to a JSON endpoint"),
        _ => {}
    }
    let content_type = request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(parameter) = content_type.strip_prefix("multipart/form-data; boundary=") else {
        panic!("fuzzing property violated: an upload sent as `{content_type}`");
    };
    let boundary = match parameter.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => {
            let token = parameter.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b));
            check!(token, "the boundary `{parameter}` is neither an RFC 2045 token nor quoted");
            parameter.to_owned()
        }
    };
    let bchar = |b: u8| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b);
    check!(
        (1..=70).contains(&boundary.len()) && boundary.bytes().all(bchar) && !boundary.ends_with(' '),
        "`{boundary}` is not an RFC 2046 boundary"
    );
    let meta = media.meta_bytes();
    check!(request.signed_body() == &meta, "the upload is not signed over its meta");
    check_multipart(request.body(), &boundary, &meta, media.filename(), &bytes);
}

/// Parses `body` as RFC 2046 `multipart/form-data` and checks it has exactly the meta and the file part.
fn check_multipart(body: &[u8], boundary: &str, meta: &[u8], filename: &str, file: &[u8]) {
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut framed = b"\r\n".to_vec();
    framed.extend_from_slice(body);
    let mut pieces = Vec::new();
    let mut rest = framed.as_slice();
    while let Some(at) = rest.windows(delimiter.len()).position(|w| w == delimiter.as_slice()) {
        pieces.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    pieces.push(rest);
    check!(
        pieces.len() == 4,
        "the body splits into {} pieces at its boundary, not preamble + 2 parts + end",
        pieces.len()
    );
    check!(pieces[0].is_empty() && pieces[3] == b"--\r\n", "preamble or epilogue in the multipart body");
    let part = |piece: &[u8]| -> (String, Vec<u8>) {
        let piece = piece.strip_prefix(b"\r\n").unwrap_or_default();
        match piece.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(at) => (String::from_utf8_lossy(&piece[..at]).into_owned(), piece[at + 4..].to_vec()),
            None => (String::new(), Vec::new()),
        }
    };
    let (meta_headers, meta_content) = part(pieces[1]);
    check!(
        meta_headers.contains("Content-Disposition: form-data; name=\"meta\""),
        "meta part headers `{meta_headers}`"
    );
    check!(meta_content == meta, "the meta part is not the signed meta");
    let (file_headers, file_content) = part(pieces[2]);
    check!(
        file_headers.contains(&format!("Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"")),
        "file part headers `{file_headers}`"
    );
    check!(file_content == file, "the file part is not the file");
}
