//! Media uploads: `POST /v3/merchant/media/upload` (jpg, jpeg, png, bmp; ≤ 2 MiB) and
//! `POST /v3/merchant/media/video_upload` (avi, wmv, mpeg, mp4, mov, mkv, flv, f4v, m4v, rmvb; ≤ 5 MiB): a
//! `multipart/form-data` body with a `meta` part (JSON `{"filename":…,"sha256":…}`) and a `file` part. As
//! with WeChat Pay, the request signature covers the `meta` part's bytes, not the multipart body.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::multipart::multipart;
use crate::route::{Answer, Reply, Request, method_not_allowed};
use crate::state::State;

/// Image uploads: extensions and size limit.
const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "bmp"];
const IMAGE_LIMIT: usize = 2 * 1024 * 1024;
/// Video uploads: extensions and size limit.
const VIDEO_EXTENSIONS: &[&str] = &["avi", "wmv", "mpeg", "mp4", "mov", "mkv", "flv", "f4v", "m4v", "rmvb"];
const VIDEO_LIMIT: usize = 5 * 1024 * 1024;

/// The upload endpoints; `None` for other paths.
pub(crate) fn route(state: &State, request: &Request<'_>) -> Option<Answer> {
    let media = match request.path {
        "/v3/merchant/media/upload" => Media::Image,
        "/v3/merchant/media/video_upload" => Media::Video,
        _ => return None,
    };
    if request.method != "POST" {
        return Some(method_not_allowed(request));
    }
    Some(Answer::Json(upload(state, media, request)))
}

#[derive(Clone, Copy)]
enum Media {
    Image,
    Video,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn upload(state: &State, media: Media, request: &Request<'_>) -> Reply {
    let bad = |message: &str| Reply::error(400, "PARAM_ERROR", message);
    let field =
        |name: &str, message: &str, issue: String| Reply::field_error(400, "PARAM_ERROR", message, name, &issue);
    let form = match multipart(request.header("content-type"), request.body) {
        None => return bad("参数错误: the body must be multipart/form-data with `meta` and `file` parts"),
        Some(Err(e)) => return bad(&format!("参数错误: {e}")),
        Some(Ok(form)) => form,
    };
    if let Some(e) = &form.error {
        return bad(&format!("参数错误: malformed multipart body: {e}"));
    }
    let named = |n: &str| form.parts.iter().filter(|p| p.name == n).collect::<Vec<_>>();
    let (metas, files) = (named("meta"), named("file"));
    let (Some(meta), Some(file), 1, 1) = (metas.first(), files.first(), metas.len(), files.len()) else {
        return bad(&format!(
            "参数错误: expected one `meta` and one `file` part, got {} and {}",
            metas.len(),
            files.len()
        ));
    };
    if file.filename.is_none() {
        return field("file", "参数错误", "the file part's Content-Disposition has no filename".to_owned());
    }
    if meta.content_type.as_deref().is_some_and(|ct| !ct.to_ascii_lowercase().starts_with("application/json")) {
        return field("meta", "参数错误", "the meta part must be application/json".to_owned());
    }
    let Ok(Value::Object(meta)) = serde_json::from_slice::<Value>(meta.data) else {
        return field("meta", "参数错误", "the meta part is not a JSON object".to_owned());
    };
    let text = |n: &str| meta.get(n).and_then(Value::as_str).filter(|s| !s.is_empty());
    let Some(filename) = text("filename") else {
        return field("filename", "参数错误", "meta.filename is required".to_owned());
    };
    let Some(announced) = text("sha256") else {
        return field("sha256", "参数错误", "meta.sha256 is required".to_owned());
    };
    let actual = hex(digest::digest(&digest::SHA256, file.data).as_ref());
    if !announced.eq_ignore_ascii_case(&actual) {
        return field(
            "sha256",
            "文件摘要不一致",
            format!("meta.sha256 is {announced}, the SHA-256 of the file part is {actual}"),
        );
    }
    let (allowed, limit) = match media {
        Media::Image => (IMAGE_EXTENSIONS, IMAGE_LIMIT),
        Media::Video => (VIDEO_EXTENSIONS, VIDEO_LIMIT),
    };
    let extension = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !allowed.contains(&extension.as_str()) {
        return field(
            "filename",
            "不支持的文件格式",
            format!("`{filename}`: the extension must be one of {}", allowed.join(", ")),
        );
    }
    if file.data.is_empty() || file.data.len() > limit {
        return field(
            "file",
            "文件大小不符合要求",
            format!("the file is {} bytes; it must be 1 to {limit} bytes", file.data.len()),
        );
    }
    // The same file gives the same id (WeChat Pay's ids are stable per content too).
    let kind = match media {
        Media::Image => "image",
        Media::Video => "video",
    };
    let first = digest::digest(&digest::SHA256, format!("media\x1f{}\x1f{kind}\x1f{actual}", state.mchid).as_bytes());
    let second = digest::digest(&digest::SHA256, first.as_ref());
    let mut id = first.as_ref().to_vec();
    id.extend_from_slice(second.as_ref());
    Reply::ok(json!({ "media_id": URL_SAFE_NO_PAD.encode(id) }))
}
