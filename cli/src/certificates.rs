//! `certificates download`: fetch, decrypt and check the platform certificates; save them as PEM files.

use std::path::Path;

use crate::args::{ConnectionArgs, KeyArgs, MerchantArgs};
use crate::credentials::{CredentialArgs, Credentials, Need};
use crate::output::{self, Failure};

/// Downloads the certificates with the APIv3 key (decrypted, each parsed and matched to its serial, the
/// download's signature checked with them) and saves each as `wechatpay_<serial>.pem` in `output`
/// (default: the current directory).
pub fn download(
    output: Option<&Path>,
    merchant: &MerchantArgs,
    keys: &KeyArgs,
    connection: &ConnectionArgs,
) -> Result<(), Failure> {
    let credentials = Credentials::resolve(&CredentialArgs::new(merchant).keys(keys).connection(connection))?;
    let (client, _signer) = credentials.client(Need { apiv3: true, ..Need::default() })?;
    // Joins the download an automatic-mode client starts by itself, or makes one.
    let certificates =
        client.refresh_certificates().map_err(|e| Failure::certificates(&e, credentials.public_key_id()))?;
    let dir = output.unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Failure::io(format!("cannot create {} ({e})", dir.display())))?;
    let mut report = String::new();
    for certificate in &certificates {
        let path = dir.join(format!("wechatpay_{}.pem", certificate.serial()));
        std::fs::write(&path, certificate.pem())
            .map_err(|e| Failure::io(format!("cannot write {} ({e})", path.display())))?;
        report.push_str(&format!(
            "serial {}\n  effective {}\n  expires   {}\n  saved to  {}\n",
            certificate.serial(),
            certificate.effective_time(),
            certificate.expire_time(),
            path.display()
        ));
    }
    output::status(&format!("{} certificate(s) downloaded and verified", certificates.len()));
    output::stdout_bytes(report.as_bytes())
}
