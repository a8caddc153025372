//! Publisher keys and component signatures on disk, for `xingji plugins
//! keygen`/`sign`/`install` and the demo's publisher: a key pair is
//! `NAME.key` (PKCS#8 PEM, mode 0600) and `NAME.pub` (SPKI PEM); a
//! component's signature is `FILE.sigstore.json` beside it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use xingji_plugin_host::signature::{PrivateKey, SIGNATURE_SUFFIX};

/// Writes a new key pair `dir/NAME.key` and `dir/NAME.pub`, refusing to
/// replace either file. Returns their paths.
pub fn write_key_pair(dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), String> {
    let key = PrivateKey::generate().map_err(|error| error.to_string())?;
    let private = key.to_pem().map_err(|error| error.to_string())?;
    let public = key.public().to_pem().map_err(|error| error.to_string())?;
    fs::create_dir_all(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let (key_file, pub_file) = key_files(dir, name);
    write_new(&key_file, private.as_bytes(), 0o600)?;
    write_new(&pub_file, public.as_bytes(), 0o644)?;
    Ok((key_file, pub_file))
}

/// `dir/NAME.key` and `dir/NAME.pub`.
pub fn key_files(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    )
}

/// Signs the component `file` with the private key in `key_file`, writing
/// the signature to `out` (default `FILE.sigstore.json`). Returns where.
pub fn sign_file(file: &Path, key_file: &Path, out: Option<PathBuf>) -> Result<PathBuf, String> {
    let pem =
        fs::read_to_string(key_file).map_err(|error| format!("{}: {error}", key_file.display()))?;
    let key =
        PrivateKey::from_pem(&pem).map_err(|error| format!("{}: {error}", key_file.display()))?;
    let component = fs::read(file).map_err(|error| format!("{}: {error}", file.display()))?;
    let out = out.unwrap_or_else(|| signature_path(file));
    fs::write(&out, key.sign(&component).to_json())
        .map_err(|error| format!("{}: {error}", out.display()))?;
    Ok(out)
}

/// A component's bytes and its signature: `signature` if given, else
/// `FILE.sigstore.json` if it exists, else none (empty). Errors name the
/// file.
pub fn read_signed(file: &Path, signature: Option<&Path>) -> Result<(Vec<u8>, Vec<u8>), String> {
    let read = |path: &Path| fs::read(path).map_err(|error| format!("{}: {error}", path.display()));
    let component = read(file)?;
    let beside = signature_path(file);
    let signature = match signature {
        Some(path) => read(path)?,
        None if beside.exists() => read(&beside)?,
        None => Vec::new(),
    };
    Ok((component, signature))
}

/// Where a component's detached signature is: `FILE.sigstore.json`.
pub fn signature_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(SIGNATURE_SUFFIX);
    PathBuf::from(name)
}

/// Creates `path` with `mode`; never replaces a file (a key above all).
fn write_new(path: &Path, content: &[u8], mode: u32) -> Result<(), String> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .map_err(|error| format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use xingji_plugin_host::signature::{ComponentSignature, PublicKey};

    use super::*;

    #[test]
    fn a_key_pair_signs_a_file_that_its_public_key_verifies() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (key_file, pub_file) = write_key_pair(dir.path(), "acme").expect("keygen");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&key_file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            write_key_pair(dir.path(), "acme").is_err(),
            "never replaced"
        );
        let component = dir.path().join("p.wasm");
        fs::write(&component, b"\0asm bytes").expect("write");
        let out = sign_file(&component, &key_file, None).expect("sign");
        assert_eq!(out, dir.path().join("p.wasm.sigstore.json"));
        let signature = ComponentSignature::parse(&fs::read(&out).expect("read")).expect("parse");
        let public =
            PublicKey::from_pem(&fs::read_to_string(pub_file).expect("read")).expect("key");
        assert_eq!(signature.verify(b"\0asm bytes", &public), Ok(()));
    }
}
