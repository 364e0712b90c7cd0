//! Replays every committed fuzz input on the stable toolchain: the curated seeds (`fuzz/corpus/<target>/seed-*`)
//! and every regression input (`fuzz/regressions/<target>/*`) go through the same entry function the
//! cargo-fuzz target calls (`wechatpay_chain::fuzzing`, feature `fuzzing`), so a fixed crash stays fixed.
//! Also checks that `fuzz/` and the entry functions agree (one binary, one seed directory per target).

use std::path::{Path, PathBuf};

use wechatpay_chain::fuzzing::{self, TARGETS};

/// Regression inputs of bugs that are known and not fixed yet: they must still fail. When one of them
/// passes, its bug was fixed: delete its line here and keep the file, which from then on must pass.
/// (target, file name, bug)
const KNOWN_OPEN: &[(&str, &str, &str)] = &[];

/// Largest committed seed corpus per target.
const MAX_SEEDS: usize = 50;
const MAX_SEED_BYTES: u64 = 200 * 1024;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files(dir: &Path, seeds_only: bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| !seeds_only || p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("seed-")))
        .collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let function =
        TARGETS.iter().find(|(name, _)| *name == target).map(|(_, f)| *f).expect("a target of fuzzing::TARGETS");
    let seeds = files(&fuzz_dir().join("corpus").join(target), true);
    assert!(!seeds.is_empty(), "fuzz/corpus/{target}/ has no seed-* file");
    let regressions = files(&fuzz_dir().join("regressions").join(target), false);
    let mut failures = Vec::new();
    for path in seeds.iter().chain(&regressions) {
        let data = std::fs::read(path).expect("a committed fuzz input");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let known = KNOWN_OPEN.iter().find(|(t, file, _)| *t == target && *file == name);
        match (fuzzing::run(function, &data), known) {
            (Ok(()), None) | (Err(_), Some(_)) => {}
            (Err(message), None) => failures.push(format!("{}: {message}", path.display())),
            (Ok(()), Some((_, _, bug))) => failures.push(format!(
                "{}: passes now, so \"{bug}\" is fixed: remove its line from KNOWN_OPEN in tests/sdk/fuzz_replay.rs",
                path.display()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs of `{target}` failed:\n{}",
        failures.len(),
        seeds.len() + regressions.len(),
        failures.join("\n")
    );
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        const TESTED: &[&str] = &[$(stringify!($target)),*];
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*
    };
}

replay_tests!(
    verify_response,
    notification_v3,
    notification_v2,
    notification_v2_refund,
    prepare_json,
    prepare_typed,
    key_load,
    xml,
    aes_gcm,
    aes_ecb,
    rsa_oaep,
    multipart,
    download,
);

#[test]
fn fuzz_directory_matches_the_entry_functions() {
    let names: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, TESTED, "every entry function of fuzzing::TARGETS has a replay test here, in the same order");
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    assert!(
        manifest.contains("cargo-fuzz = true") && manifest.contains("\n[workspace]"),
        "fuzz/ is a cargo-fuzz crate of its own"
    );
    for name in &names {
        assert!(
            manifest.contains(&format!("name = \"{name}\"\npath = \"fuzz_targets/{name}.rs\"")),
            "fuzz/Cargo.toml has no [[bin]] `{name}`"
        );
        let source =
            std::fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{name}.rs"))).expect("the target's source");
        assert!(
            source.contains(&format!("wechatpay_chain::fuzzing::{name}(data)")),
            "fuzz_targets/{name}.rs does not call fuzzing::{name}"
        );
        let seeds = files(&fuzz_dir().join("corpus").join(name), true);
        let bytes: u64 = seeds.iter().filter_map(|p| p.metadata().ok()).map(|m| m.len()).sum();
        assert!(
            seeds.len() <= MAX_SEEDS && bytes <= MAX_SEED_BYTES,
            "the seeds of `{name}` are {} files, {bytes} bytes",
            seeds.len()
        );
    }
    let targets = std::fs::read_dir(fuzz_dir().join("fuzz_targets")).expect("fuzz/fuzz_targets").count();
    assert_eq!(targets, names.len(), "a file in fuzz/fuzz_targets/ is not an entry of fuzzing::TARGETS");
    for dir in ["corpus", "regressions"] {
        for entry in std::fs::read_dir(fuzz_dir().join(dir)).expect("the fuzz input directory").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(names.contains(&name.as_str()), "fuzz/{dir}/{name} is not a fuzz target");
        }
    }
    for (target, file, _) in KNOWN_OPEN {
        assert!(
            fuzz_dir().join("regressions").join(target).join(file).is_file(),
            "KNOWN_OPEN names a missing file {target}/{file}"
        );
    }
}
