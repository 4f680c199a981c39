//! JTL CSV contenders: the fast path's hand-written row cutter, number reading and endpoint lookup,
//! each beside the libraries that do the same job, and the whole reader with and without the fast
//! path.

use std::collections::HashMap;

use std::hash::BuildHasher;

use atoi::FromRadix10Checked;
use perfassist::bench_api::jtl;

use super::data::{ELAPSED, LABEL, NEEDED, THREADS, TIMESTAMP};
use super::{Contender, Group, results_sum};

/// What every cutter reports of a row, so all must cut alike: where cells 1 and `NEEDED - 1`
/// start and where cell `NEEDED - 1` ends, from the row's start.
fn row_sum(bounds: &[u32], last_len: usize) -> u64 {
    u64::from(bounds[1]) + u64::from(bounds[NEEDED - 1]) + last_len as u64
}

/// `memchr2_iter` over the block: every delimiter and line end in one pass.
fn cut_memchr2(block: &[u8], cells: usize, row: &mut impl FnMut(&[u32], usize)) -> usize {
    let quote = memchr::memchr(b'"', block).unwrap_or(block.len());
    let mut bounds = [0u32; 33];
    let (mut start, mut k, mut last) = (0, 1, usize::MAX);
    for at in memchr::memchr2_iter(b',', b'\n', block) {
        if block[at] == b',' {
            if k < cells {
                bounds[k] = (at + 1 - start) as u32;
            } else if k == cells {
                last = at;
            }
            k += 1;
            continue;
        }
        if quote < at {
            return start;
        }
        let mut end = at;
        while end > start && block[end - 1] == b'\r' {
            end -= 1;
        }
        if end > start {
            if k < cells {
                return start;
            }
            row(&bounds[..cells], last.min(end) - start);
        }
        (start, k, last) = (at + 1, 1, usize::MAX);
    }
    start
}

/// `memchr` for the line end, then `memchr_iter` for the row's first `cells` delimiters.
fn cut_memchr_rows(block: &[u8], cells: usize, row: &mut impl FnMut(&[u32], usize)) -> usize {
    let quote = memchr::memchr(b'"', block).unwrap_or(block.len());
    let mut bounds = [0u32; 33];
    let mut pos = 0;
    while let Some(nl) = memchr::memchr(b'\n', &block[pos..]).map(|i| pos + i) {
        if quote < nl {
            break;
        }
        let mut end = nl;
        while end > pos && block[end - 1] == b'\r' {
            end -= 1;
        }
        if end > pos {
            let line = &block[pos..end];
            let (mut k, mut last) = (1, line.len());
            for at in memchr::memchr_iter(b',', line) {
                if k == cells {
                    last = at;
                    break;
                }
                bounds[k] = (at + 1) as u32;
                k += 1;
            }
            if k < cells {
                break;
            }
            row(&bounds[..cells], last);
        }
        pos = nl + 1;
    }
    pos
}

/// csv-core's reader: a full CSV state machine, copying each field's bytes out.
fn cut_csv_core(
    reader: &mut csv_core::Reader,
    block: &[u8],
    cells: usize,
    row: &mut impl FnMut(&[u32], usize),
) -> usize {
    let mut out = [0u8; 4096];
    let mut ends = [0usize; 64];
    let mut bounds = [0u32; 33];
    let mut pos = 0;
    while pos < block.len() {
        let (res, nin, _, nends) = reader.read_record(&block[pos..], &mut out, &mut ends);
        pos += nin;
        match res {
            csv_core::ReadRecordResult::Record if nends >= cells => {
                // Field k starts after k delimiters, which csv-core does not copy.
                for (k, b) in bounds.iter_mut().enumerate().take(cells).skip(1) {
                    *b = (ends[k - 1] + k) as u32;
                }
                row(&bounds[..cells], ends[cells - 1] + cells - 1);
            }
            _ => break,
        }
    }
    pos
}

/// Each row's number cells (timeStamp, elapsed, allThreads) and label, copied one after another
/// into `text` (comma-separated, as in a row), so that reading them is not a walk over the whole
/// file: in the reader the row is in cache when its cells are read.
pub struct Spans {
    text: Vec<u8>,
    numbers: Vec<[(u32, u32); 3]>,
    labels: Vec<(u32, u32)>,
}

