//! No input makes a results reader panic: random bytes under every format's file name, and
//! random mutations (edits, cuts, gzip) of the runner fixtures, through `read` and `read_file`.

use std::path::Path;

use proptest::prelude::*;

const NAMES: &[&str] = &[
    "run.jtl",
    "run.csv",
    "run.xml",
    "out.ndjson",
    "out.json",
    "out.json.gz",
    "x_stats.csv",
    "x_stats_history.csv",
    "metrics.json",
];

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/results");
    let mut out = Vec::new();
    for dir in [
        "jmeter",
        "k6-ndjson",
        "locust",
        "hey",
        "wrk",
        "ab",
        "taurus",
        "k6-csv",
        "gatling/text-3.9",
        "gatling/text-2.2",
        "unrecognised",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            // Taurus' artifacts folder is a run of several files, read as a folder.
            if path.is_dir() {
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes that matter to the parsers come up often: delimiters, quotes, digits, brackets.
    let interesting = prop_oneof![
        Just(b','),
        Just(b'"'),
        Just(b'\n'),
        Just(b'\t'),
        Just(b'<'),
        Just(b'>'),
        Just(b'{'),
        Just(b'}'),
        Just(b'-'),
        Just(b'9'),
        Just(0xff),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), interesting).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Replace(i, b) if !bytes.is_empty() => bytes[i % len] = *b,
            Edit::Insert(i, b) => {
                let at = i % (bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Edit::Delete(i, n) if !bytes.is_empty() => {
                let at = i % len;
                let end = (at + n).min(bytes.len());
                bytes.drain(at..end);
            }
            Edit::Truncate(i) => bytes.truncate(i % (bytes.len() + 1)),
            _ => {}
        }
    }
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_bytes_never_panic(
        name in prop::sample::select(NAMES),
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let _ = perfassist::results::read(name, &bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..6),
        compress in any::<bool>(),
    ) {
        let all = fixtures();
        let (name, bytes) = &all[pick.index(all.len())];
        let mut mutated = apply(bytes.clone(), &edits);
        if compress {
            mutated = gzip(&mutated);
        }
        let _ = perfassist::results::read(name, &mutated);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// The file path streams from disk with its own sniffing; Locust files also read siblings.
    #[test]
    fn mutated_files_on_disk_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let all = fixtures();
        let (name, bytes) = &all[pick.index(all.len())];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, apply(bytes.clone(), &edits)).unwrap();
        if let Some(prefix) = name.strip_suffix("_stats.csv") {
            // A broken companion must not panic the main file's reader either.
            let history = dir.path().join(format!("{prefix}_stats_history.csv"));
            std::fs::write(history, apply(b"Timestamp,User Count,Type,Name\n1,2,,Aggregated\n".to_vec(), &edits)).unwrap();
        }
        let _ = perfassist::ingest::read_file(&path, name, perfassist::results::DEFAULT_MAX_DOCUMENT_BYTES);
    }
}
