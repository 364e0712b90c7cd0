//! Bounded reads of key and certificate files (`file://` inputs).
//!
//! Key and certificate files are a few KiB. A path that names something else — a directory, a FIFO
//! (whose read would block until a writer appears), a device such as `/dev/zero` (endless), or a
//! huge file picked by mistake — is refused with a message naming the path, instead of hanging or
//! exhausting memory. The size is checked before the file is opened and enforced while it is read,
//! so a file that grows in between is still bounded.

use std::io::Read;
use std::path::Path;

/// The largest key or certificate file read (1 MiB).
pub(crate) const MAX_KEY_FILE: u64 = 1024 * 1024;

/// Reads the regular file at `path` (a `what` file: "key", "certificate", …), refusing anything that
/// is not a regular file or is larger than [`MAX_KEY_FILE`].
pub(crate) fn read_bounded(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    let cannot = |e: std::io::Error| format!("cannot read the {what} file `{}` ({e})", path.display());
    // `metadata` follows symbolic links: a link to a key file is fine, a link to a device is not.
    let meta = std::fs::metadata(path).map_err(cannot)?;
    check(&meta, path, what)?;
    let file = std::fs::File::open(path).map_err(cannot)?;
    // The path may have been replaced between the two calls: check what was actually opened.
    check(&file.metadata().map_err(cannot)?, path, what)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(64 * 1024));
    file.take(MAX_KEY_FILE + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(too_large(path, what));
    }
    Ok(bytes)
}

fn check(meta: &std::fs::Metadata, path: &Path, what: &str) -> Result<(), String> {
    let shown = path.display();
    if meta.is_dir() {
        return Err(format!("the {what} file `{shown}` is a directory; give the path of the PEM file inside it"));
    }
    if !meta.is_file() {
        return Err(format!(
            "`{shown}` is not a regular file (a FIFO, socket or device); give the path of the {what} file itself"
        ));
    }
    if meta.len() > MAX_KEY_FILE {
        return Err(too_large(path, what));
    }
    Ok(())
}

fn too_large(path: &Path, what: &str) -> String {
    let path = path.display();
    format!(
        "the {what} file `{path}` is larger than {} KiB; key and certificate files are a few KiB, so this is not \
         one: check the path",
        MAX_KEY_FILE / 1024
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("wechatpay-keyfile-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn small_files_are_read_whole() {
        let dir = temp("small");
        let path = dir.join("key.pem");
        std::fs::write(&path, b"-----BEGIN PRIVATE KEY-----\n").unwrap();
        assert_eq!(read_bounded(path.as_path(), "key").unwrap(), b"-----BEGIN PRIVATE KEY-----\n");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn large_files_directories_and_missing_files_are_refused() {
        let dir = temp("refused");
        let big = dir.join("big.pem");
        std::fs::write(&big, vec![b'A'; MAX_KEY_FILE as usize + 1]).unwrap();
        let e = read_bounded(big.as_path(), "key").unwrap_err();
        assert!(e.contains("larger than 1024 KiB"), "{e}");
        let exact = dir.join("exact.pem");
        std::fs::write(&exact, vec![b'A'; MAX_KEY_FILE as usize]).unwrap();
        assert_eq!(read_bounded(exact.as_path(), "key").unwrap().len() as u64, MAX_KEY_FILE);

        let e = read_bounded(dir.as_path(), "certificate").unwrap_err();
        assert!(e.contains("is a directory"), "{e}");
        let e = read_bounded(dir.join("none.pem").as_path(), "key").unwrap_err();
        assert!(e.starts_with("cannot read the key file"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_without_reading() {
        for device in ["/dev/zero", "/dev/null", "/dev/urandom"] {
            if std::path::Path::new(device).exists() {
                let e = read_bounded(Path::new(device), "key").unwrap_err();
                assert!(e.contains("not a regular file"), "{device}: {e}");
            }
        }
    }
}