impl Spans {
    pub fn of(blocks: &[&[u8]]) -> Spans {
        let mut spans = Spans {
            text: Vec::new(),
            numbers: Vec::new(),
            labels: Vec::new(),
        };
        let mut cutter = jtl::RowCutter::default();
        for b in blocks {
            cutter.cut(b, b',', NEEDED, |start, bounds, last| {
                let cell = |i: usize| {
                    let from = start + bounds[i] as usize;
                    let to = if i + 1 < NEEDED {
                        start + bounds[i + 1] as usize - 1
                    } else {
                        last
                    };
                    &b[from..to]
                };
                let mut copy = |c: &[u8]| {
                    let from = spans.text.len() as u32;
                    spans.text.extend_from_slice(c);
                    spans.text.push(b',');
                    (from, from + c.len() as u32)
                };
                let row = [
                    copy(cell(TIMESTAMP)),
                    copy(cell(ELAPSED)),
                    copy(cell(THREADS)),
                ];
                let label = copy(cell(LABEL));
                spans.numbers.push(row);
                spans.labels.push(label);
            });
        }
        spans
    }
}

/// Sums what a number reader makes of every number cell; a refused cell counts 2^40.
fn number_sum(spans: &Spans, mut read: impl FnMut(usize, u32, u32) -> Option<u64>) -> u64 {
    let mut sum = 0u64;
    for row in &spans.numbers {
        for (col, &(from, to)) in row.iter().enumerate() {
            sum = sum.wrapping_add(read(col, from, to).unwrap_or(1 << 40));
        }
    }
    sum
}

/// The full reader's rule for a whole number: 1 to 19 ASCII digits, nothing else. A library's
/// parser is only asked once the cell passes the cheap part (`+` and longer cells are refused).
fn plain(cell: &[u8]) -> bool {
    (1..=19).contains(&cell.len()) && cell[0].is_ascii_digit()
}

pub fn groups<'a>(
    data: &'a [u8],
    body: &'a [u8],
    blocks: &'a [&'a [u8]],
    spans: &'a Spans,
) -> Vec<Group<'a>> {
    let whole = "JTL whole read";
    let mut out = Vec::new();

    out.push(Group::new(
        whole,
        data.len(),
        None,
        vec![
            Contender::reader("reader with fast path (one thread)", move || {
                results_sum(jtl::read(data, true))
            }),
            Contender::other("reader, full path only (records.rs)", move || {
                results_sum(jtl::read(data, false))
            }),
        ],
    ));

    let mut cutter = jtl::RowCutter::default();
    let mut csv_reader = csv_core::ReaderBuilder::new().delimiter(b',').build();
    out.push(Group::new(
        "JTL row cutting (13 of 17 cells, 64 KiB blocks)",
        body.len(),
        Some(whole),
        vec![
            Contender::reader("reader: bit masks (marks.rs, hand-written)", move || {
                let mut sum = 0;
                for b in blocks {
                    cutter.cut(b, b',', NEEDED, |start, bounds, last| {
                        sum += row_sum(bounds, last - start)
                    });
                }
                sum
            }),
            Contender::other("memchr2_iter, one pass", move || {
                let mut sum = 0;
                for b in blocks {
                    cut_memchr2(b, NEEDED, &mut |bounds, last| sum += row_sum(bounds, last));
                }
                sum
            }),
            Contender::other("memchr per row + memchr_iter", move || {
                let mut sum = 0;
                for b in blocks {
                    cut_memchr_rows(b, NEEDED, &mut |bounds, last| sum += row_sum(bounds, last));
                }
                sum
            }),
            Contender::other("csv-core Reader", move || {
                let mut sum = 0;
                for b in blocks {
                    cut_csv_core(&mut csv_reader, b, NEEDED, &mut |bounds, last| {
                        sum += row_sum(bounds, last)
                    });
                }
                sum
            }),
            Contender::other("simd-csv ZeroCopyReader", move || {
                let mut reader = simd_csv::ZeroCopyReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(body);
                let mut sum = 0;
                let mut bounds = [0u32; 33];
                while let Ok(Some(rec)) = reader.read_byte_record() {
                    let mut at = 0;
                    for (k, b) in bounds.iter_mut().enumerate().take(NEEDED).skip(1) {
                        at += rec.get(k - 1).map_or(0, <[u8]>::len) + 1;
                        *b = at as u32;
                    }
                    let last = at + rec.get(NEEDED - 1).map_or(0, <[u8]>::len);
                    sum += row_sum(&bounds[..NEEDED], last);
                }
                sum
            }),
        ],
    ));

    let number_bytes: usize = spans
        .numbers
        .iter()
        .flatten()
        .map(|(f, t)| (t - f) as usize)
        .sum();
    let text = &spans.text;
    let cell = move |from: u32, to: u32| &text[from as usize..to as usize];
    out.push(Group::new(
        "JTL numbers (timeStamp, elapsed, allThreads cells)",
        number_bytes,
        Some(whole),
        vec![
            Contender::reader("reader: word at a time + memo (hand-written)", move || {
                let mut cols: [jtl::NumberColumn; 3] = Default::default();
                number_sum(spans, |c, f, t| cols[c].read(text, f as usize, t as usize))
            }),
            Contender::other("digit loop (full reader's parse_uint)", move || {
                number_sum(spans, |_, f, t| jtl::parse_uint(cell(f, t)))
            }),
            Contender::other("atoi from_radix_10_checked", move || {
                number_sum(spans, |_, f, t| {
                    let c = cell(f, t);
                    if !plain(c) {
                        return None;
                    }
                    match u64::from_radix_10_checked(c) {
                        (Some(n), used) if used == c.len() => Some(n),
                        _ => None,
                    }
                })
            }),
            Contender::other("lexical-core parse", move || {
                number_sum(spans, |_, f, t| {
                    let c = cell(f, t);
                    plain(c)
                        .then(|| lexical_core::parse::<u64>(c).ok())
                        .flatten()
                })
            }),
            Contender::other("str::parse::<u64>", move || {
                number_sum(spans, |_, f, t| {
                    let c = cell(f, t);
                    plain(c)
                        .then(|| std::str::from_utf8(c).ok()?.parse::<u64>().ok())
                        .flatten()
                })
            }),
        ],
    ));

    // Not a constant the compiler could fold into one contender's compares: in the reader the
    // method (empty without a method column) is known only at run time.
    let no_method: &[u8] = std::hint::black_box(b"");
    let label_bytes: usize = spans.labels.iter().map(|(f, t)| (t - f) as usize).sum();
    out.push(Group::new(
        "JTL endpoint lookup by label bytes (8 labels)",
        label_bytes,
        Some(whole),
        vec![
            Contender::reader("reader: SlotCache (hand-written)", move || {
                let mut slots = jtl::EndpointSlots::default();
                spans
                    .labels
                    .iter()
                    .map(|&(f, t)| slots.slot(cell(f, t), no_method) as u64)
                    .sum()
            }),
            Contender::other("hashbrown HashTable, bytes compared inline", move || {
                let hasher = foldhash::fast::RandomState::default();
                let mut table: hashbrown::HashTable<Keyed> = hashbrown::HashTable::new();
                let mut sum = 0u64;
                for &(f, t) in &spans.labels {
                    let (label, method) = (cell(f, t), no_method);
                    let hash = hasher.hash_one((label, method));
                    let found = table
                        .find(hash, |(l, m, _)| {
                            same_bytes(l, label) && same_bytes(m, method)
                        })
                        .map(|e| e.2);
                    let slot = found.unwrap_or_else(|| {
                        let slot = table.len();
                        table.insert_unique(hash, (label.into(), method.into(), slot), |e| {
                            hasher.hash_one((&*e.0, &*e.1))
                        });
                        slot
                    });
                    sum += slot as u64;
                }
                sum
            }),
            Contender::other("foldhash HashMap<Box<[u8]>, methods>", move || {
                let mut map: Slots<foldhash::fast::RandomState> = Slots::default();
                let mut next = 0;
                let mut sum = 0u64;
                for &(f, t) in &spans.labels {
                    sum += slot_in(&mut map, cell(f, t), no_method, &mut next) as u64;
                }
                sum
            }),
            Contender::other("std HashMap (SipHash), same shape", move || {
                let mut map: Slots<std::hash::RandomState> = Slots::default();
                let mut next = 0;
                let mut sum = 0u64;
                for &(f, t) in &spans.labels {
                    sum += slot_in(&mut map, cell(f, t), no_method, &mut next) as u64;
                }
                sum
            }),
        ],
    ));
    out
}

/// Equality without a call to memcmp (which costs tens of nanoseconds a call on this VM).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Label, method and endpoint number.
type Keyed = (Box<[u8]>, Box<[u8]>, usize);

/// Endpoint numbers by label, then by method among the label's few.
type Slots<S> = HashMap<Box<[u8]>, Vec<(Box<[u8]>, usize)>, S>;

/// A label's endpoint, then its method's among the label's few: one hash per row.
fn slot_in<S: std::hash::BuildHasher>(
    map: &mut Slots<S>,
    label: &[u8],
    method: &[u8],
    next: &mut usize,
) -> usize {
    if let Some(methods) = map.get(label)
        && let Some((_, slot)) = methods.iter().find(|(m, _)| **m == *method)
    {
        return *slot;
    }
    let slot = *next;
    *next += 1;
    map.entry(label.into())
        .or_default()
        .push((method.into(), slot));
    slot
}
